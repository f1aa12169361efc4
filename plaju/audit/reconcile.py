"""Records against the log: a value a business row holds that no logged step gave it was changed outside the
application (the chain proves the log; this proves the rows agree with it). Each area registers the values
that matter most (the JP credited to a person, say); `flask audit verify` and HR's check of the chain run
them all. The machinery knows no area."""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    subject_type: str
    subject_id: int
    text: str  # what differs, in words: "JP credited 20, the log says 8"


RECONCILERS: list[Callable[[], list[Mismatch]]] = []


def reconciler(fn: Callable[[], list[Mismatch]]) -> Callable[[], list[Mismatch]]:
    """Register a check of some rows against the log; it returns the rows that differ."""
    RECONCILERS.append(fn)
    return fn


def reconcile() -> list[Mismatch]:
    return [mismatch for check in RECONCILERS for mismatch in check()]


def named(mismatches: list[Mismatch]) -> list[tuple[Mismatch, str]]:
    """Each with the name the log's pages give its record ("Bimtek Arsip · Ajeng Lestari"), one statement per
    kind of record; "enrolment #13" for a kind without names or a record gone."""
    from .vocabulary import _SUBJECTS
    names: dict[tuple[str, str], str] = {}
    for subject_type in {m.subject_type for m in mismatches}:
        find = _SUBJECTS.get(subject_type)
        if find:
            ids = [str(m.subject_id) for m in mismatches if m.subject_type == subject_type]
            names.update({(subject_type, i): name for i, name in find(ids).items()})
    return [(m, names.get((m.subject_type, str(m.subject_id))) or f"{m.subject_type} #{m.subject_id}")
            for m in mismatches]

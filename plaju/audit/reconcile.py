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

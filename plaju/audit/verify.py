"""Walk the chain, compare it with the newest signed checkpoint, and name what is wrong.

Which rule a row's hash follows is derived from its position, never stored in the row (a stored
flag could be flipped by whoever edits the row):
- a chain keyed from the start has an HMAC-SHA256 first row, and every row is HMAC;
- a chain begun before keying has plain SHA-256 rows up to the first `audit.keyed` event, and that
  event and every row after it are HMAC. Once keyed, a SHA-256 row is a forgery.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..i18n import lazy_gettext as _l
from . import checkpoint as checkpoints
from .models import GENESIS, AuditEvent

KEYED_ACTION = "audit.keyed"


def audit_key() -> str:
    return current_app.config["AUDIT_KEY"]


@dataclass
class Verdict:
    ok: bool
    checked: int
    head: str
    broken_seq: int | None = None
    reason: str = ""
    head_seq: int = 0
    keyed_from: int | None = None  # first HMAC row, None while the chain is not keyed
    checkpoint: checkpoints.Checkpoint | None = None  # the newest one compared with
    stale: bool = False
    warnings: list = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Intact and proven complete up to a fresh checkpoint: nothing to warn about."""
        return self.ok and not self.warnings


def walk_chain(session=None, *, key: str | None = None, batch: int = 5000,
               remember: frozenset | set = frozenset()) -> tuple[Verdict, dict[int, str]]:
    """Check every link. Returns the verdict and the hashes at the `remember` sequence numbers."""
    session = session or db.session
    key = key or audit_key()
    # streamed in seq order; memory stays flat however long the log grows
    result = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(
        yield_per=batch))
    try:
        return _walk(result.scalars(), key, remember)
    finally:
        result.close()  # a PostgreSQL server-side cursor left open by an early return


def _walk(rows, key, remember):
    expected_seq, prev_hash, checked, keyed_from = 1, GENESIS, 0, None
    seen: dict[int, str] = {}

    def broken(seq, reason):
        return Verdict(False, checked, prev_hash, seq, reason, head_seq=expected_seq - 1,
                       keyed_from=keyed_from), seen

    for event in rows:
        if event.seq != expected_seq:
            return broken(expected_seq, _l("missing event(s)") if event.seq > expected_seq
                          else _l("sequence out of order"))
        if event.prev_hash != prev_hash:
            return broken(event.seq, _l("its link to the event before does not match"))
        if keyed_from is not None:
            if event.compute_hash(key) != event.hash:
                return broken(event.seq, _l("its content does not match its security seal (hash) made with "
                                            "the audit key: altered, or written without the key"))
        elif (event.seq == 1 or event.action == KEYED_ACTION) and event.compute_hash(key) == event.hash:
            keyed_from = event.seq
        elif event.compute_hash() != event.hash:
            return broken(event.seq, _l("its content does not match its security seal (hash)"))
        if event.seq in remember:
            seen[event.seq] = event.hash
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return Verdict(True, checked, prev_hash, head_seq=checked, keyed_from=keyed_from), seen


def verify_chain(batch: int = 5000, *, session=None, check_age: bool = True) -> Verdict:
    """The chain's links, then the chain against every signed checkpoint and the newest one's age.

    Without any checkpoint the links can be intact while the newest events (or all of them) are
    gone: the verdict is then ok with a warning, never `intact`."""
    key = audit_key()
    config = current_app.config
    try:
        found, bad_lines, unreadable = *checkpoints.read(config["AUDIT_CHECKPOINT_FILE"], key), None
    except OSError as exc:  # e.g. permissions: a failed check, not a crashed page
        found, bad_lines, unreadable = [], [], exc.strerror or str(exc)
    verdict, seen = walk_chain(session, key=key, batch=batch, remember={c.seq for c in found})
    if not verdict.ok:
        return verdict
    if unreadable:
        verdict.ok = False
        verdict.reason = _l("the checkpoint file cannot be read (%(error)s)", error=unreadable)
        return verdict
    if bad_lines:
        verdict.ok = False
        verdict.reason = _l("line %(line)s of the checkpoint file is not signed with the audit key "
                            "(altered, forged, or another key)", line=bad_lines[0])
        return verdict
    if verdict.head_seq and verdict.keyed_from is None:
        verdict.warnings.append(_l("The log is not sealed with the office's key yet: someone with access "
                                   "to the database could rewrite it unnoticed. Ask the administrator to set "
                                   "the audit key."))
    if not found:
        verdict.warnings.append(_l("There is no checkpoint yet, so deleted newest events or an "
                                   "emptied log cannot be detected. Ask the administrator to schedule the "
                                   "daily checkpoint."))
        return verdict
    for checkpoint in found:
        if 0 < checkpoint.seq <= verdict.head_seq and seen.get(checkpoint.seq) != checkpoint.hash:
            verdict.ok, verdict.broken_seq, verdict.checkpoint = False, checkpoint.seq, checkpoint
            verdict.reason = _l("it differs from the checkpoint of %(at)s: the chain was rewritten",
                                at=checkpoint.at_text)
            return verdict
    newest = verdict.checkpoint = found[-1]
    if newest.seq > verdict.head_seq:
        verdict.ok, verdict.broken_seq = False, verdict.head_seq + 1
        if verdict.head_seq == 0:
            verdict.reason = _l("the log is empty: events 1-%(last)s missing since the checkpoint of "
                                "%(at)s", last=newest.seq, at=newest.at_text)
        else:
            verdict.reason = _l("events %(first)s-%(last)s missing since the checkpoint of %(at)s",
                                first=verdict.head_seq + 1, last=newest.seq, at=newest.at_text)
        return verdict
    hours = config["AUDIT_CHECKPOINT_MAX_AGE_HOURS"]
    if check_age and checkpoints.now() - newest.at > timedelta(hours=hours):
        verdict.ok, verdict.stale = False, True
        verdict.reason = _l("the newest checkpoint, of %(at)s, is older than %(hours)s hours: events "
                            "since then are not covered (check that the scheduled job runs)",
                            at=newest.at_text, hours=format(hours, "g"))
    return verdict


# built once: the audit page and the home card ask for the head on every view
_HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


def head() -> tuple[int, str]:
    row = db.session.execute(_HEAD).first()
    return (row.seq, row.hash) if row else (0, GENESIS)

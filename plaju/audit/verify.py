"""Walk the chain and name the first broken link."""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from .models import GENESIS, AuditEvent


@dataclass
class Verdict:
    ok: bool
    checked: int
    head: str
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(batch: int = 5000) -> Verdict:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    # streamed in seq order; memory stays flat however long the log grows
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(
        yield_per=batch)).scalars()
    for event in rows:
        if event.seq != expected_seq:
            reason = "missing event(s)" if event.seq > expected_seq else "sequence out of order"
            return Verdict(False, checked, prev_hash, expected_seq, reason)
        if event.prev_hash != prev_hash:
            return Verdict(False, checked, prev_hash, event.seq, "prev_hash does not match the event before")
        if event.compute_hash() != event.hash:
            return Verdict(False, checked, prev_hash, event.seq, "content does not match its hash")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return Verdict(True, checked, prev_hash)


def head() -> tuple[int, str]:
    row = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())
                             .limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)

"""Whether each event a page shows still matches its own seal: its stored hash computed again from its
content, as the chain computes it (models.chain_hash; verify.py for which rule holds for which row).

An event edited in the database (a JP changed from 24 to 12) breaks the chain at its seq, and `verify`
says so; the pages that show the event say it too, on its own row. Only the row's own HMAC is checked,
from what the page already read: no statement for a chain keyed from the start, one per page that shows
rows sealed before the chain was keyed (where that rule ends). The links between rows are verify's.
"""
from sqlalchemy import select

from ..extensions import db
from .models import AuditEvent
from .verify import KEYED_ACTION, audit_key


def altered(events) -> set[int]:
    """The seqs of the events whose content no longer matches their stored hash."""
    key = audit_key()
    suspect = [e for e in events if e.compute_hash(key) != e.hash]
    if not suspect:
        return set()
    # plain SHA-256 holds only for the rows of a chain begun before keying, below its first keyed row
    plain = [e.seq for e in suspect if e.compute_hash() == e.hash]
    keyed_from = _keyed_from(key) if plain else None
    allowed = {seq for seq in plain if keyed_from is None or seq < keyed_from}
    return {e.seq for e in suspect} - allowed


def _keyed_from(key: str) -> int | None:
    """The first row sealed with the key: row 1 of a chain keyed from the start, else the first
    `audit.keyed` event (the only rows that may start the keyed part; nobody without the key can write one)."""
    starts = db.session.scalars(select(AuditEvent).where(
        (AuditEvent.seq == 1) | (AuditEvent.action == KEYED_ACTION)).order_by(AuditEvent.seq))
    return next((e.seq for e in starts if e.compute_hash(key) == e.hash), None)

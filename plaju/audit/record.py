"""Appending to the audit log. The caller's transaction commits the event with its own changes."""
import uuid

from flask import g, has_request_context, request
from sqlalchemy import select, text

from ..database import is_postgres, utcnow
from ..extensions import db
from .models import GENESIS, AuditEvent, canonical_json

# any constant works; it only has to be the same for every writer of the log
_PG_APPEND_LOCK = 727_001


def request_id() -> str | None:
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    return g.request_id


def record(action: str, *, actor=None, acting_for=None, outcome: str = "ok", subject=None,
           subject_type: str | None = None, subject_id=None, from_state=None, to_state=None,
           comment: str | None = None, changes: dict | None = None, actor_name: str | None = None,
           session=None) -> AuditEvent:
    """Append one event in the current transaction and return it.

    Appends are serialised: by an advisory lock held to commit on PostgreSQL, and by SQLite's single
    writer (every SQLite transaction begins IMMEDIATE), so two writers never chain from one head.
    """
    session = session or db.session
    if is_postgres():
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_APPEND_LOCK})
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())
                           .limit(1)).first()
    if subject is not None:
        subject_type = subject_type or subject.__tablename__
        subject_id = subject.id
    event = AuditEvent(
        seq=(head.seq + 1) if head else 1,
        occurred_at=utcnow().isoformat(timespec="microseconds"),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name if actor_name is not None else (getattr(actor, "full_name", "") or ""),
        acting_for_id=getattr(acting_for, "id", None),
        action=action, outcome=outcome,
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        from_state=from_state, to_state=to_state, comment=comment or None,
        changes=canonical_json(changes) if changes else None,
        request_id=request_id(),
        ip=request.remote_addr if has_request_context() else None,
        prev_hash=head.hash if head else GENESIS,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    return event


def record_alone(action: str, **kwargs) -> AuditEvent:
    """Append an event in a transaction of its own (refusals, failed logins) and commit it."""
    db.session.rollback()
    event = record(action, **kwargs)
    db.session.commit()
    return event


def history(subject_type: str, subject_id) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == subject_type,
                                 AuditEvent.subject_id == str(subject_id)).order_by(AuditEvent.seq)))

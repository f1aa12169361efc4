"""Keeps `report_service_fact` up to date from the document steps, and rebuilds it from raw rows.

The receiver listens to the engine's `assignments_changed` signal, which every step of the document
workflow (and the intake) sends inside its own transaction, so the row commits or rolls back with the
step. `rebuild()` recomputes every row from the request rows and the audit trail of their steps.
"""
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import joinedload

from ..audit.models import AuditEvent
from ..database import utcnow
from ..documents import sla
from ..documents.calendar import holiday_set
from ..documents.models import DocumentRequest
from ..documents.workflow import DOCUMENT_FLOW
from ..extensions import db
from ..workflow.signals import assignments_changed
from .models import ServiceFact

SPEC = "document"


def month_of(moment: datetime | None) -> str | None:
    """The WIB calendar month of a naive UTC moment, as 'YYYY-MM'."""
    return None if moment is None else sla.wib_date(moment).strftime("%Y-%m")


def _new_fact(req: DocumentRequest) -> ServiceFact:
    return ServiceFact(request_id=req.id, type_id=req.type_id, kelurahan=req.kelurahan, state=req.state,
                       received_at=req.received_at, received_month=month_of(req.received_at),
                       last_month=month_of(req.received_at), budget_minutes=req.budget_minutes,
                       returned_minutes=0, returned_times=0)


def _copy_outcome(fact: ServiceFact, req: DocumentRequest, holidays) -> None:
    """What the request row itself says: state, ready (service clock), handed over (pick-up delay)."""
    fact.state = req.state
    fact.type_id, fact.kelurahan, fact.budget_minutes = req.type_id, req.kelurahan, req.budget_minutes
    if fact.ready_month is not None and fact.ready_month < month_of(utcnow()):
        pass  # ready in a month now closed: that month's report reads the same, whatever came later (a recall)
    elif req.ready_at is not None:
        fact.ready_at, fact.ready_month = req.ready_at, month_of(req.ready_at)
        fact.service_minutes = req.service_minutes
    else:  # never ready, or recalled from ready this month: not among the month's finished requests
        fact.ready_at = fact.ready_month = fact.service_minutes = None
    if req.state == "handed_over" and req.closed_at is not None:
        fact.handed_at, fact.handed_month = req.closed_at, month_of(req.closed_at)
        fact.pickup_minutes = (sla.working_minutes_between(req.ready_at, req.closed_at, holidays)
                               if req.ready_at is not None else None)


# a step's locking read brings the fact along: keeping it costs the step no read of its own
DOCUMENT_FLOW.lock_options.append(joinedload(DocumentRequest.service_fact))


@assignments_changed.connect
def _document_changed(spec, entity=None, step=None, from_state=None, ctx=None, **_kwargs):
    if spec.name != SPEC or entity is None:
        return
    fact = entity.service_fact
    if fact is None:
        fact = entity.service_fact = _new_fact(entity)
    if ctx is None:  # intake, or assignments recomputed by hand: no step was taken
        return
    holidays = ctx.data.get("holidays")
    if holidays is None:
        holidays = holiday_set()
    if from_state == "returned" and entity.state != "returned" and fact.returned_since is not None:
        fact.returned_minutes += sla.working_minutes_between(fact.returned_since, ctx.now, holidays)
        fact.returned_since = None
    if entity.state == "returned" and from_state != "returned":
        fact.returned_since = ctx.now
        fact.returned_times += 1
    _copy_outcome(fact, entity, holidays)
    fact.last_month = max(fact.last_month, month_of(ctx.now))


def rebuild(batch: int = 2000) -> int:
    """Recompute every row from `document_request` and the audit events of its steps; returns the count.

    Time back with the citizen comes from the steps into and out of 'returned' (their audit events'
    times, which the steps record at the step's own moment); the month of the last step from the
    newest step event."""
    holidays = holiday_set()
    sid = AuditEvent.subject_id
    returns: dict[str, list] = {}
    for subject_id, at, from_state, to_state in db.session.execute(
            select(sid, AuditEvent.occurred_at, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.subject_type == SPEC, AuditEvent.outcome == "ok",
                   or_(AuditEvent.to_state == "returned", AuditEvent.from_state == "returned"))
            .order_by(AuditEvent.seq)):
        returns.setdefault(subject_id, []).append((datetime.fromisoformat(at), from_state, to_state))
    last_step = dict(db.session.execute(
        select(sid, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.subject_type == SPEC, AuditEvent.outcome == "ok", AuditEvent.to_state.is_not(None))
        .group_by(sid)).all())
    db.session.execute(delete(ServiceFact))
    count = 0
    last_id = 0
    while True:
        requests = db.session.scalars(select(DocumentRequest).where(DocumentRequest.id > last_id)
                                      .order_by(DocumentRequest.id).limit(batch)).all()
        if not requests:
            break
        for req in requests:
            fact = _new_fact(req)
            since = None
            for at, from_state, to_state in returns.get(str(req.id), ()):
                if to_state == "returned" and from_state != "returned":
                    since = at
                    fact.returned_times += 1
                elif from_state == "returned" and since is not None:
                    fact.returned_minutes += sla.working_minutes_between(since, at, holidays)
                    since = None
            fact.returned_since = since
            _copy_outcome(fact, req, holidays)
            stepped = last_step.get(str(req.id))
            if stepped is not None:
                fact.last_month = max(fact.last_month, month_of(datetime.fromisoformat(stepped)))
            db.session.add(fact)
            count += 1
        last_id = requests[-1].id
        db.session.flush()
        db.session.expunge_all()
    db.session.commit()
    return count


def kept_rows() -> list[tuple]:
    """Every row as a tuple, for comparing the kept table with a rebuilt one."""
    columns = [c for c in ServiceFact.__table__.columns]
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(ServiceFact.request_id))]


__all__ = ["rebuild", "kept_rows", "month_of"]

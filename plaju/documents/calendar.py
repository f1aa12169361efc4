"""The office calendar: the public holidays and joint leave days the service clock skips.

Its own module so the workflow (which keeps the clock) and the services (which show it) both read it
without importing each other.
"""
from sqlalchemy import event, select

from .. import shared_copies
from ..extensions import db
from .models import Holiday

_NAME = "holiday"


def holiday_set() -> frozenset:
    """The holidays: the process's copy while the table has not changed since it was taken (a trigger
    renews the stamp the signed-in request reads, see shared_copies), else read afresh."""
    return shared_copies.copy_of(_NAME, lambda: frozenset(db.session.scalars(select(Holiday.day))))


@event.listens_for(Holiday, "after_insert")
@event.listens_for(Holiday, "after_update")
@event.listens_for(Holiday, "after_delete")
def _forget(*_args) -> None:
    shared_copies.changed(_NAME)


def reschedule_open(day) -> int:
    """A holiday added or removed for `day` (to come): the due time of every open request whose service
    clock runs and whose due time falls on or after that day is worked out again over the new calendar,
    so no citizen is promised a day the office is closed. Returns how many moved; the caller audits and
    commits."""
    from ..workflow.assignments import store
    from . import sla
    from .models import DocumentRequest
    from .subject_rules import needed_before
    from .workflow import CLOCK_STATES, DOCUMENT_FLOW
    days = frozenset(db.session.scalars(select(Holiday.day)))  # as it is in this transaction
    moved = 0
    for req in db.session.scalars(select(DocumentRequest).where(
            DocumentRequest.state.in_(CLOCK_STATES), DocumentRequest.clock_started_at.is_not(None),
            DocumentRequest.due_at >= sla.start_of_day_utc(day))):
        due = sla.due_time(req.clock_started_at, max(req.budget_minutes - req.clock_used_minutes, 0), days,
                           needed_before(req))
        if due != req.due_at:
            req.due_at = due
            store(DOCUMENT_FLOW, req, only_if_changed=True)  # the to-do lists order and flag by it
            moved += 1
    return moved

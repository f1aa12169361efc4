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

"""The office calendar: the public holidays and joint leave days the service clock skips.

Its own module so the workflow (which keeps the clock) and the services (which show it) both read it
without importing each other.
"""
from flask import has_request_context, request
from sqlalchemy import event, select

from ..extensions import db
from .models import Holiday

_KEY = "plaju.holidays"


def holiday_set() -> frozenset:
    """The holidays, read once per request: a step computes its due time with them and the page
    answering it shows the clock with them again. Adding or removing a holiday forgets the copy."""
    if not has_request_context():
        return frozenset(db.session.scalars(select(Holiday.day)))
    # kept in the request's environ, not g: an application context can outlive one request
    days = request.environ.get(_KEY)
    if days is None:
        days = request.environ[_KEY] = frozenset(db.session.scalars(select(Holiday.day)))
    return days


@event.listens_for(Holiday, "after_insert")
@event.listens_for(Holiday, "after_update")
@event.listens_for(Holiday, "after_delete")
def _forget(*_args) -> None:
    if has_request_context():
        request.environ.pop(_KEY, None)

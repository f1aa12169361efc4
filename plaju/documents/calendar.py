"""The office calendar: the public holidays and joint leave days the service clock skips.

Its own module so the workflow (which keeps the clock) and the services (which show it) both read it
without importing each other.
"""
from sqlalchemy import select

from ..extensions import db
from .models import Holiday


def holiday_set() -> frozenset:
    return frozenset(db.session.scalars(select(Holiday.day)))

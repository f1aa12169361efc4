"""Working time for service standards: Monday-Friday, 08.00-16.00 WIB, minus the holiday table.

A service standard is a budget of working minutes (a working day is 8 working hours). The clock runs
while a request is in a state with `clock=True`, is paused while the request is back with the
citizen, and stops when the document is ready. Stored datetimes are naive UTC.
"""
from datetime import UTC, date, datetime, time, timedelta

from ..timeutil import WIB

OPEN = time(8, 0)
CLOSE = time(16, 0)
DAY_MINUTES = 8 * 60


def budget_minutes(amount: int, unit: str) -> int:
    return amount * (60 if unit == "hours" else DAY_MINUTES)


def is_working_day(day: date, holidays=frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def _wib(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(WIB)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=WIB)


def add_working_minutes(start: datetime, minutes: int, holidays=frozenset()) -> datetime:
    """The moment (naive UTC) when `minutes` of working time have passed after `start`."""
    here = _wib(start)
    day = here.date()
    cursor = max(here, _at(day, OPEN))
    remaining = max(int(minutes), 0)
    while True:
        if is_working_day(day, holidays) and cursor < _at(day, CLOSE):
            left_today = int((_at(day, CLOSE) - cursor).total_seconds() // 60)
            if remaining <= left_today:
                return _utc(cursor + timedelta(minutes=remaining))
            remaining -= left_today
        day += timedelta(days=1)
        cursor = _at(day, OPEN)


def due_time(start: datetime, minutes: int, holidays=frozenset(), before: date | None = None) -> datetime:
    """When `minutes` of working time after `start` end, but when the document is needed before a day (a
    dispensation before its wedding) no later than the close of the last working day before it, or the close
    of the first working day from `start` when no working day is left before it."""
    due = add_working_minutes(start, minutes, holidays)
    if before is None:
        return due
    limit = last_working_moment(start_of_day_utc(before), holidays)
    if limit <= _utc(_wib(start)):
        first = _wib(add_working_minutes(start, 0, holidays))
        limit = _utc(_at(first.date(), CLOSE))
    return min(due, limit)


def last_working_moment(value: datetime, holidays=frozenset()) -> datetime:
    """`value` (naive UTC) if the office is open then, else the close of the last working day before it."""
    here = _wib(value)
    day = here.date()
    while not (is_working_day(day, holidays) and here > _at(day, OPEN)):
        day -= timedelta(days=1)
        here = _at(day, CLOSE)
    return _utc(min(here, _at(day, CLOSE)))


def working_minutes_between(start: datetime, end: datetime, holidays=frozenset()) -> int:
    """Working minutes from `start` to `end` (naive UTC or aware); 0 when end is not after start."""
    a, b = _wib(start), _wib(end)
    if b <= a:
        return 0
    total = 0
    day = a.date()
    while day <= b.date():
        if is_working_day(day, holidays):
            lo = max(a, _at(day, OPEN))
            hi = min(b, _at(day, CLOSE))
            if hi > lo:
                total += int((hi - lo).total_seconds() // 60)
        day += timedelta(days=1)
    return total


def wib_date(value: datetime | None) -> date | None:
    return None if value is None else _wib(value).date()


def end_of_day_utc(day: date) -> datetime:
    """The first instant after `day` (WIB) ends, as naive UTC."""
    return _utc(datetime.combine(day + timedelta(days=1), time(0), tzinfo=WIB))


def start_of_day_utc(day: date) -> datetime:
    return _utc(datetime.combine(day, time(0), tzinfo=WIB))


def format_minutes(minutes: int | None) -> tuple[int, int, int]:
    """(working days, hours, minutes) for display."""
    minutes = int(minutes or 0)
    days, rest = divmod(minutes, DAY_MINUTES)
    return days, rest // 60, rest % 60


def working_time_text(minutes) -> str:
    """Working minutes in words: "2 hari kerja 4 jam 50 menit" (pages and the audit log alike)."""
    from ..i18n import gettext as _
    if minutes is None or minutes == "":
        return "-"
    if not (str(minutes).isascii() and str(minutes).isdigit()):
        return str(minutes)
    days, hours, mins = format_minutes(int(minutes))
    parts = []
    if days:
        parts.append(_("%(n)s working days", n=days))
    if hours:
        parts.append(_("%(n)s hours", n=hours))
    if mins or not parts:
        parts.append(_("%(n)s minutes", n=mins))
    return " ".join(parts)

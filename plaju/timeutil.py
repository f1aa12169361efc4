"""Time in WIB (Asia/Jakarta): the office's clock for dates, deadlines and display."""
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")

# set by database.clock_at: demo history that happened in the past sees its own moment, in the times it
# writes and in the dates it checks (an enrolment deadline, whether a course is over) alike
clock: ContextVar[datetime | None] = ContextVar("plaju_clock", default=None)


def now_wib() -> datetime:
    moment = clock.get()
    return to_wib(moment) if moment is not None else datetime.now(WIB)


def today_wib() -> date:
    return now_wib().date()


def to_wib(value: datetime) -> datetime:
    """Stored datetimes are naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(WIB)

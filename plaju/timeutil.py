"""Time in WIB (Asia/Jakarta): the office's clock for dates, deadlines and display."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def now_wib() -> datetime:
    return datetime.now(WIB)


def today_wib() -> date:
    return now_wib().date()


def to_wib(value: datetime) -> datetime:
    """Stored datetimes are naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(WIB)

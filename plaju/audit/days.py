"""The lowest and highest seq of each WIB day, so that a date search of /audit/ reads a range of seq.

audit_day holds, per WIB day, the lowest and highest seq among that day's events, for every event up to
audit_day_cover.covered_seq (the watermark). `refresh()` groups the events appended since the watermark
by WIB day, widens each day's (low, high) and moves the watermark, a batch at a time. It runs as a
scheduled job (`audit-days`, every five minutes), as `flask --app plaju audit index-days`, and after the
demo seeding; record() never touches it, so an audited step costs what it did.

A date search (search._date_range) reads the seqs between the lowest low and the highest high of its
days, and every event beyond the watermark whatever its time (events appended since the last refresh,
including ones whose time is old), still comparing the times: exactly the events of the period,
whether or not times rise with seq.

Two refreshes at once: each first locks the watermark row (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite every writing transaction holds the single write lock from its BEGIN IMMEDIATE), so the second
waits and starts from the watermark the first left. Widening only ever takes min/max, so running a
batch twice changes nothing. Seqs are given under the append lock and committed in order, so the events
a statement sees are every seq up to the newest it sees: no event below the watermark arrives later.
"""
from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import for_update
from ..extensions import db
from .models import AuditDay, AuditDayCover, AuditEvent

BATCH = 200_000  # events per transaction: a first run over a large log does not hold the lock long
COVER_ID = 1
# the start of a WIB day (00.00 UTC+7) is 17.00 UTC of the day before, the form search._utc_iso gives
_WIB_DAY_STARTS = "T17:00:00.000000"


def wib_day():
    """The WIB day of an event, from occurred_at as text: the day after its UTC date from 17.00 UTC on.
    Compared as text, as the search compares times, so an event's day and the search's bounds agree."""
    at = AuditEvent.occurred_at
    utc_date = func.substr(at, 1, 10)
    late = func.substr(at, 11) >= _WIB_DAY_STARTS
    if db.engine.dialect.name == "sqlite":
        return case((late, func.date(utc_date, "+1 day")), else_=utc_date)
    return case((late, cast(utc_date, Date) + 1), else_=cast(utc_date, Date))


def _insert():
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert


def _claim(session) -> int:
    """Lock the watermark (made at 0 if missing) and return it."""
    session.execute(_insert()(AuditDayCover).values(id=COVER_ID, covered_seq=0)
                    .on_conflict_do_nothing(index_elements=["id"]))
    return session.scalar(for_update(select(AuditDayCover.covered_seq).where(AuditDayCover.id == COVER_ID)))


def _widen(session, after: int, upto: int) -> None:
    day = wib_day().label("day")
    grouped = select(day, func.min(AuditEvent.seq), func.max(AuditEvent.seq)) \
        .where(AuditEvent.seq > after, AuditEvent.seq <= upto).group_by(day)
    stmt = _insert()(AuditDay).from_select(["day", "low_seq", "high_seq"], grouped)
    lower, upper = (func.least, func.greatest) if db.engine.dialect.name == "postgresql" else (func.min, func.max)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={
        "low_seq": lower(AuditDay.low_seq, stmt.excluded.low_seq),
        "high_seq": upper(AuditDay.high_seq, stmt.excluded.high_seq)})
    session.execute(stmt)


def refresh(batch: int = BATCH, session=None) -> int:
    """Bring audit_day up to the newest event, committing each batch; returns how many events it
    counted (0 when already up to date). Safe to run at any time, twice at once, or again."""
    session = session or db.session
    session.rollback()  # a transaction of its own (on SQLite: one that holds the write lock)
    counted = 0
    while True:
        covered = _claim(session)
        head = session.scalar(select(func.max(AuditEvent.seq))) or 0
        if head <= covered:
            session.commit()
            return counted
        upto = min(head, covered + batch)
        _widen(session, covered, upto)
        session.execute(AuditDayCover.__table__.update().where(AuditDayCover.id == COVER_ID)
                        .values(covered_seq=upto))
        session.commit()
        counted += upto - covered


def covered_seq(session=None) -> int:
    session = session or db.session
    return session.scalar(select(AuditDayCover.covered_seq).where(AuditDayCover.id == COVER_ID)) or 0

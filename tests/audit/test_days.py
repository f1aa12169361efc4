"""audit_day (audit/days.py): the lowest and highest seq of each WIB day, kept by a refresh outside the
steps. A date search through it finds exactly the events of its days, whatever the order of times and
seqs and wherever the watermark is; refreshes are idempotent and wait for each other."""
import os
import random
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from plaju.audit import days
from plaju.audit import record as audit
from plaju.audit import search as searching
from plaju.audit.models import AuditDay, AuditDayCover, AuditEvent
from plaju.audit.search import parse
from plaju.database import clock_at
from plaju.timeutil import to_wib

FIRST = date(2026, 3, 1)


def _moment(rng) -> datetime:
    """A time in March-April 2026, often on or next to the edge of a WIB day (17.00 UTC)."""
    day = datetime.combine(FIRST + timedelta(days=rng.randrange(45)), datetime.min.time())
    edge = day + timedelta(hours=17)
    return rng.choice([day + timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(10**6)),
                       edge, edge - timedelta(microseconds=1), edge + timedelta(microseconds=1)])


def _record(users, rng, n: int) -> None:
    for _ in range(n):
        with clock_at(_moment(rng)):
            audit.record(rng.choice(["test.a", "test.b"]), actor=users[rng.choice(["hr", "clerk"])])
    audit.db.session.commit()


def _found(args: dict) -> list[int]:
    """Every row the search gives, a page of 7 at a time (keyset), newest first, as the page reads it."""
    search = parse(MultiDict(args))
    assert search.ok, search.errors
    found, before = [], None
    while True:
        page = [e.seq for e in search.rows(before=before, limit=7)]
        found += page
        if len(page) < 7:
            return found
        before = page[-1]


def _expected(db, start, end, action=None, actor_id=None) -> list[int]:
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    return [e.seq for e in rows if e.action.startswith("test.")
            and (start is None or start <= to_wib(datetime.fromisoformat(e.occurred_at)).date())
            and (end is None or to_wib(datetime.fromisoformat(e.occurred_at)).date() <= end)
            and (action is None or e.action == action) and (actor_id is None or e.actor_id == actor_id)]


def _check_searches(db, users, rng, rounds: int = 12) -> None:
    for _ in range(rounds):
        start = FIRST + timedelta(days=rng.randrange(-3, 46))
        end = start + timedelta(days=rng.choice([0, 0, 1, 6, 30]))
        start, end = rng.choice([(start, end), (start, end), (start, None), (None, end)])
        args = {"date_from": start and start.isoformat(), "date_to": end and end.isoformat()}
        action = actor = None
        shape = rng.randrange(3)
        if shape == 1:
            action = args["action"] = rng.choice(["test.a", "test.b"])
        elif shape == 2:
            actor = users[rng.choice(["hr", "clerk"])]
            args["person"] = actor.username
        found = _found(args)
        # a person is also an object of events (none here): only their own acts
        assert found == _expected(db, start, end, action, actor and actor.id), (args, days.covered_seq())


# the page's first read, the newest seqs that may match (search.WINDOW), tried on every search and small
# enough to fall short as often as it holds a page
WINDOWS = {"as configured": {}, "a window of 9 seqs on every search": {"WINDOW": 9, "_window_first": lambda s: True}}


@pytest.mark.parametrize("window", WINDOWS)
def test_a_date_search_is_exact_whatever_the_times_and_the_watermark(db, users, monkeypatch, window):
    for name, value in WINDOWS[window].items():
        monkeypatch.setattr(searching, name, value)
    rng = random.Random(int(os.environ.get("PLAJU_TEST_SEED", "22")))
    _record(users, rng, 60)
    _check_searches(db, users, rng)  # nothing counted yet: every event is beyond the watermark
    for batch in (1000, 13, 7, 1000):
        days.refresh(batch=batch)
        _check_searches(db, users, rng)
        _record(users, rng, 40)  # appended after the refresh, many with older times than the newest
        _check_searches(db, users, rng)
    days.refresh()
    assert days.covered_seq() == db.session.scalar(select(func.max(AuditEvent.seq)))
    _check_searches(db, users, rng, rounds=20)


def _day_rows(db) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(AuditDay.day, AuditDay.low_seq, AuditDay.high_seq).order_by(AuditDay.day))]


def _reference_days(db) -> list[tuple]:
    spans: dict = {}
    for seq, at in db.session.execute(select(AuditEvent.seq, AuditEvent.occurred_at)):
        day = to_wib(datetime.fromisoformat(at)).date()
        low, high = spans.get(day, (seq, seq))
        spans[day] = (min(low, seq), max(high, seq))
    return sorted((day, low, high) for day, (low, high) in spans.items())


def test_the_refresh_counts_each_wib_day_and_running_it_again_changes_nothing(db, users):
    seqs = []
    for moment in (datetime(2026, 3, 9, 16, 59, 59, 999999),  # 9 March 23.59 WIB
                   datetime(2026, 3, 9, 17, 0),  # 10 March 00.00 WIB
                   datetime(2026, 3, 8, 12, 0),  # 8 March, written last
                   datetime(2026, 3, 9, 0, 0)):  # 9 March again, after the 10th
        with clock_at(moment):
            seqs.append(audit.record("test.a", actor=users["hr"]).seq)
    db.session.commit()
    assert days.refresh(batch=2) == 4
    counted = _day_rows(db)
    assert counted == _reference_days(db) == [(date(2026, 3, 8), seqs[2], seqs[2]),
                                               (date(2026, 3, 9), seqs[0], seqs[3]),
                                               (date(2026, 3, 10), seqs[1], seqs[1])]
    assert days.refresh() == 0
    db.session.execute(update(AuditDayCover).values(covered_seq=0))  # as if the last run never ended
    db.session.commit()
    days.refresh(batch=1)
    assert _day_rows(db) == counted


@pytest.mark.skipif(not os.environ.get("PLAJU_TEST_DATABASE_URL"), reason="row locks: PostgreSQL")
def test_two_refreshes_at_once_wait_for_each_other_and_lose_nothing(app, db, users):
    rng = random.Random(7)
    _record(users, rng, 50)
    first = Session(db.engine)
    covered = days._claim(first)  # the first refresh holds the watermark
    outcome = {}

    def second():
        with app.app_context():
            with Session(db.engine) as session:
                outcome["counted"] = days.refresh(session=session)
    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the watermark's lock
    head = first.scalar(select(func.max(AuditEvent.seq)))
    days._widen(first, covered, head)
    first.execute(update(AuditDayCover).values(covered_seq=head))
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert outcome == {"counted": 0}  # it started from the watermark the first one left
    _record(users, rng, 20)
    threads = [threading.Thread(target=second) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    db.session.rollback()
    assert days.covered_seq() == db.session.scalar(select(func.max(AuditEvent.seq)))
    assert _day_rows(db) == _reference_days(db)


def test_the_command_counts_the_new_events_and_says_so(app, db, users):
    audit.record("test.a", actor=users["hr"])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "index-days"])
    assert result.exit_code == 0 and "1 new events counted" in result.output, result.output
    assert app.test_cli_runner().invoke(args=["audit", "index-days"]).output.startswith("audit days: 0 new")

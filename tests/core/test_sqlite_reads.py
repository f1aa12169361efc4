"""On SQLite the transactions of GET requests only read: they begin DEFERRED and never hold the single write
lock, so a slow page does not hold up someone signing. Writers still take the lock at BEGIN."""
import threading
import time

import pytest
from sqlalchemy import text

from plaju.audit import record as audit
from plaju.database import ReadOnlyTransaction, writing


@pytest.fixture(autouse=True)
def _sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")


def _hold_a_transaction(app, db, method: str, started: threading.Event, release: threading.Event):
    with app.test_request_context("/", method=method):
        db.session.execute(text("SELECT count(*) FROM audit_event")).scalar()  # the transaction has begun
        started.set()
        release.wait(10)
        db.session.rollback()
        db.session.remove()


def _write_while_held(app, db, method: str, hold_for: float) -> float:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_transaction, args=(app, db, method, started, release))
    holder.start()
    assert started.wait(5)
    timer = threading.Timer(hold_for, release.set)
    timer.start()
    t0 = time.perf_counter()
    try:
        with app.test_request_context("/", method="POST"):
            audit.record("test.write", actor_name="penguji")
            db.session.commit()
            db.session.remove()
        return time.perf_counter() - t0
    finally:
        release.set()
        timer.cancel()
        holder.join(10)


def test_a_slow_get_does_not_hold_up_a_writer(app, db):
    assert _write_while_held(app, db, "GET", hold_for=3) < 1.5


def test_a_post_transaction_does_hold_the_write_lock(app, db):
    # the same measurement with a writer's transaction open: the second writer waits for it
    assert _write_while_held(app, db, "POST", hold_for=1.5) >= 1.2


def test_a_get_that_writes_must_say_so(app, db):
    touch = text("UPDATE unit SET name = name WHERE id = 0")
    with app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT 1")).scalar()
        with pytest.raises(ReadOnlyTransaction):
            db.session.execute(touch)
        db.session.rollback()
        writing()
        db.session.execute(touch)
        db.session.commit()
        db.session.remove()


def test_an_audited_page_view_says_so_by_itself(app, db):
    # opening a scan or a draft letter, an export: audit.record() takes the write lock on its own
    with app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT count(*) FROM audit_event")).scalar()
        audit.record("test.view", actor_name="penguji")
        db.session.commit()
        db.session.remove()

"""The house's generic helpers: keyset paging, the row lock, refused events and before/after diffs."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from plaju.accounts.models import User
from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.core.paging import after_key, keyset_page
from plaju.database import is_postgres, lock_row
from plaju.workflow import Invalid, NotAllowed
from tests.support import make_user


def _walk(stmt, key, size, **kw):
    seen, after = [], None
    while True:
        page = keyset_page(stmt, key, after, size=size, **kw)
        seen += [row.id for row in page.rows]
        if not page.more:
            return seen
        after = page.next_key


def test_keyset_pages_cover_every_row_once_in_order_both_ways(db):
    ids = [make_user(f"pager{i:02d}").id for i in range(23)]
    db.session.commit()
    stmt = select(User).where(User.username.like("pager%"))
    assert _walk(stmt, User.id, 5) == sorted(ids)
    assert _walk(stmt, User.id, 5, descending=True) == sorted(ids, reverse=True)
    assert _walk(stmt, User.id, 23) == sorted(ids)  # exactly one full page: no empty page after it


def test_keyset_with_a_leading_column_continues_after_ties(db):
    base = datetime(2026, 11, 1, 8, 0)
    people = [make_user(f"tie{i:02d}") for i in range(12)]
    for i, person in enumerate(people):
        person.created_at = base + timedelta(minutes=(11 - i) // 3)  # ties of three, newest ids first
    db.session.commit()
    expected = [p.id for p in sorted(people, key=lambda p: (p.created_at, p.id))]
    stmt = select(User).where(User.username.like("tie%"))
    assert _walk(stmt, User.id, 4, lead=(User.created_at,)) == expected
    assert _walk(stmt, User.id, 5, lead=(User.created_at,), descending=True) == expected[::-1]
    middle = expected[5]
    rest = list(db.session.scalars(after_key(stmt, User.id, middle, lead=(User.created_at,))))
    assert [r.id for r in rest] == expected[6:]


def test_refused_leaves_one_event_and_nothing_pending(db):
    user = make_user("refusee")
    db.session.commit()
    user.full_name = "Not Kept"
    audit.refused("thing.do", error=Invalid("Tidak lengkap.", code="rule"), actor=user, subject_type="thing",
                  subject_id=7)
    audit.refused("thing.do", error=NotAllowed("Tidak boleh.", code="role"), actor=user, subject_type="thing",
                  subject_id=7)
    audit.refused("thing.do", reason="wrong password", actor=user)
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name != "Not Kept"
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "thing.do")
                              .order_by(AuditEvent.seq)).all()
    assert [(r.outcome, r.comment, r.subject_id) for r in rows] == [
        ("refused", "[input:rule] Tidak lengkap.", "7"), ("refused", "[role] Tidak boleh.", "7"),
        ("refused", "wrong password", None)]


def test_diff_keeps_only_changed_fields():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}
    assert audit.diff(None, {"a": 1, "b": None}) == {"a": [None, 1]}


@pytest.mark.postgres
@pytest.mark.skipif("not __import__('os').environ.get('PLAJU_TEST_DATABASE_URL')",
                    reason="row locks are PostgreSQL's; SQLite serialises every writer")
def test_lock_row_waits_and_reads_what_the_other_transaction_committed(app, db):
    """The second transaction waits for the first's FOR UPDATE and then sees its change, not the
    value its session held."""
    user = make_user("locked")
    db.session.commit()
    user_id = user.id
    assert db.session.get(User, user_id).full_name == "Locked Uji"  # held in this session
    held, release = threading.Event(), threading.Event()

    def other():
        with app.app_context():
            row = lock_row(User, user_id)
            row.full_name = "Changed First"
            held.set()
            release.wait(5)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=other)
    thread.start()
    assert held.wait(5)
    db.session.rollback()
    assert is_postgres()
    threading.Timer(0.3, release.set).start()
    row = lock_row(User, user_id)  # waits for the other transaction's commit
    thread.join(5)
    assert row.full_name == "Changed First"
    db.session.rollback()


def test_lock_row_of_a_missing_row_raises(db):
    with pytest.raises(Exception):  # noqa: B017  NoResultFound
        lock_row(User, 10**9)

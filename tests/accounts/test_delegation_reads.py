"""A person's delegations in force are read once per transaction (the to-do counter, the home page's cards
and a step's checks all ask), and afresh once a delegation was written or the transaction ended."""
from datetime import timedelta

from sqlalchemy import update

from plaju.accounts.models import Delegation, active_delegations
from plaju.timeutil import today_wib
from tests.support import statements_during


def _reads(db, fn) -> int:
    return len([s for s in statements_during(fn) if "FROM delegation" in s])


def _plh(db, users, **fields) -> Delegation:
    today = today_wib()
    delegation = Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                            starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1), **fields)
    db.session.add(delegation)
    return delegation


def test_delegations_are_read_once_per_transaction(db, users):
    sekcam = users["sekcam"]
    _plh(db, users)
    db.session.commit()
    assert _reads(db, lambda: [active_delegations(sekcam) for _ in range(3)]) == 1
    assert [d.principal.id for d in active_delegations(sekcam)] == [users["camat"].id]
    db.session.commit()  # a new transaction reads again
    assert _reads(db, lambda: active_delegations(sekcam)) == 1


def test_a_delegation_written_in_the_transaction_is_seen_by_the_next_read(db, users):
    sekcam = users["sekcam"]
    assert active_delegations(sekcam) == []
    delegation = _plh(db, users)
    db.session.flush()
    assert [d.id for d in active_delegations(sekcam)] == [delegation.id]
    delegation.revoked = True  # revoked through the model: forgotten at once
    db.session.flush()
    assert active_delegations(sekcam) == []


def test_a_delegation_revoked_by_another_transaction_is_gone_from_the_next_one(app, db, users):
    sekcam = users["sekcam"]
    delegation = _plh(db, users)
    db.session.commit()
    assert len(active_delegations(sekcam)) == 1
    delegation_id = delegation.id
    db.session.commit()  # (on SQLite this session's transaction would hold the writer's lock)
    with db.engine.begin() as other:  # a plain UPDATE elsewhere: no event reaches this session
        other.execute(update(Delegation.__table__).where(Delegation.__table__.c.id == delegation_id)
                      .values(revoked=True))
    assert active_delegations(sekcam) == []


def test_a_change_not_yet_flushed_or_undone_by_a_savepoint_is_seen(db, users):
    sekcam = users["sekcam"]
    delegation = _plh(db, users)
    db.session.commit()
    assert len(active_delegations(sekcam)) == 1
    delegation.revoked = True  # pending, not flushed: the next read flushes it first
    assert active_delegations(sekcam) == []
    savepoint = db.session.begin_nested()
    delegation.revoked = False
    assert len(active_delegations(sekcam)) == 1
    savepoint.rollback()  # the savepoint's change is undone: read again
    assert active_delegations(sekcam) == []


def test_an_orm_update_statement_is_seen(db, users):
    sekcam = users["sekcam"]
    _plh(db, users)
    db.session.commit()
    assert len(active_delegations(sekcam)) == 1
    db.session.execute(update(Delegation).where(Delegation.delegate_id == sekcam.id).values(revoked=True))
    assert active_delegations(sekcam) == []

"""The keyed chain: events cannot be forged without PLAJU_AUDIT_KEY, and an old unkeyed chain is
keyed without being rewritten."""
import pytest
from sqlalchemy import select

from plaju.audit import record as audit
from plaju.audit.models import AuditEvent, chain_hash
from plaju.audit.record import AuditChainError
from plaju.audit.verify import KEYED_ACTION, verify_chain
from tests.audit.conftest import insert_rows, row, tamper, unkeyed_chain


def _events(db):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _record(db, users, n):
    for i in range(n):
        audit.record(f"test.keyed{i}", actor=users["hr"], comment=f"peristiwa {i}")
    db.session.commit()


def test_a_new_chain_is_keyed_from_its_first_event(app, db, users):
    _record(db, users, 3)
    events = _events(db)
    key = app.config["AUDIT_KEY"]
    assert [e.seq for e in events] == [1, 2, 3]
    for event in events:
        assert event.hash == event.compute_hash(key)
        assert event.hash != event.compute_hash()  # not the plain SHA-256 anyone could compute
    verdict = verify_chain()
    assert verdict.ok and verdict.keyed_from == 1


def test_a_forged_event_with_a_correct_sha256_is_named(app, db, users):
    _record(db, users, 4)
    head = _events(db)[-1]
    # the attacker has the database but not the key: a perfectly chained plain SHA-256 row
    insert_rows(db, [row(5, head.hash, actor_name="Camat Uji", action="document.sign")])
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq, verdict.checked) == (False, 5, 4)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN at seq 5" in result.output
    # and the app refuses to chain its next event onto the forgery
    with pytest.raises(AuditChainError, match="#5"):
        audit.record("test.after_forgery", actor=users["hr"])
    db.session.rollback()


def test_a_wrong_key_is_refused_rather_than_rekeying(app, db, users):
    _record(db, users, 2)
    good = app.config["AUDIT_KEY"]
    app.config["AUDIT_KEY"] = "k" * 64
    try:
        assert not verify_chain().ok
        with pytest.raises(AuditChainError, match="neither"):
            audit.record("test.other_key", actor=users["hr"])
        db.session.rollback()
    finally:
        app.config["AUDIT_KEY"] = good
    assert verify_chain().ok and len(_events(db)) == 2


def test_keying_an_old_chain_keeps_its_rows_and_appends_a_keyed_event(app, db, users):
    old = unkeyed_chain(db, 5)
    before = verify_chain()
    assert before.ok and before.keyed_from is None and before.warnings  # "not keyed yet" is said
    audit.record("test.first_keyed", actor=users["hr"], comment="sesudah kunci")
    audit.record("test.second_keyed", actor=users["hr"])
    db.session.commit()
    events = _events(db)
    assert [(e.seq, e.hash) for e in events[:5]] == [(r["seq"], r["hash"]) for r in old]  # not rewritten
    keyed = events[5]
    assert (keyed.seq, keyed.action, keyed.prev_hash) == (6, KEYED_ACTION, old[-1]["hash"])
    assert f"unkeyed head #5 {old[-1]['hash']}" in keyed.comment and "5 unkeyed events verified" in keyed.comment
    assert [e.action for e in events[6:]] == ["test.first_keyed", "test.second_keyed"]
    key = app.config["AUDIT_KEY"]
    assert all(e.hash == e.compute_hash() for e in events[:5])
    assert all(e.hash == e.compute_hash(key) for e in events[5:])
    verdict = verify_chain()
    assert (verdict.ok, verdict.checked, verdict.keyed_from) == (True, 8, 6)
    # a plain SHA-256 event after the keyed one is a forgery, even correctly chained
    insert_rows(db, [row(9, events[-1].hash)])
    assert (verify_chain().ok, verify_chain().broken_seq) == (False, 9)


def test_the_old_part_is_still_checked_by_its_own_rule(db, users):
    unkeyed_chain(db, 4)
    _record(db, users, 2)
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq) == (False, 2)


def test_a_forged_keyed_event_cannot_switch_the_rule(app, db):
    # an attacker calls his row "audit.keyed" but cannot compute its HMAC: it stays a plain row
    rows = unkeyed_chain(db, 3)
    insert_rows(db, [row(4, rows[-1]["hash"], action=KEYED_ACTION)])
    verdict = verify_chain()
    assert verdict.ok and verdict.keyed_from is None  # an unkeyed chain, and said so
    assert any("not keyed" in str(w) or "belum" in str(w) for w in verdict.warnings)


def test_keying_a_broken_old_chain_goes_ahead_and_records_the_break(db, users):
    unkeyed_chain(db, 4)
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    audit.record("test.keyed_after_break", actor=users["hr"])
    db.session.commit()
    keyed = _events(db)[4]
    assert keyed.action == KEYED_ACTION and "broken at #2" in keyed.comment
    assert verify_chain().broken_seq == 2  # the old break stays visible


def test_a_forgery_after_keying_is_refused_even_when_the_old_part_is_broken(db, users):
    unkeyed_chain(db, 4)
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    _record(db, users, 2)  # keys the chain (event 5), then events 6 and 7
    insert_rows(db, [row(8, _events(db)[-1].hash)])
    with pytest.raises(AuditChainError, match="keyed since event #5"):
        audit.record("test.after_forgery", actor=users["hr"])
    db.session.rollback()
    assert [e.action for e in _events(db)].count(KEYED_ACTION) == 1


def test_the_audit_key_command_keys_an_old_chain_once(app, db):
    rows = unkeyed_chain(db, 3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "key"])
    assert result.exit_code == 0 and "chain keyed at event #4" in result.output
    assert "nothing to do" in runner.invoke(args=["audit", "key"]).output
    events = _events(db)
    assert [e.action for e in events][-1] == KEYED_ACTION and events[-1].prev_hash == rows[-1]["hash"]
    assert verify_chain().keyed_from == 4


def test_the_audit_key_command_refuses_a_head_forged_after_keying(app, db, users):
    _record(db, users, 2)
    insert_rows(db, [row(3, _events(db)[-1].hash)])
    result = app.test_cli_runner().invoke(args=["audit", "key"])
    assert result.exit_code == 1 and "keyed since event #1" in result.output
    assert len(_events(db)) == 3


def test_one_append_reads_only_the_head(app, db, users):
    from sqlalchemy import event as sa_event
    _record(db, users, 3)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        audit.record("test.cheap", actor=users["hr"])
        db.session.flush()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    db.session.commit()
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")
             and ("audit_event" in s or "audit_locked_head" in s)]
    assert len(reads) == 1, statements
    # PostgreSQL: the append lock is taken by the same statement (migration 0024's function)
    assert not [s for s in statements if "pg_advisory_xact_lock" in s], statements


def test_hash_rules_differ(app):
    payload = {"seq": 1}
    assert chain_hash("0" * 64, payload) != chain_hash("0" * 64, payload, app.config["AUDIT_KEY"])

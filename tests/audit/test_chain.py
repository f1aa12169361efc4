"""The hash chain: intact after real work; any edit, deletion, insertion or reordering is named."""
import pytest
from sqlalchemy import text

from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from tests.audit.conftest import tamper as _tamper


@pytest.fixture()
def chain(db, users):
    """Six events, seq 1 to 6 (creating the test users records nothing)."""
    for n in range(6):
        audit.record(f"test.event{n}", actor=users["hr"], comment=f"peristiwa {n}",
                     changes={"n": [n, n + 1]})
    db.session.commit()
    return db


def _cli_verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_intact_chain_verifies_and_cli_exits_zero(app, chain, checkpoint_file):
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    assert verify_chain().intact
    result = _cli_verify(app)
    assert result.exit_code == 0, result.output
    assert "intact: 6 events" in result.output and "checkpoint of" in result.output


@pytest.mark.parametrize("attack,broken_seq", [
    ("UPDATE audit_event SET comment = 'diubah' WHERE seq = 5", 5),
    ("UPDATE audit_event SET actor_name = 'Orang Lain' WHERE seq = 3", 3),
    # in what capacity someone acted is hashed too: made the Camat's, or taken out
    ("UPDATE audit_event SET actor_as = '{\"name\":\"Uji\",\"position\":\"Camat Plaju\"}' WHERE seq = 2", 2),
    ("UPDATE audit_event SET actor_as = '' WHERE seq = 4", 4),
    ("DELETE FROM audit_event WHERE seq = 4", 4),
    ("UPDATE audit_event SET seq = seq + 100 WHERE seq = 6", 6),
])
def test_tampering_is_found_and_named(app, chain, attack, broken_seq):
    _tamper(chain, attack)
    verdict = verify_chain()
    assert not verdict.ok
    assert verdict.broken_seq == broken_seq
    result = _cli_verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at seq {broken_seq}" in result.output


def test_inserted_event_is_found(app, chain):
    # a forged event squeezed in: the ones after it no longer chain
    _tamper(chain, "UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 5")
    _tamper(chain, "UPDATE audit_event SET seq = seq - 999 WHERE seq >= 1000")
    forged = {c: None for c in ("actor_id", "acting_for_id", "subject_type", "subject_id", "from_state",
                                "to_state", "comment", "changes", "request_id", "ip")}
    _tamper(chain, "INSERT INTO audit_event (seq, occurred_at, actor_name, action, outcome, prev_hash, hash, "
                   + ", ".join(forged) + ") VALUES (5, '2026-01-01T00:00:00.000000', 'Palsu', 'forged', 'ok', "
                   "'x', 'y', " + ", ".join(f":{c}" for c in forged) + ")", **forged)
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq) == (False, 5)


def test_swapped_events_are_found(app, chain):
    _tamper(chain, "UPDATE audit_event SET seq = -1 WHERE seq = 4")
    _tamper(chain, "UPDATE audit_event SET seq = 4 WHERE seq = 5")
    _tamper(chain, "UPDATE audit_event SET seq = 5 WHERE seq = -1")
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq) == (False, 4)


@pytest.mark.skipif("not __import__('os').environ.get('PLAJU_TEST_DATABASE_URL')",
                    reason="the append-only trigger exists on PostgreSQL only")
def test_postgres_refuses_update_and_delete(chain):
    for statement in ("UPDATE audit_event SET comment = 'x' WHERE seq = 3", "DELETE FROM audit_event",
                      "TRUNCATE audit_event"):
        with pytest.raises(Exception, match="append-only"):
            with chain.engine.begin() as conn:
                conn.execute(text(statement))
    assert verify_chain().ok


def test_events_chain_from_the_previous_hash(chain):
    rows = chain.session.query(AuditEvent).order_by(AuditEvent.seq).all()
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1


def test_hr_sees_the_history_and_can_verify_it(app, client, login_as, chain, checkpoint_file):
    app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    login_as("hr")
    page = client.get("/audit/?action=test.event3")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "peristiwa 3" in body and "peristiwa 4" not in body
    verdict = client.post("/audit/verify")
    assert "Rantai utuh" in verdict.get_data(as_text=True)
    # HR can show that, and when, the chain was checked, and what it said
    checked = chain.session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert (checked.action, checked.outcome) == ("audit.verify", "ok")
    assert checked.comment.startswith("Utuh:") and checked.actor_name.startswith("Hr Uji")
    page = client.get("/audit/", query_string={"action": "audit.verify"}).get_data(as_text=True)
    assert "memeriksa keutuhan rantai log audit" in page


def test_ordinary_asn_cannot_read_the_audit_log(client, login_as, chain):
    login_as("asn")
    assert client.get("/audit/").status_code == 403


def test_an_append_that_waited_for_another_chains_from_the_event_the_other_committed(app, db, users):
    """Two appends at once: the second waits for the first's lock (PostgreSQL's advisory lock, SQLite's single
    writer), then reads the head the first committed. Reading it with a snapshot from before the wait would
    chain both from one head (the second INSERT would fail on the same seq)."""
    import threading

    audit.record("test.before", actor=users["hr"])
    db.session.commit()
    first_holds, first_done, second_asks = threading.Event(), threading.Event(), threading.Event()
    second = {}

    def append_second():
        with app.app_context(), app.test_request_context("/", method="POST"):
            try:
                assert first_holds.wait(10)
                second_asks.set()
                second["event"] = audit.record("test.second", actor_name="kedua")
                second["appended_after_first"] = first_done.is_set()  # it waited: the first had not committed
                db.session.commit()
                second["after_first"] = first_done.is_set()
            except Exception as error:  # reported by the assertions below
                second["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=append_second)
    thread.start()
    with app.test_request_context("/", method="POST"):
        first = audit.record("test.first", actor_name="pertama")
        first_holds.set()
        assert second_asks.wait(10)
        _until_an_append_waits(db)
        first_done.set()
        db.session.commit()
    thread.join(30)
    assert "error" not in second, second.get("error")
    assert second["appended_after_first"] and second["after_first"] and second["event"].seq == first.seq + 1
    assert second["event"].prev_hash == first.hash
    verdict = verify_chain()
    assert verdict.ok and verdict.checked == 3


def _until_an_append_waits(db) -> None:
    """PostgreSQL: until another connection waits for the append's advisory lock (seen in pg_locks).
    SQLite shows no waiter: the second append has just said it is asking, and is given a moment to reach
    its BEGIN IMMEDIATE; that it then waited is checked after (its append returned only once the first
    had committed)."""
    import time
    if db.engine.dialect.name != "postgresql":
        time.sleep(0.2)
        return
    deadline = time.monotonic() + 10
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar():
                return
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the second append never waited for the lock")


def test_the_log_names_the_position_held_when_acting_not_today_s(app, db, users, client, login_as):
    """HR changed a clerk's position: every earlier row of the log, on the pages and in the exports, read the
    new one, so HR could not prove in what capacity he had acted. The event keeps name and position."""
    from plaju.accounts.models import User
    from plaju.audit.sentences import render
    clerk = db.session.get(User, users["clerk"].id)
    clerk.position = "Pengolah Data"
    db.session.commit()
    before = audit.record("test.step", actor=clerk, comment="langkah lama")
    db.session.commit()
    clerk.position, clerk.full_name = "Pranata Komputer Ahli Pertama", clerk.full_name + " Baru"
    db.session.commit()
    after = audit.record("test.step", actor=clerk, comment="langkah baru")
    db.session.commit()
    old_line, new_line = (render([db.session.get(AuditEvent, e.seq)])[0].text for e in (before, after))
    assert "(Pengolah Data)" in old_line and "Baru" not in old_line
    assert "(Pranata Komputer Ahli Pertama)" in new_line
    assert verify_chain().ok
    login_as("hr")  # the page of the log says it too
    assert "(Pengolah Data)" in client.get("/audit/?action=test.step").text

"""Signed checkpoints: a deleted tail, an emptied log, a rewritten chain and a stale checkpoint all
fail `audit verify`, naming what is missing; without a checkpoint verify warns instead of "intact"."""
import os
import stat
from datetime import timedelta

from plaju.audit import checkpoint as checkpoints
from plaju.audit import record as audit
from plaju.audit.models import GENESIS
from plaju.audit.verify import verify_chain
from plaju.database import clock_at, utcnow
from tests.audit.conftest import row, tamper


def _record(db, users, n, prefix="test.cp"):
    for i in range(n):
        audit.record(f"{prefix}{i}", actor=users["hr"], comment=f"peristiwa {i}")
    db.session.commit()


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def _checkpoint(app):
    result = _run(app, "checkpoint")
    assert result.exit_code == 0, result.output
    return result


def test_checkpoint_appends_a_signed_line_and_verify_uses_it(app, db, users, checkpoint_file):
    _record(db, users, 3)
    _checkpoint(app)
    _record(db, users, 2, "test.later")
    _checkpoint(app)
    lines = checkpoint_file.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("checkpoint 3 ") and lines[1].startswith("checkpoint 5 ")
    found, bad = checkpoints.read(checkpoint_file, app.config["AUDIT_KEY"])
    assert bad == [] and [c.seq for c in found] == [3, 5]
    assert stat.S_IMODE(os.stat(checkpoint_file).st_mode) & 0o007 == 0  # not world-readable
    _record(db, users, 1, "test.after")  # newer than the checkpoint: allowed, just not covered yet
    verdict = verify_chain()
    assert verdict.intact and verdict.checkpoint.seq == 5 and verdict.checked == 6
    result = _run(app, "verify")
    assert result.exit_code == 0 and "intact: 6 events" in result.output


def test_the_line_can_be_checked_by_hand_with_the_key(app, db, users, checkpoint_file):
    import hashlib
    import hmac
    _record(db, users, 2)
    _checkpoint(app)
    fields = checkpoint_file.read_text().split()
    message = " ".join(fields[:4])
    assert fields[0] == "checkpoint" and fields[1] == "2"
    assert fields[4] == hmac.new(app.config["AUDIT_KEY"].encode(), message.encode(), hashlib.sha256).hexdigest()


def test_without_a_checkpoint_verify_warns_and_never_says_intact(app, db, users, checkpoint_file):
    _record(db, users, 2)
    verdict = verify_chain()
    assert verdict.ok and not verdict.intact and verdict.warnings
    result = _run(app, "verify")
    assert result.exit_code == 2
    assert "intact" not in result.output and "WARNING" in result.output and "titik periksa" in result.output


def test_deleted_newest_events_are_named(app, db, users, checkpoint_file):
    _record(db, users, 6)
    _checkpoint(app)
    tamper(db, "DELETE FROM audit_event WHERE seq >= 4")
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq, verdict.checked) == (False, 4, 3)
    assert "4-6" in str(verdict.reason)
    result = _run(app, "verify")
    assert result.exit_code == 1 and "BROKEN at seq 4" in result.output and "4-6" in result.output


def test_deleted_events_replaced_by_fewer_keyed_ones_still_miss_the_checkpoint(app, db, users, checkpoint_file):
    # deleting the tail and letting the app write on does not hide it: the hash at seq 5 differs
    _record(db, users, 5)
    _checkpoint(app)
    tamper(db, "DELETE FROM audit_event WHERE seq >= 4")
    _record(db, users, 3, "test.new")
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq) == (False, 5) and "ditulis ulang" in str(verdict.reason)


def test_an_emptied_log_is_named(app, db, users, checkpoint_file):
    _record(db, users, 4)
    _checkpoint(app)
    tamper(db, "DELETE FROM audit_event")
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq, verdict.checked) == (False, 1, 0)
    assert "1-4" in str(verdict.reason)
    assert _run(app, "verify").exit_code == 1


def test_a_rewritten_chain_differs_from_the_checkpoint(app, db, users, checkpoint_file):
    # the attacker rebuilds the whole log as a consistent plain SHA-256 chain with one event changed
    _record(db, users, 4)
    _checkpoint(app)
    tamper(db, "DELETE FROM audit_event")
    prev, rows = GENESIS, []
    for seq in range(1, 5):
        rows.append(row(seq, prev, action=f"test.cp{seq - 1}", comment="dipalsukan" if seq == 2 else None))
        prev = rows[-1]["hash"]
    from tests.audit.conftest import insert_rows
    insert_rows(db, rows)
    verdict = verify_chain()
    assert (verdict.ok, verdict.broken_seq) == (False, 4)
    result = _run(app, "verify")
    assert result.exit_code == 1 and "BROKEN at seq 4" in result.output


def test_a_stale_checkpoint_fails_verify(app, db, users, checkpoint_file):
    _record(db, users, 2)
    with clock_at(utcnow() - timedelta(hours=27)):
        _checkpoint(app)
    verdict = verify_chain()
    assert not verdict.ok and verdict.stale and verdict.broken_seq is None
    assert "26" in str(verdict.reason)
    result = _run(app, "verify")
    assert result.exit_code == 1 and "FAILED" in result.output
    # a fresh checkpoint is still written (an old one must not block the next) and verify passes again
    _checkpoint(app)
    assert verify_chain().intact


def test_the_allowed_age_is_configurable(app, db, users, checkpoint_file):
    _record(db, users, 1)
    with clock_at(utcnow() - timedelta(hours=3)):
        _checkpoint(app)
    assert verify_chain().intact
    old = app.config["AUDIT_CHECKPOINT_MAX_AGE_HOURS"]
    app.config["AUDIT_CHECKPOINT_MAX_AGE_HOURS"] = 2
    try:
        assert verify_chain().stale
    finally:
        app.config["AUDIT_CHECKPOINT_MAX_AGE_HOURS"] = old


def test_an_altered_or_unsigned_checkpoint_line_fails(app, db, users, checkpoint_file):
    _record(db, users, 3)
    _checkpoint(app)
    line = checkpoint_file.read_text()
    # someone lowers the recorded count to cover a deletion: the signature no longer matches
    checkpoint_file.write_text(line.replace("checkpoint 3 ", "checkpoint 2 ", 1))
    verdict = verify_chain()
    assert not verdict.ok and verdict.reason and "baris 1 " in str(verdict.reason)
    assert _run(app, "verify").exit_code == 1


def test_no_checkpoint_is_signed_over_a_broken_chain(app, db, users, checkpoint_file):
    _record(db, users, 3)
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    result = _run(app, "checkpoint")
    assert result.exit_code == 1 and "BROKEN at seq 2" in result.output
    assert not checkpoint_file.exists()


def test_the_checkpoint_is_mailed_to_the_auditors(app, db, users, checkpoint_file, smtp):
    _record(db, users, 2)
    old = app.config["AUDIT_CHECKPOINT_MAILTO"]
    app.config["AUDIT_CHECKPOINT_MAILTO"] = "auditor@plaju.local, inspektorat@plaju.local"
    try:
        result = _checkpoint(app)
    finally:
        app.config["AUDIT_CHECKPOINT_MAILTO"] = old
    assert "mailed to auditor@plaju.local" in result.output
    line = checkpoint_file.read_text().strip()
    for address in ("auditor@plaju.local", "inspektorat@plaju.local"):
        [mail] = smtp.to(address)
        assert "#2" in mail["Subject"] and line in mail.get_content()


def test_without_recipients_nothing_is_mailed(app, db, users, checkpoint_file, smtp):
    _record(db, users, 1)
    result = _checkpoint(app)
    assert "mailed" not in result.output and smtp.messages == []


def test_hr_page_gives_the_same_verdict(app, client, login_as, db, users, checkpoint_file):
    _record(db, users, 5)
    _checkpoint(app)
    tamper(db, "DELETE FROM audit_event WHERE seq >= 3")
    login_as("hr")  # may record events of its own: they do not bring back the missing ones
    verdict = verify_chain()  # before the check, which records itself
    body = client.post("/audit/verify", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert not verdict.ok and verdict.broken_seq is not None
    assert f"Rantai rusak pada peristiwa #{verdict.broken_seq}" in body and "titik periksa" in body
    assert "WIB" in body and "UTC" not in body  # the checkpoint's time as the office reads it
    assert str(verdict.reason) in body


def test_hr_page_warns_without_a_checkpoint(client, login_as, db, users, checkpoint_file):
    _record(db, users, 2)
    login_as("hr")
    body = client.post("/audit/verify").get_data(as_text=True)
    assert "alert-warning" in body and "Rantai utuh" not in body and "titik periksa" in body.lower()
    # HR is told whom to ask, in words: "all 2 events", not "the 2nd"
    assert "Mintalah administrator" in body and "Seluruh" in body and "Ke-" not in body


def test_an_unreadable_checkpoint_file_fails_the_check_without_a_crash(app, client, login_as, db, users,
                                                                         checkpoint_file):
    checkpoint_file.mkdir()  # a path that cannot be read as a file (root ignores permission bits)
    _record(db, users, 1)
    verdict = verify_chain()
    assert not verdict.ok and "tidak dapat dibaca" in str(verdict.reason)
    result = _run(app, "checkpoint")
    assert result.exit_code == 1 and "no checkpoint written" in result.output
    login_as("hr")
    response = client.post("/audit/verify")
    assert response.status_code == 200 and "tidak dapat dibaca" in response.get_data(as_text=True)

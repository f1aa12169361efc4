"""The outbox against a real SMTP server on 127.0.0.1: written in the caller's transaction, sent after
the commit, retried after an outage, each message exactly once even with two senders."""
import socket
import threading
from datetime import timedelta

from sqlalchemy import func, select

from plaju.database import clock_at, utcnow
from plaju.notify import outbox
from plaju.notify.models import Notification, OutboxMessage
from plaju.notify.service import notify, unread_count


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _later(minutes=10):
    return clock_at(utcnow() + timedelta(minutes=minutes))


def test_a_notification_is_mailed_once_after_the_commit_with_a_stable_message_id(db, users, smtp):
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], "Permohonan terlambat", "Ada 2 permohonan melewati batas waktu.", url="/documents/")
    assert smtp.messages == []  # nothing leaves before the commit
    db.session.commit()
    assert unread_count(users["kasi"]) == 1
    [message] = smtp.to("kasi@plaju.local")
    row = db.session.scalars(select(OutboxMessage)).one()
    assert message["Subject"] == "Permohonan terlambat"
    assert message["Message-ID"] == f"<{row.message_id}@plaju.local>"
    assert "melewati batas waktu" in message.get_content() and "/documents/" in message.get_content()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
    assert outbox.deliver_due() == 0
    assert len(smtp.messages) == 1


def test_a_rolled_back_transaction_sends_nothing(db, users, smtp):
    users["kasi"].email = "kasi@plaju.local"
    db.session.commit()
    notify(users["kasi"], "Tidak jadi")
    db.session.rollback()
    assert outbox.deliver_due() == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert smtp.messages == []


def test_without_a_mail_server_only_the_in_app_notification_is_written(db, users):
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], "Hanya di aplikasi")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_dedupe_key_makes_notify_idempotent(db, users):
    assert notify(users["kasi"], "A", dedupe_key="k-1") is not None
    db.session.commit()
    assert notify(users["kasi"], "A", dedupe_key="k-1") is None
    db.session.commit()
    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_smtp_outage_messages_wait_and_each_arrives_exactly_once(app, db, with_emails, smtp):
    smtp.controller.stop()
    for i in range(3):  # three steps commit while the server is down
        notify(with_emails["camat"], f"Menunggu tindakan Anda {i}", url="/inbox/")
        db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(rows) == 3 and all(r.sent_at is None and r.attempts == 1 and r.last_error for r in rows)
    assert all(r.next_attempt_at > utcnow() for r in rows)  # backed off, not hammering the server
    assert outbox.deliver_due() == 0  # not due yet
    smtp.controller.start()
    with _later():
        result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent: 3, pending: 0" in result.output
    mails = smtp.to("camat@plaju.local")
    assert sorted(m["Subject"] for m in mails) == [f"Menunggu tindakan Anda {i}" for i in range(3)]
    ids = {m["Message-ID"] for m in mails}
    assert ids == {f"<{r.message_id}@plaju.local>" for r in rows}
    with _later(60):
        assert outbox.deliver_due() == 0
    assert len(smtp.messages) == 3


def test_unreachable_server_records_the_error_and_gives_up_after_the_last_attempt(app, db, users):
    users["kasi"].email = "kasi@plaju.local"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens there
    try:
        notify(users["kasi"], "Uji")
        db.session.commit()
        row = db.session.scalars(select(OutboxMessage)).one()
        assert row.attempts == 1 and "Error" in row.last_error and row.sent_at is None
        first_retry = row.next_attempt_at
        with _later(3):
            outbox.deliver_due()
        db.session.refresh(row)
        assert row.attempts == 2 and row.next_attempt_at - first_retry >= timedelta(minutes=1)
        row.attempts = outbox.MAX_ATTEMPTS - 1
        row.next_attempt_at = utcnow()
        db.session.commit()
        outbox.deliver_due()
        db.session.refresh(row)
        assert row.next_attempt_at is None and row.sent_at is None
        assert outbox.stats()["given_up"] == 1 and outbox.stats()["pending"] == 0
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)


def test_two_senders_at_once_send_each_message_once(app, db, users, smtp):
    users["kasi"].email = "kasi@plaju.local"
    app.config["OUTBOX_DELIVERY"] = "off"  # queue up, then let two senders race for the same rows
    try:
        for i in range(30):
            notify(users["kasi"], f"Pesan {i}")
        db.session.commit()
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    results, start = [], threading.Barrier(2)

    def sender():
        with app.app_context():
            start.wait()
            results.append(outbox.deliver_due())
            from plaju.extensions import db as thread_db
            thread_db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(results) == 30
    subjects = sorted(m["Subject"] for m in smtp.to("kasi@plaju.local"))
    assert subjects == sorted(f"Pesan {i}" for i in range(30))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.attempts != 1)) == 0


def test_any_channel_and_a_raw_recipient_through_an_adapter(app, db):
    received = []

    class Sms:
        """A channel adapter as a gateway would be: a connection yielding send(message)."""
        name = "sms"

        def configured(self, _app):
            return True

        def connect(self, _app):
            from contextlib import nullcontext
            return nullcontext(lambda message: received.append((message.address, message.body,
                                                                message.message_id)))

    outbox.register_channel(Sms())
    try:
        message = outbox.enqueue("sms", "6281234567890", "", "Permohonan PLJ-1 siap diambil.")
        db.session.commit()
    finally:
        outbox.CHANNELS.pop("sms")
    assert received == [("6281234567890", "Permohonan PLJ-1 siap diambil.", message.message_id)]


def test_unknown_channel_or_missing_address_is_refused(db):
    import pytest
    with pytest.raises(ValueError):
        outbox.enqueue("pigeon", "x", "s")
    with pytest.raises(ValueError):
        outbox.enqueue("email", "", "s")


def test_healthz_reports_queue_depth_and_age(app, client, db, users):
    users["kasi"].email = "kasi@plaju.local"
    app.config["OUTBOX_DELIVERY"] = "off"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    try:
        with clock_at(utcnow() - timedelta(minutes=5)):
            notify(users["kasi"], "Lama")
            db.session.commit()
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25, OUTBOX_DELIVERY="inline")
    body = client.get("/healthz").get_json()
    assert body["outbox"]["pending"] == 1 and body["outbox"]["given_up"] == 0
    assert 290 <= body["outbox"]["oldest_pending_seconds"] <= 400


def test_the_user_sees_own_notifications_only_and_opening_marks_read(client, login_as, users, db):
    mine = notify(users["asn"], "Untuk saya", url="/")
    other = notify(users["kasi"], "Untuk kasi")
    db.session.commit()
    login_as("asn")
    assert 'data-testid="unread">1<' in client.get("/notifications/count").get_data(as_text=True)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Untuk saya" in page and "Untuk kasi" not in page
    assert client.post(f"/notifications/{other.id}/open").status_code == 404
    assert client.post(f"/notifications/{mine.id}/open").headers["Location"] == "/"
    assert "unread" not in client.get("/notifications/count").get_data(as_text=True)


def test_the_default_background_thread_sends_after_the_commit(app, db, users, smtp):
    import time
    users["kasi"].email = "kasi@plaju.local"
    app.config["OUTBOX_DELIVERY"] = "thread"
    try:
        notify(users["kasi"], "Dari latar belakang")
        db.session.commit()  # returns at once; the worker thread sends
        deadline = time.monotonic() + 10
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    [mail] = smtp.to("kasi@plaju.local")
    assert mail["Subject"] == "Dari latar belakang"
    deadline = time.monotonic() + 10
    while db.session.scalar(select(OutboxMessage.sent_at)) is None and time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot on the next read
        time.sleep(0.05)
    assert db.session.scalar(select(OutboxMessage.sent_at)) is not None


def test_prune_deletes_only_messages_sent_long_ago(app, db, users, smtp):
    users["kasi"].email = "kasi@plaju.local"
    with clock_at(utcnow() - timedelta(days=100)):
        notify(users["kasi"], "Lama terkirim")
        db.session.commit()
    notify(users["kasi"], "Baru terkirim")
    db.session.commit()
    smtp.controller.stop()
    with clock_at(utcnow() - timedelta(days=100)):
        notify(users["kasi"], "Lama belum terkirim")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "prune", "--days", "90"])
    assert result.exit_code == 0 and "deleted: 1" in result.output, result.output
    left = sorted(db.session.scalars(select(OutboxMessage.subject)))
    assert left == ["Baru terkirim", "Lama belum terkirim"]
    assert app.test_cli_runner().invoke(args=["outbox", "prune", "--days", "0"]).exit_code != 0

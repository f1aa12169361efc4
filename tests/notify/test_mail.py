"""Notifications reach a real SMTP server on 127.0.0.1; a failed delivery stays pending."""
import socket

from sqlalchemy import select

from plaju.notify.models import Notification
from plaju.notify.service import deliver_pending, notify, unread_count


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_notification_is_mailed_once(db, users, smtp):
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], "Permohonan terlambat", "Ada 2 permohonan melewati batas waktu.", url="/documents/")
    db.session.commit()
    assert unread_count(users["kasi"]) == 1
    assert deliver_pending() == 1
    assert deliver_pending() == 0
    [message] = smtp.to("kasi@plaju.local")
    assert message["Subject"] == "Permohonan terlambat"
    assert "melewati batas waktu" in message.get_content()


def test_dedupe_key_makes_notify_idempotent(db, users):
    assert notify(users["kasi"], "A", dedupe_key="k-1") is not None
    db.session.commit()
    assert notify(users["kasi"], "A", dedupe_key="k-1") is None
    db.session.commit()
    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_unreachable_mail_server_leaves_notifications_pending(app, db, users):
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], "Uji")
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens there
    try:
        assert deliver_pending() == 0
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    assert db.session.scalars(select(Notification)).one().mailed_at is None


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

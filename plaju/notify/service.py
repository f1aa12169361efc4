"""Notifications: a row in the caller's transaction, then e-mail after the commit.

Mail goes through the SMTP server in PLAJU_MAIL_SERVER/PLAJU_MAIL_PORT; without one, notifications
stay in the app only. A failed delivery leaves mailed_at empty so `deliver_pending()` can retry.
"""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import utcnow
from ..extensions import db
from .models import Notification

log = logging.getLogger(__name__)


def notify(user, subject: str, body: str = "", url: str | None = None,
           dedupe_key: str | None = None) -> Notification | None:
    """Add a notification for `user` in the current transaction. With a dedupe_key already used,
    nothing is added and None is returned (idempotent sweeps)."""
    if dedupe_key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    note = Notification(user_id=user.id, subject=str(subject)[:200], body=str(body), url=url,
                        dedupe_key=dedupe_key)
    if not dedupe_key:
        db.session.add(note)
        return note
    try:
        # a concurrent sweep may insert the same key between the check and here: only its row survives
        with db.session.begin_nested():
            db.session.add(note)
    except IntegrityError:
        return None
    return note


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def deliver_pending(limit: int = 200) -> int:
    """Send e-mail for committed notifications not yet mailed. Returns how many were sent."""
    from ..accounts.models import User
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return 0
    rows = db.session.execute(
        select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.mailed_at.is_(None), User.email.is_not(None)).order_by(Notification.id)
        .limit(limit)).all()
    sent = 0
    if not rows:
        return 0
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
            for note, email in rows:
                message = EmailMessage()
                message["From"] = current_app.config["MAIL_SENDER"]
                message["To"] = email
                message["Subject"] = note.subject
                message.set_content(note.body + (f"\n\n{note.url}" if note.url else ""))
                smtp.send_message(message)
                note.mailed_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException):
        log.exception("mail delivery failed after %s messages; the rest stays pending", sent)
    db.session.commit()
    return sent

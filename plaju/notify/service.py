"""Notifications: a row in the caller's transaction, and its e-mail copy in the outbox.

The e-mail is written only when a mail server is configured (PLAJU_MAIL_SERVER) and the user has an
address; it is sent after the commit and retried by the outbox (see outbox.py).
"""
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import outbox
from .models import Notification


def _mail_body(body: str, url: str | None) -> str:
    if not url:
        return body
    link = current_app.config.get("BASE_URL", "").rstrip("/") + url if url.startswith("/") else url
    return f"{body}\n\n{link}" if body else link


def notify(user, subject: str, body: str = "", url: str | None = None, dedupe_key: str | None = None,
           *, subject_type: str | None = None, subject_id: int | None = None,
           todo_step: str | None = None, mail: bool = True) -> Notification | None:
    """Add a notification for `user` in the current transaction, and its e-mail to the outbox.
    With a dedupe_key already used, nothing is added and None is returned (idempotent sweeps)."""
    if dedupe_key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    note = Notification(user_id=user.id, subject=str(subject)[:200], body=str(body), url=url,
                        dedupe_key=dedupe_key, subject_type=subject_type, subject_id=subject_id,
                        todo_step=todo_step)
    if dedupe_key:
        try:
            # a concurrent sweep may insert the same key between the check and here: only its row survives
            with db.session.begin_nested():
                db.session.add(note)
        except IntegrityError:
            return None
    else:
        db.session.add(note)
    # a plain attribute, not a column: callers may count what went into the outbox
    note.outbox_message = None
    if mail and user.email and outbox.channel_configured("email"):
        note.outbox_message = outbox.enqueue("email", user.email, note.subject, _mail_body(note.body, url),
                                             user_id=user.id)
    return note


def unread_count(user) -> int:
    """Unread notifications, not counting to-dos someone has already handled."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        Notification.done_at.is_(None))) or 0

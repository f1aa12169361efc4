from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class Notification(db.Model):
    """A message for one user, shown in the app; its e-mail copy goes through the outbox.

    A to-do notification (`todo_step` set) names the step the user is waiting to take on the subject
    (`subject_type`/`subject_id`, the spec name and row id); it is marked done (`done_at`) as soon as
    the subject's assignments no longer give that user that step."""
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),
                      Index("ix_notification_subject_open", "subject_type", "subject_id", "done_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(300))
    # lets a sweep that runs twice recognise what it already sent (e.g. "sla-overdue:42:2026-11-30")
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    todo_step: Mapped[str | None] = mapped_column(String(60))
    done_at: Mapped[datetime | None]
    # closed without a step being taken: the to-do went to someone else (a Plh's appointment ended, a
    # supervisor moved) and still waits there; not "handled"
    moved_on: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def waiting(self) -> bool:
        return self.todo_step is not None and self.done_at is None


class OutboxMessage(db.Model):
    """One outgoing message on any channel, written in the transaction that caused it and sent after
    its commit. `message_id` is stable across retries: the e-mail Message-ID, or a gateway's
    idempotency key, so a receiver can drop a repeat. `next_attempt_at` empty and `sent_at` empty
    means delivery was given up after the last attempt (see `last_error`)."""
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "sent_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    address: Mapped[str] = mapped_column(String(200))  # e-mail address or phone number
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]

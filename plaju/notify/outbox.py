"""One outbox of pending messages for every channel and every recipient.

`enqueue()` writes a message in the caller's transaction, so it exists exactly when the step that
caused it committed. After that commit `deliver_due()` is scheduled (OUTBOX_DELIVERY: "thread", one
background thread per process; "inline", in the committing thread, for tests; "rq", a job on the task
queue for the committed message ids, see plaju/tasks; "off", cron only) and
`flask --app plaju outbox deliver` sends whatever is due, for cron or a worker. A send failure never
touches the step: the message keeps its error and is retried with backoff.

Claiming is safe with several senders: a sender claims due rows in a short transaction of its own
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE, the single writer) and moves their
next attempt a lease into the future, so no other sender takes them while it sends. A sender that
dies mid-send leaves the claim to expire and the message is sent again with the same message id
(at least once; the receiver can drop the repeat).
"""
import http.client
import logging
import smtplib
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import case, delete, event, func, select
from sqlalchemy.orm import Session

from ..database import for_update, utcnow
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)      # longer than a batch can take to send
BATCH = 50
MAX_ATTEMPTS = 20                  # about three days of retries with the backoff below (a long weekend)
_PENDING = "plaju_outbox_pending"  # session.info flag: this transaction enqueued something


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after the n-th failed attempt, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


# ---- channels ---------------------------------------------------------------------------------

class SendError(Exception):
    """A channel's receiver refused or failed the message (e.g. an HTTP gateway answering an error);
    the message keeps the error and is retried like after an outage."""


# what a failed send may raise: the message is kept and retried, nothing else is disturbed
SEND_FAILURES = (OSError, smtplib.SMTPException, http.client.HTTPException, SendError)


class EmailChannel:
    """SMTP to PLAJU_MAIL_SERVER; one connection per batch."""
    name = "email"

    def configured(self, app) -> bool:
        return bool(app.config.get("MAIL_SERVER"))

    @contextmanager
    def connect(self, app):
        with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=10) as smtp:
            def send(message: OutboxMessage) -> None:
                sender = app.config["MAIL_SENDER"]
                mail = EmailMessage()
                mail["From"] = sender
                mail["To"] = message.address
                mail["Subject"] = message.subject
                mail["Date"] = formatdate(localtime=False)
                mail["Message-ID"] = f"<{message.message_id}@{sender.rpartition('@')[2] or 'plaju.local'}>"
                mail.set_content(message.body)
                smtp.send_message(mail)
            yield send


CHANNELS: dict = {}


def register_channel(channel) -> None:
    """Add a channel adapter: `name`, `configured(app)`, and `connect(app)`, a context manager that
    yields send(message) raising one of SEND_FAILURES on failure. The citizens' SMS and WhatsApp
    gateways (gateways.py) plug in here."""
    CHANNELS[channel.name] = channel


register_channel(EmailChannel())


def channel_configured(name: str) -> bool:
    channel = CHANNELS.get(name)
    return bool(channel and channel.configured(current_app))


# ---- writing ----------------------------------------------------------------------------------

def enqueue(channel: str, address: str, subject: str, body: str = "", user_id: int | None = None
            ) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; it is sent after the commit."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if not address:
        raise ValueError("an outbox message needs an address")
    message = OutboxMessage(message_id=str(uuid.uuid4()), channel=channel, address=address[:200],
                            subject=str(subject)[:200], body=str(body), user_id=user_id,
                            next_attempt_at=utcnow())
    db.session.add(message)
    # the ids this transaction enqueued, for the job enqueued after its commit (PLAJU_QUEUE=rq)
    db.session.info.setdefault(_PENDING, []).append(message.message_id)
    return message


# ---- sending ----------------------------------------------------------------------------------

def _claim(limit: int, message_ids=None) -> list[OutboxMessage]:
    now = utcnow()
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if message_ids is not None:
        stmt = stmt.where(OutboxMessage.message_id.in_(list(message_ids)))
    lease = timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", LEASE.total_seconds()))
    rows = list(db.session.scalars(for_update(stmt, skip_locked=True)))
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + lease
    db.session.commit()
    return rows


def _send(rows: list[OutboxMessage]) -> dict[int, str | None]:
    """Send claimed rows; returns id -> error (None when sent)."""
    app = current_app._get_current_object()
    results: dict[int, str | None] = {}
    by_channel: dict[str, list] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    for name, batch in by_channel.items():
        channel = CHANNELS.get(name)
        if channel is None or not channel.configured(app):
            results.update({row.id: f"channel {name} is not configured" for row in batch})
            continue
        try:
            with channel.connect(app) as send:
                for row in batch:
                    try:
                        send(row)
                        results[row.id] = None
                    except SEND_FAILURES as exc:
                        results[row.id] = f"{type(exc).__name__}: {exc}"
        except SEND_FAILURES as exc:  # could not connect, or the server hung up
            for row in batch:
                results.setdefault(row.id, f"{type(exc).__name__}: {exc}")
    return results


def _record(rows: list[OutboxMessage], results: dict[int, str | None]) -> int:
    now = utcnow()
    sent = 0
    for row in rows:
        error = results.get(row.id, "not attempted")
        if error is None:
            row.sent_at, row.last_error, row.next_attempt_at = now, None, None
            sent += 1
        else:
            row.last_error = error[:500]
            row.next_attempt_at = None if row.attempts >= MAX_ATTEMPTS else now + backoff(row.attempts)
    db.session.commit()
    return sent


def deliver_due(limit: int = 500, message_ids=None) -> int:
    """Send every message that is due (or those of `message_ids` that are), in batches; returns how
    many went out."""
    sent = 0
    while limit > 0:
        rows = _claim(min(BATCH, limit), message_ids)
        if not rows:
            break
        limit -= len(rows)
        results = _send(rows)
        failed = sum(1 for error in results.values() if error is not None)
        sent += _record(rows, results)
        if failed:
            log.warning("outbox: %s of %s messages failed and wait for a retry", failed, len(rows))
    return sent


def prune(days: int) -> int:
    """Delete messages sent more than `days` ago; unsent ones stay whatever their age."""
    cutoff = utcnow() - timedelta(days=days)
    removed = db.session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < cutoff)).rowcount
    db.session.commit()
    return removed or 0


def stats() -> dict:
    """Queue depth and age for monitoring, in one statement."""
    pending = OutboxMessage.next_attempt_at.is_not(None)
    count, failed, oldest = db.session.execute(
        select(func.count(OutboxMessage.id),
               func.coalesce(func.sum(case((pending, 0), else_=1)), 0),
               func.min(case((pending, OutboxMessage.created_at), else_=None)))
        .where(OutboxMessage.sent_at.is_(None))).one()
    age = int((utcnow() - oldest).total_seconds()) if oldest else 0
    return {"pending": int(count) - int(failed), "oldest_pending_seconds": max(age, 0),
            "given_up": int(failed)}


# ---- delivery after commit ----------------------------------------------------------------------

class _Worker:
    """One daemon thread per process that sends when woken (after a commit that enqueued)."""

    def __init__(self, app):
        self.app = app
        self.wake = threading.Event()
        self.thread = None
        self.lock = threading.Lock()

    def poke(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="plaju-outbox", daemon=True)
                self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:  # the next commit or the cron job tries again
                    log.exception("outbox delivery failed")
                finally:
                    db.session.remove()


def _deliver_inline(app) -> None:
    # a fresh application context has a session (and connection) of its own
    with app.app_context():
        try:
            deliver_due()
        except Exception:
            log.exception("outbox delivery failed")
        finally:
            db.session.remove()


def _after_commit(session) -> None:
    # SQLAlchemy also reports the release of a SAVEPOINT (begin_nested) as a commit; the outer
    # transaction still holds its locks and its rows are not visible to a sender yet
    if session.get_nested_transaction() is not None:
        return
    message_ids = session.info.pop(_PENDING, None)
    if not message_ids:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    mode = app.config.get("OUTBOX_DELIVERY", "thread")
    if mode == "inline":
        _deliver_inline(app)
    elif mode == "thread":
        app.extensions["plaju_outbox"].poke()
    elif mode == "rq":  # a job on the task queue (plaju/tasks); the periodic sweep catches a lost one
        from ..tasks import enqueue_delivery
        enqueue_delivery(app, message_ids)


_listening = False


def init_app(app) -> None:
    global _listening
    app.extensions["plaju_outbox"] = _Worker(app)
    if not _listening:
        event.listen(Session, "after_commit", _after_commit)
        _listening = True

"""The functions RQ workers run. Each runs in an application context of its own and leaves no
transaction open (on SQLite an open one would hold the single write lock).

`flask --app plaju worker` sets APP before it starts working; a job run by a bare `rq worker` builds
the app itself from the environment."""
import functools
import logging
import os

from flask import current_app
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db

log = logging.getLogger(__name__)

APP = None
_APP_PID = None


class CommandFailed(RuntimeError):
    """A scheduled command exited non-zero (the job is then marked failed)."""


def set_app(app) -> None:
    global APP, _APP_PID
    APP, _APP_PID = app, os.getpid()


def _app():
    if APP is None:
        from .. import create_app
        set_app(create_app())
    elif os.getpid() != _APP_PID:
        # a forked work horse must not reuse the parent's pooled connections
        with APP.app_context():
            db.engine.dispose(close=False)
        set_app(APP)
    return APP


def in_app(fn):
    @functools.wraps(fn)  # RQ names a job by the function's module and qualified name
    def run(*args, **kwargs):
        with _app().app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()
    return run


@in_app
def deliver(message_ids: list[str]) -> int:
    """Send these outbox messages if they are still due; returns how many went out. A message
    claimed by another sender, or already sent, is left alone."""
    from ..notify.outbox import deliver_due
    return deliver_due(limit=len(message_ids), message_ids=message_ids)


def due_message_ids(limit: int) -> list[str]:
    from ..notify.models import OutboxMessage
    ids = list(db.session.scalars(
        select(OutboxMessage.message_id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))
    db.session.rollback()
    return ids


def sweep_outbox() -> int:
    """Enqueue a delivery job for every due message (new ones whose job was lost, retries after a
    failure, leases left by a killed worker). Returns how many messages it enqueued."""
    from ..notify.outbox import BATCH
    from . import SWEEP_LIMIT, SWEEP_MAX_DEPTH, task_queue
    tasks = task_queue()
    if tasks.queue.count >= SWEEP_MAX_DEPTH:  # a backlog: its jobs will find these rows due too
        return 0
    ids = due_message_ids(SWEEP_LIMIT)
    for start in range(0, len(ids), BATCH):
        tasks.enqueue_delivery(ids[start:start + BATCH], raise_errors=True)
    return len(ids)


@in_app
def outbox_sweep() -> int:
    """The scheduled job: with RQ, enqueue what is due; in the process, send it."""
    if current_app.config.get("QUEUE") == "rq":
        return sweep_outbox()
    from ..notify.outbox import deliver_due
    return deliver_due()


@in_app
def audit_export(job_id: str) -> None:
    """Build one background export of /audit/ (a job whose runner died is claimed again)."""
    from ..audit.export import run_export
    run_export(job_id)


@in_app
def resume_audit_exports() -> int:
    """The scheduled job: start again the audit exports whose runner died (restart, killed worker)."""
    from ..audit.export import resume_exports
    return resume_exports()


@in_app
def run_command(*args: str) -> str:
    """Run a `flask --app plaju ...` command (e.g. "sla", "sweep") as a job, so cron's commands and
    the scheduled jobs are the same code. A non-zero exit fails the job."""
    import contextlib
    import io

    from flask.cli import ScriptInfo
    app = current_app._get_current_object()
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            app.cli.main(args=list(args), prog_name="flask", standalone_mode=False,
                         obj=ScriptInfo(create_app=lambda: app))
    except SystemExit as exc:
        if exc.code:
            raise CommandFailed(f"flask {' '.join(args)} exited {exc.code}: {output.getvalue().strip()}") from None
    text = output.getvalue().strip()
    log.info("flask %s: %s", " ".join(args), text)
    return text

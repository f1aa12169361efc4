"""flask --app plaju worker | scheduler | tasks status|sweep."""
import os
import socket

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


def _queue_mode() -> str:
    return current_app.config.get("QUEUE", "thread")


@click.command("worker")
@click.option("--burst", is_flag=True, help="work until the queue is empty, then stop")
@click.option("--name", default=None, help="worker name (default host:pid)")
@with_appcontext
def worker_command(burst, name):
    """Run background jobs: an RQ worker on PLAJU_QUEUE_NAME (PLAJU_QUEUE=rq), or, without Redis,
    the scheduled jobs and message delivery in this process."""
    from . import jobs, task_queue
    app = current_app._get_current_object()
    db.session.remove()  # the worker's own connection must not be shared with its forked jobs
    if _queue_mode() != "rq":
        from .schedule import InProcessScheduler
        click.echo(f"PLAJU_QUEUE={_queue_mode()}: no queue server; running the scheduled jobs in this process")
        scheduler = InProcessScheduler(app)
        if burst:
            jobs.outbox_sweep()
            return
        try:
            scheduler.run()
        except KeyboardInterrupt:
            pass
        return
    from rq import Worker

    from ..audit.export import resume_exports
    # exports of the audit log left half-built by a worker that stopped are queued again at once
    click.echo(f"audit exports resumed: {resume_exports()}")
    db.session.remove()
    jobs.set_app(app)
    queue = task_queue(app).queue
    worker = Worker([queue], connection=queue.connection,
                    name=name or f"{socket.gethostname()}:{os.getpid()}")
    # with_scheduler: RQ moves retried and delayed jobs back to the queue when they are due
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Enqueue the scheduled jobs (outbox sweep, SLA sweep, audit checkpoint, prune) when due.
    PLAJU_QUEUE=rq only; run exactly one per deployment."""
    if _queue_mode() != "rq":
        raise click.ClickException("the scheduler needs PLAJU_QUEUE=rq; without Redis `flask --app plaju worker` "
                                   "runs the scheduled jobs")
    import time

    from .schedule import cron_scheduler
    db.session.remove()
    os.environ["TZ"] = "Asia/Jakarta"  # RQ reads cron expressions in local time: the office's clock
    time.tzset()
    cron_scheduler(current_app._get_current_object()).start()


@click.group("tasks")
def tasks_group():
    """The task queue."""


@tasks_group.command("status")
@with_appcontext
def status_command():
    """Queue depth, age of the oldest job, failed jobs and workers, as /healthz reports them."""
    from ..notify.outbox import stats
    from . import queue_stats
    state = queue_stats(stats())
    db.session.remove()
    click.echo(" ".join(f"{k}={v}" for k, v in state.items()))


@tasks_group.command("sweep")
@with_appcontext
def sweep_command():
    """Enqueue a delivery job for every due outbox message now (what the scheduler does each minute)."""
    if _queue_mode() != "rq":
        raise click.ClickException("PLAJU_QUEUE is not rq: use `flask --app plaju outbox deliver`")
    from .jobs import sweep_outbox
    click.echo(f"enqueued: {sweep_outbox()}")
    db.session.remove()


commands = [worker_command, scheduler_command, tasks_group]

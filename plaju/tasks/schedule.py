"""The scheduled jobs, in one list for both ways of running them.

With RQ, `flask --app plaju scheduler` registers them with RQ's CronScheduler, which enqueues each
when it is due (run exactly one scheduler per deployment; the workers run the jobs). Without Redis
(PLAJU_QUEUE=thread), `flask --app plaju demo` and `flask --app plaju worker` run them in the process.
Cron expressions are in WIB (the office's clock): RQ reads them in the process's local time, which
`flask --app plaju scheduler` sets to Asia/Jakarta; the in-process scheduler reads them in WIB.
"""
import logging
import os
import threading
import time as _time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from . import jobs

log = logging.getLogger(__name__)
WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class Scheduled:
    name: str
    func: object
    args: tuple = ()
    interval: int | None = None  # seconds
    cron: str | None = None      # minute hour day month weekday, WIB
    timeout: int = 600
    kwargs: dict = field(default_factory=dict)


SCHEDULE = [
    # due outbox rows: new ones whose job was lost, retries, leases left by a killed worker
    Scheduled("outbox-sweep", jobs.outbox_sweep, interval=60, timeout=120),
    # background exports of the audit log whose runner died (a restart, a killed worker)
    Scheduled("audit-export-resume", jobs.resume_audit_exports, interval=60, timeout=120),
    # overdue requests -> section heads (idempotent), office hours
    Scheduled("sla-sweep", jobs.run_command, ("sla", "sweep"), cron="*/30 7-16 * * 1-5"),
    # the lowest and highest seq of each day of the audit log, for date searches (audit/days.py)
    Scheduled("audit-days", jobs.run_command, ("audit", "index-days"), interval=300, timeout=600),
    # signed head of the audit chain
    Scheduled("audit-checkpoint", jobs.run_command, ("audit", "checkpoint"), cron="5 * * * *"),
    # Plh/Plt appointments that begin today or ended yesterday: their to-do notices follow them
    Scheduled("stand-ins", jobs.run_command, ("workflow", "stand-ins"), cron="1 0 * * *"),
    # to-dos that can be taken from today (a course's completion report from its last day); hourly, so a
    # server down at midnight misses none
    Scheduled("ready-todos", jobs.run_command, ("workflow", "ready"), cron="2 * * * *"),
    # messages sent more than 90 days ago
    Scheduled("outbox-prune", jobs.run_command, ("outbox", "prune"), cron="40 2 * * *"),
]


def next_run(job: Scheduled, after: float) -> float:
    """The next time (epoch seconds) `job` is due after `after`."""
    if job.interval:
        return after + job.interval
    from croniter import croniter
    base = datetime.fromtimestamp(after, WIB)
    return croniter(job.cron, base).get_next(datetime).timestamp()


def cron_scheduler(app):
    """RQ's CronScheduler with SCHEDULE registered on the app's queue."""
    from rq.cron import CronScheduler

    from . import task_queue
    queue = task_queue(app).queue
    scheduler = CronScheduler(connection=queue.connection, name=f"plaju-scheduler-{os.getpid()}")
    for job in SCHEDULE:
        scheduler.register(job.func, queue.name, args=job.args, kwargs=job.kwargs, interval=job.interval,
                           cron=job.cron, job_timeout=job.timeout, result_ttl=3600, failure_ttl=7 * 86400,
                           name=job.name)
    return scheduler


class InProcessScheduler:
    """Runs SCHEDULE in a thread of this process (PLAJU_QUEUE=thread: the demo, one office PC)."""

    def __init__(self, app, schedule=None):
        self.app = app
        self.schedule = schedule or SCHEDULE
        self.stop = threading.Event()
        self.thread = None

    def run(self) -> None:
        jobs.set_app(self.app)
        now = _time.time()
        due = {job.name: (now if job.interval else next_run(job, now)) for job in self.schedule}
        while not self.stop.is_set():
            now = _time.time()
            for job in self.schedule:
                if due[job.name] <= now:
                    due[job.name] = next_run(job, now)
                    try:
                        job.func(*job.args, **job.kwargs)
                    except Exception:  # the next run tries again; the failure is in the log
                        log.exception("scheduled job %s failed", job.name)
            self.stop.wait(max(min(due.values()) - _time.time(), 0.5))

    def start(self) -> "InProcessScheduler":
        self.thread = threading.Thread(target=self.run, name="plaju-scheduler", daemon=True)
        self.thread.start()
        return self

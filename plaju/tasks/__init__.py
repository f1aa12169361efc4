"""Background work: message delivery and the scheduled jobs, on RQ (Redis) or inside the process.

PLAJU_QUEUE chooses where the work runs:
- "rq": a job on the Redis queue PLAJU_QUEUE_NAME, run by `flask --app plaju worker` (any number of
  them, on any machine that reaches Redis and the database); `flask --app plaju scheduler` (one
  per deployment) enqueues the scheduled jobs of `schedule.SCHEDULE`.
- "thread" (the embedded default: SQLite, `flask --app plaju demo`, no Redis): the outbox's sender
  thread sends after each commit, and `flask --app plaju demo` (or `flask --app plaju worker`)
  runs the scheduled jobs in the process.
- "inline" (tests) and "off" (cron only) as for the outbox.

The outbox stays the source of truth: a job only names message ids; the rows, their claims (leases)
and their stable message ids live in the database. A job lost between commit and enqueue (Redis down,
a process killed) is made good by the outbox sweep, which enqueues every due row again; a job that
runs twice finds its messages already claimed or sent.
"""
import logging
import threading
import time

from flask import current_app

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 300     # seconds a delivery job may run (50 messages, 10 s SMTP timeout each at worst)
RETRY_INTERVALS = [10, 60, 300]  # a job that failed (e.g. the database restarting) runs again after these
SWEEP_LIMIT = 1000         # due messages one sweep enqueues
SWEEP_MAX_DEPTH = 1000     # a sweep adds nothing while the queue already holds this many jobs
PAUSE_AFTER_FAILURE = 30   # seconds without enqueue attempts once Redis failed (the sweep catches up)


class TaskQueue:
    """The application's RQ queue, connected lazily (an app in thread mode never touches Redis)."""

    def __init__(self, app):
        self.app = app
        self._queue = None
        self._lock = threading.Lock()
        self._paused_until = 0.0

    @property
    def connection(self):
        return self.queue.connection

    @property
    def queue(self):
        with self._lock:
            if self._queue is None:
                from redis import Redis
                from rq import Queue
                connection = Redis.from_url(self.app.config["REDIS_URL"], socket_connect_timeout=2,
                                            socket_timeout=10, health_check_interval=30)
                self._queue = Queue(self.app.config["QUEUE_NAME"], connection=connection,
                                    default_timeout=DELIVERY_TIMEOUT)
            return self._queue

    def enqueue_delivery(self, message_ids: list[str], *, raise_errors: bool = False):
        """One job delivering these messages; never raises into a committed request unless asked."""
        from redis.exceptions import RedisError
        from rq import Retry
        if not raise_errors and time.monotonic() < self._paused_until:
            return None
        try:
            return self.queue.enqueue("plaju.tasks.jobs.deliver", list(message_ids),
                                      retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                                      result_ttl=600, failure_ttl=7 * 86400,
                                      description=f"deliver {len(message_ids)} message(s)")
        except RedisError as exc:
            if raise_errors:
                raise
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            log.warning("task queue unreachable (%s): %s message(s) wait for the outbox sweep",
                        exc, len(message_ids))
            return None

    def stats(self) -> dict:
        from rq import Worker
        from rq.registry import FailedJobRegistry
        queue = self.queue
        depth = queue.count
        oldest = 0
        head = queue.get_job_ids(0, 1)
        if head:
            job = queue.fetch_job(head[0])
            if job is not None and job.enqueued_at is not None:
                from rq.utils import now
                oldest = max(int((now() - job.enqueued_at).total_seconds()), 0)
        return {"depth": depth, "oldest_seconds": oldest,
                "failed": FailedJobRegistry(queue=queue).count,
                "workers": Worker.count(queue=queue)}


def task_queue(app=None) -> TaskQueue:
    app = app or current_app._get_current_object()
    if "plaju_tasks" not in app.extensions:
        app.extensions["plaju_tasks"] = TaskQueue(app)
    return app.extensions["plaju_tasks"]


def enqueue_delivery(app, message_ids: list[str]) -> None:
    """After a commit that wrote outbox rows (OUTBOX_DELIVERY=rq)."""
    task_queue(app).enqueue_delivery(message_ids)


def queue_stats(outbox: dict | None) -> dict:
    """What /healthz reports about background work: depth, age of the oldest waiting item, and
    `backlog` when that age passes PLAJU_QUEUE_MAX_AGE_SECONDS. With RQ it also counts failed jobs
    and live workers; without it the queue is the outbox itself."""
    app = current_app._get_current_object()
    mode = app.config.get("QUEUE", "thread")
    limit = app.config.get("QUEUE_MAX_AGE_SECONDS", 300)
    if mode == "rq":
        try:
            state = task_queue(app).stats()
        except Exception as exc:  # Redis down: the app keeps serving, the outbox keeps the messages
            return {"backend": "rq", "reachable": False, "error": type(exc).__name__, "backlog": True}
        oldest_message = (outbox or {}).get("oldest_pending_seconds", 0)
        return {"backend": "rq", "reachable": True, **state,
                "backlog": max(state["oldest_seconds"], oldest_message) > limit or state["workers"] == 0}
    outbox = outbox or {"pending": 0, "oldest_pending_seconds": 0}
    return {"backend": mode, "depth": outbox["pending"], "oldest_seconds": outbox["oldest_pending_seconds"],
            "backlog": outbox["oldest_pending_seconds"] > limit}

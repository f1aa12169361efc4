"""Real Redis for the task-queue tests: skipped when none answers at PLAJU_TEST_REDIS_URL (default
127.0.0.1:6379), a failure under CI=true. Each test gets a queue of its own name, removed afterwards.
Workers run as `flask --app plaju worker --burst` subprocesses against the test database, or as an
RQ SimpleWorker inside the test process."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_string
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.documents.conftest import doc_types, make_request  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PLAJU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import RedisError
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI expects Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")


@pytest.fixture()
def rq_app(app, db):
    """The test app with PLAJU_QUEUE=rq on a queue of its own."""
    _redis_or_skip()
    from plaju.tasks import jobs
    keys = ("QUEUE", "OUTBOX_DELIVERY", "QUEUE_NAME", "REDIS_URL", "QUEUE_MAX_AGE_SECONDS")
    old = {key: app.config.get(key) for key in keys}
    name = f"plaju-test-{uuid.uuid4().hex[:10]}"
    app.config.update(QUEUE="rq", OUTBOX_DELIVERY="rq", QUEUE_NAME=name, REDIS_URL=REDIS_URL)
    app.extensions.pop("plaju_tasks", None)
    jobs.set_app(app)
    yield app
    from plaju.tasks import task_queue
    connection = task_queue(app).connection
    for key in connection.scan_iter(match=f"*{name}*"):
        connection.delete(key)
    app.extensions.pop("plaju_tasks", None)
    app.config.update(old)
    jobs.APP = None


def queue_of(app):
    from plaju.tasks import task_queue
    return task_queue(app).queue


def work_here(app) -> None:
    """Run every queued job in this process with RQ's SimpleWorker (burst)."""
    from rq import SimpleWorker

    from plaju.tasks import jobs
    jobs.set_app(app)
    queue = queue_of(app)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def start_worker(app, mail_port: int, burst: bool = True, log=None, **env) -> subprocess.Popen:
    """`flask --app plaju worker [--burst]` on the test database; its output is piped, or written
    to `log` (a long-running worker would fill the pipe)."""
    environment = {**os.environ, "PLAJU_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "PLAJU_INSTANCE_PATH": app.instance_path, "PLAJU_QUEUE": "rq",
                   "PLAJU_QUEUE_NAME": app.config["QUEUE_NAME"], "PLAJU_REDIS_URL": app.config["REDIS_URL"],
                   "PLAJU_MAIL_SERVER": "127.0.0.1", "PLAJU_MAIL_PORT": str(mail_port), **env}
    command = [sys.executable, "-m", "flask", "--app", "plaju", "worker", *(["--burst"] if burst else [])]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=open(log, "w") if log else subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class Mailbox:
    """An SMTP server that keeps every mail and can kill a worker at a chosen moment of a delivery:
    "before_send" (at MAIL FROM: nothing reaches the mailbox) or "after_send" (the mail is kept, the
    sender dies before it hears "250 OK", so it cannot record the delivery)."""

    def __init__(self):
        self.messages = []
        self.kill_at = None
        self.victim = None

    def _kill(self, moment):
        """SIGKILL the worker and its work horse (RQ starts the horse in a session of its own)."""
        if self.kill_at == moment and self.victim is not None:
            self.kill_at = None
            for pid in [*_children(self.victim.pid), self.victim.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.victim.wait(timeout=10)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._kill("before_send")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_string(envelope.content.decode("utf-8", "replace"),
                                                 policy=default_policy))
        self._kill("after_send")
        return "250 OK"

    def message_ids(self):
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture()
def mailbox(app):
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield box
    app.config.update(MAIL_SERVER=old[0], MAIL_PORT=old[1])
    controller.stop()


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)

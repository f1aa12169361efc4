"""Beyond one office: two gunicorn app servers (gunicorn.conf.py) and one RQ worker against one
PostgreSQL database and one Redis. Two section heads, each signed in on both servers, race to submit
the same requests for the Camat's signature: every request moves exactly once, nothing is lost, the
losers are told who acted first, the audit chain holds and each of the Camat's mails goes out."""
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.documents.models import DocumentRequest
from plaju.notify.models import OutboxMessage
from tests.support import PASSWORD, spelled
from tests.tasks.conftest import ROOT, start_worker, wait_for

pytestmark = pytest.mark.postgres
REQUESTS = 16


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(app, mail_port):
    return {**os.environ, "PLAJU_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "PLAJU_INSTANCE_PATH": app.instance_path, "PLAJU_QUEUE": "rq",
            "PLAJU_QUEUE_NAME": app.config["QUEUE_NAME"], "PLAJU_REDIS_URL": app.config["REDIS_URL"],
            "PLAJU_MAIL_SERVER": "127.0.0.1", "PLAJU_MAIL_PORT": str(mail_port),
            "PLAJU_RATELIMIT_STORAGE_URI": app.config["REDIS_URL"], "PLAJU_GUNICORN_WORKERS": "1"}


def _start_server(app, mail_port, tmp_path, label):
    port = _free_port()
    log = open(tmp_path / f"{label}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                             "wsgi:app"], cwd=ROOT, env=_server_env(app, mail_port), stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_healthy(proc, base, log_path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"{base} did not start:\n{log_path.read_text()[-3000:]}")


class Browser:
    """A signed-in user on one server: real login form with its CSRF token, then HTMX posts."""

    def __init__(self, base, username):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = self._csrf(self.opener.open(base + "/login", timeout=30).read().decode())
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token}).encode()
        home = self.opener.open(base + "/login", data=form, timeout=30)
        assert home.url.rstrip("/") == base, f"{username} not signed in on {base}"
        self.csrf = self._csrf(home.read().decode())

    @staticmethod
    def _csrf(page) -> str:
        return json.loads(re.search(r"hx-headers='([^']+)'", page)[1])["X-CSRFToken"]

    def post(self, path, data):
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(),
                                         headers={"HX-Request": "true", "X-CSRFToken": self.csrf})
        try:
            with self.opener.open(request, timeout=60) as response:  # a refusal answers htmx 200, status named
                return int(response.headers.get("X-Refused-Status", response.status)), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def test_two_app_servers_and_a_worker_lose_nothing_and_double_approve_nothing(
        rq_app, db, users, make_request, mailbox, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several app servers share PostgreSQL (set PLAJU_TEST_DATABASE_URL)")
    users["camat"].email = "camat@plaju.local"
    db.session.commit()
    seeded = {}
    for i in range(REQUESTS):
        req = make_request("processing", type_code="sktm", name=f"Warga Kota {spelled(i)}")
        seeded[req.id] = req.version
    db.session.commit()

    servers = [_start_server(rq_app, mailbox.port, tmp_path, label) for label in ("a", "b")]
    worker = start_worker(rq_app, mailbox.port, burst=False, log=tmp_path / "worker.log")
    try:
        for (proc, base), label in zip(servers, ("a", "b"), strict=True):
            _wait_healthy(proc, base, tmp_path / f"{label}.log")
        clients = [(name, base, Browser(base, name)) for name in ("kasi", "kasi2") for _proc, base in servers]
        outcomes = []  # (request id, user, server, status, body)
        lock = threading.Lock()
        start = threading.Barrier(len(clients))

        def act(name, base, browser, order):
            start.wait(timeout=30)
            for req_id in order:
                status, body = browser.post(f"/documents/{req_id}/actions/to_signature",
                                            {"version": str(seeded[req_id])})
                with lock:
                    outcomes.append((req_id, name, base, status, body))

        threads = []
        for index, (name, base, browser) in enumerate(clients):
            order = list(seeded)
            random.Random(index).shuffle(order)
            threads.append(threading.Thread(target=act, args=(name, base, browser, order)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        statuses = Counter(status for *_rest, status, _body in outcomes)
        assert len(outcomes) == REQUESTS * len(clients)
        assert set(statuses) <= {200, 409}, statuses  # no 500, no lock error: a winner or "acted first"
        winners = Counter(req_id for req_id, _n, _b, status, _body in outcomes if status == 200)
        assert winners == Counter({req_id: 1 for req_id in seeded})  # each request moved exactly once
        assert {base for _r, _n, base, status, _b in outcomes if status == 200} == {b for _p, b in servers}
        winner_of = {req_id: name for req_id, name, _b, status, _body in outcomes if status == 200}
        for req_id, name, _base, status, body in outcomes:
            if status == 409:  # the loser is named who acted first; the same person is told it was them
                first = "Anda sudah melakukan" if name == winner_of[req_id] else f"{winner_of[req_id].title()} Uji"
                assert first in body, body[:500]

        db.session.rollback()
        rows = db.session.scalars(select(DocumentRequest).where(DocumentRequest.id.in_(seeded))).all()
        assert {r.state for r in rows} == {"awaiting_signature"}
        assert all(r.version == seeded[r.id] + 1 for r in rows)
        moved = db.session.scalars(select(AuditEvent.subject_id).where(
            AuditEvent.action == "document.to_signature", AuditEvent.outcome == "ok")).all()
        assert Counter(moved) == Counter({str(req_id): 1 for req_id in seeded})
        assert verify_chain().ok
        db.session.rollback()

        # the worker delivers what both servers enqueued: the Camat hears of each request once
        def all_sent():
            db.session.rollback()
            left = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.sent_at.is_(None)))
            db.session.rollback()
            return left == 0
        wait_for(all_sent, timeout=60, what="every outbox message to be sent, worker log:\n"
                 + (tmp_path / "worker.log").read_text()[-3000:])
        messages = db.session.scalars(select(OutboxMessage.message_id)).all()
        db.session.rollback()
        assert len(messages) == REQUESTS
        assert Counter(mailbox.message_ids()) == Counter({f"<{m}@plaju.local>": 1 for m in messages})
    finally:
        for proc, _base in servers:
            proc.terminate()
        worker.terminate()  # a warm shutdown
        for proc in [worker, *(proc for proc, _base in servers)]:
            proc.wait(timeout=30)

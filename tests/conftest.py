"""Fixtures: one migrated database per test session (SQLite file, or PostgreSQL when
PLAJU_TEST_DATABASE_URL is set), emptied after every test."""
import os
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plaju.database import recreate_postgres_database
from tests.support import PASSWORD, CsrfClient, DemoTicket, Inbox, make_user

PG_URL = os.environ.get("PLAJU_TEST_DATABASE_URL")


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"_{worker}" if worker else ""


def _fresh_postgres(url: str) -> str:
    target = make_url(url)
    target = target.set(database=(target.database or "plaju_test") + _worker_suffix())
    try:
        return recreate_postgres_database(target.render_as_string(hide_password=False))
    except Exception as exc:
        pytest.exit(f"PostgreSQL expected at {url} but unreachable: {exc}", returncode=3)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        return _fresh_postgres(PG_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'plaju-test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["PLAJU_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.extensions import db
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "UPLOAD_FOLDER": str(instance / "uploads"), "RATELIMIT_ENABLED": True,
                      "SERVER_NAME": None, "OUTBOX_DELIVERY": "inline"})
    app.test_client_class = CsrfClient
    with app.app_context():
        upgrade(revision="heads")
        DemoTicket.__table__.create(db.engine, checkfirst=True)
    # personal signing certificates (demo CA) for the signers of the `users` fixture and a second Camat
    from plaju.letters.demo import issue_demo_certificate
    for username in ("camat", "camat2", "sekcam", "kasi", "kasi2"):
        issue_demo_certificate(app.config["SIGNING_KEYS_DIR"], username, f"{username.title()} Uji")
    return app


def _empty_all_tables(db):
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # past the audit trigger
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture()
def db(app):
    from plaju.extensions import db as _db
    from plaju.extensions import limiter
    with app.app_context():
        limiter.reset()
        yield _db
        _db.session.remove()
        _empty_all_tables(_db)


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def users(db):
    """A small office: camat, kasi, clerk, hr, admin and two ASN."""
    camat = make_user("camat", "camat", position="Camat Plaju")
    # those who may stand in for an official (a Plh signs with his NIP) have one
    kasi = make_user("kasi", "section_head", supervisor=camat, nip="197801012003121001")
    return {
        "camat": camat, "kasi": kasi,
        "kasi2": make_user("kasi2", "section_head", supervisor=camat, nip="197902022004121002"),
        "clerk": make_user("clerk", "clerk", supervisor=kasi),
        "hr": make_user("hr", "hr", supervisor=camat),
        "admin": make_user("admin", "admin"),
        "sekcam": make_user("sekcam", "sekcam", supervisor=camat, nip="197503032000031001"),
        "asn": make_user("asn", supervisor=kasi),
    }


@pytest.fixture()
def login_as(client, users):
    def login(username: str, password: str = PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return users.get(username)
    return login


@pytest.fixture()
def smtp(app):
    """A real SMTP server on 127.0.0.1 at an ephemeral port, used as the app's mail server."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = SmtpSwitch(inbox, port)
    controller.start()
    inbox.controller = controller  # tests may stop and start the server (an outage, see tests/notify)
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    app.config.update(MAIL_SERVER=old[0], MAIL_PORT=old[1])
    controller.stop()


class SmtpSwitch:
    """Stops and starts the local SMTP server on the same port (an aiosmtpd Controller runs once)."""

    def __init__(self, inbox, port):
        self.inbox, self.port, self.running = inbox, port, None

    def start(self):
        if self.running is None:
            self.running = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.running.start()

    def stop(self):
        if self.running is not None:
            self.running.stop()
            self.running = None


def pytest_configure(config):
    if os.environ.get("CI") == "true" and os.environ.get("PLAJU_REQUIRE_POSTGRES") == "1" and not PG_URL:
        raise pytest.UsageError("CI expects PostgreSQL: set PLAJU_TEST_DATABASE_URL")



"""The database restarting while work is queued (PostgreSQL): every connection of the database is
terminated and new ones are refused for a moment, as in a restart. The delivery job fails with the
database, RQ schedules its retry, /healthz answers 503 naming the database; once it is back the app
recovers by itself and the retried job sends the message once."""
import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from plaju.notify.models import OutboxMessage
from plaju.notify.service import notify
from tests.tasks.conftest import queue_of, work_here

pytestmark = pytest.mark.postgres


@pytest.fixture()
def restartable(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a database restart is played on PostgreSQL (set PLAJU_TEST_DATABASE_URL)")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database

    def down():
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})

    def up():
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    yield down, up
    up()
    admin.dispose()


def test_a_job_caught_by_a_database_restart_is_retried_and_the_app_recovers(rq_app, db, users, mailbox,
                                                                            restartable):
    down, up = restartable
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], "Menunggu tindakan Anda", url="/inbox/")
    db.session.commit()
    message_id = db.session.scalar(select(OutboxMessage.message_id))
    db.session.rollback()
    queue = queue_of(rq_app)
    [job] = queue.get_jobs()
    client = rq_app.test_client()
    down()
    try:
        work_here(rq_app)  # the job meets the restart: it fails, RQ keeps it for a retry
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["down"] == ["database"]
        page = client.get("/track/PLJ-ABCDE-FGHJK")  # a page that reads the database
        assert page.status_code == 503 and "Layanan sedang terganggu" in page.get_data(as_text=True)
    finally:
        up()
    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == 2
    assert mailbox.messages == []
    # nothing restarts the app: the pool drops the dead connections and the next request gets a new one
    assert client.get("/healthz").status_code in (200, 503)  # a stale pooled connection may fail once
    assert client.get("/healthz").status_code == 200
    assert client.get("/track/PLJ-ABCDE-FGHJK").status_code == 404  # served again: no such code
    scheduled = ScheduledJobRegistry(queue=queue)  # RQ's scheduler enqueues the retry when due
    scheduled.remove(job.id)
    queue.enqueue_job(job)
    work_here(rq_app)
    assert mailbox.message_ids() == [f"<{message_id}@plaju.local>"]
    db.session.rollback()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.sent_at is not None

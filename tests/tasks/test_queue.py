"""Background work on RQ with a real Redis, real worker processes and a real SMTP server: the outbox
stays the source of truth, a job is enqueued after the commit, a killed worker's job runs again with
the same message id, a lost job is made good by the sweep, and a backlog leaves the app serving."""
import time
from types import SimpleNamespace

import pytest
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from plaju.database import utcnow
from plaju.notify.models import OutboxMessage
from plaju.notify.service import notify
from plaju.tasks import jobs, queue_stats
from tests.tasks.conftest import REDIS_URL, queue_of, start_worker, wait_for, work_here


def _mail_kasi(db, users, subject="Menunggu tindakan Anda"):
    users["kasi"].email = "kasi@plaju.local"
    notify(users["kasi"], subject, "Ada permohonan baru.", url="/inbox/")
    db.session.commit()
    return _row(db, db.session.scalar(select(OutboxMessage.message_id).order_by(OutboxMessage.id.desc())))


def _row(db, message_id) -> SimpleNamespace:
    """The row as it is now, read in a transaction that is ended at once (on SQLite an open one
    would hold the write lock the worker needs)."""
    db.session.rollback()
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).one()
    snapshot = SimpleNamespace(message_id=row.message_id, sent_at=row.sent_at, attempts=row.attempts,
                               next_attempt_at=row.next_attempt_at)
    db.session.rollback()
    return snapshot


def test_a_committed_message_becomes_a_job_and_the_worker_sends_it_once(rq_app, db, users, mailbox):
    row = _mail_kasi(db, users)
    message_id = row.message_id
    queue = queue_of(rq_app)
    [job] = queue.get_jobs()
    assert job.func_name == "plaju.tasks.jobs.deliver" and job.args == ([message_id],)
    assert mailbox.messages == []  # the request only enqueued
    worker = start_worker(rq_app, mailbox.port)
    output = worker.communicate(timeout=60)[0].decode()
    assert worker.returncode == 0, output
    assert mailbox.message_ids() == [f"<{message_id}@plaju.local>"], output
    row = _row(db, message_id)
    assert row.sent_at is not None and row.attempts == 1
    assert queue.count == 0
    work_here(rq_app)  # nothing left to do, and a second sweep finds nothing due
    with rq_app.app_context():
        assert jobs.sweep_outbox() == 0
    assert len(mailbox.messages) == 1


def test_a_rolled_back_step_sends_nothing(rq_app, db, users, mailbox):
    users["kasi"].email = "kasi@plaju.local"
    db.session.commit()
    notify(users["kasi"], "Tidak jadi")
    db.session.rollback()
    notify(users["asn"], "Tanpa surel")  # a later commit in the same session, no mail of its own
    db.session.commit()
    work_here(rq_app)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    db.session.rollback()
    assert mailbox.messages == []


def test_redis_down_at_commit_the_step_commits_and_the_sweep_delivers(rq_app, db, users, mailbox):
    rq_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    rq_app.extensions.pop("plaju_tasks", None)
    started = time.monotonic()
    row = _mail_kasi(db, users)
    assert time.monotonic() - started < 5  # the request is not held up
    body = rq_app.test_client().get("/healthz").get_json()
    assert body["queue"]["reachable"] is False and "queue" in body["down"] and body["status"] == "degraded"
    rq_app.config["REDIS_URL"] = REDIS_URL  # Redis is back
    rq_app.extensions.pop("plaju_tasks", None)
    assert queue_of(rq_app).count == 0  # the job was lost
    with rq_app.app_context():
        assert jobs.sweep_outbox() == 1
    work_here(rq_app)
    assert mailbox.message_ids() == [f"<{row.message_id}@plaju.local>"]


@pytest.mark.parametrize("moment", ["before_send", "after_send"])
def test_a_worker_killed_mid_job_runs_the_job_again_with_the_same_message_id(rq_app, db, users, mailbox, moment):
    row = _mail_kasi(db, users)
    message_id = row.message_id
    queue = queue_of(rq_app)
    [job] = queue.get_jobs()
    worker = start_worker(rq_app, mailbox.port, PLAJU_OUTBOX_LEASE_SECONDS="1")
    mailbox.kill_at, mailbox.victim = moment, worker
    worker.communicate(timeout=60)
    assert worker.returncode == -9  # killed mid-job
    assert len(mailbox.messages) == (1 if moment == "after_send" else 0)
    claimed = _row(db, message_id)
    assert claimed.sent_at is None and claimed.attempts == 1  # claimed, never recorded as sent
    # RQ finds the job abandoned by the dead worker once its heartbeat lapses (about a minute; the
    # clock is moved on here) and schedules its retry, which RQ's scheduler enqueues when due
    started_jobs = StartedJobRegistry(queue=queue)
    assert job.id in started_jobs.get_job_ids(cleanup=False)
    later = time.time() + 3600
    started_jobs.cleanup(timestamp=later)
    scheduled = ScheduledJobRegistry(queue=queue)
    assert scheduled.get_jobs_to_schedule(later) == [job.id]
    scheduled.remove(job.id)
    queue.enqueue_job(queue.fetch_job(job.id))
    assert queue.get_job_ids() == [job.id]
    wait_for(lambda: utcnow() > claimed.next_attempt_at, what="the claim's lease to lapse")
    work_here(rq_app)  # the same job runs again
    sent = _row(db, message_id)
    assert sent.sent_at is not None and sent.attempts == 2
    expected = f"<{message_id}@plaju.local>"
    if moment == "after_send":  # the receiver got it twice, with one id, and can drop the repeat
        assert mailbox.message_ids() == [expected, expected]
    else:
        assert mailbox.message_ids() == [expected]
    assert {m["Message-ID"] for m in mailbox.messages} == {expected}


def test_a_backlog_leaves_the_app_serving_and_healthz_reports_it(rq_app, db, users, make_request, login_as, client):
    queue = queue_of(rq_app)
    with queue.connection.pipeline() as pipe:  # 1,200 jobs waiting, no worker running
        queue.enqueue_many([queue.prepare_data("plaju.tasks.jobs.deliver", ([f"none-{i}"],))
                            for i in range(1200)], pipeline=pipe)
        pipe.execute()
    rq_app.config["QUEUE_MAX_AGE_SECONDS"] = 1
    time.sleep(1.2)
    req = make_request("verifying")
    login_as("kasi")
    started = time.monotonic()
    response = client.post(f"/documents/{req.id}/actions/accept", data={"version": str(req.version)},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert client.get("/").status_code == 200
    assert time.monotonic() - started < 5
    body = client.get("/healthz").get_json()
    assert client.get("/healthz").status_code == 200
    assert body["status"] == "degraded" and body["down"] == []
    queue_state = body["queue"]
    assert queue_state["backend"] == "rq" and queue_state["depth"] >= 1200
    assert queue_state["oldest_seconds"] >= 1 and queue_state["backlog"] is True and queue_state["workers"] == 0
    # the sweep does not pile more jobs onto a backlog whose jobs will find the due rows anyway
    with rq_app.app_context():
        assert jobs.sweep_outbox() == 0


def test_scheduled_jobs_are_registered_and_run_on_the_worker(rq_app, db, users, mailbox):
    from plaju.tasks.schedule import SCHEDULE, cron_scheduler
    assert {job.name for job in SCHEDULE} == {"outbox-sweep", "audit-export-resume", "audit-days", "sla-sweep",
                                              "audit-checkpoint", "stand-ins", "ready-todos", "outbox-prune"}
    rq_app.config["OUTBOX_DELIVERY"] = "off"  # a message committed while nothing enqueues it
    row = _mail_kasi(db, users)
    rq_app.config["OUTBOX_DELIVERY"] = "rq"
    from plaju.audit.record import record
    record("test.scheduled", actor=users["hr"])  # an event for the day index's job to count
    db.session.commit()
    scheduler = cron_scheduler(rq_app)
    enqueued = [job.name for job in scheduler.enqueue_jobs()]
    # interval jobs start at once, cron jobs wait for their time
    assert enqueued == ["outbox-sweep", "audit-export-resume", "audit-days"]
    work_here(rq_app)  # the sweep enqueues the due message, the delivery job sends it
    assert mailbox.message_ids() == [f"<{row.message_id}@plaju.local>"]
    with rq_app.app_context():  # the day index job counted the log's events
        from plaju.audit.days import covered_seq
        from plaju.audit.models import AuditEvent
        assert covered_seq() == db.session.scalar(select(func.max(AuditEvent.seq)))
        assert covered_seq() > 0


def test_a_scheduled_command_runs_as_a_job_and_a_failing_one_fails_the_job(rq_app, db, users):
    with rq_app.app_context():
        assert jobs.run_command("outbox", "status").startswith("pending=")
        with pytest.raises(jobs.CommandFailed, match="audit verify exited"):
            jobs.run_command("audit", "verify")  # no checkpoint yet: not proven, exit 2


def test_without_redis_the_in_process_scheduler_delivers(app, db, users, mailbox):
    from plaju.tasks.schedule import InProcessScheduler, Scheduled
    app.config["OUTBOX_DELIVERY"] = "off"
    try:
        row = _mail_kasi(db, users)
    finally:
        app.config["OUTBOX_DELIVERY"] = "inline"
    with app.app_context():
        assert queue_stats({"pending": 1, "oldest_pending_seconds": 0})["backend"] == app.config["QUEUE"]
    scheduler = InProcessScheduler(app, [Scheduled("outbox-sweep", jobs.outbox_sweep, interval=60)]).start()
    try:
        wait_for(lambda: mailbox.messages, what="the in-process sweep to send")
    finally:
        scheduler.stop.set()
        scheduler.thread.join(timeout=5)
    assert mailbox.message_ids() == [f"<{row.message_id}@plaju.local>"]


@pytest.mark.parametrize("name", ["PLAJU_QUEUE", "PLAJU_OUTBOX_DELIVERY"])
def test_an_unknown_queue_mode_refuses_to_start(monkeypatch, tmp_path, name):
    from plaju.config import ConfigError, load
    for variable in ("PLAJU_QUEUE", "PLAJU_OUTBOX_DELIVERY", "PLAJU_ENV"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(name, "celery")
    with pytest.raises(ConfigError, match=name):
        load(str(tmp_path))
    monkeypatch.delenv(name)
    monkeypatch.setenv("PLAJU_QUEUE", "rq")
    settings = load(str(tmp_path))
    assert settings["QUEUE"] == settings["OUTBOX_DELIVERY"] == "rq"
    monkeypatch.setenv("PLAJU_OUTBOX_DELIVERY", "off")
    assert load(str(tmp_path))["OUTBOX_DELIVERY"] == "off"

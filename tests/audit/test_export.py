"""Exports of /audit/: the same rows as the page, CSV and XLSX, small ones at once, large ones in the
background with progress; formula cells escaped; a client that leaves mid-download leaves nothing behind."""
import csv
import io
import re
import sqlite3
import time
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import func, or_, select, text

from plaju.audit import record as audit
from plaju.audit.export import safe_cell
from plaju.audit.models import AuditEvent, AuditExport
from plaju.timeutil import to_wib


@pytest.fixture()
def stream_limit(app):
    old = app.config.get("AUDIT_EXPORT_STREAM_LIMIT")

    def set_limit(n):
        app.config["AUDIT_EXPORT_STREAM_LIMIT"] = n
    yield set_limit
    if old is None:
        app.config.pop("AUDIT_EXPORT_STREAM_LIMIT", None)
    else:
        app.config["AUDIT_EXPORT_STREAM_LIMIT"] = old


@pytest.fixture()
def export_folder(app, tmp_path):
    app.config["AUDIT_EXPORT_FOLDER"] = str(tmp_path / "exports")
    yield tmp_path / "exports"
    app.config.pop("AUDIT_EXPORT_FOLDER", None)


def page_rows(client, query) -> list[tuple[int, str]]:
    """(seq, sentence) of every row of every page of a search, following the "older" links."""
    rows, url = [], "/audit/"
    params = query
    while url:
        body = client.get(url, query_string=params).get_data(as_text=True)
        for seq, sentence in re.findall(r'data-seq="(\d+)">.*?data-testid="sentence">([^<]*)', body, re.S):
            rows.append((int(seq), sentence.strip().replace("&#39;", "'").replace("&amp;", "&")))
        found = re.search(r'href="([^"]+)" data-testid="older"', body)
        url, params = (found.group(1).replace("&amp;", "&"), None) if found else (None, None)
    return rows


def xlsx_rows(data: bytes) -> list[tuple[int, str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:5] == ("No.", "Waktu (WIB)", "Yang terjadi", "Pelaku", "NIP")
    # the time is a date and time (WIB) a spreadsheet sorts and filters, not text
    assert all(isinstance(r[1], datetime) for r in values[1:])
    # laid out for a person: the header in view, the time column wide enough, the sentences wrapped
    full = openpyxl.load_workbook(io.BytesIO(data)).active
    assert full.freeze_panes == "A2" and full.column_dimensions["B"].width >= 16
    assert len(values) == 1 or full["C2"].alignment.wrap_text
    return [(int(r[0]), r[2]) for r in values[1:]]


def csv_rows(data: bytes) -> list[tuple[int, str]]:
    text_ = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text_), delimiter=";"))
    assert rows[0][:5] == ["No.", "Waktu (WIB)", "Yang terjadi", "Pelaku", "NIP"]
    return [(int(r[0]), r[2]) for r in rows[1:]]


def wait_for_export(client, job_url: str, seconds: int = 30) -> tuple[str, str]:
    """(status, fragment) of a background export once it is no longer queued or running, or at the deadline:
    the job page polled as its htmx fragment does."""
    deadline = time.time() + seconds
    while True:
        body = client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
        status = re.search(r'data-status="(\w+)"', body).group(1)
        if status not in ("queued", "running") or time.time() > deadline:
            return status, body
        time.sleep(0.2)  # the job runs in another thread or process: poll it


def test_hr_exports_one_requests_changes_found_by_its_tracking_code(db, client, users, login_as, take_in,
                                                                     export_folder):
    from plaju.documents.services import take_action
    mine = take_in("Siti Aminah")
    other = take_in("Budi Santoso")
    take_action(mine, "verify", users["clerk"], version=mine.version)
    take_action(other, "verify", users["clerk"], version=other.version)
    take_action(mine, "accept", users["kasi"], version=mine.version)
    users["kasi"].nip = "198001012005011001"
    db.session.commit()
    login_as("hr")
    page = page_rows(client, {"code": mine.tracking_code})
    assert len(page) == 3
    for fmt, read in (("xlsx", xlsx_rows), ("csv", csv_rows)):
        response = client.post("/audit/export", data={"code": mine.tracking_code, "fmt": fmt})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert "attachment" in response.headers["Content-Disposition"]
        assert read(response.get_data()) == page
        if fmt == "xlsx":  # the same moment as the page shows it, in WIB
            first = openpyxl.load_workbook(io.BytesIO(response.get_data())).active["B2"]
            event = db.session.get(AuditEvent, page[0][0]) or db.session.scalar(
                select(AuditEvent).where(AuditEvent.seq == page[0][0]))
            assert first.value == to_wib(datetime.fromisoformat(event.occurred_at)).replace(
                tzinfo=None, microsecond=first.value.microsecond)
            assert first.number_format == "dd mmm yyyy hh:mm"
        else:  # who acted, in columns a spreadsheet filters on: the Kasi's accept is the newest row
            newest = next(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig").split("\n", 2)[1]),
                                     delimiter=";"))
            assert users["kasi"].full_name in newest[3] and newest[4] == "198001012005011001"
    db.session.rollback()
    exports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")
                                 .order_by(AuditEvent.seq)).all()
    assert [(e.actor_id, e.changes_dict["format"][1], e.changes_dict["rows"][1]) for e in exports] == [
        (users["hr"].id, "xlsx", 3), (users["hr"].id, "csv", 3)]
    assert exports[0].comment == f"kode lacak {mine.tracking_code}"  # the search in HR's words, not "code=..."


def test_formula_cells_are_escaped_in_both_formats(db, client, users, login_as, export_folder):
    for comment in ("=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", "biasa"):
        audit.record("test.note", actor=users["kasi"], comment=comment)
    db.session.commit()
    login_as("hr")
    book = openpyxl.load_workbook(io.BytesIO(client.post("/audit/export", data={
        "action": "test.note", "fmt": "xlsx"}).get_data()))
    notes = [row[-3] for row in book.active.iter_rows(min_row=2, values_only=True)]  # then address, fingerprint
    # the workbook holds them as text cells, as written; the CSV, which has no cell types, with an apostrophe
    typed = ["biasa", "\rx", "\tx", "@SUM(A1)", "-2", "+1+1", "=HYPERLINK(\"http://x\")"]
    assert notes == typed
    assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)
    csv_notes = [r[-3] for r in csv.reader(io.StringIO(client.post("/audit/export", data={
        "action": "test.note", "fmt": "csv"}).get_data().decode("utf-8-sig")), delimiter=";")][1:]
    assert csv_notes == [typed[0]] + ["'" + note for note in typed[1:]]
    hashes = [row[-1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert hashes == [e.hash for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "test.note").order_by(AuditEvent.seq.desc()))]
    assert safe_cell(-5) == -5 and safe_cell("a=b") == "a=b"


def test_a_large_export_is_built_in_the_background_with_progress(app, db, client, users, login_as, stream_limit,
                                                                 export_folder):
    for i in range(40):
        audit.record("test.many", actor=users["kasi"], comment=f"baris {i}")
    db.session.commit()
    stream_limit(10)
    login_as("hr")
    page = page_rows(client, {"action": "test.many"})
    started = client.post("/audit/export", data={"action": "test.many", "fmt": "xlsx"})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    first = client.get(job_url).get_data(as_text=True)
    assert 'data-testid="export-progress"' in first
    deadline = time.time() + 30
    while True:
        body = client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
        status = re.search(r'data-status="(\w+)"', body).group(1)
        if status in ("queued", "running"):
            assert 'hx-trigger="load delay:1s, every 2s"' in body  # polls while running
        if status not in ("queued", "running") or time.time() > deadline:
            break
        time.sleep(0.2)
    assert status == "done" and "hx-trigger" not in body
    file_url = re.search(r'href="([^"]+)" data-testid="download"', body).group(1)
    data = client.get(file_url).get_data()
    assert xlsx_rows(data) == page and len(page) == 40
    assert sorted(p.name for p in export_folder.iterdir()) == [f"{job_url.rsplit('/', 1)[1]}.xlsx"]
    # the job is its owner's alone
    login_as("admin")
    assert client.get(job_url).status_code == 404 and client.get(file_url).status_code == 404


def test_a_client_leaving_mid_download_leaves_nothing_behind(app, db, client, users, login_as, export_folder):
    for i in range(2500):
        audit.record("test.bulk", actor=users["kasi"], comment=f"baris {i}")
    db.session.commit()
    login_as("hr")
    response = client.post("/audit/export", data={"action": "test.bulk", "fmt": "csv"}, buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    next(chunks), next(chunks)  # the header and the first batch, then the client goes away
    response.close()
    db.session.rollback()
    # no transaction left holding SQLite's write lock: another writer gets in at once (checked before
    # this test's own session begins again); no job and no file
    if db.engine.dialect.name == "sqlite":
        probe = sqlite3.connect(db.engine.url.database, timeout=0.5)
        probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the stream kept its transaction
        probe.rollback()
        probe.close()
    else:
        idle = db.session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"))
        assert idle == 0
    assert db.session.scalar(select(func.count()).select_from(AuditExport)) == 0
    assert not export_folder.exists() or not any(export_folder.iterdir())
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "audit.export")) == 1


WORKER = """
import sys
from rq import SimpleWorker
from plaju import create_app
from plaju.tasks import jobs, task_queue
url, folder, secret, queue_name = sys.argv[1:5]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUDIT_EXPORT_FOLDER": folder, "SECRET_KEY": secret,
                  "AUDIT_EXPORT_BATCH": 20, "AUDIT_EXPORT_LEASE_SECONDS": 1, "OUTBOX_DELIVERY": "off",
                  "QUEUE": "rq", "QUEUE_NAME": queue_name})
jobs.set_app(app)
# a long export: after its first batch this worker waits, so the test kills it half-way whatever the
# machine's speed (a fast one finished 1,500 rows before the test could look)
import time
from plaju.audit import export
renew = export._renew
def renew_then_wait(job_id, token, **values):
    renew(job_id, token, **values)
    if values.get("done") and values.get("status") != "done":
        time.sleep(120)
export._renew = renew_then_wait
queue = task_queue(app).queue
SimpleWorker([queue], connection=queue.connection).work(burst=True)  # runs the job in this process
"""


@pytest.mark.parametrize("resumed_by", ["progress page", "scheduled job"])
def test_an_export_whose_worker_is_killed_is_built_again_with_the_same_rows(app, db, client, users, login_as,
                                                                           stream_limit, export_folder,
                                                                           tmp_path, resumed_by):
    """An RQ worker process building the file is killed half-way (as a restart does); the job's row and its
    lease outlive it, and the job is built again from the start by the application (when its owner looks
    at the progress, or by the scheduled job): the same rows as the page, no half-written file left."""
    import os
    import signal
    import subprocess
    import sys

    from plaju.tasks import jobs, task_queue
    for i in range(1500):
        audit.record("test.many", actor=users["kasi"], comment=f"baris {i}")
    db.session.commit()
    stream_limit(10)
    # the request queues the job on Redis (a queue of this test's own); a separate worker process runs it
    queue_name = f"plaju-test-export-{os.getpid()}"
    saved = {k: app.config.get(k) for k in ("QUEUE", "QUEUE_NAME")}
    saved_tasks = app.extensions.pop("plaju_tasks", None)
    app.config.update(QUEUE="rq", QUEUE_NAME=queue_name)
    try:
        login_as("hr")
        page = page_rows(client, {"action": "test.many"})
        response = client.post("/audit/export", data={"action": "test.many", "fmt": "csv"})
        queue = task_queue(app).queue
        assert queue.count == 1
    finally:
        app.config.update(saved)
        app.extensions.pop("plaju_tasks", None)
        if saved_tasks is not None:
            app.extensions["plaju_tasks"] = saved_tasks
    assert response.status_code == 303
    job_url = response.headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]

    worker = subprocess.Popen([sys.executable, "-c", WORKER, app.config["SQLALCHEMY_DATABASE_URI"],
                               str(export_folder), app.config["SECRET_KEY"], queue_name],
                              cwd=os.getcwd(), env=os.environ | {"PYTHONPATH": os.getcwd()},
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "wb"))
    deadline = time.time() + 60
    while time.time() < deadline:
        job = db.session.get(AuditExport, job_id, populate_existing=True)
        running = job.status == "running" and job.done > 0
        # end the read before waiting: outside a request, SQLite's transactions begin IMMEDIATE, and one
        # held through the sleep kept the worker from ever taking the lock ("database is locked")
        db.session.rollback()
        if running:
            break
        assert worker.poll() is None, ("the worker ended before it could be interrupted:\n"
                                       + (tmp_path / "worker.log").read_text()[-2000:])
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)  # no clean-up runs: as a server that is restarted or crashes
    worker.wait(timeout=10)
    for key in queue.connection.scan_iter(f"rq:*{queue_name}*"):  # the test's queue and its registries
        queue.connection.delete(key)
    db.session.rollback()
    job = db.session.get(AuditExport, job_id, populate_existing=True)
    assert job.status == "running" and 0 < job.done < 1500 and job.attempts == 1
    assert [p.name for p in export_folder.iterdir() if p.name.endswith(".part")]  # half a file, for now
    db.session.commit()
    time.sleep(1.2)  # the dead worker's lease (1 s) runs out

    # the restarted application picks the job up again
    if resumed_by == "scheduled job":
        jobs.set_app(app)
        assert jobs.resume_audit_exports() == 1
    status, body = wait_for_export(client, job_url, 60)
    assert status == "done", body[:500]
    file_url = re.search(r'href="([^"]+)" data-testid="download"', body).group(1)
    assert csv_rows(client.get(file_url).get_data()) == page and len(page) == 1500
    assert sorted(p.name for p in export_folder.iterdir()) == [f"{job_id}.csv"]  # no half file left
    db.session.rollback()
    job = db.session.get(AuditExport, job_id, populate_existing=True)
    assert (job.attempts, job.done, job.total, job.lease_until) == (2, 1500, 1500, None)


def test_an_act_as_plh_says_for_whom_and_by_which_surat_perintah(db, client, users, login_as, export_folder):
    """HR proves an act done in someone's name from the log alone: the Plh's principal and surat perintah."""
    from datetime import timedelta

    from plaju.accounts.models import Delegation
    from plaju.audit import record as audit
    from plaju.timeutil import today_wib
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1),
                              order_number="800/012/SP/2026", order_date=today - timedelta(days=2)))
    db.session.commit()
    audit.record("test.plh", actor=users["sekcam"], acting_for=users["camat"], comment="atas nama")
    db.session.commit()
    login_as("hr")
    page = client.get("/audit/", query_string={"action": "test.plh"}).text
    said = f"Plh untuk {users['camat'].full_name}, surat perintah 800/012/SP/2026 tanggal"
    assert 'data-testid="basis"' in page and said in page
    data = client.post("/audit/export", data={"action": "test.plh", "fmt": "csv"}).get_data().decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(data), delimiter=";"))[:2]
    assert header[5] == "Atas nama (Plh/Plt)" and row[5].startswith(said)
    assert users["sekcam"].full_name in row[3]


def test_a_person_found_as_actor_and_as_object_has_every_event_on_the_pages_and_in_the_export(
        db, client, users, login_as, export_folder):
    """One event can name a person twice (the Kasi changing his own account: actor and object): the page of
    a person's search stopped short of 50 rows with no "older" link, and the export left events out while
    its own entry claimed them all."""
    kasi = users["kasi"]
    for i in range(70):
        audit.record("test.self", actor=kasi, subject=kasi, comment=f"perubahan {i}")
    for i in range(10):
        audit.record("test.other", actor=kasi, comment=f"lain {i}")
    db.session.commit()
    expected = db.session.scalar(select(func.count()).select_from(AuditEvent).where(or_(
        AuditEvent.actor_id == kasi.id, AuditEvent.acting_for_id == kasi.id,
        (AuditEvent.subject_type == "user") & (AuditEvent.subject_id == str(kasi.id)))))
    login_as("hr")
    first = client.get("/audit/", query_string={"person": "kasi"}).text
    assert first.count('data-testid="sentence"') == 50 and 'data-testid="older"' in first
    page = page_rows(client, {"person": "kasi"})
    assert len(page) == len({seq for seq, _ in page}) == expected
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.post("/audit/export", data={"person": "kasi", "fmt": fmt})
        assert read(response.get_data()) == page
        assert response.headers["Content-Type"].count("charset") == (fmt == "csv")  # said once, not twice


def test_an_export_of_one_object_s_history_names_the_object_in_its_own_entry(db, client, users, login_as,
                                                                            take_in, export_folder):
    """The log said HR exported "seluruh riwayat satu berkas", not which one."""
    req = take_in("Siti Aminah")
    login_as("hr")
    response = client.post("/audit/export", data={"subject": f"document:{req.id}", "fmt": "csv"})
    assert response.status_code == 200
    db.session.rollback()
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert req.tracking_code in entry.comment and "seluruh riwayat" in entry.comment

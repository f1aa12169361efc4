"""Export of the events a search of /audit/ finds, to CSV or XLSX.

The rows are the page's rows: the same search, the same sentences (sentences.render), newest first.
Events are read in keyset batches of BATCH, each batch in a transaction of its own (on SQLite every
transaction holds the write lock), so memory and locks stay flat whatever the number of rows.

Small exports (up to AUDIT_EXPORT_STREAM_LIMIT rows) are sent at once: CSV streamed batch by batch,
XLSX written in openpyxl's write-only mode. Larger ones become an `AuditExport` job: `run_export(job_id)`
writes the file under instance/exports/ in the background, the page polls its progress. Where the job
runs is decided in one place, `start_export()`: an RQ job (PLAJU_QUEUE=rq) or a thread.

The job's row is the truth, not the process building it: a runner claims the row with a lease it renews
every batch, writes to a part file of its own and renames it only when complete. When the runner dies
(server restarted, worker killed) the lease runs out, and `resume_exports()` (the scheduled job, a
worker starting, or the owner's progress page) starts the job again from the beginning; the dead
runner's part file is removed. The search is bounded by `upto` (the log's head when asked), so the
rebuilt file has the same rows.

A cell that a spreadsheet would read as a formula (starting with = + - @, tab or CR) gets a leading
apostrophe.
"""
import contextvars
import io
import json
import logging
import os
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import and_, or_, select, update
from werkzeug.datastructures import MultiDict

from ..database import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..spreadsheet import Figure, csv_writer, safe_cell, xlsx_row
from ..timeutil import to_wib
from . import sentences
from .models import AuditEvent, AuditExport

log = logging.getLogger(__name__)
BATCH = 1000
LEASE_SECONDS = 120   # a runner silent this long is taken for dead
MAX_ATTEMPTS = 3      # a job interrupted this often is marked failed rather than started again
QUEUED_GRACE = 30     # seconds a queued job may wait for its runner before it is started again
MIME = {"csv": "text/csv",  # werkzeug adds "; charset=utf-8" to a text type
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# per column of header(): its width in characters, and the columns of long text that wrap
XLSX_WIDTHS = (8, 18, 60, 32, 20, 28, 10, 16, 40, 32, 26, 50, 40, 16, 20)
XLSX_WRAPPED = (2, 3, 5, 7, 8, 9, 10, 11, 12)


def header() -> list[str]:
    # last: each event's chain fingerprint, so an extract can be matched to the log it came from later
    return [_("No."), _("Time (WIB)"), _("What happened"), _("Actor"), _("NIP"), _("Acting for"), _("Outcome"),
            _("Matches the chain"), _("Reason"), _("Object"), _("State"), _("Changes"), _("Note"),
            _("From address (IP)"), _("Event fingerprint")]


def row(line) -> list:
    e = line.event
    state = ""
    if line.state_to:
        state = f"{line.state_from} → {line.state_to}" if line.state_from else line.state_to
    changes = "; ".join(f"{c.label}: {c.before} → {c.after}" if c.before != "—" else f"{c.label}: {c.after}"
                        for c in line.changes)
    # the time as the page writes it, and in a spreadsheet a date and time in WIB one can sort and filter
    when = Figure(line.when, to_wib(datetime.fromisoformat(e.occurred_at)).replace(tzinfo=None), "dd mmm yyyy hh:mm")
    # who acted and their NIP in columns of their own: a spreadsheet filters by person
    cells = [e.seq, when, line.text, line.who, line.nip, line.basis, _("Refused") if line.refused else _("Done"),
             # whether the row's content still matches its own hash (seal.py): changed in the database, if not
             _("no: changed outside the application") if line.altered else _("yes"),
             line.reason or "", line.subject or "", state, changes, line.comment or "", e.ip or "", e.hash or ""]
    return cells


def batches(search, *, stop: int | None = None):
    """Lists of rows (cells), newest first, BATCH at a time; each batch's transaction ends before the
    caller writes it out."""
    before, sent = None, 0
    size = int(current_app.config.get("AUDIT_EXPORT_BATCH", BATCH))
    while True:
        limit = size if stop is None else min(size, stop - sent)
        if limit <= 0:
            return
        events = list(db.session.scalars(search.statement(before=before, limit=limit)))
        rows = [row(line) for line in sentences.render(events, subjects=True, whole=True, hide_numbers=True)]
        before = events[-1].seq if events else None
        db.session.commit()
        if not rows:
            return
        yield rows
        sent += len(rows)
        if len(rows) < limit:
            return


def _csv_chunks(search, stop: int):
    """The CSV, a batch at a time (UTF-8 with BOM, so spreadsheets read the Bahasa text right)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(header())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for lines in batches(search, stop=stop):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([safe_cell(c) for c in cells] for cells in lines)
        yield buffer.getvalue().encode("utf-8")


class Stream:
    """A response body produced after the view returned, in an app context (and database session) of
    its own inside a private contextvars.Context, whichever thread or context the server iterates it in.
    close(), which WSGI servers call when the client leaves, ends the generator, its transaction and its
    context: nothing stays open."""

    def __init__(self, make, locale: str):
        self.app = current_app._get_current_object()
        self.make, self.locale = make, locale
        self.context = contextvars.Context()
        self.generator = self.app_ctx = self.locale_ctx = None

    def __iter__(self):
        return self

    def __next__(self):
        return self.context.run(self._step)

    def _step(self):
        if self.generator is None:
            self.app_ctx = self.app.app_context()
            self.app_ctx.push()
            self.locale_ctx = force_locale(self.locale)
            self.locale_ctx.__enter__()
            self.generator = self.make()
        try:
            return next(self.generator)
        except BaseException:
            self._finish()
            raise

    def close(self):
        self.context.run(self._finish)

    def _finish(self):
        if self.generator is not None:
            self.generator.close()
            self.generator = None
        if self.app_ctx is not None:
            db.session.rollback()  # the client may leave half-way: no transaction (nor SQLite's lock) stays
            db.session.remove()
            self.locale_ctx.__exit__(None, None, None)
            self.app_ctx.pop()
            self.app_ctx = None


def stream_csv(search, stop: int) -> Stream:
    return Stream(lambda: _csv_chunks(search, stop), str(get_locale() or "id"))


def write_xlsx(search, target, *, stop: int | None = None, progress=None) -> int:
    """Write the XLSX to `target` (a path or a binary file) in write-only mode; returns the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit log")[:31])
    # read at once by a person: columns wide enough for their text (the time no "#####"), the sentences and
    # changes wrapped, the header kept in view
    for column, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(xlsx_row(sheet, header(), font=Font(bold=True)))
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for lines in batches(search, stop=stop):
        for cells in lines:
            row_cells = xlsx_row(sheet, cells)
            for index in XLSX_WRAPPED:
                row_cells[index].alignment = wrap
            sheet.append(row_cells)
        count += len(lines)
        if progress:
            progress(count)
    book.save(target)
    return count


def write_csv(search, path, *, progress=None) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv_writer(out)
        writer.writerow(header())
        for lines in batches(search):
            writer.writerows([safe_cell(c) for c in cells] for cells in lines)
            count += len(lines)
            if progress:
                progress(count)
    return count


def folder() -> Path:
    path = Path(current_app.config.get("AUDIT_EXPORT_FOLDER") or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(job: AuditExport) -> Path:
    return folder() / f"{job.id}.{job.fmt}"


def stream_limit() -> int:
    return int(current_app.config.get("AUDIT_EXPORT_STREAM_LIMIT", 5000))


def create_job(user, search, fmt: str, *, total: int, upto: int) -> AuditExport:
    """A job for the search's events up to seq `upto` (those the page showed when it was asked for)."""
    filters = search.query_args() | {"upto": str(upto)}
    job = AuditExport(id=uuid.uuid4().hex, user_id=user.id, fmt=fmt, total=total,
                      filters=json.dumps(filters, sort_keys=True))
    db.session.add(job)
    return job


def remove_old_files(keep_hours: int | None = None) -> int:
    """Remove export files (and half-written ones) older than AUDIT_EXPORT_KEEP_HOURS."""
    hours = keep_hours if keep_hours is not None else current_app.config.get("AUDIT_EXPORT_KEEP_HOURS", 24)
    limit = (utcnow() - timedelta(hours=hours)).timestamp()
    removed = 0
    for path in folder().iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class LostClaim(Exception):
    """Another runner took the job over (this one was taken for dead)."""


def _lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("AUDIT_EXPORT_LEASE_SECONDS", LEASE_SECONDS)))


def claim(job_id: str) -> str | None:
    """Take the job if it waits or its runner's lease ran out (one UPDATE, so two runners never both
    win); returns this runner's token."""
    token, now = uuid.uuid4().hex, utcnow()
    claimed = db.session.execute(
        update(AuditExport).where(AuditExport.id == job_id, AuditExport.attempts < MAX_ATTEMPTS, or_(
            AuditExport.status == "queued",
            and_(AuditExport.status == "running",
                 or_(AuditExport.lease_until.is_(None), AuditExport.lease_until < now))))
        .values(status="running", runner=token, lease_until=now + _lease(), attempts=AuditExport.attempts + 1,
                done=0)).rowcount
    db.session.commit()
    return token if claimed == 1 else None


def _renew(job_id: str, token: str, **values) -> None:
    renewed = db.session.execute(update(AuditExport).where(AuditExport.id == job_id, AuditExport.runner == token)
                                 .values({"lease_until": utcnow() + _lease()} | values)).rowcount
    db.session.commit()
    if renewed != 1:
        raise LostClaim(job_id)


def _remove_parts(job: AuditExport) -> None:
    """Half-written files of this job left by runners that died."""
    for path in folder().glob(f"{job.id}.{job.fmt}.*.part"):
        path.unlink(missing_ok=True)


def run_export(job_id: str) -> None:
    """Build one job's file: claim it, read the search again, write batch by batch to a part file of this
    runner's own, keep `done` and the lease up to date, and rename the file when complete."""
    from .own_acts import parse  # the search as the page read it ("only their own actions" too)
    token = claim(job_id)
    if token is None:  # done, failed, or another runner is at it
        return
    job = db.session.get(AuditExport, job_id, populate_existing=True)
    filters = json.loads(job.filters)
    search = parse(MultiDict(filters))
    search.conditions.append(AuditEvent.seq <= int(filters.get("upto") or 0))
    final = file_path(job)
    _remove_parts(job)
    part = final.with_name(f"{final.name}.{token[:8]}.part")
    try:
        if not search.ok:
            raise ValueError("; ".join(str(e) for e in search.errors))
        _renew(job_id, token, total=search.count(10**9))

        def progress(count):
            _renew(job_id, token, done=count)

        if job.fmt == "xlsx":
            count = write_xlsx(search, part, progress=progress)
        else:
            count = write_csv(search, part, progress=progress)
        os.replace(part, final)
        _renew(job_id, token, done=count, total=count, status="done", finished_at=utcnow(), lease_until=None)
    except LostClaim:
        log.warning("audit export %s was taken over by another runner", job_id)
        db.session.rollback()
        part.unlink(missing_ok=True)
    except Exception as exc:  # the job says it failed; nothing half-written stays behind
        log.exception("audit export %s failed", job_id)
        db.session.rollback()
        part.unlink(missing_ok=True)
        db.session.execute(update(AuditExport).where(AuditExport.id == job_id, AuditExport.runner == token)
                           .values(status="failed", error=str(exc)[:500], finished_at=utcnow(), lease_until=None))
        db.session.commit()


def stale(job: AuditExport) -> bool:
    """Waiting for a runner that is not coming: queued too long, or running with its lease run out."""
    now = utcnow()
    if job.status == "queued":
        return job.created_at < now - timedelta(seconds=QUEUED_GRACE)
    return job.status == "running" and (job.lease_until is None or job.lease_until < now)


def resume_exports() -> int:
    """Start again every job whose runner died (server restart, killed worker); a job interrupted
    MAX_ATTEMPTS times is marked failed. Returns how many were started."""
    now = utcnow()
    jobs = db.session.scalars(select(AuditExport).where(or_(
        and_(AuditExport.status == "queued", AuditExport.created_at < now - timedelta(seconds=QUEUED_GRACE)),
        and_(AuditExport.status == "running",
             or_(AuditExport.lease_until.is_(None), AuditExport.lease_until < now))))
        .order_by(AuditExport.created_at).limit(100)).all()
    started = []
    for job in jobs:
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at, job.lease_until = "failed", now, None
            job.error = f"interrupted {job.attempts} times"
        else:
            started.append(job.id)
    db.session.commit()
    for job_id in started:
        start_export(job_id)
    return len(started)


def _run_in_app(app, job_id: str) -> None:
    with app.app_context():
        try:
            run_export(job_id)
        finally:
            db.session.remove()


def start_export(job_id: str) -> None:
    """The one place that decides where an export runs: an RQ job with PLAJU_QUEUE=rq, else (or when
    Redis does not answer) a daemon thread with its own app context. Either may die with its process:
    the row and its lease let resume_exports() start it again."""
    app = current_app._get_current_object()
    if app.config.get("QUEUE") == "rq":
        from redis.exceptions import RedisError

        from ..tasks import task_queue
        try:
            task_queue(app).queue.enqueue("plaju.tasks.jobs.audit_export", job_id, job_timeout=6 * 3600,
                                          result_ttl=600, failure_ttl=7 * 86400,
                                          description=f"audit export {job_id[:8]}")
            return
        except RedisError as exc:
            log.warning("task queue unreachable (%s): audit export %s runs in this process", exc, job_id)
    threading.Thread(target=_run_in_app, args=(app, job_id), name=f"audit-export-{job_id[:8]}",
                     daemon=True).start()

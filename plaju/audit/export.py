"""Export of the events a search of /audit/ finds, to CSV or XLSX.

The rows are the page's rows: the same search, the same sentences (sentences.render), newest first.
Events are read in keyset batches of BATCH, each batch in a transaction of its own (on SQLite every
transaction holds the write lock), so memory and locks stay flat whatever the number of rows.

Small exports (up to AUDIT_EXPORT_STREAM_LIMIT rows) are sent at once: CSV streamed batch by batch,
XLSX written in openpyxl's write-only mode. Larger ones become an `AuditExport` job: `run_export(job_id)`
writes the file under instance/exports/ in the background, the page polls its progress. Where the job
runs is decided in one place, `start_export()`.

A cell that a spreadsheet would read as a formula (starting with = + - @, tab or CR) gets a leading
apostrophe.
"""
import contextvars
import csv
import io
import json
import logging
import os
import threading
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..database import utcnow
from ..extensions import db
from . import sentences
from .models import AuditEvent, AuditExport

log = logging.getLogger(__name__)
BATCH = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def safe_cell(value):
    """A cell no spreadsheet evaluates: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def header() -> list[str]:
    return [_("No."), _("Time"), _("What happened"), _("Outcome"), _("Reason"), _("Object"), _("State"),
            _("Changes"), _("Note")]


def row(line) -> list:
    e = line.event
    state = ""
    if line.state_to:
        state = f"{line.state_from} → {line.state_to}" if line.state_from else line.state_to
    changes = "; ".join(f"{c.label}: {c.before} → {c.after}" if c.before != "—" else f"{c.label}: {c.after}"
                        for c in line.changes)
    cells = [e.seq, line.when, line.text, _("Refused") if line.refused else _("Done"), line.reason or "",
             line.subject or "", state, changes, line.comment or ""]
    return [safe_cell(c) for c in cells]


def batches(search, *, stop: int | None = None):
    """Lists of rows (cells), newest first, BATCH at a time; each batch's transaction ends before the
    caller writes it out."""
    before, sent = None, 0
    while True:
        limit = BATCH if stop is None else min(BATCH, stop - sent)
        if limit <= 0:
            return
        events = list(db.session.scalars(search.statement(before=before, limit=limit)))
        rows = [row(line) for line in sentences.render(events, subjects=True)]
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
    writer = csv.writer(buffer)
    writer.writerow(header())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for lines in batches(search, stop=stop):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(lines)
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
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit log")[:31])
    sheet.append(header())
    count = 0
    for lines in batches(search, stop=stop):
        for cells in lines:
            sheet.append(cells)
        count += len(lines)
        if progress:
            progress(count)
    book.save(target)
    return count


def write_csv(search, path, *, progress=None) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header())
        for lines in batches(search):
            writer.writerows(lines)
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


def run_export(job_id: str) -> None:
    """Build one job's file: read the search again, write batch by batch, keep `done` up to date."""
    from .search import parse
    job = db.session.get(AuditExport, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    filters = json.loads(job.filters)
    search = parse(MultiDict(filters))
    search.conditions.append(AuditEvent.seq <= int(filters.get("upto") or 0))
    job.status = "running"
    job.total = search.count(10**9)
    db.session.commit()
    final = file_path(job)
    part = final.with_name(final.name + ".part")

    def progress(count):
        db.session.get(AuditExport, job_id).done = count
        db.session.commit()

    try:
        if not search.ok:
            raise ValueError("; ".join(str(e) for e in search.errors))
        if job.fmt == "xlsx":
            count = write_xlsx(search, part, progress=progress)
        else:
            count = write_csv(search, part, progress=progress)
        os.replace(part, final)
        job = db.session.get(AuditExport, job_id)
        job.done, job.total, job.status, job.finished_at = count, count, "done", utcnow()
        db.session.commit()
    except Exception as exc:  # the job says it failed; nothing half-written stays behind
        log.exception("audit export %s failed", job_id)
        db.session.rollback()
        part.unlink(missing_ok=True)
        job = db.session.get(AuditExport, job_id)
        job.status, job.error, job.finished_at = "failed", str(exc)[:500], utcnow()
        db.session.commit()


def _run_in_app(app, job_id: str) -> None:
    with app.app_context():
        try:
            run_export(job_id)
        finally:
            db.session.remove()


def start_export(job_id: str) -> None:
    """The one place that decides where an export runs: for now a daemon thread with its own app
    context (a task queue can take this over)."""
    app = current_app._get_current_object()
    threading.Thread(target=_run_in_app, args=(app, job_id), name=f"audit-export-{job_id[:8]}",
                     daemon=True).start()

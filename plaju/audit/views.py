"""HR screens: the audit log searched and paged, one object's timeline, exports, and a check of the chain."""
import io
import json
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from ..core.registry import home_card, nav_item
from ..core.urls import int_arg
from ..database import utcnow
from ..extensions import db
from ..htmx import Lazy, render_page_or_block
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..timeutil import to_wib
from . import export as exports
from . import nik_ref, own_acts, sentences, vocabulary
from . import record as audit
from . import search as searching
from .models import AuditEvent, AuditExport
from .reconcile import named, reconcile
from .verify import head, verify_chain

bp = Blueprint("audit", __name__, url_prefix="/audit")
# HR and the administrator; the Camat for his office (the kecamatan is one office)
AUDITORS = ("hr", "admin", "camat")
PAGE = 50

nav_item("audit.index", _l("Audit"), roles=AUDITORS, order=80)

# looking a citizen up by NIK is data access, as viewing a NIK is: recorded once per search, NIK masked
NIK_SEARCH = "audit.nik_search"
vocabulary.describe_actions({NIK_SEARCH: _l("searched the audit log by a citizen's NIK")})
vocabulary.describe_fields({"nik": "NIK"}, action=NIK_SEARCH)
vocabulary.describe_data_access(NIK_SEARCH)


def may_audit(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*AUDITORS))


@bp.before_request
@login_required
def _only_auditors():
    if not may_audit(current_user):
        audit.refuse_access()


def _search_page(search, status=200):
    before = int_arg("before")
    lines, next_before = [], None
    if search.ok:
        events = search.rows(before=before, limit=PAGE + 1)
        if len(events) > PAGE:
            events = events[:PAGE]
            next_before = events[-1].seq
        # its readers (HR, the admin, the Camat) may not see a NIK: one typed into a reason is hidden too
        lines = sentences.render(events, subjects=True, hide_numbers=True)
        # each object links its timeline: the route built once per page, then only the object changes
        prefix = url_for(".timeline", subject_type="-", subject_id="-")[:-3]
        kinds = {}
        for line in lines:
            e = line.event
            if line.subject and e.subject_type and e.subject_id:
                kind = kinds.get(e.subject_type)
                if kind is None:  # a part carrying its whole's id (a request's scan) links the whole's history
                    kind = kinds[e.subject_type] = quote(vocabulary.whole_of(e.subject_type), safe="/")
                ident = e.subject_id
                if not (ident.isascii() and ident.isdigit()):  # an id as digits needs no quoting
                    ident = quote(ident, safe="/")
                line.href = f"{prefix}{kind}/{ident}"
    subject_name = None
    if search.filters["subject"] and lines:  # the object's own name, not a part's (its letter, a complaint)
        kind, _sep, ident = search.filters["subject"].partition(":")
        subject_name = next((line.subject for line in lines
                             if line.event.subject_type == kind and line.event.subject_id == ident), None)
    response = render_page_or_block(
        "audit/index.html", "results", lines=lines, search=search, filters=search.filters,
        args=search.query_args(), next_before=next_before, before=before, head=Lazy(head),
        action_options=vocabulary.action_options(search.filters["action"]), data_access=searching.DATA_ACCESS,
        subject_name=subject_name, nik_shown=_nik_shown(search))
    return response, (422 if not search.ok else status)


def _nik_shown(search) -> str | None:
    ref = search.filters.get("nik_ref")
    nik = nik_ref.unseal(ref) if ref else None
    return vocabulary.mask_nik(nik) if nik else None


@bp.get("/")
def index():
    raw_nik = (request.args.get("nik") or "").strip()
    if raw_nik:
        # the NIK never stays in a URL: sealed at once, the page shows it masked
        nik = nik_ref.clean(raw_nik)
        args = {k: v for k, v in request.args.items() if k not in ("nik", "nik_ref", "before") and v}
        if nik is None:
            search = own_acts.parse(args)
            search.errors.append(_("A NIK has 16 digits."))
            return _search_page(search)
        return redirect(url_for(".index", **args, nik_ref=nik_ref.seal(nik)), 303)
    search = own_acts.parse(request.args)
    if int_arg("before") is None:  # a search's first page, not its older pages
        _record_nik_search(search)
    return _search_page(search)


def _record_nik_search(search) -> None:
    """Who looked a citizen up by NIK, and with which other filters, whether or not anything was found
    (that nothing was is an answer too). Before the page's rows are read: record_alone ends the
    transaction, and the rows read after it need no reading again."""
    ref = search.filters.get("nik_ref")
    nik = nik_ref.unseal(ref) if ref else None
    if nik is None:
        return
    audit.record_alone(NIK_SEARCH, actor=current_user, comment=search.describe()[:2000],
                       changes={"nik": [None, vocabulary.mask_nik(nik)]})


@bp.get("/timeline/<subject_type>/<subject_id>")
def timeline(subject_type, subject_id):
    """One object's complete history: every event about it, sign-ins included."""
    return redirect(url_for(".index", subject=f"{subject_type}:{subject_id}"), 303)


@bp.post("/export")
def export():
    fmt = request.form.get("fmt", "")
    search = own_acts.parse(request.form)
    if fmt not in exports.MIME:
        search.errors.append(_("Choose CSV or XLSX."))
    if not search.ok:
        return _search_page(search)
    limit = exports.stream_limit()
    upto = head()[0]
    search.conditions.append(AuditEvent.seq <= upto)
    count = search.count(limit)
    what = search.describe()
    if count > limit:
        job = exports.create_job(current_user, search, fmt, total=0, upto=upto)
        audit.record("audit.export", actor=current_user, subject_type="audit_export", subject_id=job.id,
                     comment=what, changes={"format": [None, fmt], "rows": [None, f"> {limit}"]})
        db.session.commit()
        exports.remove_old_files()
        exports.start_export(job.id)
        return redirect(url_for(".export_job", job_id=job.id), 303)
    audit.record("audit.export", actor=current_user, comment=what,
                 changes={"format": [None, fmt], "rows": [None, count]})
    db.session.commit()
    name = f"audit-{to_wib(utcnow()):%Y%m%d-%H%M%S}.{fmt}"  # the office's time, as the rows inside
    if fmt == "csv":
        response = Response(exports.stream_csv(search, stop=count), mimetype=exports.MIME["csv"])
    else:
        buffer = io.BytesIO()
        exports.write_xlsx(search, buffer, stop=count)
        buffer.seek(0)
        response = send_file(buffer, mimetype=exports.MIME["xlsx"], download_name=name, as_attachment=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_job(job_id: str) -> AuditExport:
    job = db.session.get(AuditExport, job_id[:32], populate_existing=True)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.get("/exports/<job_id>")
def export_job(job_id):
    job = _own_job(job_id)
    if exports.stale(job):  # its runner died with a restart: built again from the start
        db.session.commit()
        exports.start_export(job.id)
    return render_page_or_block("audit/export.html", "progress", job=job,
                                args={k: v for k, v in json.loads(job.filters).items() if k != "upto"})


@bp.get("/exports/<job_id>/file")
def export_file(job_id):
    job = _own_job(job_id)
    path = exports.file_path(job)
    if job.status != "done" or not path.exists():
        abort(404)
    name = f"audit-{to_wib(job.created_at):%Y%m%d-%H%M%S}.{job.fmt}"
    response = send_file(path, mimetype=exports.MIME[job.fmt], download_name=name, as_attachment=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/verify")
def verify():
    verdict = verify_chain()
    # HR can show that, and when, the chain was checked and what it said (the check itself is not a change)
    said = (_("Intact: %(n)s events checked.", n=verdict.checked) if verdict.ok else
            _("Broken at event #%(seq)s: %(reason)s", seq=verdict.broken_seq, reason=verdict.reason))
    differ = named(reconcile())  # rows holding a value no logged step gave them, by the names HR reads
    if differ:  # each named in the event: put back after the check, the evidence stays in the log
        said += " " + _("%(n)s records differ from the log:", n=len(differ)) + " " + "; ".join(
            f"{name}: {m.text}" for m, name in differ)
    audit.record_alone("audit.verify", actor=current_user, comment=said[:2000])
    return render_page_or_block("audit/verify.html", "verdict", verdict=verdict, differ=differ)


@home_card(roles=("hr", "admin"), order=70)
def _audit_card(user):
    seq, _hash = head()
    return {"title": _l("Audit log"), "value": seq, "text": _l("events recorded"),
            "url": url_for("audit.index"), "link": _l("Open the change history")}

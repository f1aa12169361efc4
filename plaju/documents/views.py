"""Document services at the counter: queue, intake, detail with actions, receipt, files, settings."""

import segno
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import once, uploads
from ..accounts.models import revoked_today
from ..audit import record as audit
from ..core.registry import home_card, nav_item
from ..core.urls import int_arg, public_url
from ..database import utcnow
from ..extensions import db
from ..htmx import Lazy, render_page_or_block, trigger, wants_fragment
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..notify.citizen import email_on, phone_channel
from ..timeutil import today_wib
from ..workflow import Conflict, Refused
from ..workflow.engine import lock_for_step
from ..workflow.ui import action_view, shown_from_top, waiting_for
from . import correction, handover, intake_form, queue, subjects
from . import letters as _letters  # noqa: F401  (registers the letter subject: drafts and /cek work from the first request)
from . import seed as _seed  # noqa: F401  (registers the demo seeder)
from . import services as svc
from .forms import IntakeForm
from .models import KELURAHAN, DocumentAttachment, DocumentRequest, DocumentType
from .rows import draft_path, request_path, signer_note
from .workflow import DOCUMENT_FLOW, OPEN_STATES, STATES

bp = Blueprint("documents", __name__, url_prefix="/documents")
CHANGED = "documents-changed"

nav_item("documents.index", _l("Document services"), roles=svc.STAFF, order=20)
nav_item("documents.types", _l("Document types"), roles=("admin",), order=21)

# the settings pages: the admin's only part of the area (the queue and the scans are not theirs)
ADMIN_ENDPOINTS = frozenset({"documents.types", "documents.edit_type", "documents.holidays",
                             "documents.delete_holiday"})


@bp.before_request
@login_required
def _staff_only():
    if request.endpoint in ADMIN_ENDPOINTS:
        allowed = current_user.has_role("admin")
    else:
        allowed = svc.can_view(current_user)
    if not allowed:  # citizens' personal data: a refusal is audited
        ended = revoked_today(current_user)  # a stand-in's page open when his appointment was revoked
        audit.refuse_access(said=_("Your appointment as %(title)s, standing in for %(whom)s, was revoked: the "
                                   "office's requests are no longer open to you.", title=ended.title,
                                   whom=ended.principal.full_name) if ended else None)


@bp.context_processor
def _queue_access():
    # open_states: what may still change on a request (scans added, a letter drafted), as the services say
    return {"can_browse_queue": lambda: svc.can_view(current_user), "open_states": OPEN_STATES}


def _require(*roles):
    if not current_user.has_role(*roles):
        abort(403)


@bp.app_template_filter("at_most")
def at_most(n: int, cap: int = queue.COUNT_CAP) -> str:
    """A bounded count as people read it: 1000 or more shows as "1000+"."""
    return f"{cap}+" if n >= cap else str(n)


bp.add_app_template_filter(svc.sla.working_time_text, "minutes_wt")


def _context_helpers():
    now = utcnow()
    return {"is_overdue": lambda r: svc.is_overdue(r, now), "is_due_today": lambda r: svc.is_due_today(r, now),
            "promised": svc.promised_date, "state_label": svc.state_label, "flow": DOCUMENT_FLOW,
            "detail_path": request_path, "draft_path": draft_path, "needed_before": svc.needed_before}


# ---- queue -----------------------------------------------------------------------------------

@bp.get("/")
def index():
    filters = queue.QueueFilters.from_args(request.args)
    rows, next_cursor = queue.queue_page(filters, request.args.get("after"))
    return render_page_or_block(
        "documents/index.html", "results", rows=rows, filters=filters, next_cursor=next_cursor,
        paged=bool(request.args.get("after")), types=svc.all_types(), kelurahan=KELURAHAN, states=STATES,
        counts=queue.LazyCounters(), **_context_helpers())


@bp.get("/counters")
def counters():
    return render_page_or_block("documents/index.html", "counters", counts=queue.counters(),
                                filters=queue.QueueFilters.from_args(request.args))


# ---- intake ----------------------------------------------------------------------------------

def _intake_form() -> tuple[IntakeForm, list[DocumentType]]:
    types = svc.active_types()
    form = IntakeForm()
    form.type_id.choices = [SelectChoice(0, _("Choose…"))] + [SelectChoice(t.id, t.name) for t in types]
    return form, types


def _chosen_type(form, types):
    wanted = form.type_id.data or int_arg("type_id")
    return next((t for t in types if t.id == wanted), None)


@bp.route("/new", methods=["GET", "POST"])
def new():
    _require(*svc.INTAKE)
    form, types = _intake_form()
    chosen = _chosen_type(form, types)
    if request.method == "GET" and chosen is not None:
        form.type_id.data = chosen.id  # preselected, e.g. /documents/new?type_id=3
    carried = intake_form.carry(request.form, types, chosen)  # the chosen type's fields, whatever was shown
    ticked, typed, errors, twin_id = carried.ticked, carried.fields, {}, None
    if request.method == "POST" and not ({"refresh", "add_heir"} & request.form.keys()):
        first = once.replay(form)
        if first:  # the same form again (double click, re-post, second tab): show what the first made
            return _already_done(first)
        if form.validate_on_submit() and chosen is not None:
            try:
                req = svc.create_request(
                    actor=current_user, nik=form.nik.data, name=form.name.data, phone=form.phone.data,
                    kelurahan=form.kelurahan.data, doc_type=chosen, ticked=ticked,
                    files=request.files.getlist(form.attachments.name), note=form.note.data,
                    once_token=form.form_token.data, confirm_duplicate=form.confirm_duplicate.data,
                    subject=subjects.from_form(typed), email=form.email.data,
                    contact_consent=form.contact_consent.data, purpose=typed.get("purpose", ""),
                    address=typed.get("address", ""), birth_place=typed.get("birth_place", ""),
                    married=bool(typed.get("married")))
                flash(_("Request %(code)s received. Give the citizen the receipt.", code=req.tracking_code),
                      "success")
                warning = svc.promise_warning(req)
                if warning:  # the Kasi's list puts it first by its due time; the citizen hears why it is sooner
                    flash(warning, "warning")
                if not req.attachments:  # not a fault (a scanner may be down), but the Kasi accepts on them
                    flash(_("No scans were attached: scan the documents and add them on the request's page (Add "
                            "scans) before it goes to the section head."), "warning")
                response = redirect(url_for(".receipt", request_id=req.id), 303)
                return trigger(response, CHANGED)
            except once.AlreadyDone as done:
                return _already_done(done.url)
            except svc.IntakeRefused as refused:
                errors.update(refused.faults)
                twin_id = refused.twin_id
                _file_fault(form, errors)
        elif chosen is None:
            if not form.type_id.errors:  # the field's own check may have said it already
                errors["type_id"] = _("Choose the document type.")
        else:  # show every fault at once, not the missing documents only after the NIK is right
            faults, _subject = svc.intake_faults(
                chosen, form.nik.data, subjects.from_form(typed), ticked,
                " ".join(typed.get("purpose", "").split()), " ".join(typed.get("address", "").split()),
                bool(typed.get("married")), today_wib(), typed.get("birth_place", ""),
                applicant_name=form.name.data or "")
            errors.update(faults)
            twin = None if form.confirm_duplicate.data else svc.twin_fault(form.nik.data, chosen, utcnow())
            if twin is not None:
                errors["duplicate"], twin_id = str(twin.message), twin.twin_id
            _file_fault(form, errors)
        if errors or form.errors:
            _audit_refused_intake(form, errors)
        status = 422
    else:
        status = 200
    return render_page_or_block("documents/new.html", "checklist" if request.args.get("part") == "checklist"
                                else "intake", form=form, types=types, chosen=chosen, ticked=ticked,
                                errors=errors, twin_id=twin_id, max_mb=uploads.max_bytes() // (1024 * 1024),
                                first_fault=intake_form.first_fault, kept_inputs=carried.kept,
                                messages_on=phone_channel() is not None, mail_on=email_on(),
                                **intake_form.subject_context(typed)), status


def _file_fault(form, errors: dict) -> None:
    """A refused intake also says at once what is wrong with its files (too large, not a scan), so the
    clerk does not learn it only after fixing the rest and choosing the files again."""
    for sent in request.files.getlist(form.attachments.name):
        if sent.filename and "attachments" not in errors:
            try:
                uploads.check(sent)
            except uploads.UploadRefused as refused:
                errors["attachments"] = str(refused)


def _already_done(url: str):
    flash(_("This form had already been sent; nothing new was created. This is what the first submission "
            "created."), "info")
    return redirect(url or url_for(".index"), 303)


def _audit_refused_intake(form, errors) -> None:
    """A refused intake leaves one trace: which checks failed, never the NIK or name typed in."""
    # the messages alone: each says what was wrong in words ("Isikan nama bayi."), not the field's code
    faults = [str(message) for messages in form.errors.values() for message in messages]
    faults += [str(message) for message in errors.values()]
    audit.refused("document.receive", actor=current_user, subject_type="document",
                  reason="; ".join(str(f) for f in faults)[:2000])


@bp.route("/new/checklist", methods=["GET", "POST"])
def checklist():
    """The part of the intake form that depends on the type. The type select POSTs the form (a POST: NIKs
    stay out of addresses and logs); what was typed for another type is kept (intake_form.carry)."""
    _require(*svc.INTAKE)
    raw = request.form.get("type_id") if request.method == "POST" else request.args.get("type_id")
    type_id = int(raw) if raw and (raw.isascii() and raw.isdigit()) and len(raw) < 10 else None
    if not wants_fragment():  # only a part of the intake page: without HTMX show the whole page
        return redirect(url_for(".new", type_id=type_id) if type_id else url_for(".new"), 303)
    types = svc.active_types()
    chosen = next((t for t in types if t.id == type_id), None)
    carried = intake_form.carry(request.form, types, chosen)
    return render_page_or_block("documents/new.html", "checklist", chosen=chosen, ticked=carried.ticked, errors={},
                                form=None, types=types, max_mb=0, kept_inputs=carried.kept,
                                **intake_form.subject_context(carried.fields))


# ---- one request -----------------------------------------------------------------------------

def _load(request_id: int) -> DocumentRequest:
    req = db.session.get(DocumentRequest, request_id, populate_existing=True)
    if req is None:
        abort(404)
    return req


def _detail_context(req, error=None, show_nik=False, done=None, correction_sent=None, correction_faults=None):
    actions = svc.actions_for(req, current_user)
    return {"req": req, "actions": actions, "steps": svc.stepper(req),
            "error": error, "done": done, "show_nik": show_nik,
            "may_reveal_nik": current_user.has_role(*svc.FULL_NIK),
            "send_back": correction.send_back_note(req), "signer_note": signer_note(req),
            "messages_on": phone_channel() is not None or email_on(),
            "may_correct": correction.may_correct(req, actions, current_user), "kelurahan_names": KELURAHAN,
            "correction_sent": correction_sent, "correction_faults": correction_faults or {},
            "correction_subject": Lazy(lambda: _correction_subject(req, correction_sent, correction_faults)),
            "timeline": Lazy(lambda: svc.timeline(req, current_user)), "used_now": svc.clock_used_now(req),
            "waiting_for": waiting_for(req),
            "subject_rows": Lazy(lambda: subjects.summary(req.type.subject_kind, req.subject, show_nik)),
            "complaints": Lazy(lambda: _open_complaints(req)),  # the page's alone: a step's panel never reads it
            "handover_relations": handover.RELATIONS, "handover_id_kinds": handover.ID_KINDS,
            "relation_label": handover.relation_label, "revised_due": svc.revised_due(req),
            **_context_helpers()}


def _open_complaints(req) -> list:
    """The complaints about the request awaiting an answer, for who may read complaints (one statement)."""
    from ..complaints.services import can_read  # the complaints area builds on this one: asked when used
    return sorted(req.open_complaints, key=lambda c: c.id) if can_read(current_user) else []


def _correction_subject(req, sent, faults=None) -> dict | None:
    """The subject fields of the correction form (subjects.CORRECTABLE), as sent or as stored, NIKs blank."""
    kind = req.type.subject_kind
    if kind not in subjects.CORRECTABLE or not req.subject:  # taken in before its kind asked anything
        return None
    posted = sent if sent is not None else subjects.as_form(kind, req.subject)
    heirs = len(req.subject.get("heirs") or ())
    return {**intake_form.subject_context(posted), "heir_rows": range(heirs), "more_heirs": False, "correcting": True,
            "chosen": req.type, "errors": faults or {}, "kept": subjects.fixed_niks(req.subject),
            "same": req.subject.get("same")}


@bp.get("/<int:request_id>")
def detail(request_id):
    req = _load(request_id)
    return render_page_or_block("documents/detail.html", "panel", **_detail_context(req))


@bp.post("/<int:request_id>/nik")
def reveal_nik(request_id):
    """The full NIK and phone number, on request: each viewing is a data-access event."""
    req = _load(request_id)
    if not current_user.has_role(*svc.FULL_NIK):
        audit.refuse_access()
    audit.record_alone("document.view_nik", actor=current_user, subject=req, subject_type="document")
    return render_page_or_block("documents/detail.html", "citizen", **_detail_context(req, show_nik=True))


@bp.get("/<int:request_id>/timeline")
def timeline(request_id):
    req = _load(request_id)
    return render_page_or_block("documents/detail.html", "timeline", **_detail_context(req))


def _take_step(req, trigger_name, actor, form):
    return svc.take_action(req, trigger_name, actor, version=form.version, comment=form.comment,
                           password=form.password, ticked=form.ticked, missing=form.missing, fields=form.fields,
                           evidence=form.upload, evidence_refused=form.upload_refused, confirmed=form.confirmed)


def _load_for_step(request_id: int) -> DocumentRequest:
    return lock_for_step(DocumentRequest, request_id) or abort(404)


bp.add_url_rule("/<int:request_id>/actions/<trigger_name>", "act", methods=["POST"], view_func=action_view(
    _load_for_step, "documents/detail.html", "panel", _detail_context, service=_take_step, event=CHANGED,
    page_url=lambda req: url_for(".detail", request_id=req.id)))


@bp.post("/<int:request_id>/correct")
def correct(request_id):
    """The letter's name, address and purpose put right after the Camat sent it back (documents/correction.py)."""
    req = _load(request_id)
    raw = request.form.get("version", "")
    try:
        req = correction.correct_letter_data(
            req, current_user, version=int(raw) if (raw.isascii() and raw.isdigit()) and len(raw) < 10 else -1,
            address=request.form.get("address", ""), purpose=request.form.get("purpose", ""),
            name=request.form.get("name"), birth_place=request.form.get("birth_place"),
            kelurahan=request.form.get("kelurahan"),
            business={"name": request.form.get("business_name", ""), "type": request.form.get("business_type", "")}
            if "business_name" in request.form else None,
            subject_form=request.form if request.form.get("subject_sent") else None)
    except Refused as refusal:  # the panel (or, without JavaScript, the page) with the form as it was sent
        db.session.rollback()
        message, sent = str(refusal.message), request.form
        if isinstance(refusal, Conflict):  # the stored values under the new version, and what was typed named
            typed = correction.unsaved(_load(request_id), request.form)
            message, sent = message + (" " + _("Not saved, as you typed it: %(typed)s.", typed=typed)
                                       if typed else ""), None
        return render_page_or_block("documents/detail.html", "panel", **_detail_context(
            _load(request_id), message, correction_sent=sent,
            correction_faults=getattr(refusal, "faults", None))), refusal.status
    if not correction.submits(svc.actions_for(req, current_user)):
        message = _("Letter data corrected. The section head submits it for the Camat's signature.")  # the clerk
    elif req.correction_note:
        message = _("Letter data corrected. Submit it for the Camat's signature again when it is right.")
    else:
        message = _("Letter data corrected. Submit it for the Camat's signature when it is right.")
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for(".detail", request_id=request_id), 303)
    context = _detail_context(req, done=message)
    # the citizen's card beside the panel shows the corrected name too (out of band), the history its line
    html = (render_page_or_block("documents/detail.html", "panel", **context)
            + render_page_or_block("documents/detail.html", "citizen", **context, oob=True))
    return trigger(shown_from_top(make_response(html)), CHANGED)


@bp.post("/<int:request_id>/attachments")
def attach(request_id):
    _require(*svc.INTAKE)
    req = _load(request_id)
    try:
        count = svc.add_attachments(req, current_user, request.files.getlist("attachments"))
    except svc.IntakeRefused as refused:
        audit.refused("document.attach", actor=current_user, subject_type="document_file", subject_id=request_id,
                      reason=str(refused.message))
        flash(str(refused.message), "danger")
        return redirect(url_for(".detail", request_id=req.id), 303) if not wants_fragment() else (
            render_page_or_block("documents/detail.html", "panel",
                                 **_detail_context(_load(request_id), refused.message)), 422)
    flash(_("%(n)s file(s) added.", n=count), "success")
    return redirect(url_for(".detail", request_id=req.id), 303)


@bp.get("/<int:request_id>/files/<int:file_id>")
def attachment(request_id, file_id):
    if not svc.can_view(current_user):  # scans show the full NIK: never wider than the queue (see STAFF)
        abort(403)
    att = db.session.get(DocumentAttachment, file_id)
    if att is None or att.request_id != request_id:
        abort(404)
    audit.record_alone("document.view_file", actor=current_user, subject_type="document_file", subject_id=request_id,
                       changes={"file": [None, att.original_name]})
    return uploads.serve(att.stored_name, att.original_name, att.mime)


@bp.get("/<int:request_id>/receipt")
def receipt(request_id):
    req = _load(request_id)
    # it carries the one-use survey link: who printed it, and when, is on record (the survey is anonymous)
    audit.record_alone("document.print_receipt", actor=current_user, subject=req, subject_type="document")
    url = public_url(url_for("public.track", code=req.tracking_code))
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    # whom it is about, when not the applicant (a baby, the deceased, a family member, a business): two
    # receipts of one parent would otherwise differ only in their codes
    about = subjects.summary(req.type.subject_kind, req.subject, False)
    about = about[:1] + [row for row in about if row[0] is subjects.WEDDING_DAY]  # what the promise keeps to
    about = about if about and req.type.subject_kind != "applicant" and not req.subject.get("same") else []
    return render_page_or_block("documents/receipt.html", "receipt", req=req, qr=qr, track_url=url, about=about,
                                steps=svc.stepper(req), wording=svc.receipt_wording(req.type),
                                before=svc.promise_before(req), **_context_helpers())


@bp.get("/requirements/<int:type_id>")
def requirements_slip(type_id):
    """The printable list of what a citizen must bring for a type, what they brought ticked (`ada`, the
    requirement ids): handed over when the intake cannot be done yet, so nothing is typed from memory
    tomorrow. Nothing is stored."""
    _require(*svc.INTAKE)
    doc_type = db.get_or_404(DocumentType, type_id)
    brought = {int(v) for v in (request.args.get("ada") or "").split(",")
               if v.isascii() and v.isdigit() and len(v) < 10}
    return render_template("documents/requirements_slip.html", doc_type=doc_type, brought=brought,
                           today=today_wib())


@bp.get("/<int:request_id>/slip")
def slip(request_id):
    """The printable "berkas dikembalikan" slip: what is missing and why, for a returned request."""
    req = _load(request_id)
    if req.state != "returned":
        flash(_("The slip is for a request returned to the citizen; this one is not."), "warning")
        return redirect(url_for(".detail", request_id=req.id), 303)
    url = public_url(url_for("public.track", code=req.tracking_code))
    return render_page_or_block("documents/slip.html", "slip", req=req, track_url=url,
                                qr=segno.make(url, error="m").svg_data_uri(scale=3, border=2),
                                returned_at=svc.returned_at(req) or utcnow())


# ---- home cards ------------------------------------------------------------------------------

@home_card(roles=("clerk",), order=20)
def _clerk_card(user):
    counts = queue.counters()
    return {"title": _l("Document services"), "value": at_most(counts["open"]),
            "text": _("requests in progress, %(n)s ready for pick-up", n=counts["ready"]),
            "url": url_for("documents.index"), "link": _l("Open the queue")}


@home_card(roles=("section_head",), order=21)
def _kasi_card(user):
    counts = queue.counters()
    return {"title": _l("Overdue requests"), "value": at_most(counts["overdue"]),
            "text": _("%(n)s more due today", n=counts["today"]),
            "url": url_for("documents.index", flag="overdue"), "link": _l("See overdue requests"),
            "tone": "danger" if counts["overdue"] else "success"}


from . import settings_views  # noqa: E402,F401  (the admin's settings pages, on this blueprint)

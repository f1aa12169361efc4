"""Complaints: sent from the public tracking page (/track/<code>/complaint), read and answered by the
section heads (/complaints/), the answer shown on the tracking page."""
import os
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..audit import record as audit
from ..core.registry import nav_item
from ..database import utcnow
from ..documents.models import DocumentRequest
from ..documents.services import can_view as can_view_requests
from ..documents.services import normalise_code
from ..documents.workflow import DOCUMENT_FLOW
from ..extensions import db, limiter, public_post_limit
from ..htmx import render_page_or_block
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..workflow.ui import action_view, history_sentences, waiting_for
from . import demo as _demo  # noqa: F401  (registers the demo seeder)
from . import services as svc
from .forms import ComplaintForm
from .models import Complaint
from .workflow import COMPLAINT_FLOW, HANDLED_IT, answerers

bp = Blueprint("complaints", __name__)
CHANGED = "complaints-changed"

nav_item("complaints.index", _l("Complaints"), roles=svc.READERS, order=65)


def _view_limit() -> str:
    return current_app.config.get("TRACK_LIMIT", "20 per minute")


# complaints sent count; a form sent back (empty, too long, one too many) does not: the citizen is not locked
# out for the hour with what she meant to say. Every post counts towards extensions.public_post_limit.
def _send_limit() -> str:
    return current_app.config.get("COMPLAINT_LIMIT") or os.environ.get("PLAJU_COMPLAINT_LIMIT", "5 per hour")


def _request_by_code(code: str) -> DocumentRequest:
    normal = normalise_code(code)
    req = db.session.scalars(select(DocumentRequest).where(DocumentRequest.tracking_code == normal)).first() \
        if normal else None
    if req is None:
        abort(404)
    return req


# ---- the citizen -------------------------------------------------------------------------------

@bp.route("/track/<code>/complaint", methods=["GET", "POST"])
@limiter.limit(_view_limit)
@limiter.limit(_send_limit, methods=["POST"], deduct_when=lambda response: response.status_code < 400)
@limiter.limit(public_post_limit, methods=["POST"])
def new(code):
    req = _request_by_code(code)
    form = ComplaintForm()
    error = None
    if request.method == "POST":
        if form.validate():
            try:
                svc.submit(req, form.kind.data, form.body.data)
            except svc.ComplaintRefused as refused:
                error = refused.message
            else:
                flash(_("Your message was sent. The office answers within %(n)d days; the answer appears on "
                        "this page.", n=svc.response_days()), "success")
                return redirect(url_for("public.track", code=req.tracking_code), 303)
        else:
            db.session.rollback()
            audit.record_alone("complaint.submit", outcome="refused", subject_type="document", subject_id=req.id,
                               actor_name=_("Citizen (tracking page)"),
                               # what was sent, in the form's words ("Pesan Anda: ..."), not its field names
                               comment=("[input:form] " + "; ".join(
                                   f"{form[k].label.text}: {v[0]}" for k, v in form.errors.items()))[:400])
            error = _("Check the marked fields.")
    status = 422 if error and request.method == "POST" else 200
    return render_page_or_block("complaints/new.html", "complaint", form=form, code=req.tracking_code,
                                type_name=req.type.name, error=error, days=svc.response_days()), status


bp.add_app_template_filter(svc.public_text, "public_text")
bp.add_app_template_filter(svc.public_answer, "public_answer")


# ---- the section heads --------------------------------------------------------------------------

@bp.before_request
def _readers_only():
    if request.endpoint == "complaints.new":
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not svc.can_read(current_user):
        audit.record_alone("complaint.view", actor=current_user, outcome="refused",
                           comment="[role] " + _("You do not have access to this page or action."))
        abort(403)
    return None


@bp.get("/complaints/")
@login_required
def index():
    state = request.args.get("state", "open")
    if state not in ("open", "answered", "closed", "all"):
        state = "open"
    after = None
    due, ident = request.args.get("after_due", ""), request.args.get("after_id", "")
    if due and (ident.isascii() and ident.isdigit()) and len(ident) < 10:
        try:
            after = (datetime.fromisoformat(due), int(ident))
        except ValueError:
            after = None
    rows, next_key = svc.page(None if state == "all" else state, after)
    return render_page_or_block("complaints/index.html", "list", rows=rows, next_key=next_key, state=state,
                                counts=svc.counts(), now=utcnow(), flow=COMPLAINT_FLOW,
                                can_open_request=can_view_requests(current_user))


def _load(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id, populate_existing=True)
    if complaint is None:
        abort(404)
    return complaint


def _context(complaint, error=None, full=False):
    # the citizen's words as written only on request, to who may see a NIK, recorded (as a request's NIK)
    may_see = can_view_requests(current_user)
    sees_numbers = full and may_see
    history = history_sentences(complaint)
    if not sees_numbers:  # the answer and the citizen's words in the history, numbers hidden as on the public page
        for line in history:
            line.comment = line.comment and svc.public_text(line.comment)
            line.reason = line.reason and svc.public_text(line.reason)
            for change in line.changes:
                change.before, change.after = svc.public_text(change.before), svc.public_text(change.after)
    return {"c": complaint, "actions": svc.actions_for(complaint, current_user), "error": error,
            "waiting_for": waiting_for(complaint), "history": history,
            # a section head who handled the request is not among who answers: the page says why
            "handled_it": HANDLED_IT if complaint.state == "open" and current_user.id in answerers(complaint).handled
            else None, "now": utcnow(),
            "flow": COMPLAINT_FLOW, "request_flow": DOCUMENT_FLOW, "can_open_request": may_see, "full": sees_numbers,
            "has_hidden": may_see and not sees_numbers and (
                svc.public_text(complaint.body) != complaint.body or
                svc.public_answer(complaint.answer or "") != (complaint.answer or ""))}


@bp.get("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id):
    complaint = _load(complaint_id)
    return render_page_or_block("complaints/detail.html", "panel", **_context(complaint))


@bp.post("/complaints/<int:complaint_id>/full")
@login_required
def full_text(complaint_id):
    """The complaint's numbers (a NIK, a phone number) shown, to call the citizen back: recorded."""
    complaint = _load(complaint_id)
    if not can_view_requests(current_user):
        audit.record_alone("complaint.view_full", actor=current_user, subject=complaint, subject_type="complaint",
                           outcome="refused", comment="[role] " + _("You do not have access to this page or action."))
        abort(403)
    audit.record_alone("complaint.view_full", actor=current_user, subject=complaint, subject_type="complaint")
    return render_page_or_block("complaints/detail.html", "panel", **_context(complaint, full=True))


bp.add_url_rule("/complaints/<int:complaint_id>/actions/<trigger_name>", "act", methods=["POST"],
                view_func=login_required(action_view(
                    _load, "complaints/detail.html", "panel", _context, event=CHANGED,
                    page_url=lambda c: url_for("complaints.detail", complaint_id=c.id))))

"""Public: the survey of a request (/skm/<code>/<key>) and the IKM with the service standards (/skm).
Staff: the SKM dashboard (/reports/skm)."""
import os
from datetime import UTC, datetime

import segno
from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from limits import parse
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit import record as audit
from ..core.registry import nav_item
from ..core.urls import public_url
from ..documents.models import DocumentRequest, DocumentType
from ..extensions import db, limiter, public_post_limit
from ..htmx import answers_not_found, render_page_or_block
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import wib_text
from ..timeutil import today_wib
from . import demo as _demo  # noqa: F401  (registers the demo seeder)
from . import ikm
from . import monthly as _monthly  # noqa: F401  (registers the month's index in the monthly report)
from . import services as svc
from .forms import SurveyForm

bp = Blueprint("survey", __name__)
# a survey code typed wrong, or a link that is not the office's, is said on the page: an answer, not a
# missing page for the browser's console
answers_not_found("survey.typed")
answers_not_found("survey.answer")

nav_item("survey.report", _l("Satisfaction (SKM)"), roles=svc.REPORT_READERS, order=70)


def _view_limit() -> str:
    return current_app.config.get("TRACK_LIMIT", "20 per minute")


# ---- guessing keys ---------------------------------------------------------------------------------
# Only keys that are wrong count, per address, wherever they are tried (a code typed on the tracking page, a
# link opened or answered): a real link is answered once anyway, so a survey tablet at the counter takes every
# citizen's answer in an hour, while guessing keys stays slow (and every post counts towards
# extensions.public_post_limit). Counted here, not by a route's limit: the tracking page says how many tries
# are left, and until when they are used up.

def _guess_limit():
    return parse(current_app.config.get("SURVEY_LIMIT") or os.environ.get("PLAJU_SURVEY_LIMIT", "10 per hour"))


def _address_limit():
    """Every request's wrong keys from one address together: five times one request's (a counter's tablet, the
    office's Wi-Fi or a carrier's shared address serve many citizens), still slow to guess with."""
    one = _guess_limit()
    return type(one)(one.amount * 5, one.multiples)


def _counted(code: str) -> list[tuple]:
    """(limit, keys) of what a wrong key counts against: this request's tries from this address (one citizen's
    typos never lock out another's request), and the address's tries over every request."""
    from ..documents.services import normalise_code
    address = get_remote_address()
    return [(_guess_limit(), ("skm-guess", address, normalise_code(code) or "-")),
            (_address_limit(), ("skm-guess", address))]


def _locked_until(code: str) -> float | None:
    """When this address may try this request again, while a count is used up; else None."""
    if not limiter.enabled:
        return None
    full = [limiter.limiter.get_window_stats(limit, *keys).reset_time
            for limit, keys in _counted(code) if not limiter.limiter.test(limit, *keys)]
    return max(full) if full else None


def _locked_text(until: float) -> str:
    return _("Too many wrong survey codes or links from this connection: try again after %(time)s.",
             time=wib_text(datetime.fromtimestamp(until, UTC).replace(tzinfo=None)))


def _count_wrong(code: str) -> str:
    """Count one wrong key (a HEAD, a link preview's, is said but not counted); what the citizen is told of the
    tries left."""
    if not limiter.enabled:
        return ""
    counted = _counted(code)
    if request.method != "HEAD":
        for limit, keys in counted:
            limiter.limiter.hit(limit, *keys)
    stats = [limiter.limiter.get_window_stats(limit, *keys) for limit, keys in counted]
    left = min(stat.remaining for stat in stats)
    return _("Tries left: %(n)d.", n=left) if left else _locked_text(max(stat.reset_time for stat in stats))


def _retry_after(until: float) -> dict:
    return {"Retry-After": str(max(1, int(until - datetime.now(UTC).timestamp())))}


@bp.app_template_global("skm_track")
def _track(code: str) -> dict:
    """For the tracking page (templates/survey/_track.html): the survey invitation of the request and
    its complaints with their answers; two statements."""
    from ..complaints import services as complaints
    req = db.session.scalars(select(DocumentRequest).where(DocumentRequest.tracking_code == code)).first()
    # a survey code refused by `typed`: kept in the field, the refusal beside it
    typed = g.get("skm_typed")
    if req is None:
        return {"invitation": svc.Invitation("not_yet"), "complaints": [], "code": code, "may_complain": False,
                "typed": typed}
    return {"invitation": svc.invitation(req), "complaints": complaints.for_request(req.id), "code": code,
            "may_complain": True, "typed": typed}


@bp.app_template_global("skm_receipt_link")
def _receipt_link(req):
    """For the receipt: the full survey link and its QR code (templates/survey/_receipt.html)."""
    url = public_url(svc.survey_path(req.tracking_code))
    return {"url": url, "qr": segno.make(url, error="m").svg_data_uri(scale=3, border=2),
            "key": svc.survey_key(req.tracking_code)}


# ---- the citizen's survey ------------------------------------------------------------------------

def _refused(refusal, status, code, said="", headers=None):
    """The link's page saying why it cannot be answered, with the way back to the tracking page (`code`)."""
    message = f"{refusal.message} {said}".strip()
    return render_page_or_block("survey/answer.html", "survey", form=None, refused=message, code=None,
                                track_code=code[:40], retype=refusal.code == "forged",
                                informs=status == 200), status, headers or {}


REFUSAL_STATUS = {"forged": 404, "used": 409, "not_handed_over": 409, "expired": 410, "incomplete": 422,
                  "staff": 403, "twice": 409}
# a real link opened when it cannot be answered (the receipt's QR scanned before pick-up, a used or expired
# link) is an information page: a GET answers 200 with the message; only answers sent to it are refused
INFORMATION_ON_GET = frozenset({"not_handed_over", "used", "expired", "twice"})


def _field_name(form, name: str) -> str:
    """"question 9" for the nine questions (u1..u9, as the page numbers them), else the field's label."""
    return _("question %(n)s", n=name[1:]) if name[:1] == "u" and name[1:].isdigit() else str(form[name].label.text)


@bp.get("/skm/<code>")
@limiter.limit(_view_limit)
def typed(code):
    """The tracking page's form: the survey code typed from the receipt opens the survey (/skm/<code>/<key>).
    A wrong one is said on the tracking page, the code kept in its field, and counted like a guessed link."""
    value = (request.args.get("key") or "").strip()[:200]
    # the code alone, or the receipt's whole link pasted (older receipts print no code apart): its last part
    key = "".join(value.split()).rstrip("/").rsplit("/", 1)[-1].upper()[:40]
    if not key:
        return redirect(url_for("public.track", code=code))
    until = _locked_until(code)
    if until is not None:
        return _tracking_page(code, value, _locked_text(until), 429, _retry_after(until))
    try:
        svc.check_link(code, key)
    except svc.SurveyRefused as refusal:
        if refusal.code == "forged":
            said = _("This survey code does not match this request. Check the survey code printed on your receipt, "
                     "beside the QR code, and type it again.")
            return _tracking_page(code, value, f"{said} {_count_wrong(code)}".strip(), 404)
        # the right code of a link that cannot be answered now: its page says why
    return redirect(url_for(".answer", code=code, key=key))


def _tracking_page(code, value, refused, status, headers=None):
    """The tracking page as its view renders it (not counted against that view's limit a second time), the
    survey code refused in its survey box."""
    g.skm_typed = {"value": value, "refused": refused}
    from ..public.views import tracking_page
    page = make_response(tracking_page(code))
    if page.status_code == 200:  # a tracking code that does not exist keeps the page's own 404
        page.status_code = status
    page.headers.update(headers or {})
    return page


@bp.route("/skm/<code>/<key>", methods=["GET", "POST"])
@limiter.limit(_view_limit)
@limiter.limit(public_post_limit, methods=["POST"])
def answer(code, key):
    until = _locked_until(code)
    if until is not None:  # nothing said about the link, not even whether it exists
        return _refused(svc.SurveyRefused(_locked_text(until), "locked"), 429, code, headers=_retry_after(until))
    form = SurveyForm()
    try:
        req = svc.check_link(code, key)
    except svc.SurveyRefused as refusal:
        if request.method == "POST":
            svc.refuse(refusal)
        elif refusal.code in INFORMATION_ON_GET:
            return _refused(refusal, 200, code)
        said = _count_wrong(code) if refusal.code == "forged" else ""
        return _refused(refusal, REFUSAL_STATUS[refusal.code], code, said)
    if current_user.is_authenticated:
        # the index rates the office's service: its staff do not answer for the citizen (the receipt's
        # printing is on record, and so is this refusal, by name)
        refusal = svc.SurveyRefused(_("The survey is the citizen's own: it cannot be answered while signed in as "
                                      "an officer. The citizen answers with the link on their receipt."), "staff")
        audit.refused("skm.submit", actor=current_user._get_current_object(), subject_type="document",
                      subject_id=req.id, reason=f"[staff] {refusal.message}")
        return _refused(refusal, REFUSAL_STATUS[refusal.code], code)
    page = {"form": form, "refused": None, "type_name": req.type.name, "code": code, "key": key}
    if request.method == "GET":
        return render_page_or_block("survey/answer.html", "survey", **page)
    if not form.validate():
        # a question left out is a slip of input, not an alarm: said as the page numbers the questions
        said = "; ".join(f"{_field_name(form, name)}: {errors[0]}" for name, errors in form.errors.items())
        svc.refuse(svc.SurveyRefused(said[:400], "input:form"))
        return render_page_or_block("survey/answer.html", "survey", **page,
                                    error=_("Some answers are missing or not valid; see the marked questions.")), 422
    try:
        svc.submit(code, key, form.answers(), comment=form.comment.data or "", age=form.age.data,
                   sex=form.sex.data, education=form.education.data, occupation=form.occupation.data)
    except svc.SurveyRefused as refusal:
        return _refused(refusal, REFUSAL_STATUS[refusal.code], code)
    flash(_("Thank you! Your answers were recorded anonymously and help us improve the service."), "success")
    return redirect(url_for(".public"), 303)


# ---- public: the index and the service standards ------------------------------------------------

@bp.get("/skm")
@limiter.limit(_view_limit)
def public():
    first, last = svc.default_period()
    result = svc.report(first, last)
    types = db.session.scalars(select(DocumentType).where(DocumentType.active.is_(True))
                               .options(selectinload(DocumentType.requirements))
                               .order_by(DocumentType.position, DocumentType.name)).all()
    return render_page_or_block("survey/public.html", "main", report=result, types=types, ikm=ikm)


# ---- the dashboard -------------------------------------------------------------------------------

@bp.get("/reports/skm")
@login_required
def report():
    if not svc.may_read_report(current_user):
        audit.record_alone("skm.report", actor=current_user, outcome="refused",
                           comment="[role] " + _("You do not have access to this page or action."))
        abort(403)
    default_first, default_last = svc.default_period()
    errors = []
    first = svc.parse_month(request.args.get("from")) if request.args.get("from") else default_first
    last = svc.parse_month(request.args.get("to")) if request.args.get("to") else default_last
    if first is None or last is None:
        errors.append(_("Enter months as YYYY-MM, e.g. %(example)s.", example=default_last))
        first, last = default_first, default_last
    elif first > last:
        errors.append(_("The first month comes after the last; the default period is shown."))
        first, last = default_first, default_last
    elif len(svc.months_between(first, last)) > 36:
        errors.append(_("Choose at most 36 months; the default period is shown."))
        first, last = default_first, default_last
    type_id = request.args.get("type", "")
    types = db.session.execute(select(DocumentType.id, DocumentType.name).order_by(DocumentType.name)).all()
    if type_id and (not (type_id.isascii() and type_id.isdigit()) or int(type_id) not in {t.id for t in types}):
        errors.append(_("Unknown document type; all types are shown."))
        type_id = ""
    type_id = int(type_id) if type_id else None
    before = request.args.get("before", "")
    before = int(before) if (before.isascii() and before.isdigit()) and len(before) < 10 else None
    result = svc.report(first, last, type_id)
    show_comments = svc.may_read_comments(current_user)
    comments, next_before = svc.comments(first, last, type_id, before) if show_comments else ([], None)
    block = "comments" if before and request.headers.get("HX-Request") else "main"
    status = 400 if errors else 200
    return render_page_or_block("survey/report.html", block, report=result, types=types, ikm=ikm,
                                errors=errors, show_comments=show_comments, comments=comments,
                                next_before=next_before, today=today_wib(), small_unit=svc.SMALL_UNIT), status

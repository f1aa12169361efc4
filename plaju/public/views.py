"""Public request tracking: type, current step and promised date only; never who asked or their NIK."""
from flask import Blueprint, current_app, redirect, request, url_for
from sqlalchemy import select

from ..documents import services as svc
from ..documents import sla
from ..documents.models import DocumentRequest
from ..extensions import db, limiter
from ..htmx import answers_not_found, render_page_or_block
from ..i18n import gettext as _

bp = Blueprint("public", __name__)
answers_not_found("public.track")  # a mistyped code is an answer on the page, not a console error


def _limit() -> str:
    return current_app.config.get("TRACK_LIMIT", "20 per minute")


def _find(code: str) -> DocumentRequest | None:
    normal = svc.normalise_code(code)
    if not normal:
        return None
    return db.session.scalars(select(DocumentRequest).where(DocumentRequest.tracking_code == normal)).first()


@bp.get("/track", strict_slashes=False)  # "/track/" typed from a printed receipt finds the form too
@limiter.limit(_limit)
def track_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for(".track", code=code[:40]), 303)
    return render_page_or_block("public/track.html", "result", code="", req=None, not_found=False)


@bp.get("/track/<code>")
@limiter.limit(_limit)
def track(code):
    return tracking_page(code)


def tracking_page(code: str):
    """The tracking page of `code` (and 404 when no request has it); the survey's refusal of a mistyped survey
    code answers with it too, outside this route's rate limit."""
    req = _find(code)
    if req is None:
        return render_page_or_block("public/track.html", "result", code=code[:40], req=None, not_found=True), 404
    revised = svc.revised_due(req)
    # what the public may read: the type, the step, dates, the missing items (labels of the type's checklist)
    # and why it was returned, rejected or cancelled (typed for the applicant, numbers hidden). Never the name, NIK or
    # who the document is about.
    view = {
        "code": req.tracking_code, "type": req.type.name, "state": svc.state_label(req.state),
        "state_name": req.state, "steps": svc.stepper(req), "promised": svc.promised_date(req),
        "received": req.received_at, "paused": req.state == "returned",
        "missing": req.missing_items if req.state == "returned" else [],
        "overdue": revised is not None, "revised": sla.wib_date(revised) if revised else None,
        "ready": req.state == "ready", "closed": req.state in ("handed_over", "rejected", "cancelled"),
        "rejected": req.state == "rejected", "cancelled": req.state == "cancelled", "reason": svc.public_reason(req),
        "held_letter": _held_letter(req) if req.state == "handed_over" else None,
    }
    return render_page_or_block("public/track.html", "result", code=req.tracking_code, req=view,
                                not_found=False, message=_("Status of request %(code)s", code=req.tracking_code))


def _held_letter(req: DocumentRequest) -> dict | None:
    """The letter the citizen collected, when it was revoked since (and its replacement, if any): numbers and
    dates only, never the reason (it may name people)."""
    from ..letters.services import letters_of
    letters = letters_of("document", req.id)
    revoked = [x for x in letters if x.status == "revoked" and x.revoked_at and req.closed_at
               and x.revoked_at >= req.closed_at and x.issued_at <= req.closed_at]
    if not revoked:
        return None
    replacement = next((x for x in reversed(letters) if x.status == "valid" and x.issued_at > req.closed_at), None)
    return {"number": revoked[-1].number, "on": sla.wib_date(revoked[-1].revoked_at),
            "replacement": replacement.number if replacement else None}

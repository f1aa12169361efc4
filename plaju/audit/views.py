"""HR screens: the change history, filtered and paged, and a check of the chain."""
from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.paging import keyset_page
from ..core.registry import home_card, nav_item
from ..core.urls import int_arg
from ..htmx import render_page_or_block
from . import sentences
from .models import AuditEvent
from .verify import head, verify_chain

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDITORS = ("hr", "admin", "camat", "sekcam")
PAGE = 50

nav_item("audit.index", _l("Audit"), roles=AUDITORS, order=80)


@bp.before_request
@login_required
def _only_auditors():
    if not current_user.has_role(*AUDITORS):
        abort(403)


@bp.get("/")
def index():
    stmt = select(AuditEvent)
    filters = {k: (request.args.get(k) or "").strip() for k in ("actor", "action", "subject", "outcome")}
    if filters["actor"]:
        stmt = stmt.where(AuditEvent.actor_name.ilike(f"%{filters['actor']}%"))
    if filters["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(filters["action"]))
    if filters["subject"]:
        kind, _, ident = filters["subject"].partition(":")
        stmt = stmt.where(AuditEvent.subject_type == kind)
        if ident:
            stmt = stmt.where(AuditEvent.subject_id == ident)
    if filters["outcome"] in ("ok", "refused"):
        stmt = stmt.where(AuditEvent.outcome == filters["outcome"])
    page = keyset_page(stmt, AuditEvent.seq, int_arg("before"), size=PAGE, descending=True)
    events, next_before = page.rows, page.next_key
    return render_page_or_block("audit/index.html", "results", lines=sentences.render(events, subjects=True),
                                filters=filters,
                                next_before=next_before, head=head())


@bp.post("/verify")
def verify():
    verdict = verify_chain()
    return render_page_or_block("audit/verify.html", "verdict", verdict=verdict)


@home_card(roles=("hr", "admin"), order=70)
def _audit_card(user):
    seq, _hash = head()
    from flask import url_for
    return {"title": _l("Audit log"), "value": seq, "text": _l("events recorded"),
            "url": url_for("audit.index"), "link": _l("Open the change history")}

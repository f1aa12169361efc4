"""The complaint workflow: a citizen's complaint or suggestion waits for a section head's answer.

open -> answered (the answer is shown on the request's tracking page)
open -> closed (a duplicate or abuse; the reason is shown too)
The response is due `COMPLAINT_RESPONSE_DAYS` days after it arrived (default 14, the response period
of UU 25/2009 on public services); the inbox orders the section heads' to-dos by it.
"""
from sqlalchemy import select

from ..audit import vocabulary
from ..core.urls import path_by_id
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..inputs import hide_id_numbers
from ..workflow import Spec, State, Step, register, roles
from .forms import KINDS
from .models import Complaint

SECTION_HEAD = "section_head"


def _answered(complaint, ctx):
    complaint.answer = ctx.comment or ""
    complaint.answered_at = ctx.now
    complaint.answered_by_id = ctx.actor.id
    ctx.change("answer", None, complaint.answer)


def _handled_the_request(complaint) -> list[int]:
    """Who took a step on the request complained about (a move of its state, not a look at its NIK or a
    printed receipt): a complaint that the Kasi who processed it asked for money was closed by that Kasi.
    The section heads among them first (the lists keep the first out)."""
    from sqlalchemy import select

    from ..accounts.models import UserRole
    from ..audit.models import AuditEvent
    from ..extensions import db
    acted = db.session.execute(
        select(AuditEvent.actor_id, UserRole.role).outerjoin(
            UserRole, (UserRole.user_id == AuditEvent.actor_id) & (UserRole.role == SECTION_HEAD))
        .where(AuditEvent.subject_type == "document", AuditEvent.subject_id == str(complaint.request_id),
               AuditEvent.outcome == "ok", AuditEvent.actor_id.is_not(None), AuditEvent.to_state.is_not(None))
        .order_by(AuditEvent.seq)).all()
    ids = list(dict.fromkeys(actor for actor, _role in acted))
    heads = {actor for actor, role in acted if role}
    return sorted(ids, key=lambda actor: actor not in heads)


HANDLED_IT = _l("You handled the request this complaint is about: another section head answers or closes it "
                "(four-eyes rule).")

STATES = [
    State("open", _l("Waiting for an answer"), tone="warning"),
    State("answered", _l("Answered"), terminal=True, tone="success"),
    State("closed", _l("Closed without an answer"), terminal=True, tone="neutral"),
]

# the answer is written on the complaint's own page (row_form=False): its field reads "Answer", not "Reason"
STEPS = [
    Step("answer", "open", "answered", _l("Answer the citizen"), who=roles(SECTION_HEAD), comment_required=True,
         delegable=True, style="success", effect=_answered, notify=False, row_form=False,
         not_by=_handled_the_request, not_by_reason=HANDLED_IT),
    Step("close", "open", "closed", _l("Close (duplicate or abuse)"), who=roles(SECTION_HEAD),
         comment_required=True, delegable=True, style="secondary", effect=_answered, todo=False, row_form=False,
         not_by=_handled_the_request, not_by_reason=HANDLED_IT),
]

_complaint_path = path_by_id("complaints.detail", "complaint_id")


def _short(text: str) -> str:
    return (text[:60] + "...") if len(text) > 60 else text

COMPLAINT_FLOW = register(Spec(
    name="complaint", model=Complaint, initial="open", states=STATES, steps=STEPS,
    describe=lambda c: _named(c.kind, c.request.tracking_code, c.received_at), due=lambda c: c.due_at,
    kind_label=_l("Complaints and suggestions"),
    summary=lambda c: {"code": c.request.tracking_code, "type": c.request.type.name,
                       # a list shows no NIK or phone number a citizen wrote (the complaint's page, on request)
                       "name": _short(hide_id_numbers(c.body))},
    url=lambda c: _complaint_path(c.id),
))

vocabulary.describe_actions({
    "complaint.submit": _l("sent a complaint or suggestion"),  # the actor reads "Warga (halaman pelacakan)"
    "complaint.answer": _l("answered the citizen's complaint"),
    "complaint.close": _l("closed the complaint without an answer"),
    "complaint.view": _l("opened the complaints"),
    "complaint.view_full": _l("showed the numbers in a citizen's complaint"),
})
vocabulary.describe_data_access("complaint.view_full")
vocabulary.describe_fields({"answer": _l("Answer"), "kind": _l("Kind"), "month": _l("Month")})
vocabulary.describe_values("kind", dict(KINDS), subject_type="complaint")
vocabulary.describe_kind("complaint", _l("Complaints and suggestions"))
# a request's complete history in the log holds the complaints about it and their answers
vocabulary.describe_parts("document", lambda ids: [
    ("complaint", i) for i in db.session.scalars(select(Complaint.id).where(
        Complaint.request_id.in_(vocabulary.as_numbers(ids))))])


def _complaint_names(ids) -> dict:
    from sqlalchemy import select

    from ..documents.models import DocumentRequest
    from ..extensions import db
    numbers = [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]
    rows = db.session.execute(select(Complaint.id, Complaint.kind, DocumentRequest.tracking_code, Complaint.received_at)
                              .join(DocumentRequest, DocumentRequest.id == Complaint.request_id)
                              .where(Complaint.id.in_(numbers)))
    return {str(i): _named(kind, code, at) for i, kind, code, at in rows}


def _named(kind: str, code: str, received_at) -> str:
    """"Pengaduan PLJ-4CMFV-WEEWZ, 1 Des 2026": what it is, about which request, when it came (not "#2")."""
    from ..i18n import date_text
    from ..timeutil import to_wib
    return f"{dict(KINDS).get(kind, kind)} {code}, {date_text(to_wib(received_at).date(), 'd MMM yyyy')}"


vocabulary.describe_subjects("complaint", _complaint_names, url_arg="complaint_id")

"""The complaint workflow: a citizen's complaint or suggestion waits for an answer from a section head who did
not handle the request (else the Sekcam, else the Camat: `answerers`).

open -> answered (the answer is shown on the request's tracking page)
open -> closed (a duplicate or abuse; the reason is shown too)
The response is due `COMPLAINT_RESPONSE_DAYS` days after it arrived (default 14, the response period
of UU 25/2009 on public services); the inbox orders the to-dos of who answers by it. Each of them is named
in person, so no one holds a to-do the four-eyes rule keeps them from clearing, and told in person (a
notification, closed once someone answered or the complaint moved to someone else).
"""
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, relationship

from ..accounts.models import ROLES, User, UserRole
from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..core.urls import path_by_id
from ..documents.models import DocumentRequest
from ..documents.workflow import DOCUMENT_FLOW
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..inputs import hide_id_numbers
from ..workflow import Spec, State, Step, register
from ..workflow.assignments import store
from ..workflow.signals import assignments_changed
from ..workflow.spec import relation
from .forms import KINDS
from .models import Complaint

SECTION_HEAD = "section_head"
# who answers, in turn: the section heads; when every active one took a step on the request (or there is
# none), the Sekcam; failing that the Camat, who answers even a request he handled: nobody stands above him
IN_TURN = (SECTION_HEAD, "sekcam", "camat")


def _answered(complaint, ctx):
    complaint.answer = ctx.comment or ""
    complaint.answered_at = ctx.now
    complaint.answered_by_id = ctx.actor.id
    ctx.change("answer", None, complaint.answer)


@dataclass(frozen=True)
class Answerers:
    """Who answers a complaint now: `ids`, the active holders of `role` who took no step on the request
    (all of them when `role` is the last in turn and everyone did); `handled`, who took one, section heads
    first (the refusal `not_by` names them; the work item keeps the first out of delegates' lists)."""
    role: str | None
    ids: tuple
    handled: tuple
    every_holder: bool  # nobody holding `role` is kept out: the page names the office, not the people
    names: tuple = ()

    def kept_out(self) -> list[int]:
        return [uid for uid in self.handled if uid not in self.ids]


def _handled_ids(request_ids) -> dict[int, list[int]]:
    """Who took a step on each request (a move of its state, not a look at its NIK or a printed receipt): a
    complaint that the Kasi who processed it asked for money was closed by that Kasi. One statement."""
    rows = db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.actor_id)
        .where(AuditEvent.subject_type == "document", AuditEvent.subject_id.in_([str(i) for i in request_ids]),
               AuditEvent.outcome == "ok", AuditEvent.actor_id.is_not(None), AuditEvent.to_state.is_not(None))
        .order_by(AuditEvent.seq)).all()
    found: dict[int, list[int]] = {}
    for subject, actor in rows:
        ids = found.setdefault(int(subject), [])
        if actor not in ids:
            ids.append(actor)
    return found


def _holders() -> list[tuple[int, str, str]]:
    """(user id, role, name) of every active holder of a role in IN_TURN. One statement."""
    return db.session.execute(
        select(User.id, UserRole.role, User.full_name).join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role.in_(IN_TURN)).order_by(User.full_name, User.id)).all()


def _choose(handled: list[int], holders) -> Answerers:
    heads = {uid for uid, role, _name in holders if role == SECTION_HEAD}
    handled = tuple(sorted(handled, key=lambda uid: uid not in heads))
    for role in IN_TURN:
        of_role = [(uid, name) for uid, r, name in holders if r == role]
        free = [(uid, name) for uid, name in of_role if uid not in handled]
        if free or (role == IN_TURN[-1] and of_role):
            chosen = free or of_role
            return Answerers(role, tuple(uid for uid, _n in chosen), handled, len(chosen) == len(of_role),
                             tuple(name for _uid, name in chosen))
    return Answerers(None, (), handled, False)


def answerers(complaint) -> Answerers:
    """Who answers `complaint` now (two statements; a list page read its rows' at once, `_prefetch`)."""
    hinted = getattr(complaint, "_inbox_hints", {}).get("answerers")
    if hinted is not None:
        return hinted
    return _choose(_handled_ids([complaint.request_id]).get(complaint.request_id, []), _holders())


def _prefetch(complaints, also=()) -> None:
    """Who answers each of a page's complaints, in two statements: kept as the rows' hints, which fire()
    drops. `also`: who is taking a step on the request right now (its audit event is not written yet)."""
    handled, holders = _handled_ids({c.request_id for c in complaints}), _holders()
    for c in complaints:
        took_a_step = list(dict.fromkeys([*handled.get(c.request_id, []), *also]))
        c.__dict__.setdefault("_inbox_hints", {})["answerers"] = _choose(took_a_step, holders)


def _answerers_label(complaint) -> str | None:
    found = answerers(complaint)
    if found.role is None:
        return None
    office = ROLES.get(found.role, found.role)
    if found.role != SECTION_HEAD:
        return _("%(role)s (%(names)s): no section head may answer it", role=office, names=", ".join(found.names))
    if found.every_holder:
        return str(office)
    return _("%(role)s who did not handle the request: %(names)s", role=office, names=", ".join(found.names))


ANSWERERS = relation(lambda user, c: user.id in answerers(c).ids,
                     "section_head who did not handle the request, else sekcam, else camat",
                     names=lambda c: list(answerers(c).ids), label=_answerers_label)


def _handled_the_request(complaint) -> list[int]:
    """Who took a step on the request complained about and may not answer (four eyes), section heads first."""
    return answerers(complaint).kept_out()


HANDLED_IT = _l("You handled the request this complaint is about: an official who did not handle it answers or "
                "closes it (four-eyes rule).")

STATES = [
    State("open", _l("Waiting for an answer"), tone="warning"),
    State("answered", _l("Answered"), terminal=True, tone="success"),
    State("closed", _l("Closed without an answer"), terminal=True, tone="neutral"),
]

# the answer is written on the complaint's own page (row_form=False): its field reads "Answer", not "Reason"
STEPS = [
    Step("answer", "open", "answered", _l("Answer the citizen"), who=ANSWERERS, comment_required=True,
         delegable=True, style="success", effect=_answered, row_form=False,
         not_by=_handled_the_request, not_by_reason=HANDLED_IT),
    Step("close", "open", "closed", _l("Close (duplicate or abuse)"), who=ANSWERERS,
         comment_required=True, delegable=True, style="secondary", effect=_answered, todo=False, row_form=False,
         not_by=_handled_the_request, not_by_reason=HANDLED_IT),
]

_complaint_path = path_by_id("complaints.detail", "complaint_id")


def _short(text: str) -> str:
    return (text[:60] + "...") if len(text) > 60 else text

COMPLAINT_FLOW = register(Spec(
    name="complaint", model=Complaint, initial="open", states=STATES, steps=STEPS,
    reroute_on_roles=frozenset(IN_TURN),  # a new Kasi takes over what waited for the Sekcam
    describe=lambda c: _named(c.kind, c.request.tracking_code, c.received_at), due=lambda c: c.due_at,
    kind_label=_l("Complaints and suggestions"),
    summary=lambda c: {"code": c.request.tracking_code, "type": c.request.type.name,
                       # a list shows no NIK or phone number a citizen wrote (the complaint's page, on request)
                       "name": _short(hide_id_numbers(c.body))},
    url=lambda c: _complaint_path(c.id), prefetch=_prefetch,
))


def _request_step_taken(spec, entity=None, ctx=None, **_kw) -> None:
    """A step on a request adds its taker to those who handled it: the open complaints about it then await
    whoever may still answer them (in the step's transaction), never someone the engine would refuse."""
    if spec.name != "document" or ctx is None:
        return
    complaints = list(entity.open_complaints)  # came along in the step's locking read
    if not complaints:
        return
    _prefetch(complaints, also=(ctx.actor.id,))  # the step's own audit event is written after this
    for complaint in complaints:
        store(COMPLAINT_FLOW, complaint, since=complaint.received_at, only_if_changed=True)
        complaint.__dict__.pop("_inbox_hints", None)


assignments_changed.connect(_request_step_taken, weak=False)
# a request's open complaints come along in its step's locking read (a join, not a statement of their own):
# nearly every step is on a request nobody complained about
DocumentRequest.open_complaints = relationship(
    Complaint, viewonly=True, lazy="select",
    primaryjoin=and_(Complaint.request_id == DocumentRequest.id, Complaint.state == "open"))
DOCUMENT_FLOW.lock_options.append(joinedload(DocumentRequest.open_complaints).lazyload(Complaint.request))


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

"""Complaint services: what a citizen may send from the tracking page, who reads and answers them."""
import os
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, tuple_

from ..accounts.models import active_delegations
from ..audit import record as audit
from ..database import utcnow
from ..documents.models import DocumentRequest
from ..extensions import db
from ..i18n import gettext as _
from ..inputs import hide_contact_details
from ..workflow import available, started
from .models import BODY_MAX, BODY_MIN, KIND_VALUES, Complaint
from .workflow import COMPLAINT_FLOW, SECTION_HEAD

# who reads the complaints: the section heads who answer them, and the leaders above them
READERS = (SECTION_HEAD, "camat", "sekcam")
OPEN_PER_REQUEST = 3  # open complaints one request may have at a time
PAGE_SIZE = 25


# a NIK, a KK number or a phone number typed into a complaint or an answer: ten digits or more, spaces,
# dots, slashes, underscores and dashes allowed between them (a date has eight, "30-11-2026", and stays)
# (up to two separators of any of these between digits: "1671/0101/9000/0011", "1671  0101", "1671_0101";
# a range of dates "01/12 - 05/12" keeps its spaced dash)


def public_text(text: str) -> str:
    """The text as the public tracking page shows it: anyone holding the code reads that page, so what
    identifies or reaches a person (ID and phone numbers, e-mail addresses) is hidden there, as in a step's
    reason. The office's pages show the text as written to those who may see a NIK
    (documents.services.can_view), hidden like this to the other readers (the Sekcam)."""
    return hide_contact_details(text)


def public_answer(text: str) -> str:
    """The office's answer as the tracking page shows it: hidden as `public_text`, but a landline stays (the
    office's own number to call was hidden from the citizen it was written for)."""
    return hide_contact_details(text, keep_landlines=True)


class ComplaintRefused(ValueError):
    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def response_days() -> int:
    value = current_app.config.get("COMPLAINT_RESPONSE_DAYS") or os.environ.get("PLAJU_COMPLAINT_RESPONSE_DAYS")
    return int(value) if value else 14


def can_read(user) -> bool:
    """Reads the complaints: READERS, or a Plh/Plt of one of them today."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(*READERS):
        return True
    return any(d.principal.has_role(*READERS) for d in active_delegations(user))


def submit(req: DocumentRequest, kind: str, body: str) -> Complaint:
    """A citizen's complaint or suggestion about `req`; refusals change nothing and are audited."""
    body = (body or "").strip()
    try:
        if kind not in KIND_VALUES:
            raise ComplaintRefused(_("Choose whether this is a complaint or a suggestion."), "kind")
        if len(body) < BODY_MIN:
            raise ComplaintRefused(_("Write at least %(n)d characters so the office understands the matter.",
                                     n=BODY_MIN), "body")
        if len(body) > BODY_MAX:
            raise ComplaintRefused(_("Write at most %(n)d characters.", n=BODY_MAX), "body")
        rows = db.session.execute(select(Complaint.state, Complaint.body).where(
            Complaint.request_id == req.id, Complaint.state == "open")).all()
        if any(existing == body for _state, existing in rows):
            raise ComplaintRefused(_("This message was already sent and is waiting for an answer."))
        if len(rows) >= OPEN_PER_REQUEST:
            raise ComplaintRefused(_("This request already has %(n)d messages waiting for an answer. Please "
                                     "wait for the office's answer.", n=OPEN_PER_REQUEST))
    except ComplaintRefused as refused:
        db.session.rollback()
        audit.record_alone("complaint.submit", outcome="refused", subject_type="document", subject_id=req.id,
                           actor_name=_("Citizen (tracking page)"),
                           comment=f"[input:{refused.field or 'complaint'}] {refused.message}")
        raise
    now = utcnow()
    complaint = Complaint(request_id=req.id, kind=kind, body=body, received_at=now,
                          due_at=now + timedelta(days=response_days()))
    db.session.add(complaint)
    db.session.flush()
    started(complaint)  # the section heads' to-do, with its due time
    audit.record("complaint.submit", subject_type="complaint", subject_id=complaint.id, to_state="open",
                 actor_name=_("Citizen (tracking page)"), changes={"kind": [None, kind]})
    db.session.commit()
    return complaint


def for_request(request_id: int) -> list[Complaint]:
    """The request's complaints for its tracking page, oldest first (one statement)."""
    return list(db.session.scalars(select(Complaint).where(Complaint.request_id == request_id)
                                   .order_by(Complaint.id)))


def page(state: str | None, after: tuple | None = None) -> tuple[list[Complaint], tuple | None]:
    """One keyed page of complaints, by due time then id; `state` None lists every state."""
    query = select(Complaint)
    if state:
        query = query.where(Complaint.state == state)
    if after:
        query = query.where(tuple_(Complaint.due_at, Complaint.id) > tuple_(*after))
    rows = list(db.session.scalars(query.order_by(Complaint.due_at, Complaint.id).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, ((rows[-1].due_at, rows[-1].id) if more else None)


def counts() -> dict:
    return dict(db.session.execute(select(Complaint.state, func.count()).group_by(Complaint.state)).all())


def actions_for(complaint, user):
    return available(complaint, user)


def is_overdue(complaint, now=None) -> bool:
    return complaint.state == "open" and complaint.due_at < (now or utcnow())


__all__ = ["COMPLAINT_FLOW", "submit", "for_request", "page", "counts", "can_read", "ComplaintRefused"]

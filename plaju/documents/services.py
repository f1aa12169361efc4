"""Document services: the queue, what a user may do, the SLA sweep, and (from intake.py) the counter's
intake. Views call only this."""
from datetime import datetime

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User, UserRole, active_delegations
from ..audit import sentences
from ..database import utcnow
from ..extensions import db
from ..i18n import date_text, wib_text
from ..i18n import gettext as _
from ..notify.service import notify
from ..timeutil import today_wib
from ..workflow import available, fire, history_for
from . import sla
from .calendar import holiday_set
from .citizen import new_promise, revise_promise

# the counter's intake lives in intake.py; views and other areas reach it here, as everything else
from .intake import (  # noqa: F401
    IntakeRefused,
    add_attachments,
    address_fault,
    age_fault,
    contact_details,
    create_request,
    intake_faults,
    missing_requirements,
    new_tracking_code,
    open_duplicate,
    purpose_fault,
    twin_fault,
)
from .models import DocumentRequest, DocumentType, normalise_code  # noqa: F401  (the area's one entry)
from .subject_rules import needed_before
from .workflow import CLOCK_STATES, DOCUMENT_FLOW

# Who works the citizens' queue and opens their scans (full NIK, UU 27/2022): the counter, the section
# heads and the Camat, or someone standing in for one of them as Plh/Plt. Admin keeps only the settings
# pages (/documents/admin/*); HR audits through /audit.
STAFF = ("clerk", "section_head", "camat")
INTAKE = ("clerk", "section_head")
FULL_NIK = ("clerk", "section_head")


def active_types() -> list[DocumentType]:
    return list(db.session.scalars(select(DocumentType).where(DocumentType.active.is_(True))
                                   .options(selectinload(DocumentType.requirements))
                                   .order_by(DocumentType.position, DocumentType.name)))


def all_types(with_requirements: bool = False) -> list[DocumentType]:
    stmt = select(DocumentType).order_by(DocumentType.position, DocumentType.name)
    if with_requirements:
        stmt = stmt.options(selectinload(DocumentType.requirements))
    return list(db.session.scalars(stmt))


# ---- flags and display ------------------------------------------------------------------------

def is_overdue(req: DocumentRequest, now: datetime | None = None) -> bool:
    return req.state in CLOCK_STATES and req.due_at is not None and req.due_at < (now or utcnow())


def is_due_today(req: DocumentRequest, now: datetime | None = None) -> bool:
    return (req.state in CLOCK_STATES and req.due_at is not None and not is_overdue(req, now)
            and sla.wib_date(req.due_at) == today_wib())


def clock_used_now(req: DocumentRequest, now: datetime | None = None, holidays=None) -> int:
    """Working minutes on the clock so far, the running stretch included."""
    used = req.clock_used_minutes or 0
    if req.clock_started_at is not None:
        holidays = holiday_set() if holidays is None else holidays
        used += sla.working_minutes_between(req.clock_started_at, now or utcnow(), holidays)
    return used


def promised_date(req: DocumentRequest):
    return sla.wib_date(req.due_at)


def promise_before(req: DocumentRequest, holidays=None) -> dict | None:
    """How the promise of a request needed before a day (a dispensation's wedding, sla.due_time) keeps to it,
    when the day changed it: `sooner` than the service standard's date (`standard`); `on_the_day` when no
    working day was left before it; `too_late` when the first working day comes after it (a Saturday wedding
    taken in on Friday evening). None otherwise. The clerk and the receipt say why."""
    day = needed_before(req)
    if day is None or req.due_at is None or req.clock_started_at is None:
        return None
    holidays = holiday_set() if holidays is None else holidays
    standard = sla.add_working_minutes(req.clock_started_at, max(req.budget_minutes - req.clock_used_minutes, 0),
                                       holidays)
    promised = sla.wib_date(req.due_at)
    sooner, on_the_day, too_late = req.due_at < standard, promised == day, promised > day
    if not (sooner or on_the_day or too_late):
        return None
    return {"day": day, "standard": sla.wib_date(standard), "sooner": sooner, "on_the_day": on_the_day,
            "too_late": too_late}


def promise_warning(req: DocumentRequest) -> str | None:
    """What the clerk is told at intake when the promise keeps to a day it is needed before (promise_before)."""
    before = promise_before(req)
    if before is None:
        return None
    words = dict(day=date_text(before["day"]), due=wib_text(req.due_at), standard=date_text(before["standard"]))
    if before["too_late"]:
        return _("The wedding is on %(day)s and the office works no day before it: the letter cannot be ready "
                 "before the wedding (it is promised for %(due)s). Tell the citizen and the section head now.",
                 **words)
    if before["on_the_day"]:
        return _("The wedding is on %(day)s and no working day is left before it: the letter is promised for "
                 "%(due)s, on the wedding day. Tell the section head now.", **words)
    return _("The wedding is on %(day)s: the letter is promised for %(due)s, before the wedding and sooner than "
             "the service standard (%(standard)s). Tell the section head today.", **words)


def revised_due(req: DocumentRequest, now: datetime | None = None, holidays=None) -> datetime | None:
    """The new promise of an overdue request, or None when it is not overdue.

    The promise moves on by whole service standards from the missed due time: the first one still in
    the future. It is derived, not stored, so every page and message says the same date and it does
    not creep forward day by day (a 3-working-day type missed on Monday is promised for Thursday)."""
    now = now or utcnow()
    if not is_overdue(req, now):
        return None
    holidays = holiday_set() if holidays is None else holidays
    return new_promise(req, now, holidays)  # the same date the citizen's message names


def public_reason(req: DocumentRequest) -> str:
    """Why a request was returned or rejected, as its applicant may read it on the tracking page: the reason
    the staff typed (its form says the applicant reads it), ID and phone numbers hidden; '' otherwise."""
    from ..audit.models import AuditEvent
    from ..inputs import hide_contact_details
    if req.state == "returned":
        reason = req.return_reason
    elif req.state in ("rejected", "cancelled"):
        step = "document.reject" if req.state == "rejected" else "document.cancel"
        reason = db.session.scalar(select(AuditEvent.comment).where(
            AuditEvent.subject_type == "document", AuditEvent.subject_id == str(req.id),
            AuditEvent.action == step, AuditEvent.outcome == "ok")
            .order_by(AuditEvent.seq.desc()).limit(1))
    else:
        return ""
    return hide_contact_details(reason or "", keep_landlines=True).strip()  # the office's line stays


def issuer(doc_type: DocumentType) -> str:
    """Who issues a document of this type, for the receipt and the tracking page: "camat" (a letter the
    Camat signs), "disdukcapil" (verified here, issued by Disdukcapil) or "kecamatan"."""
    if doc_type.forwards_to_disdukcapil:
        return "disdukcapil"
    return "camat" if doc_type.camat_signs else "kecamatan"


def receipt_wording(doc_type: DocumentType) -> dict:
    """The receipt's sentences that depend on the kind of document. Anyone may send someone to collect it
    (the hand-over records who, with the power of attorney): every receipt says so."""
    kind = issuer(doc_type)
    proxy = _("Someone else may collect it with a signed power of attorney (surat kuasa) and their own ID.")
    if kind == "disdukcapil":
        return {"title": _("Receipt of a population document file"),
                "issuer": _("%(type)s is issued by the Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil) "
                            "of Kota Palembang. The kecamatan checks your file and forwards it; the promised "
                            "date includes the time at Disdukcapil.", type=doc_type.name),
                "collect": _("Collect the document at the PATEN counter of Kecamatan Plaju once the tracking "
                             "page says it is ready; bring this receipt and your KTP-el.") + " " + proxy}
    if kind == "camat":
        return {"title": _("Receipt of a request for a certificate letter"),
                "issuer": _("The %(type)s is a letter of Kecamatan Plaju signed by the Camat; it carries a "
                            "QR code anyone can use to check it is genuine.", type=doc_type.name),
                "collect": _("Collect the letter at the PATEN counter once the tracking page says it is "
                             "ready; bring this receipt and your KTP-el.") + " " + proxy}
    return {"title": _("Receipt of a document request"),
            "issuer": _("The %(type)s is handled by Kecamatan Plaju.", type=doc_type.name),
            "collect": _("Bring this receipt and your KTP-el when you collect the document.") + " " + proxy}


def stepper(req: DocumentRequest) -> list[dict]:
    """The path this request takes, each step done, current or still to come."""
    path = ["received", "verifying", "processing"]
    if req.type.forwards_to_disdukcapil:
        path += ["at_disdukcapil", "back_from_disdukcapil"]
    if req.type.camat_signs:
        path += ["awaiting_signature", "signed"]
    path += ["ready", "handed_over"]
    state = req.state
    anchor = {"returned": "verifying"}.get(state, state)
    if state in ("rejected", "cancelled"):
        items = [{"name": n, "label": DOCUMENT_FLOW.state(n).label, "status": "done"} for n in path[:1]]
        items.append({"name": state, "label": DOCUMENT_FLOW.state(state).label, "status": "stopped"})
        return items
    position = path.index(anchor) if anchor in path else 0
    items = []
    for i, name in enumerate(path):
        status = "done" if i < position or state == "handed_over" else ("current" if i == position else "todo")
        label = DOCUMENT_FLOW.state(name).label
        if name == anchor and state == "returned":
            label = DOCUMENT_FLOW.state("returned").label
        items.append({"name": name, "label": label, "status": status})
    return items


def state_label(name: str) -> str:
    return DOCUMENT_FLOW.state(name).label


# ---- who may do what ---------------------------------------------------------------------------

def actions_for(req: DocumentRequest, user) -> list:
    """The engine's available steps, without those that never apply to this kind of document."""
    return [action for action in available(req, user) if action.applies]


def take_action(req: DocumentRequest, trigger: str, actor, *, version, comment=None, password=None,
                ticked=None, missing=None, fields=None, evidence=None, evidence_refused=None,
                confirmed=False) -> DocumentRequest:
    """`evidence_refused`: why a file sent with the step could not be taken (the step refuses it, with its
    other faults)."""
    data = {"holidays": holiday_set(), "ticked": sorted(ticked or ()), "missing": sorted(missing or ()),
            "fields": dict(fields or {}), "confirmed": confirmed}
    if evidence is not None:
        data["evidence"] = evidence
    if evidence_refused:
        data["evidence_refused"] = evidence_refused
    return fire(req, trigger, actor, expected_version=version, comment=comment, password=password, data=data)


def can_view(user) -> bool:
    """May browse the queue, open a request and its scans: STAFF, or an active Plh/Plt of one of them."""
    if not (user and user.is_authenticated):
        return False
    if user.has_role(*STAFF):
        return True
    return any(d.principal.has_role(*STAFF) for d in active_delegations(user))


def returned_at(req: DocumentRequest) -> datetime | None:
    """When the request was last returned to the citizen (the step in the audit log), for the slip."""
    from ..audit.models import AuditEvent
    return db.session.scalar(select(func.max(AuditEvent.occurred_at)).where(
        AuditEvent.subject_type == "document", AuditEvent.subject_id == str(req.id),
        AuditEvent.to_state == "returned", AuditEvent.outcome == "ok"))


def timeline(req: DocumentRequest, reader=None) -> list:
    """The request's history as sentences, refused attempts included (who tried what, and why not); a NIK
    typed into a reason is hidden from a reader who may not see one."""
    return sentences.render(history_for(req), hide_numbers=reader is not None and not reader.has_role(*FULL_NIK))


# ---- the SLA sweep ---------------------------------------------------------------------------

def _section_heads() -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                   .where(UserRole.role == "section_head", User.active.is_(True))
                                   .order_by(User.id)))


def sweep(now: datetime | None = None, base_url: str = "") -> dict:
    """Notify section heads of every overdue request once per due date; idempotent. The e-mails go
    into the outbox with the notifications and are sent after the commit."""
    now = now or utcnow()
    heads = _section_heads()
    creators = {}
    overdue = list(db.session.scalars(
        select(DocumentRequest).where(DocumentRequest.state.in_(CLOCK_STATES), DocumentRequest.due_at < now)
        .order_by(DocumentRequest.due_at)))
    created = queued = revised = 0
    holidays = holiday_set()
    for req in overdue:
        revised += revise_promise(req, now, holidays)  # a new date for the citizen, told once
        if req.created_by_id not in creators:
            creator = db.session.get(User, req.created_by_id) if req.created_by_id else None
            creators[req.created_by_id] = creator.unit_id if creator else None
        unit = creators[req.created_by_id]
        recipients = [h for h in heads if unit and h.unit_id == unit] or heads
        due = sla.wib_date(req.due_at)
        # the notification links to a local path (the only kind /notifications/<id>/open follows);
        # the intranet address for the e-mail goes into the text
        path = f"/documents/{req.id}"
        words = dict(code=req.tracking_code, type=req.type.name, kel=req.kelurahan, due=due.strftime("%d-%m-%Y"),
                     state=state_label(req.state))
        wedding = needed_before(req)  # promised before the wedding, sooner than the standard (sla.due_time)
        body = _("The request %(code)s (%(type)s, Kelurahan %(kel)s) passed its promised date %(due)s, set before "
                 "the wedding on %(day)s, and is now at \"%(state)s\".", day=date_text(wedding), **words) \
            if wedding else _("The request %(code)s (%(type)s, Kelurahan %(kel)s) passed its service standard on "
                              "%(due)s and is now at \"%(state)s\".", **words)
        if base_url:
            body += "\n\n" + base_url.rstrip("/") + path
        for head in recipients:
            note = notify(
                head,
                _("Overdue: %(code)s %(type)s (due %(due)s)", code=req.tracking_code, type=req.type.name,
                  due=due.strftime("%d-%m-%Y")),
                body,
                url=path,
                dedupe_key=f"doc-overdue:{req.id}:{due.isoformat()}:{head.id}")
            if note is not None:
                created += 1
                queued += note.outbox_message is not None
                db.session.flush()
    db.session.commit()
    return {"overdue": len(overdue), "notified": created, "mailed": queued, "revised": revised}


def request_url(req: DocumentRequest) -> str:
    return url_for("documents.detail", request_id=req.id)

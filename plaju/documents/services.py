"""Document services: intake, the queue, what a user may do, the SLA sweep. Views call only this."""
import json
import secrets
from datetime import datetime

from flask import url_for
from flask_babel import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import once, uploads
from ..accounts.models import User, UserRole, active_delegations
from ..audit import record as audit
from ..audit import sentences
from ..database import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..notify.citizen import InvalidEmail, normalise_email
from ..notify.phone import InvalidPhone, normalise_msisdn
from ..notify.service import notify
from ..timeutil import today_wib
from ..workflow import available, fire, history_for, started
from . import sla, subjects
from .calendar import holiday_set
from .citizen import new_promise, revise_promise
from .models import (
    ADDRESS_MAX,
    PURPOSE_MAX,
    DocumentAttachment,
    DocumentNameWord,
    DocumentRequest,
    DocumentType,
    name_words,
)
from .nik import validate_nik
from .workflow import CLOCK_STATES, DOCUMENT_FLOW, OPEN_STATES

# Who works the citizens' queue and opens their scans (full NIK, UU 27/2022): the counter, the section
# heads and the Camat, or someone standing in for one of them as Plh/Plt. Admin keeps only the settings
# pages (/documents/admin/*); HR audits through /audit.
STAFF = ("clerk", "section_head", "camat")
INTAKE = ("clerk", "section_head")
FULL_NIK = ("clerk", "section_head")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter


class IntakeRefused(ValueError):
    """The intake form cannot be accepted; `field` names where the message belongs, `faults` every faulty
    field's message when there are several (field -> message)."""

    def __init__(self, message, field=None, faults: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.faults = faults or {field or "form": message}


def new_tracking_code() -> str:
    """PLJ- and 10 random characters: 50 bits from `secrets`, not guessable, easy to read out."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"PLJ-{body[:5]}-{body[5:]}"


def normalise_code(raw: str | None) -> str:
    code = "".join((raw or "").upper().split()).replace("-", "")
    if code.startswith("PLJ"):
        code = code[3:]
    if len(code) != 10 or any(c not in CODE_ALPHABET for c in code):
        return ""
    return f"PLJ-{code[:5]}-{code[5:]}"


def active_types() -> list[DocumentType]:
    return list(db.session.scalars(select(DocumentType).where(DocumentType.active.is_(True))
                                   .options(selectinload(DocumentType.requirements))
                                   .order_by(DocumentType.position, DocumentType.name)))


def all_types(with_requirements: bool = False) -> list[DocumentType]:
    stmt = select(DocumentType).order_by(DocumentType.position, DocumentType.name)
    if with_requirements:
        stmt = stmt.options(selectinload(DocumentType.requirements))
    return list(db.session.scalars(stmt))


def missing_requirements(doc_type: DocumentType, ticked: set[int]) -> str | None:
    missing = [r.label for r in doc_type.requirements if r.required and r.id not in ticked]
    if not missing:
        return None
    return _("Required documents are missing: %(items)s. The request cannot be taken in until the citizen "
             "brings them.", items=", ".join(missing))


def contact_details(phone: str | None, email: str | None, consent: bool) -> tuple[str, str]:
    """The phone as 628... and the e-mail address, or IntakeRefused naming the field at fault."""
    try:
        phone = normalise_msisdn(phone) if (phone or "").strip() else ""
    except InvalidPhone as refused:
        raise IntakeRefused(refused.message, "phone") from None
    try:
        email = normalise_email(email)
    except InvalidEmail as refused:
        raise IntakeRefused(refused.message, "email") from None
    if consent and not (phone or email):
        raise IntakeRefused(_("Updates need a mobile number or an e-mail address: enter one, or untick the "
                              "consent."), "contact_consent")
    return phone, email


def purpose_fault(doc_type: DocumentType, purpose: str) -> str | None:
    """A letter the Camat signs says what it is for: asked at the counter, never taken from the note."""
    if not doc_type.camat_signs:
        return None
    if not (purpose or "").strip():
        return _("Enter what the letter is for (e.g. school registration): it is printed on the letter.")
    if len(purpose.strip()) > PURPOSE_MAX:
        return _("The purpose may be at most %(max)s characters long.", max=PURPOSE_MAX)
    return None


def age_fault(doc_type: DocumentType, nik: str | None, married: bool, day) -> str | None:
    """A document given from an age (a first KTP-el from 17, UU 24/2013 Pasal 63) refuses a younger applicant
    by the NIK's date of birth, unless the clerk ticked that the applicant is or was married."""
    if not doc_type.min_age or married or not nik:
        return None
    try:
        born = validate_nik(nik, local=False).birth_date
    except ValueError:  # a wrong NIK is told by its own field
        return None
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if age >= doc_type.min_age:
        return None
    return _("By the NIK the applicant is %(age)s years old; %(type)s is given from %(min)s years. Tick \"married "
             "or was married\" if that is the case, and ask for the marriage certificate.", age=age,
             type=doc_type.name, min=doc_type.min_age)


def address_fault(doc_type: DocumentType, address: str) -> str | None:
    """A letter the Camat signs states where the citizen lives (a domisili letter is nothing else)."""
    if not doc_type.camat_signs:
        return None
    if len((address or "").strip()) < 5:
        return _("Enter the address: street, house number and RT/RW, as the letter states it.")
    if len(address.strip()) > ADDRESS_MAX:
        return _("The address may be at most %(max)s characters long.", max=ADDRESS_MAX)
    return None


def create_request(*, actor, nik: str, name: str, phone: str, kelurahan: str, doc_type: DocumentType,
                   ticked: set[int], files=(), note: str = "", received_at: datetime | None = None,
                   holidays=None, once_token: str | None = None, confirm_duplicate: bool = False,
                   subject: dict | None = None, email: str = "",
                   contact_consent: bool = False, purpose: str = "", address: str = "",
                   married: bool = False) -> DocumentRequest:
    """Take in a request at the counter: checks, stores scans, starts the clock, audits, commits.

    Anything refused raises IntakeRefused before a row exists; files stored before a failure are
    removed again so nothing is left on disk. With `once_token` (the form's one-time token) a second
    post of the same form raises once.AlreadyDone with the first request's receipt. An open request
    for the same NIK and type is refused (field "duplicate") unless the clerk confirmed it. `subject`
    holds the subject fields of the form (subjects.from_form), checked by the type's subject kind."""
    checked = validate_nik(nik, local=not doc_type.other_regions)
    phone, email = contact_details(phone, email, contact_consent)
    if not doc_type.active:
        raise IntakeRefused(_("This document type is no longer offered."), "type_id")
    try:
        intake_day = sla.wib_date(received_at or utcnow())  # "recent" and "not in the future" from the intake day
        subject_data = subjects.validate(doc_type.subject_kind, subject or {}, checked.value, intake_day,
                                         local=not doc_type.other_regions)
    except subjects.SubjectRefused as refused:
        raise IntakeRefused(refused.message, refused.field, refused.faults) from None
    message = missing_requirements(doc_type, ticked)
    if message:
        raise IntakeRefused(message, "requirements")
    purpose = (purpose or "").strip()
    message = purpose_fault(doc_type, purpose)
    if message:
        raise IntakeRefused(message, "purpose")
    address = " ".join((address or "").split())
    message = address_fault(doc_type, address)
    if message:
        raise IntakeRefused(message, "address")
    message = age_fault(doc_type, checked.value, married, intake_day)
    if message:
        raise IntakeRefused(message, "married")
    if married and doc_type.min_age:  # the clerk's statement that let a younger applicant in, kept with it
        subject_data = {**subject_data, "married": True}
    try:
        token = once.claim(actor, once_token) if once_token is not None else None
        if not confirm_duplicate:
            twin = open_duplicate(checked.value, doc_type)
            if twin is not None:
                raise IntakeRefused(_("This citizen already has an open request for %(type)s (%(code)s, received "
                                      "%(date)s). Tick \"Register anyway\" only if a second one is really needed.",
                                      type=doc_type.name, code=twin.tracking_code,
                                      date=format_date(sla.wib_date(twin.received_at), "d MMMM yyyy")),
                                    "duplicate")
        with uploads.stored(files) as stored:
            now = received_at or utcnow()
            holidays = holiday_set() if holidays is None else holidays
            budget = sla.budget_minutes(doc_type.service_amount, doc_type.service_unit)
            req = DocumentRequest(
                tracking_code=new_tracking_code(), type=doc_type, nik=checked.value, name=name.strip(),
                name_key=name.strip().lower(), phone=phone, email=email, kelurahan=kelurahan,
                contact_consent_at=now if contact_consent else None,
                contact_consent_by_id=actor.id if contact_consent else None,
                note=(note or "").strip(), purpose=purpose if doc_type.camat_signs else "",
                address=address if doc_type.camat_signs else "",
                subject_data=json.dumps(subject_data, ensure_ascii=False),
                state="received", version=0, created_by_id=actor.id,
                received_at=now, budget_minutes=budget, clock_used_minutes=0, clock_started_at=now,
                due_at=sla.add_working_minutes(now, budget, holidays),
                checklist=json.dumps([{"id": r.id, "label": r.label, "required": r.required,
                                       "ok": r.id in ticked} for r in doc_type.requirements], ensure_ascii=False))
            db.session.add(req)
            db.session.flush()
            db.session.add_all(DocumentNameWord(request_id=req.id, word=w) for w in name_words(req.name))
            _attach(req, actor, stored)
            if token is not None:
                once.complete(token, url_for("documents.receipt", request_id=req.id))
            audit.record("document.receive", actor=actor, subject_type="document", subject_id=req.id,
                         to_state="received", changes={"type": [None, doc_type.code],
                                                       "kelurahan": [None, kelurahan],
                                                       "attachments": [None, len(stored)],
                                                       **({"purpose": [None, purpose]}
                                                          if doc_type.camat_signs else {}),
                                                       **({"contact_consent": [None, True]}
                                                          if contact_consent else {}),
                                                       **({"married": [None, True]}
                                                          if subject_data.get("married") else {})})
            started(req, actor)
            db.session.commit()
            return req
    except uploads.UploadRefused as refused:
        raise IntakeRefused(str(refused), "attachments") from None
    except BaseException:
        db.session.rollback()
        raise


def subject_fault(doc_type: DocumentType, subject: dict, applicant_nik: str | None):
    """The subject fields' faults (SubjectRefused.faults) for the form to show beside other faults (the
    NIK may be wrong too), or None. The same rule create_request() enforces."""
    try:
        nik = validate_nik(applicant_nik, local=not doc_type.other_regions).value
    except ValueError:
        nik = ""
    try:
        subjects.validate(doc_type.subject_kind, subject, nik, today_wib(), local=not doc_type.other_regions)
    except subjects.SubjectRefused as refused:
        return refused
    return None


def open_duplicate(nik: str, doc_type: DocumentType) -> DocumentRequest | None:
    """The oldest open request of this NIK for this type, if any (a double registration)."""
    return db.session.scalars(select(DocumentRequest).where(
        DocumentRequest.nik == nik, DocumentRequest.type_id == doc_type.id,
        DocumentRequest.state.in_(OPEN_STATES)).order_by(DocumentRequest.id).limit(1)).first()


def _attach(req: DocumentRequest, actor, stored) -> None:
    for s in stored:
        db.session.add(DocumentAttachment(request_id=req.id, stored_name=s.name, original_name=s.original_name,
                                          mime=s.mime, size=s.size, sha256=s.sha256, uploaded_by_id=actor.id))


def add_attachments(req: DocumentRequest, actor, files) -> int:
    """Add scans to an open request (e.g. documents the citizen brought back)."""
    if req.state not in OPEN_STATES:
        raise IntakeRefused(_("Files can only be added while the request is open."), "attachments")
    try:
        with uploads.stored(files) as stored:
            if not stored:
                raise IntakeRefused(_("No file was chosen."), "attachments")
            _attach(req, actor, stored)
            audit.record("document.attach", actor=actor, subject_type="document_file", subject_id=req.id,
                         changes={"attachments": [None, [s.original_name for s in stored]]})
            db.session.commit()
            return len(stored)
    except uploads.UploadRefused as refused:
        raise IntakeRefused(str(refused), "attachments") from None
    except BaseException:
        db.session.rollback()
        raise


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


def issuer(doc_type: DocumentType) -> str:
    """Who issues a document of this type, for the receipt and the tracking page: "camat" (a letter the
    Camat signs), "disdukcapil" (verified here, issued by Disdukcapil) or "kecamatan"."""
    if doc_type.forwards_to_disdukcapil:
        return "disdukcapil"
    return "camat" if doc_type.camat_signs else "kecamatan"


def receipt_wording(doc_type: DocumentType) -> dict:
    """The receipt's sentences that depend on the kind of document."""
    kind = issuer(doc_type)
    if kind == "disdukcapil":
        return {"title": _("Receipt of a population document file"),
                "issuer": _("%(type)s is issued by the Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil) "
                            "of Kota Palembang. The kecamatan checks your file and forwards it; the promised "
                            "date includes the time at Disdukcapil.", type=doc_type.name),
                "collect": _("Collect the document at the PATEN counter of Kecamatan Plaju once the tracking "
                             "page says it is ready; bring this receipt and your KTP-el.")}
    if kind == "camat":
        return {"title": _("Receipt of a request for a certificate letter"),
                "issuer": _("The %(type)s is a letter of Kecamatan Plaju signed by the Camat; it carries a "
                            "QR code anyone can use to check it is genuine.", type=doc_type.name),
                "collect": _("Collect the letter at the PATEN counter once the tracking page says it is "
                             "ready; bring this receipt and your KTP-el. Someone else may collect it with a "
                             "signed power of attorney (surat kuasa) and their own ID.")}
    return {"title": _("Receipt of a document request"),
            "issuer": _("The %(type)s is handled by Kecamatan Plaju.", type=doc_type.name),
            "collect": _("Bring this receipt and your KTP-el when you collect the document.")}


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
    actions = []
    for action in available(req, user):
        if action.blocked and any(getattr(g, "structural", False) and g(req, user) for g in action.step.guards):
            continue
        actions.append(action)
    return actions


def take_action(req: DocumentRequest, trigger: str, actor, *, version, comment=None, password=None,
                ticked=None, missing=None, fields=None, evidence=None, confirmed=False) -> DocumentRequest:
    data = {"holidays": holiday_set(), "ticked": sorted(ticked or ()), "missing": sorted(missing or ()),
            "fields": dict(fields or {}), "confirmed": confirmed}
    if evidence is not None:
        data["evidence"] = evidence
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


def timeline(req: DocumentRequest) -> list:
    """The request's history as sentences, refused attempts included (who tried what, and why not)."""
    return sentences.render(history_for(req))


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
        body = _("The request %(code)s (%(type)s, Kelurahan %(kel)s) passed its service standard on "
                 "%(due)s and is now at \"%(state)s\".", code=req.tracking_code, type=req.type.name,
                 kel=req.kelurahan, due=due.strftime("%d-%m-%Y"), state=state_label(req.state))
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

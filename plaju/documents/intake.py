"""Taking a request in at the counter: the intake's rules (requirements, contact, purpose, address,
minimum age, whom the document is about), one for the service and for the form's faults shown at once,
the tracking code, and the scans added later. Views reach it through documents.services."""
import json
import re
import secrets
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import format_date
from sqlalchemy import select

from .. import once, uploads
from ..audit import record as audit
from ..database import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..inputs import person_name_fault, written_name
from ..notify.citizen import InvalidEmail, normalise_email
from ..notify.phone import InvalidPhone, is_mobile, normalise_phone
from ..workflow import started
from . import sla, subjects
from .calendar import holiday_set
from .models import (
    ADDRESS_MAX,
    CODE_ALPHABET,
    PURPOSE_MAX,
    DocumentAttachment,
    DocumentNameWord,
    DocumentRequest,
    DocumentType,
    request_words,
)
from .nik import validate_nik
from .subject_rules import needed_before
from .workflow import OPEN_STATES


class IntakeRefused(ValueError):
    """The intake form cannot be accepted; `field` names where the message belongs, `faults` every faulty
    field's message when there are several (field -> message)."""

    def __init__(self, message, field=None, faults: dict | None = None, twin_id: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.faults = faults or {field or "form": message}
        self.twin_id = twin_id  # a double registration: the request it would double, for the clerk to open


def new_tracking_code() -> str:
    """PLJ- and 10 random characters: 50 bits from `secrets`, not guessable, easy to read out."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"PLJ-{body[:5]}-{body[5:]}"


def missing_requirements(doc_type: DocumentType, ticked: set[int]) -> str | None:
    missing = [r.label for r in doc_type.requirements if r.required and r.id not in ticked]
    if not missing:
        return None
    return _("Required documents are missing: %(items)s. The request cannot be taken in until the citizen "
             "brings them.", items=", ".join(missing))


def contact_details(phone: str | None, email: str | None, consent: bool) -> tuple[str, str]:
    """The phone as 62... (a mobile number, or a landline to call on, which gets no messages) and the e-mail
    address, or IntakeRefused naming the field at fault."""
    try:
        phone = normalise_phone(phone) if (phone or "").strip() else ""
    except InvalidPhone as refused:
        raise IntakeRefused(refused.message, "phone") from None
    try:
        email = normalise_email(email)
    except InvalidEmail as refused:
        raise IntakeRefused(refused.message, "email") from None
    if consent and not (is_mobile(phone) or email):
        raise IntakeRefused(_("Updates need a mobile number or an e-mail address: enter one, or untick the "
                              "consent (a landline number is kept to call the citizen on, but gets no "
                              "messages)."), "contact_consent")
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


# below this age "married" is taken for a slip of the hand: a marriage needs 19 years (UU 16/2019), and
# a court's dispensation below that
MARRIED_MIN_AGE = 10


def age_fault(doc_type: DocumentType, nik: str | None, married: bool, day) -> str | None:
    """A document given from an age (a first KTP-el from 17, UU 24/2013 Pasal 63) refuses a younger applicant
    by the NIK's date of birth, unless the clerk ticked that the applicant is or was married."""
    if not doc_type.min_age or not nik:
        return None
    try:
        born = validate_nik(nik).birth_date
    except ValueError:  # a wrong NIK is told by its own field
        return None
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if married and age < MARRIED_MIN_AGE:  # the tick took a baby's KTP-el in
        return _("By the NIK the applicant is %(age)s years old: \"married or was married\" cannot be right. "
                 "Check the NIK, or untick it.", age=age)
    if age >= doc_type.min_age or married:
        return None
    try:
        ready = born.replace(year=born.year + doc_type.min_age)
    except ValueError:  # born on 29 February: the birthday is kept on 1 March in other years
        ready = born.replace(year=born.year + doc_type.min_age, month=3, day=1)
    return _("By the NIK the applicant is %(age)s years old; %(type)s is given from %(min)s years, so from "
             "%(date)s. Tick \"married or was married\" if that is the case, and ask for the marriage "
             "certificate.", age=age, type=doc_type.name, min=doc_type.min_age,
             date=format_date(ready, "d MMMM yyyy"))


def address_fault(doc_type: DocumentType, address: str) -> str | None:
    """A letter the Camat signs states where the citizen lives (a domisili letter is nothing else)."""
    if not doc_type.camat_signs:
        return None
    if len((address or "").strip()) < 5:
        return _("Enter the address: street, house number and RT/RW, as the letter states it.")
    if len(address.strip()) > ADDRESS_MAX:
        return _("The address may be at most %(max)s characters long.", max=ADDRESS_MAX)
    said = _PLACE_WORDS.search(address)
    if said:  # the letter adds the kelurahan chosen: "Kel. Talang Putri ..., Kelurahan Plaju Ulu" named two
        return _("Enter the street, house number and RT/RW only: the letter adds the kelurahan chosen above, the "
                 "kecamatan and the city (remove “%(word)s” and what follows).", word=said.group(0).strip())
    return None


# a kelurahan or kecamatan typed into the street ("Kel.", "Kelurahan", "Kec.", "Kecamatan"); "Kota" and
# "Palembang" are also street names (Lorong Kota Baru, Jl. Palembang-Betung)
_PLACE_WORDS = re.compile(r"(?i)(?<![a-z])(kel\b\.?|kelurahan\b|kec\b\.?|kecamatan\b)")


def birth_place_fault(doc_type: DocumentType, place: str, required: bool = True) -> str | None:
    """A letter the Camat signs states where and when the citizen was born: the place is asked (as the KTP
    says), the date is the NIK's. Not `required` where the letter names someone else (it is kept if typed)."""
    if not doc_type.camat_signs:
        return None
    place = (place or "").strip()
    if not place and not required:
        return None
    if len(place) < 2:
        return _("Enter the place of birth, as the KTP states it: it is printed on the letter.")
    return subjects.place_fault(place)


def create_request(*, actor, nik: str, name: str, phone: str, kelurahan: str, doc_type: DocumentType,
                   ticked: set[int], files=(), note: str = "", received_at: datetime | None = None,
                   holidays=None, once_token: str | None = None, confirm_duplicate: bool = False,
                   subject: dict | None = None, email: str = "",
                   contact_consent: bool = False, purpose: str = "", address: str = "",
                   birth_place: str = "", married: bool = False) -> DocumentRequest:
    """Take in a request at the counter: checks, stores scans, starts the clock, audits, commits.

    Anything refused raises IntakeRefused before a row exists; files stored before a failure are
    removed again so nothing is left on disk. With `once_token` (the form's one-time token) a second
    post of the same form raises once.AlreadyDone with the first request's receipt. An open request
    for the same NIK and type is refused (field "duplicate") unless the clerk confirmed it. `subject`
    holds the subject fields of the form (subjects.from_form), checked by the type's subject kind."""
    checked = validate_nik(nik)
    name = written_name(name)  # as every page shows it: a letter printed "budi   SANTOSO"
    name_fault = person_name_fault(name, digits=False) if 2 <= len(name) <= 120 else \
        _("The name must be 2 to 120 characters long.")
    if name_fault:
        raise IntakeRefused(name_fault, "name")
    phone, email = contact_details(phone, email, contact_consent)
    if not doc_type.active:
        raise IntakeRefused(_("This document type is no longer offered."), "type_id")
    intake_day = sla.wib_date(received_at or utcnow())  # "recent" and "not in the future" from the intake day
    purpose = " ".join((purpose or "").split())  # one line on the letter: a line break would add a paragraph
    address = " ".join((address or "").split())
    birth_place = " ".join((birth_place or "").split())
    faults, subject_data = intake_faults(doc_type, checked.value, subject or {}, ticked, purpose, address, married,
                                         intake_day, birth_place, applicant_name=name)
    if faults:  # every fault in one answer: the clerk chooses the scans again after each refusal
        twin = None if confirm_duplicate else twin_fault(checked.value, doc_type, received_at or utcnow())
        if twin is not None:  # the double registration's warning too, not only once the rest is right
            faults = {"duplicate": twin.message, **faults}
        field, message = next(iter(faults.items()))
        raise IntakeRefused(message, field, faults, twin_id=twin.twin_id if twin else None)
    if married and doc_type.min_age:  # the clerk's statement that let a younger applicant in, kept with it
        subject_data = {**subject_data, "married": True}
    try:
        token = once.claim(actor, once_token) if once_token is not None else None
        if not confirm_duplicate:  # after the form's token: the same form sent twice finds the first request
            _refuse_a_twin(checked.value, doc_type, received_at or utcnow())
        with uploads.stored(files) as stored:
            now = received_at or utcnow()
            holidays = holiday_set() if holidays is None else holidays
            budget = sla.budget_minutes(doc_type.service_amount, doc_type.service_unit)
            req = DocumentRequest(
                tracking_code=new_tracking_code(), type=doc_type, nik=checked.value, name=name,
                name_key=name.lower(), phone=phone, email=email, kelurahan=kelurahan,
                contact_consent_at=now if contact_consent else None,
                contact_consent_by_id=actor.id if contact_consent else None,
                note=(note or "").strip(), purpose=purpose if doc_type.camat_signs else "",
                address=address if doc_type.camat_signs else "",
                birth_place=birth_place if doc_type.camat_signs else "",
                subject_data=json.dumps(subject_data, ensure_ascii=False),
                state="received", version=0, created_by_id=actor.id,
                received_at=now, budget_minutes=budget, clock_used_minutes=0, clock_started_at=now,
                checklist=json.dumps([{"id": r.id, "label": r.label, "required": r.required,
                                       "ok": r.id in ticked} for r in doc_type.requirements], ensure_ascii=False))
            req.due_at = sla.due_time(now, budget, holidays, needed_before(req))
            db.session.add(req)
            db.session.flush()
            db.session.add_all(DocumentNameWord(request_id=req.id, word=w)
                               for w in request_words(req.name, req.subject_data))
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


def intake_faults(doc_type: DocumentType, applicant_nik: str | None, subject: dict, ticked: set[int],
                  purpose: str, address: str, married: bool, day, birth_place: str = "",
                  applicant_name: str = "") -> tuple[dict, dict | None]:
    """Every fault of the type's part of the intake form at once (field -> message): whom the letter is
    for, the requirements, the purpose, the address and the applicant's age; with the subject's data as
    it will be stored (None when it is faulty). A wrong applicant NIK is its own field's fault: the rest
    is still checked, so the clerk is told everything in one answer."""
    try:
        nik = validate_nik(applicant_nik).value
    except ValueError:
        nik = ""
    faults, subject_data = {}, None
    try:
        subject_data = subjects.validate(doc_type.subject_kind, subject, nik, day,
                                         applicant_name=applicant_name)
    except subjects.SubjectRefused as refused:
        faults.update(refused.faults)
    for field, fault in (("requirements", missing_requirements(doc_type, ticked)),
                         ("purpose", purpose_fault(doc_type, purpose)), ("address", address_fault(doc_type, address)),
                         # the applicant's: printed unless the letter is for someone else (its own place then)
                         ("birth_place", birth_place_fault(doc_type, birth_place, required=not (
                             subject_data and subject_data.get("same") is False))),
                         ("married", age_fault(doc_type, nik, married, day))):
        if fault:
            faults[field] = fault
    return faults, subject_data


def open_duplicate(nik: str, doc_type: DocumentType) -> DocumentRequest | None:
    """The oldest open request of this NIK for this type, if any (a double registration)."""
    return db.session.scalars(select(DocumentRequest).where(
        DocumentRequest.nik == nik, DocumentRequest.type_id == doc_type.id,
        DocumentRequest.state.in_(OPEN_STATES)).order_by(DocumentRequest.id).limit(1)).first()


def twin_fault(nik: str | None, doc_type: DocumentType, now) -> IntakeRefused | None:
    """A second request of this NIK and type is taken in only once the clerk confirms it: the open one, or
    one handed over in the last RECENT_DAYS, is named with a link (IntakeRefused.twin_id). None for a NIK
    that is not valid (its own field says so)."""
    try:
        nik = validate_nik(nik).value
    except ValueError:
        return None
    try:
        _refuse_a_twin(nik, doc_type, now)
    except IntakeRefused as twin:
        return twin
    return None


def _refuse_a_twin(nik: str, doc_type: DocumentType, now) -> None:
    twin = open_duplicate(nik, doc_type)
    if twin is not None:
        message = _("This citizen already has an open request for %(type)s (%(code)s, received %(date)s). Tick "
                    "\"Register anyway\" only if a second one is really needed.", type=doc_type.name,
                    code=twin.tracking_code, date=format_date(sla.wib_date(twin.received_at), "d MMMM yyyy"))
    else:
        twin = recent_twin(nik, doc_type, now)
        if twin is None:
            return
        message = _("This citizen was handed %(type)s on %(date)s (%(code)s). Tick \"Register anyway\" only if "
                    "another one is really needed (lost, damaged, data changed).", type=doc_type.name,
                    code=twin.tracking_code, date=format_date(sla.wib_date(twin.closed_at), "d MMMM yyyy"))
    raise IntakeRefused(message, "duplicate", twin_id=twin.id)


RECENT_DAYS = 30  # a second request of the same kind within a month of the first hand-over is asked about


def recent_twin(nik: str, doc_type: DocumentType, now) -> DocumentRequest | None:
    """The newest request of this NIK for this type handed over in the last RECENT_DAYS, if any (taken in
    again by mistake, or the citizen came back for the same document)."""
    return db.session.scalars(select(DocumentRequest).where(
        DocumentRequest.nik == nik, DocumentRequest.type_id == doc_type.id,
        DocumentRequest.state == "handed_over", DocumentRequest.closed_at >= now - timedelta(days=RECENT_DAYS))
        .order_by(DocumentRequest.closed_at.desc()).limit(1)).first()


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

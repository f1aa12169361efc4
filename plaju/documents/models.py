"""Document types (data the admin edits), holidays, citizens' requests and their attachments."""
import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..extensions import db
from ..inputs import code_characters
from .nik import mask_nik

if TYPE_CHECKING:
    from ..accounts.models import User

REQUIREMENT_LABEL_MAX = 200
NAME_WORD_MAX = 60
PURPOSE_MAX = 200
ADDRESS_MAX = 200
BIRTH_PLACE_MAX = 60
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # tracking codes: no 0/O, 1/I, read aloud at the counter


def normalise_code(raw: str | None) -> str:
    """A tracking code as typed (any case, spaces, with or without its dashes and PLJ), as stored; "" if none."""
    code = code_characters(raw)
    if code.startswith("PLJ"):
        code = code[3:]
    if len(code) != 10 or any(c not in CODE_ALPHABET for c in code):
        return ""
    return f"PLJ-{code[:5]}-{code[5:]}"
KELURAHAN = ["Plaju Darat", "Talang Putri", "Komperta", "Plaju Ilir", "Talang Bubuk", "Plaju Ulu",
             "Bagus Kuning"]


class DocumentType(db.Model):
    __tablename__ = "document_type"
    __table_args__ = (
        CheckConstraint("service_unit IN ('hours', 'days')", name="service_unit"),
        CheckConstraint("service_amount > 0", name="service_amount"),
        CheckConstraint("subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance', 'business', "
                        "'marriage')",
                        name="subject_kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    service_amount: Mapped[int] = mapped_column(default=1)
    service_unit: Mapped[str] = mapped_column(String(5), default="days")  # working hours or days
    camat_signs: Mapped[bool] = mapped_column(default=False)
    forwards_to_disdukcapil: Mapped[bool] = mapped_column(default=False)
    # also for people whose KK is not from Kecamatan Plaju (a domisili letter is for newcomers): the intake form
    # says so, and the clerk checks the KK; a NIK of any region is taken (kept for life after a move)
    other_regions: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the applicant's age by the NIK from which the document is given, unless married (a first KTP-el: 17,
    # UU 24/2013 Pasal 63); None: any age
    min_age: Mapped[int | None] = mapped_column(default=None)
    # archive classification code (Permendagri 83/2022) in the number of the letters of this type
    archive_code: Mapped[str] = mapped_column(String(20), default="")
    # whom the document is about and which data its output needs (plaju.documents.subjects.KINDS)
    subject_kind: Mapped[str] = mapped_column(String(20), default="applicant", server_default="applicant")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    requirements: Mapped[list["DocumentRequirement"]] = relationship(
        cascade="all, delete-orphan", order_by="DocumentRequirement.position",
        back_populates="document_type")

    def __str__(self):
        return self.name


class DocumentRequirement(db.Model):
    """One item of a type's checklist (persyaratan)."""
    __tablename__ = "document_requirement"
    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("document_type.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(REQUIREMENT_LABEL_MAX))
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    document_type: Mapped[DocumentType] = relationship(back_populates="requirements")


class Holiday(db.Model):
    __tablename__ = "holiday"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))


class DocumentRequest(db.Model):
    __tablename__ = "document_request"
    __table_args__ = (
        Index("ix_document_request_queue", "received_at", "id"),
        Index("ix_document_request_state_queue", "state", "received_at", "id"),
        Index("ix_document_request_state_due", "state", "due_at"),
        Index("ix_document_request_type_queue", "type_id", "received_at", "id"),
        Index("ix_document_request_kelurahan_queue", "kelurahan", "received_at", "id"),
        Index("ix_document_request_nik_type", "nik", "type_id"),  # the double-registration check at intake
        Index("ix_document_request_name_key", "name_key", postgresql_ops={"name_key": "varchar_pattern_ops"}),
        CheckConstraint("version >= 0", name="version"),
        CheckConstraint("clock_used_minutes >= 0", name="clock_used"),
        CheckConstraint("length(nik) = 16", name="nik_length"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("document_type.id"))
    nik: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # lower-cased name for search
    phone: Mapped[str] = mapped_column(String(20), default="")  # a mobile number as 628...
    email: Mapped[str] = mapped_column(String(200), default="")
    # the citizen agreed at the counter to hear of the request by SMS/WhatsApp/e-mail: when and to whom
    contact_consent_at: Mapped[datetime | None]
    contact_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kelurahan: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")  # the office's own note: never printed
    # what a letter is for, printed after "untuk keperluan:" (types the Camat signs)
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX), default="", server_default="")
    # street, number, RT/RW: printed on a letter the Camat signs before the kelurahan (documents/letters.py)
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="", server_default="")
    # where the applicant was born, as the KTP says: the letter's "Tempat/Tgl. Lahir" (the date is the NIK's)
    birth_place: Mapped[str] = mapped_column(String(BIRTH_PLACE_MAX), default="", server_default="")
    checklist: Mapped[str] = mapped_column(Text, default="[]")  # JSON snapshot taken at intake
    # JSON: the person the document is about, when not simply the applicant (subjects.validate)
    subject_data: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    return_reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # the last return's why
    # what the Camat (or his Plh) asked to correct when sending it back; shown until the letter is signed
    correction_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[str] = mapped_column(String(30), default="received")
    version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # service clock: budget and use in working minutes; due_at is empty while the clock is paused
    budget_minutes: Mapped[int] = mapped_column(default=0)
    clock_used_minutes: Mapped[int] = mapped_column(default=0)
    clock_started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # a new promise once the service standard was missed, set by the SLA sweep (documents.citizen)
    revised_due_at: Mapped[datetime | None]
    disdukcapil_back_at: Mapped[datetime | None]
    # who submitted it for the Camat's signature, and everyone else who prepared it: who corrected its letter
    # or submitted it in an earlier round (ids, comma-separated, in order; with the fields corrected this
    # round, shown to him): four eyes, none of them signs it
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    preparer_ids: Mapped[str] = mapped_column(String(200), default="", server_default="")
    corrected_fields: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # JSON, written at the first correction: the applicant's name and the subject as the counter took them
    # in; every later correction is a typo fix of these, not of the last saved value (documents.correction)
    taken_in: Mapped[str] = mapped_column(Text, default="", server_default="")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_as: Mapped[str] = mapped_column(String(160), default="")
    ready_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    service_minutes: Mapped[int | None]  # working minutes on the clock, pauses excluded
    wait_minutes: Mapped[int | None]  # working minutes from received to handed over
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    type: Mapped[DocumentType] = relationship(lazy="joined", innerjoin=True)
    # read only where a signed request's page names its signer (one statement then)
    signed_by: Mapped["User | None"] = relationship("User", foreign_keys=[signed_by_id], lazy="select",
                                                    viewonly=True)
    attachments: Mapped[list["DocumentAttachment"]] = relationship(
        lazy="select", order_by="DocumentAttachment.id", back_populates="request")

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def checklist_items(self) -> list[dict]:
        return json.loads(self.checklist or "[]")

    @property
    def missing_items(self) -> list[str]:
        """The labels of the requirements marked missing (type data: no personal data in them)."""
        return [item["label"] for item in self.checklist_items if not item.get("ok") and item.get("required")]

    @property
    def subject(self) -> dict:
        return json.loads(self.subject_data or "{}")

    handover: Mapped["DocumentHandover | None"] = relationship(lazy="select", uselist=False,
                                                               back_populates="request")

    def __str__(self):
        return self.tracking_code


class DocumentNameWord(db.Model):
    """Every word of a request's names (the applicant's and whom it is about: `request_words`), lower-cased:
    a name search reads this index (a prefix of any word finds the request) instead of scanning every name,
    so it costs the same at a million requests."""
    __tablename__ = "document_name_word"
    __table_args__ = (
        Index("ix_document_name_word_word", "word", "request_id", postgresql_ops={"word": "varchar_pattern_ops"}),
    )
    request_id: Mapped[int] = mapped_column(ForeignKey("document_request.id", ondelete="CASCADE"),
                                            primary_key=True)
    word: Mapped[str] = mapped_column(String(NAME_WORD_MAX), primary_key=True)


def name_words(name: str) -> list[str]:
    """The searchable words of a name: lower-cased, split at anything that is not a letter or digit."""
    return sorted({word[:NAME_WORD_MAX] for word in re.split(r"[\W_]+", (name or "").lower()) if word})


def subject_names(data: dict) -> list[str]:
    """The names a request's subject data holds: whom it is about (a baby, a family member, the deceased,
    a business) and the heirs."""
    return [n for n in (data.get("name"), *(h.get("name") for h in data.get("heirs") or ())) if n]


def request_words(name: str, subject_data: str | None) -> list[str]:
    """The searchable words of a request: the applicant's name and the names it is about, so the queue finds
    a birth certificate by the baby's name as well as the mother's."""
    return name_words(" ".join([name, *subject_names(json.loads(subject_data or "{}"))]))


def name_word_rows(request_id: int, name: str) -> list[dict]:
    """Rows for a bulk insert of the words of one request (seeders and benchmarks insert requests in bulk)."""
    return [{"request_id": request_id, "word": word} for word in name_words(name)]


class DocumentAttachment(db.Model):
    __tablename__ = "document_attachment"
    __table_args__ = (UniqueConstraint("stored_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("document_request.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[DocumentRequest] = relationship(back_populates="attachments")


class DocumentHandover(db.Model):
    """Who collected the document at the counter: the applicant or someone with a power of attorney."""
    __tablename__ = "document_handover"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("document_request.id", ondelete="CASCADE"), unique=True)
    by_applicant: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str] = mapped_column(String(60))
    id_kind: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(30))
    power_of_attorney: Mapped[bool] = mapped_column(default=False)  # surat kuasa seen and kept
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("document_attachment.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[DocumentRequest] = relationship(back_populates="handover")

    @property
    def id_number_masked(self) -> str:
        return mask_nik(self.id_number) if len(self.id_number) >= 8 else "*" * len(self.id_number)

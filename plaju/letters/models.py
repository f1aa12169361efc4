"""The outgoing-letter register: one counter row per year and one row per letter issued."""
import re
import unicodedata
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..accounts.models import User
from ..database import utcnow
from ..extensions import db


def number_key(number: str) -> str:
    """One spelling of a letter number, to compare: upper case, no spaces, "/" and "-" alike, no empty part,
    and each all-digit part without leading zeros ("400.12/11/plj-2026/" is "400.12/0011/PLJ/2026")."""
    parts = re.split(r"[/-]", "".join(unicodedata.normalize("NFKC", number or "").split()).upper())
    return "/".join(part.lstrip("0") or "0" if part.isdigit() else part for part in parts if part)


class LetterCounter(db.Model):
    """The last serial used in a year. Locked FOR UPDATE while a number is drawn (PostgreSQL)."""
    __tablename__ = "letter_counter"
    __table_args__ = (CheckConstraint("last_serial >= 0", name="last_serial"),)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(default=0)


class Letter(db.Model):
    __tablename__ = "letter"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("check_code"),
        # a serial of our own register is used once; a number from an outside register has none
        UniqueConstraint("year", "serial", name="uq_letter_year_serial"),
        CheckConstraint("status IN ('valid', 'revoked')", name="status"),
        Index("ix_letter_subject", "subject_type", "subject_id"),
        Index("ix_letter_register", "year", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80))
    number_key: Mapped[str] = mapped_column(String(80), default="", index=True)  # kept by _keyed
    year: Mapped[int]
    serial: Mapped[int | None]  # None when the number comes from an outside register
    external: Mapped[bool] = mapped_column(default=False)
    classification: Mapped[str] = mapped_column(String(20), default="")
    check_code: Mapped[str] = mapped_column(String(20))
    # what the letter is about, for the register; never the citizen's name or NIK
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    subject_label: Mapped[str] = mapped_column(String(40), default="")
    # whom it is for, masked as /cek shows it ("B••• S••••••"): a genuine code stuck on a forged letter
    # with another name does not pass; the full name stays in the signed PDF and the record
    holder_masked: Mapped[str] = mapped_column(String(160), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(40))
    kind_name: Mapped[str] = mapped_column(String(160))
    signer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_nip: Mapped[str] = mapped_column(String(18), default="")
    signed_as: Mapped[str] = mapped_column(String(160))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="valid")
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    signer: Mapped[User] = relationship(foreign_keys=[signer_id], lazy="joined")

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @validates("number")
    def _keyed(self, _name, number):
        self.number_key = number_key(number)  # set or changed, the key follows
        return number


class LetterExternalNumber(db.Model):
    """A number taken from an outside register, recorded before signing; the letter uses it instead."""
    __tablename__ = "letter_external_number"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", name="uq_letter_external_number_subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    number: Mapped[str] = mapped_column(String(80))
    number_key: Mapped[str] = mapped_column(String(80), default="", index=True)  # kept by _keyed
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("number")
    def _keyed(self, _name, number):
        self.number_key = number_key(number)  # a corrected number takes its key along
        return number

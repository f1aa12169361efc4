"""SKM answers and the one-use survey tokens, kept apart on purpose.

`skm_token_use` holds only the digest of each token that was used: it says a token is spent, not what
was answered. `skm_response` holds the answers with the month of the hand-over and the document type,
nothing that names the request, the citizen, the staff who served them, or even the moment of answering.
"""
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

ANSWER_COLUMNS = tuple(f"u{i}" for i in range(1, 10))


class SkmTokenUse(db.Model):
    __tablename__ = "skm_token_use"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class SkmResponse(db.Model):
    __tablename__ = "skm_response"
    __table_args__ = (
        Index("ix_skm_response_month_type", "month", "type_id"),
        *(CheckConstraint(f"{c} BETWEEN 1 AND 4", name=f"{c}_range") for c in ANSWER_COLUMNS),
        CheckConstraint("age IS NULL OR age BETWEEN 15 AND 99", name="age_range"),
        CheckConstraint("sex IS NULL OR sex IN ('L', 'P')", name="sex_value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM (WIB) of the hand-over
    type_id: Mapped[int] = mapped_column(ForeignKey("document_type.id"), index=True)
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str | None] = mapped_column(String(1))
    education: Mapped[str | None] = mapped_column(String(10))
    occupation: Mapped[str | None] = mapped_column(String(10))

    def answers(self) -> list[int]:
        return [getattr(self, c) for c in ANSWER_COLUMNS]

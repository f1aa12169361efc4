"""Complaints and suggestions (pengaduan) a citizen sends about a request from its tracking page."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..documents.models import DocumentRequest
from ..extensions import db

KIND_VALUES = ("complaint", "suggestion")
BODY_MIN, BODY_MAX = 10, 2000


class Complaint(db.Model):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_state_due", "state", "due_at", "id"),
        CheckConstraint("kind IN ('complaint', 'suggestion')", name="kind_value"),
        CheckConstraint("version >= 0", name="version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("document_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")
    version: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    request: Mapped[DocumentRequest] = relationship(lazy="joined", innerjoin=True)

    def __str__(self):
        return f"{self.kind} {self.request.tracking_code} {self.received_at:%Y-%m-%d}"

"""One row per document request with the figures the service dashboard reads, kept by the steps.

The service clock (`service_minutes`) is the request's own; what the request row does not keep is the
working time spent back with the citizen and the pick-up delay, so they are added here in the step's
transaction. `flask reports rebuild` recomputes every row from the request rows and their audit trail.
Months are WIB calendar months as 'YYYY-MM'.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..documents.models import DocumentRequest
from ..extensions import db


class ServiceFact(db.Model):
    __tablename__ = "report_service_fact"
    __table_args__ = (
        Index("ix_report_service_fact_window", "last_month", "received_month"),
    )
    request_id: Mapped[int] = mapped_column(ForeignKey("document_request.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    type_id: Mapped[int] = mapped_column(ForeignKey("document_type.id"))
    kelurahan: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime]
    received_month: Mapped[str] = mapped_column(String(7))
    ready_at: Mapped[datetime | None]
    ready_month: Mapped[str | None] = mapped_column(String(7))
    handed_at: Mapped[datetime | None]
    handed_month: Mapped[str | None] = mapped_column(String(7))
    # the month of the latest step: a window of months reads the rows whose last step falls in it or later
    last_month: Mapped[str] = mapped_column(String(7))
    budget_minutes: Mapped[int] = mapped_column(default=0)
    service_minutes: Mapped[int | None]  # on the service clock, received -> ready
    returned_minutes: Mapped[int] = mapped_column(default=0)  # back with the citizen (clock paused)
    returned_times: Mapped[int] = mapped_column(default=0)
    returned_since: Mapped[datetime | None]
    pickup_minutes: Mapped[int | None]  # ready -> handed over


# the request's fact, reached from the request so a step's locking read brings it along (facts.py); the
# fact goes with its request
DocumentRequest.service_fact = relationship(ServiceFact, uselist=False, lazy="select",
                                            cascade="all, delete-orphan", passive_deletes=True)

"""Assignments: who must take each waiting step of a row, kept by the engine."""
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class WorkItem(db.Model):
    """One waiting step of one row for a named user or for everyone holding a role. The engine replaces
    a row's items at creation and after every step, in the step's transaction; nobody else writes them.
    Delegations (Plh/Plt) are not stored here: they are resolved when a list is read."""
    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_user", "user_id", "spec", "due_at"),
        Index("ix_work_item_role", "role", "spec", "due_at"),
        Index("ix_work_item_entity", "spec", "entity_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    spec: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None]  # no foreign key: a row's items are replaced, never point at stale ids
    role: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int | None]
    delegable: Mapped[bool] = mapped_column(default=False)
    notify: Mapped[bool] = mapped_column(default=True)
    excluded_user_id: Mapped[int | None]  # four eyes: the row's owner may not take it
    due_at: Mapped[datetime | None]
    since: Mapped[datetime]

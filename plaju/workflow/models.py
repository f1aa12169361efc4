"""Assignments: who must take each waiting step of a row, kept by the engine."""
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# the order key of an item without a due time: after every dated one (both databases sort it the same way)
NO_DUE = datetime(9999, 12, 31)


class WorkItem(db.Model):
    """One waiting step of one row for a named user or for everyone holding a role. The engine replaces
    a row's items at creation and after every step, in the step's transaction; nobody else writes them.
    Delegations (Plh/Plt) are not stored here: they are resolved when a list is read.

    A list reads one index range per way an item reaches the reader (their id, each of their roles, each
    principal they stand in for), already in list order (due_key, since, entity_id), and stops after a
    page: the two order indexes end with the columns those reads filter on, so they are covering."""
    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_user_order", "user_id", "spec", "due_key", "since", "entity_id",
              "excluded_user_id", "delegable"),
        Index("ix_work_item_role_order", "role", "spec", "due_key", "since", "entity_id",
              "unit_id", "excluded_user_id", "delegable"),
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
    due_key: Mapped[datetime]  # due_at, or NO_DUE when there is none: the list order, portable and indexable
    since: Mapped[datetime]

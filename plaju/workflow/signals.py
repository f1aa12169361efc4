"""Signals of the workflow engine, for machinery that reacts to work moving between people.

Sent inside the step's own transaction, so whatever a receiver writes (a notification, an outbox
message) commits or rolls back with the step.
"""
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

_signals = Namespace()


@dataclass(frozen=True)
class Assignee:
    """Who must take a waiting step: a named user, or everyone holding a role (optionally in a unit)."""
    trigger: str
    user_id: int | None = None
    role: str | None = None
    unit_id: int | None = None
    delegable: bool = False          # a Plh/Plt of the assignee may take it for them
    notify: bool = True              # tell them one by one (False: a to-do shared at the counter)
    excluded_user_id: int | None = None  # four eyes: this person may not take it
    due_at: datetime | None = None


# sender: the Spec; kwargs: entity, step (None at creation), from_state (None at creation), ctx (None at
# creation), assignees: list[Assignee] (the entity's assignments after the change; empty when nobody waits)
assignments_changed = _signals.signal("assignments-changed")

"""Generic workflow engine on `transitions`. Knows no business area."""
from .assignments import refresh_assignments_for_user, started
from .awaiting import awaiting_clause, awaiting_ids
from .engine import (
    all_specs,
    available,
    fire,
    history_for,
    init_app,
    register,
    spec_for,
    spec_named,
    todo_actions,
)
from .errors import Conflict, Invalid, NotAllowed, Refused
from .spec import Spec, State, Step, roles

__all__ = ["Spec", "State", "Step", "roles", "fire", "available", "todo_actions", "register", "spec_for",
           "spec_named", "all_specs", "history_for", "init_app", "started", "refresh_assignments_for_user",
           "awaiting_clause", "awaiting_ids", "Refused", "NotAllowed", "Invalid", "Conflict"]

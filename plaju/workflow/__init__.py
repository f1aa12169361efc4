"""Generic workflow engine on `transitions`. Knows no business area."""
from .engine import available, fire, history_for, register, spec_for
from .errors import Conflict, Invalid, NotAllowed, Refused
from .spec import Spec, State, Step, roles

__all__ = ["Spec", "State", "Step", "roles", "fire", "available", "register", "spec_for", "history_for",
           "Refused", "NotAllowed", "Invalid", "Conflict"]

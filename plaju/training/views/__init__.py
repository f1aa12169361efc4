"""Pages of competence development, one module per section: `me` (my development, approvals),
`attendance` (courses the office runs), `catalogue` (courses, enrolling, HR's course editing),
`dictionary`, `enrolment`, `elearning`, `plans`, `history` (export), `cards` (the home page). Every page
works as a plain form; HTMX swaps the named blocks. Views call the services (`plaju.training.services`);
the services call the workflow engine."""
from .. import reconcile as _reconcile  # noqa: F401  (registers the JP credited against the log)
from . import (  # noqa: F401  (their routes join the blueprint)
    attendance,
    cards,
    catalogue,
    dictionary,
    elearning,
    enrolment,
    history,
    me,
    plans,
)
from .common import bp

__all__ = ["bp"]

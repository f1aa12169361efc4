"""Workflow tests also use the training factories (courses, enrolments, the Camat away)."""
from tests.training.conftest import camat_away, enrol, make_course  # noqa: F401

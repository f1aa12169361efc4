"""The inbox reads every area: reuse their factories (rows put into a state, assignments stored)."""
from tests.documents.conftest import doc_types, make_request  # noqa: F401
from tests.training.conftest import camat_away, enrol, make_course  # noqa: F401

import pytest

from plaju.database import utcnow
from plaju.documents.seed import seed_types
from plaju.documents.services import create_request
from plaju.survey import services as skm
from plaju.workflow import started
from tests.documents.conftest import valid_nik

ANSWERS = {f"u{i}": str(v) for i, v in zip(range(1, 10), (4, 3, 2, 4, 3, 3, 4, 2, 3), strict=True)}


@pytest.fixture()
def doc_types(db):
    return seed_types()


@pytest.fixture()
def make_request(db, users, doc_types):
    """A request put into `state` by hand; ended (handed over, refused, cancelled) `closed_at` (default: now)."""
    def make(state="handed_over", type_code="ktp-baru", closed_at=None, nik=None):
        doc_type = doc_types[type_code]
        req = create_request(actor=users["clerk"], nik=nik or valid_nik(), name="Siti Aminah", phone="081234567890",
                             kelurahan="Plaju Darat", doc_type=doc_type, ticked={r.id for r in doc_type.requirements},
                             purpose="pendaftaran sekolah", address="Jl. Sentosa No. 7 RT 003 RW 001",
                             birth_place="Palembang", confirm_duplicate=nik is not None)
        req.state = state
        if state in ("handed_over", "rejected", "cancelled"):
            req.closed_at = closed_at or utcnow()
        started(req)
        db.session.commit()
        return req
    return make


@pytest.fixture()
def link(app):
    def build(req) -> str:
        with app.test_request_context():
            return skm.survey_path(req.tracking_code)
    return build

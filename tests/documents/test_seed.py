"""Demo data: requests in every state, some overdue, a valid audit trail, and a second run adds nothing."""
from sqlalchemy import func, select

from plaju.accounts.demo import seed_people
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.documents.models import DocumentRequest, DocumentType, Holiday
from plaju.documents.nik import validate_nik
from plaju.documents.queue import QueueFilters, queue_page
from plaju.documents.seed import seed_documents
from plaju.documents.workflow import STATES
from tests.support import PASSWORD


def test_demo_requests_cover_every_state_and_are_idempotent(app, db, monkeypatch):
    import plaju.accounts.models as account_models
    from tests.support import _password_hash
    monkeypatch.setattr(account_models.User, "set_password",
                        lambda self, _password: setattr(self, "password_hash", _password_hash()))
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", PASSWORD)
    seed_people(PASSWORD)
    seed_documents()
    states = dict(db.session.execute(select(DocumentRequest.state, func.count()).group_by(DocumentRequest.state)).all())
    assert set(states) == {s.name for s in STATES}
    overdue, _cursor = queue_page(QueueFilters(flag="overdue"))
    assert len(overdue) >= 3
    for req in db.session.scalars(select(DocumentRequest)):
        assert validate_nik(req.nik).value == req.nik
        kind = req.type.subject_kind
        assert bool(req.subject) is (kind != "applicant"), (req.type.code, req.subject)
        if kind == "inheritance":
            assert req.subject["heirs"], req.tracking_code
    assert verify_chain().ok
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in
              (DocumentRequest, DocumentType, Holiday, AuditEvent)]
    seed_documents()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in
            (DocumentRequest, DocumentType, Holiday, AuditEvent)] == counts


def test_a_demo_started_at_night_still_serves_its_requests_in_working_hours(app, db, monkeypatch):
    """Started at 03.42 WIB, the demo's recent requests were served during office hours, so the service
    report does not show today's documents ready in 0,0 hours."""
    from datetime import UTC, datetime

    import plaju.accounts.models as account_models
    from plaju.database import clock_at
    from plaju.timeutil import WIB
    from tests.support import _password_hash
    monkeypatch.setattr(account_models.User, "set_password",
                        lambda self, _password: setattr(self, "password_hash", _password_hash()))
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", PASSWORD)
    night = datetime(2026, 12, 1, 3, 42, tzinfo=WIB).astimezone(UTC).replace(tzinfo=None)
    with clock_at(night):
        seed_people(PASSWORD)
        seed_documents()
    ready = list(db.session.scalars(select(DocumentRequest).where(DocumentRequest.ready_at.is_not(None))))
    assert ready and all(r.service_minutes > 0 for r in ready), [(r.received_at, r.ready_at) for r in ready]

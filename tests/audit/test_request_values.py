"""What comes from request headers into an audit row is bounded and plain."""
import pytest
from sqlalchemy import select

from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain


def _recorded_with(app, db, users, **environ):
    headers = environ.pop("headers", {})
    with app.test_request_context("/audit/", method="POST", headers=headers, environ_base=environ):
        event = audit.record("test.request", actor=users["hr"])
        db.session.commit()
        seq = event.seq
    db.session.expire_all()
    return db.session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))


@pytest.mark.parametrize("offered", ["x" * 10_000, "a" * 41, "abc def", "id;X-Injected: 1", "<script>", "idé", ""])
def test_an_unfit_request_id_is_replaced_by_a_fresh_one(app, db, users, offered):
    event = _recorded_with(app, db, users, headers={"X-Request-ID": offered})
    assert event.request_id != offered and len(event.request_id) == 32
    assert all(c in "0123456789abcdef" for c in event.request_id)
    assert verify_chain().ok


@pytest.mark.parametrize("offered", ["req-2026.11.29_0001", "A" * 40, "7"])
def test_a_plain_short_request_id_is_kept(app, db, users, offered):
    assert _recorded_with(app, db, users, headers={"X-Request-ID": offered}).request_id == offered


def test_the_address_stored_is_a_parsed_ip_address(app, db, users):
    assert _recorded_with(app, db, users, REMOTE_ADDR="2001:db8::1").ip == "2001:db8::1"
    assert _recorded_with(app, db, users, REMOTE_ADDR="not-an-address" * 10).ip is None

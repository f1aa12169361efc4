"""deploy/postgres-roles.sql: the application's role can read and append the audit log and nothing
more; it cannot slip past, disable or drop the append-only triggers. PostgreSQL only."""
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plaju.audit import record as audit
from plaju.audit.verify import verify_chain

pytestmark = pytest.mark.skipif(not os.environ.get("PLAJU_TEST_DATABASE_URL"),
                                reason="database roles exist on PostgreSQL only")
SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres-roles.sql"


@pytest.fixture()
def app_role(db):
    """The script run as written, with role names of this test's own (roles are cluster-wide)."""
    tag = uuid.uuid4().hex[:8]
    owner, app_role = f"plaju_owner_t{tag}", f"plaju_app_t{tag}"
    script = SCRIPT.read_text().replace("plaju_owner", owner).replace("plaju_app", app_role)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(script)
    with db.engine.begin() as conn:  # idempotent: run again after a migration
        conn.exec_driver_sql(script)
    url = make_url(str(db.engine.url)).set(username=app_role, password=None)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    with db.engine.begin() as conn:
        for role in (app_role, owner):
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.parametrize("statement,refusal", [
    ("UPDATE audit_event SET comment = 'diubah' WHERE seq = 1", "permission denied"),
    ("DELETE FROM audit_event", "permission denied"),
    ("TRUNCATE audit_event", "permission denied"),
    ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete", "must be owner"),
    ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_event_no_update_delete ON audit_event", "must be owner"),
    ("DROP TRIGGER audit_event_no_truncate ON audit_event", "must be owner"),
    ("DROP FUNCTION audit_event_append_only() CASCADE", "must be owner"),
    ("CREATE OR REPLACE FUNCTION audit_locked_head(lock_key bigint) RETURNS SETOF audit_event "
     "LANGUAGE sql AS 'SELECT * FROM audit_event LIMIT 0'", "permission denied|must be owner"),
    ("DROP TABLE audit_event", "must be owner"),
    ("ALTER TABLE audit_event RENAME TO audit_event_old", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
    ("CREATE TABLE audit_event_copy (seq int)", "permission denied"),
])
def test_the_app_role_cannot_touch_the_audit_log(app, db, users, app_role, statement, refusal):
    audit.record("test.roles", actor=users["hr"])
    db.session.commit()
    with app_role.connect() as conn:
        with pytest.raises(Exception, match=refusal):
            conn.execute(text(statement))
    assert verify_chain().ok


def test_the_app_role_appends_and_reads_and_works_on_other_tables(app, db, users, app_role):
    audit.record("test.roles.before", actor=users["hr"])
    db.session.commit()
    with Session(app_role) as session:
        event = audit.record("test.roles.as_app", actor_name="aplikasi", session=session)
        session.execute(text('UPDATE "user" SET position = position WHERE id = :id'), {"id": users["hr"].id})
        session.commit()
        assert event.seq == 2
        assert session.execute(text("SELECT count(*) FROM audit_event")).scalar() == 2
    verdict = verify_chain()
    assert verdict.ok and verdict.checked == 2


def test_the_app_role_keeps_the_day_index_of_the_log(app, db, users, app_role):
    """audit_day and its watermark are ordinary tables for the app role: the scheduled refresh runs as it."""
    from plaju.audit import days
    for _ in range(3):
        audit.record("test.roles.days", actor=users["hr"])
    db.session.commit()
    with Session(app_role) as session:
        assert days.refresh(session=session) == 3
        assert days.refresh(session=session) == 0
        assert session.execute(text("SELECT covered_seq FROM audit_day_cover")).scalar() == 3
        with pytest.raises(Exception, match="permission denied"):
            session.execute(text("UPDATE audit_event SET comment = 'diubah'"))
    assert verify_chain().ok

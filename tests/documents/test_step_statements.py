"""What one step sends to the database: the row read once with its lock, nothing read that cannot matter,
and every guarantee's writes still there (the work items, the report's fact, the audit event)."""
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm.exc import StaleDataError

from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.database import locked_here, utcnow
from plaju.documents.models import DocumentRequest
from plaju.notify.models import Notification
from plaju.reports.models import ServiceFact
from plaju.workflow import fire
from plaju.workflow.engine import lock_for_step
from tests.support import PASSWORD, statements_during

NOT_COUNTED = ("BEGIN", "PRAGMA", "SET ", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _statements(app, fn) -> list[str]:
    return [" ".join(s.split()) for s in statements_during(fn) if not s.lstrip().upper().startswith(NOT_COUNTED)]


def test_an_approval_reads_its_request_once_and_takes_at_most_ten_statements(app, client, login_as, db, users,
                                                                                  make_request):
    doc = make_request("verifying")
    url, version = f"/documents/{doc.id}/actions/accept", doc.version
    login_as("kasi")
    response = []
    statements = _statements(app, lambda: response.append(client.post(
        url, data={"version": str(version)}, headers={"HX-Request": "true"})))
    assert response[0].status_code == 200, response[0].text[:300]
    # 9 on SQLite (the holidays are read by the first step a process serves); PostgreSQL writes the work
    # items in one statement, takes the audit lock with the head, and writes the step's UPDATEs with the event
    postgres = db.engine.dialect.name == "postgresql"
    assert len(statements) <= (6 if postgres else 9), "\n".join(statements)
    if postgres:
        assert [s for s in statements if s.startswith("WITH") and "UPDATE document_request" in s
                and "UPDATE report_service_fact" in s and "INSERT INTO audit_event" in s], "\n".join(statements)
    reads = [s for s in statements if s.startswith("SELECT") and "FROM document_request" in s]
    assert len(reads) == 1, "\n".join(statements)  # the locking read, which also brings the report's fact along
    # on PostgreSQL the work items' DELETE runs as a CTE of their INSERT (one statement)
    writes = " ".join(s for s in statements if not s.startswith("SELECT"))
    for write in ("UPDATE document_request", "DELETE FROM work_item", "INSERT INTO work_item",
                  "report_service_fact", "INSERT INTO audit_event"):
        assert write in writes, (write, statements)
    # the accept step is a to-do shared at the counter: nobody was told, so no notice is looked for
    assert not [s for s in statements if "FROM notification" in s]
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "processing"
    assert db.session.get(ServiceFact, doc.id).state == "processing"


def test_the_panel_answering_a_step_on_a_letter_asks_nothing_more_of_the_letter_tables(app, client, login_as, db,
                                                                                      make_request):
    """A letter the Camat signs: the request was never signed, so it has no letters to list, and the number
    from an outside register comes along with the locking read."""
    doc = make_request("verifying", type_code="sktm")
    url, version = f"/documents/{doc.id}/actions/accept", doc.version
    login_as("kasi")
    response = []
    statements = _statements(app, lambda: response.append(client.post(
        url, data={"version": str(version)}, headers={"HX-Request": "true"})))
    assert response[0].status_code == 200 and 'data-testid="letter-draft"' in response[0].text
    assert not [s for s in statements if "FROM letter" in s], "\n".join(statements)
    assert len(statements) <= (6 if db.engine.dialect.name == "postgresql" else 9), "\n".join(statements)


def test_a_told_todo_is_closed_when_the_step_is_taken(db, users, make_request):
    """The Camat is told of each letter to sign; signing it closes his notice (the lookup runs because the
    replaced work item told someone)."""
    doc = make_request("processing", type_code="sktm")
    fire(doc, "to_signature", users["kasi"], expected_version=doc.version)
    notice = db.session.scalars(select(Notification).where(
        Notification.user_id == users["camat"].id, Notification.subject_id == doc.id,
        Notification.todo_step == "sign")).one()
    assert notice.done_at is None
    doc = db.session.get(DocumentRequest, doc.id)
    fire(doc, "sign", users["camat"], expected_version=doc.version, password=PASSWORD)
    db.session.expire_all()
    assert db.session.get(Notification, notice.id).done_at is not None


def test_a_row_locked_in_an_earlier_transaction_is_locked_again(app, db, users, make_request):
    doc = make_request("verifying")
    row = lock_for_step(DocumentRequest, doc.id)
    seen = row.version
    assert locked_here(row)
    db.session.commit()
    assert not locked_here(row)  # the lock ended with its transaction: fire() reads and locks it again
    db.session.execute(DocumentRequest.__table__.update().where(DocumentRequest.id == doc.id)
                       .values(version=DocumentRequest.version + 5, updated_at=utcnow()))
    db.session.commit()
    reads = _statements(app, lambda: fire(row, "accept", users["kasi"], expected_version=seen + 5))
    # the locking read ran again (it brings the fact along), and saw the version changed meanwhile
    assert [s for s in reads if s.startswith("SELECT") and "JOIN report_service_fact" in s]
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "processing"


def test_a_step_on_a_request_that_does_not_exist_is_a_404(client, login_as, db, users):
    login_as("kasi")
    response = client.post("/documents/999999/actions/accept", data={"version": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 404


# --- a step's own rows are written without the ORM's flush (database.flush_and_insert) -------------------

def _audit_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_step_leaves_its_rows_clean_and_as_the_database_holds_them(db, users, make_request):
    doc = make_request("verifying")
    before = doc.updated_at
    doc = fire(doc, "accept", users["kasi"], expected_version=doc.version)
    assert not db.session.dirty
    assert doc.state == "processing" and doc.updated_at > before  # the onupdate default was written too
    row = db.session.execute(select(DocumentRequest.__table__).where(DocumentRequest.id == doc.id)).one()
    assert (row.state, row.version, row.updated_at) == (doc.state, doc.version, doc.updated_at)
    assert db.session.execute(select(ServiceFact.__table__.c.state).where(
        ServiceFact.request_id == doc.id)).scalar() == "processing"


def test_an_update_that_finds_its_row_gone_fails_the_write_and_the_event(db, users, make_request):
    """As a flush would: a changed row that is no longer there is an error, and the event goes with it."""
    doc_id = make_request("verifying").id
    events = _audit_count(db)
    fact = db.session.get(ServiceFact, doc_id)
    state = fact.state
    db.session.execute(delete(ServiceFact.__table__).where(ServiceFact.request_id == doc_id))
    fact.state = "processing"  # the session still holds the row it loaded
    with pytest.raises(StaleDataError):  # (nothing loaded on the way, so no autoflush writes the change)
        audit.record("test.gone", actor_name="penguji", subject_type="document", subject_id=doc_id)
    db.session.commit()  # a caller that commits anyway commits nothing of it: it was rolled back
    assert _audit_count(db) == events
    assert db.session.get(ServiceFact, doc_id).state == state  # the DELETE was rolled back too


def test_a_rolled_back_write_leaves_the_rows_as_the_database_has_them(db, users, make_request):
    doc = make_request("verifying")
    doc.note = "diubah lalu dibatalkan"
    audit.record("test.changed", actor=users["kasi"], subject=doc)
    assert not db.session.dirty
    db.session.rollback()
    assert doc.note != "diubah lalu dibatalkan"  # expired by the rollback and read again


def test_a_pending_new_row_or_relationship_is_written_by_the_orm(db, users, make_request, doc_types):
    doc = make_request("verifying")
    doc.note = "dengan pemberitahuan"
    db.session.add(Notification(user_id=users["camat"].id, subject="Uji penulisan", url="/"))
    doc.type = doc_types["sktm"]  # a relationship: its key column is set by the flush
    audit.record("test.mixed", actor=users["kasi"], subject=doc)
    db.session.commit()
    db.session.expire_all()
    doc = db.session.get(DocumentRequest, doc.id)
    assert (doc.note, doc.type_id) == ("dengan pemberitahuan", doc_types["sktm"].id)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.subject == "Uji penulisan")) == 1


def test_a_value_named_like_another_table_s_column_is_not_written_there(db, users, make_request):
    """The audit event has a request_id (the HTTP request's), the report fact's key is request_id too."""
    doc = make_request("verifying")
    fact = db.session.get(ServiceFact, doc.id)
    fact.state = "processing"
    audit.record("test.names", actor=users["kasi"], subject=doc)
    db.session.commit()
    assert db.session.execute(select(ServiceFact.__table__.c.request_id, ServiceFact.__table__.c.state).where(
        ServiceFact.request_id == doc.id)).one() == (doc.id, "processing")

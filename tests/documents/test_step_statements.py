"""What one step sends to the database: the row read once with its lock, nothing read that cannot matter,
and every guarantee's writes still there (the work items, the report's fact, the audit event)."""
from sqlalchemy import event, select

from plaju.database import locked_here, utcnow
from plaju.documents.models import DocumentRequest
from plaju.extensions import db as _db
from plaju.notify.models import Notification
from plaju.reports.models import ServiceFact
from plaju.workflow import fire
from plaju.workflow.engine import lock_for_step
from tests.support import PASSWORD

NOT_COUNTED = ("BEGIN", "PRAGMA", "SET ", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _statements(app, fn) -> list[str]:
    seen = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            seen.append(" ".join(statement.split()))

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return seen


def test_an_approval_reads_its_request_once_and_takes_at_most_ten_statements(app, client, login_as, db, users,
                                                                                  make_request):
    doc = make_request("verifying")
    url, version = f"/documents/{doc.id}/actions/accept", doc.version
    login_as("kasi")
    response = []
    statements = _statements(app, lambda: response.append(client.post(
        url, data={"version": str(version)}, headers={"HX-Request": "true"})))
    assert response[0].status_code == 200, response[0].text[:300]
    # 9 on SQLite; PostgreSQL adds the audit lock and writes the work items in one statement
    assert len(statements) <= 9, "\n".join(statements)
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
    assert len(statements) <= 9, "\n".join(statements)


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

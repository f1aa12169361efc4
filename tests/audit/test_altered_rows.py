"""An event edited in the database (its JP changed from 24 to 12) breaks the chain, and "Periksa keutuhan
rantai" says so; the list, an object's timeline, a record's own history and the exports say it too, on the
altered row, without a statement more for it."""
import csv
import io
import re

import openpyxl
from sqlalchemy import select

from plaju.audit import record as audit
from plaju.audit import seal, sentences
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.i18n import gettext
from tests.audit.conftest import insert_rows, row, tamper, unkeyed_chain
from tests.support import statements_during

ALTERED = 'data-testid="altered"'


def _row_of(body: str, seq: int) -> str:
    match = re.search(rf'<tr[^>]*data-seq="{seq}">.*?</tr>', body, re.S)
    assert match, f"row {seq} not shown"
    return match.group(0)


def _plan_events(db, users):
    """Three edits of a plan item; the second recorded 24 JP."""
    seqs = []
    for before, after in ((8, 16), (16, 24), (24, 30)):
        seqs.append(audit.record("training_plan.item_edit", actor=users["hr"], subject_type="training_plan",
                                 subject_id="1", changes={"planned_jp": [before, after]}).seq)
    db.session.commit()
    return seqs


def test_a_row_changed_in_the_database_is_marked_on_the_list_and_the_timeline(db, client, users, login_as):
    first, edited, last = _plan_events(db, users)
    login_as("hr")
    assert ALTERED not in client.get("/audit/").text
    tamper(db, "UPDATE audit_event SET changes = :changes WHERE seq = :seq",
           changes='{"planned_jp":[16,12]}', seq=edited)
    assert verify_chain().broken_seq == edited  # what the button says
    for url in ("/audit/", "/audit/timeline/training_plan/1", "/audit/?person=hr"):
        body = client.get(url, follow_redirects=True).text
        assert ALTERED in _row_of(body, edited), url
        assert ALTERED not in _row_of(body, first) and ALTERED not in _row_of(body, last), url
        assert body.count(ALTERED) == 1
    # an HTMX page of results marks it as well
    fragment = client.get("/audit/?person=hr", headers={"HX-Request": "true"}).text
    assert ALTERED in _row_of(fragment, edited)


def test_a_record_s_own_history_marks_the_altered_event(db, client, users, login_as, take_in):
    req = take_in("Rina Marlina")
    received = db.session.scalars(select(AuditEvent.seq).where(
        AuditEvent.subject_type == "document", AuditEvent.subject_id == str(req.id))).first()
    login_as("clerk")
    assert ALTERED not in client.get(f"/documents/{req.id}").text
    tamper(db, "UPDATE audit_event SET actor_name = 'Orang Lain' WHERE seq = :seq", seq=received)
    page = client.get(f"/documents/{req.id}").text
    history = page[page.index('data-testid="timeline"'):]
    assert history.count(ALTERED) == 1


def test_the_exports_carry_whether_each_row_matches_the_chain(app, db, client, users, login_as):
    first, edited, last = _plan_events(db, users)
    tamper(db, "UPDATE audit_event SET changes = :changes WHERE seq = :seq",
           changes='{"planned_jp":[16,12]}', seq=edited)
    login_as("hr")
    with app.test_request_context():
        header, yes, no = (gettext("Matches the chain"), gettext("yes"),
                           gettext("no: changed outside the application"))
    data = client.post("/audit/export", data={"subject": "training_plan:1", "fmt": "csv"}).get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    column = rows[0].index(header)
    assert {int(r[0]): r[column] for r in rows[1:]} == {first: yes, edited: no, last: yes}
    book = openpyxl.load_workbook(io.BytesIO(client.post("/audit/export", data={
        "subject": "training_plan:1", "fmt": "xlsx"}).get_data()))
    values = list(book.active.iter_rows(values_only=True))
    column = values[0].index(header)
    assert {r[0]: r[column] for r in values[1:]} == {first: yes, edited: no, last: yes}


def test_checking_the_rows_costs_no_statement_on_a_chain_keyed_from_its_start(app, db, users):
    for n in range(50):
        audit.record("test.note", actor=users["hr"], comment=f"catatan {n}")
    db.session.commit()
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 7")
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())))
    with app.test_request_context():
        assert statements_during(lambda: seal.altered(events)) == []
        assert seal.altered(events) == {7}
        lines = sentences.render(events)
    assert [line.event.seq for line in lines if line.altered] == [7]


def test_an_old_unkeyed_part_reads_as_sealed_and_a_plain_forgery_after_keying_does_not(app, db, users):
    old = unkeyed_chain(db, 3)
    audit.record("test.after_keying", actor=users["hr"])  # keys the chain first: audit.keyed is #4
    db.session.commit()
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    insert_rows(db, [row(head.seq + 1, head.hash)])  # chained by whoever has the database, not the key
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    db.session.expire_all()
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    with app.test_request_context():
        # one statement (where the key's rule begins), only because the page shows rows of the old rule
        assert len([s for s in statements_during(lambda: seal.altered(events)) if "SELECT" in s]) == 1
        assert seal.altered(events) == {2, head.seq + 1}
        assert seal.altered(events[:1] + events[2:len(old)]) == set()

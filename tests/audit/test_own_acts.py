""""What did X do?": the person search of /audit/ narrowed to the events X took ("hanya tindakannya"), as
themselves or as Plh/Plt, not every event naming X (done for X by a stand-in, about X's account). Read
along ix_audit_event_actor_seq; its pages and its exports (at once and in the background) follow it."""
import re

from sqlalchemy import select, text

from plaju.audit import own_acts
from plaju.audit import record as audit
from plaju.audit.models import AuditEvent, AuditExport
from plaju.database import is_postgres
from tests.audit.test_export import (  # noqa: F401
    csv_rows,
    export_folder,
    page_rows,
    stream_limit,
    wait_for_export,
    xlsx_rows,
)

ACTS = 'data-testid="person-acts"'


def _world(db, users):
    """The Kasi: 30 acts of his own and 30 as Plh Camat; 5 done for him by the Sekcam as his Plh, 5 changes
    of his account by the administrator."""
    own = []
    for n in range(30):
        own.append(audit.record("test.own", actor=users["kasi"], comment=f"sendiri {n}").seq)
        own.append(audit.record("test.as_plh", actor=users["kasi"], acting_for=users["camat"], comment=f"plh {n}").seq)
    for n in range(5):
        audit.record("test.for_him", actor=users["sekcam"], acting_for=users["kasi"], comment=f"untuknya {n}")
        audit.record("user.update", actor=users["admin"], subject=users["kasi"],
                     changes={"position": [f"Kasi {n}", f"Kasi {n + 1}"]})
    db.session.commit()
    return sorted(own, reverse=True)


def test_only_their_own_actions_pages_through_what_they_did(db, client, users, login_as):
    own = _world(db, users)
    login_as("hr")
    form = client.get("/audit/").text
    assert ACTS in form and 'name="acts"' in form and "checked" not in form[form.index(ACTS) - 120:form.index(ACTS)]
    everything = [seq for seq, _ in page_rows(client, {"person": "kasi"})]
    assert len(everything) == 70
    acts = page_rows(client, {"person": "kasi", "acts": "1"})
    assert [seq for seq, _ in acts] == own  # every page, through the "older" link, newest first
    first = client.get("/audit/", query_string={"person": "kasi", "acts": "1"}).text
    assert re.search(r'href="[^"]*acts=1[^"]*" data-testid="older"', first)
    assert re.search(r'id="f-acts" name="acts" value="1" checked', first)
    assert '<input type="hidden" name="acts" value="1">' in first  # the export's form carries it
    # the same search without the choice is another statement (kept per search), not this one again
    assert [seq for seq, _ in page_rows(client, {"person": "kasi"})] == everything


def test_the_choice_means_nothing_without_a_person(db, client, users, login_as):
    _world(db, users)
    login_as("hr")
    plain = client.get("/audit/").text
    chosen = client.get("/audit/", query_string={"acts": "1"}).text
    assert re.findall(r'data-seq="(\d+)"', plain) == re.findall(r'data-seq="(\d+)"', chosen)


def test_the_search_reads_the_actor_index_alone(app, db, users):
    _world(db, users)
    with app.test_request_context():
        search = own_acts.parse({"person": "kasi", "acts": "1"})
        assert search.ok and search.filters["acts"] == "1"
        sql = str(search.statement(limit=51).compile(db.engine, compile_kwargs={"literal_binds": True}))
    where = sql[sql.index("WHERE"):]  # what it seeks, not the columns it reads
    assert "actor_id IN" in where and "acting_for_id" not in where and "subject_type" not in where
    if not is_postgres():
        plan = " ".join(str(r[-1]) for r in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_audit_event_actor_seq" in plan, plan


def test_exports_follow_the_choice_at_once_and_in_the_background(db, client, users, login_as, stream_limit,  # noqa: F811
                                                                  export_folder):  # noqa: F811
    own = _world(db, users)
    login_as("hr")
    at_once = client.post("/audit/export", data={"person": "kasi", "acts": "1", "fmt": "csv"})
    assert [seq for seq, _ in csv_rows(at_once.get_data())] == own
    export = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert "Kasi Uji" in export.comment
    stream_limit(10)
    started = client.post("/audit/export", data={"person": "kasi", "acts": "1", "fmt": "xlsx"})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    status, body = wait_for_export(client, job_url)
    assert status == "done"
    job = db.session.get(AuditExport, job_url.rsplit("/", 1)[1], populate_existing=True)
    assert '"acts": "1"' in job.filters
    data = client.get(re.search(r'href="([^"]+)" data-testid="download"', body).group(1)).get_data()
    assert [seq for seq, _ in xlsx_rows(data)] == own


def test_what_one_person_did_reads_how_their_record_arrived_where_another_moved_it(db, client, users, login_as):
    """The ASN's second report read "Disahkan, siap diikuti → Selesai" in what he did alone: the Sekcam's return,
    which the search leaves out, had made it "Dikembalikan: laporkan lagi"."""
    from tests.training.test_hr_own_training import _report
    login_as("hr")
    enrolment = _report(client)
    login_as("sekcam")
    client.post(f"/training/enrolments/{enrolment.id}/act/return_evidence",
                data={"version": enrolment.version, "comment": "JP tercetak 6, bukan 8."})
    db.session.expire_all()
    returned = db.session.get(type(enrolment), enrolment.id)
    login_as("hr")
    client.post(f"/training/enrolments/{enrolment.id}/act/complete", data={
        "version": returned.version, "certificate_number": returned.certificate_number,
        "certificate_date": returned.certificate_date.isoformat(), "certificate_issuer": returned.certificate_issuer,
        "certificate_jp": "6"}, content_type="multipart/form-data")
    acts = client.get("/audit/", query_string={"person": "hr", "acts": "1", "action": "enrolment.complete"}).text
    assert "Dikembalikan: laporkan lagi" in acts and "Disahkan, siap diikuti" not in acts

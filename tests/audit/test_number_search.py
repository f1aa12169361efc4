"""/audit/'s number box finds a Plh/Plt's surat perintah and a certificate an ASN reported by its number, in
any spelling, as it finds a letter: HR preparing for an inspection was told "no record has that number" for
numbers the log held."""
from datetime import timedelta

from sqlalchemy import event, select

from plaju.accounts import delegations
from plaju.audit import search as searching
from plaju.audit.models import AuditEvent
from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.models import Course, Enrolment
from tests.audit.conftest import seqs
from tests.support import make_user
from tests.training.conftest import pdf_upload

TODAY = today_wib()


def _found(db, client, number: str) -> list[AuditEvent]:
    body = client.get("/audit/", query_string={"code": number}).get_data(as_text=True)
    assert 'data-testid="search-errors"' not in body, number
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs(body))).order_by(AuditEvent.seq)))


def _nothing(client, number: str) -> bool:
    body = client.get("/audit/", query_string={"code": number}).get_data(as_text=True)
    return 'data-testid="search-errors"' in body and not seqs(body)


def _statements(db, number: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        searching.parse({"code": number})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _course(db) -> Course:
    course = Course(title="Pelatihan Pelayanan Prima", kind="teknis", method="pelatihan", jp=12,
                    provider="BPSDM Sumsel", quota=5)
    db.session.add(course)
    db.session.commit()
    return course


def _appoint(users, principal, delegate, number, days=2, start=0):
    return delegations.add_delegation(users["admin"], users[principal], users[delegate], "plh",
                                      TODAY + timedelta(days=start), TODAY + timedelta(days=start + days),
                                      order_number=number, order_date=TODAY)


def test_a_plh_is_found_by_its_surat_perintah_number_in_any_spelling(db, client, users, login_as):
    appointed = _appoint(users, "camat", "sekcam", "800/123/PLJ/2026")
    delegations.revoke_delegation(users["admin"], db.session.get(type(appointed), appointed.id))
    # numbers that share its parts but are others: never found for it
    _appoint(users, "kasi", "kasi2", "800/1234/PLJ/2026")
    _appoint(users, "camat", "sekcam", "800/123/PLJ/2025", days=1, start=5)
    login_as("hr")
    for spelling in ("800/123/PLJ/2026", "800/0123/plj/2026", " 800-123-PLJ-2026 ", "800 / 0123 / Plj / 2026/"):
        found = _found(db, client, spelling)
        assert [(e.action, e.subject_id) for e in found] == [("delegation.create", str(appointed.id)),
                                                           ("delegation.revoke", str(appointed.id))], spelling
    assert _nothing(client, "800/12/PLJ/2026")


def test_a_reported_certificate_is_found_by_its_number_in_any_spelling(db, client, users, login_as):
    ends = TODAY - timedelta(days=4)
    login_as("asn")
    form = {"title": "Pelatihan Kepegawaian BPSDM", "kind": "teknis", "method": "pelatihan",
            "starts_on": (ends - timedelta(days=2)).isoformat(), "ends_on": ends.isoformat(),
            "certificate_number": "800/BPSDM/2026/001", "certificate_date": ends.isoformat(),
            "certificate_issuer": "BPSDM Sumsel", "certificate_jp": "12", "evidence": pdf_upload(),
            "form_token": new_token()}
    assert client.post("/training/external", data=form, content_type="multipart/form-data").status_code == 303
    enrolment = db.session.scalar(select(Enrolment))
    login_as("hr")
    for spelling in ("800/BPSDM/2026/001", "No. 800-bpsdm-2026-1", "800.BPSDM.2026.0001", "800 BPSDM 2026 1"):
        found = _found(db, client, spelling)
        assert [(e.action, e.subject_type, e.subject_id) for e in found] == [
            ("enrolment.report_external", "enrolment", str(enrolment.id))], spelling
    assert _nothing(client, "800/BPSDM/2026/002")
    # said as what it is: a certificate's number, not a letter's (nor, dashed, a tracking code)
    for spelling in ("800/BPSDM/2026/001", "800-BPSDM-2026-001"):
        assert "nomor sertifikat" in client.get("/audit/", query_string={"code": spelling}).text


def test_the_key_follows_the_number_it_is_kept_for(db, users):
    """A corrected or cleared number takes its key along: a report sent back and sent again with the number
    typed right is found by the new number, not the old."""
    course = _course(db)
    enrolment = Enrolment(course_id=course.id, user_id=users["asn"].id, certificate_number="No. 800/BPSDM/2026/07")
    db.session.add(enrolment)
    db.session.commit()
    assert enrolment.certificate_number_key == "800/bpsdm/2026/7"
    assert searching.vocabulary.find_subjects("code", "800/BPSDM/2026/007") == [("enrolment", str(enrolment.id))]
    enrolment.certificate_number = "800/BPSDM/2026/008"
    db.session.commit()
    assert searching.vocabulary.find_subjects("code", "800/BPSDM/2026/007") == []
    enrolment.certificate_number = None
    db.session.commit()
    assert enrolment.certificate_number_key == ""


def test_a_number_search_costs_the_same_statements_however_many_rows_hold_its_parts(db, users):
    """Each finder is one statement, whether the number matches one row or many rows share its parts."""
    course = _course(db)
    db.session.add(Enrolment(course_id=course.id, user_id=users["asn"].id, certificate_number="800/05/sp/2026"))
    db.session.commit()
    first = _appoint(users, "camat", "sekcam", "800/005/SP/2026")
    _statements(db, "800/5/SP/2026")  # the connection's own first statements out of the way
    before = _statements(db, "800/5/SP/2026")
    for n in range(12):
        person = make_user(f"asn_n{n}", supervisor=users["kasi"])
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, certificate_number="800/5/SP/2026"))
        db.session.add(Enrolment(course_id=course.id, user_id=person.id, certificate_number=f"800/5/SP/2026/{n}"))
    db.session.commit()
    for n in range(6):
        _appoint(users, "kasi", "kasi2", f"800/5/SP/2026/{n}", days=1, start=3 * n)
    found = searching.vocabulary.find_subjects("code", "800/5/SP/2026")
    assert [kind for kind, _i in found].count("enrolment") == 13 and ("delegation", str(first.id)) in found
    assert _statements(db, "800/5/SP/2026") == before

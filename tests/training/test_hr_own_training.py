"""HR's own training: the office's one HR reported an outside training and it waited for "Kepegawaian", whom
four eyes keeps out of their own report, forever. With no other HR account active, the Sekcam verifies it,
failing that the Camat; the reporter never does."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.models import Enrolment
from plaju.training.services import tally as tally_service
from plaju.workflow import NotAllowed, fire
from plaju.workflow.models import WorkItem
from tests.support import make_user
from tests.training.conftest import pdf_upload

TODAY = today_wib()


def _items(db, enrolment) -> set:
    return {(w.trigger, w.role, w.user_id, w.excluded_user_id) for w in db.session.scalars(
        select(WorkItem).where(WorkItem.spec == "enrolment", WorkItem.entity_id == enrolment.id))}


def _report(client, title="Pelatihan Kearsipan Digital") -> Enrolment:
    """The signed-in person reports a training outside the catalogue that ended four days ago."""
    ends = TODAY - timedelta(days=4)
    body = {"title": title, "kind": "teknis", "method": "pelatihan",
            "starts_on": (ends - timedelta(days=1)).isoformat(), "ends_on": ends.isoformat(),
            "certificate_number": "SERT/LAN/2026/0001", "certificate_date": ends.isoformat(),
            "certificate_issuer": "LAN RI", "certificate_jp": "8", "form_token": new_token(),
            "evidence": pdf_upload()}
    response = client.post("/training/external", data=body, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    return Enrolment.query.filter(Enrolment.course.has(title=title)).one()


def _waiting(page: str) -> str:
    return page.split('data-testid="waiting-for"')[1].split("</p>")[0]


def test_the_only_hrs_own_report_waits_for_the_sekcam_who_verifies_it(client, login_as, db, users):
    login_as("hr")
    enrolment = _report(client)
    # told who verifies it (it said "Kepegawaian akan memverifikasi", to HR about HR's own report)
    told = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "Pelatihan telah dilaporkan. Sekretaris Camat" in told and "Kepegawaian akan" not in told
    assert _items(db, enrolment) == {(t, "sekcam", None, users["hr"].id) for t in ("verify", "return_evidence")}
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "</strong> Sekretaris Camat (" in _waiting(page) and " atau " not in _waiting(page)  # the Sekcam alone
    assert "/act/verify" not in page  # four eyes: never their own
    with pytest.raises(NotAllowed):
        fire(enrolment, "verify", users["hr"], expected_version=enrolment.version)
    login_as("sekcam")
    assert "Pelatihan Kearsipan Digital" in client.get("/inbox/").text
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "/act/verify" in page and 'data-testid="evidence-preview"' in page
    client.get(f"/training/enrolments/{enrolment.id}/evidence/page.png")  # the preview the page shows
    assert client.post(f"/training/enrolments/{enrolment.id}/act/verify",
                       data={"version": enrolment.version}).status_code == 303
    db.session.expire_all()
    verified = db.session.get(Enrolment, enrolment.id)
    assert verified.state == "verified" and verified.verified_by_id == users["sekcam"].id
    assert tally_service.tally(users["hr"], verified.credited_year) == 8


def test_the_sekcam_returns_hrs_evidence_and_hr_reports_it_again(client, login_as, db, users):
    login_as("hr")
    enrolment = _report(client)
    login_as("sekcam")
    returned = client.post(f"/training/enrolments/{enrolment.id}/act/return_evidence",
                           data={"version": enrolment.version, "comment": "Pindaian terpotong."})
    assert returned.status_code == 303
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"


def test_a_returned_report_is_sent_again_with_its_jp_put_right_and_without_finding_the_file_again(
        client, login_as, db, users):
    """HR returned a report for a wrong JP figure: the form asked for the PDF again, on a phone."""
    login_as("hr")
    enrolment = _report(client)
    sha = enrolment.evidence_sha256
    login_as("sekcam")
    client.post(f"/training/enrolments/{enrolment.id}/act/return_evidence",
                data={"version": enrolment.version, "comment": "JP tercetak 6, bukan 8."})
    login_as("hr")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    kept = page.split('data-testid="evidence-kept"')[1].split("</div>")[0]
    assert "(sttpp.pdf) dikirim lagi" in kept
    form = page.split('name="evidence"')[1].split(">")[0]
    assert "required" not in form
    assert 'max="500"' in page.split('name="certificate_jp"')[0].rsplit("<input", 1)[1]  # the server's bound
    db.session.expire_all()
    returned = db.session.get(Enrolment, enrolment.id)
    sent = client.post(f"/training/enrolments/{enrolment.id}/act/complete", data={
        "version": returned.version, "certificate_number": returned.certificate_number,
        "certificate_date": returned.certificate_date.isoformat(), "certificate_issuer": returned.certificate_issuer,
        "certificate_jp": "6"}, content_type="multipart/form-data")
    assert sent.status_code == 303, sent.text[-2000:]
    db.session.expire_all()
    again = db.session.get(Enrolment, enrolment.id)
    assert again.state == "completed" and again.certificate_jp == 6 and again.evidence_sha256 == sha


def test_without_a_sekcam_the_camat_verifies_and_a_catalogue_course_goes_the_same_way(db, users, make_course,
                                                                                       enrol):
    users["sekcam"].active = False
    db.session.commit()
    enrolment = enrol(make_course(title="Pelatihan Kepemimpinan"), users["hr"], "completed")
    assert _items(db, enrolment) == {(t, "camat", None, users["hr"].id) for t in ("verify", "return_evidence")}
    with pytest.raises(NotAllowed):
        fire(enrolment, "verify", users["sekcam"], expected_version=enrolment.version)
    assert fire(enrolment, "verify", users["camat"], expected_version=enrolment.version).state == "verified"


def test_the_page_says_the_camat_waits_when_there_is_no_sekcam(client, login_as, db, users):
    users["sekcam"].active = False
    db.session.commit()
    login_as("hr")
    enrolment = _report(client)
    assert "</strong> Camat (" in _waiting(client.get(f"/training/enrolments/{enrolment.id}").text)
    login_as("camat")
    assert "Pelatihan Kearsipan Digital" in client.get("/inbox/").text


def test_with_another_hr_hr_verifies_as_before_and_not_the_sekcam(db, users, make_course, enrol):
    other = make_user("hr2", "hr")
    enrolment = enrol(make_course(), users["hr"], "completed")
    assert _items(db, enrolment) == {(t, "hr", None, users["hr"].id) for t in ("verify", "return_evidence")}
    with pytest.raises(NotAllowed):
        fire(enrolment, "verify", users["sekcam"], expected_version=enrolment.version)
    assert fire(enrolment, "verify", other, expected_version=enrolment.version).state == "verified"
    # an ASN's report waits for HR whatever HR's number
    asn = enrol(make_course(title="Lain"), users["asn"], "completed")
    assert _items(db, asn) == {(t, "hr", None, users["asn"].id) for t in ("verify", "return_evidence")}


def test_hr_appointed_later_takes_over_what_waited_for_the_sekcam_and_gives_it_back_on_leaving(
        client, login_as, db, users):
    """The report stayed with the Sekcam after a second HR was appointed, until someone ran a command."""
    from tests.accounts.test_people import _edit_form
    login_as("hr")
    enrolment = _report(client)
    assert {w[1] for w in _items(db, enrolment)} == {"sekcam"}
    login_as("admin")
    asn2 = make_user("asn2")
    assert client.post(f"/people/{asn2.id}/edit", data=_edit_form(asn2, roles=["hr"])).status_code == 302
    assert {w[1] for w in _items(db, enrolment)} == {"hr"}  # the new HR verifies it now
    assert client.post(f"/people/{asn2.id}/edit", data=_edit_form(asn2, roles=[])).status_code == 302
    assert {w[1] for w in _items(db, enrolment)} == {"sekcam"}  # and it goes back when the role is taken away

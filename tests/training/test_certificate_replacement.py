"""A replacement certificate is signed by whom the certificate step lets sign, in their own right: the Camat
revoked a certificate the course's named signer had signed and signed its replacement himself, after
attesting the attendance that credits its JP."""
import re

from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.letters.models import Letter
from plaju.workflow import fire
from tests.support import PASSWORD
from tests.training.test_certificates import _finish_elearning, _fresh


def test_only_the_course_s_signer_replaces_its_certificate(client, login_as, db, users, make_elearning, enrol):
    course = make_elearning(internal=True, certificate_signer_id=users["sekcam"].id)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    fire(enrolment, "sign_certificate", users["sekcam"], expected_version=enrolment.version, password=PASSWORD)
    old = db.session.scalars(select(Letter)).one()
    login_as("camat")
    assert f'action="/letters/{old.id}/revoke"' not in client.get(f"/training/enrolments/{enrolment.id}").text
    refused = client.post(f"/letters/{old.id}/revoke", data={"password": PASSWORD, "reason": "Nama salah",
                                                              "replace": "1"})
    assert refused.status_code == 403
    db.session.expire_all()
    assert [letter.status for letter in db.session.scalars(select(Letter))] == ["valid"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "letter.reissue", AuditEvent.outcome == "refused")) == 1
    login_as("sekcam")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert f'action="/letters/{old.id}/revoke"' in page
    assert client.post(f"/letters/{old.id}/revoke", data={"password": PASSWORD, "reason": "Nama salah",
                                                           "replace": "1"}).status_code == 303
    db.session.expire_all()
    new = db.session.scalars(select(Letter).where(Letter.status == "valid")).one()
    assert new.id != old.id and new.signer_name == users["sekcam"].full_name
    assert _fresh(db, enrolment).certificate_number == new.number


def test_when_the_named_signer_has_left_the_camat_signs_and_replaces(client, login_as, db, users, make_elearning,
                                                                    enrol):
    """The course's signer left: nobody could sign its waiting certificates or replace a wrong one."""
    course = make_elearning(internal=True, certificate_signer_id=users["sekcam"].id)
    signed = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    fire(signed, "sign_certificate", users["sekcam"], expected_version=signed.version, password=PASSWORD)
    waiting = _finish_elearning(db, enrol(course, users["clerk"], "in_progress"), users["clerk"])
    users["sekcam"].active = False
    db.session.commit()
    fire(_fresh(db, waiting), "sign_certificate", users["camat"], expected_version=waiting.version, password=PASSWORD)
    old = db.session.scalars(select(Letter).where(Letter.subject_id == signed.id)).one()
    login_as("camat")
    assert client.post(f"/letters/{old.id}/revoke", data={"password": PASSWORD, "reason": "Nama salah",
                                                           "replace": "1"}).status_code == 303
    db.session.expire_all()
    new = db.session.scalars(select(Letter).where(Letter.subject_id == signed.id, Letter.status == "valid")).one()
    assert new.signer_name == users["camat"].full_name


def test_an_enrolment_s_history_holds_who_opened_its_certificate_draft(client, login_as, db, users,
                                                                        make_elearning, enrol):
    enrolment = _finish_elearning(db, enrol(make_elearning(internal=True), users["asn"], "in_progress"), users["asn"])
    login_as("camat")
    assert client.get(f"/letters/draft/training_certificate/{enrolment.id}.pdf").status_code == 200
    opened = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.draft_view")).one()
    assert opened.subject_type == "enrolment"  # read as the enrolment it is, not "training_certificate #N"
    login_as("hr")
    page = client.get(f"/audit/timeline/enrolment/{enrolment.id}", follow_redirects=True).text
    assert str(opened.seq) in re.findall(r'data-seq="(\d+)"', page)

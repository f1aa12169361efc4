"""Rules found in review: empty e-learning, default pass mark, no supervisor, huge query numbers,
local redirects only, enrolling again after "not completed", a nomination is the approval."""
import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.training.models import DEFAULT_PASS_MARK, Enrolment, ModuleProgress
from plaju.training.services import catalogue as catalogue_service
from plaju.training.services import elearning as elearning_service
from plaju.training.services import enrolment as enrolment_service
from plaju.workflow import Invalid, available, fire
from tests.training.conftest import study

HUGE = "99999999999999999999999"


def _enrolment_in(db, course, user, state):
    enrolment = Enrolment(course_id=course.id, user_id=user.id, state=state)
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def test_an_elearning_course_without_modules_can_be_neither_joined_nor_finished(db, users, make_elearning):
    course = make_elearning(modules=0, quiz=False)
    refusal = enrolment_service.enrol_refusal(course, users["asn"], users["asn"])
    assert refusal and "modul" in refusal
    with pytest.raises(Invalid):
        enrolment_service.request_enrolment(course, users["asn"], users["asn"])
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
    enrolment = _enrolment_in(db, course, users["asn"], "in_progress")
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "complete_elearning", users["asn"], expected_version=enrolment.version)
    assert "modul" in refused.value.message
    assert elearning_service.complete_if_finished(enrolment, users["asn"]).state == "in_progress"


def test_the_automatic_completion_cannot_be_posted(client, login_as, db, users, make_elearning):
    course = make_elearning(modules=1, quiz=False)
    enrolment = _enrolment_in(db, course, users["asn"], "in_progress")
    db.session.add(ModuleProgress(enrolment_id=enrolment.id, module_id=course.modules[0].id))
    db.session.commit()
    login_as("asn")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete_elearning",
                           data={"version": enrolment.version})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"


def test_a_quiz_without_a_pass_mark_uses_the_default(client, login_as, db, users, make_elearning):
    course = make_elearning(modules=1, quiz_before_modules=True)
    course.pass_mark = None
    db.session.commit()
    enrolment = _enrolment_in(db, course, users["asn"], "in_progress")
    score, passed = elearning_service.submit_quiz(enrolment, users["asn"], {  # every answer wrong
        f"q{q.id}": str((q.answer + 1) % len(q.choice_list)) for q in course.questions})
    assert (score, passed) == (0, False)
    study(enrolment, users["asn"])
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    assert enrolment.state == "in_progress"
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "complete_elearning", users["asn"], expected_version=enrolment.version)
    assert f"{DEFAULT_PASS_MARK}%" in refused.value.message
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}/quiz")
    assert page.status_code == 200 and f"{DEFAULT_PASS_MARK}%" in page.text


def test_nobody_without_a_direct_supervisor_can_ask_for_training(client, login_as, db, users, make_course):
    course = make_course()
    admin = users["admin"]  # nobody recorded as the admin's supervisor
    refusal = enrolment_service.enrol_refusal(course, admin, admin)
    assert refusal and admin.full_name in refusal and "Kepegawaian" in refusal
    login_as("admin")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": admin.id}, headers={
        "HX-Request": "true"})
    assert response.status_code == 422 and admin.full_name in response.text
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


@pytest.mark.parametrize("url", [
    f"/training/courses/?page={HUGE}",
    f"/training/me?team_page={HUGE}",
    f"/training/approvals?after={HUGE}",
    "/training/approvals?after=-1",
])
def test_numbers_too_large_for_the_database_are_ignored(client, login_as, make_course, url):
    make_course()
    login_as("kasi")
    assert client.get(url).status_code == 200


def test_next_goes_nowhere_off_site(client, login_as, db, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/approve",
                           data={"version": enrolment.version, "next": "/\t/evil.example/x"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/training/enrolments/{enrolment.id}")


def test_after_not_completed_the_asn_may_enrol_again(db, users, make_course, enrol):
    course = make_course()
    enrol(course, users["asn"], "not_completed")
    assert enrolment_service.enrol_refusal(course, users["asn"], users["asn"]) is None
    again = enrolment_service.request_enrolment(course, users["asn"], users["asn"])
    assert again.state == "requested"


def test_a_nomination_is_the_supervisors_approval(client, login_as, db, users, make_course):
    course = make_course(quota=1)
    login_as("kasi")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["asn"].id})
    assert response.status_code == 302
    enrolment = db.session.scalars(select(Enrolment)).one()
    assert (enrolment.state, enrolment.nominated_by_id, enrolment.approved_by_id) == (
        "approved", users["kasi"].id, users["kasi"].id)
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "enrolment", AuditEvent.subject_id == str(enrolment.id),
        AuditEvent.outcome == "ok").order_by(AuditEvent.seq)).all()
    assert actions == ["enrolment.nominate", "enrolment.approve"]
    assert catalogue_service.seats_taken_by_course([course.id])[course.id] == 1
    # nothing waits on the nominator; the Camat signs off as the second pair of eyes
    assert not [a for a in available(enrolment, users["kasi"]) if a.trigger in ("approve", "decline")]
    moved = fire(enrolment, "sign_off", users["camat"], expected_version=enrolment.version)
    assert moved.state == "in_progress"


def test_a_nomination_refused_by_the_guards_stays_requested(db, users, make_course, monkeypatch):
    course = make_course()
    from plaju.training.workflow import enrolment as enrolment_flow  # where the seat guard counts
    monkeypatch.setattr(enrolment_flow, "seats_taken", lambda *_a, **_k: 99)  # the seat went in between
    course.quota = 1
    db.session.commit()
    monkeypatch.setattr(enrolment_service, "seats_taken", lambda *_a, **_k: 0)
    enrolment = enrolment_service.request_enrolment(course, users["asn"], users["kasi"])
    assert enrolment.state == "requested"
    monkeypatch.undo()
    moved = fire(enrolment, "approve", users["kasi"], expected_version=enrolment.version)
    assert moved.state == "approved"

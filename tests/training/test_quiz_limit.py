"""The quiz cannot be retried until every combination is found: after the course's number of attempts
the ASN waits, and the page says until when (WIB)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.database import utcnow
from plaju.training.models import Course, Enrolment
from plaju.training.services import elearning as elearning_service
from plaju.workflow import Invalid
from tests.support import seen_on
from tests.training.conftest import on_page


def _wrong(course):
    return {f"q{q.id}": str((q.answer + 1) % len(q.choice_list)) for q in course.questions}


def _right(course):
    return {f"q{q.id}": str(q.answer) for q in course.questions}


def test_defaults_are_three_attempts_and_an_hour(db, make_elearning):
    course = make_elearning()
    assert (course.quiz_max_attempts, course.quiz_retry_wait_minutes) == (3, 60)


def test_after_the_limit_the_asn_waits_and_is_told_until_when(client, login_as, db, users, make_elearning, enrol):
    course = make_elearning(quiz_before_modules=True)  # attempts are what is tested, not the modules
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    url = f"/training/enrolments/{enrolment.id}/quiz"
    assert "Kesempatan ke-1 dari 3" in client.get(url).text
    for _ in range(3):
        response = client.post(url, data=on_page(enrolment, _wrong(course)))
        assert response.status_code == 200 and "di bawah nilai lulus" in response.text
    assert 'data-testid="quiz-wait"' in response.text and "WIB" in response.text
    assert 'data-testid="quiz-form"' not in response.text
    assert "coba sekali lagi" not in response.text  # not "try once more" above the wait
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn").text  # the way back says it too
    assert 'data-testid="open-quiz"' not in learn and 'data-testid="quiz-locked"' in learn
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert row.quiz_attempts == 3 and row.quiz_last_attempt_at is not None
    until = elearning_service.quiz_locked_until(row)
    assert until is not None and timedelta(minutes=59) < until - utcnow() <= timedelta(minutes=60)
    # the fourth try, even with the right answers, is refused, audited and changes nothing
    refused = client.post(url, data=on_page(enrolment, _right(course)))
    assert refused.status_code == 422
    assert "telah menggunakan seluruh 3 kesempatan" in refused.text
    assert 'data-testid="quiz-attempts"' not in refused.text  # not "Kesempatan ke-1 dari 3" beside the lock
    assert elearning_service.wib_text(until) in refused.text
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.quiz_score, row.quiz_attempts) == ("in_progress", 0, 3)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.quiz",
                                                        AuditEvent.outcome == "refused")).one()
    assert "quiz_wait" in event.comment
    assert 'data-testid="quiz-wait"' in client.get(url).text
    # HR reads the quiz's state; the form to answer it is the ASN's only (its POST refused HR all along)
    login_as("hr")
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="quiz-form"' not in page.text
    assert "3 dari 3 percobaan terpakai" in page.text


def test_after_the_wait_a_new_series_begins(db, users, make_elearning, enrol):
    course = make_elearning(quiz_max_attempts=2, quiz_retry_wait_minutes=30, quiz_before_modules=True)
    enrolment = enrol(course, users["asn"], "in_progress")
    for _ in range(2):
        elearning_service.submit_quiz(enrolment, users["asn"], _wrong(course))
    with pytest.raises(Invalid):
        elearning_service.submit_quiz(enrolment, users["asn"], _right(course))
    row = db.session.get(Enrolment, enrolment.id)
    row.quiz_last_attempt_at = utcnow() - timedelta(minutes=31)  # half an hour has passed
    db.session.commit()
    assert elearning_service.quiz_locked_until(row) is None
    score, passed = elearning_service.submit_quiz(row, users["asn"], _right(course))
    assert passed and score == 100
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.quiz_attempts, row.quiz_score) == (1, 100)


def test_hr_sets_the_limit_in_the_course_form(client, login_as, db, make_elearning):
    course = make_elearning()
    login_as("hr")
    page = client.get(f"/training/courses/{course.id}/edit")
    assert page.status_code == 200 and 'name="quiz_max_attempts"' in page.text
    form = {name: value for name, value in services_course_values(course).items()}
    form.update(quiz_max_attempts="5", quiz_retry_wait_minutes="120",
                seen=seen_on(client, f"/training/courses/{course.id}/edit"))
    response = client.post(f"/training/courses/{course.id}/edit", data=form)
    assert response.status_code in (302, 303), response.text[:400]
    db.session.expire_all()
    row = db.session.get(Course, course.id)
    assert (row.quiz_max_attempts, row.quiz_retry_wait_minutes) == (5, 120)
    bad = client.post(f"/training/courses/{course.id}/edit", data={**form, "quiz_max_attempts": "0"})
    assert bad.status_code == 422 and "Jumlah kesempatan 1 sampai 20" in bad.text


def services_course_values(course) -> dict:
    return {"title": course.title, "description": course.description or "", "kind": course.kind,
            "method": course.method, "jp": str(course.jp), "provider": course.provider or "", "starts_on": "",
            "ends_on": "", "place": "", "link": "", "quota": "", "enrol_deadline": "", "pass_mark": "70",
            "active": "y"}


def test_a_course_s_jp_stay_as_enrolled_and_an_older_form_does_not_save_over_a_newer(client, login_as, db, users,
                                                                                     make_elearning, enrol):
    """HR enrolled in an e-learning course it runs raised its JP before the sign-off: the credit follows
    the course, so the JP are fixed once anyone is enrolled. A form opened before a later save is refused."""
    course = make_elearning()
    url = f"/training/courses/{course.id}/edit"
    login_as("hr")
    first, second = seen_on(client, url), seen_on(client, url)
    form = {**services_course_values(course), "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60"}
    assert client.post(url, data={**form, "title": "E-learning Komunikasi Publik", "seen": first}).status_code == 302
    stale = client.post(url, data={**form, "provider": "LAN", "seen": second})
    assert stale.status_code == 409 and stale.text.count("Hr Uji mengubah data ini pada") == 1  # who, when, once
    assert "E-learning Komunikasi Publik" in stale.text  # shown as it is now
    enrol(course, users["hr"], "approved")
    raised = client.post(url, data={**form, "title": "E-learning Komunikasi Publik", "jp": "500",
                                    "seen": seen_on(client, url)})
    assert raised.status_code == 422 and "tidak dapat diubah: JP" in raised.text
    # nor turned into another kind of course (a classroom one into the office's e-learning needed no
    # certificate); what does not change the count still may
    made_internal = client.post(url, data={**form, "title": "E-learning Komunikasi Publik", "internal": "y",
                                           "seen": seen_on(client, url)})
    assert made_internal.status_code == 422
    assert client.post(url, data={**form, "title": "E-learning Komunikasi Publik", "place": "Aula Kecamatan",
                                  "seen": seen_on(client, url)}).status_code == 302
    db.session.expire_all()
    row = db.session.get(Course, course.id)
    assert (row.jp, row.provider, row.title) == (6, course.provider, "E-learning Komunikasi Publik")
    refusals = db.session.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "refused")).all()
    assert refusals == ["training_course.update"] * 3
    # a form without its fingerprint is as stale as an old one: leaving the field out skips nothing
    assert client.post(url, data={**form, "title": "Tanpa sidik"}).status_code == 409


def test_a_credited_course_keeps_its_title_provider_and_kind(client, login_as, db, users, make_elearning, enrol):
    """HR renamed a course with credited JP and signed certificates to "Diklat Kepemimpinan (PKA)" from "LAN RI"
    as a managerial course: everyone's exported history for SIASN changed with it, and the dashboard's JP per
    kind. The kind is fixed once anyone is enrolled, the title and provider once JP are credited."""
    course = make_elearning()
    url = f"/training/courses/{course.id}/edit"
    form = {**services_course_values(course), "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60"}
    enrol(course, users["asn"], "verified")
    login_as("hr")
    for change, said in (({"title": "Diklat Kepemimpinan (PKA)"}, "judul"), ({"provider": "LAN RI"}, "penyelenggara"),
                         ({"kind": "manajerial"}, "tidak dapat diubah")):
        refused = client.post(url, data={**form, **change, "seen": seen_on(client, url)})
        assert refused.status_code == 422 and said in refused.text.lower(), change
    db.session.expire_all()
    row = db.session.get(Course, course.id)
    assert (row.title, row.provider, row.kind) == (course.title, course.provider, course.kind)
    assert client.post(url, data={**form, "place": "Aula", "seen": seen_on(client, url)}).status_code == 302


def test_a_course_with_dates_holds_at_most_12_jp_a_day(client, login_as, db, make_elearning):
    """HR saved a one-day course of 500 JP; a certificate's JP is checked only against the course's."""
    course = make_elearning()
    url = f"/training/courses/{course.id}/edit"
    login_as("hr")
    form = {**services_course_values(course), "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60",
            "starts_on": "2026-12-10", "ends_on": "2026-12-10"}
    refused = client.post(url, data={**form, "jp": "500", "seen": seen_on(client, url)})
    assert refused.status_code == 422 and "paling banyak 12 JP sehari" in refused.text
    assert client.post(url, data={**form, "jp": "12", "seen": seen_on(client, url)}).status_code == 302

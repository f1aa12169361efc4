"""Screens that guide: the catalogue lists open courses first and closed ones last and greyed, a closed
course never shows free seats in green, "rutin" is explained where it is shown."""
from datetime import timedelta

from plaju.timeutil import today_wib
from tests.training.conftest import on_page, study, study_on_page

TODAY = today_wib()


def test_the_catalogue_lists_open_courses_first_and_closed_ones_greyed(client, login_as, users, make_course, enrol):
    closed = make_course(title="A Ditutup", enrol_deadline=TODAY - timedelta(days=1), quota=30)
    full = make_course(title="B Penuh", quota=1, enrol_deadline=TODAY + timedelta(days=1))
    enrol(full, users["clerk"], "approved")
    later = make_course(title="C Buka Lama", enrol_deadline=TODAY + timedelta(days=20))
    soon = make_course(title="D Buka Segera", enrol_deadline=TODAY + timedelta(days=2), routine=True)
    login_as("asn")
    page = client.get("/training/courses/").text
    order = [page.index(c.title) for c in (soon, later, closed, full)]
    assert order == sorted(order)  # open by deadline, then the closed ones by deadline
    card = page[page.index(closed.title):page.index(closed.title) + 1500]
    assert "Sisa kursi" not in card and "Ditutup" in card
    assert page.count('data-closed="yes"') == 2 and page.count('data-closed="no"') == 2
    assert "Plh/Plt Camat boleh mengesahkan" not in page  # the sign-off rule is for those who sign


def test_a_batch_that_is_over_says_so_and_lists_with_the_closed_ones(client, login_as, make_course):
    """No deadline does not mean "enrol any time" once the course has happened."""
    over = make_course(title="A Angkatan Lalu", enrol_deadline=None, starts_on=TODAY - timedelta(days=12),
                       ends_on=TODAY - timedelta(days=10))
    open_ = make_course(title="B Angkatan Baru", enrol_deadline=None, starts_on=TODAY + timedelta(days=10),
                        ends_on=TODAY + timedelta(days=12))
    login_as("asn")
    page = client.get("/training/courses/").text
    assert page.index(open_.title) < page.index(over.title)
    card = page[page.index(over.title):page.index(over.title) + 1500]
    assert "Sudah selesai" in card and "Daftar kapan saja" not in card
    assert "Daftar kapan saja" in page[page.index(open_.title):page.index(over.title)]


def test_withdrawing_asks_for_confirmation_states_the_consequence_and_stands_apart(client, login_as, users, make_course,
                                                                                  enrol, db):
    from sqlalchemy import select

    from plaju.audit.models import AuditEvent
    from plaju.training.models import Enrolment
    enrolment = enrol(make_course(), users["asn"], "in_progress")
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    apart = page[page.index('data-testid="actions-apart"'):]
    assert 'data-testid="action-withdraw"' in apart and 'data-testid="action-complete"' not in apart
    assert "kursi yang sudah Anda dapat dilepas untuk orang lain" in apart
    unconfirmed = client.post(f"/training/enrolments/{enrolment.id}/act/withdraw",
                              data={"version": enrolment.version}, headers={"HX-Request": "true"})
    assert unconfirmed.status_code == 422 and "Centang kotak untuk mengonfirmasi" in unconfirmed.text
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    assert db.session.scalar(select(AuditEvent.comment).where(
        AuditEvent.action == "enrolment.withdraw", AuditEvent.outcome == "refused")).startswith("[input:confirm]")
    confirmed = client.post(f"/training/enrolments/{enrolment.id}/act/withdraw",
                            data={"version": enrolment.version, "confirmed": "yes"})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "withdrawn"
    # a closed enrolment has no next step: no heading over an empty column
    assert "Langkah berikutnya" not in client.get(f"/training/enrolments/{enrolment.id}").text


def test_elearning_shows_the_next_thing_to_do_and_names_the_modules_left(client, login_as, users, make_elearning,
                                                                        enrol, db):
    course = make_elearning(modules=2, quiz=True, quiz_before_modules=True)  # a course that lets learners try first
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn").text
    assert 'data-testid="next-module"' in learn and "Buka modul: Modul 1" in learn and "Modul tersisa: 2." in learn
    right = on_page(enrolment, {f"q{q.id}": str(q.answer) for q in course.questions})
    passed = client.post(f"/training/enrolments/{enrolment.id}/quiz", data=right).text
    remaining = passed[passed.index('data-testid="remaining-modules"'):]
    assert "Modul 1" in remaining and "Modul 2" in remaining  # named, with links
    study_on_page(client, enrolment, course.modules[0])
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn").text
    assert "Buka modul: Modul 2" in learn and "Modul tersisa: 1." in learn


def test_the_quiz_opens_once_every_module_is_done(client, login_as, users, make_elearning, enrol, db):
    from plaju.training.models import Enrolment
    course = make_elearning(modules=2, quiz=True)
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn").text
    assert 'data-testid="quiz-after-modules"' in learn and 'data-testid="open-quiz"' not in learn
    quiz = client.get(f"/training/enrolments/{enrolment.id}/quiz").text
    assert 'data-testid="quiz-form"' not in quiz and "Modul 1" in quiz and "Modul 2" in quiz
    posted = client.post(f"/training/enrolments/{enrolment.id}/quiz", data={f"q{q.id}": "1" for q in course.questions})
    assert posted.status_code == 422 and "Masih perlu diselesaikan: Modul 1, Modul 2" in posted.text
    assert db.session.get(Enrolment, enrolment.id).quiz_attempts in (0, None)  # nothing counted
    study(db.session.get(Enrolment, enrolment.id), users["asn"])
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn").text
    assert 'data-testid="next-quiz"' in learn
    assert 'data-testid="quiz-form"' in client.get(f"/training/enrolments/{enrolment.id}/quiz").text

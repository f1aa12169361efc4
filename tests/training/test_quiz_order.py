"""The quiz in an order of each learner's own: the questions and their choices are shuffled per enrolment (the
same on every reload and attempt), a choice about the others stays last, and each choice posts its place in
that order, read back to the typed index on the server, so the grading is unchanged."""
import html
import random
import re

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.extensions import db as _db
from plaju.training.models import Enrolment, QuizQuestion
from plaju.training.services import elearning as elearning_service
from plaju.workflow import Invalid
from tests.support import make_user
from tests.training.conftest import on_page, study

CAPITALS = ["Palembang", "Jambi", "Bengkulu", "Padang", "Pekanbaru", "Lampung", "Medan"]  # the right one: 0
FEES = ["Rp 10.000", "Rp 5.000", "Tergantung petugas", "Rp 2.000", "Semua jawaban benar"]
LETTERED = ["Mendengarkan", "Mencatat", "Mengulang inti permintaan", "A dan B benar"]


def _quiz_course(make_elearning, *questions):
    """An e-learning course whose quiz may be taken at once, with the questions given as (choices, answer)."""
    course = make_elearning(modules=1, quiz=False, quiz_before_modules=True)
    course.pass_mark = 70
    for position, (choices, answer) in enumerate(questions, start=1):
        _db.session.add(QuizQuestion(course=course, position=position, text=f"Soal uji {position}",
                                     choices="\n".join(choices), answer=answer))
    _db.session.commit()
    return course


def _shown(page: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """The quiz form as the learner sees it: each question's id, with its choices (value posted, text) in the
    order shown."""
    shown: dict[int, list] = {}
    for question, value, text in re.findall(r'name="q(\d+)" value="(\d+)"[^>]*>([^<]*)</label>', page):
        shown.setdefault(int(question), []).append((value, html.unescape(text)))
    return list(shown.items())


def _choices_of(page: str, question_id: int) -> list[str]:
    return [text for value, text in dict(_shown(page))[question_id]]


@pytest.fixture()
def learners(users):
    return users["asn"], make_user("asn2", supervisor=users["kasi"]), make_user("asn3", supervisor=users["kasi"])


def test_each_learner_sees_an_order_of_their_own_the_same_on_every_reload(client, login_as, db, learners,
                                                                          make_elearning, enrol):
    course = _quiz_course(make_elearning, (CAPITALS, 0), (["3", "4", "5", "6"], 1), (["Ya", "Tidak"], 0),
                          (["Pagi", "Siang", "Sore", "Malam"], 0))
    capitals = course.questions[0]
    typed_questions = [q.id for q in course.questions]
    orders = []
    for learner in learners:
        enrolment = enrol(course, learner, "in_progress")
        login_as(learner.username)
        first = client.get(f"/training/enrolments/{enrolment.id}/quiz").text
        assert _shown(first) == _shown(client.get(f"/training/enrolments/{enrolment.id}/quiz").text)  # reloaded
        assert sorted(_choices_of(first, capitals.id)) == sorted(CAPITALS)  # every choice, once
        orders.append((tuple(q for q, _choices in _shown(first)), tuple(_choices_of(first, capitals.id))))
    assert all(choices != tuple(CAPITALS) for _questions, choices in orders)  # not as typed
    assert len({choices for _questions, choices in orders}) == len(learners)  # each their own
    assert any(list(questions) != typed_questions for questions, _choices in orders)  # the questions too


def _two_questions(client, login_as, users, make_elearning, enrol):
    """A quiz of two questions opened by the ASN: the course, the enrolment and the quiz's address."""
    course = _quiz_course(make_elearning, (CAPITALS, 0), (["3", "4", "5", "6"], 1))
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    return course, enrolment, f"/training/enrolments/{enrolment.id}/quiz"


def test_a_failed_attempt_shows_the_same_order_with_the_answers_kept(client, login_as, db, users, make_elearning,
                                                                    enrol):
    course, enrolment, url = _two_questions(client, login_as, users, make_elearning, enrol)
    before = _shown(client.get(url).text)
    assert _choices_of(client.get(url).text, course.questions[0].id) != CAPITALS  # the learner's own order
    wrong = on_page(enrolment, {f"q{q.id}": str(q.answer + 1) for q in course.questions})
    failed = client.post(url, data=wrong)
    assert failed.status_code == 200 and "di bawah nilai lulus" in failed.text
    assert _shown(failed.text) == before  # the next attempt: the same sheet, not a new draw
    for name, place in wrong.items():  # the answers sent stay checked on the choice sent
        assert re.search(rf'name="{name}" value="{place}" required checked', failed.text)
    assert _shown(client.get(url).text) == before


def test_the_right_choice_at_its_shuffled_place_is_graded_right(client, login_as, db, users, make_elearning, enrol):
    course = _quiz_course(make_elearning, (CAPITALS, 0), (["3", "4", "5", "6"], 1))
    enrolment = study(enrol(course, users["asn"], "in_progress"), users["asn"])  # the quiz is what is left
    login_as("asn")
    url = f"/training/enrolments/{enrolment.id}/quiz"
    answers, moved = {}, 0
    for question_id, choices in _shown(client.get(url).text):
        question = _db.session.get(QuizQuestion, question_id)
        right = question.choice_list[question.answer]
        place = [text for _value, text in choices].index(right)
        moved += place != question.answer  # the learner finds it elsewhere than it was typed
        answers[f"q{question_id}"] = choices[place][0]  # what the learner's click sends
    assert moved
    response = client.post(url, data=answers)
    assert response.status_code == 302  # passed: the course is finished
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.quiz_score, row.quiz_attempts) == ("completed", 100, 1)


def test_a_choice_about_the_others_stays_last_and_letters_keep_the_typed_order(client, login_as, db, learners,
                                                                              make_elearning, enrol):
    course = _quiz_course(make_elearning, (FEES, 4), (LETTERED, 3))
    fees, lettered = course.questions
    above = []
    for learner in learners:
        enrolment = enrol(course, learner, "in_progress")
        login_as(learner.username)
        page = client.get(f"/training/enrolments/{enrolment.id}/quiz").text
        shown = _choices_of(page, fees.id)
        assert shown[-1] == "Semua jawaban benar" and sorted(shown) == sorted(FEES)
        above.append(shown[:-1])
        assert _choices_of(page, lettered.id) == LETTERED  # "A dan B" counts the choices as typed
    assert any(others != FEES[:-1] for others in above)  # the others are still shuffled above it


@pytest.mark.parametrize(("choices", "kept_last"), [
    (["Rp 0", "Rp 1", "Rp 2", "Rp 3", "Tidak ada yang benar."], ["Tidak ada yang benar."]),
    (["Satu", "Dua", "Tiga", "Semua benar", "None of the above"], ["Semua benar", "None of the above"]),
    (["Satu", "All of the above", "Dua", "Tiga", "Empat"], ["All of the above"]),  # typed amid: shown after
    (["Semua ASN", "Kepala seksi", "Camat", "Tidak ada sanksi"], []),  # about the matter, not the choices
    (["Satu", "Dua", "Tiga", "Semua jawaban diatas benar."], ["Semua jawaban diatas benar."]),
    (["Satu", "Dua", "Tiga", "Semua pernyataan benar"], ["Semua pernyataan benar"]),
])
def test_which_choices_stay_last(choices, kept_last):
    draw = random.Random("quiz:test")
    shown = elearning_service._choice_order(choices, draw)
    assert sorted(shown) == list(enumerate(choices))  # each choice with its typed index
    assert [text for _index, text in shown][len(choices) - len(kept_last):] == kept_last


def test_an_answer_that_is_no_choice_is_refused_and_changes_nothing(client, login_as, db, users, make_elearning,
                                                                    enrol):
    course, enrolment, url = _two_questions(client, login_as, users, make_elearning, enrol)
    (first_id, _first), (second_id, _second) = _shown(client.get(url).text)
    right = {f"q{q.id}": str(q.answer) for q in course.questions}  # typed indices, as the service takes them
    for stray in ("9", "-1", "x", "01", ""):
        refused = client.post(url, data={**on_page(enrolment, right), f"q{second_id}": stray})
        assert refused.status_code == 422, stray
        assert ("Jawaban yang dikirim untuk soal 2 bukan salah satu pilihannya: pilih salah satu pilihan yang "
                "ditampilkan.") in refused.text
        assert 'data-testid="quiz-form"' in refused.text  # to answer again
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.quiz_score, row.quiz_attempts, row.quiz_last_attempt_at) == ("in_progress", None, 0,
                                                                                          None)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.quiz")).all()
    assert len(events) == 5 and all(e.outcome == "refused" and "quiz_choice" in e.comment for e in events)
    with pytest.raises(Invalid) as refused:  # the service refuses it too, whoever calls it
        elearning_service.submit_quiz(row, users["asn"], {**right, f"q{first_id}": "7"})
    assert refused.value.code == "quiz_choice"


def test_the_typed_order_posted_does_not_pass(client, login_as, db, users, make_elearning, enrol):
    """Each choice posted its typed index: "0" to every question, or the author's order read in the page's
    source, passed a quiz whose right answers were typed first. The form posts the place shown."""
    course = _quiz_course(make_elearning, (CAPITALS, 0), (["Ya", "Tidak", "Mungkin", "Entah"], 0),
                          (["Pagi", "Siang", "Sore", "Malam"], 0), (["Satu", "Dua", "Tiga", "Empat"], 0))
    enrolment = enrol(course, users["asn"], "in_progress")
    sheet = elearning_service.quiz_sheet(enrolment)
    assert any(choices[0][0] != 0 for _q, choices in sheet)  # somewhere the right one is not shown first
    login_as("asn")
    url = f"/training/enrolments/{enrolment.id}/quiz"
    typed = client.post(url, data={f"q{q.id}": "0" for q in course.questions}).text
    assert "di bawah nilai lulus" in typed
    right = {f"q{q.id}": str(next(place for place, (index, _c) in enumerate(choices) if index == q.answer))
             for q, choices in sheet}
    passed = client.post(url, data=right)
    assert passed.status_code == 200 and "100%" in passed.text and "di bawah nilai lulus" not in passed.text

"""Courses the office runs itself: attendance recorded by the organiser, certificates issued through the
letters machinery (number register, renderer, PAdES signer) and JP credited when the signer signs."""
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.letters.models import Letter
from plaju.letters.services import pdf_of
from plaju.timeutil import today_wib
from plaju.training.models import Attendance, Enrolment
from plaju.training.services import attendance as attendance_service
from plaju.training.services import elearning as elearning_service
from plaju.training.services.tally import tally
from plaju.workflow import Invalid, NotAllowed, available, fire
from plaju.workflow.models import WorkItem
from tests.support import PASSWORD, make_user, seen_on
from tests.training.conftest import study


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _refusals(db, action):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.outcome == "refused")) or 0


def _fresh(db, enrolment):
    db.session.expire_all()
    return db.session.get(Enrolment, enrolment.id)


@pytest.fixture()
def classroom(make_course):
    """An internal classroom course of three weekdays, the last of them in the past week, minimum attendance
    60%: a Saturday or Sunday inside it would count only when the course met (attendance.counted_days)."""
    ends = today_wib() - timedelta(days=1)
    while ends.weekday() not in (2, 3, 4):  # Wednesday to Friday: the two days before are weekdays too
        ends -= timedelta(days=1)
    return make_course(title="Workshop Aplikasi Pelayanan", internal=True, min_attendance=60, quota=None,
                       starts_on=ends - timedelta(days=2), ends_on=ends, enrol_deadline=None)


def _finish_elearning(db, enrolment, user):
    enrolment = study(_fresh(db, enrolment), user)
    elearning_service.submit_quiz(_fresh(db, enrolment), user, {
        f"q{q.id}": str(q.answer) for q in enrolment.course.questions})
    return _fresh(db, enrolment)


# --- e-learning --------------------------------------------------------------------------------------

def test_an_internal_elearning_awaits_the_camat_once_modules_and_quiz_are_done(db, users, make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = enrol(course, users["asn"], "in_progress")
    first = course.modules[0]
    enrolment = study(enrolment, users["asn"], [first])
    assert _fresh(db, enrolment).state == "in_progress"  # one module of two: no certificate yet
    assert not db.session.scalar(select(Letter.id))
    enrolment = _finish_elearning(db, enrolment, users["asn"])
    assert enrolment.state == "awaiting_certificate"
    items = {(w.trigger, w.role, w.user_id) for w in db.session.scalars(
        select(WorkItem).where(WorkItem.spec == "enrolment", WorkItem.entity_id == enrolment.id))}
    assert items == {("sign_certificate", "camat", None)}
    assert not db.session.scalar(select(Letter.id))  # nothing issued before the signature


def test_the_quiz_alone_does_not_finish_an_internal_course(db, users, make_elearning, enrol):
    course = make_elearning(internal=True, quiz_before_modules=True)
    enrolment = enrol(course, users["asn"], "in_progress")
    elearning_service.submit_quiz(enrolment, users["asn"], {f"q{q.id}": str(q.answer) for q in course.questions})
    enrolment = _fresh(db, enrolment)
    assert enrolment.state == "in_progress"
    with pytest.raises(Invalid):
        fire(enrolment, "complete_internal_elearning", users["asn"], expected_version=enrolment.version)
    assert _fresh(db, enrolment).state == "in_progress"


def test_the_camat_signs_the_certificate_and_the_jp_is_credited(db, users, make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    before = tally(users["asn"])
    enrolment = fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version,
                     password=PASSWORD)
    assert enrolment.state == "verified"
    letter = db.session.scalars(select(Letter).where(Letter.subject_type == "training_certificate",
                                                     Letter.subject_id == enrolment.id)).one()
    assert enrolment.certificate_number == letter.number and letter.number.startswith("800.2/0001/")
    assert enrolment.certificate_jp == course.jp and enrolment.certificate_issuer == "Kecamatan Plaju"
    assert enrolment.certificate_date == today_wib()
    assert enrolment.jp_credited == course.jp and tally(users["asn"]) == before + course.jp
    assert letter.signer_id == users["camat"].id and letter.kind_name == "Sertifikat Pelatihan"
    text = _text(pdf_of(letter.id).pdf)
    for expected in (letter.number, f"{course.jp} JP", "Camat Uji", "SERTIFIKAT PELATIHAN", course.title,
                     users["asn"].full_name, letter.check_code):
        assert expected in text, (expected, text)
    # the method said once: not "menyelesaikan e-learning "E-learning ..." ... secara e-learning"
    assert f'menyelesaikan pelatihan "{course.title}"' in text and "secara e-learning" not in text


def test_the_certificate_is_checked_publicly_and_downloaded_by_the_asn(client, login_as, db, users,
                                                                      make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password=PASSWORD)
    letter = db.session.scalars(select(Letter).where(Letter.subject_type == "training_certificate")).one()
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}").get_data(as_text=True)
    assert f"/letters/{letter.id}.pdf" in page and letter.number in page
    response = client.get(f"/letters/{letter.id}.pdf")
    assert response.status_code == 200 and response.data == pdf_of(letter.id).pdf
    login_as("clerk")  # not hers: the certificate carries her NIP
    assert client.get(f"/letters/{letter.id}.pdf").status_code == 403
    client.post("/logout")
    check = client.get(f"/cek/{letter.check_code}")
    assert check.status_code == 200 and "Sertifikat Pelatihan" in check.get_data(as_text=True)
    assert users["asn"].full_name not in check.get_data(as_text=True)


def test_the_camat_signs_on_the_enrolment_page_over_htmx_and_reads_the_panel(client, login_as, db, users,
                                                                              make_elearning, enrol):
    """The answer to the signature is the page's block alone, which offers the Camat to replace the certificate
    just issued: it named a macro imported only at the page's top and answered 500 after the letter was issued."""
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    login_as("camat")
    signed = client.post(f"/training/enrolments/{enrolment.id}/act/sign_certificate",
                         data={"version": enrolment.version, "password": PASSWORD}, headers={"HX-Request": "true"})
    assert signed.status_code == 200, signed.text
    letter = db.session.scalars(select(Letter).where(Letter.subject_type == "training_certificate")).one()
    assert 'id="enrolment-main"' in signed.text and "<html" not in signed.text  # the block, not the page
    assert 'data-testid="action-done"' in signed.text and letter.number in signed.text
    assert f'action="/letters/{letter.id}/revoke"' in signed.text  # the panel the Camat replaces it from
    again = client.get(f"/training/enrolments/{enrolment.id}", headers={"HX-Request": "true"})
    assert again.status_code == 200 and f'action="/letters/{letter.id}/revoke"' in again.text


def test_the_asn_cannot_sign_their_own_certificate(db, users, make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    with pytest.raises(NotAllowed):
        fire(enrolment, "sign_certificate", users["asn"], expected_version=enrolment.version, password=PASSWORD)
    assert _fresh(db, enrolment).state == "awaiting_certificate"
    assert _refusals(db, "enrolment.sign_certificate") == 1
    assert not db.session.scalar(select(Letter.id))


def test_a_camat_enrolled_in_the_course_cannot_sign_his_own(db, users, make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["camat"], "in_progress"), users["camat"])
    assert not any(a.trigger == "sign_certificate" and a.applies and not a.blocked
                   for a in available(enrolment, users["camat"]))
    with pytest.raises(NotAllowed):
        fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password=PASSWORD)
    assert _refusals(db, "enrolment.sign_certificate") == 1


def test_a_wrong_password_signs_nothing_and_draws_no_number(db, users, make_elearning, enrol):
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    with pytest.raises(Invalid):
        fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password="salah")
    assert _fresh(db, enrolment).state == "awaiting_certificate"
    assert not db.session.scalar(select(Letter.id)) and _refusals(db, "enrolment.sign_certificate") == 1


def test_the_course_names_its_signer_and_only_they_sign(db, users, make_elearning, enrol):
    course = make_elearning(internal=True, certificate_signer_id=users["sekcam"].id)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    items = {(w.trigger, w.role, w.user_id) for w in db.session.scalars(
        select(WorkItem).where(WorkItem.spec == "enrolment", WorkItem.entity_id == enrolment.id))}
    assert items == {("sign_certificate", None, users["sekcam"].id)}
    with pytest.raises(NotAllowed):
        fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password=PASSWORD)
    enrolment = fire(_fresh(db, enrolment), "sign_certificate", users["sekcam"],
                     expected_version=enrolment.version, password=PASSWORD)
    assert enrolment.state == "verified"
    letter = db.session.scalars(select(Letter)).one()
    assert letter.signer_name == users["sekcam"].full_name
    assert "Sekcam Uji" in _text(pdf_of(letter.id).pdf)


def test_an_internal_course_is_not_reported_with_an_upload(db, users, classroom, enrol):
    enrolment = enrol(classroom, users["asn"], "in_progress")
    assert not any(a.trigger == "complete" and a.applies for a in available(enrolment, users["asn"]))
    with pytest.raises(Invalid):
        fire(enrolment, "complete", users["asn"], expected_version=enrolment.version)


# --- classroom attendance ---------------------------------------------------------------------------

def test_a_weekend_inside_a_course_counts_only_if_the_course_met(db, users, make_course, enrol):
    """Thursday to Tuesday is four weekdays: whoever came on each of them has 100%, not 66%. A Saturday
    session where people were present counts, for everyone."""
    ends = today_wib() - timedelta(days=1)
    while ends.weekday() != 1:  # the last Tuesday before today
        ends -= timedelta(days=1)
    course = make_course(title="Diklat Lima Hari", internal=True, min_attendance=80, quota=None,
                         starts_on=ends - timedelta(days=5), ends_on=ends, enrol_deadline=None)
    asn2 = make_user("asn2", supervisor=users["kasi"])
    every_weekday = enrol(course, users["asn"], "in_progress")
    other = enrol(course, asn2, "in_progress")
    days = attendance_service.course_days(course)
    assert [d.weekday() for d in days] == [3, 4, 5, 6, 0, 1]
    for day in days:
        if day.weekday() < 5:
            attendance_service.record_day(course, day, [every_weekday.id, other.id], users["hr"])
    marks = attendance_service.attendance_by_enrolment([every_weekday.id])[every_weekday.id]
    assert attendance_service.summary(course, marks) == (4, 4, 100)
    # the course met on Saturday, and only the second participant came
    attendance_service.record_day(course, days[2], [other.id], users["hr"])
    marks = attendance_service.attendance_by_enrolment([every_weekday.id, other.id])
    assert attendance_service.summary(course, marks[every_weekday.id]) == (4, 5, 80)
    assert attendance_service.summary(course, marks[other.id]) == (5, 5, 100)
    closing = attendance_service.close_course(course, users["hr"])
    assert {e.id for e in closing.certified} == {every_weekday.id, other.id}


def test_attendance_at_the_minimum_leads_to_the_certificate_below_it_does_not(db, users, classroom, enrol):
    asn2 = make_user("asn2", supervisor=users["kasi"])
    present = enrol(classroom, users["asn"], "in_progress")
    absent = enrol(classroom, asn2, "in_progress")
    days = attendance_service.course_days(classroom)
    assert len(days) == 3
    for day in days[:2]:  # 2 of 3 days (66%) and 1 of 3 (33%); minimum 60%
        attendance_service.record_day(classroom, day, [present.id] + ([absent.id] if day == days[0] else []),
                                      users["hr"])
    with pytest.raises(Invalid) as below:
        fire(_fresh(db, absent), "attendance_met", users["hr"], expected_version=absent.version)
    assert "1 dari 3 hari (33%)" in below.value.message
    closing = attendance_service.close_course(classroom, users["hr"])
    assert [e.id for e in closing.certified] == [present.id] and [e.id for e in closing.below] == [absent.id]
    assert _fresh(db, present).state == "awaiting_certificate" and _fresh(db, absent).state == "in_progress"
    closing = attendance_service.close_course(classroom, users["hr"], mark_below=True)
    assert [e.id for e in closing.marked] == [absent.id] and _fresh(db, absent).state == "not_completed"
    signed = fire(_fresh(db, present), "sign_certificate", users["camat"], expected_version=_fresh(db, present).version,
                  password=PASSWORD)
    assert signed.state == "verified" and signed.jp_credited == classroom.jp
    letter = db.session.scalars(select(Letter)).one()
    assert "Kehadiran: 2 dari 3 hari (66%)" in _text(pdf_of(letter.id).pdf)


def test_the_course_cannot_be_closed_before_its_last_day(db, users, make_course, enrol):
    today = today_wib()
    course = make_course(internal=True, quota=None, starts_on=today - timedelta(days=1),
                         ends_on=today + timedelta(days=1), enrol_deadline=None)
    enrolment = enrol(course, users["asn"], "in_progress")
    attendance_service.record_day(course, today, [enrolment.id], users["hr"])
    with pytest.raises(Invalid):
        attendance_service.close_course(course, users["hr"])
    with pytest.raises(Invalid):  # tomorrow has not come
        attendance_service.record_day(course, today + timedelta(days=1), [enrolment.id], users["hr"])
    assert _fresh(db, enrolment).state == "in_progress"
    assert _refusals(db, "training_course.close") == 1 and _refusals(db, "training_course.attendance") == 1


def test_attendance_for_a_non_participant_is_refused_and_nothing_changes(db, users, classroom, make_course, enrol):
    mine = enrol(classroom, users["asn"], "in_progress")
    other_course = make_course(title="Lain", internal=True, quota=None, starts_on=classroom.starts_on,
                               ends_on=classroom.ends_on, enrol_deadline=None)
    stranger = enrol(other_course, make_user("asn2", supervisor=users["kasi"]), "in_progress")
    requested = enrol(classroom, make_user("asn3", supervisor=users["kasi"]))
    day = classroom.starts_on
    attendance_service.record_day(classroom, day, [mine.id], users["hr"])
    for bad in ([mine.id, stranger.id], [requested.id], ["abc"]):
        with pytest.raises(Invalid):
            attendance_service.record_day(classroom, day, bad, users["hr"])
    rows = db.session.scalars(select(Attendance)).all()
    assert [(r.enrolment_id, r.present) for r in rows] == [(mine.id, True)]
    assert _refusals(db, "training_course.attendance") == 3


def test_attendance_for_a_day_outside_the_course_is_refused(db, users, classroom, enrol):
    mine = enrol(classroom, users["asn"], "in_progress")
    for day in (classroom.starts_on - timedelta(days=1), classroom.ends_on + timedelta(days=1), None):
        with pytest.raises(Invalid):
            attendance_service.record_day(classroom, day, [mine.id], users["hr"])
    assert not db.session.scalar(select(Attendance.id))
    assert _refusals(db, "training_course.attendance") == 3


def test_only_hr_or_the_organiser_records_attendance(db, users, classroom, enrol):
    mine = enrol(classroom, users["asn"], "in_progress")
    for outsider in ("clerk", "asn", "kasi", "camat"):
        with pytest.raises(NotAllowed):
            attendance_service.record_day(classroom, classroom.starts_on, [mine.id], users[outsider])
    assert not db.session.scalar(select(Attendance.id))
    assert _refusals(db, "training_course.attendance") == 4
    classroom.organiser_id = users["kasi"].id
    db.session.commit()
    assert attendance_service.record_day(classroom, classroom.starts_on, [mine.id], users["kasi"]) == 1
    with pytest.raises(NotAllowed):
        attendance_service.close_course(classroom, users["clerk"])


def test_the_organiser_cannot_close_their_own_attendance(db, users, classroom, enrol):
    """Four eyes: an organiser enrolled in their own course does not certify themselves."""
    classroom.organiser_id = users["kasi"].id
    db.session.commit()
    own = enrol(classroom, users["kasi"], "in_progress")
    for day in attendance_service.course_days(classroom):
        attendance_service.record_day(classroom, day, [own.id], users["hr"])
    closing = attendance_service.close_course(classroom, users["kasi"])
    assert closing.certified == [] and len(closing.refused) == 1
    assert _fresh(db, own).state == "in_progress"


def test_nobody_records_their_own_attendance(client, login_as, db, users, classroom, enrol):
    """HR, enrolled in the office's own course, ticked itself present on every day; another organiser then
    closed the course and the certificate credited HR's JP. A recorder's own row is theirs to leave: ticking
    it is refused and audited, saving the others leaves it as it was, and the page says who records it."""
    own = enrol(classroom, users["hr"], "in_progress")
    other = enrol(classroom, users["asn"], "in_progress")
    day = classroom.starts_on
    with pytest.raises(NotAllowed) as refused:
        attendance_service.record_day(classroom, day, [own.id, other.id], users["hr"])
    assert refused.value.code == "four_eyes" and not db.session.scalar(select(Attendance.id))
    assert _refusals(db, "training_course.attendance") == 1
    assert attendance_service.record_day(classroom, day, [other.id], users["hr"]) == 1
    marks = {a.enrolment_id: a.present for a in db.session.scalars(select(Attendance))}
    assert marks == {other.id: True}  # HR's own row neither ticked nor marked absent by HR
    login_as("hr")
    page = client.get(f"/training/courses/{classroom.id}/attendance").text
    assert 'data-testid="attendance-own"' in page
    assert re.search(rf'value="{own.id}"[^>]*disabled', page)


def test_hr_names_only_an_office_holder_as_organiser(client, login_as, db, users, make_course):
    """HR created an account, set its password, named it the organiser of a course HR was enrolled in, and
    closed the course through it. HR names an organiser who holds an office; the form offers only those."""
    course = make_course(internal=True)
    puppet = make_user("boneka")
    login_as("hr")
    page = client.get(f"/training/courses/{course.id}/edit").text
    box = page.split('name="organiser_id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{users["kasi"].id}"' in box and f'value="{puppet.id}"' not in box
    body = {"title": course.title, "description": "", "kind": "teknis", "method": "pelatihan", "jp": str(course.jp),
            "provider": "", "quota": "", "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60",
            "active": "y", "internal": "y", "organiser_id": str(puppet.id), "certificate_signer_id": "0",
            "seen": seen_on(client, f"/training/courses/{course.id}/edit")}
    refused = client.post(f"/training/courses/{course.id}/edit", data=body)
    assert refused.status_code == 403 and "penyelenggara" in refused.text
    db.session.expire_all()
    assert db.session.get(type(course), course.id).organiser_id is None
    assert _refusals(db, "training_course.update") == 1
    body.update(organiser_id=str(users["kasi"].id), seen=seen_on(client, f"/training/courses/{course.id}/edit"))
    assert client.post(f"/training/courses/{course.id}/edit", data=body).status_code == 302


def test_the_attendance_pages(client, login_as, db, users, classroom, enrol):
    mine = enrol(classroom, users["asn"], "in_progress")
    login_as("clerk")
    assert client.get(f"/training/courses/{classroom.id}/attendance").status_code == 403
    assert client.post(f"/training/courses/{classroom.id}/attendance",
                       data={"day": classroom.starts_on.isoformat(), "present": [str(mine.id)]}).status_code == 403
    assert not db.session.scalar(select(Attendance.id))
    login_as("hr")
    page = client.get(f"/training/courses/{classroom.id}/attendance")
    assert page.status_code == 200 and "Asn Uji" in page.get_data(as_text=True)
    for day in attendance_service.course_days(classroom):
        response = client.post(f"/training/courses/{classroom.id}/attendance",
                               data={"day": day.isoformat(), "present": [str(mine.id)]})
        assert response.status_code == 303
    bad = client.post(f"/training/courses/{classroom.id}/attendance",
                      data={"day": (classroom.ends_on + timedelta(days=5)).isoformat(), "present": [str(mine.id)]})
    assert bad.status_code == 422 and "hari pelatihan" in bad.get_data(as_text=True)
    assert client.post(f"/training/courses/{classroom.id}/attendance/close").status_code == 303
    assert _fresh(db, mine).state == "awaiting_certificate"
    assert "3 dari 3 hari (100%)" in client.get(f"/training/enrolments/{mine.id}").get_data(as_text=True)


def test_a_day_saved_from_an_older_page_is_refused_and_names_who_saved_it(client, login_as, db, users, classroom,
                                                                          enrol):
    """Two tabs (or HR and the organiser) on one course day: the later save from the older page would have
    silently marked absent whom the first had ticked."""
    first, second = enrol(classroom, users["asn"], "in_progress"), enrol(classroom, users["kasi"], "in_progress")
    day = classroom.starts_on.isoformat()
    login_as("hr")
    pages = [client.get(f"/training/courses/{classroom.id}/attendance?day={day}").get_data(as_text=True)
             for _tab in range(2)]
    seen = [re.search(r'name="seen" value="([^"]*)"', page).group(1) for page in pages]
    assert seen == ["", ""]
    saved = client.post(f"/training/courses/{classroom.id}/attendance",
                        data={"day": day, "present": [str(first.id)], "seen": seen[0]})
    assert saved.status_code == 303
    stale = client.post(f"/training/courses/{classroom.id}/attendance",
                        data={"day": day, "present": [str(second.id)], "seen": seen[1]})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and users["hr"].full_name in text and "setelah Anda membuka halaman" in text
    db.session.expire_all()
    marks = {a.enrolment_id: a.present for a in db.session.scalars(select(Attendance))}
    assert marks == {first.id: True, second.id: False}  # the first save stands
    assert _refusals(db, "training_course.attendance") == 1
    # the page it answers with carries the new stamp: saving from it works
    fresh = re.search(r'name="seen" value="([^"]*)"', text).group(1)
    assert fresh and client.post(f"/training/courses/{classroom.id}/attendance", data={
        "day": day, "present": [str(first.id), str(second.id)], "seen": fresh}).status_code == 303


def test_hr_marks_a_course_as_run_by_the_office_with_its_signer(client, login_as, db, users, make_course):
    course = make_course()
    login_as("hr")
    body = {"title": course.title, "description": "", "kind": "teknis", "method": "pelatihan", "jp": "12",
            "provider": "Kecamatan Plaju", "quota": "5", "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60",
            "active": "y", "internal": "y", "organiser_id": str(users["kasi"].id),
            "certificate_signer_id": str(users["sekcam"].id), "min_attendance": "75"}
    page = client.get(f"/training/courses/{course.id}/edit").get_data(as_text=True)
    assert 'name="certificate_signer_id"' in page and "Sekcam Uji" in page
    body["seen"] = seen_on(client, f"/training/courses/{course.id}/edit")
    assert client.post(f"/training/courses/{course.id}/edit", data=body).status_code == 302
    db.session.expire_all()
    course = db.session.get(type(course), course.id)
    assert (course.internal, course.organiser_id, course.certificate_signer_id, course.min_attendance) == (
        True, users["kasi"].id, users["sekcam"].id, 75)
    # someone who holds no signing role cannot be named the signer; nothing changes
    body["seen"] = seen_on(client, f"/training/courses/{course.id}/edit")
    refused = client.post(f"/training/courses/{course.id}/edit", data={**body, "certificate_signer_id": str(
        users["asn"].id), "min_attendance": "50"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(type(course), course.id).min_attendance == 75


@pytest.mark.postgres
@pytest.mark.skipif("not __import__('os').environ.get('PLAJU_TEST_DATABASE_URL')",
                    reason="two organisers at once need PostgreSQL's row locks; SQLite serialises every writer")
def test_hr_and_the_organiser_saving_the_same_day_at_once_leave_one_row_per_participant(app, db, users,
                                                                                       classroom, enrol):
    import threading

    from plaju.accounts.models import User
    from plaju.training.models import Course
    classroom.organiser_id = users["kasi"].id
    db.session.commit()
    mine = enrol(classroom, users["asn"], "in_progress")
    barrier = threading.Barrier(2)
    errors = []

    def save(actor_id, present):
        with app.app_context():
            from plaju.extensions import db as thread_db
            course = thread_db.session.get(Course, classroom.id)
            actor = thread_db.session.get(User, actor_id)
            thread_db.session.commit()
            barrier.wait()
            try:
                attendance_service.record_day(course, course.starts_on, present, actor)
            except Exception as error:  # noqa: BLE001  (any failure fails the test below)
                errors.append(repr(error))
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=save, args=(users["hr"].id, [mine.id])),
               threading.Thread(target=save, args=(users["kasi"].id, []))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    db.session.expire_all()
    rows = db.session.scalars(select(Attendance)).all()
    assert len(rows) == 1 and rows[0].recorded_by_id in (users["hr"].id, users["kasi"].id)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "training_course.attendance", AuditEvent.outcome == "ok")) == 2


def test_hrs_inbox_reads_the_attendance_of_a_page_at_once(client, login_as, db, users, classroom, enrol, app):
    """The organiser's to-do shows whether each participant met the minimum: one statement for the page."""
    from tests.core.test_query_counts import _count

    def grow(n, start):
        for i in range(start, start + n):
            person = make_user(f"peserta{i}", supervisor=users["kasi"])
            enrolment = enrol(classroom, person, "in_progress")
            attendance_service.record_day(classroom, classroom.starts_on, [enrolment.id], users["hr"])

    grow(2, 0)
    login_as("hr")
    small = _count(app, client, "/inbox/")
    assert "Kehadiran 1 dari 3 hari (33%)" in client.get("/inbox/").get_data(as_text=True)
    grow(6, 2)
    assert _count(app, client, "/inbox/") == small


def test_a_stand_in_who_approved_the_enrolment_does_not_sign_its_certificate(db, users, classroom, enrol):
    """The Kasi approved the clerk's enrolment as direct supervisor, then as Plh Camat signed the certificate
    that credits its JP: one person decided both. Refused (four eyes) and kept out of his to-do list; the
    Camat himself, who has no one above him, still signs."""
    from plaju.accounts.models import Delegation
    from plaju.inbox.services import inbox
    enrolment = enrol(classroom, users["clerk"], "awaiting_certificate")
    enrolment.approved_by_id = users["kasi"].id
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh",
                              starts_on=today_wib(), ends_on=today_wib() + timedelta(days=1)))
    db.session.commit()
    from plaju.workflow import spec_for
    from plaju.workflow.assignments import store
    store(spec_for(enrolment), _fresh(db, enrolment))
    db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        fire(_fresh(db, enrolment), "sign_certificate", users["kasi"], expected_version=enrolment.version,
             password=PASSWORD)
    assert refused.value.code == "four_eyes" and "sertifikat" in str(refused.value.message)
    assert _refusals(db, "enrolment.sign_certificate") == 1
    groups, _delegations = inbox(users["kasi"])
    assert not [r for g in groups for r in g.rows if r.entity.id == enrolment.id
                and any(a.trigger == "sign_certificate" and not a.blocked for a in r.actions)]
    signed = fire(_fresh(db, enrolment), "sign_certificate", users["camat"], expected_version=enrolment.version,
                  password=PASSWORD)
    assert signed.state == "verified"


def test_a_certificate_is_replaced_not_revoked_alone_and_the_enrolment_takes_the_new_number(
        client, login_as, db, users, make_elearning, enrol):
    """Revoked alone, the JP stayed credited on a revoked number; replaced, the enrolment and the SIASN
    export still named the revoked one. The Camat replaces it from the enrolment's page, and a search of the
    log by the number finds the enrolment's whole history."""
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password=PASSWORD)
    old = db.session.scalars(select(Letter).where(Letter.subject_type == "training_certificate")).one()
    login_as("camat")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert 'data-testid="replace-only"' in page and f'action="/letters/{old.id}/revoke"' in page
    assert f"{old.signer_name}, {old.signed_as}" in page  # in what capacity it was signed
    alone = client.post(f"/letters/{old.id}/revoke", data={"password": PASSWORD, "reason": "salah"},
                        follow_redirects=True)
    assert "tidak dicabut begitu saja" in alone.text
    db.session.expire_all()
    assert db.session.get(Letter, old.id).status == "valid"
    signed_version = _fresh(db, enrolment).version
    replaced = client.post(f"/letters/{old.id}/revoke", data={"password": PASSWORD, "reason": "Nama salah",
                                                               "replace": "1"})
    assert replaced.status_code == 303
    db.session.expire_all()
    new = db.session.scalars(select(Letter).where(Letter.subject_type == "training_certificate",
                                                  Letter.status == "valid")).one()
    assert new.number != old.number and _fresh(db, enrolment).certificate_number == new.number
    assert _fresh(db, enrolment).jp_credited == course.jp
    assert _fresh(db, enrolment).version == signed_version + 1  # a page opened before is out of date
    # the enrolment's own history says it, and the ASN is told (the old number may be in SIASN already)
    [replaced] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.certificate_replaced"))
    assert replaced.subject_id == str(enrolment.id) and replaced.changes_dict["certificate_number"] == [
        old.number, new.number]
    from plaju.notify.models import Notification
    told = db.session.scalars(select(Notification.subject).where(Notification.user_id == users["asn"].id)).all()
    assert any(old.number in t and new.number in t for t in told)
    login_as("hr")
    found = client.get("/audit/", query_string={"code": old.number}).text
    assert "menandatangani sertifikat" in found  # the enrolment's step, not only the letter's events
    # the new number finds who replaced it, and why
    by_new = client.get("/audit/", query_string={"code": new.number}).text
    assert "mengganti sertifikat dengan yang diperbaiki" in by_new


def test_the_camat_reads_the_draft_certificate_from_his_list(client, login_as, db, users, make_elearning, enrol):
    """The documents' rows carried their draft letter; a certificate's row only "Open": signed unread in bulk."""
    enrolment = _finish_elearning(db, enrol(make_elearning(internal=True), users["asn"], "in_progress"), users["asn"])
    assert enrolment.state == "awaiting_certificate"
    login_as("camat")
    inbox = client.get("/inbox/").text
    link = f"/letters/draft/training_certificate/{enrolment.id}.pdf"
    assert link in inbox and "Draf sertifikat (PDF)" in inbox
    draft = client.get(link)
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"


def _plh(db, principal, delegate):
    from plaju.accounts.models import Delegation
    db.session.add(Delegation(principal_id=principal.id, delegate_id=delegate.id, kind="plh",
                              starts_on=today_wib(), ends_on=today_wib() + timedelta(days=1)))
    db.session.commit()


@pytest.mark.parametrize("closer", ["kasi", "hr"])
def test_whoever_attested_the_attendance_does_not_sign_its_certificate(db, users, classroom, enrol, closer):
    """The organiser ticked the attendance (and closed the course), then signed the certificate that credits
    its JP as Plh Camat: nobody else checked. Whoever closed or recorded it is refused under any authority,
    kept out of the lists, told why on the page; the Camat signs."""
    from plaju.inbox.services import inbox
    from plaju.workflow.engine import kept_out
    classroom.organiser_id = users["kasi"].id
    db.session.commit()
    enrolment = enrol(classroom, users["asn"], "in_progress")
    for day in attendance_service.course_days(classroom):
        attendance_service.record_day(classroom, day, [enrolment.id], users["kasi"])
    closing = attendance_service.close_course(_fresh(db, enrolment).course, users[closer])
    assert [e.id for e in closing.certified] == [enrolment.id]
    enrolment = _fresh(db, enrolment)
    assert enrolment.attester_ids.split(",")[0] == str(users[closer].id)
    assert str(users["kasi"].id) in enrolment.attester_ids.split(",")
    _plh(db, users["camat"], users["kasi"])
    assert not [a for a in available(enrolment, users["kasi"]) if a.trigger == "sign_certificate"]
    assert "kehadiran" in kept_out(enrolment, users["kasi"])
    with pytest.raises(NotAllowed) as refused:
        fire(enrolment, "sign_certificate", users["kasi"], expected_version=enrolment.version, password=PASSWORD)
    assert refused.value.code == "four_eyes" and "kehadiran" in str(refused.value.message)
    assert _refusals(db, "enrolment.sign_certificate") == 1
    groups, _delegations = inbox(users["kasi"])
    assert not [r for g in groups for r in g.rows if r.entity.id == enrolment.id
                and any(a.trigger == "sign_certificate" and not a.blocked for a in r.actions)]
    assert not db.session.scalar(select(Letter.id))
    signed = fire(_fresh(db, enrolment), "sign_certificate", users["camat"], expected_version=enrolment.version,
                  password=PASSWORD)
    assert signed.state == "verified"


def test_an_organiser_whose_ticks_hr_saved_over_still_attested_and_does_not_sign(db, users, classroom, enrol):
    """The organiser, also the course's named signer, recorded the days; HR saved each day again (the same
    ticks) and closed the course. Each row then named HR as its recorder, the organiser dropped out of the
    attesters and could sign the certificate of the attendance he ticked."""
    classroom.organiser_id = classroom.certificate_signer_id = users["sekcam"].id
    db.session.commit()
    enrolment = enrol(classroom, users["asn"], "in_progress")
    for day in attendance_service.course_days(classroom):
        attendance_service.record_day(classroom, day, [enrolment.id], users["sekcam"])
        attendance_service.record_day(_fresh(db, enrolment).course, day, [enrolment.id], users["hr"])
    attendance_service.close_course(_fresh(db, enrolment).course, users["hr"])
    enrolment = _fresh(db, enrolment)
    assert {str(users["hr"].id), str(users["sekcam"].id)} <= set(enrolment.attester_ids.split(","))
    with pytest.raises(NotAllowed) as refused:
        fire(enrolment, "sign_certificate", users["sekcam"], expected_version=enrolment.version, password=PASSWORD)
    assert refused.value.code == "four_eyes"


def test_the_camat_who_attested_the_attendance_leaves_the_certificate_to_his_stand_in(db, users, classroom, enrol):
    """A course saved before the form refused it: the Camat organises it and signs its certificates. Having
    recorded and closed its attendance, he is the one its to-do leaves out, and his Plh signs."""
    from plaju.workflow.models import WorkItem
    classroom.organiser_id = users["camat"].id
    db.session.commit()
    enrolment = enrol(classroom, users["asn"], "in_progress")
    for day in attendance_service.course_days(classroom):
        attendance_service.record_day(classroom, day, [enrolment.id], users["camat"])
    attendance_service.close_course(_fresh(db, enrolment).course, users["camat"])
    enrolment = _fresh(db, enrolment)
    item = db.session.scalars(select(WorkItem).where(WorkItem.entity_id == enrolment.id,
                                                     WorkItem.trigger == "sign_certificate")).one()
    assert (item.role, item.excluded_user_id) == ("camat", users["camat"].id)
    with pytest.raises(NotAllowed):
        fire(enrolment, "sign_certificate", users["camat"], expected_version=enrolment.version, password=PASSWORD)
    _plh(db, users["camat"], users["sekcam"])
    signed = fire(_fresh(db, enrolment), "sign_certificate", users["sekcam"], expected_version=enrolment.version,
                  password=PASSWORD)
    assert signed.state == "verified"


def _course_body(course, **changes) -> dict:
    body = {"title": course.title, "description": "", "kind": "teknis", "method": "pelatihan", "jp": "12",
            "provider": "Kecamatan Plaju", "quota": "5", "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60",
            "active": "y", "internal": "y", "organiser_id": "0", "certificate_signer_id": "0"}
    body.update(changes)
    return body


def test_the_course_form_refuses_an_organiser_who_would_sign_and_keeps_the_organiser_once_enrolled(
        client, login_as, db, users, make_course, enrol):
    """The Sekcam as organiser and signer, or the Camat as organiser of a course the Camat signs: one person
    would attest and sign. And the organiser changed after people enrolled."""
    course = make_course()
    login_as("hr")
    url = f"/training/courses/{course.id}/edit"
    for organiser, signer in (("sekcam", "sekcam"), ("camat", None)):
        body = _course_body(course, organiser_id=str(users[organiser].id),
                            certificate_signer_id=str(users[signer].id) if signer else "0", seen=seen_on(client, url))
        refused = client.post(url, data=body)
        assert refused.status_code == 422
        assert "menandatangani sertifikat" in refused.text and users[organiser].full_name in refused.text
    db.session.expire_all()
    assert db.session.get(type(course), course.id).organiser_id is None
    body = _course_body(course, organiser_id=str(users["sekcam"].id), seen=seen_on(client, url))
    assert client.post(url, data=body).status_code == 302
    enrol(course, users["asn"])
    body = _course_body(course, organiser_id=str(users["kasi"].id), seen=seen_on(client, url))
    refused = client.post(url, data=body)
    assert refused.status_code == 422 and "Pencatat kehadiran" in refused.text
    db.session.expire_all()
    assert db.session.get(type(course), course.id).organiser_id == users["sekcam"].id


def test_a_stand_in_kept_out_by_four_eyes_is_not_told_the_certificate_awaits_him(db, users, classroom, enrol):
    """HR attested the attendance (the work item keeps HR out) and the Kasi, Plh Camat, approved the
    enrolment: the Kasi was told "Menunggu tindakan Anda" for a certificate he may never sign."""
    from plaju.accounts.models import Delegation
    from plaju.notify.models import Notification
    from plaju.workflow import spec_for
    from plaju.workflow.assignments import store
    enrolment = enrol(classroom, users["clerk"], "awaiting_certificate")
    enrolment.approved_by_id = users["kasi"].id
    enrolment.attester_ids = str(users["hr"].id)
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh",
                              starts_on=today_wib(), ends_on=today_wib()))
    db.session.commit()
    store(spec_for(enrolment), _fresh(db, enrolment))
    db.session.commit()
    assert not db.session.scalars(select(Notification).where(
        Notification.user_id == users["kasi"].id, Notification.subject_type == "enrolment",
        Notification.subject_id == enrolment.id, Notification.todo_step.is_not(None),
        Notification.done_at.is_(None))).all()


def test_an_office_certificate_signed_in_january_counts_in_the_year_the_training_ended(db, users, make_elearning,
                                                                                         enrol):
    """Finished on 2 December, signed on 4 January: the JP went to the new year, though the page had promised
    them to the old one, and the ASN at 16 JP missed the 20 JP of the year she trained in."""
    from datetime import datetime

    from plaju.training.services.tally import jp_earned
    course = make_elearning(internal=True)
    enrolment = _finish_elearning(db, enrol(course, users["asn"], "in_progress"), users["asn"])
    last_year = today_wib().year - 1
    enrolment.completed_at = datetime(last_year, 12, 2, 3, 0)  # 10.00 WIB
    db.session.commit()
    assert enrolment.year_to_credit == last_year  # what the page promised
    enrolment = fire(_fresh(db, enrolment), "sign_certificate", users["camat"],
                     expected_version=enrolment.version, password=PASSWORD)
    assert enrolment.certificate_date == today_wib()  # the certificate is dated the day it is signed
    assert enrolment.credited_year == last_year
    assert jp_earned([users["asn"].id], last_year)[users["asn"].id] == course.jp
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.sign_certificate")
                               .order_by(AuditEvent.seq.desc())).first()
    assert f'"credited_year":[null,{last_year}]' in event.changes


def test_a_day_saved_over_says_who_was_taken_off(db, users, classroom, enrol, client, login_as):
    """Re-saved with another ASN ticked, the log read "ASN: Ajeng; Hadir: 1 -> 1": nothing said Kamaria was
    taken off the day her certificate would rest on."""
    import json
    asn2 = make_user("asn2", supervisor=users["kasi"])
    first = enrol(classroom, users["asn"], "in_progress")
    second = enrol(classroom, asn2, "in_progress")
    day = attendance_service.course_days(classroom)[0]
    attendance_service.record_day(classroom, day, [first.id], users["hr"])
    attendance_service.record_day(classroom, day, [second.id], users["hr"])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "training_course.attendance",
                                                         AuditEvent.outcome == "ok").order_by(AuditEvent.seq)).all()
    assert json.loads(events[-1].changes)["asn"] == [users["asn"].full_name, asn2.full_name]
    assert json.loads(events[-1].changes)["taken_off"] == [None, users["asn"].full_name]
    # forty on the day, each name whole (cut at 500 characters mid-name, and a title's comma read as two people)
    people = [make_user(f"peserta{n}", supervisor=users["kasi"]) for n in range(40)]
    for n, person in enumerate(people):
        person.full_name = f"Peserta Nomor {n:02d} Binti Abdurrahman, S.E."
    db.session.commit()
    many = [enrol(classroom, person, "in_progress") for person in people]
    attendance_service.record_day(classroom, day, [e.id for e in many], users["hr"])
    attendance_service.record_day(classroom, day, [e.id for e in many[1:]], users["hr"])
    last = json.loads(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "training_course.attendance").order_by(AuditEvent.seq.desc())).first().changes)
    assert last["asn"][1].split("; ") == sorted(e.user.full_name for e in many[1:])
    assert last["taken_off"] == [None, "Peserta Nomor 00 Binti Abdurrahman, S.E."]
    # two of one name: which one was taken off is said, by NIP
    for n, person in enumerate(people[:2]):
        person.full_name, person.nip = "Muhammad Rizki", f"19900101201501100{n}"
    db.session.commit()
    attendance_service.record_day(classroom, day, [many[1].id], users["hr"])
    last = json.loads(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "training_course.attendance").order_by(AuditEvent.seq.desc())).first().changes)
    assert last["asn"][1] == "Muhammad Rizki (199001012015011001)"
    assert "Muhammad Rizki (199001012015011000)" not in last["taken_off"][1]  # not present before either
    attendance_service.record_day(classroom, day, [many[0].id], users["hr"])
    last = json.loads(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "training_course.attendance").order_by(AuditEvent.seq.desc())).first().changes)
    assert last["taken_off"] == [None, "Muhammad Rizki (199001012015011001)"]
    login_as("hr")  # and HR's search of the person finds the days of her course: it was not among her history
    page = client.get("/audit/", query_string={"person": users["asn"].full_name}).text
    assert all(f'data-seq="{e.seq}"' in page for e in events), page[:3000]
    assert "Dicoret dari hari itu" in page

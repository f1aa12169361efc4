"""A step that can only be taken from a given day (`Step.ready_on`: a course's completion report from its last
day) is nobody's to-do before that day: "Perlu tindakan saya" counts and lists what can be done today. The
enrolment's page still shows the step and from when; the hourly `flask workflow ready` stores the to-do, and
tells the ASN once, on the day."""
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from plaju.database import clock_at
from plaju.inbox import services as inbox
from plaju.notify.models import Notification
from plaju.timeutil import WIB, today_wib
from plaju.training.models import Enrolment
from plaju.training.workflow.enrolment import enrolment_url
from plaju.workflow.models import WorkItem


def _utc(day, hour: int) -> datetime:
    """`hour` o'clock WIB of `day`, as the naive UTC the clock takes."""
    return datetime.combine(day, time(hour), WIB).astimezone(UTC).replace(tzinfo=None)


def _items(db, enrolment) -> set:
    return set(db.session.scalars(select(WorkItem.trigger).where(WorkItem.spec == "enrolment",
                                                                 WorkItem.entity_id == enrolment.id)))


def _todos(db, user, enrolment) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.subject_type == "enrolment",
        Notification.subject_id == enrolment.id, Notification.todo_step == "complete")))


def test_a_completion_report_waits_for_nobody_before_the_course_s_last_day(app, client, login_as, db, users,
                                                                          make_course, enrol):
    today = today_wib()
    course = make_course(title="Pelatihan Arsip Digital", starts_on=today - timedelta(days=1),
                         ends_on=today + timedelta(days=2))
    enrolment = enrol(course, users["asn"], "in_progress")
    assert _items(db, enrolment) == set()
    asn = login_as("asn")
    assert inbox.count(asn) == 0
    assert "Pelatihan Arsip Digital" not in client.get("/inbox/").text
    page = client.get(enrolment_url(enrolment)).text  # the page says what comes and from when
    assert "Penyelesaian dapat dilaporkan mulai" in page and "Laporkan selesai" in page, page
    assert _todos(db, asn, enrolment) == []

    from plaju.workflow.assignments import store_ready_today
    with clock_at(_utc(today + timedelta(days=1), 10)):  # the day before the last: still nothing
        assert store_ready_today() == 0
    assert _items(db, enrolment) == set()
    with clock_at(_utc(today + timedelta(days=2), 0)):  # the job's first run on the last day
        assert store_ready_today() == 1
        assert _items(db, enrolment) == {"complete"}
        assert inbox.count(asn) == 1
        assert store_ready_today() == 0  # again (the next hour): nothing new, nobody told twice
    told = _todos(db, asn, enrolment)
    assert len(told) == 1 and told[0].waiting
    # the title names the step: two notices of one enrolment (signed off, report it) read apart
    assert told[0].subject.startswith("Menunggu tindakan Anda (Laporkan selesai): ")
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"


def test_the_organiser_closes_attendance_from_the_course_s_last_day(db, users, make_course, enrol):
    today = today_wib()
    course = make_course(title="Bimtek Internal", internal=True, organiser_id=users["hr"].id,
                         starts_on=today, ends_on=today + timedelta(days=1), quota=None)
    enrolment = enrol(course, users["asn"], "in_progress")
    assert "attendance_met" not in _items(db, enrolment)
    from plaju.workflow.assignments import store_ready_today
    with clock_at(_utc(today + timedelta(days=1), 8)):
        store_ready_today()
        assert "attendance_met" in _items(db, enrolment)


def test_a_to_do_stored_before_this_rule_is_put_off_with_its_notice_kept_open(db, users, make_course, enrol):
    """Rows waiting since before the rule held the report's to-do and its open notice: the first hourly run
    closed that notice as "no longer yours", though it was still the ASN's to do, from the last day."""
    from plaju.workflow import started
    from plaju.workflow.assignments import store_ready_today
    today = today_wib()
    course = make_course(title="Pelatihan Lama", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=2))
    enrolment = enrol(course, users["asn"], "in_progress")
    with clock_at(_utc(today + timedelta(days=2), 9)):  # as the old rule stored it: a to-do at once
        started(db.session.get(Enrolment, enrolment.id))
        db.session.commit()
    assert _items(db, enrolment) == {"complete"} and len(_todos(db, users["asn"], enrolment)) == 1
    store_ready_today()  # today: put off again
    assert _items(db, enrolment) == set()
    [note] = _todos(db, users["asn"], enrolment)
    assert note.waiting and not note.moved_on
    with clock_at(_utc(today + timedelta(days=2), 0)):
        store_ready_today()
    assert _items(db, enrolment) == {"complete"}
    assert [n.id for n in _todos(db, users["asn"], enrolment)] == [note.id]  # told once, still open

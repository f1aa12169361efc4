"""Attendance of the courses the office runs itself: the organiser (HR, or the course's own organiser)
ticks who was present on each course day; when the course is over, the participants at or above the
course's minimum attendance go on to their certificate (the `attendance_met` step) and those below may
be marked not completed. Every refusal is audited and changes nothing."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from ...accounts.models import User
from ...audit import record as audit
from ...database import utcnow
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import wib_text
from ...timeutil import today_wib
from ...workflow import Conflict, Invalid, NotAllowed, Refused, fire
from ..models import Attendance, Course, Enrolment
from ..workflow.internal_course import attester_text
from .common import lock_course, refuse

# the participants whose attendance is recorded; the later states are shown, no longer changed
RECORDING_STATES = ("in_progress",)
SHOWN_STATES = ("in_progress", "awaiting_certificate", "verified", "not_completed")
MAX_DAYS = 60  # a course longer than this is not a classroom course whose days are ticked one by one


def course_days(course: Course) -> list[date]:
    if course.starts_on is None:
        return []
    ends = course.ends_on or course.starts_on
    count = min((ends - course.starts_on).days + 1, MAX_DAYS)
    return [course.starts_on + timedelta(days=n) for n in range(max(count, 0))]


def held_days_by_course(course_ids) -> dict[int, set[date]]:
    """For each course, the days on which anyone was recorded present (one statement)."""
    held = {}
    if course_ids:
        for course_id, day in db.session.execute(
                select(Enrolment.course_id, Attendance.day).join(Enrolment, Enrolment.id == Attendance.enrolment_id)
                .where(Enrolment.course_id.in_(list(course_ids)), Attendance.present.is_(True)).distinct()):
            held.setdefault(course_id, set()).add(day)
    return held


def held_days(course: Course) -> set[date]:
    return held_days_by_course([course.id]).get(course.id, set())


def counted_days(course: Course, held: set[date] | None = None) -> list[date]:
    """The days attendance is counted over: the course's weekdays, and a Saturday or Sunday only when the
    course met that day (someone was present: `held`). A course running Thursday to Tuesday is four days
    for everyone who came each day, not six. A course held only on a weekend counts all its days."""
    days = course_days(course)
    if all(d.weekday() >= 5 for d in days):
        return days
    if held is None:
        held = held_days(course)
    return [d for d in days if d.weekday() < 5 or d in held]


def may_record(actor, course: Course) -> bool:
    return actor.has_role("hr") or (course.organiser_id is not None and course.organiser_id == actor.id)


def _check_course(course: Course, actor) -> None:
    if not may_record(actor, course):
        raise NotAllowed(_("Only HR or the organiser of the course records its attendance."), code="role")
    if not course.internal or course.is_elearning:
        raise Invalid(_("Attendance is recorded only for classroom courses the office runs itself."),
                      code="not_internal")


def participants(course: Course) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course.id, Enrolment.state.in_(SHOWN_STATES)).order_by(Enrolment.id)))


def attendance_by_enrolment(enrolment_ids) -> dict[int, dict[date, bool]]:
    out = {i: {} for i in enrolment_ids}
    if out:
        for row in db.session.scalars(select(Attendance).where(Attendance.enrolment_id.in_(list(out)))):
            out[row.enrolment_id][row.day] = row.present
    return out


def summary(course: Course, marks: dict[date, bool], days: list[date] | None = None) -> tuple[int, int, int]:
    """(days present, days counted, percent rounded down: 79.9% is not 80%); `days` the counted_days."""
    days = counted_days(course) if days is None else days
    present = sum(1 for d in days if marks.get(d))
    return present, len(days), (100 * present // len(days)) if days else 0


def attendance_of_enrolment(enrolment: Enrolment) -> tuple[int, int, int]:
    return summary(enrolment.course, attendance_by_enrolment([enrolment.id])[enrolment.id])


def meets_minimum(course: Course, marks: dict[date, bool], days: list[date] | None = None) -> bool:
    _present, total, percent = summary(course, marks, days)
    return bool(total) and percent >= course.effective_min_attendance


def _last_save(course: Course, day: date):
    """(recorded_at, full_name) of the last save of this day, or None."""
    return db.session.execute(select(Attendance.recorded_at, User.full_name)
                              .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
                              .join(User, User.id == Attendance.recorded_by_id)
                              .where(Enrolment.course_id == course.id, Attendance.day == day)
                              .order_by(Attendance.recorded_at.desc()).limit(1)).first()


def day_stamp(course: Course, day: date | None) -> str:
    """When this day's attendance was last saved ("" never), as the page the organiser ticks saw it."""
    last = _last_save(course, day) if day is not None else None
    return last.recorded_at.isoformat() if last else ""


def _saved_since(course: Course, day: date) -> Conflict:
    row = _last_save(course, day)
    return Conflict(_("%(name)s saved the attendance of this day at %(time)s, after you opened the page. "
                      "It now shows what was saved: tick again and save.", name=row.full_name,
                      time=wib_text(row.recorded_at)), by=row.full_name, at=row.recorded_at)


def record_day(course: Course, day: date | None, present_ids, actor, seen: str | None = None) -> int:
    """Record one course day: every participant in `present_ids` present, every other participant absent.
    Returns how many were present. Refused (audited, nothing stored) for someone who may not record,
    a day outside the course or still to come, or an id that is not a participant of this course; and,
    when `seen` (day_stamp as the page showed it) is given, if someone saved the day after that: two
    tabs or two organisers must not silently undo each other's ticks."""
    course_id = course.id
    try:
        _check_course(course, actor)
        if day is None or day not in course_days(course):
            raise Invalid(_("Choose one of the course's days."), code="day")
        if day > today_wib():
            raise Invalid(_("Attendance can be recorded from the day itself, not in advance."), code="day")
        wanted = set()
        for raw in present_ids:
            text = str(raw)
            if not (text.isascii() and text.isdigit()) or len(text) > 9:
                raise Invalid(_("The list of participants is not valid."), code="participant")
            wanted.add(int(text))
        db.session.rollback()
        course = lock_course(course_id)  # two organisers saving the same day: one after the other
        recording = {e.id: e for e in participants(course) if e.state in RECORDING_STATES}
        outsiders = wanted - set(recording)
        if outsiders:
            raise Invalid(_("Attendance can be recorded only for participants of this course whose training "
                            "is in progress."), code="participant")
        # four eyes: a participant who also records (HR, the organiser) leaves their own row to another
        own = {i for i, e in recording.items() if e.user_id == actor.id}
        if own & wanted:
            raise NotAllowed(_("You do not record your own attendance: another organiser or HR records it "
                               "(four-eyes rule)."), code="four_eyes")
        recording = {i: e for i, e in recording.items() if i not in own}
        if seen is not None and day_stamp(course, day) != seen:
            raise _saved_since(course, day)
    except (Invalid, NotAllowed, Conflict) as error:
        db.session.rollback()
        refuse(error, "training_course.attendance", actor, subject_type="training_course", subject_id=course_id)
    existing = {row.enrolment_id: row for row in db.session.scalars(select(Attendance).where(
        Attendance.enrolment_id.in_(list(recording)), Attendance.day == day))}
    # who was present before: a day saved over said who was ticked, not who was taken off
    was_present = {i for i, row in existing.items() if row.present}
    now = utcnow()
    for enrolment_id in recording:
        row = existing.get(enrolment_id)
        if row is None:
            db.session.add(Attendance(enrolment_id=enrolment_id, day=day, present=enrolment_id in wanted,
                                      recorded_by_id=actor.id, recorded_at=now))
        else:
            row.present = enrolment_id in wanted
            row.recorded_by_id, row.recorded_at = actor.id, now
        # each who ever recorded a day attests it, also once another saved the day over his ticks
        enrolment = recording[enrolment_id]
        enrolment.attester_ids = attester_text([*enrolment.attester_ids.split(","), actor.id])
    # every name whole, apart by "; " (a name may hold a comma: "Siti Aminah, S.E."), two of one name told
    # apart by NIP; who was taken off said apart, by enrolment, not left for HR to find by comparing two lists
    # of forty (cut at 500 characters, mid-name, before)
    label = _labels([recording[i].user for i in recording])

    def names(ids) -> str:
        return "; ".join(sorted(label[recording[i].user.id] for i in ids))
    changes = {"day": [None, day.isoformat()], "present": [len(was_present) if existing else None, len(wanted)],
               "asn": [names(was_present) if existing else None, names(wanted)]}
    if was_present - wanted:
        changes["taken_off"] = [None, names(was_present - wanted)]
    audit.record("training_course.attendance", actor=actor, subject_type="training_course", subject_id=course.id,
                 changes=changes)
    db.session.commit()
    return len(wanted)


def _labels(people) -> dict[int, str]:
    """Each person's name, with the NIP (else the username) where two share it."""
    count: dict[str, int] = {}
    for person in people:
        count[person.full_name] = count.get(person.full_name, 0) + 1
    return {p.id: p.full_name if count[p.full_name] == 1 else f"{p.full_name} ({p.nip or p.username})"
            for p in people}


@dataclass
class Closing:
    certified: list          # enrolments now awaiting their certificate
    below: list              # enrolments below the minimum, left in progress
    marked: list             # of those, marked not completed
    refused: list            # (enrolment, message) the engine refused


def close_course(course: Course, actor, mark_below: bool = False) -> Closing:
    """After the course's last day: each participant in progress at or above the minimum attendance goes
    on to the certificate (`attendance_met`, one engine step each); those below stay in progress, or are
    marked not completed when `mark_below` (the `mark_not_completed` step, with the attendance as reason)."""
    try:
        _check_course(course, actor)
        days = course_days(course)
        if not days or today_wib() < days[-1]:
            raise Invalid(_("The course can be closed from its last day."), code="not_over")
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_course.close", actor, subject_type="training_course", subject_id=course.id)
    result = Closing([], [], [], [])
    enrolments = [e for e in participants(course) if e.state == "in_progress"]
    marks = attendance_by_enrolment([e.id for e in enrolments])
    counted = counted_days(course)
    for enrolment in enrolments:
        enough = meets_minimum(course, marks[enrolment.id], counted)
        if not enough:
            result.below.append(enrolment)
        if not enough and not mark_below:
            continue
        present, total, percent = summary(course, marks[enrolment.id], counted)
        trigger = "attendance_met" if enough else "mark_not_completed"
        comment = None if enough else _(
            "Attendance %(present)s of %(total)s days (%(percent)s%%) is below the minimum of %(minimum)s%%.",
            present=present, total=total, percent=percent, minimum=course.effective_min_attendance)
        try:
            moved = fire(enrolment, trigger, actor, expected_version=enrolment.version, comment=comment)
        except Refused as refusal:
            db.session.rollback()
            result.refused.append((enrolment, refusal.message))
            continue
        (result.certified if enough else result.marked).append(moved)
    return result


def may_close(course: Course, actor) -> bool:
    days = course_days(course)
    return may_record(actor, course) and bool(days) and today_wib() >= days[-1]


def participant_rows(course: Course, actor) -> list[dict]:
    """The attendance page's rows: each participant with their marks, totals and whether they meet the
    minimum; two statements whatever the number of participants."""
    enrolments = participants(course)
    marks = attendance_by_enrolment([e.id for e in enrolments])
    counted = counted_days(course)
    rows = []
    for enrolment in enrolments:
        present, total, percent = summary(course, marks[enrolment.id], counted)
        rows.append({"enrolment": enrolment, "marks": marks[enrolment.id], "present": present, "total": total,
                     "percent": percent, "meets": meets_minimum(course, marks[enrolment.id], counted),
                     "recording": enrolment.state in RECORDING_STATES and enrolment.user_id != actor.id,
                     "own": enrolment.user_id == actor.id})
    return rows

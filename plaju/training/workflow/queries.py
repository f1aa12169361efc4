"""Queries the enrolment's guards and the training pages share: seats, the enrolment deadline, the
course's last day and how far an ASN is through an e-learning course."""
from sqlalchemy import func, select

from ...extensions import db
from ...timeutil import today_wib
from ..models import SEAT_STATES, Course, Enrolment, ModuleProgress


def seats_taken(course_id: int, excluding: int | None = None) -> int:
    stmt = select(func.count()).select_from(Enrolment).where(
        Enrolment.course_id == course_id, Enrolment.state.in_(SEAT_STATES))
    if excluding is not None:
        stmt = stmt.where(Enrolment.id != excluding)
    return db.session.scalar(stmt) or 0


def seats_left(course: Course) -> int | None:
    """Seats still free, or None when the course has no quota."""
    if course.quota is None:
        return None
    return max(course.quota - seats_taken(course.id), 0)


def deadline_passed(course: Course) -> bool:
    return course.enrol_deadline is not None and today_wib() > course.enrol_deadline


def course_over(course: Course) -> bool:
    """The course's last day is behind us: nobody enrols any more, and the catalogue says "over" and lists
    it with the closed ones, as catalogue_query does in SQL."""
    end = course_end(course)
    return end is not None and today_wib() > end


def elearning_done(enrolment: Enrolment) -> tuple[int, int, bool]:
    """(modules done, modules in total, quiz passed or not needed)."""
    course = enrolment.course
    total = len(course.modules)
    done = db.session.scalar(select(func.count()).select_from(ModuleProgress).where(
        ModuleProgress.enrolment_id == enrolment.id)) or 0
    quiz_ok = not course.questions or (
        enrolment.quiz_score is not None and enrolment.quiz_score >= course.effective_pass_mark)
    return done, total, quiz_ok


def course_end(course):
    """The course's last day (its start when it has no end), or None when it has no dates."""
    return course.ends_on or course.starts_on


def last_day(enrolment):
    """The last day of the enrolment's course: its completion is reported from then."""
    return course_end(enrolment.course)

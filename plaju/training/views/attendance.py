"""Attendance of a course the office runs itself: one course day at a time, ticked on a phone; closing
the course sends the participants at the minimum attendance on to their certificate."""
from datetime import date

from flask import abort, flash, make_response, redirect, request, url_for

from ...audit import record as audit
from ...extensions import db
from ...htmx import render_page_or_block, trigger, wants_fragment
from ...i18n import date_text
from ...i18n import gettext as _
from ...timeutil import today_wib
from ...workflow import Refused
from ..models import Course
from ..services import attendance as attendance_service
from .common import EVENT, actor, bp


def _course(course_id: int, posting: bool = False) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not course.internal or course.is_elearning:
        abort(404)
    if not posting and not attendance_service.may_record(actor(), course):
        audit.refuse_access()  # the attendance names the participants: a refused look is recorded
    return course


def _refused(refusal):
    if refusal.status == 403:  # not theirs to record: the error page, as every refusal of authority
        abort(403, description=str(refusal.message))


def _day(raw: str | None, course: Course) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _default_day(course: Course) -> date | None:
    days = attendance_service.course_days(course)
    today = today_wib()
    past = [d for d in days if d <= today]
    return past[-1] if past else (days[0] if days else None)


def _page(course: Course, day: date | None, error: str | None = None, status: int = 200, done=None):
    days = attendance_service.course_days(course)
    return render_page_or_block(
        "training/attendance.html", "attendance", course=course, days=days, day=day, today=today_wib(),
        counted=attendance_service.counted_days(course), weekend=any(d.weekday() >= 5 for d in days),
        rows=attendance_service.participant_rows(course, actor()), error=error, done=done,
        seen=attendance_service.day_stamp(course, day),
        may_close=attendance_service.may_close(course, actor())), status


@bp.get("/courses/<int:course_id>/attendance")
def attendance(course_id: int):
    course = _course(course_id)
    day = _day(request.args.get("day"), course) if request.args.get("day") else _default_day(course)
    if day is not None and day not in attendance_service.course_days(course):
        day = _default_day(course)
    return _page(course, day)


@bp.post("/courses/<int:course_id>/attendance")
def attendance_save(course_id: int):
    course = _course(course_id, posting=True)
    day = _day(request.form.get("day"), course)
    try:
        present = attendance_service.record_day(course, day, request.form.getlist("present"), actor(),
                                                seen=request.form.get("seen", ""))  # no stamp is stale
    except Refused as refusal:
        _refused(refusal)
        db.session.expire_all()
        course = db.session.get(Course, course_id)
        return _page(course, day if day in attendance_service.course_days(course) else _default_day(course),
                     error=str(refusal.message), status=refusal.status)
    message = _("Attendance of %(day)s saved: %(n)s present.", day=date_text(day), n=present)
    if wants_fragment():
        db.session.expire_all()
        return trigger(make_response(_page(db.session.get(Course, course_id), day, done=message)[0]), EVENT)
    flash(message, "success")
    return redirect(url_for("training.attendance", course_id=course_id, day=day.isoformat()), 303)


@bp.post("/courses/<int:course_id>/attendance/close")
def attendance_close(course_id: int):
    course = _course(course_id, posting=True)
    try:
        closing = attendance_service.close_course(course, actor(), mark_below=bool(request.form.get("mark_below")))
    except Refused as refusal:
        _refused(refusal)
        db.session.expire_all()
        course = db.session.get(Course, course_id)
        return _page(course, _default_day(course), error=str(refusal.message), status=refusal.status)
    parts = [_("%(n)s participant(s) now await their certificate.", n=len(closing.certified))]
    if closing.marked:
        parts.append(_("%(n)s marked as not completed.", n=len(closing.marked)))
    elif closing.below:
        parts.append(_("%(n)s below the minimum attendance stay in progress.", n=len(closing.below)))
    for enrolment, message in closing.refused:
        parts.append(f"{enrolment.user.full_name}: {message}")
    flash(" ".join(parts), "warning" if closing.refused else "success")
    return redirect(url_for("training.attendance", course_id=course_id), 303)

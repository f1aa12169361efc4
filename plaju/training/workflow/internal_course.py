"""The end of an enrolment in a course the office runs itself (`Course.internal`): the office's own
certificate instead of evidence for HR.

Finishing its e-learning, or the organiser closing its classroom days at the minimum attendance
(`attendance_met`), leads to `awaiting_certificate`; the signer's `sign_certificate` issues the
certificate through plaju.letters (numbered, signed) and credits the JP. Here: the guards that tell the
office's courses from the others, the attendance a classroom course closes on and who attested it, the
certificate's issue and who may not sign it. The spec (enrolment.py) puts them into its steps.
"""
from sqlalchemy import select

from ...accounts.models import User
from ...extensions import db
from ...i18n import gettext as _
from .who import CERTIFICATE_SIGNER

# --- guards (side-effect free) ---------------------------------------------------------------------

def not_internal(enrolment, _actor):
    if enrolment.course.internal:
        return _("The office runs this course: its certificate is issued here, no upload is needed.")
    return None


not_internal.structural = True


def is_internal(enrolment, _actor):
    if not enrolment.course.internal:
        return _("The office does not run this course: completion is reported with its certificate.")
    return None


is_internal.structural = True


def internal_classroom(enrolment, _actor):
    course = enrolment.course
    if not course.internal or course.is_elearning:
        return _("Attendance is recorded only for classroom courses the office runs itself.")
    return None


internal_classroom.structural = True


def attendance_enough(enrolment, _actor):
    from ..services.attendance import attendance_of_enrolment, summary
    hinted = getattr(enrolment, "_inbox_hints", {}).get("attendance")  # a list page read a page's at once
    present, total, percent = (summary(enrolment.course, hinted, enrolment._inbox_hints["counted_days"])
                               if hinted is not None else attendance_of_enrolment(enrolment))
    minimum = enrolment.course.effective_min_attendance
    if not total:
        return _("The course has no dates, so no attendance can be counted.")
    if percent < minimum:
        return _("Attendance %(present)s of %(total)s days (%(percent)s%%) is below the minimum of %(minimum)s%%.",
                 present=present, total=total, percent=percent, minimum=minimum)
    return None


def prefetch_attendance(enrolments) -> None:
    """The attendance of a page's enrolments in the office's own classroom courses, for the
    `attendance_enough` guard: one statement, kept on each row beside its other hints."""
    from ..services.attendance import attendance_by_enrolment, counted_days, held_days_by_course
    classroom = [e for e in enrolments if e.course.internal and not e.course.is_elearning and e.state == "in_progress"]
    marks = attendance_by_enrolment([e.id for e in classroom])
    held = held_days_by_course({e.course_id for e in classroom})
    for e in enrolments:
        if e.id in marks:
            e._inbox_hints["attendance"] = marks[e.id]
            e._inbox_hints["counted_days"] = counted_days(e.course, held.get(e.course_id, set()))


# --- effects (inside the engine's transaction) -----------------------------------------------------

def attendance_recorded(enrolment, ctx):
    from ..models import Attendance
    from ..services.attendance import attendance_of_enrolment
    present, total, percent = attendance_of_enrolment(enrolment)
    enrolment.completed_at = ctx.now
    ctx.change("attendance", None, f"{present}/{total} ({percent}%)")
    # who attested it: the closer, then each who recorded a day, also one whose ticks another saved over
    # (record_day keeps them), so sign_certificate keeps them all out
    recorders = db.session.scalars(select(Attendance.recorded_by_id).where(Attendance.enrolment_id == enrolment.id)
                                   .order_by(Attendance.id))
    enrolment.attester_ids = attester_text([ctx.actor.id, *recorders, *enrolment.attester_ids.split(",")])


def attester_text(ids) -> str:
    """The ids as the column keeps them, each once and whole, the first ones while they fit."""
    kept = list(dict.fromkeys(str(i) for i in ids if i is not None and str(i)))
    while len(",".join(kept)) > ATTESTERS_LENGTH:
        kept.pop()
    return ",".join(kept)


ATTESTERS_LENGTH = 200  # Enrolment.attester_ids


def issue_own_certificate(enrolment, ctx):
    """The office's certificate: drawn, numbered and signed by the letters machinery in this step's
    transaction; its facts are recorded as a reported certificate's are (the step then credits the JP)."""
    from ..certificates import issue_certificate
    # the row is `verified` with a credited year (a check constraint) before the register flushes
    enrolment.credited_year = training_year(enrolment, ctx.now)
    issue_certificate(enrolment, ctx)


def training_year(enrolment, now) -> int:
    """The year an office certificate's JP count in: the training's, as its page promised while the signature
    was awaited, not the signing day's (a course finished on 2 December, signed on 4 January, counted next year
    and its ASN missed the 20 JP)."""
    from ...timeutil import to_wib
    return to_wib(enrolment.completed_at or now).year


def attesters_and_standing_in_approver(enrolment) -> list:
    """Who may not sign the office's certificate: everyone who attested the attendance it rests on, under any
    authority (the first is kept out of the lists); and the approver when only standing in for the signer,
    as for the sign-off (one who signs in their own right, the Camat, signs what he approved)."""
    kept = [int(i) for i in enrolment.attester_ids.split(",") if i]
    approver = db.session.get(User, enrolment.approved_by_id) if enrolment.approved_by_id else None
    if approver is not None and not CERTIFICATE_SIGNER(approver, enrolment):
        kept.append(approver.id)
    return kept

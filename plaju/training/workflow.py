"""The two workflows of competence development: an enrolment in a course, and the annual plan.

Enrolment: requested (by the ASN, or nominated by the supervisor) -> approved by the direct supervisor
(quota and deadline are guards; the last seat is re-counted under a lock of the course row) -> signed
off by the Camat, or by a Plh/Plt when the course is routine -> in progress -> completed with evidence
(an uploaded certificate/STTPP, or e-learning finished) -> verified by HR, which credits the JP.
Side exits: declined (reason), withdrawn, not completed.

A nomination is the supervisor's approval. Only the direct supervisor approves a request, so a request
the supervisor made themselves could otherwise be approved by its own author (no four-eyes) or, were
the nominator an owner, by nobody at all. Nominating therefore fires `approve` through the engine at
once, as the nominator (the seat and deadline guards apply, the audit trail shows the step), and the
Camat's sign-off is the second pair of eyes. An ASN without a direct supervisor cannot request
training: nobody could approve it.

A course the office runs itself (`Course.internal`) ends with the office's own certificate instead of
evidence for HR: finishing its e-learning, or the organiser closing its classroom days at the minimum
attendance, leads to `awaiting_certificate`; the signer's `sign_certificate` issues it through
plaju.letters (numbered, signed) and credits the JP.

E-learning completes itself: when the ASN finishes the last module (and passes the quiz), the service
fires `complete_elearning` (`complete_internal_elearning` for the office's own course) as that ASN.
The step's guard checks the progress, so nobody can take it early, and the audit trail shows it as the
ASN's own step with an explanatory comment.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User, UserRole
from ..audit import sentences
from ..core.urls import path_by_id
from ..database import lock_row
from ..extensions import db
from ..notify.assignments import News, register_news
from ..timeutil import today_wib
from ..workflow import Invalid, Spec, State, Step, register, roles
from ..workflow.spec import relation
from .models import SEAT_STATES, Course, Enrolment, ModuleProgress, Plan

# steps the system takes on the user's behalf; no button offers them
AUTOMATIC = frozenset({"complete_elearning", "complete_internal_elearning"})


# --- queries the guards and the views share ------------------------------------------------------

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


def elearning_done(enrolment: Enrolment) -> tuple[int, int, bool]:
    """(modules done, modules in total, quiz passed or not needed)."""
    course = enrolment.course
    total = len(course.modules)
    done = db.session.scalar(select(func.count()).select_from(ModuleProgress).where(
        ModuleProgress.enrolment_id == enrolment.id)) or 0
    quiz_ok = not course.questions or (
        enrolment.quiz_score is not None and enrolment.quiz_score >= course.effective_pass_mark)
    return done, total, quiz_ok


# --- who ------------------------------------------------------------------------------------------

def _active_supervisor_id(enrolment) -> int | None:
    """The enrolled ASN's direct supervisor while that person is active; None once they have left."""
    supervisor = enrolment.user.supervisor if enrolment.user is not None else None
    return supervisor.id if supervisor is not None and supervisor.active else None


def _is_supervisor(user, enrolment) -> bool:
    return _active_supervisor_id(enrolment) == user.id


def _no_active_supervisor(enrolment) -> bool:
    return enrolment.user is not None and _active_supervisor_id(enrolment) is None


def _is_enrolled(user, enrolment) -> bool:
    return enrolment.user_id == user.id


def _supervisor_label(enrolment) -> str | None:
    supervisor = enrolment.user.supervisor if enrolment.user else None
    if supervisor is None:
        return _("direct supervisor")
    if not supervisor.active:
        return None  # HR stands in (SUPERVISOR_OR_HR)
    return _("direct supervisor (%(name)s)", name=supervisor.full_name)


def _enrolled_label(enrolment) -> str:
    return _("the ASN (%(name)s)", name=enrolment.user.full_name) if enrolment.user else _("the ASN")


# The direct supervisor decides while they are active. When they leave (account deactivated) and nobody
# has been named in their place, HR (Kepegawaian) decides instead: HR keeps the people records and is the
# one desk that can also name the new supervisor; `accounts.people.save_user` refreshes the assignments
# (refresh_assignments_for_user), so open requests move to HR at once and on to the new supervisor later.
DIRECT_SUPERVISOR = relation(_is_supervisor, "direct supervisor of the enrolled ASN",
                             names=lambda e: [_active_supervisor_id(e)], label=_supervisor_label)
SUPERVISOR_OR_HR = DIRECT_SUPERVISOR | roles("hr").when(
    _no_active_supervisor, "the enrolled ASN has no active direct supervisor",
    label=lambda e: _("HR (Kepegawaian), the direct supervisor has left") if _no_active_supervisor(e) else None)
ENROLLED_ASN = relation(_is_enrolled, "the enrolled ASN", names=lambda e: [e.user_id], label=_enrolled_label)
# each sign-off step names who waits only for the courses it applies to
CAMAT_ROUTINE = roles("camat").when(lambda e: e.course.routine, "routine course",
                                    label=lambda e: _("Camat or Plh/Plt Camat") if e.course.routine else None)
CAMAT_SPECIAL = roles("camat").when(lambda e: not e.course.routine, "non-routine course",
                                    label=lambda e: None if e.course.routine else _("Camat"))
HR = roles("hr")


def _is_organiser(user, enrolment) -> bool:
    return enrolment.course.organiser_id is not None and enrolment.course.organiser_id == user.id


def _signer_label(enrolment) -> str | None:
    signer = enrolment.course.certificate_signer
    return None if signer is None else _("certificate signer (%(name)s)", name=signer.full_name)


# A course the office runs itself: HR or the course's own organiser records attendance and closes it;
# its certificates are signed by the official the course names, else by the Camat (or his Plh/Plt).
ORGANISER = HR | relation(_is_organiser, "organiser of the course",
                          names=lambda e: [e.course.organiser_id],
                          label=lambda e: _("organiser (%(name)s)", name=e.course.organiser.full_name)
                          if e.course.organiser is not None else None)
CERTIFICATE_SIGNER = roles("camat").when(
    lambda e: e.course.certificate_signer_id is None, "the course names no other certificate signer",
    label=lambda e: _("Camat") if e.course.certificate_signer_id is None else None) | relation(
    lambda u, e: e.course.certificate_signer_id is not None and e.course.certificate_signer_id == u.id,
    "the certificate signer the course names", names=lambda e: [e.course.certificate_signer_id],
    label=_signer_label)


# --- guards (side-effect free) ---------------------------------------------------------------------

def _deadline_open(enrolment, _actor):
    if deadline_passed(enrolment.course):
        return _("The enrolment deadline of this course has passed.")
    return None


def _seat_free(enrolment, _actor):
    course = enrolment.course
    if course.quota is None:
        return None
    # a list page counted the seats of all its rows at once (_prefetch_seats); fire() drops that hint
    taken = getattr(enrolment, "_inbox_hints", {}).get("seats_taken")
    if taken is None:
        taken = seats_taken(course.id, excluding=enrolment.id)
    if taken >= course.quota:
        return _("The course is full: no seats are left.")
    return None


def _prefetch_seats(enrolments) -> None:
    """Seats taken per course for a page of enrolments in one grouped count, and the attendance of the
    office's own classroom courses in one more, kept on each row."""
    course_ids = {e.course_id for e in enrolments}
    if not course_ids:
        return
    counts = dict(db.session.execute(
        select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(course_ids),
                                                        Enrolment.state.in_(SEAT_STATES))
        .group_by(Enrolment.course_id)).all())
    # the attendance of the office's own classroom courses, for the `attendance_met` guard: one statement
    from .services.attendance import attendance_by_enrolment
    marks = attendance_by_enrolment([e.id for e in enrolments if e.course.internal and not e.course.is_elearning
                                     and e.state == "in_progress"])
    for e in enrolments:
        e._inbox_hints = {"seats_taken": counts.get(e.course_id, 0) - (e.state in SEAT_STATES)}
        if e.id in marks:
            e._inbox_hints["attendance"] = marks[e.id]


def _not_elearning(enrolment, _actor):
    if enrolment.course.is_elearning:
        return _("An e-learning course is completed by finishing its modules and quiz.")
    return None


_not_elearning.structural = True  # depends only on the kind of course: no button, no assignment


def course_end(course):
    """The course's last day (its start when it has no end), or None when it has no dates."""
    return course.ends_on or course.starts_on


def _course_over(enrolment, _actor):
    """Completion is reported once the course has happened: from its last day."""
    end = course_end(enrolment.course)
    if end is not None and today_wib() < end:
        from .evidence import day
        return _("Completion can be reported from %(date)s, the last day of the course.", date=day(end))
    return None


def _is_elearning(enrolment, _actor):
    if not enrolment.course.is_elearning:
        return _("This course is not an e-learning course.")
    return None


_is_elearning.structural = True  # depends only on the kind of course: no button, no assignment


def _elearning_finished(enrolment, _actor):
    if not enrolment.course.modules:
        return _("This e-learning course has no modules yet.")
    done, total, quiz_ok = elearning_done(enrolment)
    if done < total:
        return _("%(done)s of %(total)s modules are done; finish every module first.", done=done, total=total)
    if not quiz_ok:
        return _("Pass the quiz first (pass mark %(mark)s%%).", mark=enrolment.course.effective_pass_mark)
    return None


def _not_internal(enrolment, _actor):
    if enrolment.course.internal:
        return _("The office runs this course: its certificate is issued here, no upload is needed.")
    return None


_not_internal.structural = True


def _is_internal(enrolment, _actor):
    if not enrolment.course.internal:
        return _("The office does not run this course: completion is reported with its certificate.")
    return None


_is_internal.structural = True


def _internal_classroom(enrolment, _actor):
    course = enrolment.course
    if not course.internal or course.is_elearning:
        return _("Attendance is recorded only for classroom courses the office runs itself.")
    return None


_internal_classroom.structural = True


def _attendance_enough(enrolment, _actor):
    from .services.attendance import attendance_of_enrolment, summary
    hinted = getattr(enrolment, "_inbox_hints", {}).get("attendance")  # a list page read a page's at once
    present, total, percent = (summary(enrolment.course, hinted) if hinted is not None
                               else attendance_of_enrolment(enrolment))
    minimum = enrolment.course.effective_min_attendance
    if not total:
        return _("The course has no dates, so no attendance can be counted.")
    if percent < minimum:
        return _("Attendance %(present)s of %(total)s days (%(percent)s%%) is below the minimum of %(minimum)s%%.",
                 present=present, total=total, percent=percent, minimum=minimum)
    return None


# --- effects (inside the engine's transaction) -----------------------------------------------------

def _take_seat(enrolment, ctx):
    """Re-count the seats while holding the course row, so two approvals of the last seat at the same
    moment are decided one after the other: the second sees the first and is refused."""
    course = lock_row(Course, enrolment.course_id)
    if course.quota is not None and seats_taken(course.id, excluding=enrolment.id) >= course.quota:
        raise Invalid(_("The course is full: no seats are left."), code="full")
    ctx.change("approved_by_id", enrolment.approved_by_id, ctx.actor.id)
    enrolment.approved_by_id = ctx.actor.id


def _record_signer(enrolment, ctx):
    ctx.change("signed_by_id", enrolment.signed_by_id, ctx.actor.id)
    enrolment.signed_by_id = ctx.actor.id


def _attach_evidence(enrolment, ctx):
    """The certificate's facts must fit the course and the file must be a readable, printed page."""
    from .evidence import check_certificate, check_readable
    stored = ctx.data.get("evidence")
    if stored is None:
        raise Invalid(_("Upload the certificate or STTPP as evidence."), code="evidence")
    certificate = check_certificate(enrolment.course, ctx.data.get("certificate") or {}, today_wib())
    check_readable(stored.name, stored.mime)
    record_certificate(enrolment, certificate, ctx)
    old = enrolment.evidence_name
    ctx.change("evidence", enrolment.evidence_original, stored.original_name)
    enrolment.evidence_name = stored.name
    enrolment.evidence_original = stored.original_name
    enrolment.evidence_mime = stored.mime
    enrolment.evidence_sha256 = stored.sha256
    enrolment.completed_at = ctx.now
    if old and old != stored.name:
        from ..uploads import discard
        ctx.after_commit.append(lambda: discard(old))


def record_certificate(enrolment, certificate, ctx=None):
    for name in ("number", "date", "issuer", "jp"):
        value = getattr(certificate, name)
        if ctx is not None:
            ctx.change(f"certificate_{name}", getattr(enrolment, f"certificate_{name}"), value)
        setattr(enrolment, f"certificate_{name}", value)


def _finish_elearning(enrolment, ctx):
    enrolment.completed_at = ctx.now
    ctx.change("quiz_score", None, enrolment.quiz_score)


def _attendance_recorded(enrolment, ctx):
    from .services.attendance import attendance_of_enrolment
    present, total, percent = attendance_of_enrolment(enrolment)
    enrolment.completed_at = ctx.now
    ctx.change("attendance", None, f"{present}/{total} ({percent}%)")


def _issue_certificate(enrolment, ctx):
    """The office's certificate: drawn, numbered and signed by the letters machinery in this step's
    transaction; its facts are recorded as a reported certificate's are, and the JP credited."""
    from ..timeutil import to_wib
    from .certificates import issue_certificate
    # the row is `verified` with a credited year (a check constraint) before the register flushes
    enrolment.credited_year = to_wib(ctx.now).year
    issue_certificate(enrolment, ctx)
    _credit_jp(enrolment, ctx)


def _credit_jp(enrolment, ctx):
    from ..timeutil import to_wib
    # the year the certificate dates the training, else the year it was completed; the JP as printed
    # (never above the course's: checked when reported), else the course's
    year = (enrolment.certificate_date.year if enrolment.certificate_date
            else to_wib(enrolment.completed_at or ctx.now).year)
    jp = enrolment.certificate_jp if enrolment.certificate_jp is not None else enrolment.course.jp
    enrolment.jp_credited = min(jp, enrolment.course.jp) if enrolment.course.jp else jp
    enrolment.credited_year = year
    enrolment.verified_by_id = ctx.actor.id
    enrolment.verified_at = ctx.now
    ctx.change("jp_credited", 0, enrolment.jp_credited)
    ctx.change("credited_year", None, year)


_enrolment_path = path_by_id("training.enrolment", "enrolment_id")
_plan_path = path_by_id("training.plan", "plan_id")


def enrolment_url(enrolment) -> str:
    """The local path of the enrolment's page, also outside a request (CLI, demo data)."""
    return _enrolment_path(enrolment.id)


def plan_url(plan) -> str:
    return _plan_path(plan.id)


ENROLMENT_STATES = [
    State("requested", _l("Requested"), clock=True, tone="neutral"),
    State("approved", _l("Approved by supervisor"), clock=True, tone="info"),
    State("in_progress", _l("In progress"), tone="info"),
    State("completed", _l("Completed, awaiting verification"), clock=True, tone="warning"),
    State("awaiting_certificate", _l("Completed, certificate awaiting signature"), clock=True, tone="info"),
    State("verified", _l("Verified, JP credited"), terminal=True, tone="success"),
    State("declined", _l("Declined"), terminal=True, tone="danger"),
    State("withdrawn", _l("Withdrawn"), terminal=True, tone="neutral"),
    State("not_completed", _l("Not completed"), terminal=True, tone="danger"),
]

ENROLMENT_FLOW = register(Spec(
    name="enrolment", model=Enrolment, initial="requested", states=ENROLMENT_STATES,
    steps=[
        Step("approve", "requested", "approved", _l("Approve"), who=SUPERVISOR_OR_HR, four_eyes=True,
             guards=(_deadline_open, _seat_free), effect=_take_seat, style="success",
             bulk=True),
        Step("decline", "requested", "declined", _l("Decline"), who=SUPERVISOR_OR_HR, four_eyes=True,
             comment_required=True, style="danger"),
        Step("sign_off", "approved", "in_progress", _l("Sign off"), who=CAMAT_SPECIAL, four_eyes=True,
             effect=_record_signer, style="success", bulk=True),
        Step("sign_off_routine", "approved", "in_progress", _l("Sign off (routine course)"),
             who=CAMAT_ROUTINE, four_eyes=True, delegable=True, effect=_record_signer, style="success",
             bulk=True),
        Step("refuse_sign_off", "approved", "declined", _l("Decline sign-off"), who=roles("camat"),
             four_eyes=True, comment_required=True, style="danger"),
        Step("complete", "in_progress", "completed", _l("Report completion"), who=ENROLLED_ASN,
             guards=(_not_elearning, _not_internal, _course_over), effect=_attach_evidence,
             form=("certificate", "upload"), row_form=False),
        Step("complete_elearning", "in_progress", "completed", _l("E-learning finished"), who=ENROLLED_ASN,
             guards=(_is_elearning, _not_internal, _elearning_finished), effect=_finish_elearning,
             # the ASN's to-do (the page shows what is left), taken by the system when the last part is done:
             # listed, never a button, and the sign-off's news already tells the ASN
             notify=False, row_form=False),
        # the office's own e-learning: finishing it makes the certificate the signer's to-do
        Step("complete_internal_elearning", "in_progress", "awaiting_certificate", _l("E-learning finished"),
             who=ENROLLED_ASN, guards=(_is_elearning, _is_internal, _elearning_finished),
             effect=_finish_elearning, notify=False, row_form=False),
        # the office's own classroom course: the organiser closes it at the minimum attendance
        Step("attendance_met", "in_progress", "awaiting_certificate", _l("Attendance met: issue the certificate"),
             who=ORGANISER, four_eyes=True, guards=(_internal_classroom, _course_over, _attendance_enough),
             effect=_attendance_recorded, style="success", notify=False),
        Step("sign_certificate", "awaiting_certificate", "verified", _l("Sign the certificate"),
             who=CERTIFICATE_SIGNER, reauth=True, four_eyes=True, delegable=True, effect=_issue_certificate,
             style="success", bulk=True),
        Step("verify", "completed", "verified", _l("Verify and credit JP"), who=HR, four_eyes=True,
             effect=_credit_jp, style="success"),
        Step("return_evidence", "completed", "in_progress", _l("Return the evidence"), who=HR,
             four_eyes=True, comment_required=True, style="warning"),
        Step("withdraw", ("requested", "approved", "in_progress"), "withdrawn", _l("Withdraw"),
             who=ENROLLED_ASN, style="outline-danger", todo=False, form=("confirm",), row_form=False,
             consequence=_l("Withdrawing ends this enrolment for good: your seat is given up and cannot be "
                            "taken back; to join the course again you must enrol anew.")),
        Step("mark_not_completed", "in_progress", "not_completed", _l("Mark as not completed"),
             who=HR | DIRECT_SUPERVISOR | ORGANISER, four_eyes=True, comment_required=True, style="danger",
             todo=False),
    ],
    owners=lambda e: {e.user_id},
    describe=lambda e: f"{e.course.title} / {e.user.full_name}",
    url=enrolment_url, owner_attr="user_id", kind_label=_l("Training enrolments"),
    summary=lambda e: {"code": f"#{e.id}", "type": e.course.title, "name": e.user.full_name},
    prefetch=lambda rows: _prefetch_seats(rows),
))


# --- the annual plan ---------------------------------------------------------------------------------

def _plan_has_items(plan, _actor):
    if not plan.items:
        return _("The plan has no planned activities yet.")
    return None


def _record_approval(plan, ctx):
    plan.approved_by_id = ctx.actor.id
    plan.approved_at = ctx.now
    ctx.change("approved_by_id", None, ctx.actor.id)
    if plan.amends_id:
        previous = db.session.get(Plan, plan.amends_id)
        ctx.change("supersedes", None, previous.id)
        previous.superseded_by_id = plan.id


def _keep_notes(plan, ctx):
    ctx.change("notes", plan.notes, ctx.comment)
    plan.notes = ctx.comment or ""


PLAN_STATES = [
    State("draft", _l("Draft"), tone="neutral"),
    State("submitted", _l("Submitted to the Camat"), clock=True, tone="info"),
    State("returned", _l("Returned with notes"), tone="warning"),
    State("approved", _l("Approved"), terminal=True, tone="success"),
    State("cancelled", _l("Cancelled"), terminal=True, tone="neutral"),
]

PLAN_FLOW = register(Spec(
    name="training_plan", model=Plan, initial="draft", states=PLAN_STATES,
    steps=[
        Step("submit", ("draft", "returned"), "submitted", _l("Submit to the Camat"), who=HR,
             guards=(_plan_has_items,)),
        Step("approve", "submitted", "approved", _l("Approve the plan"), who=roles("camat"), reauth=True,
             four_eyes=True, effect=_record_approval, style="success", bulk=True),
        Step("return", "submitted", "returned", _l("Return with notes"), who=roles("camat"),
             comment_required=True, four_eyes=True, effect=_keep_notes, style="warning"),
        Step("cancel", ("draft", "returned"), "cancelled", _l("Cancel the draft"), who=HR, style="secondary",
             todo=False),
    ],
    owners=lambda p: {p.created_by_id} if p.created_by_id else set(),
    describe=lambda p: f"{p.unit.name} {p.year} rev. {p.revision}",
    url=plan_url, owner_attr="created_by_id", kind_label=_l("Annual training plans"),
    summary=lambda p: {"code": f"{p.year} rev. {p.revision}", "type": _("Annual training plan"),
                       "name": p.unit.name},
    inbox_options=(selectinload(Plan.items),),
))


# how the history and the audit list say what happened (plaju.audit.sentences)
sentences.describe_actions({
    "enrolment.request": _l("requested a place on the course"),
    "enrolment.nominate": _l("nominated an ASN for the course"),
    "enrolment.approve": _l("approved the enrolment"),
    "enrolment.decline": _l("declined the enrolment"),
    "enrolment.sign_off": _l("signed off the enrolment"),
    "enrolment.sign_off_routine": _l("signed off the enrolment (routine course)"),
    "enrolment.refuse_sign_off": _l("declined the sign-off"),
    "enrolment.complete": _l("reported the course completed"),
    "enrolment.complete_elearning": _l("finished the e-learning"),
    "enrolment.complete_internal_elearning": _l("finished the e-learning"),
    "enrolment.attendance_met": _l("closed the course at the minimum attendance"),
    "enrolment.sign_certificate": _l("signed the certificate"),
    "training_course.attendance": _l("recorded attendance"),
    "training_course.close": _l("closed the course's attendance"),
    "enrolment.verify": _l("verified the completion and credited the JP"),
    "enrolment.return_evidence": _l("returned the evidence"),
    "enrolment.withdraw": _l("withdrew from the course"),
    "enrolment.mark_not_completed": _l("marked the course as not completed"),
    "enrolment.module_done": _l("finished a module"),
    "enrolment.quiz": _l("took the quiz"),
    "enrolment.report_external": _l("reported training outside the catalogue"),
    "training_course.create": _l("added a course to the catalogue"),
    "training_course.update": _l("changed a course"),
    "training_course.module_add": _l("added a module"),
    "training_course.question_add": _l("added a quiz question"),
    "training_plan.create": _l("drafted the plan"),
    "training_plan.submit": _l("submitted the plan to the Camat"),
    "training_plan.approve": _l("approved the plan"),
    "training_plan.return": _l("returned the plan with notes"),
    "training_plan.cancel": _l("cancelled the draft plan"),
    "training_plan.amend": _l("started an amendment of the plan"),
    "training_plan.item_add": _l("added a planned activity"),
    "training_plan.item_remove": _l("removed a planned activity"),
})
sentences.describe_fields({
    "approved_by_id": _l("Approved by"), "signed_by_id": _l("Signed off by"), "evidence": _l("Evidence"),
    "quiz_score": _l("Quiz score"), "attempt": _l("This attempt"), "jp_credited": _l("JP credited"),
    "credited_year": _l("Year credited"), "notes": _l("Notes"), "supersedes": _l("Replaces plan"),
    "course": _l("Course"), "asn": _l("ASN"), "module": _l("Module"), "question": _l("Question"),
    "items": _l("Planned activities"), "item": _l("Planned activity"), "amends": _l("Amends plan"),
    "title": _l("Title"), "certificate_number": _l("Certificate number"),
    "certificate_date": _l("Date on the certificate"), "certificate_issuer": _l("Issued by"),
    "certificate_jp": _l("JP as printed"),
    "attendance": _l("Attendance"), "day": _l("Day"), "present": _l("Present"),
}, users=("approved_by_id", "signed_by_id"))


def _numbers(ids) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def _enrolment_names(ids) -> dict:
    rows = db.session.execute(
        select(Enrolment.id, Course.title, User.full_name).join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id).where(Enrolment.id.in_(_numbers(ids))))
    return {str(i): f"{title} · {name}" for i, title, name in rows}


def _plan_names(ids) -> dict:
    from ..accounts.models import Unit
    rows = db.session.execute(select(Plan.id, Unit.name, Plan.year, Plan.revision)
                              .join(Unit, Unit.id == Plan.unit_id).where(Plan.id.in_(_numbers(ids))))
    return {str(i): _("Plan %(unit)s %(year)s", unit=unit, year=year) + (f" (rev. {rev})" if rev > 1 else "")
            for i, unit, year, rev in rows}


def _course_names(ids) -> dict:
    rows = db.session.execute(select(Course.id, Course.title).where(Course.id.in_(_numbers(ids))))
    return {str(i): title for i, title in rows}


sentences.describe_subjects("enrolment", _enrolment_names)
sentences.describe_subjects("training_plan", _plan_names)
sentences.describe_subjects("training_course", _course_names)


def _about_people(user_ids) -> list:
    """The training objects whose subject is one of these ASN: their enrolments, and the plans that
    name them in a planned activity (one statement)."""
    from sqlalchemy import literal, union_all

    from .models import PlanItem
    ids = [int(i) for i in user_ids]
    if not ids:
        return []
    rows = db.session.execute(union_all(
        select(literal("enrolment"), Enrolment.id).where(Enrolment.user_id.in_(ids)),
        select(literal("training_plan"), PlanItem.plan_id).where(PlanItem.user_id.in_(ids)).distinct()))
    return sorted({(kind, str(ident)) for kind, ident in rows})


# /audit/ finds an ASN's training events when HR searches the person (as subject, not only as actor)
sentences.describe_search("person", _about_people)
# --- what people are told after each step (to-dos come from the assignments) ---------------------

def _the_asn(enrolment):
    return [enrolment.user]


def _hr_staff(_plan):
    return db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "hr", User.active.is_(True)).order_by(User.id)).all()


register_news(
    "enrolment", _l("Training enrolment"),
    item=lambda e: f"{e.course.title} ({e.user.full_name})",
    params=lambda e: {"title": e.course.title, "jp": e.course.jp},
    news={
        "approve": News(_the_asn, _l("Your enrolment in %(title)s was approved by your supervisor")),
        "decline": News(_the_asn, _l("Your enrolment in %(title)s was declined by your supervisor: "
                                     "%(reason)s")),
        "sign_off": News(_the_asn, _l("Your enrolment in %(title)s was signed off by the Camat")),
        "sign_off_routine": News(_the_asn, _l("Your enrolment in %(title)s was signed off by the Camat")),
        "refuse_sign_off": News(_the_asn, _l("The Camat declined your enrolment in %(title)s: %(reason)s")),
        "verify": News(_the_asn, _l("Your %(jp)s JP for %(title)s have been recorded")),
        "sign_certificate": News(_the_asn, _l("Your certificate for %(title)s is signed and %(jp)s JP recorded")),
        "return_evidence": News(_the_asn, _l("HR returned your evidence for %(title)s: %(reason)s")),
        "mark_not_completed": News(_the_asn, _l("Your training %(title)s was marked as not completed: "
                                                "%(reason)s")),
    })

register_news(
    "training_plan", _l("Competence development plan"),
    item=lambda p: f"{p.unit.name} {p.year} rev. {p.revision}",
    params=lambda p: {"title": f"{p.unit.name} {p.year} rev. {p.revision}"},
    news={
        "approve": News(_hr_staff, _l("The Camat approved the competence development plan %(title)s")),
        "return": News(_hr_staff, _l("The Camat returned the competence development plan %(title)s: "
                                     "%(reason)s")),
    })


# competences, plan exports and the training history (services.competences, services.history)
sentences.describe_actions({
    "training_course.targets": _l("set the competences, positions and fee of a course"),
    "training_plan.export": _l("downloaded the plan"),
    "training_history.export": _l("downloaded a training history"),
})

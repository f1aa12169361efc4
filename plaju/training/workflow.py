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

E-learning completes itself: when the ASN finishes the last module (and passes the quiz), the service
fires `complete_elearning` as that ASN. The step's guard checks the progress, so nobody can take it
early, and the audit trail shows it as the ASN's own step with an explanatory comment.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User, UserRole
from ..database import is_postgres
from ..extensions import db
from ..timeutil import today_wib
from ..workflow import Invalid, Spec, State, Step, register, roles
from ..workflow.spec import relation
from .models import SEAT_STATES, Course, Enrolment, ModuleProgress, Plan

# steps the system takes on the user's behalf; no button offers them
AUTOMATIC = frozenset({"complete_elearning"})


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

def _is_supervisor(user, enrolment) -> bool:
    return enrolment.user is not None and enrolment.user.supervisor_id == user.id


def _is_enrolled(user, enrolment) -> bool:
    return enrolment.user_id == user.id


DIRECT_SUPERVISOR = relation(_is_supervisor, "direct supervisor of the enrolled ASN",
                             names=lambda e: [e.user.supervisor_id if e.user is not None else None])
ENROLLED_ASN = relation(_is_enrolled, "the enrolled ASN", names=lambda e: [e.user_id])
CAMAT_ROUTINE = roles("camat").when(lambda e: e.course.routine, "routine course")
CAMAT_SPECIAL = roles("camat").when(lambda e: not e.course.routine, "non-routine course")
HR = roles("hr")


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
    """Seats taken per course for a page of enrolments in one grouped count, kept on each row."""
    course_ids = {e.course_id for e in enrolments}
    if not course_ids:
        return
    counts = dict(db.session.execute(
        select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(course_ids),
                                                        Enrolment.state.in_(SEAT_STATES))
        .group_by(Enrolment.course_id)).all())
    for e in enrolments:
        e._inbox_hints = {"seats_taken": counts.get(e.course_id, 0) - (e.state in SEAT_STATES)}


def _url(endpoint: str, **values) -> str:
    from flask import url_for
    return url_for(endpoint, **values)


def _not_elearning(enrolment, _actor):
    if enrolment.course.is_elearning:
        return _("An e-learning course is completed by finishing its modules and quiz.")
    return None


_not_elearning.structural = True  # depends only on the kind of course: no button, no assignment


def _elearning_finished(enrolment, _actor):
    if not enrolment.course.is_elearning:
        return _("This course is not an e-learning course.")
    if not enrolment.course.modules:
        return _("This e-learning course has no modules yet.")
    done, total, quiz_ok = elearning_done(enrolment)
    if done < total:
        return _("%(done)s of %(total)s modules are done; finish every module first.", done=done, total=total)
    if not quiz_ok:
        return _("Pass the quiz first (pass mark %(mark)s%%).", mark=enrolment.course.effective_pass_mark)
    return None


# --- effects (inside the engine's transaction) -----------------------------------------------------

def _take_seat(enrolment, ctx):
    """Re-count the seats while holding the course row, so two approvals of the last seat at the same
    moment are decided one after the other: the second sees the first and is refused."""
    stmt = select(Course).where(Course.id == enrolment.course_id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update()
    course = db.session.scalars(stmt).one()
    if course.quota is not None and seats_taken(course.id, excluding=enrolment.id) >= course.quota:
        raise Invalid(_("The course is full: no seats are left."), code="full")
    ctx.change("approved_by_id", enrolment.approved_by_id, ctx.actor.id)
    enrolment.approved_by_id = ctx.actor.id


def _record_signer(enrolment, ctx):
    ctx.change("signed_by_id", enrolment.signed_by_id, ctx.actor.id)
    enrolment.signed_by_id = ctx.actor.id


def _attach_evidence(enrolment, ctx):
    stored = ctx.data.get("evidence")
    if stored is None:
        raise Invalid(_("Upload the certificate or STTPP as evidence."), code="evidence")
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


def _finish_elearning(enrolment, ctx):
    enrolment.completed_at = ctx.now
    ctx.change("quiz_score", None, enrolment.quiz_score)


def _credit_jp(enrolment, ctx):
    from ..timeutil import to_wib
    year = to_wib(enrolment.completed_at or ctx.now).year
    enrolment.jp_credited = enrolment.course.jp
    enrolment.credited_year = year
    enrolment.verified_by_id = ctx.actor.id
    enrolment.verified_at = ctx.now
    ctx.change("jp_credited", 0, enrolment.jp_credited)
    ctx.change("credited_year", None, year)


def users_with_role(role: str):
    return db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == role, User.active.is_(True)))


def enrolment_url(enrolment) -> str:
    """The local path of the enrolment's page, also outside a request (CLI, demo data)."""
    from flask import current_app, has_request_context, url_for
    if has_request_context():
        return url_for("training.enrolment", enrolment_id=enrolment.id)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build("training.enrolment", {"enrolment_id": enrolment.id})


def _notify_next(enrolment, step, _from_state, ctx):
    """Tell the person who acts next (or the ASN) what happened; the e-mail goes after the commit."""
    from ..notify.service import deliver_pending, notify
    url = enrolment_url(enrolment)
    title = enrolment.course.title
    notes = []
    if enrolment.state == "approved":
        for camat in users_with_role("camat"):
            notes.append(notify(camat, _("Training awaits your sign-off: %(title)s", title=title), url=url))
    if enrolment.state == "completed":
        for hr in users_with_role("hr"):
            notes.append(notify(hr, _("Training evidence to verify: %(title)s", title=title), url=url))
    if ctx.actor.id != enrolment.user_id:
        notes.append(notify(enrolment.user, _("%(step)s: %(title)s", step=step.label, title=title), url=url))
    if any(notes):  # e-mail them once the step is committed, not only at the next SLA sweep
        ctx.after_commit.append(deliver_pending)


ENROLMENT_STATES = [
    State("requested", _l("Requested"), clock=True),
    State("approved", _l("Approved by supervisor"), clock=True),
    State("in_progress", _l("In progress")),
    State("completed", _l("Completed, awaiting verification"), clock=True),
    State("verified", _l("Verified, JP credited"), terminal=True),
    State("declined", _l("Declined"), terminal=True),
    State("withdrawn", _l("Withdrawn"), terminal=True),
    State("not_completed", _l("Not completed"), terminal=True),
]

ENROLMENT_FLOW = register(Spec(
    name="enrolment", model=Enrolment, initial="requested", states=ENROLMENT_STATES,
    steps=[
        Step("approve", "requested", "approved", _l("Approve"), who=DIRECT_SUPERVISOR, four_eyes=True,
             guards=(_deadline_open, _seat_free), effect=_take_seat, style="success",
             bulk=True),
        Step("decline", "requested", "declined", _l("Decline"), who=DIRECT_SUPERVISOR, four_eyes=True,
             comment_required=True, style="danger"),
        Step("sign_off", "approved", "in_progress", _l("Sign off"), who=CAMAT_SPECIAL, four_eyes=True,
             effect=_record_signer, style="success", bulk=True),
        Step("sign_off_routine", "approved", "in_progress", _l("Sign off (routine course)"),
             who=CAMAT_ROUTINE, four_eyes=True, delegable=True, effect=_record_signer, style="success",
             bulk=True),
        Step("refuse_sign_off", "approved", "declined", _l("Decline sign-off"), who=roles("camat"),
             four_eyes=True, comment_required=True, style="danger"),
        Step("complete", "in_progress", "completed", _l("Report completion"), who=ENROLLED_ASN,
             guards=(_not_elearning,), effect=_attach_evidence, row_form=False),
        Step("complete_elearning", "in_progress", "completed", _l("E-learning finished"), who=ENROLLED_ASN,
             guards=(_elearning_finished,), effect=_finish_elearning, todo=False),
        Step("verify", "completed", "verified", _l("Verify and credit JP"), who=HR, four_eyes=True,
             effect=_credit_jp, style="success"),
        Step("return_evidence", "completed", "in_progress", _l("Return the evidence"), who=HR,
             four_eyes=True, comment_required=True, style="warning"),
        Step("withdraw", ("requested", "approved", "in_progress"), "withdrawn", _l("Withdraw"),
             who=ENROLLED_ASN, style="secondary", todo=False),
        Step("mark_not_completed", "in_progress", "not_completed", _l("Mark as not completed"),
             who=HR | DIRECT_SUPERVISOR, four_eyes=True, comment_required=True, style="danger", todo=False),
    ],
    owners=lambda e: {e.user_id},
    describe=lambda e: f"{e.course.title} / {e.user.full_name}",
    after_each=_notify_next,
    owner_attr="user_id", kind_label=_l("Training enrolments"),
    summary=lambda e: {"code": f"#{e.id}", "type": e.course.title, "name": e.user.full_name},
    url=lambda e: enrolment_url(e), prefetch=lambda rows: _prefetch_seats(rows),
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
    State("draft", _l("Draft")),
    State("submitted", _l("Submitted to the Camat"), clock=True),
    State("returned", _l("Returned with notes")),
    State("approved", _l("Approved"), terminal=True),
    State("cancelled", _l("Cancelled"), terminal=True),
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
    owner_attr="created_by_id", kind_label=_l("Annual training plans"),
    summary=lambda p: {"code": f"{p.year} rev. {p.revision}", "type": _("Annual training plan"),
                       "name": p.unit.name},
    url=lambda p: _url("training.plan", plan_id=p.id), inbox_options=(selectinload(Plan.items),),
))

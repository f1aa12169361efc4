"""Rules of competence development that are not a single workflow step: enrolling, e-learning
progress, the JP tally, plans drafted from needs, amendments. Views call these; these call the engine."""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from .. import once
from ..accounts.models import User
from ..audit import record as audit
from ..database import is_postgres, utcnow
from ..extensions import db
from ..timeutil import to_wib, today_wib
from ..workflow import Invalid, NotAllowed, Refused, available, awaiting_ids, fire, started
from .models import (
    CLOSED_STATES,
    JP_TARGET,
    KINDS,
    SEAT_STATES,
    Course,
    Enrolment,
    Module,
    ModuleProgress,
    Plan,
    PlanItem,
    QuizQuestion,
)
from .workflow import AUTOMATIC, ENROLMENT_FLOW, deadline_passed, elearning_done, seats_taken

log = logging.getLogger(__name__)
STAFF = ("hr", "camat", "sekcam", "admin")


def _refuse(error, action: str, actor, subject_type: str = "enrolment", subject_id=None):
    """Leave one 'refused' trace of an action that is not a workflow step, then raise."""
    db.session.rollback()
    audit.record_alone(action, actor=actor, outcome="refused", subject_type=subject_type,
                       subject_id=subject_id, comment=f"[{error.code}] {error.message}")
    raise error


def _lock_course(course_id: int) -> Course:
    stmt = select(Course).where(Course.id == course_id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).one()


# --- the JP tally --------------------------------------------------------------------------------

def jp_earned(user_ids, year: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Enrolment.user_id, func.coalesce(func.sum(Enrolment.jp_credited), 0))
        .where(Enrolment.user_id.in_(list(user_ids)), Enrolment.state == "verified",
               Enrolment.credited_year == year)
        .group_by(Enrolment.user_id)).all()
    earned = dict.fromkeys(user_ids, 0)
    earned.update({user_id: int(total) for user_id, total in rows})
    return earned


def tally(user, year: int | None = None) -> int:
    year = year or today_wib().year
    return jp_earned([user.id], year)[user.id]


def kinds_earned(user_ids, year: int) -> dict[int, set]:
    rows = db.session.execute(
        select(Enrolment.user_id, Course.kind).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id.in_(list(user_ids)), Enrolment.state == "verified",
               Enrolment.credited_year == year).distinct()).all()
    kinds = {user_id: set() for user_id in user_ids}
    for user_id, kind in rows:
        kinds[user_id].add(kind)
    return kinds


def percent(jp: int) -> int:
    return min(100, round(100 * jp / JP_TARGET)) if JP_TARGET else 100


# --- enrolling -----------------------------------------------------------------------------------

def can_nominate(actor, user) -> bool:
    return user.supervisor_id == actor.id


def enrol_refusal(course: Course, user, actor=None) -> str | None:
    """Why `user` cannot enrol in `course` now, or None. The button and the POST both ask this."""
    if not course.active:
        return _("This course is no longer offered.")
    if course.is_elearning and not course.modules:
        return _("This e-learning course has no modules yet.")
    if user.supervisor_id is None:
        return _("%(name)s has no direct supervisor recorded, so nobody can approve the request. "
                 "Ask Kepegawaian to record one.", name=user.full_name)
    if deadline_passed(course):
        return _("The enrolment deadline of this course has passed.")
    if course.quota is not None and seats_taken(course.id) >= course.quota:
        return _("The course is full: no seats are left.")
    existing = db.session.scalar(select(Enrolment.id).where(
        Enrolment.course_id == course.id, Enrolment.user_id == user.id,
        Enrolment.state.not_in(CLOSED_STATES)))
    if existing:
        if actor is None or actor.id == user.id:
            return _("You are already enrolled in this course.")
        return _("%(name)s is already enrolled in this course.", name=user.full_name)
    return None


def request_enrolment(course: Course, user, actor, motivation: str = "") -> Enrolment:
    """The ASN asks for a seat, or their direct supervisor nominates them. Checked under a lock of the
    course row, so a double click or two nominations at once create one enrolment."""
    course_id, user_id = course.id, user.id
    if actor.id != user_id and not can_nominate(actor, user):
        _refuse(NotAllowed(_("Only the ASN or their direct supervisor may enrol them."), code="role"),
                "enrolment.request", actor)
    db.session.rollback()
    try:
        course = _lock_course(course_id)
        user = db.session.get(User, user_id)
        message = enrol_refusal(course, user, actor)
        if message:
            raise Invalid(message, code="enrol")
        enrolment = Enrolment(course_id=course.id, user_id=user.id, motivation=(motivation or "").strip(),
                              nominated_by_id=None if actor.id == user.id else actor.id)
        db.session.add(enrolment)
        db.session.flush()
        audit.record("enrolment.nominate" if enrolment.nominated_by_id else "enrolment.request",
                     actor=actor, subject_type="enrolment", subject_id=enrolment.id, to_state="requested",
                     comment=enrolment.motivation or None,
                     changes={"course": [None, course.title], "asn": [None, user.full_name]})
        # the supervisor is told by the notifications from assignments (plaju.notify.assignments)
        started(enrolment, actor)
        db.session.commit()
    except Invalid as error:
        _refuse(error, "enrolment.request", actor)
    if enrolment.nominated_by_id:
        enrolment = _approve_nomination(enrolment, actor)
    return enrolment


def _approve_nomination(enrolment, supervisor) -> Enrolment:
    """A nomination is the direct supervisor's approval: take the `approve` step through the engine at
    once, so the seat and deadline guards apply and the audit trail shows the step. Nobody else could
    approve it (only the direct supervisor approves), so it is never left waiting on its nominator.
    Should the step be refused (the last seat went in between), the enrolment stays requested and the
    supervisor may approve it once a seat is free."""
    try:
        return fire(enrolment, "approve", supervisor, expected_version=enrolment.version,
                    comment=_("Approved by nominating."))
    except Refused as refusal:
        log.info("nomination %s stays requested: %s", enrolment.id, refusal.message)
        db.session.expire_all()
        return db.session.get(Enrolment, enrolment.id)


def actions_for(enrolment, actor):
    """Buttons for the enrolment page: every step the actor may take, minus the automatic ones."""
    return [a for a in available(enrolment, actor) if a.trigger not in AUTOMATIC]


def can_view_enrolment(enrolment, user) -> bool:
    if enrolment.user_id == user.id or enrolment.user.supervisor_id == user.id:
        return True
    if user.has_role(*STAFF):
        return True
    return bool(available(enrolment, user))


# --- e-learning ------------------------------------------------------------------------------------

def _check_learner(enrolment, user):
    if enrolment.user_id != user.id:
        raise NotAllowed(_("Only the enrolled ASN can follow this course."), code="role")
    if not enrolment.course.is_elearning:
        raise Invalid(_("This course is not an e-learning course."), code="method")
    if enrolment.state != "in_progress":
        raise Invalid(_("The e-learning opens after the Camat has signed off the enrolment."), code="state")


def done_module_ids(enrolment) -> set[int]:
    return set(db.session.scalars(select(ModuleProgress.module_id).where(
        ModuleProgress.enrolment_id == enrolment.id)))


def mark_module_done(enrolment, module: Module, user) -> Enrolment:
    """Record that the ASN finished a module; when it was the last thing to do, complete the enrolment."""
    try:
        _check_learner(enrolment, user)
        if module.course_id != enrolment.course_id:
            raise NotAllowed(_("This module belongs to another course."), code="module")
    except (Invalid, NotAllowed) as error:
        _refuse(error, "enrolment.module_done", user, subject_id=enrolment.id)
    if module.id not in done_module_ids(enrolment):
        db.session.add(ModuleProgress(enrolment_id=enrolment.id, module_id=module.id))
        audit.record("enrolment.module_done", actor=user, subject_type="enrolment", subject_id=enrolment.id,
                     from_state=enrolment.state, to_state=enrolment.state,
                     changes={"module": [None, module.title]})
        try:
            db.session.commit()
        except IntegrityError:  # the same module marked twice at once: once is enough
            db.session.rollback()
    return complete_if_finished(enrolment, user)


def grade_quiz(course: Course, answers: dict) -> int:
    questions = course.questions
    if not questions:
        return 100
    right = sum(1 for q in questions if str(answers.get(f"q{q.id}", "")) == str(q.answer))
    return round(100 * right / len(questions))


def wib_text(value: datetime) -> str:
    """A UTC time as the office reads it, e.g. "29 Nov 2026 14.05 WIB" (the |wib filter's format)."""
    return format_datetime(to_wib(value), "d MMM yyyy HH.mm", rebase=False) + " WIB"


def quiz_locked_until(enrolment, now: datetime | None = None) -> datetime | None:
    """When the ASN may take the quiz again (UTC), or None when an attempt is allowed now. After
    `quiz_max_attempts` attempts in a row the ASN waits `quiz_retry_wait_minutes` from the last one."""
    course = enrolment.course
    if (enrolment.quiz_attempts or 0) < course.quiz_max_attempts or enrolment.quiz_last_attempt_at is None:
        return None
    until = enrolment.quiz_last_attempt_at + timedelta(minutes=course.quiz_retry_wait_minutes)
    return until if until > (now or utcnow()) else None


def submit_quiz(enrolment, user, answers: dict) -> tuple[int, bool]:
    # lock the enrolment: two answer sheets sent at once must not both pass the attempt check
    stmt = select(Enrolment).where(Enrolment.id == enrolment.id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update(of=Enrolment)  # not the outer-joined course and user
    enrolment = db.session.scalars(stmt).one()
    now = utcnow()
    try:
        _check_learner(enrolment, user)
        until = quiz_locked_until(enrolment, now)
        if until is not None:
            raise Invalid(_("You have used all %(n)s attempts. You can take the quiz again from %(when)s.",
                            n=enrolment.course.quiz_max_attempts, when=wib_text(until)), code="quiz_wait")
        missing = [q for q in enrolment.course.questions if f"q{q.id}" not in answers]
        if missing:
            raise Invalid(_("Answer every question."), code="quiz")
    except (Invalid, NotAllowed) as error:
        _refuse(error, "enrolment.quiz", user, subject_id=enrolment.id)
    if (enrolment.quiz_attempts or 0) >= enrolment.course.quiz_max_attempts:
        enrolment.quiz_attempts = 0  # the wait is over: a new series of attempts
    attempts = (enrolment.quiz_attempts or 0) + 1
    score = grade_quiz(enrolment.course, answers)
    passed = score >= enrolment.course.effective_pass_mark
    best = max(score, enrolment.quiz_score or 0)
    audit.record("enrolment.quiz", actor=user, subject_type="enrolment", subject_id=enrolment.id,
                 from_state=enrolment.state, to_state=enrolment.state,
                 changes={"quiz_score": [enrolment.quiz_score, best], "attempt": [None, score],
                          "attempts": [enrolment.quiz_attempts or 0, attempts]})
    enrolment.quiz_score = best
    enrolment.quiz_attempts = attempts
    enrolment.quiz_last_attempt_at = now
    db.session.commit()
    complete_if_finished(enrolment, user)
    return score, passed


def complete_if_finished(enrolment, user) -> Enrolment:
    """Fire the automatic completion when every module is done and the quiz is passed. The ASN's own
    last step triggers it, so the ASN is the actor; the comment says the system took the step."""
    db.session.refresh(enrolment)
    if enrolment.state != "in_progress":
        return enrolment
    done, total, quiz_ok = elearning_done(enrolment)
    if not total or done < total or not quiz_ok:
        return enrolment
    return fire(enrolment, "complete_elearning", user, expected_version=enrolment.version,
                comment=_("Completed automatically: every module and the quiz are done."))


def learning_status(enrolment) -> dict:
    done, total, quiz_ok = elearning_done(enrolment)
    return {"done": done, "total": total, "quiz_ok": quiz_ok,
            "percent": round(100 * done / total) if total else 100,
            "done_ids": done_module_ids(enrolment)}


# --- lists ---------------------------------------------------------------------------------------

def awaiting(user, after: int | None = None, limit: int | None = None) -> list[Enrolment]:
    """Enrolments waiting for this user's step (the engine's assignments, Plh/Plt included); the oldest
    first. `after` (an enrolment id) and `limit` page through them by keyset."""
    stmt = (select(Enrolment).options(joinedload(Enrolment.user).lazyload(User.role_rows))
            .where(Enrolment.id.in_(awaiting_ids(user, ENROLMENT_FLOW.name)))
            .order_by(Enrolment.created_at, Enrolment.id))
    if after is not None:
        last = select(Enrolment.created_at).where(Enrolment.id == after).scalar_subquery()
        stmt = stmt.where(or_(Enrolment.created_at > last,
                              (Enrolment.created_at == last) & (Enrolment.id > after)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def awaiting_counts(user) -> dict[str, int]:
    """How many enrolments wait for this user, per state, in one statement."""
    rows = db.session.execute(select(Enrolment.state, func.count()).where(
        Enrolment.id.in_(awaiting_ids(user, ENROLMENT_FLOW.name))).group_by(Enrolment.state)).all()
    return {state: int(n) for state, n in rows}


def count_awaiting(user, state: str | None = None) -> int:
    counts = awaiting_counts(user)
    return sum(counts.values()) if state is None else counts.get(state, 0)


def seats_taken_by_course(course_ids) -> dict[int, int]:
    """Seats taken per course, for a page of courses in one grouped statement."""
    ids = list(course_ids)
    taken = dict.fromkeys(ids, 0)
    if ids:
        taken.update(db.session.execute(
            select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(ids),
                                                            Enrolment.state.in_(SEAT_STATES))
            .group_by(Enrolment.course_id)).all())
    return taken


def seats_left_by_course(courses) -> dict[int, int | None]:
    """Like `seats_left()` for every course of a page: free seats, or None without a quota."""
    taken = seats_taken_by_course(c.id for c in courses if c.quota is not None)
    return {c.id: None if c.quota is None else max(c.quota - taken[c.id], 0) for c in courses}


def recommended(user, limit: int = 4) -> list[Course]:
    """Open courses with a free seat, of the competence kinds the user has not covered this year first,
    then any open one. One statement: the seats are counted in a grouped subquery."""
    today = today_wib()
    have = kinds_earned([user.id], today.year)[user.id]
    mine = select(Enrolment.course_id).where(Enrolment.user_id == user.id,
                                             Enrolment.state.not_in(CLOSED_STATES))
    taken = (select(Enrolment.course_id, func.count().label("n")).where(Enrolment.state.in_(SEAT_STATES))
             .group_by(Enrolment.course_id).subquery())
    order = [case((Course.kind.in_(sorted(have)), 1), else_=0)] if have else []
    stmt = (select(Course).outerjoin(taken, taken.c.course_id == Course.id)
            .where(Course.active.is_(True), Course.id.not_in(mine),
                   or_(Course.enrol_deadline.is_(None), Course.enrol_deadline >= today),
                   or_(Course.quota.is_(None), func.coalesce(taken.c.n, 0) < Course.quota))
            .order_by(*order, Course.enrol_deadline.is_(None), Course.enrol_deadline, Course.id)
            .limit(limit))
    return list(db.session.scalars(stmt))


def team_of(user, offset: int = 0, limit: int | None = None) -> list[User]:
    stmt = (select(User).where(User.supervisor_id == user.id, User.active.is_(True))
            .order_by(User.full_name, User.id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def has_team(user) -> bool:
    return db.session.scalar(select(User.id).where(User.supervisor_id == user.id, User.active.is_(True))
                             .limit(1)) is not None


def enrolments_of(user_ids, states=None) -> dict[int, list[Enrolment]]:
    """Enrolments of these people, newest first; `enrolment.user` is not loaded with them (the lists
    know whose they are), so the statements do not depend on who has enrolments."""
    out = {uid: [] for uid in user_ids}
    stmt = (select(Enrolment).options(lazyload(Enrolment.user)).where(Enrolment.user_id.in_(list(user_ids)))
            .order_by(Enrolment.created_at.desc()))
    if states is not None:
        stmt = stmt.where(Enrolment.state.in_(list(states)))
    for e in db.session.scalars(stmt):
        out[e.user_id].append(e)
    return out


# --- courses (HR) ----------------------------------------------------------------------------------

COURSE_FIELDS = ("title", "description", "kind", "method", "jp", "provider", "starts_on", "ends_on", "place",
                 "link", "quota", "enrol_deadline", "routine", "pass_mark", "quiz_max_attempts",
                 "quiz_retry_wait_minutes", "active")


def save_course(course: Course | None, values: dict, actor, once_token: str | None = None) -> Course:
    """Create (course=None) or update a course. With `once_token` a second post of the same "new course"
    form raises once.AlreadyDone with the first course's page."""
    creating = course is None
    token = once.claim_if_given(actor, once_token) if creating else None
    course = course or Course()
    changes = {}
    for name in COURSE_FIELDS:
        before, after = getattr(course, name, None), values.get(name)
        if before != after:
            changes[name] = [None if creating else before, after]
        setattr(course, name, after)
    if creating:
        db.session.add(course)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id))
    audit.record("training_course.create" if creating else "training_course.update", actor=actor,
                 subject_type="training_course", subject_id=course.id, changes=changes or None)
    db.session.commit()
    return course


def add_module(course: Course, values: dict, actor, stored=None, once_token: str | None = None) -> Module:
    token = once.claim_if_given(actor, once_token)
    position = len(course.modules) + 1
    module = Module(course=course, position=position, title=values["title"], kind=values["kind"],
                    body=values.get("body") or "", url=values.get("url") or "",
                    file_name=stored.name if stored else None,
                    file_original=stored.original_name if stored else None)
    db.session.add(module)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id) + "#modules")
    audit.record("training_course.module_add", actor=actor, subject_type="training_course",
                 subject_id=course.id, changes={"module": [None, module.title]})
    db.session.commit()
    return module


def add_question(course: Course, text: str, choices: list[str], answer: int, actor,
                 once_token: str | None = None) -> QuizQuestion:
    token = once.claim_if_given(actor, once_token)
    question = QuizQuestion(course=course, position=len(course.questions) + 1, text=text,
                            choices="\n".join(choices), answer=answer)
    db.session.add(question)
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id) + "#quiz")
    audit.record("training_course.question_add", actor=actor, subject_type="training_course",
                 subject_id=course.id, changes={"question": [None, text]})
    db.session.commit()
    return question


# --- plans -----------------------------------------------------------------------------------------

@dataclass
class Need:
    user: User
    earned: int
    planned: int = 0
    missing_kinds: list = field(default_factory=list)

    @property
    def below_target(self) -> bool:
        return self.earned < JP_TARGET

    @property
    def gap(self) -> int:
        return max(JP_TARGET - self.earned, 0)


def unit_people(unit_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.unit_id == unit_id, User.active.is_(True))
                                   .order_by(User.full_name)))


def needs(plan: Plan) -> list[Need]:
    """Per person of the unit: JP earned in the plan's year, JP planned, competence kinds missing."""
    people = unit_people(plan.unit_id)
    ids = [p.id for p in people]
    earned = jp_earned(ids, plan.year)
    kinds = kinds_earned(ids, plan.year)
    planned = {}
    planned_kinds = {uid: set() for uid in ids}
    for item in plan.items:
        planned[item.user_id] = planned.get(item.user_id, 0) + item.planned_jp
        planned_kinds.setdefault(item.user_id, set()).add(item.kind)
    return [Need(user=p, earned=earned[p.id], planned=planned.get(p.id, 0),
                 missing_kinds=[k for k in KINDS if k not in kinds[p.id] | planned_kinds[p.id]])
            for p in people]


def _suggest(plan: Plan) -> None:
    """Fill a fresh draft from the needs: for each person below 20 JP, open courses of the kinds they
    lack, until the planned JP closes the gap."""
    courses = list(db.session.scalars(select(Course).where(Course.active.is_(True)).order_by(Course.id)))
    for need in needs(plan):
        if not need.below_target:
            continue
        gap = need.gap
        for kind in need.missing_kinds + list(KINDS):
            if gap <= 0:
                break
            course = next((c for c in courses if c.kind == kind and c.jp and
                           all(i.course_id != c.id or i.user_id != need.user.id for i in plan.items)), None)
            if course is None:
                continue
            plan.items.append(PlanItem(user_id=need.user.id, course_id=course.id, title=course.title,
                                       kind=course.kind, planned_jp=course.jp))
            gap -= course.jp


def create_plan(unit_id: int, year: int, actor, suggest: bool = True, once_token: str | None = None) -> Plan:
    if not actor.has_role("hr"):
        _refuse(NotAllowed(_("Only HR (Kepegawaian) drafts training plans."), code="role"),
                "training_plan.create", actor, "training_plan")
    # before the duplicate check: the same form posted again leads to its plan, not to "already has a plan"
    token = once.claim_if_given(actor, once_token)
    existing = db.session.scalar(select(Plan.id).where(Plan.unit_id == unit_id, Plan.year == year,
                                                       Plan.state != "cancelled"))
    if existing:
        _refuse(Invalid(_("This unit already has a plan for %(year)s; amend that one.", year=year),
                        code="duplicate"), "training_plan.create", actor, "training_plan", existing)
    revision = (db.session.scalar(select(func.max(Plan.revision)).where(
        Plan.unit_id == unit_id, Plan.year == year)) or 0) + 1
    plan = Plan(unit_id=unit_id, year=year, revision=revision, created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("training.plan", plan_id=plan.id))
    if suggest:
        _suggest(plan)
    db.session.flush()
    audit.record("training_plan.create", actor=actor, subject_type="training_plan", subject_id=plan.id,
                 to_state="draft", changes={"items": [None, len(plan.items)]})
    started(plan, actor)
    db.session.commit()
    return plan


def _lock_plan(plan_id: int) -> Plan:
    db.session.rollback()
    stmt = select(Plan).where(Plan.id == plan_id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update(of=Plan)
    return db.session.scalars(stmt).unique().one()


def _editable_or_refuse(plan: Plan, actor, action: str) -> None:
    if not actor.has_role("hr"):
        raise NotAllowed(_("Only HR (Kepegawaian) edits training plans."), code="role")
    if plan.state == "approved":
        raise Invalid(_("An approved plan is locked. To change it, start an amendment; the Camat signs "
                        "it off again."), code="locked")
    if not plan.editable:
        raise Invalid(_("The plan can only be changed while it is a draft or returned."), code="locked")


def add_item(plan_id: int, values: dict, actor, once_token: str | None = None) -> PlanItem:
    try:
        plan = _lock_plan(plan_id)
        _editable_or_refuse(plan, actor, "item_add")
        token = once.claim_if_given(actor, once_token)  # after the lock: _lock_plan starts a fresh transaction
        person = db.session.get(User, values["user_id"])
        if person is None or person.unit_id != plan.unit_id:
            raise Invalid(_("Choose a person of this unit."), code="person")
        course = db.session.get(Course, values["course_id"]) if values.get("course_id") else None
        title = (values.get("title") or "").strip() or (course.title if course else "")
        if not title:
            raise Invalid(_("Choose a course or describe the activity."), code="title")
        item = PlanItem(plan=plan, user_id=person.id, course_id=course.id if course else None, title=title,
                        kind=course.kind if course else values.get("kind") or "teknis",
                        planned_jp=values.get("planned_jp") if values.get("planned_jp") is not None
                        else (course.jp if course else 0))
        db.session.add(item)
        if token is not None:
            once.complete(token, url_for("training.plan", plan_id=plan.id))
        audit.record("training_plan.item_add", actor=actor, subject_type="training_plan", subject_id=plan.id,
                     from_state=plan.state, to_state=plan.state,
                     changes={"item": [None, f"{person.full_name}: {title} ({item.planned_jp} JP)"]})
        db.session.commit()
        return item
    except (Invalid, NotAllowed) as error:
        _refuse(error, "training_plan.item_add", actor, "training_plan", plan_id)


def remove_item(plan_id: int, item_id: int, actor) -> None:
    try:
        plan = _lock_plan(plan_id)
        _editable_or_refuse(plan, actor, "item_remove")
        item = db.session.get(PlanItem, item_id)
        if item is None or item.plan_id != plan.id:
            raise Invalid(_("That activity is not part of this plan."), code="item")
        text = f"{item.user.full_name}: {item.title} ({item.planned_jp} JP)"
        db.session.delete(item)
        audit.record("training_plan.item_remove", actor=actor, subject_type="training_plan",
                     subject_id=plan.id, from_state=plan.state, to_state=plan.state, changes={"item": [text, None]})
        db.session.commit()
    except (Invalid, NotAllowed) as error:
        _refuse(error, "training_plan.item_remove", actor, "training_plan", plan_id)


def open_amendment(plan: Plan) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.amends_id == plan.id, Plan.state.in_(
        ("draft", "submitted", "returned"))))


def amend(plan_id: int, actor) -> Plan:
    """A new draft revision, copying the approved plan's items; the Camat signs it off again."""
    try:
        plan = _lock_plan(plan_id)
        if not actor.has_role("hr"):
            raise NotAllowed(_("Only HR (Kepegawaian) edits training plans."), code="role")
        if plan.state != "approved" or plan.superseded_by_id:
            raise Invalid(_("Only the current approved plan can be amended."), code="state")
        if open_amendment(plan):
            raise Invalid(_("An amendment of this plan is already under way."), code="duplicate")
        revision = (db.session.scalar(select(func.max(Plan.revision)).where(
            Plan.unit_id == plan.unit_id, Plan.year == plan.year)) or 0) + 1
        new = Plan(unit_id=plan.unit_id, year=plan.year, revision=revision, amends_id=plan.id,
                   created_by_id=actor.id)
        new.items = [PlanItem(user_id=i.user_id, course_id=i.course_id, title=i.title, kind=i.kind,
                              planned_jp=i.planned_jp) for i in plan.items]
        db.session.add(new)
        db.session.flush()
        audit.record("training_plan.amend", actor=actor, subject_type="training_plan", subject_id=new.id,
                     to_state="draft", changes={"amends": [None, plan.id]})
        started(new, actor)
        db.session.commit()
        return new
    except (Invalid, NotAllowed) as error:
        _refuse(error, "training_plan.amend", actor, "training_plan", plan_id)


@dataclass
class Realisation:
    user: User
    planned: int
    earned: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.earned / self.planned)) if self.planned else (100 if self.earned else 0)


def realisation(plan: Plan) -> list[Realisation]:
    planned: dict[int, int] = {}
    people: dict[int, User] = {}
    for item in plan.items:
        planned[item.user_id] = planned.get(item.user_id, 0) + item.planned_jp
        people[item.user_id] = item.user
    earned = jp_earned(list(people), plan.year) if people else {}
    return sorted((Realisation(people[uid], planned[uid], earned.get(uid, 0)) for uid in people),
                  key=lambda r: r.user.full_name)

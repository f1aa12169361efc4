"""Annual plans of competence development per unit: drafted from needs, items, amendments, realisation."""
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ... import once
from ...accounts.models import User
from ...audit import record as audit
from ...database import lock_row
from ...extensions import db
from ...workflow import Invalid, NotAllowed, started
from ..models import JP_TARGET, KINDS, Course, Plan, PlanItem
from .common import refuse
from .tally import jp_earned, kinds_earned


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
        refuse(NotAllowed(_("Only HR (Kepegawaian) drafts training plans."), code="role"),
                "training_plan.create", actor, "training_plan")
    # before the duplicate check: the same form posted again leads to its plan, not to "already has a plan"
    token = once.claim_if_given(actor, once_token)
    existing = db.session.scalar(select(Plan.id).where(Plan.unit_id == unit_id, Plan.year == year,
                                                       Plan.state != "cancelled"))
    if existing:
        refuse(Invalid(_("This unit already has a plan for %(year)s; amend that one.", year=year),
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
    return lock_row(Plan, plan_id)


def _editable_orrefuse(plan: Plan, actor, action: str) -> None:
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
        _editable_orrefuse(plan, actor, "item_add")
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
        refuse(error, "training_plan.item_add", actor, "training_plan", plan_id)


def remove_item(plan_id: int, item_id: int, actor) -> None:
    try:
        plan = _lock_plan(plan_id)
        _editable_orrefuse(plan, actor, "item_remove")
        item = db.session.get(PlanItem, item_id)
        if item is None or item.plan_id != plan.id:
            raise Invalid(_("That activity is not part of this plan."), code="item")
        text = f"{item.user.full_name}: {item.title} ({item.planned_jp} JP)"
        db.session.delete(item)
        audit.record("training_plan.item_remove", actor=actor, subject_type="training_plan",
                     subject_id=plan.id, from_state=plan.state, to_state=plan.state, changes={"item": [text, None]})
        db.session.commit()
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_plan.item_remove", actor, "training_plan", plan_id)


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
        refuse(error, "training_plan.amend", actor, "training_plan", plan_id)


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

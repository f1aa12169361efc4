"""Annual plans of competence development per unit: a draft (filled from the needs: plan_needs.py), its
items, amendments (their figures, realisation and workbook: plan_figures.py)."""
from flask import url_for
from sqlalchemy import func, select

from ... import edits, once
from ...accounts.models import User, active_delegations
from ...audit import record as audit
from ...audit import vocabulary
from ...database import lock_row
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...i18n import wib_text
from ...timeutil import today_wib
from ...workflow import Conflict, Invalid, NotAllowed, started
from ..models import FUNDING, KINDS, QUARTERS, Course, Plan, PlanItem
from . import plan_figures, plan_needs
from .common import refuse
from .competences import course_facts, course_fits, profiles, quarter_of

vocabulary.describe_actions({
    "training_plan.item_edit": _l("changed a planned activity"),
    "training_plan.fill": _l("filled the plan from the needs"),
})


# who reads every unit's plan: HR drafts them, the Camat approves them, the Sekcam oversees the units
EVERY_UNIT_PLANS = ("hr", "camat", "sekcam", "admin")


def plan_units(user) -> frozenset | None:
    """The units whose plans `user` reads (only HR edits them): None for every unit; a section head the unit
    they lead, to weigh their people's requests against what was planned for them; anyone else none. A Plh
    or Plt reads also what the official they stand for reads: they approve those requests meanwhile. The
    list of plans, a plan's page and its workbook all ask this (through `may_read_plan`)."""
    units = _own_plan_units(user)
    for delegation in active_delegations(user) if units is not None else ():
        theirs = _own_plan_units(delegation.principal)
        if theirs is None:
            return None
        units |= theirs
    return units


def _own_plan_units(user) -> frozenset | None:
    if user.has_role(*EVERY_UNIT_PLANS):
        return None
    if user.has_role("section_head") and user.unit_id is not None:
        return frozenset({user.unit_id})
    return frozenset()


def may_read_plan(user, plan: Plan | None = None, unit_id: int | None = None) -> bool:
    """May `user` read `plan` (or the plans of `unit_id`: whether a request is planned), or (without
    either) any plan at all: the tab and the list."""
    units = plan_units(user)
    unit_id = plan.unit_id if plan is not None else unit_id
    return units is None or (unit_id in units if unit_id is not None else bool(units))


def check_drafts(actor) -> None:
    """Only HR drafts a plan: refused (and logged) for anyone else, reader of plans or not."""
    if not actor.has_role("hr"):
        refuse(NotAllowed(_("Only HR (Kepegawaian) drafts training plans."), code="role"),
               "training_plan.create", actor, "training_plan")


def create_plan(unit_id: int, year: int, actor, suggest: bool = True, once_token: str | None = None) -> Plan:
    check_drafts(actor)
    if year < today_wib().year:
        refuse(Invalid(_("%(year)s has already passed; a plan is made for this year or a coming year.",
                         year=year), code="year"), "training_plan.create", actor, "training_plan")
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
        plan_needs.suggest(plan)
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


def _checked_item(plan: Plan, values: dict) -> dict:
    """The fields of a plan item from posted values, or Invalid: one check for adding and for editing.
    A person of the unit or a group; a course that fits the person and takes place in the plan year,
    or a described activity "to be chosen"; quarter, JP per participant, cost and funding source."""
    if plan.year < today_wib().year:
        raise Invalid(_("%(year)s has already passed; a plan is made for this year or a coming year.",
                        year=plan.year), code="year")
    person = db.session.get(User, values["user_id"]) if values.get("user_id") else None
    group = (values.get("group_label") or "").strip() or None
    if person is None and group is None:
        raise Invalid(_("Choose a person of this unit or name a group."), code="person")
    if person is not None and group is not None:
        raise Invalid(_("Choose either a person or a group, not both."), code="person")
    if person is not None and person.unit_id != plan.unit_id:
        raise Invalid(_("Choose a person of this unit."), code="person")
    participants = 1 if person is not None else values.get("participants") or 0
    if participants < 1:
        raise Invalid(_("Enter how many people the group has."), code="participants")
    course = db.session.get(Course, values["course_id"]) if values.get("course_id") else None
    if course is not None:
        refusal = course_refusal(course, plan.year, person)
        if refusal:
            raise Invalid(refusal, code="course")
    title = (values.get("title") or "").strip() or (course.title if course else "")
    if not title:
        raise Invalid(_("Choose a course or describe the activity (it may be \"to be chosen\")."), code="title")
    quarter = values.get("quarter") or (quarter_of(course.starts_on or course.ends_on) if course else None)
    if quarter is not None and quarter not in QUARTERS:
        raise Invalid(_("Choose the quarter of the activity."), code="quarter")
    if course is not None and quarter is not None and (course.starts_on or course.ends_on) \
            and quarter != quarter_of(course.starts_on or course.ends_on):
        raise Invalid(_("%(title)s starts in quarter %(quarter)s.", title=course.title,
                        quarter=quarter_of(course.starts_on or course.ends_on)), code="quarter")
    today = today_wib()
    if course is None and quarter is not None and plan.year == today.year and quarter < quarter_of(today):
        raise Invalid(_("%(quarter)s of %(year)s is already over: plan the activity for a quarter still to "
                        "come, or in next year's plan.", quarter=QUARTERS[quarter], year=plan.year), code="quarter")
    planned_jp = values.get("planned_jp") if values.get("planned_jp") is not None else (course.jp if course else 0)
    if not 0 <= planned_jp <= MAX_JP:
        raise Invalid(_("JP must be 0 to 500."), code="jp")
    kind = course.kind if course else values.get("kind") or "teknis"
    if kind not in KINDS:
        raise Invalid(_("Choose the competence kind."), code="kind")
    funding = values.get("funding") or "apbd"
    if funding not in FUNDING:
        raise Invalid(_("Choose the funding source."), code="funding")
    cost = values.get("cost")
    if cost is None:
        cost = (course.fee or 0) * participants if course else 0
    if cost < 0:
        raise Invalid(_("The cost cannot be negative."), code="cost")
    if cost > MAX_COST:
        raise Invalid(_("The cost is too high for one activity; check the number."), code="cost")
    if funding == "free" and cost:
        raise Invalid(_("A free activity has no cost; set the cost to 0 or choose another funding source."),
                      code="cost")
    return {"user_id": person.id if person else None, "group_label": group, "participants": participants,
            "course_id": course.id if course else None, "title": title, "kind": kind,
            "planned_jp": planned_jp, "quarter": quarter, "cost": cost, "funding": funding}


MAX_JP = 500
MAX_COST = 10_000_000_000


def add_item(plan_id: int, values: dict, actor, once_token: str | None = None) -> PlanItem:
    """One activity for a person of the unit (user_id) or for a group (group_label, participants): a course
    that fits the person's position and takes place within the plan year, or a described activity "to be
    chosen"; quarter, JP per participant, estimated cost (Rupiah) and funding source."""
    try:
        plan = _lock_plan(plan_id)
        _editable_orrefuse(plan, actor, "item_add")
        token = once.claim_if_given(actor, once_token)  # after the lock: _lock_plan starts a fresh transaction
        item = PlanItem(plan=plan, **_checked_item(plan, values))
        db.session.add(item)
        db.session.flush()
        if token is not None:
            once.complete(token, url_for("training.plan", plan_id=plan.id))
        audit.record("training_plan.item_add", actor=actor, subject_type="training_plan", subject_id=plan.id,
                     from_state=plan.state, to_state=plan.state, changes={"item": [None, _item_record(item)]})
        db.session.commit()
        return item
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_plan.item_add", actor, "training_plan", plan_id)


def plan_item(plan: Plan, item_id: int) -> PlanItem:
    item = db.session.get(PlanItem, item_id)
    if item is None:  # removed meanwhile: a second tap on "remove", or an edit of a row removed in another tab
        raise Conflict(_("That activity is no longer in the plan: it was removed meanwhile, perhaps from another "
                         "tab. The plan is shown as it is now."))
    if item.plan_id != plan.id:
        raise Invalid(_("That activity is not part of this plan."), code="item")
    return item


def item_stamp(item: PlanItem) -> str:
    """The stamp an edit row of the activity carries as it is now: its own columns (a person renamed or a course
    retitled meanwhile does not make the row out of date)."""
    return edits.stamp({name: getattr(item, name) for name in (
        "user_id", "group_label", "participants", "course_id", "title", "kind", "planned_jp", "quarter", "cost",
        "funding")})


def update_item(plan_id: int, item_id: int, values: dict, actor, seen: str | None = None) -> PlanItem:
    """Change one activity of a draft or returned plan in place, checked like a new one; in an amendment
    not below what was already realised. Audited with the fields before and after. `seen`: the stamp of the
    row as it was opened; saved by someone else since, the change is refused (Conflict)."""
    try:
        plan = _lock_plan(plan_id)
        _editable_orrefuse(plan, actor, "item_edit")
        item = plan_item(plan, item_id)
        if seen is not None and seen != item_stamp(item):
            # (the log's events are the plan's: the last of them may be of another activity, so nobody is named)
            raise Conflict(edits.changed_meanwhile())
        checked = _checked_item(plan, values)
        before = _item_record(item)
        was = (item.course_id, item.user_id)
        for name, value in checked.items():
            setattr(item, name, value)
        if (item.course_id, item.user_id) != was:
            item.competence_id = None  # the gap it was proposed for belongs to the old course or person
        refusal = amendment_refusal(plan, plan.items)
        if refusal:
            raise Invalid(refusal, code="realised")
        after = _item_record(item)
        changes = audit.diff(before, after)
        if changes:
            changes["item"] = [None, after]
            audit.record("training_plan.item_edit", actor=actor, subject_type="training_plan", subject_id=plan.id,
                         from_state=plan.state, to_state=plan.state, changes=changes)
        db.session.commit()
        return item
    except (Invalid, NotAllowed, Conflict) as error:
        refuse(error, "training_plan.item_edit", actor, "training_plan", plan_id)


def fill_from_needs(plan_id: int, actor) -> int:
    """"Isi dari kebutuhan" on a draft or returned plan: propose items from each person's competence gap
    and JP so far, as a new plan would get them, without repeating what the plan already holds. Returns
    how many items were added."""
    try:
        plan = _lock_plan(plan_id)
        _editable_orrefuse(plan, actor, "fill")
        if plan.year < today_wib().year:
            raise Invalid(_("%(year)s has already passed; a plan is made for this year or a coming year.",
                            year=plan.year), code="year")
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_plan.fill", actor, "training_plan", plan_id)
    before = len(plan.items)
    added = plan_needs.suggest(plan)
    db.session.flush()
    if added:
        audit.record("training_plan.fill", actor=actor, subject_type="training_plan", subject_id=plan.id,
                     from_state=plan.state, to_state=plan.state, changes={"items": [before, before + added]})
    db.session.commit()
    return added


def _item_record(item: PlanItem) -> dict:
    """An activity as the log keeps it: its person and course by name, as they were when planned (what HR
    reads, whatever becomes of the account or the course), the rest as stored; the log's sentences word
    the codes and amounts (training.workflow.sentences)."""
    # by id, not item.user / item.course: those still hold the old person and course after an edit set the ids
    person = db.session.get(User, item.user_id) if item.user_id else None
    course = db.session.get(Course, item.course_id) if item.course_id else None
    return {"person": person.full_name if person else None, "group_label": item.group_label,
            "participants": item.participants, "course": course.title if course else None, "title": item.title,
            "kind": item.kind, "planned_jp": item.planned_jp, "quarter": item.quarter, "cost": item.cost,
            "funding": item.funding}


def course_refusal(course: Course, year: int, person: User | None) -> str | None:
    """Why this course cannot be planned for this person in this year, or None. Asked by the service and
    by the form that lists the courses."""
    start, end = course.starts_on or course.ends_on, course.ends_on or course.starts_on
    if start is not None and (start.year != year or end.year != year):
        return _("%(title)s does not take place in %(year)s.", title=course.title, year=year)
    if person is not None:
        kind = profiles([person.id], year)[person.id].position_kind
        _raises, kinds = course_facts([course.id])
        if not course_fits(kinds[course.id], kind):
            return _("%(title)s is meant for another position level than %(name)s's.", title=course.title,
                     name=person.full_name)
    return None


def amendment_refusal(plan: Plan, remaining: list[PlanItem]) -> str | None:
    """An amendment may not lower a total below what was already realised of the approved plan: per
    person, the JP planned must stay at least the JP of their planned activities realised so far, and so
    must the unit's total (plan_figures.realisation: JP earned outside the plan do not count)."""
    if plan.amends_id is None:
        return None
    before = _person_totals(plan.amends.items)
    after = _person_totals(remaining)
    # realised as the plan's page counts it: training that realised a planned activity, not all JP earned
    done = plan_figures.realisation(plan.amends)
    earned = {row.user.id: row.realised for row in done.people}
    for uid, planned_before in before.items():
        floor = min(earned.get(uid, 0), planned_before)
        if after.get(uid, 0) < floor:
            name = next(i.user.full_name for i in plan.amends.items if i.user_id == uid)
            return _("%(name)s has already realised %(earned)s JP of this plan; the amendment cannot plan fewer "
                     "than that (%(planned)s JP would remain).", name=name, earned=floor, planned=after.get(uid, 0))
    floor = done.realised
    if sum(i.total_jp for i in remaining) < floor:
        return _("The unit has already realised %(earned)s JP of this plan; the amendment cannot lower the "
                 "total below that.", earned=floor)
    return None


def _person_totals(items) -> dict[int, int]:
    totals: dict[int, int] = {}
    for item in items:
        if item.user_id is not None:
            totals[item.user_id] = totals.get(item.user_id, 0) + item.planned_jp
    return totals


def remove_item(plan_id: int, item_id: int, actor) -> None:
    try:
        plan = _lock_plan(plan_id)
        _editable_orrefuse(plan, actor, "item_remove")
        item = plan_item(plan, item_id)
        refusal = amendment_refusal(plan, [i for i in plan.items if i.id != item.id])
        if refusal:
            raise Invalid(refusal, code="realised")
        record = _item_record(item)
        db.session.delete(item)
        audit.record("training_plan.item_remove", actor=actor, subject_type="training_plan",
                     subject_id=plan.id, from_state=plan.state, to_state=plan.state, changes={"item": [record, None]})
        db.session.commit()
    except (Invalid, NotAllowed, Conflict) as error:
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
        under_way = open_amendment(plan)
        if under_way is not None:  # two HR at once: the second is told who started it, and when
            raise Invalid(_("%(name)s started an amendment of this plan (revision %(n)s) at %(time)s: continue "
                            "that one.", name=under_way.created_by.full_name if under_way.created_by else "?",
                            n=under_way.revision, time=wib_text(under_way.created_at)), code="duplicate")
        revision = (db.session.scalar(select(func.max(Plan.revision)).where(
            Plan.unit_id == plan.unit_id, Plan.year == plan.year)) or 0) + 1
        new = Plan(unit_id=plan.unit_id, year=plan.year, revision=revision, amends_id=plan.id,
                   created_by_id=actor.id)
        new.items = [PlanItem(user_id=i.user_id, group_label=i.group_label, participants=i.participants,
                              course_id=i.course_id, competence_id=i.competence_id, title=i.title, kind=i.kind,
                              planned_jp=i.planned_jp, quarter=i.quarter, cost=i.cost, funding=i.funding)
                     for i in plan.items]
        db.session.add(new)
        db.session.flush()
        audit.record("training_plan.amend", actor=actor, subject_type="training_plan", subject_id=new.id,
                     to_state="draft", changes={"amends": [None, plan.id]})
        started(new, actor)
        db.session.commit()
        return new
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_plan.amend", actor, "training_plan", plan_id)

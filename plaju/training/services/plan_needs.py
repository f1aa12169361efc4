"""What a unit's people need from its annual plan of competence development, and the activities a draft
is filled with from those needs ("Isi dari kebutuhan"): per person the JP earned and planned against the
target, the competence gaps of their position and the competence kinds the plan does not cover yet.
It writes nothing itself: `suggest` adds items to the plan it is given; plans.py audits and commits them."""
from dataclasses import dataclass, field

from sqlalchemy import select

from ...accounts.models import User
from ...extensions import db
from ...i18n import gettext as _
from ...timeutil import today_wib
from ..models import JP_TARGET, KINDS, QUARTERS, Enrolment, Plan, PlanItem
from .competences import course_facts, course_fits, plannable_courses, profiles, quarter_of
from .tally import kinds_earned


@dataclass
class Need:
    user: User
    earned: int
    planned: int = 0
    missing_kinds: list = field(default_factory=list)
    gaps: list = field(default_factory=list)  # competences.Gap: what the position requires and is missing
    position: object = None

    @property
    def below_target(self) -> bool:
        return self.earned < JP_TARGET

    @property
    def gap(self) -> int:
        return max(JP_TARGET - self.earned, 0)

    @property
    def open_jp(self) -> int:
        """JP still to plan for the target: the gap minus what is planned."""
        return max(self.gap - self.planned, 0)


def unit_people(unit_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.unit_id == unit_id, User.active.is_(True))
                                   .order_by(User.full_name)))


def needs(plan: Plan) -> list[Need]:
    """Per person of the unit: JP earned in the plan's year, JP planned, competence gaps of their
    position (services.competences) not yet covered by a planned item, and competence kinds not yet
    covered. A gap is covered by an item planned for that competence, or by a planned course that
    raises it above the person's level."""
    people = unit_people(plan.unit_id)
    ids = [p.id for p in people]
    found = profiles(ids, plan.year)
    kinds = kinds_earned(ids, plan.year)
    raises, _kinds = course_facts({i.course_id for i in plan.items if i.course_id})
    planned = {}
    planned_kinds = {uid: set() for uid in ids}
    planned_levels: dict[tuple, int] = {}  # (person, competence): level the plan takes them to (6: any)
    for item in plan.items:
        if item.user_id is None:
            continue
        planned[item.user_id] = planned.get(item.user_id, 0) + item.planned_jp
        planned_kinds.setdefault(item.user_id, set()).add(item.kind)
        if item.competence_id:
            planned_levels[item.user_id, item.competence_id] = 6
        for cid, level in (raises.get(item.course_id) or {}).items():
            key = (item.user_id, cid)
            planned_levels[key] = max(planned_levels.get(key, 0), level)
    return [Need(user=p, earned=found[p.id].earned, planned=planned.get(p.id, 0),
                 missing_kinds=[k for k in KINDS if k not in kinds[p.id] | planned_kinds[p.id]],
                 gaps=[g for g in found[p.id].gaps if planned_levels.get((p.id, g.competence.id), 0) <= g.current],
                 position=found[p.id].position)
            for p in people]


TO_BE_CHOSEN_JP = 8  # a placeholder item's JP until a course is chosen


def _taken_courses(user_ids) -> set[tuple]:
    """(person, course) pairs the person already attends or attended: not proposed again."""
    if not user_ids:
        return set()
    return set(db.session.execute(select(Enrolment.user_id, Enrolment.course_id).where(
        Enrolment.user_id.in_(list(user_ids)), Enrolment.state.not_in(("declined", "withdrawn")))).all())


def suggest(plan: Plan) -> int:
    """Fill a draft from the needs: for each competence gap of a person's position not yet covered by
    the plan, a course dated within the plan year (and not over yet) that fits the position and raises
    that competence (else a "to be chosen" item for the competence); then, while below 20 JP, courses
    fitting the position. Never a course the plan already holds for the person, nor one they already
    took. Items without a date of their own go to the quarter with the fewest JP so far, so they spread
    over the year. Returns the number of items added."""
    today = today_wib()
    courses = [c for c in plannable_courses(plan.year) if (c.ends_on or c.starts_on or today) >= today]
    raises, position_kinds = course_facts(c.id for c in courses)
    load = {q: 0 for q in QUARTERS}
    for item in plan.items:
        if item.quarter:
            load[item.quarter] += item.total_jp
    all_needs = needs(plan)
    taken = _taken_courses([n.user.id for n in all_needs])
    added = 0
    for need in all_needs:
        kind = need.position.kind if need.position else None
        fitting = [c for c in courses if course_fits(position_kinds[c.id], kind)
                   and (need.user.id, c.id) not in taken]
        chosen = {i.course_id for i in plan.items if i.user_id == need.user.id and i.course_id}
        planned = need.planned

        def add(course=None, competence=None, need=need, chosen=chosen):
            nonlocal planned, added
            quarter = quarter_of(course.starts_on or course.ends_on) if course else None
            jp = course.jp if course else TO_BE_CHOSEN_JP
            if quarter is None:
                quarter = min(load, key=lambda q: (load[q], q))
            load[quarter] += jp
            fee = (course.fee or 0) if course else 0
            plan.items.append(PlanItem(
                user_id=need.user.id, course_id=course.id if course else None,
                competence_id=competence.id if competence else None,
                title=course.title if course else _("To be chosen: %(competence)s", competence=competence.name),
                kind=course.kind if course else competence.kind, planned_jp=jp, quarter=quarter, cost=fee,
                funding="apbd" if fee else "free"))
            if course:
                chosen.add(course.id)
            planned += jp
            added += 1

        for gap in need.gaps:
            course = next((c for c in fitting if c.id not in chosen and
                           raises[c.id].get(gap.competence.id, 0) > gap.current), None)
            add(course, gap.competence)
        for course in fitting:
            if need.earned + planned >= JP_TARGET:
                break
            if course.id not in chosen and course.jp:
                add(course)
    return added

"""What a unit's plan adds up to: per planned activity whether it was done (by whom, JP earned), JP realised
against JP planned per person and for the unit, JP earned outside the plan apart, totals per funding source
and quarter, the plan as a workbook for the budget documents, and whether a training request is in its
unit's approved plan. Reads only.

A planned activity is realised by verified training credited in the plan's year, each training counting for
one activity at most (`_rank`): the planned course itself; else one of the activity's title (another run of
the planned course, or an activity planned without one), then for a person's "to be chosen" activity a
course raising the competence it names (or, when it names none, of its kind). A group's members are not
named: it is realised by its course or title only, by people of the unit, up to its number of participants.
Training that realised no activity is "outside the plan": it counts towards the 20 JP, not towards the plan."""
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, lazyload

from ...accounts.models import User
from ...extensions import db
from ...i18n import gettext as _
from ..models import FUNDING, KINDS, QUARTERS, CourseCompetence, Enrolment, Plan, PlanItem


def _share(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _same_title(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _rank(item: PlanItem, user_id: int, in_unit: bool, course, raises: dict) -> int | None:
    """How surely training in `course` by `user_id` realises `item`, best first; None: it does not."""
    if item.user_id is not None and item.user_id != user_id or item.user_id is None and not in_unit:
        return None
    if item.course_id is not None and course.id == item.course_id:
        return 0
    if _same_title(item.title, course.title):  # another run of the planned course counts too
        return 1
    if item.course_id is not None:
        return None
    if item.user_id is None:
        return None
    if item.competence_id is not None:
        return 2 if item.competence_id in raises.get(course.id, ()) else None
    return 3 if course.kind == item.kind else None


def _raises(course_ids) -> dict[int, set]:
    """Per course the competences it raises: one statement."""
    raises: dict[int, set] = {}
    for course_id, competence_id in db.session.execute(select(
            CourseCompetence.course_id, CourseCompetence.competence_id).where(
            CourseCompetence.course_id.in_(list(course_ids)))):
        raises.setdefault(course_id, set()).add(competence_id)
    return raises


def _names_a_competence(items) -> bool:
    return any(i.user_id is not None and i.course_id is None and i.competence_id for i in items)


@dataclass
class ItemRealisation:
    """One planned activity and the verified trainings that realised it."""
    item: PlanItem
    done: list[Enrolment] = field(default_factory=list)

    @property
    def earned(self) -> int:
        return sum(e.jp_credited for e in self.done)

    @property
    def realised(self) -> int:
        """JP counted for the plan: each participant's at most the activity's JP per participant."""
        return sum(min(e.jp_credited, self.item.planned_jp) for e in self.done)

    @property
    def status(self) -> str:
        """done, partly (some of a group) or open."""
        return "open" if not self.done else "done" if len(self.done) >= self.item.participants else "partly"

    @property
    def other_courses(self) -> list[str]:
        """The titles of trainings that realised it other than the planned course: said beside it."""
        return sorted({e.course.title for e in self.done if e.course_id != self.item.course_id})


@dataclass
class PersonRealisation:
    user: User
    planned: int = 0    # JP of the activities planned for them by name
    realised: int = 0   # of those, JP realised (each activity at most its JP)
    in_groups: int = 0  # JP credited for the group activities they realised
    outside: int = 0    # JP credited in the year for training the plan did not plan

    @property
    def share(self) -> int:
        return _share(self.realised, self.planned)

    @property
    def percent(self) -> int:
        """The bar's width."""
        return min(100, self.share)


@dataclass
class PlanRealisation:
    items: dict[int, ItemRealisation]
    people: list[PersonRealisation]
    planned: int = 0
    realised: int = 0
    outside: int = 0

    @property
    def done_items(self) -> int:
        return sum(1 for r in self.items.values() if r.status == "done")

    @property
    def percent(self) -> int:
        return min(100, _share(self.realised, self.planned))

    @property
    def exact_share(self) -> float | None:
        """The share the competence report prints for the same plan (one decimal, not capped)."""
        return round(100 * self.realised / self.planned, 1) if self.planned else None


def realisation(plan: Plan, items: list | None = None) -> PlanRealisation:
    """Per activity, per person and for the unit: what of the plan was realised, and the JP earned outside it
    by the unit's people and those planned by name. Two statements at most, whatever the plan's size."""
    items = list(plan.items) if items is None else items  # a caller may pass the items it read already
    named = {i.user_id for i in items if i.user_id is not None}
    trainings = list(db.session.scalars(
        select(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.state == "verified", Enrolment.credited_year == plan.year,
               or_(User.unit_id == plan.unit_id, Enrolment.user_id.in_(list(named))))
        .options(joinedload(Enrolment.user).lazyload(User.role_rows)).order_by(Enrolment.id)).unique())
    raises = _raises({e.course_id for e in trainings}) if trainings and _names_a_competence(items) else {}
    by_item, used = _matched(plan.unit_id, items, trainings, raises)
    people: dict[int, PersonRealisation] = {}

    def person(user) -> PersonRealisation:
        return people.setdefault(user.id, PersonRealisation(user))

    for found in by_item.values():
        if found.item.user_id is not None:
            row = person(found.item.user)
            row.planned += found.item.planned_jp
            row.realised += found.realised
        else:
            for e in found.done:
                person(e.user).in_groups += e.jp_credited
    for e in trainings:
        if e.id not in used:
            person(e.user).outside += e.jp_credited
    return PlanRealisation(items=by_item, people=sorted(people.values(), key=lambda r: r.user.full_name),
                           planned=sum(i.total_jp for i in items),
                           realised=sum(r.realised for r in by_item.values()),
                           outside=sum(r.outside for r in people.values()))


def realised_per_unit(plans: list, year: int, as_of=None, unit_of=None) -> dict:
    """The JP realised of each unit's plans in force ({unit id: JP}, as `realisation` counts them on the plan's
    page), for the competence report: `plans` are (unit id, items) pairs. With `as_of` (naive UTC) only JP
    verified before it count, and `unit_of(training)` says the unit its person was in then (a move later does
    not rewrite a filed month; default: their unit now). Two statements at most, whatever the number of plans
    and people."""
    if not plans:
        return {}
    counted = [Enrolment.state == "verified", Enrolment.credited_year == year]
    if as_of is not None:
        counted.append(Enrolment.verified_at < as_of)
    trainings = list(db.session.scalars(select(Enrolment).where(*counted).options(
        joinedload(Enrolment.user).lazyload(User.role_rows), joinedload(Enrolment.course))
        .order_by(Enrolment.id)).unique())
    wanted = any(_names_a_competence(items) for _unit, items in plans)
    raises = _raises({e.course_id for e in trainings}) if trainings and wanted else {}
    units = {e.id: unit_of(e) if unit_of is not None else e.user.unit_id for e in trainings}
    totals: dict = {}
    for unit_id, items in plans:
        named = {i.user_id for i in items if i.user_id is not None}
        mine = [e for e in trainings if units[e.id] == unit_id or e.user_id in named]
        by_item, _used = _matched(unit_id, items, mine, raises, units)
        totals[unit_id] = totals.get(unit_id, 0) + sum(r.realised for r in by_item.values())
    return totals


def _matched(unit_id, items, trainings, raises, units=None) -> tuple[dict, set]:
    """Each training to the activity it realises best, each at most once: ({item id: ItemRealisation}, the
    ids of the trainings used). `units`: each training's unit by its id (default: its person's now)."""
    def unit(e):
        return units[e.id] if units is not None else e.user.unit_id
    pairs = sorted(((rank, item.user_id is None, item.id, -e.jp_credited, e.id, item, e)
                    for item in items for e in trainings
                    if (rank := _rank(item, e.user_id, unit(e) == unit_id, e.course, raises)) is not None),
                   key=lambda pair: pair[:5])
    by_item = {i.id: ItemRealisation(i) for i in items}
    used: set[int] = set()
    for *_order, item, training in pairs:
        found = by_item[item.id]
        if training.id in used or len(found.done) >= item.participants \
                or any(e.user_id == training.user_id for e in found.done):
            continue
        found.done.append(training)
        used.add(training.id)
    return by_item, used


@dataclass
class PlanEntry:
    """A training request against its unit's approved plan for the year: the activity it realises, or None."""
    plan: Plan | None
    item: PlanItem | None = None
    done: bool = False  # the activity was carried out already: this training would count outside the plan
    course_quarter: int | None = None  # the quarter the course starts in, when it differs from the plan's

    @property
    def activity(self) -> str:
        item = self.item
        return item.title if item.group_label is None else f"{item.title} ({item.group_label})"

    @property
    def quarter(self) -> str:
        return str(QUARTERS[self.item.quarter]) if self.item.quarter else _("quarter not set")


def plan_entry(enrolment: Enrolment, year: int) -> PlanEntry | None:
    """The approved plan in force of the requester's unit for `year` and the activity the request would
    realise (the same rule as the realisation), or None without a unit. One statement, two when the plan
    has a person's "to be chosen" activity that names a competence, and the realisation's when it is planned."""
    person, course = enrolment.user, enrolment.course
    if person.unit_id is None:
        return None
    rows = db.session.execute(
        select(Plan, PlanItem).outerjoin(PlanItem, and_(PlanItem.plan_id == Plan.id, or_(
            PlanItem.user_id == person.id, PlanItem.user_id.is_(None))))
        .where(Plan.unit_id == person.unit_id, Plan.year == year, Plan.state == "approved",
               Plan.superseded_by_id.is_(None))
        .options(lazyload(PlanItem.user)).order_by(Plan.revision.desc(), PlanItem.id)).all()
    if not rows:
        return PlanEntry(None)
    plan = rows[0][0]
    items = [item for found, item in rows if item is not None and found.id == plan.id]
    raises = _raises([course.id]) if _names_a_competence(items) else {}
    ranked = sorted((rank, item.user_id is None, item.id, item) for item in items
                    if (rank := _rank(item, person.id, True, course, raises)) is not None)
    if not ranked:
        return PlanEntry(plan)
    # an activity carried out already (by this person, or a group's every seat) leaves the next that is not;
    # two statements more, only when the request is planned at all
    realised = realisation(plan, items).items  # this person's and the groups' items: all that can take theirs
    open_items = [r for r in ranked if not _carried_out(realised.get(r[2]), person.id)]
    item = (open_items or ranked)[0][-1]
    starts = course.starts_on and (course.starts_on.month - 1) // 3 + 1
    return PlanEntry(plan, item, done=not open_items,
                     course_quarter=starts if starts and item.quarter and starts != item.quarter else None)


def _carried_out(found: "ItemRealisation | None", user_id: int) -> bool:
    return found is not None and (found.status == "done" or any(e.user_id == user_id for e in found.done))


@dataclass
class Totals:
    jp: int = 0
    cost: int = 0
    by_funding: dict = field(default_factory=dict)
    by_quarter: dict = field(default_factory=dict)


def totals(plan: Plan) -> Totals:
    """JP (all participants) and estimated cost of the unit's plan, per funding source and quarter."""
    out = Totals(by_funding=dict.fromkeys(FUNDING, 0), by_quarter={q: 0 for q in QUARTERS})
    for item in plan.items:
        out.jp += item.total_jp
        out.cost += item.cost
        out.by_funding[item.funding] = out.by_funding.get(item.funding, 0) + item.cost
        if item.quarter:
            out.by_quarter[item.quarter] += item.total_jp
    return out


def _realised_by(found: ItemRealisation) -> str:
    return "; ".join(f"{e.user.full_name} ({e.course.title}, {e.jp_credited} JP)" for e in found.done)


def plan_workbook(plan: Plan) -> bytes:
    """The plan as an XLSX sheet for the budget documents: one row per activity with what of it was
    realised, totals at the bottom (with the JP earned outside the plan)."""
    from .history import to_xlsx
    header = [_("Person or group"), _("NIP"), _("Activity"), _("Competence kind"), _("Quarter"),
              _("JP per person"), _("Participants"), _("Total JP"), _("Estimated cost (Rp)"), _("Funding source"),
              _("Participants who took part"), _("Realised JP"), _("Realised through")]
    done = realisation(plan)
    body = [[item.user.full_name if item.user else item.group_label, (item.user.nip or "") if item.user else "",
             item.title, str(KINDS.get(item.kind, item.kind)), f"TW {item.quarter}" if item.quarter else "",
             item.planned_jp, item.participants, item.total_jp, item.cost, str(FUNDING.get(item.funding, item.funding)),
             len(done.items[item.id].done), done.items[item.id].realised, _realised_by(done.items[item.id])]
            for item in plan.items]
    sums = totals(plan)
    return to_xlsx(header, body, title=f"Rencana {plan.year}",
                   totals=[_("Total %(unit)s", unit=plan.unit.name), "", "", "", "", "", "", sums.jp, sums.cost, "",
                           sum(len(r.done) for r in done.items.values()), done.realised,
                           _("Outside the plan: %(jp)s JP", jp=done.outside)])

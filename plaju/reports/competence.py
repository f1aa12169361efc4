"""The competence dashboard's figures: who reached 20 JP this year, JP by kind and method, plans
against what was realised, e-learning completion, and who has not reached 20 JP yet (fewest JP first).

JP count when HR has verified an enrolment (`state = 'verified'`, `credited_year`), as the ASN's own
tally does; the month a JP counts in is the WIB month of the verification. The people counted (who
reached 20 JP, who has not) are the active accounts; the JP of someone who has left still count in their
unit's and the office's totals, as in the unit's exported history. A fixed number of
statements whatever the number of ASN and enrolments.

Units of fewer than SMALL_UNIT people are shown together (`shown_units`) to whoever may not see their
people one by one: the page, its files and the monthly report all read the rows it gives.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import false, func, select
from sqlalchemy.orm import aliased, lazyload

from ..accounts.models import Unit, User
from ..accounts.staff import Rosters
from ..database import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..timeutil import today_wib
from ..training.models import JP_TARGET, KINDS, METHODS, Course, Enrolment, Plan, PlanItem

WIB_OFFSET = timedelta(hours=7)  # Asia/Jakarta: UTC+7, no daylight saving
ELEARNING_STARTED = ("in_progress", "completed", "awaiting_certificate", "verified", "not_completed")
ELEARNING_DONE = ("completed", "awaiting_certificate", "verified")


def share(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


# a group of fewer people shows its figures only to whoever may see its people's training one by one
SMALL_UNIT = 3


@dataclass
class UnitRow:
    unit_id: int | None
    name: str
    people: int = 0
    hidden: bool = False  # its figures are not shown: they would tell a few people's training (SMALL_UNIT)
    in_combined: bool = False  # hidden, and counted in the row of the smaller units together
    combined: bool = False  # the row of the smaller units together
    reached: int = 0
    jp: int = 0
    planned: int = 0
    # of the planned activities, the JP realised (as the plan's own page counts them: each training for one
    # activity, each participant at most its JP); JP earned outside the plan count towards the 20 JP only
    plan_realised: int = 0
    # the office and the smaller units together: the JP realised of the units that have a plan
    jp_of_planned: int | None = None
    plan_hidden: bool = False  # the share realised would tell the JP of fewer than SMALL_UNIT unseen people

    @property
    def reached_percent(self):
        return share(self.reached, self.people)

    @property
    def jp_against_plan(self) -> int | None:
        """The JP realised of the plans, shown beside `planned` (the plan's page reads the same); the office's
        (and the smaller units') adds up the units with a plan. None: no plan, or not shown."""
        if self.plan_hidden or not self.planned:
            return None
        return self.plan_realised if self.jp_of_planned is None else self.jp_of_planned

    @property
    def realised_percent(self):
        against = self.jp_against_plan
        return None if against is None else share(against, self.planned)

    @property
    def why_hidden(self) -> str:
        """What a hidden row says instead of its figures."""
        if self.in_combined:
            return _("counted with the smaller units")
        return _("too few to show")


def _combined_group(rows: list[UnitRow]) -> list[UnitRow] | None:
    """The units whose figures are shown only together, the same for every viewer (the monthly report is
    made for none): those of fewer than SMALL_UNIT people, joined by the smallest others until the group
    without its largest unit still counts SMALL_UNIT people, as a unit's supervisor may see it alone and
    take it out of the group. None when even the whole office falls short."""
    group = [row for row in rows if row.people < SMALL_UNIT]
    if not group:
        return []
    others = sorted((row for row in rows if row.people >= SMALL_UNIT), key=lambda row: (row.people, row.name))
    while sum(row.people for row in group) - max(row.people for row in group) < SMALL_UNIT:
        if not others:
            return None
        group.append(others.pop(0))
    return group


def shown_units(rows: list[UnitRow], office: UnitRow, may_see) -> list[UnitRow]:
    """The unit rows as one viewer may see them, so that nothing they read (rows, office, any export, the
    monthly report beside it) adds up to the training of fewer than SMALL_UNIT people they may not see one
    by one: the units of `_combined_group` they may not see are listed without figures and shown together in
    one row, last; when that cannot be (too few people in the office) the office's figures are hidden too.
    `may_see(row)`: the viewer may see that unit's people one by one; None: every unit.

    The share of the plans realised is the same for every viewer (the JP of the units with a plan, the
    office's and the smaller units' together), or hidden: when the unseen units with a plan, or those
    without, are fewer than SMALL_UNIT people, the office's share minus the units shown would tell theirs."""
    group = [] if may_see is None else _combined_group(rows)
    whole_office = group is None
    unseen = [row for row in (rows if whole_office else group) if not may_see(row)]
    if not any(row.people < SMALL_UNIT for row in unseen):
        unseen = []  # every small unit is one they may see: the others are large enough alone
    combined = None
    if unseen and not whole_office and sum(row.people for row in unseen) >= SMALL_UNIT:
        combined = UnitRow(None, _("Smaller units together"), combined=True)
        for row in unseen:
            combined.people += row.people
            combined.reached += row.reached
            combined.jp += row.jp
            combined.planned += row.planned
    elif unseen:
        office.hidden = True
    for row in unseen:
        row.hidden, row.in_combined = True, combined is not None
    office.jp_of_planned = sum(row.plan_realised for row in rows if row.planned)
    if unseen:
        with_plan = sum(row.people for row in unseen if row.planned)
        without = sum(row.people for row in unseen if not row.planned)
        hide = any(0 < people < SMALL_UNIT for people in (with_plan, without))
        office.plan_hidden = hide
        if combined is not None:
            combined.jp_of_planned = sum(row.plan_realised for row in unseen if row.planned)
            combined.plan_hidden = hide
    return [*rows, combined] if combined else list(rows)


def _may_see(viewer):
    """The question whether `viewer` may see a unit's people one by one (no unit for the monthly report,
    made for no one viewer), asked of a row; a statement at most, as only the viewer's own unit can be theirs."""
    from ..training.services.history import may_export  # the rule of who sees a unit's records one by one
    return lambda row: viewer is not None and may_export(viewer, unit_id=row.unit_id)


def _month_end(year: int, month: int) -> datetime:
    """The last moment of a WIB month, as naive UTC."""
    return datetime(year + month // 12, month % 12 + 1, 1) - WIB_OFFSET


def _planned(year: int, as_of: datetime | None, unit_of) -> tuple[dict[int, int], dict[int, int]]:
    """JP planned per unit: the approved plans in force, all participants of an item (`PlanItem.total_jp`, as
    the plan's own page adds them up), and of them the JP realised (`plan_figures.realised_per_unit`). With
    `as_of`, the plans in force then: approved before it and not yet replaced by an amendment approved before
    it, so a plan approved or amended later leaves a closed month as it was (an approved plan's items no
    longer change), and the JP verified before it. Three statements at most."""
    from ..training.services.plan_figures import realised_per_unit
    in_force = [Plan.year == year, Plan.state == "approved"]
    query = select(Plan.id, Plan.unit_id, PlanItem).join(PlanItem, PlanItem.plan_id == Plan.id)
    if as_of is None:
        in_force.append(Plan.superseded_by_id.is_(None))
    else:
        successor = aliased(Plan)
        # a plan with no approval moment recorded was approved after it was made, at the earliest
        query = query.outerjoin(successor, successor.id == Plan.superseded_by_id)
        in_force += [func.coalesce(Plan.approved_at, Plan.created_at) < as_of,
                     Plan.superseded_by_id.is_(None)
                     | (func.coalesce(successor.approved_at, successor.created_at) >= as_of)]
    totals: dict[int, int] = defaultdict(int)
    plans: dict[int, tuple] = {}
    for plan_id, unit_id, item in db.session.execute(query.where(*in_force).options(lazyload(PlanItem.user))):
        totals[unit_id] += item.total_jp
        plans.setdefault(plan_id, (unit_id, []))[1].append(item)
    return totals, realised_per_unit(list(plans.values()), year, as_of, unit_of)


def competence_dashboard(year: int, through_month: int, viewer=None, sees_everyone: bool = False,
                         as_of: datetime | None = None) -> dict:
    """Figures for `year` up to and including `through_month` (1-12; 0: none, a year to come) for the monthly
    trend. With `as_of` (UTC) only the JP verified before it count: a month's report, filed, reads the same
    when made again."""
    units = {u.id: u for u in db.session.scalars(select(Unit).order_by(Unit.name))}
    # the staff as it was when the figures close (a filed month), in the unit they were in then: a move, a
    # new account or a departure later does not rewrite the month
    rosters = Rosters()
    now = utcnow()
    # never later than the year's end: a past year counts the staff it had, not today's
    closes = min(as_of or now, now, _month_end(year, 12))
    staff = rosters.at(closes)
    people = [SimpleNamespace(id=p.id, full_name=p.full_name, nip=p.nip, position=p.position,
                              unit_id=staff[p.id], supervisor_id=p.supervisor_id)
              for p in db.session.execute(select(User.id, User.full_name, User.nip, User.position,
                                                 User.supervisor_id).where(User.id.in_(list(staff)))
                                          .order_by(User.full_name, User.id))]
    counted = [Enrolment.state == "verified", Enrolment.credited_year == year]
    if as_of is not None:
        counted.append(Enrolment.verified_at < as_of)
    credits = db.session.execute(
        select(Enrolment.user_id, Enrolment.jp_credited, Enrolment.verified_at, Course.kind, Course.method,
               User.unit_id)
        .join(Course, Course.id == Enrolment.course_id).join(User, User.id == Enrolment.user_id)
        .where(*counted)).all()
    # a training realises its unit's plan in the unit its person was in when it was credited, as its JP count
    planned, plan_realised = _planned(year, as_of, lambda e: rosters.unit_at(
        e.user_id, min(e.verified_at, closes) if e.verified_at else closes, staff.get(e.user_id, e.user.unit_id)))
    elearning = db.session.execute(
        select(Enrolment.state, func.count())
        .join(Course, Course.id == Enrolment.course_id)
        # one not credited yet belongs to this year's figures, not to every year's
        # the office's catalogue only: a course reported from outside arrives done and would only raise it
        .where(Course.method == "elearning", Course.external.is_(False), Enrolment.state.in_(ELEARNING_STARTED),
               func.coalesce(Enrolment.credited_year, today_wib().year) == year)
        .group_by(Enrolment.state)).all()

    active_ids = {p.id for p in people}
    # the staff at the end of each month of the trend (WIB), never later than the figures close: who counts
    # in a month's headcount, and whose JP count towards that month
    month_staff = [set()] + [set(rosters.at(min(_month_end(year, month), closes))) for month in range(1, 13)]
    on_staff_some_month = set().union(*month_staff)
    jp = defaultdict(int)
    monthly: dict[int, list[int]] = {}  # user -> JP verified in each month (index 1-12)
    by_kind = defaultdict(int)
    by_method = defaultdict(int)
    # unit -> JP earned there: in the unit the person was in when they were credited (a move in December
    # took September's JP to the new unit, and the old one's year-to-date fell), leavers' JP included
    earned = defaultdict(int)
    for user_id, credited, verified_at, kind, method, unit_id in credits:
        by_kind[kind] += credited
        by_method[method] += credited
        moment = min(verified_at, closes) if verified_at else closes
        earned[rosters.unit_at(user_id, moment, staff.get(user_id, unit_id))] += credited
        if user_id not in active_ids:
            if user_id not in on_staff_some_month:
                continue
        else:
            jp[user_id] += credited
        # WIB is UTC+7 all year (no daylight saving): the month by arithmetic, not a time-zone lookup per row
        # credited to `year` but verified in January after it (a late-December course): reached by December
        # at the latest, not in January of the credited year
        verified = verified_at + WIB_OFFSET if verified_at else None
        if verified is None or verified.year < year:
            month = 1
        else:
            month = verified.month if verified.year == year else 12
        months = monthly.get(user_id)
        if months is None:
            months = monthly[user_id] = [0] * 13
        months[month] += credited

    no_unit = _("No unit")
    office = UnitRow(None, "")
    rows: dict = {}
    for person in people:
        row = rows.get(person.unit_id)
        if row is None:
            unit = units.get(person.unit_id)
            row = rows[person.unit_id] = UnitRow(person.unit_id, unit.name if unit else no_unit)
        reached = jp[person.id] >= JP_TARGET
        for cell in (row, office):
            cell.people += 1
            cell.reached += int(reached)
    for unit_id, total in earned.items():
        row = rows.get(unit_id)
        if row is None:
            unit = units.get(unit_id)
            row = rows[unit_id] = UnitRow(unit_id, unit.name if unit else no_unit)
        row.jp += total
        office.jp += total
    for unit_id, total in planned.items():
        row = rows.get(unit_id)
        if row is None:
            unit = units.get(unit_id)
            row = rows[unit_id] = UnitRow(unit_id, unit.name if unit else no_unit)
        row.planned += total
        row.plan_realised += plan_realised.get(unit_id, 0)
        office.planned += total
    units_shown = shown_units(sorted(rows.values(), key=lambda r: r.name), office,
                              None if sees_everyone else _may_see(viewer))

    # one pass per person with credits: running JP month by month (people without credits never reach);
    # someone who left counts, in the headcount as in those who reached, in the months before they left
    reached_in = [0] * 13
    for user_id, months in monthly.items():
        running = 0
        for month in range(1, through_month + 1):
            running += months[month]
            if running >= JP_TARGET and user_id in month_staff[month]:
                reached_in[month] += 1
    headcount = [len(members) for members in month_staff]
    trend = [{"month": month, "reached": reached_in[month], "people": headcount[month],
              "percent": share(reached_in[month], headcount[month])} for month in range(1, through_month + 1)]

    states = dict(elearning)
    started = sum(states.values())
    done = sum(states.get(s, 0) for s in ELEARNING_DONE)
    kinds = [(code, str(label), by_kind.get(code, 0)) for code, label in KINDS.items()]
    methods = [(code, str(label), by_method.get(code, 0)) for code, label in METHODS.items()]
    if office.hidden:  # the office's own figures, in other words
        trend, kinds, methods, started, done = [], [], [], None, None

    # the people the viewer may see one by one: everyone for HR, the ASN they supervise for a supervisor
    if sees_everyone:
        named = list(people)
    elif viewer is not None:
        named = [p for p in people if p.supervisor_id == viewer.id]
    else:
        named = []
    below = sorted((p for p in named if jp[p.id] < JP_TARGET), key=lambda p: jp[p.id])  # by name within a JP
    coming = _on_the_way([p.id for p in below], year) if below else {}
    return {
        "year": year, "target": JP_TARGET, "office": office, "small_unit": SMALL_UNIT,
        "units": units_shown,
        "by_kind": kinds, "by_method": methods,
        "elearning": {"started": started, "done": done, "percent": share(done or 0, started)},
        "trend": trend,
        "below_target": [{"name": p.full_name, "nip": p.nip, "position": p.position, "jp": jp[p.id],
                          "short": JP_TARGET - jp[p.id], "coming": coming.get(p.id, 0),
                          "unit": units[p.unit_id].name if p.unit_id in units else no_unit} for p in below],
        # everyone of them with their JP, by name: the inspection asks for each ASN's JP, not only the short
        "everyone_jp": [{"name": p.full_name, "nip": p.nip, "position": p.position, "jp": jp[p.id],
                         "short": max(0, JP_TARGET - jp[p.id]),
                         "unit": units[p.unit_id].name if p.unit_id in units else no_unit} for p in named],
        "jp": dict(jp),
    }


ON_THE_WAY = ("requested", "approved", "in_progress", "completed", "awaiting_certificate")
DONE_AWAITING = ("completed", "awaiting_certificate")


def _on_the_way(user_ids: list[int], year: int) -> dict[int, int]:
    """JP each person has asked for, approved or done in `year` but not yet credited (the certificate's JP
    where it is reported, else the course's): who may still reach the target before the year ends. Not a
    course long over and never reported (its certificate could no longer be): that JP is not coming. One
    statement."""
    from ..training.evidence import CERTIFICATE_GRACE_DAYS
    jp = func.coalesce(Enrolment.certificate_jp, Course.jp)
    day = func.coalesce(Course.ends_on, Course.starts_on)
    stale = day < today_wib() - timedelta(days=CERTIFICATE_GRACE_DAYS)
    return dict(db.session.execute(
        select(Enrolment.user_id, func.sum(jp)).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id.in_(user_ids), Enrolment.state.in_(ON_THE_WAY),
               # an undated course (e-learning at one's own pace) is on the way this year, not in every year
               (day.is_(None) if year == today_wib().year else false())
               | ((day >= date(year, 1, 1)) & (day <= date(year, 12, 31))),
               Enrolment.state.in_(DONE_AWAITING) | day.is_(None) | ~stale)
        .group_by(Enrolment.user_id)).all())

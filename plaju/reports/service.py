"""The service dashboard's figures, from `report_service_fact` (one statement) and the open requests.

Times are working minutes (Monday-Friday 08.00-16.00 WIB minus the holiday table). Percentiles use
the nearest-rank method: the p-th percentile of n sorted values is the value at rank ceil(p/100 x n),
computed here in Python, so both databases give the same figure. Months are WIB calendar months.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select

from ..database import utcnow
from ..documents import sla
from ..documents.models import DocumentRequest, DocumentType
from ..documents.workflow import CLOCK_STATES, OPEN_STATES
from ..extensions import db
from ..spreadsheet import Figure
from .models import ServiceFact

AGE_BUCKETS = [(0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "> 30")]


def nearest_rank(values: list[int], p: int) -> int | None:
    """The p-th percentile (0 < p <= 100) by nearest rank of a list that is already sorted."""
    n = len(values)
    if not n:
        return None
    rank = max(1, -(-p * n // 100))  # ceil(p * n / 100) in integers
    return values[rank - 1]


def month_add(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + mon - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_ending(end: str, count: int = 12) -> list[str]:
    return [month_add(end, i - count + 1) for i in range(count)]


@dataclass
class Stats:
    """Counts and time lists of one cell (a type and month, a month, a kelurahan, a period)."""
    received: int = 0
    handed_over: int = 0
    ready: int = 0
    within: int = 0
    service: list = field(default_factory=list)
    returned: list = field(default_factory=list)  # time back with the citizen, of those returned
    pickup: list = field(default_factory=list)

    def finish(self) -> "Stats":
        self.service.sort()
        self.returned.sort()
        self.pickup.sort()
        return self

    @property
    def service_median(self):
        return nearest_rank(self.service, 50)

    @property
    def service_p90(self):
        return nearest_rank(self.service, 90)

    @property
    def returned_median(self):
        return nearest_rank(self.returned, 50)

    @property
    def returned_p90(self):
        return nearest_rank(self.returned, 90)

    @property
    def pickup_median(self):
        return nearest_rank(self.pickup, 50)

    @property
    def pickup_p90(self):
        return nearest_rank(self.pickup, 90)

    @property
    def within_percent(self) -> float | None:
        return None if not self.ready else round(100 * self.within / self.ready, 1)

    def figures(self) -> dict:
        """Every number the pages show for this cell (the tests compare these)."""
        return {"received": self.received, "handed_over": self.handed_over, "ready": self.ready,
                "within": self.within, "within_percent": self.within_percent,
                "service_median": self.service_median, "service_p90": self.service_p90,
                "returned_count": len(self.returned), "returned_median": self.returned_median,
                "returned_p90": self.returned_p90,
                "pickup_median": self.pickup_median, "pickup_p90": self.pickup_p90}


@dataclass
class Filters:
    end_month: str
    type_id: int | None = None
    kelurahan: str | None = None
    split: date | None = None  # before / after this day (WIB)
    span: int = 12  # months shown, ending with end_month

    @property
    def months(self) -> list[str]:
        return months_ending(self.end_month, self.span)


@dataclass
class Dashboard:
    filters: Filters
    types: list
    months: list
    by_type_month: dict          # (type_id, month) -> Stats
    by_type: dict                # type_id -> Stats over the window
    by_month: dict               # month -> Stats (the trend)
    by_kelurahan: dict           # kelurahan -> Stats over the window
    split: dict | None           # {"before": {type_id|None: Stats}, "after": {...}}
    backlog: dict                # see backlog()
    total: Stats


def _fact_rows(filters: Filters, split_at: datetime | None):
    months = filters.months
    # the split is compared in SQL: no datetime is built per row
    before = (ServiceFact.ready_at < split_at) if split_at is not None else literal(False)
    stmt = (select(ServiceFact.type_id, ServiceFact.kelurahan, ServiceFact.received_month,
                   ServiceFact.ready_month, ServiceFact.handed_month, before,
                   ServiceFact.service_minutes, ServiceFact.budget_minutes, ServiceFact.returned_times,
                   ServiceFact.returned_minutes, ServiceFact.pickup_minutes)
            .where(ServiceFact.last_month >= months[0], ServiceFact.received_month <= months[-1]))
    if filters.type_id:
        stmt = stmt.where(ServiceFact.type_id == filters.type_id)
    if filters.kelurahan:
        stmt = stmt.where(ServiceFact.kelurahan == filters.kelurahan)
    return db.session.execute(stmt)


def _merge(cells) -> Stats:
    """One cell from several: counts added, time lists joined (sorted by finish())."""
    merged = Stats()
    for cell in cells:
        merged.received += cell.received
        merged.handed_over += cell.handed_over
        merged.ready += cell.ready
        merged.within += cell.within
        merged.service += cell.service
        merged.returned += cell.returned
        merged.pickup += cell.pickup
    return merged.finish()


def service_dashboard(filters: Filters, now: datetime | None = None) -> Dashboard:
    """One pass over the window's rows fills the finest cells (type and month; kelurahan; the split by
    type); the coarser ones are merged from them."""
    now = now or utcnow()
    months = filters.months
    window = set(months)
    types = list(db.session.scalars(select(DocumentType).order_by(DocumentType.position, DocumentType.id)))
    by_type_month: dict = {}
    by_kelurahan: dict = {}
    split_at = sla.start_of_day_utc(filters.split) if filters.split else None
    sides = ({}, {})  # after, before: type_id -> Stats

    def cell(group, key):
        found = group.get(key)
        if found is None:
            found = group[key] = Stats()
        return found

    for (type_id, kelurahan, received_month, ready_month, handed_month, before, service, budget,
         returned_times, returned, pickup) in _fact_rows(filters, split_at):
        place = cell(by_kelurahan, kelurahan)
        if received_month in window:
            cell(by_type_month, (type_id, received_month)).received += 1
            place.received += 1
        if service is not None and ready_month in window:
            targets = (cell(by_type_month, (type_id, ready_month)), place,
                       cell(sides[1 if before else 0], type_id)) if split_at else \
                (cell(by_type_month, (type_id, ready_month)), place)
            within = service <= budget
            for target in targets:
                target.ready += 1
                target.service.append(service)
                target.within += within
                if returned_times:
                    target.returned.append(returned)
        if pickup is not None and handed_month in window:
            target = cell(by_type_month, (type_id, handed_month))
            target.handed_over += 1
            target.pickup.append(pickup)
            place.handed_over += 1
            place.pickup.append(pickup)
    by_type = {t: _merge(c for (tt, _m), c in by_type_month.items() if tt == t)
               for t in {t for t, _m in by_type_month}}
    by_month = {m: _merge(c for (_t, mm), c in by_type_month.items() if mm == m) for m in months}
    total = _merge(by_type.values())
    for stats in (*by_type_month.values(), *by_kelurahan.values()):
        stats.finish()
    split = None
    if split_at is not None:
        split = {}
        for name, side in (("after", sides[0]), ("before", sides[1])):
            for stats in side.values():
                stats.finish()
            merged = {**side}
            if side:
                merged[None] = _merge(side.values())
            split[name] = merged
    return Dashboard(filters=filters, types=types, months=months, by_type_month=by_type_month,
                     by_type=by_type, by_month=by_month, by_kelurahan=by_kelurahan,
                     split=split, backlog=backlog(filters, now), total=total)


def backlog(filters: Filters, now: datetime) -> dict:
    """Open requests now (not handed over, rejected or cancelled): by age in calendar days since intake
    (WIB), overdue, by type and kelurahan. Counted in SQL, grouped: a few rows whatever the backlog."""
    today = sla.wib_date(now)
    age = case(*[(DocumentRequest.received_at >= sla.start_of_day_utc(today - timedelta(days=hi)), label)
                 for _lo, hi, label in AGE_BUCKETS if hi is not None], else_=AGE_BUCKETS[-1][2])
    # overdue: the service clock runs and its budget is spent (a ready document waits for the citizen)
    overdue = case((and_(DocumentRequest.state.in_(CLOCK_STATES), DocumentRequest.due_at < now), 1), else_=0)
    stmt = (select(DocumentRequest.type_id, DocumentRequest.kelurahan, age, func.count(), func.sum(overdue))
            .where(DocumentRequest.state.in_(OPEN_STATES))
            .group_by(DocumentRequest.type_id, DocumentRequest.kelurahan, age))
    if filters.type_id:
        stmt = stmt.where(DocumentRequest.type_id == filters.type_id)
    if filters.kelurahan:
        stmt = stmt.where(DocumentRequest.kelurahan == filters.kelurahan)
    ages = {label: 0 for _lo, _hi, label in AGE_BUCKETS}
    by_type = defaultdict(lambda: {"open": 0, "overdue": 0})
    by_kelurahan = defaultdict(lambda: {"open": 0, "overdue": 0})
    total = {"open": 0, "overdue": 0}
    for type_id, kelurahan, label, count, late in db.session.execute(stmt):
        ages[label] += count
        for target in (by_type[type_id], by_kelurahan[kelurahan], total):
            target["open"] += count
            target["overdue"] += int(late or 0)
    return {"ages": ages, "by_type": dict(by_type), "by_kelurahan": dict(by_kelurahan), "total": total}


OVERDUE_BOUND = 100  # the home card says "99+" beyond: a bounded read of the (state, due_at) index


def month_within(month: str) -> tuple[int, int]:
    """(finished, finished within the standard) in one month."""
    ready, within, _overdue = month_card(month)
    return ready, within


def month_card(month: str) -> tuple[int, int, int]:
    """The home card's figures in one statement: finished this month, of them within the standard, and the
    requests open past their deadline now (up to OVERDUE_BOUND): the share of finished ones alone read
    100 % while eight waited past their deadline."""
    overdue = (select(literal(1)).where(DocumentRequest.state.in_(CLOCK_STATES), DocumentRequest.due_at < utcnow())
               .limit(OVERDUE_BOUND).subquery())
    row = db.session.execute(
        select(func.count(), func.sum(case((ServiceFact.service_minutes <= ServiceFact.budget_minutes, 1), else_=0)),
               select(func.count()).select_from(overdue).scalar_subquery())
        .where(ServiceFact.last_month >= month, ServiceFact.ready_month == month,
               ServiceFact.service_minutes.is_not(None))).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def hours(minutes: int | None) -> str:
    """Working minutes as working hours with one decimal, Indonesian decimal comma: '12,5'."""
    if minutes is None:
        return Figure("–")
    return Figure(f"{minutes / 60:.1f}".replace(".", ","), round(minutes / 60, 1), "0.0")

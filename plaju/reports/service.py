"""The service dashboard's figures, from `report_service_fact` (one statement) and the open requests.

Times are working minutes (Monday-Friday 08.00-16.00 WIB minus the holiday table). Percentiles use
the nearest-rank method: the p-th percentile of n sorted values is the value at rank ceil(p/100 x n),
computed here in Python, so both databases give the same figure. Months are WIB calendar months.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..database import utcnow
from ..documents import sla
from ..documents.models import DocumentRequest, DocumentType
from ..documents.workflow import CLOCK_STATES, OPEN_STATES
from ..extensions import db
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


def _fact_rows(filters: Filters):
    months = filters.months
    stmt = (select(ServiceFact.type_id, ServiceFact.kelurahan, ServiceFact.received_month,
                   ServiceFact.ready_month, ServiceFact.handed_month, ServiceFact.ready_at,
                   ServiceFact.service_minutes, ServiceFact.budget_minutes, ServiceFact.returned_times,
                   ServiceFact.returned_minutes, ServiceFact.pickup_minutes)
            .where(ServiceFact.last_month >= months[0], ServiceFact.received_month <= months[-1]))
    if filters.type_id:
        stmt = stmt.where(ServiceFact.type_id == filters.type_id)
    if filters.kelurahan:
        stmt = stmt.where(ServiceFact.kelurahan == filters.kelurahan)
    return db.session.execute(stmt)


def service_dashboard(filters: Filters, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    months = filters.months
    window = set(months)
    types = list(db.session.scalars(select(DocumentType).order_by(DocumentType.position, DocumentType.id)))
    by_type_month = defaultdict(Stats)
    by_type = defaultdict(Stats)
    by_month = {m: Stats() for m in months}
    by_kelurahan = defaultdict(Stats)
    total = Stats()
    split_at = sla.start_of_day_utc(filters.split) if filters.split else None
    split = {"before": defaultdict(Stats), "after": defaultdict(Stats)} if split_at else None
    for (type_id, kelurahan, received_month, ready_month, handed_month, ready_at, service, budget,
         returned_times, returned, pickup) in _fact_rows(filters):
        cells_received, cells_ready, cells_handed = [], [], []
        if received_month in window:
            cells_received = [by_type_month[type_id, received_month], by_type[type_id], by_month[received_month],
                              by_kelurahan[kelurahan], total]
        if ready_month in window and service is not None:
            cells_ready = [by_type_month[type_id, ready_month], by_type[type_id], by_month[ready_month],
                           by_kelurahan[kelurahan], total]
            if split is not None:
                side = split["before" if ready_at < split_at else "after"]
                cells_ready += [side[type_id], side[None]]
        if handed_month in window and pickup is not None:
            cells_handed = [by_type_month[type_id, handed_month], by_type[type_id], by_month[handed_month],
                            by_kelurahan[kelurahan], total]
        for cell in cells_received:
            cell.received += 1
        for cell in cells_ready:
            cell.ready += 1
            cell.service.append(service)
            if service <= budget:
                cell.within += 1
            if returned_times:
                cell.returned.append(returned)
        for cell in cells_handed:
            cell.handed_over += 1
            cell.pickup.append(pickup)
    for group in (by_type_month, by_type, by_month, by_kelurahan):
        for stats in group.values():
            stats.finish()
    total.finish()
    if split is not None:
        for side in split.values():
            for stats in side.values():
                stats.finish()
    return Dashboard(filters=filters, types=types, months=months, by_type_month=dict(by_type_month),
                     by_type=dict(by_type), by_month=by_month, by_kelurahan=dict(by_kelurahan),
                     split=split, backlog=backlog(filters, now), total=total)


def backlog(filters: Filters, now: datetime) -> dict:
    """Open requests now (not handed over, rejected or cancelled): by age in calendar days since intake
    (WIB), overdue, by type and kelurahan."""
    stmt = (select(DocumentRequest.type_id, DocumentRequest.kelurahan, DocumentRequest.received_at,
                   DocumentRequest.due_at, DocumentRequest.state)
            .where(DocumentRequest.state.in_(OPEN_STATES)))
    if filters.type_id:
        stmt = stmt.where(DocumentRequest.type_id == filters.type_id)
    if filters.kelurahan:
        stmt = stmt.where(DocumentRequest.kelurahan == filters.kelurahan)
    today = sla.wib_date(now)
    ages = {label: 0 for _lo, _hi, label in AGE_BUCKETS}
    by_type = defaultdict(lambda: {"open": 0, "overdue": 0})
    by_kelurahan = defaultdict(lambda: {"open": 0, "overdue": 0})
    total = {"open": 0, "overdue": 0}
    for type_id, kelurahan, received_at, due_at, state in db.session.execute(stmt):
        age = (today - sla.wib_date(received_at)).days
        for lo, hi, label in AGE_BUCKETS:
            if age >= lo and (hi is None or age <= hi):
                ages[label] += 1
                break
        # overdue: the service clock runs and its budget is spent (a ready document waits for the citizen)
        overdue = state in CLOCK_STATES and due_at is not None and due_at < now
        for cell in (by_type[type_id], by_kelurahan[kelurahan], total):
            cell["open"] += 1
            cell["overdue"] += int(overdue)
    return {"ages": ages, "by_type": dict(by_type), "by_kelurahan": dict(by_kelurahan), "total": total}


def hours(minutes: int | None) -> str:
    """Working minutes as working hours with one decimal, Indonesian decimal comma: '12,5'."""
    if minutes is None:
        return "–"
    return f"{minutes / 60:.1f}".replace(".", ",")

"""The counter's queue: filters, the search (exact code or NIK, else words of the name), keyset pages and
the bounded counters of the navigation. A fixed number of statements whatever the number of requests."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, func, select, tuple_

from ..core.urls import MAX_ID
from ..database import utcnow
from ..extensions import db
from ..timeutil import today_wib
from . import sla
from .models import DocumentNameWord, DocumentRequest, name_words
from .nik import clean as nik_clean
from .services import normalise_code
from .workflow import CLOCK_STATES, DOCUMENT_FLOW, OPEN_STATES, STATES, TERMINAL_STATES

PAGE_SIZE = 25
STOPPED_STATES = tuple(s.name for s in STATES if not s.clock)  # states whose service clock does not run


@dataclass
class QueueFilters:
    state: str = "open"
    type_id: int | None = None
    kelurahan: str = ""
    flag: str = ""  # overdue | today
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        state = args.get("state") or "open"
        if state not in ("open", "all", *DOCUMENT_FLOW.state_by_name):
            state = "open"
        flag = args.get("flag") or ("overdue" if args.get("overdue") else "")
        type_id = args.get("type", type=int)
        if type_id is not None and not 0 <= type_id <= MAX_ID:  # too large for the database: no filter
            type_id = None
        return cls(state=state, type_id=type_id, kelurahan=(args.get("kelurahan") or "").strip(),
                   flag=flag if flag in ("overdue", "today") else "", q=(args.get("q") or "").strip()[:60])

    def as_args(self) -> dict:
        args = {"state": self.state, "type": self.type_id, "kelurahan": self.kelurahan, "flag": self.flag,
                "q": self.q}
        return {k: v for k, v in args.items() if v not in (None, "")}


def _where(filters: QueueFilters, now: datetime):
    exact = _exact(filters.q)
    if exact is not None:  # the citizen's receipt or KTP: found whatever the tab and filters (a finished one too)
        return exact
    conds = []
    # "open" and the clock flags are written as NOT IN so the planner walks the (received_at, id)
    # index in page order instead of gathering every matching state and sorting them all
    if filters.state == "open":
        conds.append(DocumentRequest.state.not_in(TERMINAL_STATES))
    elif filters.state != "all":
        conds.append(DocumentRequest.state == filters.state)
    if filters.type_id:
        conds.append(DocumentRequest.type_id == filters.type_id)
    if filters.kelurahan:
        conds.append(DocumentRequest.kelurahan == filters.kelurahan)
    if filters.flag == "overdue":
        conds += [DocumentRequest.state.not_in(STOPPED_STATES), DocumentRequest.due_at < now]
    elif filters.flag == "today":
        conds += [DocumentRequest.state.not_in(STOPPED_STATES), DocumentRequest.due_at >= now,
                  DocumentRequest.due_at < sla.end_of_day_utc(today_wib())]
    if filters.q:
        conds += _search(filters.q)
    return conds


def _exact(q: str) -> list | None:
    """A tracking code or a NIK: matched exactly (a partial NIK would let anyone list citizens)."""
    code = normalise_code(q)
    if code:
        return [DocumentRequest.tracking_code == code]
    digits = nik_clean(q)  # as the intake reads it: "1671 0855 0590 0032", as printed on the KTP, too
    if len(digits) == 16 and digits.isascii() and digits.isdigit():
        return [DocumentRequest.nik == digits]
    return None


def _search(q: str) -> list:
    """Every word typed must begin a word of the citizen's name, read from the name-word index."""
    words = name_words(q)[:3]
    if not words:
        return [false()]
    return [DocumentRequest.id.in_(select(DocumentNameWord.request_id).where(_begins(DocumentNameWord.word, w)))
            for w in words]


def _begins(column, prefix: str):
    """`column` starts with `prefix`, in a form the word index serves: LIKE on PostgreSQL's pattern-ops
    index, a range on SQLite (whose LIKE ignores case and so cannot use a plain index)."""
    if db.engine.dialect.name == "postgresql":
        return column.startswith(prefix, autoescape=True)
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def encode_cursor(req: DocumentRequest) -> str:
    return f"{req.received_at.isoformat(timespec='microseconds')}_{req.id}"


def decode_cursor(raw: str | None):
    if not raw:
        return None
    try:
        stamp, _sep, ident = raw.rpartition("_")
        stamp, ident = datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        return None
    if not 0 <= ident <= MAX_ID:  # no row has such an id; the database could not even compare it
        return None
    return stamp, ident


def queue_statement(filters: QueueFilters, after=None, limit: int = PAGE_SIZE, now: datetime | None = None):
    now = now or utcnow()
    stmt = select(DocumentRequest).where(*_where(filters, now))
    cursor = decode_cursor(after) if isinstance(after, str) else after
    if cursor:
        stmt = stmt.where(tuple_(DocumentRequest.received_at, DocumentRequest.id) < tuple_(*cursor))
    return stmt.order_by(DocumentRequest.received_at.desc(), DocumentRequest.id.desc()).limit(limit + 1)


def queue_page(filters: QueueFilters, after=None, limit: int = PAGE_SIZE):
    """One page of the queue in one query (type joined); returns (rows, cursor of the next page)."""
    rows = list(db.session.scalars(queue_statement(filters, after, limit)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


COUNT_CAP = 1000  # counters stop here ("1000+"): their cost stays the same however many requests there are


def counters() -> dict:
    """Open, overdue, due today, awaiting signature and ready: one statement of bounded index-only counts."""
    now = utcnow()
    end_today = sla.end_of_day_utc(today_wib())
    r = DocumentRequest

    def count(*conds):
        first = select(r.id).where(*conds).limit(COUNT_CAP).subquery()
        return select(func.count()).select_from(first).scalar_subquery()
    row = db.session.execute(select(
        count(r.state.in_(OPEN_STATES)),
        count(r.state.in_(CLOCK_STATES), r.due_at < now),
        count(r.state.in_(CLOCK_STATES), r.due_at >= now, r.due_at < end_today),
        count(r.state == "awaiting_signature"),
        count(r.state == "ready"),
    )).one()
    return {"open": row[0], "overdue": row[1], "today": row[2], "signature": row[3], "ready": row[4]}


class LazyCounters:
    """The queue's counters, counted when a template first shows one: an HTMX fragment of the list that
    does not show them costs nothing."""

    def __init__(self):
        self._values = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._values is None:
            self._values = counters()
        return self._values[name]

    __getitem__ = __getattr__

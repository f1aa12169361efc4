"""The search of /audit/: filters read from the query string, checked, and turned into one SQL condition.

Every filter ends in an index whose last column is seq (see models.AuditEvent), so a page is the next
`limit` rows below a seq (keyset), newest first, whatever the size of the log. Names are resolved before
the search, each in one statement: a tracking code or a NIK to the objects the areas registered
(`vocabulary.describe_search`), a person (name, NIP or username) to user ids.

A NIK never travels in a URL: the form's `nik` is sealed (`nik_ref.seal`) into `nik_ref` at once, and
the page shows it masked.
"""
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter

from ..extensions import db
from ..i18n import date_text
from ..i18n import gettext as _
from ..timeutil import WIB
from . import nik_ref, vocabulary
from .days import COVER_ID
from .models import AuditDay, AuditDayCover, AuditEvent

LOGIN_ACTIONS = ("auth.login", "auth.logout")
DATA_ACCESS = "data-access"
FIELDS = ("code", "nik_ref", "person", "action", "outcome", "date_from", "date_to", "logins", "subject")
ACTION_NAME = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")  # older or undescribed actions are searchable too
PERSON_MATCHES = 20  # a name matching more people than this is too vague to search by
# A search read in many parts (a kind of action: one part per action) cost PostgreSQL more to plan than
# to read. Where what it seeks is dense, as document steps are in any month, the newest WINDOW seqs that
# may match already hold a page: they are read first, along the primary key in one part, and the parts
# only when the window holds less than a page (see Search.window_statement).
WINDOW = 2_000
WINDOW_FROM_PARTS = 4



def _window_first(search) -> bool:
    """A kind of action of many actions reads a window first. A person does not, however many parts: an
    ASN acts a few times a month, so the window would mostly fall short and cost a statement more."""
    return search.any_branch is not None and len(search.alternatives()) >= WINDOW_FROM_PARTS


@dataclass
class Search:
    filters: dict
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what a filter was understood as ("NIK 1671…0001")
    conditions: list = field(default_factory=list)
    # alternatives of which an event must match one (a person as actor, as principal, as subject), each
    # with an index of its own ending in seq
    branches: list = field(default_factory=list)
    # a date range's ranges of seq (see _date_range): an event lies in `span`, the seqs of the range's
    # days as counted by audit_day (read with each branch), or in `tail`, beyond the count's watermark
    # (the newest events, few: read once, with all branches)
    span: object = None
    tail: object = None
    span_high: object = None  # the highest seq of `span`
    # an event matches one of `branches` when it matches this: the same condition in one piece (a kind of
    # action: one IN rather than an OR of its actions)
    any_branch: object = None
    # what parse found in the database for the filters (objects, people): with the filters, all that
    # the statement depends on (see page_statement)
    resolved: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def where(self):
        return and_(true(), *self.conditions, *([or_(*self.branches)] if self.branches else []),
                    *([or_(self.span, self.tail)] if self.span is not None else []))

    def alternatives(self) -> list:
        """The parts a page is read in, each newest first along an index of its own."""
        if self.span is None:
            return list(self.branches)
        return [*(and_(branch, self.span) for branch in self.branches or [true()]),
                and_(self.tail, or_(*self.branches) if self.branches else true())]

    def statement(self, *, before: int | None = None, limit: int | None = None, columns=None):
        before = _seq_or_none(before)
        below = [AuditEvent.seq < before] if before is not None else []
        alternatives = self.alternatives()
        if alternatives and limit:
            return _newest([and_(alternative, *self.conditions, *below) for alternative in alternatives],
                           limit, columns)
        stmt = select(*(columns or (AuditEvent,))).where(self.where(), *below)
        stmt = stmt.order_by(AuditEvent.seq.desc())
        return stmt.limit(limit) if limit else stmt

    def window_statement(self, *, before=None, limit: int):
        """The newest `limit` matches among the newest WINDOW seqs that may match (below `before`, in the
        date range's span; and every match beyond the watermark, which lies above the span), or None for
        a search that reads no window (_window_first). When it finds `limit` rows they are the page: every
        match it did not read lies below each one it read."""
        if not limit or not _window_first(self):
            return None
        before = _seq_or_none(before)
        seq = AuditEvent.seq
        any_branch = self.any_branch if self.any_branch is not None else or_(false(), *self.branches)
        conditions = [*self.conditions, *([any_branch] if self.branches else []),
                      *([seq < before] if before is not None else [])]
        if self.span is None:
            top = select(func.max(seq)).where(*([seq < before] if before is not None else [])).scalar_subquery()
            parts = [and_(*conditions, seq >= top - WINDOW)]
        else:
            high = self.span_high
            top = high if before is None else case((high < before, high), else_=before)
            parts = [and_(*conditions, self.span, seq >= top - WINDOW), and_(*conditions, self.tail)]
        return _newest(parts, limit)

    def rows(self, *, before: int | None, limit: int) -> list:
        """A page's events: the window's when it holds the page, else the search's in all its parts. The
        statements are built once per search and kept (see page_statement), since building and keying
        the statement of a kind of action or a date range (dozens of parts) cost the page more than
        reading its rows."""
        params = {"before": before} if before else {}
        window = page_statement(self, bool(before), limit, window=True)
        if window is not None:
            events = list(db.session.scalars(window, params))
            if len(events) >= limit:
                return events
        return list(db.session.scalars(page_statement(self, bool(before), limit), params))

    def count(self, cap: int) -> int:
        """How many rows match, counting at most cap + 1."""
        inner = self.statement(limit=cap + 1, columns=(AuditEvent.seq,)).subquery()
        return db.session.scalar(select(func.count()).select_from(inner))

    def query_args(self) -> dict:
        return {k: v for k, v in self.filters.items() if v}

    def describe(self) -> str:
        """The search in words, for the export's audit event, as HR reads it (the NIK only masked): the
        code, NIK, person and object as `parse` resolved them, then the other filters."""
        parts = [str(n) for n in self.notes]
        f = self.filters
        action = f["action"]
        if action == DATA_ACCESS:
            parts.append(_("Data access (NIK, scans, exports, refused pages)"))
        elif action.endswith(".*"):
            parts.append(vocabulary.kind_label(action[:-2]))
        elif action:
            parts.append(vocabulary.action_label(action))
        if f["outcome"]:
            parts.append(_("refused only") if f["outcome"] == "refused" else _("done only"))
        if f["date_from"] or f["date_to"]:
            def day(iso):  # "1 Desember 2026", as every other date HR reads
                try:
                    return date_text(date.fromisoformat(iso))
                except (TypeError, ValueError):
                    return iso or "…"
            parts.append(_("from %(start)s until %(end)s", start=day(f["date_from"]), end=day(f["date_to"])))
        if f["logins"] == "1":
            parts.append(_("sign-ins included"))
        return "; ".join(parts) or _("all events")

    def to_json(self) -> str:
        return json.dumps(self.query_args(), sort_keys=True)


_STATEMENTS: dict[tuple, object] = {}
_STATEMENTS_KEPT = 256


def _newest(parts: list, limit: int, columns=None):
    """The events of the newest `limit` seqs matching any of the parts.

    An OR of indexes is read by neither database in seq order: a person with few events made them scan
    the log. Each part instead gives its newest `limit` seqs along its own index; the page is the newest
    `limit` of those. Limited again as a whole, so that PostgreSQL expects `limit` seqs and fetches them
    by primary key, rather than walking the primary key from the newest row to merge them in (740,000
    rows for a month long past)."""
    newest = [select(AuditEvent.seq).where(part).order_by(AuditEvent.seq.desc()).limit(limit).subquery()
              for part in parts]
    # union, not union_all: one event may match several parts (a person as actor and as object), and
    # duplicates would take places of the `limit`, cutting a page (and an export's batch) short
    found = union(*(select(n.c.seq) for n in newest)).subquery()
    return (select(*(columns or (AuditEvent,)))
            .where(AuditEvent.seq.in_(select(found.c.seq).order_by(found.c.seq.desc()).limit(limit)))
            .order_by(AuditEvent.seq.desc()).limit(limit))


def page_statement(search: Search, paged: bool, limit: int, window: bool = False):
    """search.statement() (or its window_statement()) with `before` as the bound parameter "before" when
    `paged`, kept per search: the same filters and the same objects and people found for them give the
    same statement. Its rows are still read afresh each time; SQLAlchemy's own cache then also finds its
    compiled form at once."""
    key = (tuple(search.filters.items()), tuple(search.resolved), paged, limit, window and WINDOW,
           len(vocabulary.known_actions()), len(vocabulary.data_access_actions()), db.engine.dialect.name)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    if len(_STATEMENTS) >= _STATEMENTS_KEPT:
        _STATEMENTS.clear()
    build = search.window_statement if window else search.statement
    stmt = _STATEMENTS[key] = build(before=bindparam("before") if paged else None, limit=limit)
    return stmt


LOG_YEARS = (2000, 2099)


def _date(raw: str, label: str, errors: list) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(_("%(label)s “%(value)s” is not a date; use a date from the calendar (YYYY-MM-DD).",
                        label=label, value=raw[:40]))
        return None
    if not LOG_YEARS[0] <= day.year <= LOG_YEARS[1]:  # year 1 or 9999 would not even convert to UTC
        errors.append(_("%(label)s “%(value)s” is outside the years the log can hold (%(first)s to %(last)s).",
                        label=label, value=raw[:40], first=LOG_YEARS[0], last=LOG_YEARS[1]))
        return None
    return day


def _utc_iso(day: date) -> str:
    """The start of a WIB day as the log stores times (ISO 8601 UTC, microseconds)."""
    start = datetime.combine(day, time(0), tzinfo=WIB)
    return start.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


@functools.cache
def _seq_or_none(before):
    """`before` as a page bound: a seq, or a bound parameter standing for one (page_statement); None for none."""
    return before if isinstance(before, BindParameter) or before else None


def _people_statement():
    """The people a term names (at most PERSON_MATCHES + 1) and, in the same statement, the objects the
    areas know about them (vocabulary.describe_people_objects): rows (id, full_name, None, None) for a
    person, (None, None, subject_type, subject_id) for an object. Built once: a person's search asks it on
    every page."""
    from ..accounts.models import User
    people = select(User.id, User.full_name).where(or_(
        func.lower(User.username) == bindparam("username"),
        User.nip == bindparam("nip"),
        User.full_name.ilike(bindparam("name"), escape="\\"))).order_by(User.full_name).limit(
        PERSON_MATCHES + 1).cte("people")
    parts = [select(people.c.id, people.c.full_name, null().cast(String), null().cast(String))]
    for found in vocabulary.people_objects(select(people.c.id)):
        kind, ident = found.subquery().c
        parts.append(select(null().cast(Integer), null().cast(String), cast(kind, String), cast(ident, String)))
    return union_all(*parts)


def _people(term: str) -> tuple[list, list]:
    """The people a term names, by name, and the objects about them as (subject_type, subject_id)."""
    name = "%" + term.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    people, objects = [], []
    for ident, full_name, kind, subject in db.session.execute(
            _people_statement(), {"username": term.lower(), "nip": term.replace(" ", ""), "name": name}):
        if kind is None:
            people.append((full_name, ident))
        else:
            objects.append((kind, subject))
    return sorted(people), objects


def _rare(condition):
    """SQLite's statistics count every empty acting_for_id as one value, so it takes a Plh/Plt's events
    for most of the log and prefers scanning the period by seq; likelihood() tells it they are few."""
    if db.engine.dialect.name == "sqlite":
        return func.likelihood(condition, literal_column("0.001"))
    return condition


def about_each(objects) -> list:
    """Events about any of these (kind, id) objects: one IN per kind, each a range of
    ix_audit_event_subject, however many objects a person or a NIK has."""
    kinds: dict[str, list[str]] = {}
    for kind, ident in objects:
        kinds.setdefault(kind, []).append(ident)
    return [and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(sorted(set(idents))))
            for kind, idents in kinds.items()]


def about(objects) -> object:
    return or_(false(), *about_each(objects))


def parse(args) -> Search:
    filters = {k: (args.get(k) or "").strip() for k in FIELDS}
    search = Search(filters)
    errors, where = search.errors, search.conditions

    subject = filters["subject"]
    if subject:
        kind, _sep, ident = subject.partition(":")
        if not kind:
            errors.append(_("The object “%(value)s” is not known.", value=subject[:60]))
        elif not ident:  # every object of one kind
            where.append(AuditEvent.subject_type == kind)
        else:
            # with its parts: a request's scans, its letters, the complaints about it (resolved: a statement
            # is kept per search and the objects it found, and a new complaint is a new part)
            objects = vocabulary.with_parts([(kind, ident)])
            search.resolved.append(("subject", tuple(objects)))
            where.append(about(objects))
            named = vocabulary.subject_name(kind, ident)  # the export's own log entry says which
            search.notes.append(_("the complete history of %(name)s", name=named) if named
                                else _("one object's complete history"))

    for key, label in (("code", _("tracking code")), ("nik_ref", "NIK")):
        raw = filters[key]
        if not raw:
            continue
        if key == "code":
            term = " ".join(raw.upper().split())  # each finder reads spaces its own way ("800 BPSDM 2026 77")
            shown = term
        else:
            term = nik_ref.unseal(raw)
            if term is None:
                errors.append(_("The NIK search has expired; enter the NIK again."))
                continue
            shown = vocabulary.mask_nik(term)
        objects = vocabulary.find_subjects("code" if key == "code" else "nik", term)
        if not objects and key == "code":  # the same box takes a tracking code, a letter's or a certificate's number
            errors.append(_("Nothing in the log has the code or number %(value)s.", value=shown))
            continue
        if not objects:
            errors.append(_("No request has the %(what)s %(value)s.", what=label, value=shown))
            continue
        if key == "code":  # named by what it found: a certificate's number was described as a letter's
            label = vocabulary.number_label({kind for kind, _ident in objects})
        search.notes.append(f"{label} {shown}")
        objects = vocabulary.with_parts(objects)
        search.resolved.append((key, tuple(objects)))
        where.append(about(objects))

    if filters["person"]:
        found, their_objects = _people(filters["person"])
        if not found:
            errors.append(_("Nobody is called “%(value)s” or has it as NIP or username.",
                            value=filters["person"][:60]))
        elif len(found) > PERSON_MATCHES:
            errors.append(_("More than %(n)s people match “%(value)s”: type more of the name, the NIP or "
                            "the username.", n=PERSON_MATCHES, value=filters["person"][:60]))
        else:
            ids = [ident for _name, ident in found]
            search.notes.append(_("person: %(names)s", names=", ".join(name for name, _ident in found)))
            # a person is also the object of events about their account
            objects = [("user", str(i)) for i in ids] + sorted(set(their_objects))
            search.resolved.append(("person", tuple(ids), tuple(objects)))
            search.branches.extend([AuditEvent.actor_id.in_(ids), _rare(AuditEvent.acting_for_id.in_(ids)),
                                    *about_each(objects)])

    action = filters["action"]
    actions = None
    if action == DATA_ACCESS:
        actions = sorted(vocabulary.data_access_actions())
    elif action.endswith(".*"):
        prefix = action[:-2]
        actions = sorted(a for a in vocabulary.known_actions() if a.partition(".")[0] == prefix)
        if not actions:
            errors.append(_("The kind of action “%(value)s” is not known.", value=action[:60]))
    if actions is not None:
        if search.branches or not actions:  # a person's alternatives already lead the search
            where.append(AuditEvent.action.in_(actions))
        else:  # each action read along (action, seq): a rare one no longer makes the database scan the log
            branches, search.any_branch = _kind_branches(tuple(actions))
            search.branches.extend(branches)
    elif action:
        if not ACTION_NAME.fullmatch(action):
            errors.append(_("The kind of action “%(value)s” is not known.", value=action[:60]))
        where.append(AuditEvent.action == action)
    if not action.startswith("auth") and filters["logins"] != "1" and ":" not in subject:
        where.append(AuditEvent.action.not_in(LOGIN_ACTIONS))

    if filters["outcome"] in ("ok", "refused"):
        where.append(AuditEvent.outcome == filters["outcome"])
    elif filters["outcome"]:
        errors.append(_("The outcome “%(value)s” is not known.", value=filters["outcome"][:20]))

    start = _date(filters["date_from"], _("The date from"), errors)
    end = _date(filters["date_to"], _("The date until"), errors)
    if start and end and start > end:
        errors.append(_("The date from (%(start)s) is after the date until (%(end)s).", start=date_text(start),
                        end=date_text(end)))
    if start or end:
        times, search.span, search.span_high, search.tail = _date_range(start, end)
        where.extend(times)
    return search


# The expressions of a kind of action and of a date range are the same for the same actions and days, and
# building them cost a page about a millisecond: each is built once (expressions are immutable).
@functools.lru_cache(maxsize=64)
def _kind_branches(actions: tuple[str, ...]) -> tuple[tuple, object]:
    return tuple(AuditEvent.action == a for a in actions), AuditEvent.action.in_(actions)


@functools.lru_cache(maxsize=64)
def _date_range(start: date | None, end: date | None) -> tuple[tuple, object, object, object]:
    """A date range (WIB days, either end open) as the conditions on the events' times and two ranges
    of seq (a Search's `span` and `tail`), each read newest first along seq like every other search:

    - span: the seqs from the lowest to the highest of the range's days in audit_day (days.py), which
      counts every event up to its watermark, audit_day_cover.covered_seq; read with each branch;
    - tail: every seq above the watermark (events appended since the last refresh), whatever their
      time; read once for all branches.

    The bounds come from one CTE of the page's own statement (one snapshot: a refresh committing
    meanwhile cannot make the two ranges miss an event), a read of a few rows of the small tables, so
    a page reads its rows and the events since the watermark, not the period. The times themselves are
    still compared (the log's times need not rise with seq: an event appended later with an old time
    lies beyond the watermark, then widens its day), though not through ix_audit_event_occurred_seq
    (`|| ''`), so each part is walked along seq. A range with no counted day has NULL bounds: its span
    reads nothing."""
    start_at = start and _utc_iso(start)
    end_at = end and _utc_iso(end + timedelta(days=1))
    days = [c for c in (start and AuditDay.day >= start, end and AuditDay.day <= end) if c is not None]
    # one CTE, read once however many branches use it (a scalar subquery per branch cost PostgreSQL
    # more to plan than the page costs to read)
    bounds = select(select(func.min(AuditDay.low_seq)).where(*days).scalar_subquery().label("low"),
                    select(func.max(AuditDay.high_seq)).where(*days).scalar_subquery().label("high"),
                    func.coalesce(select(AuditDayCover.covered_seq).where(AuditDayCover.id == COVER_ID)
                                  .scalar_subquery(), 0).label("covered")).cte("audit_days")
    low, high, covered = (select(column).scalar_subquery() for column in bounds.c)
    shown = AuditEvent.occurred_at + ""
    times = tuple(c for c in (start_at and shown >= start_at, end_at and shown < end_at) if c is not None)
    return times, and_(AuditEvent.seq >= low, AuditEvent.seq <= high), high, AuditEvent.seq > covered

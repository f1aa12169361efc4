"""Reading the work items: who an item reaches today, and the lists' pages and counts.

`reader(user)` resolves, when the list is read, the ways items reach a person (`Reach`): their own id, each
of their roles, and for delegable steps the id and roles of each principal whose Plh/Plt delegation is in
force today, so a delegate appointed after an item started waiting sees it at once and loses it after the
end date. Each reach is one range of a covering index in list order (due_key, since, entity_id), so a page
reads at most a page per reach (`page_keys`) and the counts at most CAP rows per reach (`bounded_counts`),
whatever the number of waiting items; `awaiting_clause` is the same rule as one condition for lookups by
row, and `Reach.matches` the same rule in Python. The items themselves are written by `assignments`.
"""
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Integer, String, and_, bindparam, false, func, or_, select, tuple_, union, union_all

from ..accounts.models import Delegation, active_delegations
from ..database import plan_once
from ..extensions import db
from .models import NO_DUE, WorkItem


@dataclass(frozen=True)
class Reach:
    """One way work items reach a reader, served by one index range: the items naming `user_id`, or those
    for `role` (within `unit_id` when the item names a unit). `delegation` is set when they reach the
    reader as Plh/Plt of its principal: delegable steps only, never one four eyes refuses the principal."""
    user_id: int | None = None
    role: str | None = None
    unit_id: int | None = None
    delegation: Delegation | None = field(default=None, compare=False)
    principal_id: int | None = None
    # only the items naming the unit: a Kasi standing in for the other Kasi reaches the section heads' items
    # of no unit by her own role already (`as_stand_in`)
    unit_only: bool = False

    def _unit(self, unit):
        return WorkItem.unit_id == unit if self.unit_only else or_(WorkItem.unit_id.is_(None), WorkItem.unit_id == unit)

    def condition(self, reader_id: int):
        if self.user_id is not None:
            parts = [WorkItem.user_id == self.user_id]
        else:
            parts = [WorkItem.role == self.role, self._unit(self.unit_id)]
        refused = sorted({reader_id, self.principal_id} - {None})
        parts.append(or_(WorkItem.excluded_user_id.is_(None), WorkItem.excluded_user_id.not_in(refused)))
        if self.principal_id is not None:
            parts.append(WorkItem.delegable.is_(True))
        return and_(*parts)

    @property
    def shape(self) -> tuple:
        """What the list statements depend on (values aside): by id or by role, directly or delegated."""
        return ("user" if self.user_id is not None else "role", self.principal_id is not None, self.unit_only)

    def template(self, n: int):
        """`condition` with bound parameters named by position n, for the statements kept per shape."""
        kind, delegated, _unit_only = self.shape
        if kind == "user":
            parts = [WorkItem.user_id == bindparam(f"who{n}", type_=Integer)]
        else:
            parts = [WorkItem.role == bindparam(f"who{n}", type_=String),
                     self._unit(bindparam(f"unit{n}", type_=Integer))]
        refused = [bindparam("reader", type_=Integer)]
        if delegated:
            refused.append(bindparam(f"principal{n}", type_=Integer))
        parts.append(or_(WorkItem.excluded_user_id.is_(None), WorkItem.excluded_user_id.not_in(refused)))
        if delegated:
            parts.append(WorkItem.delegable.is_(True))
        return and_(*parts)

    def values(self, n: int) -> dict:
        """The values of `template(n)`'s parameters (the reader's id aside)."""
        found = {f"who{n}": self.user_id if self.user_id is not None else self.role}
        if self.user_id is None:
            found[f"unit{n}"] = self.unit_id
        if self.principal_id is not None:
            found[f"principal{n}"] = self.principal_id
        return found

    def matches(self, item: WorkItem, reader_id: int) -> bool:
        """The same rule as `condition`, for an item already loaded."""
        if self.user_id is not None:
            named = item.user_id == self.user_id
        else:
            units = (self.unit_id,) if self.unit_only else (None, self.unit_id)
            named = item.role == self.role and item.unit_id in units
        refused = {reader_id, self.principal_id} - {None}
        return (named and item.excluded_user_id not in refused
                and (self.principal_id is None or bool(item.delegable)))


@dataclass
class Reader:
    """A person as the lists see them today: their reaches and their delegations in force."""
    user: object
    reaches: list
    delegations: list
    stand_in_only: bool = False  # only the reaches of their Plh/Plt delegations (`as_stand_in`)

    def authority(self, item: WorkItem) -> Delegation | None | bool:
        """None: the reader's own item; a Delegation: taken for its principal; False: not theirs."""
        for reach in self.reaches:
            if reach.matches(item, self.user.id):
                return reach.delegation
        return False


def taken_as(r: Reader, spec_name: str, entity_id: int, trigger: str) -> Delegation | None | bool:
    """Under which authority `r` would take `trigger` on the row: None his own, a Delegation for its
    official, False not his (as Reader.authority, for a row not yet loaded; one statement)."""
    items = db.session.scalars(select(WorkItem).where(WorkItem.spec == spec_name, WorkItem.entity_id == entity_id,
                                                      WorkItem.trigger == trigger)).all()
    found = [r.authority(item) for item in items]
    return None if None in found else next((d for d in found if d), False)


def reader(user, on: date | None = None) -> Reader:
    """Resolve today's reaches of `user` (one statement for the delegations, one for their principals'
    roles when there are any)."""
    delegations = active_delegations(user, on)
    reaches: list[Reach] = []

    def add(reach):
        if reach not in reaches:
            reaches.append(reach)
    add(Reach(user_id=user.id))
    for role in sorted(user.roles):
        add(Reach(role=role, unit_id=user.unit_id))
    for d in delegations:
        for reach in delegation_reaches(d):
            add(reach)
    return Reader(user, reaches, delegations)


def delegation_reaches(d: Delegation) -> list[Reach]:
    """The ways work items reach the stand-in of `d`: its official's own items and roles, delegable steps
    only, never one four eyes keeps from either (`Reach.condition`)."""
    principal = d.principal
    return [Reach(user_id=principal.id, delegation=d, principal_id=principal.id),
            *(Reach(role=role, unit_id=principal.unit_id, delegation=d, principal_id=principal.id)
              for role in sorted(principal.roles))]


def as_stand_in(r: Reader) -> Reader:
    """The reader with only the reaches of their Plh/Plt delegations: what waits for them as a stand-in (a
    Kasi who is Plh Camat for the day found the letters to sign on the inbox's second page). What also reaches
    them by their own role is theirs, not the stand-in's: a Kasi standing in for the other Kasi keeps the
    section heads' items of no unit in her own list, and of the other unit's she sees only those."""
    own = {(reach.role, reach.unit_id) for reach in r.reaches if reach.delegation is None and reach.role}
    own_roles = {role for role, _unit in own}
    reaches = []
    for reach in r.reaches:
        if reach.delegation is None or (reach.role, reach.unit_id) in own:
            continue
        reaches.append(replace(reach, unit_only=True) if reach.role in own_roles else reach)
    return Reader(r.user, reaches, r.delegations, stand_in_only=True)


def _as_reader(who) -> Reader:
    return who if isinstance(who, Reader) else reader(who)


def awaiting_clause(who, on: date | None = None):
    """The work items `who` (a user or a Reader) may take today, as one condition: for lookups by row
    (spec and entity id), which `ix_work_item_entity` serves. Lists use page_keys/bounded_counts."""
    r = who if isinstance(who, Reader) else reader(who, on)
    return or_(*(reach.condition(r.user.id) for reach in r.reaches)) if r.reaches else false()


def awaiting_ids(who, spec_name: str):
    """Ids of the rows of one spec awaiting `who`, as a subquery for an area's own list: a UNION of one
    index range per reach."""
    r = _as_reader(who)
    return union(*(select(WorkItem.entity_id).where(WorkItem.spec == spec_name, reach.condition(r.user.id))
                   for reach in r.reaches))


ORDER = (WorkItem.due_key, WorkItem.since, WorkItem.entity_id)
AFTER = tuple_(bindparam("after_due", type_=WorkItem.due_key.type), bindparam("after_since", type_=WorkItem.since.type),
               bindparam("after_id", type_=Integer))


def _branch(reach: Reach, n: int, spec_param: str, limit: int, after: bool = False, with_spec: bool = False):
    """The first `limit` rows (distinct by order key) of one spec reaching the reader through `reach`,
    in list order, read from one index range and stopping there."""
    columns = (*ORDER, WorkItem.spec) if with_spec else ORDER
    stmt = select(*columns).where(WorkItem.spec == bindparam(spec_param, type_=String), reach.template(n))
    if after:
        stmt = stmt.where(tuple_(*ORDER) > AFTER)
    inner = stmt.distinct().order_by(*ORDER).limit(limit).subquery()
    return select(*inner.c).select_from(inner)


# the list statements, built once per shape (how many reaches of which kind, which limit) and then only
# given values: building and keying a UNION of a dozen branches costs more than running it
_STATEMENTS: dict = {}


def _statement(key, build):
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
    return stmt


def _values(r: "Reader") -> dict:
    found = {"reader": r.user.id}
    for n, reach in enumerate(r.reaches):
        found.update(reach.values(n))
    return found


@dataclass(frozen=True)
class Key:
    """A row of a list: its entity, due time (None: none) and since; `cursor` pages after it."""
    entity_id: int
    due_key: datetime
    since: datetime

    @property
    def due_at(self) -> datetime | None:
        return None if self.due_key == NO_DUE else self.due_key

    @property
    def cursor(self) -> str:
        return f"{self.due_key:%Y%m%d%H%M%S%f}.{self.since:%Y%m%d%H%M%S%f}.{self.entity_id}"


def parse_cursor(raw: str | None):
    """'<due>.<since>.<id>' (Key.cursor) -> (due_key, since, entity_id), or None when it is not one."""
    parts = (raw or "").split(".")
    if len(parts) != 3 or not all((p.isascii() and p.isdigit()) for p in parts) or len(parts[2]) > 12:
        return None
    try:
        return (datetime.strptime(parts[0], "%Y%m%d%H%M%S%f"), datetime.strptime(parts[1], "%Y%m%d%H%M%S%f"),
                int(parts[2]))
    except ValueError:
        return None


def page_keys(who, spec_name: str, limit: int, after=None) -> list[Key]:
    """One page of the rows of a spec awaiting `who`, overdue first, then by due time, then the oldest
    (and the id): one statement that reads at most `limit` rows per reach, whatever is waiting."""
    r = _as_reader(who)
    if not r.reaches:
        return []
    shapes = tuple(reach.shape for reach in r.reaches)

    def build():
        merged = union_all(*(_branch(reach, n, "spec", limit, after is not None)
                             for n, reach in enumerate(r.reaches))).subquery()
        due, since = func.min(merged.c.due_key), func.min(merged.c.since)
        return (select(merged.c.entity_id, due, since).group_by(merged.c.entity_id)
                .order_by(due, since, merged.c.entity_id).limit(limit))
    stmt = _statement(("page", shapes, limit, after is not None), build)
    values = {**_values(r), "spec": spec_name}
    if after is not None:
        values.update(after_due=after[0], after_since=after[1], after_id=after[2])
    rows = db.session.execute(stmt, values).all()
    return [Key(entity_id, _datetime(d), _datetime(s)) for entity_id, d, s in rows]


ITEM_COLUMNS = (WorkItem.spec, WorkItem.entity_id, WorkItem.trigger, WorkItem.user_id, WorkItem.role,
                WorkItem.unit_id, WorkItem.excluded_user_id, WorkItem.delegable)


def items_of(who, wanted: list[tuple[str, list[int]]]) -> list:
    """The work items awaiting `who` on the given rows ([(spec name, [entity id, ...]), ...]), as light rows
    with what `Reader.authority` reads: one statement, built once per shape of reader and number of kinds."""
    r = _as_reader(who)
    if not r.reaches or not wanted:
        return []
    shapes = tuple(reach.shape for reach in r.reaches)

    def build():
        reached = or_(*(reach.template(n) for n, reach in enumerate(r.reaches)))
        rows = or_(*(and_(WorkItem.spec == bindparam(f"spec{j}", type_=String),
                          WorkItem.entity_id.in_(bindparam(f"ids{j}", expanding=True)))
                     for j in range(len(wanted))))
        return plan_once(select(*ITEM_COLUMNS).where(reached, rows).order_by(WorkItem.id))  # by entity id
    stmt = _statement(("items", shapes, len(wanted)), build)
    values = _values(r)
    for j, (name, ids) in enumerate(wanted):
        values[f"spec{j}"], values[f"ids{j}"] = name, list(ids)
    return db.session.execute(stmt, values).all()


def _datetime(value) -> datetime:
    """min() over a subquery loses the column type on SQLite, which then returns the stored text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


# counts stop here: the navigation and the groups show "99+" beyond it (a leader with a hundred items
# waiting needs to know it is a hundred or more, not the exact number; reading more costs every page)
CAP = 100


def bounded_counts(who, spec_names) -> dict[str, int]:
    """How many rows of each spec await `who`, exact below CAP and CAP from there on: one statement that
    reads at most CAP rows per reach and spec (a UNION, so a row reaching the reader twice counts once)."""
    r = _as_reader(who)
    spec_names = list(spec_names)
    if not r.reaches or not spec_names:
        return {}
    shapes = tuple(reach.shape for reach in r.reaches)
    cap = CAP

    def build():
        branches = []
        for j in range(len(spec_names)):
            for n, reach in enumerate(r.reaches):
                inner = _branch(reach, n, f"spec{j}", cap, with_spec=True).subquery()
                branches.append(select(inner.c.spec, inner.c.entity_id))
        merged = union(*branches).subquery()
        return select(merged.c.spec, func.count()).group_by(merged.c.spec)
    stmt = _statement(("count", shapes, len(spec_names), cap), build)
    values = {**_values(r), **{f"spec{j}": name for j, name in enumerate(spec_names)}}
    return {name: min(int(n), cap) for name, n in db.session.execute(stmt, values).all()}

"""Assignments: who must act next on a row, derived from the spec's own who-rules and stored by the engine.

The engine calls `store()` at creation (through `started()`) and after every fire(), in the same
transaction, and sends `assignments_changed`.

Reading them: `reader(user)` resolves, when the list is read, the ways items reach a person (`Reach`):
their own id, each of their roles, and for delegable steps the id and roles of each principal whose Plh/Plt
delegation is in force today, so a delegate appointed after an item started waiting sees it at once and
loses it after the end date. Each reach is one range of a covering index in list order (due_key, since,
entity_id), so a page reads at most a page per reach (`page_keys`) and the counts at most CAP rows per
reach (`bounded_counts`), whatever the number of waiting items; `awaiting_clause` is the same rule as one
condition for lookups by row, and `Reach.matches` the same rule in Python.
"""
import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    tuple_,
    union,
    union_all,
)

from ..accounts.models import Delegation, active_delegations
from ..database import is_postgres, plan_once, utcnow
from ..extensions import db
from .models import NO_DUE, WorkItem
from .signals import Assignee, assignments_changed
from .spec import Spec


def assignees_for(spec: Spec, entity) -> list[Assignee]:
    """Who may take each waiting to-do step of `entity` now, as the spec's who-rules name them."""
    state = getattr(entity, spec.state_attr)
    if spec.state(state).terminal:
        return []
    owners = spec.owners(entity)
    due = spec.due(entity)
    result, seen = [], set()
    for step in spec.steps_from(state):
        if not step.todo_in(state) or not step.applies(entity):
            continue
        excluded = None
        if step.four_eyes and owners:
            if len(owners) > 1:  # one column holds the excluded owner; no spec has two yet
                raise ValueError(f"{spec.name}: four eyes with more than one owner is not supported")
            excluded = next(iter(owners))
        # a step checked against an earlier one keeps that step's taker out of the lists instead: the one
        # column holds one person, and the engine refuses the owner as well (for a signature the owner is
        # the clerk who took the request in, who can neither hold nor stand in for the Camat's office)
        earlier = [uid for uid in (step.not_by(entity) if step.not_by is not None else ()) if uid]
        if step.not_by_stand_in_only:  # binds stand-ins only: whoever may take it on their own stays listed
            earlier = [uid for uid in earlier if not _may_on_their_own(step, entity, uid)]
        if earlier:  # the first: the engine refuses every one of them (and the owner)
            excluded = earlier[0]
        for user_id, role in step.who.names(entity):
            if user_id is not None and user_id == excluded:
                continue  # named, but four eyes refuses them: nobody to wait for here
            key = (step.trigger, user_id, role)
            if key in seen:
                continue
            seen.add(key)
            result.append(Assignee(trigger=step.trigger, user_id=user_id, role=role, delegable=step.delegable,
                                   notify=step.notify, excluded_user_id=excluded, due_at=due))
    return result


def _may_on_their_own(step, entity, user_id: int) -> bool:
    from ..accounts.models import User
    user = db.session.get(User, user_id)
    return user is not None and step.who(user, entity)


def _as_assignee(item) -> Assignee:
    return Assignee(trigger=item.trigger, user_id=item.user_id, role=item.role, unit_id=item.unit_id,
                    delegable=item.delegable, notify=item.notify, excluded_user_id=item.excluded_user_id,
                    due_at=item.due_at)


def _stored(spec: Spec, entity_id: int) -> list[str]:
    """The entity's stored assignments, comparable with assignees_for()'s. Read as plain rows, not objects:
    store() replaces the rows with plain statements, and an object left in the session would stand for a
    row that is gone (SQLite may even give a new row its id)."""
    rows = db.session.execute(select(*(getattr(WorkItem, name) for name in _ASSIGNEE_COLUMNS)).where(
        WorkItem.spec == spec.name, WorkItem.entity_id == entity_id)).all()
    return sorted(map(repr, map(_as_assignee, rows)))


_ASSIGNEE_COLUMNS = ("trigger", "user_id", "role", "unit_id", "delegable", "notify", "excluded_user_id", "due_at")


def item_row(spec: Spec, entity_id: int, a: Assignee, since) -> dict:
    """The work_item row of one assignee (store() and the benchmarks' bulk seeding write the same)."""
    return {"spec": spec.name, "entity_id": entity_id, "trigger": a.trigger, "user_id": a.user_id, "role": a.role,
            "unit_id": a.unit_id, "delegable": a.delegable, "notify": a.notify,
            "excluded_user_id": a.excluded_user_id, "due_at": a.due_at, "due_key": a.due_at or NO_DUE,
            "since": since}


def store(spec: Spec, entity, *, step=None, from_state=None, ctx=None, since=None,
          only_if_changed: bool = False) -> list[Assignee]:
    """Replace the entity's assignments (inside the caller's transaction) and tell the receivers."""
    assignees = assignees_for(spec, entity)
    if only_if_changed:
        if _stored(spec, entity.id) == sorted(map(repr, assignees)):
            return assignees
    since = since or (ctx.now if ctx is not None else utcnow())
    told = _replace(spec, entity.id, [item_row(spec, entity.id, a, since) for a in assignees])
    assignments_changed.send(spec, entity=entity, step=step, from_state=from_state, ctx=ctx,
                             assignees=assignees, told_before=told)
    return assignees


def _replace(spec: Spec, entity_id: int, rows: list[dict]) -> bool:
    """Replace the entity's work items with `rows`. Returns whether any item replaced was told to its
    assignee: without one, no to-do notice is open. Plain table statements, built once: nothing reads the
    rows as objects, so the ORM's bulk and synchronisation machinery is not needed (it cost more than
    the statements themselves)."""
    old = {"old_spec": spec.name, "old_entity_id": entity_id}
    if rows and is_postgres():
        # one round trip: the DELETE runs as a CTE of the INSERT (same snapshot, so it never sees the new
        # rows; work_item has no unique key they could clash on), and the INSERT returns what it found
        for i, row in enumerate(rows):
            old.update({f"{name}_{i}": value for name, value in row.items()})
        return bool(db.session.execute(_replace_statement(len(rows), tuple(rows[0])), old).scalar())
    told = db.session.execute(_DELETE_ITEMS, old).scalars().all()
    if rows:
        db.session.execute(_INSERT_ITEMS, rows)
    return any(told)


_ITEMS = WorkItem.__table__
_DELETE_ITEMS = plan_once(delete(_ITEMS).where(_ITEMS.c.spec == bindparam("old_spec"),
                                                _ITEMS.c.entity_id == bindparam("old_entity_id"))
                           .returning(_ITEMS.c.notify))
_INSERT_ITEMS = plan_once(insert(_ITEMS))


@functools.cache
def _replace_statement(count: int, names: tuple):
    """PostgreSQL's DELETE-and-INSERT of `count` work items, built once per count: made of bound parameters
    (not a multi-row VALUES, which SQLAlchemy compiles anew every time)."""
    rows = [select(*[bindparam(f"{name}_{i}", type_=_ITEMS.c[name].type) for name in names]) for i in range(count)]
    gone = _DELETE_ITEMS.cte("gone")
    told = select(func.coalesce(func.bool_or(gone.c.notify), false())).scalar_subquery()
    return plan_once(insert(_ITEMS).from_select([_ITEMS.c[name] for name in names],
                                                union_all(*rows) if count > 1 else rows[0])
                     .add_cte(gone).returning(told))


def started(entity, actor=None) -> list[Assignee]:
    """A row came into being (or was put into its state by hand): store who must act on it. Call it
    inside the transaction that creates the row; the caller commits."""
    from .engine import spec_for
    db.session.flush()
    return store(spec_for(entity), entity)


def refresh_assignments_for_user(user_id: int) -> int:
    """Recompute the rows whose assignments name this person or that they own, after they moved unit,
    changed supervisor or left, so their open items follow the rules. Inside the caller's transaction;
    returns how many rows changed."""
    from .engine import all_specs
    changed = 0
    db.session.flush()
    for spec in all_specs():
        ids = set(db.session.scalars(select(WorkItem.entity_id).where(
            WorkItem.spec == spec.name, WorkItem.user_id == user_id)))
        if spec.owner_attr:
            open_states = [s.name for s in spec.states if not s.terminal]
            ids |= set(db.session.scalars(select(spec.model.id).where(
                getattr(spec.model, spec.owner_attr) == user_id,
                getattr(spec.model, spec.state_attr).in_(open_states))))
        if not ids:
            continue
        since = dict(db.session.execute(select(WorkItem.entity_id, func.min(WorkItem.since)).where(
            WorkItem.spec == spec.name, WorkItem.entity_id.in_(ids)).group_by(WorkItem.entity_id)).all())
        for entity in db.session.scalars(select(spec.model).where(spec.model.id.in_(ids))).unique():
            before = _stored(spec, entity.id)
            after = store(spec, entity, since=since.get(entity.id), only_if_changed=True)
            changed += before != sorted(map(repr, after))
    return changed


# --- reading: who an item reaches ----------------------------------------------------------------------

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

    def condition(self, reader_id: int):
        if self.user_id is not None:
            parts = [WorkItem.user_id == self.user_id]
        else:
            parts = [WorkItem.role == self.role, or_(WorkItem.unit_id.is_(None), WorkItem.unit_id == self.unit_id)]
        refused = sorted({reader_id, self.principal_id} - {None})
        parts.append(or_(WorkItem.excluded_user_id.is_(None), WorkItem.excluded_user_id.not_in(refused)))
        if self.principal_id is not None:
            parts.append(WorkItem.delegable.is_(True))
        return and_(*parts)

    @property
    def shape(self) -> tuple:
        """What the list statements depend on (values aside): by id or by role, directly or delegated."""
        return ("user" if self.user_id is not None else "role", self.principal_id is not None)

    def template(self, n: int):
        """`condition` with bound parameters named by position n, for the statements kept per shape."""
        kind, delegated = self.shape
        if kind == "user":
            parts = [WorkItem.user_id == bindparam(f"who{n}", type_=Integer)]
        else:
            parts = [WorkItem.role == bindparam(f"who{n}", type_=String),
                     or_(WorkItem.unit_id.is_(None), WorkItem.unit_id == bindparam(f"unit{n}", type_=Integer))]
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
            named = item.role == self.role and item.unit_id in (None, self.unit_id)
        refused = {reader_id, self.principal_id} - {None}
        return (named and item.excluded_user_id not in refused
                and (self.principal_id is None or bool(item.delegable)))


@dataclass
class Reader:
    """A person as the lists see them today: their reaches and their delegations in force."""
    user: object
    reaches: list
    delegations: list

    def authority(self, item: WorkItem) -> Delegation | None | bool:
        """None: the reader's own item; a Delegation: taken for its principal; False: not theirs."""
        for reach in self.reaches:
            if reach.matches(item, self.user.id):
                return reach.delegation
        return False


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
        principal = d.principal
        add(Reach(user_id=principal.id, delegation=d, principal_id=principal.id))
        for role in sorted(principal.roles):
            add(Reach(role=role, unit_id=principal.unit_id, delegation=d, principal_id=principal.id))
    return Reader(user, reaches, delegations)


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
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) > 12:
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

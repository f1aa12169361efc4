"""Assignments: who must act next on a row, derived from the spec's own who-rules and stored by the engine.

The engine calls `store()` at creation (through `started()`) and after every fire(), in the same
transaction, and sends `assignments_changed`.

Reading them (who an item reaches today, the lists' pages and counts) is `awaiting`.
"""
import functools

from sqlalchemy import and_, bindparam, delete, false, func, insert, or_, select, union_all

from ..database import is_postgres, plan_once, utcnow
from ..extensions import db
from ..timeutil import today_wib
from .models import NO_DUE, WorkItem
from .signals import Assignee, assignments_changed
from .spec import Spec


def waiting_states(spec: Spec) -> list[str]:
    """The states a row may wait for someone in: not final, and left by a to-do step (a credited enrolment is
    left only by the withdrawal of its credit, which nobody waits to take)."""
    return [s.name for s in spec.states if not s.terminal and any(
        step.todo_in(s.name) for step in spec.steps_from(s.name))]


def assignees_for(spec: Spec, entity) -> list[Assignee]:
    """Who may take each waiting to-do step of `entity` now, as the spec's who-rules name them."""
    state = getattr(entity, spec.state_attr)
    if spec.state(state).terminal:
        return []
    owners = spec.owners(entity)
    due = spec.due(entity)
    today = today_wib()
    result, seen = [], set()
    for step in spec.steps_from(state):
        if not step.todo_in(state) or not step.applies(entity) or not step.ready(entity, today):
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
        if earlier:  # the engine refuses every one of them (and the owner): the column keeps out the one who
            # could otherwise take it (a Kasi who took the request in, not the clerk who recorded a resubmission)
            candidates = [*earlier, *([excluded] if excluded is not None else [])]
            excluded = next((uid for uid in candidates if _may_on_their_own(step, entity, uid)), earlier[0])
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
            open_states = waiting_states(spec)
            ids |= set(db.session.scalars(select(spec.model.id).where(
                getattr(spec.model, spec.owner_attr) == user_id,
                getattr(spec.model, spec.state_attr).in_(open_states))))
        changed += _recompute(spec, ids)
    return changed


def refresh_for_roles(roles) -> int:
    """Recompute the open to-dos of the specs whose rule falls back on who holds one of `roles`
    (`Spec.reroute_on_roles`), after someone gained, lost or left one: HR's own report waiting for the
    Sekcam goes to a second HR the day one is appointed. Inside the caller's transaction."""
    from .engine import all_specs
    changed = 0
    db.session.flush()
    for spec in all_specs():
        if spec.reroute_on_roles & set(roles):
            changed += _recompute(spec, set(db.session.scalars(
                select(WorkItem.entity_id).where(WorkItem.spec == spec.name).distinct())))
    return changed


def _recompute(spec, ids, tell_again: bool = False) -> int:
    """Store the assignments of the rows `ids` of `spec` anew, keeping when each began to wait; the
    receivers hear of the rows whose assignments changed, or of every row with `tell_again`."""
    if not ids:
        return 0
    changed = 0
    since = dict(db.session.execute(select(WorkItem.entity_id, func.min(WorkItem.since)).where(
        WorkItem.spec == spec.name, WorkItem.entity_id.in_(ids)).group_by(WorkItem.entity_id)).all())
    for entity in db.session.scalars(select(spec.model).where(spec.model.id.in_(ids))).unique():
        before = _stored(spec, entity.id)
        after = store(spec, entity, since=since.get(entity.id), only_if_changed=not tell_again)
        changed += tell_again or before != sorted(map(repr, after))
    return changed


def retell_stand_ins(principal) -> int:
    """A Plh/Plt for `principal` was appointed or ended: tell again who must act on what waits for him in a
    step a stand-in may take. The stand-in hears at once of what already waited (he was told only of what
    came next); one whose appointment ended sees his notices close. The work items name the official and do
    not change. Inside the caller's transaction; returns how many rows were told again."""
    from .engine import all_specs
    db.session.flush()
    held = and_(WorkItem.delegable.is_(True), or_(
        WorkItem.user_id == principal.id,
        and_(WorkItem.role.in_(principal.roles),
             or_(WorkItem.unit_id.is_(None), WorkItem.unit_id == principal.unit_id))))
    return sum(_recompute(spec, set(db.session.scalars(select(WorkItem.entity_id).where(
        WorkItem.spec == spec.name, held))), tell_again=True) for spec in all_specs())


def store_ready_today() -> int:
    """Store the to-dos that can be taken from today (`Step.ready_on`: a course's completion report from its
    last day) and tell them, for the rows in such a step's source states; rows whose to-dos already stand
    are left alone, so running it again (hourly, after a restart) tells nobody twice. Commits; returns
    how many rows changed."""
    from .engine import all_specs
    changed = 0
    for spec in all_specs():
        states = {source for step in spec.steps if step.ready_on is not None for source in step.sources}
        if states:
            changed += _recompute(spec, set(db.session.scalars(select(spec.model.id).where(
                getattr(spec.model, spec.state_attr).in_(states)))))
    db.session.commit()
    return changed

"""Assignments: who must act next on a row, derived from the spec's own who-rules and stored by the engine.

The engine calls `store()` at creation (through `started()`) and after every fire(), in the same
transaction, and sends `assignments_changed`. Lists read them with `awaiting_clause(user)`: one indexed
condition that also resolves today's Plh/Plt delegations, so a delegate appointed after an item started
waiting sees it at once and loses it after the end date.
"""
from datetime import date

from sqlalchemy import and_, delete, exists, func, or_, select

from ..accounts.models import Delegation, UserRole
from ..database import utcnow
from ..extensions import db
from ..timeutil import today_wib
from .models import WorkItem
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


def _as_assignee(item: WorkItem) -> Assignee:
    return Assignee(trigger=item.trigger, user_id=item.user_id, role=item.role, unit_id=item.unit_id,
                    delegable=item.delegable, notify=item.notify, excluded_user_id=item.excluded_user_id,
                    due_at=item.due_at)


def store(spec: Spec, entity, *, step=None, from_state=None, ctx=None, since=None,
          only_if_changed: bool = False) -> list[Assignee]:
    """Replace the entity's assignments (inside the caller's transaction) and tell the receivers."""
    assignees = assignees_for(spec, entity)
    if only_if_changed:
        current = db.session.scalars(select(WorkItem).where(
            WorkItem.spec == spec.name, WorkItem.entity_id == entity.id)).all()
        if sorted(map(repr, map(_as_assignee, current))) == sorted(map(repr, assignees)):
            return assignees
    since = since or (ctx.now if ctx is not None else utcnow())
    db.session.execute(delete(WorkItem).where(WorkItem.spec == spec.name, WorkItem.entity_id == entity.id))
    db.session.add_all(WorkItem(spec=spec.name, entity_id=entity.id, trigger=a.trigger, user_id=a.user_id,
                                role=a.role, unit_id=a.unit_id, delegable=a.delegable, notify=a.notify,
                                excluded_user_id=a.excluded_user_id, due_at=a.due_at, since=since)
                       for a in assignees)
    assignments_changed.send(spec, entity=entity, step=step, from_state=from_state, ctx=ctx,
                             assignees=assignees)
    return assignees


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
            before = db.session.scalars(select(WorkItem).where(
                WorkItem.spec == spec.name, WorkItem.entity_id == entity.id)).all()
            before = sorted(map(repr, map(_as_assignee, before)))
            after = store(spec, entity, since=since.get(entity.id), only_if_changed=True)
            changed += before != sorted(map(repr, after))
    return changed


def awaiting_clause(user, on: date | None = None):
    """The work items `user` may take today: named or by role, directly or as Plh/Plt of a principal
    (delegable steps only), never one four eyes refuses them or their principal. One SQL condition."""
    on = on or today_wib()
    my_roles = select(UserRole.role).where(UserRole.user_id == user.id)
    principal_roles = select(UserRole.role).where(UserRole.user_id == Delegation.principal_id)
    direct = or_(WorkItem.user_id == user.id, WorkItem.role.in_(my_roles))
    via_delegation = and_(WorkItem.delegable.is_(True), exists().where(
        Delegation.delegate_id == user.id, Delegation.revoked.is_(False),
        Delegation.starts_on <= on, Delegation.ends_on >= on,
        or_(WorkItem.user_id == Delegation.principal_id, WorkItem.role.in_(principal_roles)),
        or_(WorkItem.excluded_user_id.is_(None), WorkItem.excluded_user_id != Delegation.principal_id)))
    return and_(or_(WorkItem.excluded_user_id.is_(None), WorkItem.excluded_user_id != user.id),
                or_(direct, via_delegation))


def awaiting_ids(user, spec_name: str):
    """Ids of the rows of one spec awaiting `user`, as a subquery for an area's own list."""
    return select(WorkItem.entity_id).where(WorkItem.spec == spec_name, awaiting_clause(user)).distinct()

"""What awaits a person, read from the engine's assignments; single and bulk actions through fire().

A page costs a fixed number of statements whatever the data: the counts per kind (one), per kind the
page of waiting rows (one), the rows themselves with what the page shows (one or two per kind), the
matching work items (one), the reader's delegations (one or two). Views call these; these call the engine.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Delegation
from ..audit import record as audit
from ..database import utcnow
from ..extensions import db
from ..timeutil import today_wib
from ..workflow import Conflict, Invalid, NotAllowed, Refused, all_specs, awaiting_clause, fire, spec_named
from ..workflow.models import WorkItem

PAGE = 25


@dataclass
class RowAction:
    step: object
    delegation: object = None  # set when taken as Plh/Plt for the delegation's principal
    blocked: str | None = None

    @property
    def trigger(self) -> str:
        return self.step.trigger


@dataclass
class Row:
    spec: object
    entity: object
    due_at: datetime | None
    since: datetime
    actions: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.spec.name}:{self.entity.id}"

    @property
    def summary(self) -> dict:
        return self.spec.summary(self.entity)

    @property
    def url(self) -> str | None:
        return self.spec.url(self.entity) if self.spec.url else None

    @property
    def version(self) -> int:
        return getattr(self.entity, self.spec.version_attr)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < utcnow()

    @property
    def bulk_action(self) -> RowAction | None:
        """The action a batch takes on this row: a bulk step that no guard blocks."""
        return next((a for a in self.actions if a.step.bulk and not a.blocked), None)

    @property
    def acting_as(self) -> str | None:
        """'Plh. Camat' when the row reaches the reader only through a delegation."""
        titles = {a.delegation.title for a in self.actions if a.delegation is not None}
        if titles and all(a.delegation is not None for a in self.actions):
            return ", ".join(sorted(titles))
        return None


@dataclass
class Group:
    spec: object
    count: int
    rows: list
    page: int

    @property
    def more(self) -> bool:
        return self.count > self.page * PAGE


def my_delegations(user) -> list[Delegation]:
    """The reader's Plh/Plt delegations in force today, with their principals and roles."""
    on = today_wib()
    return list(db.session.scalars(
        select(Delegation).options(joinedload(Delegation.principal))
        .where(Delegation.delegate_id == user.id, Delegation.revoked.is_(False),
               Delegation.starts_on <= on, Delegation.ends_on >= on).order_by(Delegation.id)).unique())


def counts(user) -> dict[str, int]:
    """How many rows of each kind await `user`: one statement."""
    rows = db.session.execute(
        select(WorkItem.spec, func.count(func.distinct(WorkItem.entity_id)))
        .where(awaiting_clause(user)).group_by(WorkItem.spec)).all()
    return {name: int(n) for name, n in rows}


def count(user) -> int:
    return sum(counts(user).values())


def _page_keys(user, spec_name: str, page: int):
    """One kind's waiting rows for this page: overdue first, then by due time, then the oldest."""
    due = func.min(WorkItem.due_at)
    since = func.min(WorkItem.since)
    return db.session.execute(
        select(WorkItem.entity_id, due, since)
        .where(WorkItem.spec == spec_name, awaiting_clause(user))
        .group_by(WorkItem.entity_id)
        .order_by(due.is_(None), due, since, WorkItem.entity_id)
        .offset((page - 1) * PAGE).limit(PAGE)).all()


def _authority(item: WorkItem, user, delegations) -> Delegation | None | bool:
    """None: the reader's own item; a Delegation: taken for its principal; False: not theirs."""
    if item.user_id == user.id or (item.role is not None and item.role in user.roles):
        return None
    if item.delegable:
        for d in delegations:
            principal = d.principal
            if (item.user_id == principal.id or item.role in principal.roles) and item.excluded_user_id != principal.id:
                return d
    return False


def load_rows(user, keys: dict, delegations) -> dict[str, list[Row]]:
    """Rows for {spec name: [(entity id, due, since), ...]} with their actions, in fixed statements."""
    wanted = [(name, [k[0] for k in entries]) for name, entries in keys.items() if entries]
    if not wanted:
        return {}
    items = db.session.scalars(select(WorkItem).where(
        awaiting_clause(user), or_(*(and_(WorkItem.spec == name, WorkItem.entity_id.in_(ids))
                                     for name, ids in wanted)))
        .order_by(WorkItem.id)).all()
    by_entity: dict[tuple, list[WorkItem]] = {}
    for item in items:
        by_entity.setdefault((item.spec, item.entity_id), []).append(item)
    result = {}
    for name, ids in wanted:
        spec = spec_named(name)
        if spec is None:
            continue
        entities = {e.id: e for e in db.session.scalars(
            select(spec.model).options(*spec.inbox_options).where(spec.model.id.in_(ids))).unique()}
        if spec.prefetch:
            spec.prefetch(list(entities.values()))
        rows = []
        for entity_id, due, since in keys[name]:
            entity = entities.get(entity_id)
            if entity is None:
                continue
            row = Row(spec, entity, due, since)
            seen = set()
            for item in by_entity.get((name, entity_id), []):
                step = spec.step_by_trigger.get(item.trigger)
                delegation = _authority(item, user, delegations)
                if step is None or delegation is False or step.trigger in seen:
                    continue
                seen.add(step.trigger)
                blocked = next((str(m) for m in (g(entity, user) for g in step.guards) if m), None)
                row.actions.append(RowAction(step, delegation, blocked))
            order = {s.trigger: n for n, s in enumerate(spec.steps)}
            row.actions.sort(key=lambda a: order[a.trigger])
            rows.append(row)
        result[name] = rows
    return result


def inbox(user, kind: str | None = None, page: int = 1) -> tuple[list[Group], list[Delegation]]:
    """The groups of rows awaiting `user` (one kind only when `kind` is given), and their delegations."""
    totals = counts(user)
    delegations = my_delegations(user)
    specs = [s for s in all_specs() if totals.get(s.name) and (kind is None or s.name == kind)]
    page = page if kind else 1
    keys = {spec.name: _page_keys(user, spec.name, page) for spec in specs}
    rows = load_rows(user, keys, delegations)
    groups = [Group(spec, totals[spec.name], rows.get(spec.name, []), page) for spec in specs]
    return groups, delegations


# --- acting ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    summary: dict
    label: str
    ok: bool
    message: str = ""
    status: int = 200  # a refusal's own status (403 not allowed, 409 stale, 422 invalid)


def parse_item(raw: str):
    """'spec:id:trigger:version' -> (spec, id, trigger, version), or None when it is not one."""
    parts = (raw or "").split(":")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
        return None
    spec = spec_named(parts[0])
    if spec is None or len(parts[1]) > 12:
        return None
    return spec, int(parts[1]), parts[2], int(parts[3])


def item_value(row: Row, action: RowAction) -> str:
    return f"{row.spec.name}:{row.entity.id}:{action.trigger}:{row.version}"


def _unknown(raw) -> Outcome:
    return Outcome({"code": str(raw)[:40], "type": "", "name": ""}, "", False,
                   _("This item does not exist (any more)."), 404)


def _awaits(user, spec_name: str, entity_id: int, trigger: str | None = None) -> bool:
    stmt = select(WorkItem.id).where(WorkItem.spec == spec_name, WorkItem.entity_id == entity_id,
                                     awaiting_clause(user))
    if trigger is not None:
        stmt = stmt.where(WorkItem.trigger == trigger)
    return db.session.scalar(stmt.limit(1)) is not None


def describe(user, raw_items) -> list[tuple[str, dict, str]]:
    """(value, summary, step label) of each item a batch names that awaits `user`, for the confirmation.
    Others are left out: the confirmation shows nobody a row they could not see in their own list."""
    result = []
    for raw in dict.fromkeys(raw_items):
        parsed = parse_item(raw)
        if parsed is None:
            continue
        spec, entity_id, trigger, _version = parsed
        step = spec.step_by_trigger.get(trigger)
        if step is None or not _awaits(user, spec.name, entity_id, trigger):
            continue
        entity = db.session.get(spec.model, entity_id)
        if entity is not None:
            result.append((raw, spec.summary(entity), str(step.label)))
    return result


def act(actor, raw: str, *, comment=None, password=None, reauthenticated=False) -> Outcome:
    """Take one step on one item as `actor`, in its own transaction and with its own audit event."""
    parsed = parse_item(raw)
    if parsed is None:
        return _unknown(raw)
    spec, entity_id, trigger, version = parsed
    db.session.rollback()
    entity = db.session.get(spec.model, entity_id)
    step = spec.step_by_trigger.get(trigger)
    if entity is None or step is None:
        return _unknown(raw)
    # what the row is, only to someone it awaits (or who saw it awaiting them: a stale page)
    visible = _awaits(actor, spec.name, entity_id)
    summary = spec.summary(entity) if visible else {"code": f"#{entity_id}", "type": "", "name": ""}
    if not step.row_form:  # its form needs the item's own page (ticked documents, an upload), or no form
        error = NotAllowed(_("\"%(step)s\" is done on the item's own page.", step=step.label), code="row")
        audit.refused(f"{spec.name}.{trigger}", error=error, actor=actor, subject_type=spec.name,
                      subject_id=entity_id)
        return Outcome(summary, str(step.label), False, str(error.message), error.status)
    if reauthenticated and not step.bulk:
        error = NotAllowed(_("\"%(step)s\" cannot be done for many items at once.", step=step.label),
                           code="bulk")
        audit.refused(f"{spec.name}.{trigger}", error=error, actor=actor, subject_type=spec.name,
                      subject_id=entity_id)
        return Outcome(summary, str(step.label), False, str(error.message), error.status)
    try:
        fire(entity, trigger, actor, expected_version=version, comment=comment, password=password,
             reauthenticated=reauthenticated)
    except Refused as refusal:
        db.session.rollback()
        if isinstance(refusal, Conflict):
            summary = spec.summary(db.session.get(spec.model, entity_id))
        return Outcome(summary, str(step.label), False, str(refusal.message), refusal.status)
    return Outcome(summary, str(step.label), True)


def act_in_bulk(actor, raw_items, password: str) -> list[Outcome]:
    """Sign or approve many items with one password: checked once up front (a wrong one does nothing
    and leaves one refused event), then each item is its own transaction and audit event."""
    raw_items = list(dict.fromkeys(raw_items))
    if not raw_items:
        raise Invalid(_("Select at least one item."), code="empty")
    if not actor.check_password(password or ""):
        error = Invalid(_("The password is wrong. Enter your own password to confirm."), code="reauth")
        audit.refused("inbox.bulk", actor=actor, reason=f"[{error.code}] {error.message} ({len(raw_items)})")
        raise error
    return [act(actor, raw, reauthenticated=True) for raw in raw_items]


def next_after(user, spec_name: str, entity_id: int) -> Row | None:
    """The first row still awaiting `user` other than the one just handled: the item that opens next."""
    groups, _delegations = inbox(user)
    for group in groups:
        for row in group.rows:
            if (group.spec.name, row.entity.id) != (spec_name, entity_id):
                return row
    return None

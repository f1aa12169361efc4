"""Notifications from the workflow's assignments, and outcome news written by the areas.

The engine sends `assignments_changed` inside the step's own transaction with the entity's new
assignees. For each change this receiver, in that same transaction:
- marks done the earlier to-do notifications of the entity whose user no longer has that step;
- tells every named person whose to-do the item now is ("Menunggu tindakan Anda: ..."): a user
  assignee, every active holder of a role assignee with notify=True (within its unit, without the
  four-eyes exclusion and those an earlier step keeps out, `Step.not_by`), and for delegable steps their
  active Plh/Plt; a role's to-do shared at the
  counter (notify=False) is counted in the navigation, not sent one by one. Someone who still has an
  open to-do notification for the entity and step is not told again;
- sends the outcome news the area wrote for the step (`register_news`) to the people it concerns,
  never to the person who took the step.
E-mail copies go through the outbox, so they leave only after the step commits.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..accounts.models import Delegation, User, UserRole
from ..database import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import wib_text
from ..timeutil import today_wib
from ..workflow.signals import assignments_changed
from .models import Notification
from .service import notify


@dataclass(frozen=True)
class News:
    """What the people concerned are told after a step. `subject` is an English msgid (lazy) with
    the area's placeholders and %(reason)s for the step's comment; `to(entity)` gives the users."""
    to: Callable
    subject: object


@dataclass(frozen=True)
class Kind:
    label: object                # "Document request"
    item: Callable               # item(entity): what the row is, in words ("SKTM 2026-AB12")
    params: Callable             # params(entity): placeholders of the news texts
    news: dict = field(default_factory=dict)  # trigger -> News


KINDS: dict[str, Kind] = {}


def register_news(spec_name: str, label, item: Callable, params: Callable, news: dict) -> None:
    KINDS[spec_name] = Kind(label=label, item=item, params=params, news=dict(news))


@dataclass
class _Todo:
    user: User
    triggers: list = field(default_factory=list)
    acting_as: list = field(default_factory=list)  # "Plh. Camat Plaju" when reached as a delegate
    due_at: object = None

    def add(self, trigger: str, as_title: str | None, due_at) -> None:
        if trigger not in self.triggers:
            self.triggers.append(trigger)
        if as_title and as_title not in self.acting_as:
            self.acting_as.append(as_title)
        if due_at and (self.due_at is None or due_at < self.due_at):
            self.due_at = due_at


def _role_holders(role: str, unit_id: int | None) -> list[User]:
    stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True)).order_by(User.id))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.scalars(stmt))


def todo_recipients(assignees, spec=None, entity=None) -> dict[int, _Todo]:
    """The named people whose to-do the item is, by user id, with the steps each may take. Never someone
    four eyes keeps from the step: the work item names one excluded person, a step may check several who
    took an earlier step (`Step.not_by`: a certificate's attesters, the approver standing in)."""
    todos: dict[int, _Todo] = {}
    holders: dict[tuple, list] = {}
    stand_ins: list[tuple] = []  # (principal id, assignee) for delegable steps
    barred: dict[str, set] = {}  # per step, who took the earlier step it checks (read once)

    def kept_out(user, trigger, stand_in: bool) -> bool:
        step = spec.step_by_trigger.get(trigger) if spec is not None and entity is not None else None
        if step is None or step.not_by is None:
            return False
        if trigger not in barred:
            barred[trigger] = set(step.not_by(entity))
        return user.id in barred[trigger] and (stand_in or not step.not_by_stand_in_only)

    def add(user, assignee, as_title=None):
        if user is None or not user.active or user.id == assignee.excluded_user_id:
            return
        if kept_out(user, assignee.trigger, stand_in=as_title is not None):
            return
        todos.setdefault(user.id, _Todo(user)).add(assignee.trigger, as_title, assignee.due_at)

    for assignee in assignees:
        if not assignee.notify:
            continue
        if assignee.user_id is not None:
            users = [db.session.get(User, assignee.user_id)]
        elif assignee.role:
            key = (assignee.role, assignee.unit_id)
            if key not in holders:
                holders[key] = _role_holders(*key)
            users = holders[key]
        else:
            users = []
        for user in users:
            add(user, assignee)
            # a stand-in acts with the principal's authority: four eyes bars them where it bars him
            if (assignee.delegable and user is not None and user.active
                    and user.id != assignee.excluded_user_id):
                stand_ins.append((user.id, assignee))
    if stand_ins:
        today = today_wib()
        delegations = db.session.scalars(select(Delegation).where(
            Delegation.principal_id.in_({pid for pid, _a in stand_ins}), Delegation.revoked.is_(False),
            Delegation.starts_on <= today, Delegation.ends_on >= today)).all()
        for delegation in delegations:
            for principal_id, assignee in stand_ins:
                if principal_id == delegation.principal_id:
                    add(delegation.delegate, assignee, delegation.title)
    return todos


def _todo_body(spec, todo: _Todo) -> str:
    steps = ", ".join(str(spec.step_by_trigger[t].label) for t in todo.triggers if t in spec.step_by_trigger)
    lines = [_("Steps you may take: %(steps)s.", steps=steps)]
    if todo.acting_as:
        lines.append(_("You act as %(title)s.", title=", ".join(todo.acting_as)))
    if todo.due_at:
        lines.append(_("Due: %(when)s.", when=wib_text(todo.due_at)))  # as every page writes a time
    return "\n".join(lines)


def _put_off(spec, entity, trigger: str) -> bool:
    """The row's step `trigger` can be taken only from a later day (Step.ready_on), in the row's state."""
    step = spec.step_by_trigger.get(trigger)
    return (step is not None and getattr(entity, spec.state_attr) in step.sources
            and not step.ready(entity, today_wib()))


def on_assignments_changed(spec, entity=None, step=None, from_state=None, ctx=None, assignees=(),
                           told_before=True, **_kw):
    kind = KINDS.get(spec.name)
    now = utcnow()
    actor_id = getattr(getattr(ctx, "actor", None), "id", None)
    url = spec.url(entity) if spec.url else None
    todos = todo_recipients(assignees, spec, entity)
    # the one who just acted knows; their page says who is next
    todos.pop(actor_id, None)
    told: set[int] = set()
    # a to-do notice is only ever sent for a work item that tells its assignees, and closed when the item
    # goes: when none of the replaced items told anyone, none is open (but a recompute may find one kept open
    # for a step put off to a later day)
    open_notes = db.session.scalars(select(Notification).where(
        Notification.subject_type == spec.name, Notification.subject_id == entity.id,
        Notification.todo_step.is_not(None), Notification.done_at.is_(None))) if told_before or step is None else ()
    for note in open_notes:
        todo = todos.get(note.user_id)
        if todo and note.todo_step in todo.triggers:
            told.add(note.user_id)  # still their to-do: no second notification
        elif step is None and _put_off(spec, entity, note.todo_step):
            continue  # still theirs from a later day (Step.ready_on): open, and not told again then
        else:
            note.done_at = now
            # recomputed, not stepped, and nothing of it left to them: it waits on, for someone else
            note.moved_on = step is None and todo is None
    ref = {"subject_type": spec.name, "subject_id": entity.id}
    item = f"{kind.label} {kind.item(entity)}" if kind else spec.describe(entity)

    news = kind.news.get(step.trigger) if (kind and step is not None) else None
    if news is not None:
        reason = (getattr(ctx, "comment", None) or "").strip()
        subject = str(news.subject) % {**kind.params(entity), "reason": reason}
        recipients = {u.id: u for u in news.to(entity) if u is not None and u.active and u.id != actor_id}
        for user in recipients.values():
            todo = todos.get(user.id) if user.id not in told else None
            body = _todo_body(spec, todo) if todo else ""
            notify(user, subject, body, url=url, todo_step=todo.triggers[0] if todo else None, **ref)
            if todo:
                told.add(user.id)
    for user_id, todo in todos.items():
        if user_id in told:
            continue
        # the step in the title: two notices of one row (a sign-off done, its certificate waiting) read apart
        first = spec.step_by_trigger.get(todo.triggers[0])
        notify(todo.user, _("Awaiting your action (%(step)s): %(item)s", step=first.label if first else "", item=item)
               if first else _("Awaiting your action: %(item)s", item=item), _todo_body(spec, todo), url=url,
               todo_step=todo.triggers[0], **ref)
    # a step taken as Plh/Plt is told to the official it was taken for: he answers for what was done in his name
    delegation = getattr(ctx, "delegation", None)
    if delegation is not None and step is not None and delegation.principal.active:
        from ..audit import vocabulary
        did = vocabulary.action_label(f"{spec.name}.{step.trigger}")
        number = (ctx.changes.get("letter_number") or [None, None])[1]  # a signature: which letter, as whom
        body = _("Letter %(number)s, signed as %(title)s.", number=number,
                 title=(ctx.changes.get("signed_as") or [None, delegation.title])[1]) if number else ""
        notify(delegation.principal, _("%(who)s, as your %(kind)s, %(did)s: %(item)s", who=ctx.actor.full_name,
                                       kind=delegation.kind.capitalize(), did=did, item=item), body, url=url,
               **ref)


_connected = False


def connect() -> None:
    global _connected
    if not _connected:
        assignments_changed.connect(on_assignments_changed)
        _connected = True

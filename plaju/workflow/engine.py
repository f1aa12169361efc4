"""fire() is the only way a workflow state changes; available() tells the UI what a user may do.

fire() runs in one database transaction: lock the row, check the version the user saw, check who may
act (directly or as Plh/Plt), the four-eyes rule, guards, comment and password; move the state with
the spec's shared machine; run the step's effect; append the audit event; commit. Anything that goes
wrong rolls all of it back; a refusal then leaves exactly one trace, a "refused" audit event.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.exc import NoResultFound

from ..accounts.models import active_delegations, revoked_today
from ..audit import record as audit
from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..database import lock_row, locked_here, utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import wib_text
from ..timeutil import to_wib, today_wib
from . import assignments
from .errors import Conflict, Invalid, NotAllowed, Refused
from .spec import Spec, Step

log = logging.getLogger(__name__)
# a reason the citizen or a colleague reads ("x" says nothing): at least this many characters
MIN_REASON = 5
# Specs defined at import time register here; create_app() gives each application its own copy
# (app.extensions["workflow_specs"]), so an application, or a test, may add or swap specs alone.
_DEFAULT_SPECS: dict[type, Spec] = {}


# what the log records for a step name no spec knows (the row it was tried on is the event's object)
UNKNOWN_STEP = "step.unknown"
vocabulary.describe_actions({UNKNOWN_STEP: _l("used an action that does not exist")})
vocabulary.describe_kind("step", _l("Actions that do not exist"))


def register(spec: Spec, app=None) -> Spec:
    (_DEFAULT_SPECS if app is None else app.extensions["workflow_specs"])[spec.model] = spec
    return spec


def _audited_as(spec: Spec, trigger: str) -> str:
    """The action a step's event is recorded as: never a name typed into a URL (any length, any character)."""
    return f"{spec.name}.{trigger}" if trigger in spec.step_by_trigger else UNKNOWN_STEP


def init_app(app) -> None:
    app.extensions["workflow_specs"] = dict(_DEFAULT_SPECS)
    app.jinja_env.globals["kept_out"] = kept_out  # the step pages' "nothing for you" says why, when it is so
    from .ui import opened_from  # the step forms post back the inbox list their page was opened from
    app.jinja_env.globals["opened_from"] = opened_from


def _specs() -> dict[type, Spec]:
    if has_app_context():
        return current_app.extensions.get("workflow_specs", _DEFAULT_SPECS)
    return _DEFAULT_SPECS


def all_specs() -> list[Spec]:
    return sorted(_specs().values(), key=lambda spec: spec.name)


def spec_for(entity_or_model) -> Spec:
    model = entity_or_model if isinstance(entity_or_model, type) else type(entity_or_model)
    return _specs()[model]


def spec_named(name: str) -> Spec | None:
    return next((spec for spec in _specs().values() if spec.name == name), None)


@dataclass
class Action:
    """A step as one user may take it now. `blocked` holds a guard's message when it may not yet."""
    step: Step
    acting_for: object = None
    delegation: object = None
    blocked: str | None = None
    caution: str | None = None  # what to look at before taking it (Step.cautions), not a refusal
    applies: bool = True  # False: a structural guard rules the step out for this kind of row

    @property
    def trigger(self) -> str:
        return self.step.trigger

    @property
    def label(self) -> str:
        return self.step.label


@dataclass
class Context:
    """What a step's effect sees and may add to."""
    actor: object
    acting_for: object
    delegation: object
    comment: str | None
    data: dict
    now: object
    changes: dict = field(default_factory=dict)
    after_commit: list = field(default_factory=list)

    def change(self, name: str, before, after) -> None:
        self.changes.update(audit.diff({name: before}, {name: after}))


def _authority(spec: Spec, step: Step, entity, actor, delegations=None) -> Action:
    """Whose authority lets `actor` take `step`: their own, or a principal's they stand in for.
    `delegations()` gives the actor's active ones (looked up here when not given), asked only when the
    step is delegable and the actor's own authority does not do."""
    owners = spec.owners(entity)

    def candidates():
        yield actor, None
        if step.delegable:  # asked only when the actor's own authority does not do (one query saved)
            for d in (active_delegations(actor) if delegations is None else delegations()):
                if d.kind in step.stand_ins:
                    yield d.principal, d
    allowed_but_own = False
    for user, delegation in candidates():
        if not step.who(user, entity):
            continue
        if step.four_eyes and ({actor.id, user.id} & owners):
            allowed_but_own = True
            continue
        if took_earlier(step, entity, actor, stand_in=delegation is not None):
            raise NotAllowed(step.not_by_reason, code="four_eyes")
        return Action(step, acting_for=user if delegation else None, delegation=delegation)
    if allowed_but_own:
        raise NotAllowed(_("You may not approve or sign something you created or are enrolled in "
                           "yourself (four-eyes rule)."), code="four_eyes")
    if took_earlier(step, entity, actor, stand_in=False):  # a who-rule that already leaves him out says why:
        raise NotAllowed(step.not_by_reason, code="four_eyes")  # the page's reason, in the log too
    raise NotAllowed(_("You are not allowed to do \"%(step)s\" here.", step=step.label), code="role")


def own_authority(entity, trigger: str, actor) -> Action:
    """Whether `actor` may take the step `trigger` of this record in their own right, whatever its state (no
    Plh/Plt): who may sign a replacement of the letter that step signed (its signer, four eyes as then).
    Raises NotAllowed with the step's reason."""
    spec = spec_for(entity)
    step = next(s for s in spec.steps if s.trigger == trigger)
    return _authority(spec, step, entity, actor, delegations=lambda: [])


def _revoked_instead(refused: NotAllowed, step: Step, entity, actor) -> NotAllowed:
    """A step refused by role to a stand-in whose appointment for today was revoked says so (the page and the
    log), not "not allowed"; asked by fire() only, never by the lists (one statement, on this refusal)."""
    ended = revoked_today(actor) if refused.code == "role" and step.delegable else None
    if ended is None or ended.kind not in step.stand_ins or not step.who(ended.principal, entity):
        return refused
    return NotAllowed(_("Your appointment as %(title)s, standing in for %(whom)s, was revoked: \"%(step)s\" no "
                        "longer waits for you.", title=ended.title, whom=ended.principal.full_name, step=step.label),
                      code="role")


def took_earlier(step: Step, entity, actor, *, stand_in: bool) -> bool:
    """Four eyes against an earlier step: `actor` took the step this one checks (every corrector of a letter,
    say), so may not take this one, under any authority or, for steps that bind stand-ins only, as a
    stand-in. The lists ask it too: a work item names one excluded person, a step may check several."""
    return (step.not_by is not None and actor.id in step.not_by(entity)
            and (stand_in or not step.not_by_stand_in_only))


def guard_refusal(entity, trigger: str, actor) -> str | None:
    """What the step's guards say against taking it on `entity` now: a signed letter's replacement, signed
    outside the workflow, is refused what the signing step would be (a dispensation past its wedding day)."""
    return _guard_message(spec_for(entity).step_by_trigger[trigger], entity, actor)


def _guard_message(step: Step, entity, actor) -> str | None:
    for guard in step.guards:
        message = guard(entity, actor)
        if message:
            return str(message)
    return None


def available(entity, actor) -> list[Action]:
    """The steps `actor` may take on `entity` now, each with a blocking reason if a guard says no."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    spec = spec_for(entity)
    steps = spec.steps_from(getattr(entity, spec.state_attr))
    read = []

    def delegations():  # read once, and only if a step needs more than the actor's own authority
        if not read:
            read.append(active_delegations(actor))
        return read[0]
    actions = []
    for step in steps:
        try:
            action = _authority(spec, step, entity, actor, delegations)
        except NotAllowed:
            continue
        action.blocked = _guard_message(step, entity, actor)
        if not action.blocked:
            action.caution = next((str(m) for m in (c(entity) for c in step.cautions) if m), None)
        action.applies = step.applies(entity)
        actions.append(action)
    return actions


def kept_out(entity, actor) -> str | None:
    """Why `actor`, whose office would take a waiting step, may not take it here (four eyes: they took an
    earlier step, or the row is theirs), in the words the step's refusal uses; None when nothing keeps them
    out. A page says this instead of "nothing for you", which read as if the step were someone else's."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    spec = spec_for(entity)
    state = getattr(entity, spec.state_attr)
    for step in spec.steps_from(state):
        if not step.todo_in(state):
            continue
        try:
            _authority(spec, step, entity, actor)
        except NotAllowed as refused:
            if refused.code == "four_eyes":
                return str(refused.message)
    return None


def todo_actions(entity, actor) -> list[Action]:
    """What `available()` offers that is a to-do in the row's state: exactly what the inbox lists."""
    state, today = getattr(entity, spec_for(entity).state_attr), today_wib()
    return [a for a in available(entity, actor) if a.step.todo_in(state) and a.applies and a.step.ready(entity, today)]


def stale_page(spec: Spec, entity, actor=None) -> Conflict:
    """The refusal of a page older than the record: who changed it last, and how, in their words."""
    # the last change of the record: a step, or an edit of it (a letter corrected, its number recorded), never
    # a view
    last = db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == spec.name,
                                 AuditEvent.subject_id == str(entity.id), AuditEvent.outcome == "ok",
                                 AuditEvent.action.not_in(vocabulary.data_access_actions()),
                                 or_(AuditEvent.to_state.is_not(None), AuditEvent.changes.is_not(None)))
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is None:
        return Conflict(_("This record was changed by someone else. Reload the page and try again."))
    area, _dot, trigger = last.action.rpartition(".")
    step = spec.step_by_trigger.get(trigger) if area == spec.name else None
    when = to_wib(datetime.fromisoformat(last.occurred_at))
    mine = actor is not None and last.actor_id == actor.id  # the same person, from another tab or device
    time = wib_text(last.occurred_at)
    if step is None:  # not a step (another area's action on it too): said with the audit log's own words
        did = vocabulary.action_label(last.action)
        fact = (_("You %(did)s at %(time)s, from another page.", did=did, time=time) if mine else
                _("%(name)s %(did)s at %(time)s.", name=last.actor_name or "?", did=did, time=time))
    else:
        fact = (_("You already did \"%(step)s\" at %(time)s, from another page.", step=step.label, time=time)
                if mine else _("%(name)s already did \"%(step)s\" at %(time)s.", name=last.actor_name or "?",
                               step=step.label, time=time))
    # the page the refusal answers shows the record as it is now (a list of outcomes shows no page: `fact`)
    page = (_("This page was out of date; it now shows the current state.") if mine else
            _("Your page was out of date; it now shows the current state."))
    return Conflict(f"{fact} {page}", by=last.actor_name, at=when, fact=fact)


def lock_for_step(model, entity_id):
    """The row a step is about to be taken on, read with its lock and what the spec's `lock_options`
    bring along; fire() then uses it as it is. A step's POST view loads its row with this (one read,
    not two). None when there is none."""
    # on SQLite the transaction this query runs in is BEGIN IMMEDIATE: the database's single writer
    try:
        entity = lock_row(model, entity_id, options=spec_for(model).lock_options)
    except NoResultFound:
        return None
    entity.__dict__.pop("_inbox_hints", None)  # counts a list page took earlier; guards count afresh now
    return entity


def _lock(spec: Spec, entity):
    if locked_here(entity):
        return entity
    locked = lock_for_step(spec.model, entity.id)
    if locked is None:
        raise NoResultFound(f"{spec.name} {entity.id} is gone")
    return locked


def fire(entity, trigger: str, actor, *, expected_version=None, comment: str | None = None,
         data: dict | None = None, password: str | None = None, reauthenticated: bool = False,
         role_refusal: str | None = None):
    """Take `trigger` on `entity` as `actor`. Returns the refreshed entity; raises a Refused subclass.
    `reauthenticated=True` only from a service that has just checked the actor's password itself
    (bulk sign-off: one password for the whole batch). `role_refusal`: what a refusal for want of authority
    says instead of the engine's words, in the log as to the actor (the inbox, of an item that never
    awaited them)."""
    spec = spec_for(entity)
    entity_id = entity.id
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("fire() runs in a transaction of its own; commit or discard pending changes")
    # The transaction the page read in goes on: on SQLite it holds the write lock since BEGIN IMMEDIATE;
    # on PostgreSQL (READ COMMITTED) the locking SELECT below reads the latest committed row.
    from_state = None
    ctx = action = None
    try:
        step = spec.step_by_trigger.get(trigger)
        if step is None:  # what was asked, kept readable and short for the log: letters, digits and _
            raise NotAllowed(_("Unknown action (%(name)s).", name=re.sub(r"[^A-Za-z0-9_]", "?", trigger[:40])),
                             code="unknown")
        entity = _lock(spec, entity)
        from_state = getattr(entity, spec.state_attr)
        # authority first: who acted last, and the row's status, are told only to someone who may act on it
        try:
            action = _authority(spec, step, entity, actor)
        except NotAllowed as refused:
            instead = _revoked_instead(refused, step, entity, actor)
            if instead is refused and refused.code == "role" and role_refusal:
                instead = NotAllowed(role_refusal, code="role")
            raise instead from None
        if expected_version is not None and str(getattr(entity, spec.version_attr)) != str(expected_version):
            raise stale_page(spec, entity, actor)
        if from_state not in step.sources:
            raise NotAllowed(_("\"%(step)s\" is not possible while the status is \"%(state)s\".",
                               step=step.label, state=spec.state_label(from_state, entity)), code="state")
        message = _guard_message(step, entity, actor)
        if message:
            raise Invalid(message, code="guard")
        comment = (comment or "").strip() or None
        if step.comment_required and not comment:
            raise Invalid(_("A reason is required for \"%(step)s\".", step=step.label), code="comment")
        if step.comment_required and len(comment) < MIN_REASON:
            raise Invalid(_("Write a clear reason for \"%(step)s\" (at least %(n)s characters): the applicant "
                            "and your colleagues read it.", step=step.label, n=MIN_REASON) if not step.comment_internal
                          else _("Write a clear reason for \"%(step)s\" (at least %(n)s characters): your colleagues "
                                 "read it.", step=step.label, n=MIN_REASON), code="comment")
        if "confirm" in step.form and not (data or {}).get("confirmed"):
            raise Invalid(_("Tick the box to confirm \"%(step)s\"; it cannot be undone.", step=step.label),
                          code="confirm")
        fault = actor.password_fault(password) if step.reauth and not reauthenticated else None
        if fault:
            raise Invalid(fault, code="reauth")
        ctx = Context(actor=actor, acting_for=action.acting_for, delegation=action.delegation,
                      comment=comment, data=dict(data or {}), now=utcnow())
        spec.machine.events[trigger].trigger(entity)
        to_state = getattr(entity, spec.state_attr)
        setattr(entity, spec.version_attr, getattr(entity, spec.version_attr) + 1)
        if step.effect:
            step.effect(entity, ctx)
        if ctx.data.get("evidence_refused"):  # a file sent with the step could not be taken: never done without it
            raise Invalid(ctx.data["evidence_refused"], code="upload")
        if spec.after_each:
            spec.after_each(entity, step, from_state, ctx)
        # who must act next, in this transaction (receivers of the signal write theirs here too); what the
        # step changed is written with the audit event, one flush for the whole step
        with session.no_autoflush:
            assignments.store(spec, entity, step=step, from_state=from_state, ctx=ctx)
        audit.record(f"{spec.name}.{trigger}", actor=actor, acting_for=action.acting_for,
                     subject_type=spec.name, subject_id=entity.id, from_state=from_state,
                     to_state=to_state, comment=comment, changes=ctx.changes or None)
        _commit_keeping_loaded(session)
    except Refused as refusal:
        session.rollback()
        # a Plh refused after their authority was found (a wrong password) is recorded as the Plh they acted as
        audit.refused(_audited_as(spec, trigger), error=refusal, actor=actor, subject_type=spec.name,
                      subject_id=entity_id, from_state=from_state, acting_for=getattr(action, "acting_for", None))
        raise
    except Exception:
        session.rollback()
        raise
    for callback in ctx.after_commit:
        try:
            callback()
        except Exception:  # the change is committed; a failed notification must not undo it
            log.exception("after-commit callback failed for %s %s", spec.name, entity_id)
    for follow in step.then:  # its own transaction and audit event, taken only when offered as it is
        chained = spec.step_by_trigger[follow]
        if chained.form or chained.reauth:
            continue
        if any(a.trigger == follow and not a.blocked and a.applies and not a.acting_for
               for a in available(entity, actor)):
            return fire(entity, follow, actor, expected_version=getattr(entity, spec.version_attr))
    return entity


def _commit_keeping_loaded(session) -> None:
    """Commit without expiring what the step loaded: the row, the actor and their roles hold exactly what
    was just written, so the page answering the step does not read them all again."""
    real = session()
    real.expire_on_commit = False
    try:
        real.commit()
    finally:
        real.expire_on_commit = True


def history_for(entity) -> list[AuditEvent]:
    return audit.history(spec_for(entity).name, entity.id)

"""Declarative workflow specs, validated when they are built.

A spec lists states and steps (transitions). Each step says who may fire it, which guards must pass,
whether a comment or the password is needed, whether a Plh/Plt may act, and whether the four-eyes rule
applies. One `transitions.Machine` is built per spec, once, with no models attached: rows are moved by
the shared machine's events, never by a machine of their own.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from transitions import Machine


@dataclass(frozen=True)
class State:
    name: str
    label: str
    terminal: bool = False
    clock: bool = False  # the service clock runs while a row is in this state
    tone: str = "neutral"  # how the state badge reads: neutral, info, success, warning, danger
    # the label of one row that came here another way (returned to it, say), or None for `label`
    label_for: Callable | None = field(default=None, compare=False)


class Who:
    """Who may fire a step: a predicate on (user, entity) with a description for docs and errors.

    `names(entity)` says the same thing as assignments, so the engine can store who must act next:
    a list of (user_id, role) pairs, one of them None. It must agree with `check` exactly (a property
    test compares them through the inbox); a relation without `names` cannot be a to-do.
    `label` names them for people: a text, or label(entity) -> text, e.g. "direct supervisor (Name)"
    (see workflow.ui)."""

    def __init__(self, check: Callable, description: str, role_codes: frozenset = frozenset(),
                 names: Callable | None = None, label: Callable | str | None = None):
        self.check = check
        self.description = description
        self.role_codes = role_codes
        self.names = names
        self.label = label

    def __call__(self, user, entity) -> bool:
        return bool(self.check(user, entity))

    def __or__(self, other: "Who") -> "Who":
        names = None
        if self.names is not None and other.names is not None:
            names = lambda e: [*self.names(e), *other.names(e)]  # noqa: E731
        label = None
        if self.label is not None and other.label is not None:
            label = lambda e: " / ".join(filter(None, (_text(self.label, e), _text(other.label, e))))  # noqa: E731
        return Who(lambda u, e: self(u, e) or other(u, e), f"{self.description} | {other.description}",
                   self.role_codes | other.role_codes, names, label)

    def when(self, condition: Callable, description: str, label: Callable | str | None = None) -> "Who":
        """The same people, only for rows where `condition(entity)` holds (e.g. a routine course)."""
        names = None if self.names is None else (lambda e: list(self.names(e)) if condition(e) else [])
        return Who(lambda u, e: bool(condition(e)) and self(u, e), f"{self.description}, {description}",
                   self.role_codes, names, self.label if label is None else label)


def _text(label, entity):
    """A label as text for this row: labels are texts or label(entity) -> text (or None)."""
    return label(entity) if callable(label) else label


def roles(*codes: str) -> Who:
    wanted = frozenset(codes)
    return Who(lambda user, _entity: bool(user.roles & wanted), "roles:" + ",".join(codes), wanted,
               names=lambda _entity: [(None, code) for code in codes],
               label=lambda _entity: _role_labels(codes))


def _role_labels(codes) -> str:
    from ..accounts.models import ROLES  # the role names people read; accounts imports no workflow
    return " / ".join(str(ROLES.get(code, code)) for code in codes)


def relation(check: Callable, description: str, names: Callable | None = None,
             label: Callable | str | None = None) -> Who:
    """Who stands in a relation to the row, e.g. the direct supervisor of the enrolled ASN.
    `names(entity)` -> the user ids it names (e.g. [the supervisor's id]), for the assignments."""
    return Who(check, description,
               names=None if names is None else (lambda e: [(uid, None) for uid in names(e) if uid is not None]),
               label=label)


TONES = frozenset({"neutral", "info", "success", "warning", "danger"})  # plaju.css .tone-*
# the kinds of field a step's form may ask for (templates/workflow/_actions.html renders each)
FORM_FIELDS = frozenset({"reason", "note", "password", "checklist", "missing", "upload", "fields", "certificate",
                         "confirm"})

# A guard is side-effect free: guard(entity, actor) -> None when fine, else a message for the user.
Guard = Callable[[object, object], str | None]


@dataclass(frozen=True)
class Step:
    trigger: str
    source: str | tuple
    dest: str
    label: str
    who: Who
    guards: tuple = ()
    # said beside the button without blocking it: caution(entity) -> message or None (no scan on file)
    cautions: tuple = ()
    comment_required: bool = False
    reauth: bool = False
    delegable: bool = False
    # which stand-ins a delegable step admits: a Plt alone for what only the office's holder does (the Camat's
    # recall: a Plt holds a vacant office, a Plh stands in for someone away for a while). Not for a to-do:
    # the inbox lists a delegable to-do for every stand-in
    stand_ins: tuple = ("plh", "plt")
    four_eyes: bool = False
    # four eyes across steps: not_by(entity) names who took an earlier step that this one checks (e.g. who
    # submitted a letter for signature), refused with `not_by_reason` whatever authority they act under
    not_by: Callable | None = None
    not_by_reason: str | None = None
    # True: not_by binds only someone acting as a Plh/Plt (the Camat signs off what he approved as direct
    # supervisor, there being no one above him in the office; his stand-in does not)
    not_by_stand_in_only: bool = False
    style: str = "primary"  # button colour: primary, success, danger, secondary, warning
    effect: Callable | None = None  # effect(entity, ctx) inside the transaction, after the move
    # the fields the step's form asks for, in order: "reason" (required), "note" (optional comment),
    # "password", "checklist" (tick what was brought), "missing" (tick what is missing), "upload" (a file;
    # the effect refuses the step without one where it needs it),
    # "fields" (the area's own fields: `fields_template` is included in the form, its inputs named
    # "f_<name>" reach the effect as ctx.data["fields"], an optional file input "evidence" as
    # ctx.data["evidence"]; the effect validates them and raises Invalid).
    # "certificate" (number, date, issuer and JP as printed on a certificate), "confirm" (a step that
    # cannot be undone: the form states `consequence` and asks for a tick; the engine refuses it without).
    # None: derived from comment_required and reauth.
    form: tuple | None = None
    fields_template: str = ""
    # a to-do: the row waits for whoever may take it (True, False, or the source states where it is one);
    # withdraw, cancel and automatic steps are not
    todo: bool | tuple = True
    notify: bool = True  # tell each assignee (False: a to-do shared at the counter, only counted)
    bulk: bool = False  # may be taken for many rows at once from the inbox (sign, approve)
    row_form: bool = True  # the inbox row can offer it (False: it needs the full page, e.g. an upload)
    consequence: str | None = None  # what a "confirm" step does for good, said before it is taken
    # the reason is shown outside the office (a citizen's tracking page): the form says so, before it is typed
    comment_public: bool = False
    # the reason stays in the office (a letter sent back to the Kasi): a too-short one is refused saying so
    comment_internal: bool = False
    # steps the same person takes at once when the row then awaits them for one (no form, no password):
    # one decision, not two rounds (the Camat approving as direct supervisor what he also signs off)
    then: tuple = ()
    # how the state it leads to reads in the history after this step (a step that sends a row back to an
    # earlier state: "returned", not the state's first meaning); None: the state's label
    arrives_as: str | None = None
    # ready_on(entity) -> the first day (WIB) the step can be taken, or None: before it the row is nobody's
    # to-do (lists and counts hold only what can be done today; the page still shows the guard's reason),
    # and `flask workflow ready` stores the to-do, and tells it, that morning. A guard refuses it till then.
    ready_on: Callable | None = None

    def ready(self, entity, today) -> bool:
        day = self.ready_on(entity) if self.ready_on is not None else None
        return day is None or day <= today

    def __post_init__(self):
        if self.form is None:
            derived = (("reason",) if self.comment_required else ()) + (("password",) if self.reauth else ())
            object.__setattr__(self, "form", derived)

    @property
    def sources(self) -> tuple:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)

    def todo_in(self, state: str) -> bool:
        return state in self.todo if isinstance(self.todo, tuple) else bool(self.todo)

    def applies(self, entity) -> bool:
        """False when a structural guard (one that depends only on the kind of row) rules the step out:
        it is then neither a button nor an assignment."""
        return not any(getattr(g, "structural", False) and g(entity, None) for g in self.guards)


class SpecError(ValueError):
    pass


@dataclass
class Spec:
    name: str
    model: type
    states: list
    steps: list
    initial: str
    state_attr: str = "state"
    version_attr: str = "version"
    # ids of the users who own a row (creator, enrolled ASN): the four-eyes rule refuses them
    owners: Callable = field(default=lambda entity: set())
    # a short text naming the row in messages and the audit trail
    describe: Callable = field(default=lambda entity: f"#{entity.id}")
    after_each: Callable | None = None  # after_each(entity, step, from_state, ctx): shared bookkeeping
    due: Callable = field(default=lambda entity: None)  # when the waiting step is due (the area's clock)
    # the column naming the owner, so their rows follow them when they move unit or supervisor
    owner_attr: str | None = None
    # how the inbox shows a row; the area fills these in (see plaju/inbox)
    kind_label: object = None
    summary: Callable = field(default=lambda entity: {"code": f"#{entity.id}", "type": "", "name": ""})
    url: Callable | None = None  # url(entity) -> the row's own page (inbox, notifications)
    inbox_options: tuple = ()  # loader options for a page of rows (joinedload, selectinload)
    prefetch: Callable | None = None  # prefetch(entities): warm what the guards read, one query per page
    # loader options for the locking read of a step: what the step's bookkeeping reads comes along in the
    # same statement (an area that keeps a row per entity appends its joinedload here)
    lock_options: list = field(default_factory=list)
    # roles whose holders decide who acts when the rule falls back (no other HR: the Sekcam): when someone
    # gains, loses or leaves one, the open rows' assignments are recomputed (assignments.refresh_for_roles)
    reroute_on_roles: frozenset = frozenset()

    def __post_init__(self):
        self.state_by_name = {s.name: s for s in self.states}
        self.step_by_trigger = {}
        for step in self.steps:
            if step.trigger in self.step_by_trigger:
                raise SpecError(f"{self.name}: trigger {step.trigger!r} defined twice")
            self.step_by_trigger[step.trigger] = step
        self.validate()
        self.machine = Machine(
            model=None, states=[s.name for s in self.states], initial=self.initial,
            transitions=[{"trigger": s.trigger, "source": list(s.sources), "dest": s.dest}
                         for s in self.steps],
            auto_transitions=False, model_attribute=self.state_attr, send_event=True)

    def validate(self) -> None:
        names = set(self.state_by_name)
        if self.initial not in names:
            raise SpecError(f"{self.name}: initial state {self.initial!r} is not a state")
        for step in self.steps:
            for state in (*step.sources, step.dest):
                if state not in names:
                    raise SpecError(f"{self.name}.{step.trigger}: unknown state {state!r}")
            if not isinstance(step.who, Who):
                raise SpecError(f"{self.name}.{step.trigger}: says nobody may fire it")
            # the form asks for exactly what the engine will demand, so no page offers a step it cannot take
            if ("reason" in step.form) != step.comment_required or ("password" in step.form) != step.reauth:
                raise SpecError(f"{self.name}.{step.trigger}: form {step.form} does not match "
                                "comment_required/reauth")
            unknown = set(step.form) - FORM_FIELDS
            if unknown:
                raise SpecError(f"{self.name}.{step.trigger}: unknown form fields {sorted(unknown)}")
            if ("fields" in step.form) != bool(step.fields_template):
                raise SpecError(f"{self.name}.{step.trigger}: a \"fields\" form needs its fields_template "
                                "and only it has one")
            if step.todo and step.who.names is None:
                raise SpecError(f"{self.name}.{step.trigger}: a to-do whose who-rule names nobody")
            if step.todo and step.delegable and set(step.stand_ins) != {"plh", "plt"}:
                raise SpecError(f"{self.name}.{step.trigger}: a to-do admits every stand-in or none")
        unreachable = names - self.reachable_from(self.initial)
        if unreachable:
            raise SpecError(f"{self.name}: unreachable states {sorted(unreachable)}")
        for state in self.states:
            if state.tone not in TONES:
                raise SpecError(f"{self.name}: state {state.name!r} has an unknown tone {state.tone!r}")
            leaves = any(state.name in step.sources for step in self.steps)
            if state.terminal and leaves:
                raise SpecError(f"{self.name}: terminal state {state.name!r} has a way out")
            if not state.terminal and not leaves:
                raise SpecError(f"{self.name}: non-terminal state {state.name!r} has no way out")

    def steps_from(self, state: str) -> Iterable[Step]:
        return [self.step_by_trigger[t] for t in self.machine.get_triggers(state)]

    def state(self, name: str) -> State:
        return self.state_by_name[name]

    def state_label(self, name: str, row=None) -> str:
        """How state `name` reads for `row`: while the row is in it, its `label_for(row)` when that says
        something; else (another state of its path, say) the state's label."""
        state = self.state_by_name[name]
        here = row is not None and state.label_for is not None and getattr(row, self.state_attr) == name
        return (state.label_for(row) if here else None) or state.label

    def reachable_from(self, state: str) -> frozenset:
        """`state` and every state some sequence of steps leads to from it."""
        seen, frontier = {state}, [state]
        while frontier:
            here = frontier.pop()
            for step in self.steps:
                if here in step.sources and step.dest not in seen:
                    seen.add(step.dest)
                    frontier.append(step.dest)
        return frozenset(seen)

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


class Who:
    """Who may fire a step: a predicate on (user, entity) with a description for docs and errors."""

    def __init__(self, check: Callable, description: str, role_codes: frozenset = frozenset(),
                 label: Callable | str | None = None):
        self.check = check
        self.description = description
        self.role_codes = role_codes
        # for people: a text, or label(entity) -> text, e.g. "direct supervisor (Name)"; see workflow.ui
        self.label = label

    def __call__(self, user, entity) -> bool:
        return bool(self.check(user, entity))

    def __or__(self, other: "Who") -> "Who":
        return Who(lambda u, e: self(u, e) or other(u, e), f"{self.description} | {other.description}",
                   self.role_codes | other.role_codes)


def roles(*codes: str) -> Who:
    wanted = frozenset(codes)
    return Who(lambda user, _entity: bool(user.roles & wanted), "roles:" + ",".join(codes), wanted,
               label=lambda _entity: _role_labels(codes))


def _role_labels(codes) -> str:
    from ..accounts.models import ROLES  # the role names people read; accounts imports no workflow
    return " / ".join(str(ROLES.get(code, code)) for code in codes)


def relation(check: Callable, description: str, label: Callable | str | None = None) -> Who:
    """Who stands in a relation to the row, e.g. the direct supervisor of the enrolled ASN."""
    return Who(check, description, label=label)


TONES = frozenset({"neutral", "info", "success", "warning", "danger"})  # plaju.css .tone-*
# the kinds of field a step's form may ask for (templates/workflow/_actions.html renders each)
FORM_FIELDS = frozenset({"reason", "note", "password", "checklist", "missing", "upload"})

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
    comment_required: bool = False
    reauth: bool = False
    delegable: bool = False
    four_eyes: bool = False
    style: str = "primary"  # button colour: primary, success, danger, secondary, warning
    effect: Callable | None = None  # effect(entity, ctx) inside the transaction, after the move
    # the fields the step's form asks for, in order: "reason" (required), "note" (optional comment),
    # "password", "checklist" (tick what was brought), "missing" (tick what is missing), "upload".
    # None: derived from comment_required and reauth.
    form: tuple | None = None

    def __post_init__(self):
        if self.form is None:
            derived = (("reason",) if self.comment_required else ()) + (("password",) if self.reauth else ())
            object.__setattr__(self, "form", derived)

    @property
    def sources(self) -> tuple:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


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
    url: Callable | None = None  # url(entity): the local path of the row's page, for notifications

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
        reachable, frontier = {self.initial}, [self.initial]
        while frontier:
            here = frontier.pop()
            for step in self.steps:
                if here in step.sources and step.dest not in reachable:
                    reachable.add(step.dest)
                    frontier.append(step.dest)
        unreachable = names - reachable
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

"""What awaits a person, read from the engine's assignments; a single action through fire() (a batch:
batch.py).

A page costs a fixed number of statements whatever the data: the reader's delegations (one, two with
principals), the bounded counts per kind (one), per kind the page of waiting rows (one, a UNION ALL of one
index range per reach, each stopping after a page), the rows themselves with what the page shows (one or
two per kind), the matching work items (one). Views call these; these call the engine.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from ..accounts.models import Delegation, active_delegations, revoked_today
from ..audit import record as audit
from ..audit import vocabulary
from ..database import plan_once, utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import wib_text, wib_writer
from ..workflow import Conflict, NotAllowed, Refused, all_specs, fire, spec_named
from ..workflow.awaiting import (
    CAP,
    Reader,
    as_stand_in,
    awaiting_clause,
    bounded_counts,
    delegation_reaches,
    items_of,
    page_keys,
    parse_cursor,
    reader,
)
from ..workflow.engine import UNKNOWN_STEP, lock_for_step, took_earlier
from ..workflow.models import WorkItem
from ..workflow.ui import FROM_INBOX, FROM_STAND_IN, refusal_text

PAGE = 25
BULK_MAX = 100  # items one bulk step takes: every group's page of a list, with room to spare


@dataclass
class RowAction:
    step: object
    delegation: object = None  # set when taken as Plh/Plt for the delegation's principal
    blocked: str | None = None
    label: str = ""  # the step's label, translated once per page rather than once per row
    caution: str | None = None  # what to look at before taking it (Step.cautions), said beside it
    value: str = ""  # what a form posts for it: "spec:id:trigger:version" (item_value)

    @property
    def trigger(self) -> str:
        return self.step.trigger


@dataclass
class Row:
    """One waiting item as the list shows it. What the template reads is worked out once, in
    `complete()`, when the row's actions are known (plain attributes: a page reads each several times)."""
    spec: object
    entity: object
    due_at: datetime | None
    since: datetime
    actions: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)  # labels translated once per page: id(label) -> (label, text)
    key: str = field(init=False, default="")
    version: int = field(init=False, default=0)
    summary: dict = field(init=False, default_factory=dict)
    url: str | None = field(init=False, default=None)
    open_url: str | None = field(init=False, default=None)  # its page opened from the inbox: a step there goes on
    overdue: bool = field(init=False, default=False)
    since_text: str = field(init=False, default="")  # "26 Nov 2026 12.22 WIB"
    due_text: str | None = field(init=False, default=None)
    bulk_action: RowAction | None = field(init=False, default=None)  # a bulk step no guard blocks
    acting_as: str | None = field(init=False, default=None)  # "Plh. Camat" when only a delegation reaches it

    def complete(self, now: datetime, wib=wib_text, origin: str = FROM_INBOX) -> "Row":
        spec, entity = self.spec, self.entity
        self.key = f"{spec.name}:{entity.id}"
        self.version = getattr(entity, spec.version_attr)
        for action in self.actions:
            action.value = item_value(self, action)
        summary = spec.summary(entity)
        if summary.get("links"):
            summary["links"] = [(self._text(label), url) for label, url in summary["links"]]
        self.summary = summary
        self.url = spec.url(entity) if spec.url else None
        if self.url:
            self.open_url = self.url + ("&" if "?" in self.url else "?") + "from=" + origin
        self.overdue = self.due_at is not None and self.due_at < now
        self.since_text = wib(self.since)
        self.due_text = wib(self.due_at) if self.due_at is not None else None
        self.bulk_action = next((a for a in self.actions if a.step.bulk and not a.blocked), None)
        titles = {a.delegation.title for a in self.actions if a.delegation is not None}
        if titles and all(a.delegation is not None for a in self.actions):
            self.acting_as = ", ".join(sorted(titles))
        return self

    def _text(self, label) -> str:
        if isinstance(label, str):
            return label
        known = self.texts.get(id(label))
        if known is None or known[0] is not label:  # holding the label keeps its id from being reused
            known = self.texts[id(label)] = (label, str(label))
        return known[1]


@dataclass
class Group:
    spec: object
    count: int  # exact below awaiting.CAP, CAP from there on ("99+")
    rows: list
    after: str | None = None  # the cursor of the next page, when there is one

    @property
    def more(self) -> bool:
        return self.after is not None

    @property
    def count_label(self) -> str:
        return count_label(self.count)


def count_label(n: int) -> str:
    return f"{CAP - 1}+" if n >= CAP else str(n)


def my_delegations(user) -> list[Delegation]:
    """The reader's Plh/Plt delegations in force today, with their principals and roles."""
    return active_delegations(user)


def counts(who) -> dict[str, int]:
    """How many rows of each kind await `who` (a user or a Reader), bounded by CAP: one statement
    (after the reader's delegations) whatever is waiting."""
    return bounded_counts(who, [spec.name for spec in all_specs()])


def count(who) -> int:
    """The navigation's number: the kinds' bounded counts added, itself shown as "99+" from CAP on."""
    return sum(counts(who).values())


_ROW_STATEMENTS: dict = {}


def _rows_statement(spec):
    """A page's entities of one spec with what the page shows, built once: only the ids change."""
    key = (spec.name, spec.model)
    stmt = _ROW_STATEMENTS.get(key)
    if stmt is None:
        stmt = _ROW_STATEMENTS[key] = plan_once(select(spec.model).options(*spec.inbox_options)
                                                 .where(spec.model.id.in_(bindparam("ids", expanding=True))))
    return stmt


def load_rows(who, keys: dict, delegations=None) -> dict[str, list[Row]]:
    """Rows for {spec name: [Key, ...]} with their actions, in fixed statements."""
    r = who if isinstance(who, Reader) else reader(who)
    user = r.user
    wanted = [(name, [k.entity_id for k in entries]) for name, entries in keys.items() if entries]
    if not wanted:
        return {}
    items = items_of(r, wanted)
    by_entity: dict[tuple, list] = {}
    for item in items:
        by_entity.setdefault((item.spec, item.entity_id), []).append(item)
    result = {}
    for name, ids in wanted:
        spec = spec_named(name)
        if spec is None:
            continue
        entities = {e.id: e for e in db.session.scalars(_rows_statement(spec), {"ids": ids}).unique()}
        if spec.prefetch:
            spec.prefetch(list(entities.values()))
        order = {s.trigger: n for n, s in enumerate(spec.steps)}
        now, wib = utcnow(), wib_writer()
        labels: dict[str, str] = {}
        texts: dict = {}
        rows = []
        for key in keys[name]:
            entity = entities.get(key.entity_id)
            if entity is None:
                continue
            row = Row(spec, entity, key.due_at, key.since, texts=texts)
            chosen: dict = {}  # trigger -> None (the reader's own authority) or the Delegation it is taken under
            for item in by_entity.get((name, key.entity_id), []):
                delegation = r.authority(item)
                if delegation is False or item.trigger not in spec.step_by_trigger:
                    continue
                # one step reached both ways (their own role's item and a principal's): their own authority
                # wins, as in fire() and available()
                if item.trigger not in chosen or delegation is None:
                    chosen[item.trigger] = delegation
            for trigger, delegation in chosen.items():
                step = spec.step_by_trigger[trigger]
                if took_earlier(step, entity, user, stand_in=delegation is not None):
                    blocked = str(step.not_by_reason)  # what fire() says (an item keeps out one person only)
                else:
                    blocked = next((str(m) for m in (g(entity, user) for g in step.guards) if m), None)
                label = labels.get(step.trigger) or labels.setdefault(step.trigger, str(step.label))
                caution = None if blocked else next((str(m) for m in (c(entity) for c in step.cautions) if m), None)
                row.actions.append(RowAction(step, delegation, blocked, label, caution=caution))
            row.actions.sort(key=lambda a: order[a.trigger])
            rows.append(row.complete(now, wib, FROM_STAND_IN if r.stand_in_only else FROM_INBOX))
        result[name] = rows
    return result


def inbox(user, kind: str | None = None, after: str | None = None) -> tuple[list[Group], list[Delegation]]:
    """The groups of rows awaiting `user` (one kind only when `kind` is given; `after`: that kind's page
    after this cursor), and their delegations."""
    groups, delegations, _stand_in = inbox_page(user, kind, after)
    return groups, delegations


def inbox_page(user, kind: str | None = None, after: str | None = None,
               stand_in: bool = False) -> tuple[list[Group], list[Delegation], int | None]:
    """As `inbox`, with `stand_in` only what waits for the user as Plh/Plt; and, on the whole list of someone
    standing in today, how many of its rows wait for them as such (one statement more), else None."""
    r = reader(user)
    waiting_as = None
    if stand_in:
        r = as_stand_in(r)
    elif r.delegations:
        waiting_as = sum(counts(as_stand_in(r)).values())
    totals = counts(r)
    specs = [s for s in all_specs() if totals.get(s.name) and (kind is None or s.name == kind)]
    position = parse_cursor(after) if kind else None
    keys, cursors = {}, {}
    for spec in specs:
        found = page_keys(r, spec.name, PAGE + 1, position)
        keys[spec.name] = found[:PAGE]
        cursors[spec.name] = found[PAGE - 1].cursor if len(found) > PAGE else None
    rows = load_rows(r, keys)
    groups = [Group(spec, totals[spec.name], rows.get(spec.name, []), cursors[spec.name]) for spec in specs]
    return groups, r.delegations, waiting_as


def end_reading() -> None:
    """End the page's read-only transaction before the template renders, keeping what was loaded: on
    SQLite every transaction begins IMMEDIATE and holds the one write lock, which a list would otherwise
    keep for the whole rendering while other requests queue behind it. Nothing is written here, so
    nothing is committed: with changes pending (none on these pages) it leaves the transaction alone."""
    session = db.session()
    if session.new or session.dirty or session.deleted or not session.in_transaction():
        return
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


# --- acting ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    summary: dict
    label: str
    ok: bool
    message: str = ""
    status: int = 200  # a refusal's own status (403 not allowed, 409 stale, 422 invalid)
    waits_again: bool = False  # done, and the item now waits for a next step of the same person
    state: str = ""  # done: the status the item is in now ("Siap diserahkan")
    acting_as: str | None = None  # done for an official, by a batch ("Plh. Camat Plaju")
    did: str = ""  # what was done in the log's words, for a third person ("menandatangani dokumen")


def parse_item(raw: str):
    """'spec:id:trigger:version' -> (spec, id, trigger, version), or None when it is not one."""
    parts = (raw or "").split(":")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in (parts[1], parts[3])):
        return None
    spec = spec_named(parts[0])
    if spec is None or len(parts[1]) > 12 or len(parts[3]) > 9:  # int() of 5,000 digits raises
        return None
    return spec, int(parts[1]), parts[2], int(parts[3])


def item_value(row: Row, action: RowAction) -> str:
    return f"{row.spec.name}:{row.entity.id}:{action.trigger}:{row.version}"


def _unknown(raw, actor=None, subject_type=None, subject_id=None) -> Outcome:
    """An item that names no step of a row (a forged or outdated value): refused, and recorded once."""
    message = _("This item does not exist (any more).")
    if actor is not None:
        audit.refused(UNKNOWN_STEP, actor=actor, subject_type=subject_type, subject_id=subject_id,
                      reason=f"[input:unknown] {message}")
    return Outcome({"code": str(raw)[:40], "type": "", "name": ""}, "", False, message, 404)


def _awaits(who, spec_name: str, entity_id: int, trigger: str | None = None) -> bool:
    stmt = select(WorkItem.id).where(WorkItem.spec == spec_name, WorkItem.entity_id == entity_id,
                                     awaiting_clause(who))
    if trigger is not None:
        stmt = stmt.where(WorkItem.trigger == trigger)
    return db.session.scalar(stmt.limit(1)) is not None


NOT_YOURS = _l("This does not wait for you (any more). The list below shows what waits for you now.")


def act(actor, raw: str, *, comment=None, password=None, reauthenticated=False, bulk=False) -> Outcome:
    """Take one step on one item as `actor`, in its own transaction and with its own audit event.
    `bulk`: one item of a batch (its password, when it asks one, was checked for the batch)."""
    parsed = parse_item(raw)
    if parsed is None:
        return _unknown(raw, actor)
    spec, entity_id, trigger, version = parsed
    db.session.rollback()
    step = spec.step_by_trigger.get(trigger)
    entity = lock_for_step(spec.model, entity_id)  # read once, with the lock fire() needs
    if entity is None or step is None:
        return _unknown(raw, actor, spec.name, entity_id)
    # what the row is, only to someone it awaits (or who saw it awaiting them: a stale page)
    visible = _awaits(actor, spec.name, entity_id)
    if not visible:  # a stand-in revoked meanwhile saw it awaiting him: each refused line names its letter,
        # only one his appointment reached (a delegable step, four eyes not keeping him out), nothing more
        ended = revoked_today(actor)
        visible = ended is not None and _awaits(Reader(actor, delegation_reaches(ended), [ended]), spec.name,
                                                entity_id)
    # not theirs (any more): named by the step only, not by an internal number nor by what it holds
    summary = spec.summary(entity) if visible else {"code": str(step.label) if step else "", "type": "", "name": ""}
    if not step.row_form:  # its form needs the item's own page (ticked documents, an upload), or no form
        error = NotAllowed(_("\"%(step)s\" is done on the item's own page.", step=step.label), code="row")
        audit.refused(f"{spec.name}.{trigger}", error=error, actor=actor, subject_type=spec.name,
                      subject_id=entity_id)
        return Outcome(summary, str(step.label), False, str(error.message), error.status)
    if bulk and not step.bulk:
        error = NotAllowed(_("\"%(step)s\" cannot be done for many items at once.", step=step.label),
                           code="bulk")
        audit.refused(f"{spec.name}.{trigger}", error=error, actor=actor, subject_type=spec.name,
                      subject_id=entity_id)
        return Outcome(summary, str(step.label), False, str(error.message), error.status)
    try:
        # a forged item, or one taken by someone else's role: the log keeps the words the user reads (a revoked
        # stand-in's refusal says so itself)
        fire(entity, trigger, actor, expected_version=version, comment=comment, password=password,
             reauthenticated=reauthenticated, role_refusal=None if visible else str(NOT_YOURS))
    except Refused as refusal:
        db.session.rollback()
        if isinstance(refusal, Conflict):
            summary = spec.summary(db.session.get(spec.model, entity_id))
        message = refusal_text(refusal, comment, form_kept=False)  # the list comes back with empty rows
        if bulk and isinstance(refusal, Conflict):  # a line of the batch's outcomes: no page of it is shown
            message = str(refusal.fact)
        return Outcome(summary, str(step.label), False, message, refusal.status)
    # what was done in the words of the log ("Anda mengembalikan dokumen untuk perbaikan"), not the button's
    did = vocabulary.action_label(f"{spec.name}.{trigger}")
    label = _("You %(did)s", did=did) if did != f"{spec.name}.{trigger}" else str(step.label)
    # e.g. the Camat approved as the direct supervisor, and the enrolment now awaits his endorsement
    return Outcome(summary, label, True, waits_again=_awaits(actor, spec.name, entity_id),
                   state=str(spec.state_label(getattr(entity, spec.state_attr), entity)),
                   did=did if did != f"{spec.name}.{trigger}" else str(step.label))


def awaits(user, entity_id: int, spec_name: str, stand_in: bool = False) -> bool:
    """Whether any step of this row still awaits `user` (with `stand_in`, as Plh/Plt: a Plh's signed letter
    waits for the hand-over, his own Kasi's step, and his list of letters to sign goes on)."""
    return _awaits(as_stand_in(reader(user)) if stand_in else user, spec_name, entity_id)


def next_after(user, spec_name: str, entity_id: int, stand_in: bool = False) -> Row | None:
    """The first row still awaiting `user` other than the one just handled: the item that opens next (with
    `stand_in`, of what waits for them as Plh/Plt)."""
    groups, _delegations, _waiting_as = inbox_page(user, stand_in=stand_in)
    for group in groups:
        for row in group.rows:
            # a row whose every step is kept from them (four eyes: a letter they prepared) is not what they
            # do next: it opened on a page saying only why not
            if (group.spec.name, row.entity.id) != (spec_name, entity_id) and \
                    any(not action.blocked for action in row.actions):
                return row
    return None

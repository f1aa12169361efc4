"""Audit events as sentences people read: "Nama (Camat) menandatangani · 29 Nov 2026 17.06 WIB".

One renderer for every page that shows audit events (an object's history, the HR audit list). It
knows no area: the words for actions, fields, values and objects are what the areas registered in
`vocabulary` (the shared parts' own, such as signing in and accounts, in `shared_wording`). State names
come from the workflow specs. Everything a page of events needs is looked up in a fixed number of
statements, whatever the number of events: one for the people named (actors, principals, ids in changes,
accounts shown), one for the delegations (only when an event was done as Plh or Plt), one per other kind
of subject shown.
"""
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from ..i18n import date_text, month_text, wib_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..timeutil import to_wib
from .refusal_words import form_place, refused_page, without_screen_words
from .seal import altered
from .shared_wording import user_names  # also registers the words of the shared parts (sign-in, accounts)
from .vocabulary import (
    _FINGERPRINTS,
    _FORMATS,
    _HIDDEN_FIELDS,
    _NAMED_FIELDS,
    _SUBJECTS,
    _TOTALS,
    _USER_FIELDS,
    action_label,
    field_label,
    field_rank,
    kind_label,
    mask_nik,
    value_labels,
)

_MASKED = {"nik"}
# "[code] " of a refusal's comment; "[input:code] " when it was only about what was sent (record.refused)
_REFUSAL_CODE = re.compile(r"^\[(input:)?[a-z_]+\]\s*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass
class Change:
    label: str
    before: str
    after: str
    name: str = ""  # the field, as stored


@dataclass
class Sentence:
    event: object
    text: str  # "Nama (Camat) sebagai Plh. Camat menandatangani"
    when: str  # "29 Nov 2026 17.06 WIB"
    refused: bool = False
    quiet: bool = False  # refused only for what was sent (a reason too short, a stale page): no alarm
    reason: str | None = None  # why a refused step was refused
    state_from: str | None = None
    state_to: str | None = None
    changes: list = field(default_factory=list)
    comment: str | None = None
    subject: str | None = None  # the object by its human name (only when asked for)
    href: str | None = None  # where a page links the object, when it does (its timeline on /audit/)
    who: str = ""  # who acted, as the sentence names them (with a Plh/Plt's office)
    nip: str = ""  # the acting person's NIP, for a spreadsheet that proves who did what
    basis: str = ""  # for an act as Plh/Plt: for whom and by which surat perintah
    altered: bool = False  # its content no longer matches its hash: changed in the database (seal.py)

    def __str__(self):
        return f"{self.text} · {self.when}"


def _when(iso: str) -> str:
    return wib_text(iso)


class _Clock:
    """_when() for many events: the locale's month abbreviations looked up once per page, not per row
    (the same text as format_datetime's "d MMM yyyy HH.mm")."""

    def __init__(self):
        from babel.dates import get_month_names
        from flask_babel import get_locale
        self.months = get_month_names("abbreviated", locale=get_locale() or "id")

    def __call__(self, iso: str) -> str:
        moment = to_wib(datetime.fromisoformat(iso))
        return f"{moment.day} {self.months[moment.month]} {moment.year} {moment.hour:02d}.{moment.minute:02d} WIB"


def _state_labels() -> dict:
    from flask_babel import get_locale

    from ..workflow.engine import all_specs  # the engine imports audit; import it only when rendering
    specs = all_specs()
    # the same for every page in one language (and as long as the same specs are registered)
    key = (str(get_locale()), tuple(spec.name for spec in specs))
    labels = _STATE_LABELS.get(key)
    if labels is None:
        labels = _STATE_LABELS[key] = {spec.name: {s.name: str(s.label) for s in spec.states} for spec in specs}
        # a step that sends a row back names the state it arrives in its own way (Step.arrives_as)
        labels.update({f"{spec.name}.{step.trigger}": str(step.arrives_as)
                       for spec in specs for step in spec.steps if step.arrives_as})
        # the states some step arrives in under its own name: where the step before matters
        labels["arriving"] = {(spec.name, step.dest) for spec in specs for step in spec.steps if step.arrives_as}
    return labels


_STATE_LABELS: dict[tuple, dict] = {}


def _arrivals(events, states: dict) -> dict:
    """seq -> how the state an event left reads, where the step before it on the same record named it in
    its own way (Step.arrives_as: "Dikembalikan" rather than the state's first meaning). The step before is
    looked for among `events`, and, for a record whose earlier steps the page leaves out (a search of what one
    person did), read in one more statement: a report sent again after HR returned it read "from approved"."""
    steps = [e for e in events if e.to_state and e.outcome == "ok"]
    shown = {e.seq for e in steps}
    unsure = {(e.subject_type, e.subject_id) for e in steps if (e.subject_type, e.from_state) in states["arriving"]}
    earlier = _earlier_steps(unsure, max(shown)) if unsure else []
    last, found = {}, {}
    for e in sorted([*steps, *earlier], key=lambda event: event.seq):
        key = (e.subject_type, e.subject_id)
        before = last.get(key)
        if e.seq in shown and before is not None and before[0] == e.from_state and before[1]:
            found[e.seq] = before[1]
        last[key] = (e.to_state, states.get(e.action))
    return found


def _earlier_steps(records, before_seq: int) -> list:
    """The steps taken on `records` ((subject type, id) pairs) up to `before_seq`, as light rows: one statement."""
    from sqlalchemy import and_, or_

    from ..extensions import db
    from .models import AuditEvent
    return db.session.execute(select(
        AuditEvent.seq, AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.from_state, AuditEvent.to_state,
        AuditEvent.action).where(
        or_(*(and_(AuditEvent.subject_type == kind, AuditEvent.subject_id == ident) for kind, ident in records)),
        AuditEvent.outcome == "ok", AuditEvent.to_state.is_not(None), AuditEvent.seq < before_seq)).all()


@functools.cache
def _names_statement():
    # built once: every page of the log names its people
    from ..accounts.models import User
    return select(User.id, User.full_name, User.position, User.nip).where(
        User.id.in_(bindparam("ids", expanding=True)))


def _people(events, also=(), changes=None) -> tuple[dict, dict]:
    """The users named by these events (and the user ids in `also`), and the delegation kind (plh/plt)
    behind each acting-for. `changes`: each event's changes_dict, when already read."""
    from ..accounts.models import Delegation
    from ..extensions import db
    ids = set(also)
    for e, changed in zip(events, changes or [e.changes_dict for e in events], strict=True):
        ids.update(i for i in (e.actor_id, e.acting_for_id) if i)
        for name, pair in changed.items():
            if name in _USER_FIELDS:
                ids.update(int(v) for v in pair
                           if isinstance(v, int) or (isinstance(v, str) and v.isascii() and v.isdigit()))
    # one statement for the people, one more only when an event was done for someone (Plh/Plt)
    users = {u.id: u for u in db.session.execute(_names_statement(), {"ids": sorted(ids)})}
    pairs = {(e.actor_id, e.acting_for_id) for e in events if e.acting_for_id and e.actor_id}
    kinds = {}
    if pairs:
        rows = db.session.scalars(select(Delegation).where(
            Delegation.delegate_id.in_({a for a, _p in pairs}),
            Delegation.principal_id.in_({p for _a, p in pairs})))
        for d in rows:
            kinds.setdefault((d.delegate_id, d.principal_id), []).append(d)
        _appointed_and_ended([d for found in kinds.values() for d in found])
    return users, kinds


def _appointed_and_ended(delegations) -> None:
    """Each delegation's place in the chain: the seq of its appointment and of its revocation (None while in
    force), one statement. An act is done under the appointment in force at its seq, not another of the same
    days (a Plh revoked that morning, a Plt appointed after)."""
    from ..extensions import db
    from .models import AuditEvent
    if not delegations:
        return
    seqs = {(int(subject), action): seq for subject, action, seq in db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.action, func.min(AuditEvent.seq)).where(
            AuditEvent.subject_type == "delegation", AuditEvent.outcome == "ok",
            AuditEvent.action.in_(("delegation.create", "delegation.revoke")),
            AuditEvent.subject_id.in_([str(d.id) for d in delegations]))
        .group_by(AuditEvent.subject_id, AuditEvent.action))}
    for d in delegations:
        d.appointed_seq = seqs.get((d.id, "delegation.create"))
        d.ended_seq = seqs.get((d.id, "delegation.revoke"))


def _delegation_in_force(event, kinds):
    day = to_wib(datetime.fromisoformat(event.occurred_at)).date()
    covering = [d for d in kinds.get((event.actor_id, event.acting_for_id), ()) if d.starts_on <= day <= d.ends_on]
    # revoked with no event of it (a row written by hand): when is unknown, so never preferred
    in_force = [d for d in covering
                if (getattr(d, "appointed_seq", None) or 0) < event.seq
                and (d.ended_seq > event.seq if getattr(d, "ended_seq", None) is not None else not d.revoked)]
    return max(in_force or covering, key=lambda d: d.id, default=None)


def _acted_as(event) -> dict:
    raw = getattr(event, "actor_as", "")
    return json.loads(raw) if raw else {}


def _delegation_kind(event, kinds) -> str:
    d = _delegation_in_force(event, kinds)
    return d.kind.capitalize() if d is not None else "Plh"


def _basis(event, users, kinds) -> str:
    """On what authority a Plh/Plt acted: for whom, and the surat perintah (HR's proof of the act)."""
    d = _delegation_in_force(event, kinds)
    principal = users.get(event.acting_for_id)
    whom = _acted_as(event).get("for_name") or (principal.full_name if principal else "?")
    if d is None:
        return _("Plh for %(whom)s", whom=whom)
    if d.order_number:
        return _("%(kind)s for %(whom)s, surat perintah %(number)s of %(date)s", kind=d.kind.capitalize(),
                 whom=whom, number=d.order_number, date=date_text(d.order_date) if d.order_date else "?")
    return _("%(kind)s for %(whom)s", kind=d.kind.capitalize(), whom=whom)


def _who(event, users, kinds, memo: dict | None = None) -> str:
    # the same actor (and principal) reads the same on every row of a page: built once (memo)
    key = (event.actor_id, event.actor_name, event.acting_for_id, getattr(event, "actor_as", ""),
           _delegation_kind(event, kinds) if event.acting_for_id else None)
    if memo is not None and key in memo:
        return memo[key]
    # as they were when they acted (kept in the event since migration 0034), else as the account is now
    was = _acted_as(event)
    actor = users.get(event.actor_id)
    if event.actor_id is None and event.actor_name and event.action.startswith("auth."):
        # a username typed at the sign-in form, not a person: "Galuh Mardhiyah (Camat Plaju)" read as the Camat
        name = _("someone who typed the username “%(name)s”", name=event.actor_name)
        if memo is not None:
            memo[key] = name
        return name
    name = was.get("name") or (actor.full_name if actor else str(_SYSTEM.get(event.actor_name, event.actor_name)))
    position = was.get("position") if was else (actor.position if actor is not None else "")
    if position:
        name = _("%(name)s (%(position)s)", name=name, position=position)
    if event.acting_for_id:
        principal = users.get(event.acting_for_id)
        title = (was.get("for_position") or was.get("for_name")) if "for_name" in was else \
            ((principal.position or principal.full_name) if principal else "?")
        name = _("%(who)s as %(kind)s. %(title)s", who=name, kind=key[4], title=title)
    if memo is not None:
        memo[key] = name
    return name


# the names the app itself acts under where no person did (record.py, the create-user command of cli.py, the
# demo data of accounts/demo.py): stored as they are in events already chained, so named here when read
_SYSTEM = {None: _l("The system"), "": _l("The system"), "system": _l("The system"),
           "cli": _l("The system (server admin command)"), "seed-demo": _l("The system (installation)")}


def _unnamed(kind: str | None, ident: str | None) -> str:
    """An object its area gives no name: its kind in words and its number ("Plh/Plt #3"); an id that is a
    word (the page of a report: "kompetensi") follows its kind as a word."""
    if not ident:
        return kind_label(kind)
    if ident.replace("_", "").isalpha():
        return f"{kind_label(kind)} {ident.replace('_', ' ')}"
    return f"{kind_label(kind)} #{ident}"


def _value(name, value, users, when=_when, named=None, labels=None, whole=False) -> str:
    """A field's value in words; `labels` are its coded values' names (value_labels); `whole` keeps a
    file's fingerprint whole (an export) instead of its first 16 characters."""
    if value == "" and labels and "" in labels:  # an empty set that has a name (no role: an ordinary ASN)
        return str(labels[""])
    if value is None or value == "" or value == []:
        return "—"
    if name in _MASKED:
        return mask_nik(value)
    if name in _FINGERPRINTS:
        return str(value) if whole or len(str(value)) <= 16 else f"{str(value)[:16]}…"
    if name in _FORMATS:
        return _FORMATS[name](value)
    if named and name in named:
        return named[name].get(str(value), str(value))
    if name in _USER_FIELDS:
        user = users.get(int(value)) if (str(value).isascii() and str(value).isdigit()) else None
        return user.full_name if user else str(value)
    if labels and isinstance(value, str):
        if value in labels:
            return str(labels[value])
        if "," in value:  # a set of codes, stored comma-separated (a person's roles)
            return ", ".join(str(labels.get(code, code)) for code in value.split(","))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return when(value)
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):  # a date field: "30 November 2026"
        try:
            return date_text(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_MONTH.fullmatch(value):  # a month field: "November 2026"
        return month_text(value)
    return str(value)


def _named_values(changes) -> dict[str, dict]:
    """The names behind the id-valued fields these changes touch: one lookup per field shown."""
    ids: dict[str, set] = {}
    for changed in changes:
        for name in changed.keys() & _NAMED_FIELDS.keys():
            pair = changed[name]
            ids.setdefault(name, set()).update(str(v) for v in (pair if isinstance(pair, list) else [pair])
                                               if v not in (None, ""))
    return {name: _NAMED_FIELDS[name](sorted(found)) for name, found in ids.items() if found}


def render(events, *, subjects: bool = False, whole: bool = False, hide_numbers: bool = False) -> list[Sentence]:
    """One sentence per event, in the order given. `subjects` also names each event's object; `whole`
    writes values in full where a screen shortens them (an export: file fingerprints); `hide_numbers` hides
    a NIK or phone number typed into free text (a reason, an answer) from a reader who may not see one."""
    events = list(events)
    if not events:
        return []
    names, loaders, subject_users = {}, {}, set()
    if subjects:
        # each lookup the page's objects need runs once (one statement per kind shown, whatever the
        # number of events); accounts are named by the people's statement below
        for e in events:
            loader = _SUBJECTS.get(e.subject_type)
            if loader is None or not e.subject_id:
                continue
            if loader is user_names and e.subject_id.isascii() and e.subject_id.isdigit():
                subject_users.add(int(e.subject_id))
            elif loader is not user_names:
                loaders.setdefault(loader, set()).add(e.subject_id)
    changes = [e.changes_dict for e in events]  # each event's JSON read once
    users, kinds = _people(events, subject_users, changes)
    if subjects:
        found = {loader: loader(sorted(ids)) for loader, ids in loaders.items()}
        found[user_names] = {str(i): users[i].full_name for i in subject_users if i in users}
        names = {kind: found.get(loader, {}) for kind, loader in _SUBJECTS.items()}
    named = _named_values(changes)
    states = _state_labels()
    came_as = _arrivals(events, states)
    changed_here = altered(events)  # each row's own seal computed again, from what was read: no statement
    # what every row of the page shares, translated and looked up once per page
    said, refused_said = _("%(who)s %(what)s"), _("%(who)s was refused: %(what)s")
    not_yet_said = _("%(who)s tried to %(what)s; not done")
    verbs, field_labels, people, when, pages = {}, {}, {}, _Clock(), {}
    lines = []
    for e, changed in zip(events, changes, strict=True):
        who = _who(e, users, kinds, people)
        verb = verbs.get(e.action)
        if verb is None:
            verb = verbs[e.action] = action_label(e.action)
        refused = e.outcome == "refused"
        code = _REFUSAL_CODE.match(e.comment or "") if refused else None
        quiet = bool(code and code.group(1))
        reason = (e.comment or "")[code.end() if code else 0:] or None if refused else None
        what = verb
        if e.action.startswith("access.forbidden") and reason:  # its comment is the page, not what they were told
            # the object (a request, a person) names what it was about; else the part of the intranet
            path, _sep, told = reason.partition(" · ")  # what the refused page said instead, when it did
            page = (e.action, path, e.subject_type)
            if page not in pages:
                pages[page] = refused_page(e.action, path, verb, named_object=bool(e.subject_type),
                                           subject_type=e.subject_type)
            what, reason = pages[page], told or None
        elif reason:  # told to one person's screen ("your page now shows ..."): not repeated to every reader
            reason = without_screen_words(reason)
            if e.action == "input.refused":  # the form's place by its menu name, not its path
                reason = form_place(reason)
        text = (not_yet_said if quiet else refused_said if refused else said) % {"who": who, "what": what}
        labels = states.get(e.subject_type, {})
        actor = users.get(e.actor_id)
        line = Sentence(event=e, text=text, when=when(e.occurred_at), refused=refused, quiet=quiet, reason=reason,
                        comment=None if refused else e.comment, who=who,
                        nip=(actor.nip or "") if actor is not None else "",
                        basis=_basis(e, users, kinds) if e.acting_for_id else "", altered=e.seq in changed_here)
        if e.to_state and e.from_state != e.to_state:
            line.state_from = (came_as.get(e.seq) or labels.get(e.from_state, e.from_state)) if e.from_state else None
            line.state_to = states.get(e.action) or labels.get(e.to_state, e.to_state)
        for name, pair in sorted(changed.items(), key=lambda item: field_rank(e.subject_type, item[0])):
            if name in _HIDDEN_FIELDS:
                continue
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if name in _TOTALS:
                before = None
            known = field_labels.get((e.subject_type, e.action, name))
            if known is None:
                known = field_labels[e.subject_type, e.action, name] = (field_label(e.subject_type, name, e.action),
                                                                        value_labels(e.subject_type, name))
            label, values = known
            line.changes.append(Change(label, _value(name, before, users, when, named, values, whole),
                                       _value(name, after, users, when, named, values, whole), name))
        if subjects and e.subject_type:
            line.subject = names.get(e.subject_type, {}).get(e.subject_id) or _unnamed(e.subject_type, e.subject_id)
        if hide_numbers:
            _hide_numbers(line)
        lines.append(line)
    return lines


# what people type in their own words, where a NIK may turn up: only these are hidden, never a NIP, a
# letter's number or a file's fingerprint (a hex fingerprint often holds ten digits in a row)
FREE_TEXT_FIELDS = frozenset({"answer", "body", "note", "purpose", "address", "reason"})


def _hide_numbers(line: Sentence) -> None:
    from ..inputs import hide_id_numbers
    line.reason = line.reason and hide_id_numbers(line.reason)
    line.comment = line.comment and hide_id_numbers(line.comment)
    for change in line.changes:
        if change.name in FREE_TEXT_FIELDS:
            change.before = hide_id_numbers(change.before) if isinstance(change.before, str) else change.before
            change.after = hide_id_numbers(change.after) if isinstance(change.after, str) else change.after

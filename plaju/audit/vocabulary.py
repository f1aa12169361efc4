"""What the audit log's words are made of: each area registers here what its actions say
(`describe_actions`), what its fields and coded values are called (`describe_fields`,
`describe_values`, `describe_format`, `describe_total`), how its objects are named and found (`describe_subjects`,
`describe_search`, `describe_people_objects`) and which actions read personal data. It knows no area;
`sentences` renders events with it, /audit/ builds its choices and searches from it.
"""
import functools
from collections.abc import Callable, Iterable

from markupsafe import Markup

from ..i18n import gettext as _
from ..inputs import mask_nik  # noqa: F401  (sentences and searches mask with it)

_ACTIONS: dict[str, object] = {}
_FIELDS: dict[str, object] = {}
_USER_FIELDS: set[str] = set()
_NAMED_FIELDS: dict[str, Callable] = {}
_VALUES: dict[str, dict] = {}
_FORMATS: dict[str, Callable] = {}
_FINGERPRINTS: set[str] = set()
_HIDDEN_FIELDS: set[str] = set()
# what one kind of object calls a field or a coded value, where it differs from the shared one
_SUBJECT_FIELDS: dict[str, dict] = {}
# what one action's events call a field, where its object's kind says it otherwise (a person's position in
# training beside the account's own, both on the account)
_ACTION_FIELDS: dict[str, dict] = {}
# running totals (working time used so far): the log reads their value after the step, not "0 → total"
_TOTALS: set[str] = set()
_FIELD_ORDER: dict[str, dict[str, int]] = {}
_SUBJECT_VALUES: dict[str, dict[str, dict]] = {}
_SUBJECTS: dict[str, Callable] = {}
_NUMBER_LABELS: dict[str, object] = {}
_KINDS: dict[str, object] = {}
_FINDERS: dict[str, list[Callable]] = {"code": [], "nik": []}
_PEOPLE_OBJECTS: list[Callable] = []
_PARTS: dict[str, list[Callable]] = {}
_WHOLE: dict[str, str] = {}
_DATA_ACCESS: set[str] = set()
_URL_ARGS: dict[str, str] = {}  # URL argument -> the kind of object it names
# (kind argument, id argument, kind in the URL -> kind in the log): URLs that name the kind as well as the id
_URL_PAIRS: list[tuple[str, str, Callable]] = []


def describe_actions(verbs: dict) -> None:
    """{"document.sign": _l("signed"), ...}: what the actor did, as the predicate of a sentence."""
    _ACTIONS.update(verbs)


def describe_fields(labels: dict, users: Iterable[str] = (), named: dict | None = None, *,
                    subject_type: str | None = None, action: str | None = None) -> None:
    """Labels of the fields in `changes`; `users` names the fields whose values are user ids; `named`
    maps a field whose values are ids of other rows to names(ids) -> {id: "name"}, one query for a page.
    With `subject_type` the labels hold for that kind of object only ("training_course": the labels of
    the course's form), ahead of the shared labels every area gives a field name ("active", "kind").
    With `action` they hold for that action's events only, ahead of both."""
    if action:
        _ACTION_FIELDS.setdefault(action, {}).update(labels)
    elif subject_type:
        _SUBJECT_FIELDS.setdefault(subject_type, {}).update(labels)
    else:
        _FIELDS.update(labels)
    _USER_FIELDS.update(users)
    _NAMED_FIELDS.update(named or {})


def describe_values(field_name: str, labels: dict, *, subject_type: str | None = None) -> None:
    """Labels of a field's coded values ({"complaint": _l("Complaint"), ...}), so a change reads in words.
    With `subject_type` they hold for that kind of object only: "kind" is a complaint's kind on a
    complaint and a delegation's on a delegation."""
    if subject_type:
        _SUBJECT_VALUES.setdefault(subject_type, {}).setdefault(field_name, {}).update(labels)
    else:
        _VALUES.setdefault(field_name, {}).update(labels)


def describe_format(field_name: str, write: Callable) -> None:
    """write(value) -> words, for a field whose value is more than a code: a record of several parts
    (who collected a document), a duration in minutes. Any value the field ever held must be accepted."""
    _FORMATS[field_name] = write


def describe_total(*field_names: str) -> None:
    """Fields that hold a running total (the working time used so far): a change reads as the total after
    the step, since "0 minutes → 4 hours" reads as if the step alone took it all."""
    _TOTALS.update(field_names)


def describe_hidden(*field_names: str) -> None:
    """Fields an event keeps for the machine (a row's id beside its number): the sentences leave them out."""
    _HIDDEN_FIELDS.update(field_names)


def describe_fingerprint(field_name: str) -> None:
    """A file's SHA-256: its first 16 characters on screen (enough to tell files apart), whole in an export,
    where HR matches it against the file itself."""
    _FINGERPRINTS.add(field_name)


def field_label(subject_type: str | None, name: str, action: str | None = None) -> str:
    """What the log calls a field of this kind of object (in this action's events)."""
    return str(_ACTION_FIELDS.get(action, {}).get(name) or _SUBJECT_FIELDS.get(subject_type, {}).get(name)
               or _FIELDS.get(name, name))


def describe_field_order(subject_type: str, names: Iterable[str]) -> None:
    """The order a kind of object's changes read in, as on its form (the log stores them sorted by name:
    "Pejabat pengganti, Sampai, Jenis, ..." for an appointment). Fields not named follow, by name."""
    _FIELD_ORDER[subject_type] = {name: i for i, name in enumerate(names)}


def field_rank(subject_type: str | None, name: str) -> int:
    return _FIELD_ORDER.get(subject_type, {}).get(name, len(_FIELD_ORDER.get(subject_type, ())))


def value_labels(subject_type: str | None, name: str) -> dict | None:
    return _SUBJECT_VALUES.get(subject_type, {}).get(name) or _VALUES.get(name)


def describe_subjects(subject_type: str, names: Callable, url_arg: str | None = None) -> None:
    """names(ids: list[str]) -> {id: "human name"}, in ONE query for all ids of this kind. `url_arg`: the
    argument that names one in the area's URLs (request_id), so a refused page names what it was about."""
    _SUBJECTS[subject_type] = names
    if url_arg:
        _URL_ARGS[url_arg] = subject_type


def subject_name(subject_type: str, subject_id) -> str | None:
    """One object's name, as the log's sentences give it (None when its kind has no names or it is gone)."""
    names = _SUBJECTS.get(subject_type)
    return names([str(subject_id)]).get(str(subject_id)) if names else None


def describe_url_subjects(kind_arg: str, id_arg: str, log_kind: Callable = str) -> None:
    """URLs naming an object by two arguments, its kind and its id ("/letters/draft/document/7.pdf"):
    `log_kind(kind)` is the kind the log calls it by."""
    _URL_PAIRS.append((kind_arg, id_arg, log_kind))


def subject_of_url(view_args: dict | None) -> tuple[str | None, str | None]:
    """(subject_type, subject_id) of the object a URL names by its arguments, or (None, None). A kind typed
    into a URL that the log does not know names nothing (no made-up object in the log)."""
    args = view_args or {}
    for arg, value in args.items():
        if arg in _URL_ARGS:
            return _URL_ARGS[arg], str(value)
    for kind_arg, id_arg, log_kind in _URL_PAIRS:
        if kind_arg in args and str(args.get(id_arg, "")).isdigit():
            kind = log_kind(str(args[kind_arg]))
            if kind in _SUBJECTS:
                return kind, str(args[id_arg])
    return None, None


def describe_subjects_by(subject_type: str, column) -> None:
    """The common case of describe_subjects: the object is named by one column of its row
    (`DocumentType.name`), read for all ids in one statement."""
    def names(ids) -> dict:
        from sqlalchemy import select

        from ..extensions import db
        model = column.class_
        numbers = [int(i) for i in ids if str(i).isascii() and str(i).isdigit()]
        rows = db.session.execute(select(model.id, column).where(model.id.in_(numbers)))
        return {str(ident): str(name) for ident, name in rows}
    describe_subjects(subject_type, names)


def describe_kind(prefix: str, label) -> None:
    """What the actions "<prefix>.*" are about, for the "kind of action" choice of /audit/."""
    _KINDS[prefix] = label


def describe_search(key: str, find: Callable) -> None:
    """How /audit/ finds the objects behind a search term, in one query each:
    "code": find(tracking_code) and "nik": find(nik) -> [(subject_type, subject_id), ...]."""
    _FINDERS[key].append(find)


def describe_parts(subject_type: str, parts: Callable, same_id: str | None = None) -> None:
    """What else belongs to the complete history of an object of `subject_type`: parts(ids) -> the
    (subject_type, subject_id) of the objects whose events are part of it (a request's scans, its letters,
    the complaints about it), in one statement. `same_id`: a kind of part carrying its whole's id (a
    request's scans, "document_file"), whose events link the whole's history."""
    _PARTS.setdefault(subject_type, []).append(parts)
    if same_id:
        _WHOLE[same_id] = subject_type


def as_numbers(ids) -> list[int]:
    """The ids that are numbers (ASCII digits: "²" is a digit to Python, not to the database)."""
    return [int(i) for i in ids if str(i).isascii() and str(i).isdigit()]


def with_parts(objects) -> list[tuple[str, str]]:
    """`objects` and the parts of their histories (describe_parts)."""
    found = list(objects)
    kinds: dict[str, list[str]] = {}
    for kind, ident in objects:
        kinds.setdefault(kind, []).append(str(ident))
    for kind, idents in kinds.items():
        for parts in _PARTS.get(kind, ()):
            found.extend((part, str(i)) for part, i in parts(idents))
    return found


def whole_of(subject_type: str) -> str:
    """The kind whose history an event about `subject_type` belongs to, by the same id."""
    return _WHOLE.get(subject_type, subject_type)


def describe_people_objects(objects: Callable) -> None:
    """How /audit/ finds the objects about the people HR searches for (their enrolments, ...):
    objects(ids) -> a SELECT of (subject_type, subject_id) rows, `ids` being a SELECT of user ids. Every
    area's SELECT is part of the one statement that finds the people (search._people_statement)."""
    _PEOPLE_OBJECTS.append(objects)


def people_objects(ids) -> list:
    return [objects(ids) for objects in _PEOPLE_OBJECTS]


def describe_number(subject_type: str, label) -> None:
    """What a number of this kind typed into the log's code box is called ("certificate number")."""
    _NUMBER_LABELS[subject_type] = label


def number_label(kinds: set[str]) -> str:
    """What the number typed was, by the kinds of record it found: the one kind that names its number (a
    tracking code finds its request and what hangs on it, complaints say), else "code or number"."""
    named = [_NUMBER_LABELS[kind] for kind in kinds if kind in _NUMBER_LABELS]
    return str(named[0]) if len(named) == 1 else _("code or number")


def find_subjects(key: str, term) -> list[tuple[str, str]]:
    found = []
    for find in _FINDERS[key]:
        found.extend((kind, str(ident)) for kind, ident in find(term))
    return found


def describe_data_access(*actions: str) -> None:
    """Actions that read personal data or the log itself (a full NIK, a scan, an export, a refused page)."""
    _DATA_ACCESS.update(actions)


def data_access_actions() -> set[str]:
    return set(_DATA_ACCESS)


def action_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(kind label, [("kind.*", "All: kind"), (action, label), ...]), ...] for the "kind of action"
    choice, sorted by label."""
    from flask_babel import get_locale
    return _action_groups(str(get_locale()), len(_ACTIONS), len(_KINDS))


@functools.lru_cache(maxsize=8)
def _action_groups(_locale: str, _actions: int, _kinds: int) -> list:
    # the same for every page in one language (and as long as nothing registers more actions)
    groups: dict[str, list] = {}
    for action in _ACTIONS:
        groups.setdefault(action.partition(".")[0], []).append((action, action_label(action)))
    # each kind opens with "all of it" (prefix.*), which the search reads along each action's index
    return sorted(((str(_KINDS.get(prefix, prefix)),
                    [(f"{prefix}.*", _("All: %(kind)s", kind=_KINDS.get(prefix, prefix)))]
                    + sorted(items, key=lambda i: i[1].lower()))
                   for prefix, items in groups.items()), key=lambda g: g[0].lower())


def action_options(selected: str) -> Markup:
    """The <optgroup>s of the "kind of action" choice with `selected` chosen, as /audit/ draws them:
    drawn once per language and choice, not option by option on every page."""
    from flask_babel import get_locale
    return _action_options(str(get_locale()), selected, len(_ACTIONS), len(_KINDS))


@functools.lru_cache(maxsize=64)
def _action_options(locale: str, selected: str, actions: int, kinds: int) -> Markup:
    parts = []
    for label, items in _action_groups(locale, actions, kinds):
        parts.append(Markup('<optgroup label="{}">\n        ').format(label))
        parts.extend(Markup('<option value="{}" {}>{}</option>').format(
            value, Markup("selected") if value == selected else "", text) for value, text in items)
        parts.append(Markup("\n      </optgroup>"))
    return Markup("").join(parts)




def action_label(action: str) -> str:
    verb = _ACTIONS.get(action)
    return str(verb) if verb is not None else action


def known_actions() -> set[str]:
    return set(_ACTIONS)


def kind_label(prefix: str) -> str:
    """What a kind of object is called ("Plh/Plt"), or its code where no area named it."""
    return str(_KINDS.get(prefix, prefix))


def known_kinds() -> set[str]:
    """The prefixes ("document", "enrolment") that have a name in /audit/'s choice of actions."""
    return set(_KINDS)

"""The intake form's part that depends on the document type: what it shows, and what it keeps when the clerk
switches types.

Only the shown type's fields are on the page. Everything typed rides along in hidden "kept.<whose>.<field>"
inputs, so switching to another type and back shows it again, and a value only ever returns to the field it
was typed in: the applicant's fields (purpose, place of birth, address, married) serve every type that asks
for them; the subject's fields are kept per subject kind (a baby's name never becomes the name of the person
an SKTM is for); a ticked requirement ticks only its own type's box. All on the server: the type select's
htmx posts the whole form, and the page without JavaScript does the same with "Show the requirements"."""
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from ..timeutil import today_wib
from . import subjects

KEPT = "kept."
SHOWN_TYPE = "shown_type"  # the type whose fields the form showed when it was sent ("" for none)
APPLICANT_TEXT = ("purpose", "birth_place", "address")  # a shown text field is sent even when empty
MARRIED, MARRIED_SENT = "married", "married_sent"  # a checkbox: "_sent" tells it was shown, and unticked
REQUIREMENTS = "requirements"


@dataclass(frozen=True)
class Carried:
    fields: MultiDict  # the chosen type's fields as they are to show (and as the intake reads them)
    kept: list  # (name, value) of the hidden inputs carrying everything typed to the next switch
    ticked: set  # requirement ids


def _ids(values) -> set[int]:
    return {int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 10}


def _shown(posted, types, chosen):
    if SHOWN_TYPE not in posted:  # a form that does not say (a direct post) sent the chosen type's fields
        return chosen
    raw = posted.get(SHOWN_TYPE, "")
    return next((t for t in types if str(t.id) == raw), None)


def _kept_keys() -> set[str]:
    """What may be kept: nothing else a post invents is echoed back into the page."""
    return ({f"applicant.{name}" for name in (*APPLICANT_TEXT, MARRIED)} | {REQUIREMENTS}
            | {f"{kind}.{name}" for kind in subjects.KINDS if kind != "applicant" for name in subjects.FORM_FIELDS})


def carry(posted, types, chosen) -> Carried:
    """What the chosen type's fields show after the form `posted` (a MultiDict) was sent, and what stays kept."""
    allowed = _kept_keys()
    store = {key[len(KEPT):]: posted.getlist(key) for key in posted
             if key.startswith(KEPT) and key[len(KEPT):] in allowed}
    shown = _shown(posted, types, chosen)
    if shown is not None:  # what the shown fields say now replaces what was kept for them
        store.update({f"applicant.{name}": [posted.get(name)] for name in APPLICANT_TEXT if name in posted})
        if MARRIED_SENT in posted or MARRIED in posted:
            store[f"applicant.{MARRIED}"] = ["1"] if posted.get(MARRIED) else []
        if shown.subject_kind != "applicant":
            store.update({f"{shown.subject_kind}.{name}": posted.getlist(name) for name in subjects.FORM_FIELDS})
        own = {r.id for r in shown.requirements}  # an unticked box of the shown type is sent as nothing
        ticks = (_ids(store.get(REQUIREMENTS, [])) - own) | _ids(posted.getlist(REQUIREMENTS))
        store[REQUIREMENTS] = [str(i) for i in sorted(ticks)]
    fields = MultiDict()
    store = {key: values for key, values in store.items() if values}  # (a field's absence says something)
    for key, values in store.items():
        whose, _dot, name = key.partition(".")
        if whose == "applicant" or (chosen is not None and whose == chosen.subject_kind):
            fields.setlist(name, values)
    if posted.get("add_heir"):
        fields["add_heir"] = posted["add_heir"]
    mine = {r.id for r in chosen.requirements} if chosen is not None else set()
    return Carried(fields=fields, kept=[(KEPT + key, value) for key, values in store.items() for value in values],
                   ticked=_ids(store.get(REQUIREMENTS, [])) & mine)


# the intake form's fields in the order the page shows them: "go to the first one" leads to the top-most
INTAKE_ORDER = ("duplicate", "nik", "name", "phone", "email", "contact_consent", "kelurahan", "type_id",
                "requirements", "s_same", "s_nik", "s_name", "s_sex", "s_place", "s_date", "s_relation", "s_type",
                "heirs", "married", "purpose", "birth_place", "address", "attachments", "note")


def first_fault(fields) -> str | None:
    """The faulty field shown highest on the intake page (an heir's row, h_2, sits with the heirs)."""
    def place(name):
        key = "heirs" if name.startswith("h_") else name
        return (INTAKE_ORDER.index(key) if key in INTAKE_ORDER else len(INTAKE_ORDER), name)
    return min(fields, key=place, default=None)


HEIR_ROWS = 6  # shown at first; blank rows are ignored and "add a row" gives more, up to subjects.MAX_HEIRS


def heir_rows(posted) -> int:
    """As many rows as were sent (nothing typed is dropped), one more when the clerk asked for it."""
    rows = max(HEIR_ROWS, len(posted.getlist("h_name")))
    if posted.get("add_heir"):
        rows += 1
    return min(rows, subjects.MAX_HEIRS)


def subject_context(posted) -> dict:
    """The subject fields of the intake form (they appear for the chosen type) and what was typed."""
    rows = heir_rows(posted)
    return {"subject_choices": subjects.choices, "relations": subjects.RELATIONS, "parents": subjects.PARENTS,
            "sexes": subjects.SEXES, "kinds": subjects.KINDS, "posted": posted,
            "heir_rows": range(rows), "more_heirs": rows < subjects.MAX_HEIRS,
            "max_date": today_wib().isoformat()}

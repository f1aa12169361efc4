"""Whom a document is about, and the data its output needs.

Each document type has a `subject_kind` (data the admin edits): the applicant is not always the person
the document is about. A birth is the baby's, reported by a parent; an akta kematian is the deceased's;
a statement of heirs names the deceased and the heirs; an SKTM or a domisili letter is for a person who
may be the applicant himself. `validate()` is the one rule for these data: the intake service calls it
before anything is stored, and the letters and pages read what it returns.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from ..i18n import date_text
from ..i18n import lazy_gettext as _l
from ..inputs import person_name_fault, written_name
from .models import BIRTH_PLACE_MAX as PLACE_MAX
from .nik import InvalidNIK, mask_nik, validate_nik

# Perpres 96/2018 Pasal 33: a birth is reported within 60 days
BIRTH_REPORT_DAYS = 60
MAX_HEIRS = 12
NAME_MAX = 120


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    help: str


KINDS = {k.name: k for k in (
    Kind("applicant", _l("The applicant himself"), _l("The document is about the applicant; nothing more is asked.")),
    Kind("person", _l("A person, possibly the applicant"),
         _l("The letter names a person: the applicant himself, or a family member the applicant asks for.")),
    Kind("birth", _l("A newborn, reported by a parent"),
         _l("The baby's name, sex, place and date of birth; the applicant is the reporting parent.")),
    Kind("death", _l("A deceased person, reported by a relative"),
         _l("The deceased's NIK, name and date of death; the applicant is the reporting relative.")),
    Kind("inheritance", _l("A deceased person and the heirs"),
         _l("The deceased (the pewaris) and every heir with NIK and relation.")),
    Kind("business", _l("The applicant's business"),
         _l("The business the letter states: its name and its line of business; its place is the address.")),
    Kind("marriage", _l("A marriage: the future spouse, the day and the KUA"),
         _l("Whom the applicant marries (NIK and name), on which day, before which KUA: the dispensation names "
            "this marriage, not any.")),
)}


SEXES = {"L": _l("Male"), "P": _l("Female")}
PARENTS = {"ayah": _l("Father"), "ibu": _l("Mother")}
RELATIONS = {"suami": _l("Husband"), "istri": _l("Wife"),
             "anak": _l("Child"), "ayah": _l("Father"), "ibu": _l("Mother"), "saudara": _l("Sibling"),
             "cucu": _l("Grandchild"), "lainnya": _l("Other relative")}


# relations that name a sex, which the NIK also states (women add 40 to the day of birth): a correction
# turning a husband into a "wife" changes who inherits what, and the clerk's slip of the list shows here
MALE_RELATIONS, FEMALE_RELATIONS = frozenset({"suami", "ayah"}), frozenset({"istri", "ibu"})


def _is_female(nik: str) -> bool | None:
    """The sex a well-formed NIK states; None when it cannot be read (its own fault is told elsewhere)."""
    return int(nik[6:8]) > 40 if len(nik) == 16 and nik.isascii() and nik.isdigit() else None


def _sex_word(female: bool):
    return _l("a woman") if female else _l("a man")


def relation_sex_fault(relation: str, nik: str, who):
    """The message when `relation` names the other sex than the NIK of the person it describes, else None.
    `who` is how the message names that person ("the applicant", "heir 2")."""
    female = _is_female(nik or "")
    if female is None or not ((relation in MALE_RELATIONS and female) or (relation in FEMALE_RELATIONS and not female)):
        return None
    return _l("By the NIK %(who)s is %(sex)s, which does not fit \"%(relation)s\": check the relation or the NIK.",
              who=who, sex=_sex_word(female), relation=RELATIONS.get(relation, relation))


def spouse_fault(relation: str, other_nik: str, other):
    """The message when `relation` makes someone the husband or wife (suami, istri) of a person (`other`,
    as the message names them) whose NIK states the wrong sex for it, else None."""
    female = _is_female(other_nik or "")
    if relation not in ("suami", "istri") or female is None or female == (relation == "suami"):
        return None  # a husband's spouse is a woman, a wife's a man
    return _l("By the NIK %(who)s is %(sex)s, so the applicant cannot be their \"%(relation)s\".", who=other,
              sex=_sex_word(female), relation=RELATIONS[relation])


class SubjectRefused(ValueError):
    """The subject data cannot be accepted; `field` names the form field of the first fault, `faults` holds
    each faulty field's message (field -> message, in the form's order)."""

    def __init__(self, message, field, faults: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.faults = faults or {field: message}


class _Faults:
    """Every field checked at once, so the clerk learns all that is wrong with the baby's name, sex and
    date from one submission instead of one field per try."""

    def __init__(self):
        self.found: dict = {}

    def take(self, check, *args, **kwargs):
        """check(*args) or None when it refuses (its message kept for its field)."""
        try:
            return check(*args, **kwargs)
        except SubjectRefused as fault:
            self.add(fault.message, fault.field)
            return None

    def add(self, message, field) -> None:
        self.found.setdefault(field, message)  # a field says its first fault only

    def ok(self, *fields) -> bool:
        return not any(field in self.found for field in fields)

    def raise_any(self) -> None:
        if self.found:
            field, message = next(iter(self.found.items()))
            raise SubjectRefused(message, field, dict(self.found))


def choices(kind: str) -> dict:
    return {"relation": PARENTS if kind == "birth" else RELATIONS, "sex": SEXES}


def _text(raw, field, message, required=True, length_message=None, person=False) -> str:
    value = written_name(raw) if person else " ".join(str(raw or "").split())
    if not value:
        if required:
            raise SubjectRefused(message, field)
        return ""
    if len(value) < 2 or len(value) > NAME_MAX:
        raise SubjectRefused(length_message or _l("A name must be 2 to %(max)s characters long.", max=NAME_MAX),
                             field)
    fault = person_name_fault(value, digits=False) if person else None
    if fault:  # a Cyrillic "Аɡսѕ" read as "Agus" on the letter, and no typo rule could see its letters
        raise SubjectRefused(fault, field)
    return value


def place_fault(place: str) -> str | None:
    """A place of birth as the KTP writes it: a town or regency, no digits (a date copied along, "Palembang,
    04-03-2012", was printed as the place), at most PLACE_MAX characters."""
    if len(place) > PLACE_MAX:
        return str(_l("The place of birth may be at most %(max)s characters long.", max=PLACE_MAX))
    if any(c.isdigit() for c in place):
        return str(_l("A place of birth has no digits: enter the town or regency, as the KTP states it."))
    return None


def _place(raw, field, message, required=True) -> str:
    value = _text(raw, field, message, required=required,
                  length_message=_l("A place of birth must be 2 to %(max)s characters long.", max=PLACE_MAX))
    fault = place_fault(value) if value else None
    if fault:
        raise SubjectRefused(fault, field)
    return value


def _person(raw, field, message, **kwargs) -> str:
    """A person's name: Latin letters (with accents) and name marks, no digits (inputs.person_name_fault)."""
    return _text(raw, field, message, person=True, **kwargs)


def _date(raw, field, label, today) -> date:
    text = str(raw or "").strip()
    if not text:
        raise SubjectRefused(_l("Enter the %(what)s.", what=label), field)
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise SubjectRefused(_l("The %(what)s is not a valid date (use the date picker or YYYY-MM-DD).",
                                what=label), field) from None
    if value > today:
        raise SubjectRefused(_l("The %(what)s cannot be in the future.", what=label), field)
    if value.year < 1900:
        raise SubjectRefused(_l("The %(what)s is before 1900: check the year.", what=label), field)
    return value


def _nik(raw, field, today, required=True, empty=None):
    if not str(raw or "").strip():
        if not required:
            return None
        raise SubjectRefused(empty, field)
    try:
        return validate_nik(raw, today=today)
    except InvalidNIK as fault:
        raise SubjectRefused(str(fault), field) from None


def _choice(raw, field, options, message) -> str:
    value = str(raw or "").strip()
    if value not in options:
        raise SubjectRefused(message, field)
    return value


def validate(kind: str, raw: dict, applicant_nik: str, today: date | None = None,
             applicant_name: str = "") -> dict:
    """The subject data of a request of this kind, cleaned, or SubjectRefused naming every faulty field.

    `raw` holds the form's values: s_same, s_nik, s_name, s_sex, s_place, s_date, s_relation, s_type (a
    business's line) and, for heirs, lists h_name, h_nik, h_relation (blank rows are ignored). The people
    named must fit together: ages by their NIKs, and the applicant listed as an heir under his own name
    and relation."""
    from .subject_rules import ages, applicant_among_heirs, heirs_of, marriage
    today = today or date.today()
    faults = _Faults()
    if kind == "applicant":
        return {}
    if kind == "person":
        if raw.get("s_same") in ("1", "y", "on", True, None):
            return {"same": True}
        nik = faults.take(_nik, raw.get("s_nik"), "s_nik", today,
                          empty=_l("Enter the NIK of the person the letter is for."))
        if nik is not None and nik.value == applicant_nik:
            faults.add(_l("This is the applicant's own NIK: tick \"the applicant himself\" instead."), "s_nik")
        name = faults.take(_person, raw.get("s_name"), "s_name",
                           _l("Enter the name of the person the letter is about."))
        # the letter's "Tempat/Tgl. Lahir"; a letter taken in before it was asked is corrected without it
        place = faults.take(_place, raw.get("s_place"), "s_place",
                            _l("Enter the place of birth of the person the letter is for, as the KTP states it."),
                            required=not raw.get("s_place_optional"))
        relation = faults.take(_choice, raw.get("s_relation"), "s_relation", RELATIONS,
                               _l("Choose how the applicant is related to this person."))
        _applicant_sex(faults, relation, applicant_nik)
        _spouse(faults, relation, nik.value if nik else "", _l("the person the letter is for"))
        ages(faults, "s_relation", relation, applicant_nik, nik.value if nik else "", today, _l("the applicant"),
              _l("the person the letter is for"))
        faults.raise_any()
        return {"same": False, "nik": nik.value, "name": name, "place": place, "relation": relation}
    if kind == "birth":
        name = faults.take(_person, raw.get("s_name"), "s_name", _l("Enter the baby's name."))
        sex = faults.take(_choice, raw.get("s_sex"), "s_sex", SEXES, _l("Choose the baby's sex."))
        place = faults.take(_text, raw.get("s_place"), "s_place", _l("Enter the place of birth."))
        born = faults.take(_date, raw.get("s_date"), "s_date", _l("baby's date of birth"), today)
        if born is not None and born < today - timedelta(days=BIRTH_REPORT_DAYS):
            faults.add(_l("The baby was born more than %(days)s days ago, past the reporting period "
                          "of a birth (Perpres 96/2018 Pasal 33). Check the date; a late report "
                          "is handled by Disdukcapil.", days=BIRTH_REPORT_DAYS), "s_date")
        relation = faults.take(_choice, raw.get("s_relation"), "s_relation", PARENTS,
                               _l("Choose whether the applicant is the baby's father or mother."))
        _applicant_sex(faults, relation, applicant_nik)
        if born is not None and faults.ok("s_date") and applicant_nik:  # none yet when the NIK itself is wrong
            parent = validate_nik(applicant_nik, today=today)
            if parent.birth_date > born - timedelta(days=365 * 10):
                faults.add(_l("By the applicant's NIK the parent would be under 10 years old at the "
                              "birth: check the date of birth or who reports."), "s_date")
        faults.raise_any()
        return {"name": name, "sex": sex, "place": place, "date": born.isoformat(), "relation": relation}
    if kind in ("death", "inheritance"):
        nik = faults.take(_nik, raw.get("s_nik"), "s_nik", today, required=kind == "death",
                          empty=_l("Enter the NIK of the deceased."))
        if nik is not None and nik.value == applicant_nik:
            faults.add(_l("This is the applicant's own NIK; enter the NIK of the deceased."), "s_nik")
        name = faults.take(_person, raw.get("s_name"), "s_name", _l("Enter the name of the deceased."))
        died = faults.take(_date, raw.get("s_date"), "s_date", _l("date of death"), today)
        if nik is not None and died is not None and died < nik.birth_date:
            faults.add(_l("The date of death is before the date of birth in the deceased's NIK."), "s_date")
        relation = faults.take(_choice, raw.get("s_relation"), "s_relation", RELATIONS,
                               _l("Choose how the applicant is related to the deceased."))
        _applicant_sex(faults, relation, applicant_nik)
        _spouse(faults, relation, nik.value if nik else "", _l("the deceased"))
        ages(faults, "s_relation", relation, applicant_nik, nik.value if nik else "", today, _l("the applicant"),
             _l("the deceased"), other_deceased=True)
        heirs = heirs_of(raw, today, nik.value if nik else "", faults) if kind == "inheritance" else None
        if heirs:
            applicant_among_heirs(faults, heirs, raw, applicant_nik, applicant_name, relation)
        faults.raise_any()
        data = {"nik": nik.value if nik else "", "name": name, "date": died.isoformat(), "relation": relation}
        if heirs is not None:
            data["heirs"] = heirs
        return data
    if kind == "marriage":
        return marriage(faults, raw, applicant_nik, today)
    if kind == "business":
        name = faults.take(_text, raw.get("s_name"), "s_name", _l("Enter the name of the business."))
        line = faults.take(_text, raw.get("s_type"), "s_type",
                           _l("Enter the line of business (e.g. grocery shop, tailoring)."),
                           length_message=_l("The line of business must be 2 to %(max)s characters long.",
                                             max=NAME_MAX))
        faults.raise_any()
        return {"name": name, "type": line}
    raise SubjectRefused(_l("This document type has an unknown subject kind; ask the administrator."), "type_id")


def _applicant_sex(faults: _Faults, relation: str | None, applicant_nik: str) -> None:
    """The relation the applicant states is checked against the sex in the applicant's own NIK."""
    fault = relation_sex_fault(relation, applicant_nik, _l("the applicant")) if relation else None
    if fault:
        faults.add(fault, "s_relation")


def _spouse(faults: _Faults, relation: str | None, other_nik: str, other) -> None:
    fault = spouse_fault(relation, other_nik, other) if relation and faults.ok("s_relation") else None
    if fault:
        faults.add(fault, "s_relation")


SINGLE_FIELDS = ("s_nik", "s_name", "s_sex", "s_place", "s_date", "s_relation", "s_type")
HEIR_FIELDS = ("h_name", "h_nik", "h_relation")
FORM_FIELDS = SINGLE_FIELDS + ("s_same", "s_same_sent") + HEIR_FIELDS  # all a form's subject part may send


def from_form(form) -> dict:
    """The subject fields of a posted form (a werkzeug MultiDict)."""
    raw = {k: form.get(k) for k in SINGLE_FIELDS}
    raw["s_same"] = "1" if form.get("s_same") else ("0" if "s_same_sent" in form else None)
    for k in HEIR_FIELDS:
        raw[k] = form.getlist(k)
    return raw


CORRECTABLE = ("person", "birth", "death", "inheritance", "marriage")  # what a letter states about someone else


def as_form(kind: str, data: dict) -> MultiDict:
    """A request's stored subject data as the correction form's fields (what `corrected` reads back)."""
    form = MultiDict({"s_name": data.get("name", ""), "s_relation": data.get("relation", ""),
                      "s_sex": data.get("sex", ""), "s_place": data.get("place", ""), "s_date": data.get("date", "")})
    for heir in data.get("heirs") or ():
        form.add("h_name", heir["name"])
        form.add("h_relation", heir["relation"])
    return form


def corrected(kind: str, form, stored: dict) -> dict:
    """The correction form's values as validate() reads them, with who the letter is about kept as taken in:
    a correction puts a typo right (a name, a relation, a date), it does not put another person in. The
    NIKs, and whether a letter is for the applicant himself, are the stored ones; the heirs are the stored
    rows in their order (a row whose name is emptied is taken out; none is added)."""
    raw = {k: form.get(k) for k in ("s_name", "s_sex", "s_place", "s_date", "s_relation")}
    raw["s_place_optional"] = kind == "person" and not stored.get("place")
    raw["s_nik"] = stored.get("nik", "")
    raw["s_same"] = "1" if stored.get("same") else "0"
    heirs = stored.get("heirs") or []
    names, relations = form.getlist("h_name"), form.getlist("h_relation")
    raw["h_name"], raw["h_nik"], raw["h_relation"] = [], [], []
    for i, heir in enumerate(heirs):
        name = names[i] if i < len(names) else ""
        if not str(name).strip():
            continue  # taken out
        raw["h_name"].append(name)
        raw["h_nik"].append(heir["nik"])
        raw["h_relation"].append(relations[i] if i < len(relations) else "")
    return raw


def fixed_niks(data: dict) -> dict:
    """The NIKs a correction keeps, masked, for the form to show beside the fields: "s_nik" and the heirs'."""
    return {"s_nik": mask_nik(data["nik"]) if data.get("nik") else "",
            "heirs": [mask_nik(h["nik"]) for h in data.get("heirs") or ()]}


def day_text(iso: str) -> str:
    """"20 November 2026", as the page says dates (stored as ISO in the JSON); what is no date, as it is."""
    try:
        return date_text(date.fromisoformat(iso))
    except (TypeError, ValueError):
        return str(iso or "-")


WEDDING_DAY = _l("Wedding day")


def summary(kind: str, data: dict, show_nik: bool) -> list[tuple]:
    """What the request page shows: (label, value) pairs, the NIKs masked unless the reader may see them."""
    def nik(value):
        return value if show_nik else mask_nik(value)
    if kind == "applicant" and data and data.get("married"):  # services.age_fault: younger, but married
        return [(_l("Applicant"), _l("is or was married (stated at the counter)"))]
    if kind == "person" and data and not data.get("same"):
        return [(_l("Letter for"), data["name"]), (_l("NIK"), nik(data["nik"])),
                *([(_l("Place of birth"), data["place"])] if data.get("place") else []),
                (_l("Applicant is his/her"), RELATIONS.get(data["relation"], data["relation"]))]
    if kind == "person":
        return [(_l("Letter for"), _l("The applicant himself"))]
    if kind == "birth" and data:
        return [(_l("Baby"), data["name"]), (_l("Sex"), SEXES.get(data["sex"], data["sex"])),
                (_l("Born"), f"{data['place']}, {day_text(data['date'])}"),
                (_l("Reported by the"), PARENTS.get(data["relation"], data["relation"]))]
    if kind == "business" and data:
        return [(_l("Business name"), data["name"]), (_l("Line of business"), data["type"])]
    if kind == "marriage" and data:
        return [(_l("Future spouse"), data["name"]), (_l("NIK"), nik(data["nik"])),
                (WEDDING_DAY, day_text(data["date"])), (_l("Registered at"), data["place"])]
    if kind in ("death", "inheritance") and data:
        rows = [(_l("Deceased"), data["name"]), (_l("NIK"), nik(data["nik"]) if data.get("nik") else "-"),
                (_l("Date of death"), day_text(data["date"])),
                (_l("Applicant is his/her"), RELATIONS.get(data["relation"], data["relation"]))]
        for i, heir in enumerate(data.get("heirs") or (), start=1):
            rows.append((_l("Heir %(n)s", n=i), f"{heir['name']} · {nik(heir['nik'])} · "
                                                f"{RELATIONS.get(heir['relation'], heir['relation'])}"))
        return rows
    return []


def gist_lines(kind: str, data: dict) -> list[str]:
    """The subject in a few lines for a list (NIKs masked): its facts on one line, each heir on its own."""
    rows = summary(kind, data, False)
    heirs = len((data or {}).get("heirs") or ())
    facts = rows[:len(rows) - heirs] if heirs else rows
    lines = [" · ".join(f"{label}: {value}" for label, value in facts)] if facts else []
    if heirs:
        lines += [f"{label}: {value}" for label, value in rows[len(rows) - heirs:]]
    return lines

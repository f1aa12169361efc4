"""Whether the people a letter names fit together: the heirs (each with a NIK and a relation fitting it), who
is older than whom by their NIKs (a parent than the child), the applicant listed among the heirs under his
own name and relation, and the marriage a dispensation names (the future spouse, the day, the KUA).
`subjects.validate` asks these beside the fields' own checks."""
import unicodedata
from datetime import date, timedelta

from ..i18n import date_text
from ..i18n import lazy_gettext as _l
from ..inputs import written_name
from ..timeutil import today_wib
from .nik import InvalidNIK, validate_nik
from .subjects import (
    MAX_HEIRS,
    NAME_MAX,
    RELATIONS,
    SubjectRefused,
    _choice,
    _Faults,
    _is_female,
    _nik,
    _person,
    _sex_word,
    _text,
    relation_sex_fault,
)

# UU 16/2019 Pasal 7: both spouses are at least 19; younger needs the court's dispensation, not the Camat's
MARRIAGE_AGE = 19
WEDDING_DAYS_AHEAD = 60  # a dispensation is for a wedding within ten working days: further ahead, a mistyped date

# who is older by their NIKs: a parent is at least 10 years older than the child (as a birth's reporter) and at
# most 75, a grandparent at least 20; "the applicant is the father of" a person born 35 years before him was the
# label read backwards
_OLDER_BY = {"ayah": 10, "ibu": 10, "anak": -10, "cucu": -20}
_AT_MOST = {"ayah": 75, "ibu": 75, "anak": 75, "cucu": 150}
# a deceased's NIK read a century earlier: nobody is taken for older than this today
_OLDEST = 115


def born_on(nik: str, today: date) -> date | None:
    try:
        return validate_nik(nik, today=today).birth_date if nik else None
    except InvalidNIK:
        return None


def _readings(nik: str, today: date, deceased: bool = False) -> list[date]:
    """The birth dates a NIK may mean: its two-digit year read as the NIK's own check reads it, and for a
    deceased a century earlier too, after 1900 and at most _OLDEST years ago (born in 1921 reads as 2021).
    The living are read once: a second reading let an applicant born in 2004 be the "father" of a man born in
    1968. A 29 February has no earlier reading in 1900."""
    born = born_on(nik, today)
    if born is None:
        return []
    if not deceased or born.year - 100 < max(1900, today.year - _OLDEST):
        return [born]
    try:
        return [born, born.replace(year=born.year - 100)]
    except ValueError:  # 29 February 2000: 1900 was no leap year
        return [born]


def ages(faults: _Faults, field: str, relation: str | None, nik: str, other_nik: str, today: date, who,
          other, other_deceased: bool = False) -> None:
    """`relation` says what `who` is of `other` ("ayah": his father); their NIKs' birth dates must allow it, in
    some reading of the NIKs' centuries (`other_deceased`: the other may be born a century before)."""
    years = _OLDER_BY.get(relation or "")
    mine, theirs = _readings(nik, today), _readings(other_nik, today, deceased=other_deceased)
    if not years or not mine or not theirs or not faults.ok(field):
        return
    for born in mine:
        for other_born in theirs:
            elder, younger = (born, other_born) if years > 0 else (other_born, born)
            gap = younger - elder
            if timedelta(days=365 * abs(years)) <= gap <= timedelta(days=365 * _AT_MOST[relation]):
                return
    born, other_born = mine[0], theirs[0]
    faults.add(_l("By the NIKs %(who)s was born in %(year)s and %(other)s in %(other_year)s: %(who)s cannot be "
                  "their \"%(relation)s\". Check the relation (what %(who)s is of %(other)s) or the NIK.",
                  who=who, year=born.year, other=other, other_year=other_born.year,
                  relation=RELATIONS[relation]), field)


def applicant_among_heirs(faults: _Faults, heirs: list, raw: dict, applicant_nik: str, applicant_name: str,
                           relation: str | None) -> None:
    """The applicant listed as an heir (his NIK) has his own name and the relation he stated to the deceased:
    the letter printed "Budi Santoso" as the applicant and "Budi Santosa, NIK ..." as heir 1, or the applicant
    as the deceased's child and, a line below, as her husband."""
    for heir in heirs:
        if heir["nik"] != applicant_nik:
            continue
        row = _row_of(raw, heir["nik"])  # the form's row, as its other messages number it
        field = f"h_{row}"
        if applicant_name and written_name(applicant_name).casefold() != heir["name"].casefold():
            faults.add(_l("Heir %(n)s has the applicant's NIK but another name (“%(heir)s”, the applicant “%(name)s”): "
                          "one person is written one way on the letter.", n=row + 1, heir=heir["name"],
                          name=written_name(applicant_name)), field)
        elif relation and heir["relation"] != relation:
            faults.add(_l("Heir %(n)s has the applicant's NIK but another relation to the deceased (“%(heir)s”, the "
                          "applicant “%(relation)s”).", n=row + 1, heir=RELATIONS[heir["relation"]],
                          relation=RELATIONS[relation]), field)


def _row_of(raw: dict, nik: str) -> int:
    """The form row (h_0, h_1 ...) that typed this heir's NIK."""
    typed = ["".join(c for c in unicodedata.normalize("NFKC", str(n or "")) if c.isdigit())
             for n in raw.get("h_nik") or []]
    return next((i for i, n in enumerate(typed) if n == nik), 0)


def marriage(faults: _Faults, raw: dict, applicant_nik: str, today: date) -> dict:
    """The future spouse (NIK of the other sex, 19 or older on the day), the wedding day (from today, within
    WEDDING_DAYS_AHEAD) and the KUA or place it is registered at; the applicant is 19 or older too."""
    nik = faults.take(_nik, raw.get("s_nik"), "s_nik", today,
                      empty=_l("Enter the NIK of the future spouse."))
    name = faults.take(_person, raw.get("s_name"), "s_name", _l("Enter the name of the future spouse."))
    day = faults.take(_wedding_day, raw.get("s_date"), today)
    place = faults.take(_text, raw.get("s_place"), "s_place",
                        _l("Enter the KUA (or the place) where the marriage is registered."),
                        length_message=_l("The KUA or place must be 2 to %(max)s characters long.", max=NAME_MAX))
    if nik is not None and nik.value == applicant_nik:
        faults.add(_l("This is the applicant's own NIK; enter the NIK of the future spouse."), "s_nik")
    elif nik is not None and _is_female(applicant_nik) is not None and \
            _is_female(nik.value) == _is_female(applicant_nik):
        faults.add(_l("By the NIKs the applicant and the future spouse are both %(sex)s: check the NIK.",
                      sex=_sex_word(_is_female(nik.value))), "s_nik")
    for who, field, person_nik in ((_l("The future spouse"), "s_nik", nik.value if nik else ""),
                                   (_l("The applicant"), "s_date", applicant_nik)):
        born = born_on(person_nik, today)
        if day is not None and born is not None and faults.ok(field) and \
                (day.year - born.year - ((day.month, day.day) < (born.month, born.day))) < MARRIAGE_AGE:
            faults.add(_l("%(who)s is under %(age)s on the wedding day by the NIK: a marriage below that age needs "
                          "the court's dispensation (Pengadilan Agama or Pengadilan Negeri), not the Camat's.",
                          who=who, age=MARRIAGE_AGE), field)
    faults.raise_any()
    return {"nik": nik.value, "name": name, "date": day.isoformat(), "place": place}


def _wedding_day(raw, today: date) -> date:
    text = str(raw or "").strip()
    if not text:
        raise SubjectRefused(_l("Enter the wedding day."), "s_date")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise SubjectRefused(_l("The wedding day is not a valid date (use the date picker or YYYY-MM-DD)."),
                             "s_date") from None
    if day < today:
        raise SubjectRefused(_l("The wedding day has passed: a dispensation is asked before the wedding."), "s_date")
    if day > today + timedelta(days=WEDDING_DAYS_AHEAD):
        raise SubjectRefused(_l("The wedding day is more than %(n)s days ahead: a dispensation is for a wedding "
                                "within ten working days of its notice. Check the date.", n=WEDDING_DAYS_AHEAD),
                             "s_date")
    return day


def needed_before(request) -> date | None:
    """The day a request's document is needed before, which its promise may not pass: a dispensation's
    wedding day (the KUA marries with it). None for every other kind."""
    if request.type.subject_kind != "marriage":
        return None
    try:
        return date.fromisoformat(request.subject.get("date") or "")
    except ValueError:
        return None


def wedding_passed(request, _actor=None):
    """A guard of the signature, and a caution beside the submission (whoever submits corrects the day): a
    dispensation signed after its wedding day says the marriage "will take place" on a day gone by (the intake
    checks the day only when the request is taken in)."""
    day = needed_before(request)
    if day is None or day >= today_wib():
        return None
    return _l("The wedding day this letter names, %(day)s, has passed: a dispensation is given before the "
              "wedding. If the wedding was moved, correct the day; otherwise reject the request.",
              day=date_text(day))


def heirs_of(raw: dict, today: date, deceased_nik: str, faults: _Faults) -> list[dict]:
    """The heirs typed in; each row's first fault goes to `faults` under the row's field (h_0, h_1 ...)."""
    names, niks, relations = (list(raw.get(k) or []) for k in ("h_name", "h_nik", "h_relation"))
    rows = max(len(names), len(niks), len(relations))
    heirs, seen = [], set()
    for i in range(rows):
        name = names[i] if i < len(names) else ""
        nik = niks[i] if i < len(niks) else ""
        relation = relations[i] if i < len(relations) else ""
        if not (str(name).strip() or str(nik).strip() or str(relation).strip()):
            continue  # a blank row of the form
        heir = faults.take(_heir, i + 1, f"h_{i}", name, nik, relation, today, deceased_nik, seen)
        if heir is not None:
            heirs.append(heir)
    if not heirs and faults.ok(*(f"h_{i}" for i in range(rows))):
        faults.add(_l("Enter at least one heir."), "h_0")
    if len(heirs) > MAX_HEIRS:
        faults.add(_l("At most %(n)s heirs can be entered here; attach the full list.", n=MAX_HEIRS), "h_0")
    return heirs


def _heir(number: int, field: str, name, nik, relation, today: date, deceased_nik: str, seen: set) -> dict:
    heir_name = _person(name, field, _l("Heir %(n)s: enter the name.", n=number))
    if not str(nik or "").strip():  # not nik.py's "the citizen's NIK": this is the heir's
        raise SubjectRefused(_l("Heir %(n)s: enter the NIK.", n=number), field)
    try:
        heir_nik = validate_nik(nik, today=today).value
    except InvalidNIK as fault:
        raise SubjectRefused(_l("Heir %(n)s: %(fault)s", n=number, fault=str(fault)), field) from None
    if heir_nik == deceased_nik:
        raise SubjectRefused(_l("Heir %(n)s has the deceased's NIK.", n=number), field)
    if heir_nik in seen:
        raise SubjectRefused(_l("Heir %(n)s is listed twice (same NIK).", n=number), field)
    seen.add(heir_nik)
    heir_relation = _choice(relation, field, RELATIONS, _l("Heir %(n)s: choose the relation to the deceased.",
                                                            n=number))
    fault = relation_sex_fault(heir_relation, heir_nik, _l("heir %(n)s", n=number))
    if fault:
        raise SubjectRefused(fault, field)
    # a spouse is of the other sex than the deceased, when the deceased's NIK is known
    if heir_relation in ("suami", "istri") and _is_female(deceased_nik) is (heir_relation == "istri"):
        raise SubjectRefused(_l("Heir %(n)s: by the NIK the deceased is %(sex)s, so the spouse cannot be "
                                "\"%(relation)s\".", n=number, sex=_sex_word(_is_female(deceased_nik)),
                                relation=RELATIONS[heir_relation]), field)
    older = _Faults()
    ages(older, field, heir_relation, heir_nik, deceased_nik, today, _l("heir %(n)s", n=number), _l("the deceased"),
         other_deceased=True)
    older.raise_any()
    return {"name": heir_name, "nik": heir_nik, "relation": heir_relation}

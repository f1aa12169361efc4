"""The one input boundary: every text value from a form, the query string or a stored header.

`guard_request()` runs before every view. It normalises form and query values to Unicode NFC (so
"é" typed two ways is one value in the database and in searches) and refuses, before any view or
query sees them, values no field may hold:
- control and invisible characters (NUL included; PostgreSQL cannot store NUL and would answer with a
  500; a zero-width space or a direction override disguises a name). Tab, CR
  and LF pass in form values, since text areas need them; single-line form fields refuse them in
  `PlajuForm`, query strings and headers never allow them;
- form values longer than `FORM_VALUE_MAX`, comments/reasons (`BOUNDED_FIELDS`) longer than
  `TEXT_MAX`, query values longer than `QUERY_VALUE_MAX`. Forms bound each field to its column in
  `PlajuForm` as well.
A refusal is a 400 (query string, header) or 422 (form) page or HTMX alert in Bahasa, is audited and
stores nothing else.

`hide_id_numbers()` is the rule for free text the public wrote (a complaint, a survey comment) shown to
readers who may not see a NIK: any stretch of ten digits or more is hidden, whatever (short of letters)
separates them.

`digits_only()` is the rule for NIK, NIP and phone numbers: spaces, dots and dashes are removed and
only the ASCII digits 0-9 are accepted (Unicode has other digits, e.g. Arabic-Indic or full-width,
that Python's isdigit() and int() accept but nobody can search for).
"""
import re
import unicodedata
import uuid

from flask import abort, g, request
from werkzeug.datastructures import ImmutableMultiDict

from .i18n import gettext as _
from .i18n import lazy_gettext as _l

# C0 controls except tab, LF and CR; DEL; C1 controls; U+2028/2029 (line breaks browsers do not send);
# invisible characters that make a name look like another or vanish from a search: zero-width space, word
# joiner, byte-order mark, and the direction marks and overrides ("\u202e" shows a name reversed). The
# zero-width joiners of emoji sequences (U+200C/200D) pass.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
                      "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("[\t\r\n]")
# of those, the ones that only vanish: pasted from a chat with a name ("Siti\u200bRahma"), they are taken out at
# the boundary (`guard_request`) rather than refusing the whole form; a direction mark or override stays refused
_VANISHING = re.compile("[\u200b\u2060\ufeff]")
TEXT_MAX = 2000           # Text columns written by users: comments, reasons, notes
FORM_VALUE_MAX = 20000    # the longest form field (a text module); anything longer is refused unread
QUERY_VALUE_MAX = 2000    # search words, filters, a ?next= path
BOUNDED_FIELDS = frozenset({"comment", "reason", "motivation", "note"})
DROPPED_WHEN_INVALID = frozenset({"next"})  # redirect targets: the view falls back to a safe page
STORED_HEADERS = {"X-Request-ID": 40}  # headers the audit log stores, bound by their column


class InputRefused(ValueError):
    def __init__(self, message, field: str | None = None, status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status


def nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def code_characters(raw: str | None) -> str:
    """A code typed or pasted by a citizen (tracking, letter check) as its bare letters and digits: full-width
    letters folded (NFKC), capitals, without spaces or dashes of any kind ("PLJ–MZ8SH" from a phone's
    keyboard is "PLJMZ8SH")."""
    folded = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Pd")


def one_line(value: str) -> str:
    """A single line's tabs and line breaks as spaces: two spreadsheet cells pasted into a name ("Hendra<TAB>
    Gunawan") were refused for a character the clerk could not see in the box."""
    return _LINE_BREAKS.sub(" ", value)


def has_control(value: str, multiline: bool = False) -> bool:
    if _CONTROL.search(value):
        return True
    return not multiline and bool(_LINE_BREAKS.search(value))


def check_text(value: str | None, *, multiline: bool = False, max_length: int | None = None) -> str | None:
    """Return the value in NFC or raise InputRefused with a message for the user."""
    if value is None:
        return None
    if has_control(value, multiline):
        raise InputRefused(_l("The text contains control characters (for example a NUL character) that "
                              "cannot be saved. Remove them and try again."))
    value = nfc(value)
    if max_length is not None and len(value) > max_length:
        raise InputRefused(_l("The text is too long: at most %(max)s characters are allowed.", max=max_length))
    return value


# between the letters of a person's name: H. Siti Nur'aini, S.Kom.; \u2019 is a phone's apostrophe
NAME_MARKS = frozenset(" .,'-()\u2019")


# the apostrophe as phones, word processors and keyboards write it ("Nur ‘Aini", "Ma`ruf", "Ma´ruf", "Maʼruf"):
# a citizen's name keeps the plain one, so a search and the letter read one name one way
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u0060\u00b4\u02bc\u02bb\u2032"})


def written_name(raw) -> str:
    """A person's name as it is stored and printed: on one line, single spaces, plain apostrophes."""
    return " ".join(str(raw or "").translate(_APOSTROPHES).split())


def not_latin(text: str, marks: frozenset = NAME_MARKS) -> str | None:
    """The first character of `text` that is not a Latin letter (with an accent or not), a digit or one of
    `marks`, or None."""
    for char in text:
        if char in marks or char in "0123456789":  # (digits and brackets pass, as in "Kasi 2 (uji)")
            continue
        # a letter is a-z, with an accent or not: "é" is "e" and a mark, but the Latin alpha "ɑ" or the
        # dotless "ı" are letters of their own that read as "a" and "i"
        if not ("a" <= unicodedata.normalize("NFD", char)[0].lower() <= "z"):
            return char
    return None


def person_name_fault(name: str, digits: bool = True) -> str | None:
    """A person's name is written in Latin letters (with accents), digits and name marks: a Cyrillic "а" made
    a second "Jailani" that reads the same in every list and in the log. A citizen's name (digits=False), as a
    letter the Camat signs states it, has no digits: "Rina Santoso 081234567890" was a number pasted along."""
    char = not_latin(name)
    if char:
        return _("Write the name in Latin letters, with spaces, dots, commas, apostrophes or dashes only "
                 "(not “%(char)s”).", char=char)
    if name.strip() and not any(c.isalpha() for c in name):  # "12345" was taken in and would head a letter
        return _("A name is written in letters; “%(name)s” has none.", name=name.strip()[:40])
    if not digits and any(c.isdigit() for c in name):
        return _("A name has no digits (“%(name)s”): write it as the KTP states it, and a telephone number in "
                 "its own field.", name=name.strip()[:60])
    return None


# letters that read alike in a list: a capital I as an l, rn as m, a zero as an O, a one as an l
_READS_ALIKE = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"), ("j", "l"))


def name_skeleton(name: str) -> str:
    """What a person's name reads as, for telling two accounts apart: the name without what is written
    around it (titles before it, "Dr.", "Ir.", "Hj."; what follows a comma, "S.Kom" or "Camat Plaju"; what
    stands in brackets), without accents, case, spacing or marks, and with letters that read alike made one."""
    base = re.sub(r"\([^)]*\)?", " ", name.split(",")[0])
    words = base.split()
    while len(words) > 1 and words[0].endswith("."):  # leading titles: "Dr.", "H.", "Prof."
        words.pop(0)
    text = "".join(c for c in unicodedata.normalize("NFKD", " ".join(words)).lower()
                   if "a" <= c <= "z" or "0" <= c <= "9")
    for alike, read_as in _READS_ALIKE:
        text = text.replace(alike, read_as)
    return text


def mask_nik(nik: str | None) -> str:
    """1671********0003: the region and the last four digits, never the birth date; enough to tell two
    people apart, not enough to misuse. The one mask of every page, log line and export."""
    nik = str(nik or "")
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: letters inserted, removed or replaced."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def digits_only(raw: str | None, *, allow_plus: bool = False) -> str:
    """ASCII digits only, after removing spaces, dots and dashes; raise InputRefused otherwise."""
    value = "".join((raw or "").split()).replace(".", "").replace("-", "")
    body = value[1:] if allow_plus and value.startswith("+") else value
    if any(c.isdigit() and not ("0" <= c <= "9") for c in body):
        raise InputRefused(_l("Write the number with the digits 0-9 only; other digit forms (for example "
                              "Arabic-Indic or full-width digits) are not accepted."))
    if not all("0" <= c <= "9" for c in body):
        raise InputRefused(_l("Only digits are allowed here; the value has letters or other characters."))
    return value


def _normalised(source, *, multiline: bool, where: str) -> ImmutableMultiDict:
    items = []
    for key, value in source.items(multi=True):
        if has_control(key) or len(key) > 200:
            raise InputRefused(_l("The request contains an invalid field name."), key[:40], 400)
        value = _VANISHING.sub("", value)
        if has_control(value, multiline):
            if where == "query" and key in DROPPED_WHEN_INVALID:
                continue  # a crafted ?next= is ignored (the view goes home), not a failed sign-in
            raise InputRefused(_l("The text contains control characters (for example a NUL character) that "
                                  "cannot be saved. Remove them and try again."), key,
                               422 if where == "form" else 400)
        value = nfc(value)
        bound = QUERY_VALUE_MAX if where == "query" else TEXT_MAX if key in BOUNDED_FIELDS else FORM_VALUE_MAX
        if len(value) > bound:
            raise InputRefused(_l("The text is too long: at most %(max)s characters are allowed.", max=bound),
                               key, 422 if where == "form" else 400)
        items.append((key, value))
    return ImmutableMultiDict(items)


def clean_file_name(name: str | None) -> str | None:
    """An uploaded file's name as it may be stored and shown: without control characters, line breaks or
    direction overrides ("scan\u202efdp.exe" shows as "scanexe.pdf"), in NFC. A name is the sender's label,
    not text they typed, so it is cleaned rather than refused; one that was nothing else reads "berkas"."""
    if not name:
        return name
    cleaned = nfc(_LINE_BREAKS.sub(" ", _CONTROL.sub("", name))).strip()
    return cleaned or "berkas"


def guard_request() -> None:
    """before_request: normalise or refuse the request's text before any view reads it."""
    try:
        for header, bound in STORED_HEADERS.items():
            value = request.headers.get(header)
            if value is not None and (has_control(value) or len(value) > bound or not value.isascii()):
                g.request_id = uuid.uuid4().hex  # the refusal's own audit event must not store it
                raise InputRefused(_l("The request header %(name)s is not valid.", name=header), header, 400)
        request.args = _normalised(request.args, multiline=False, where="query")
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            request.form = _normalised(request.form, multiline=True, where="form")
            for _field, sent in request.files.items(multi=True):
                sent.filename = clean_file_name(sent.filename)
    except InputRefused as refused:
        g.input_refused = refused
        _audit_refusal(refused)
        abort(refused.status, description=_refusal_text(refused))


def _audit_refusal(refused: InputRefused) -> None:
    """Signed-in users' refusals and every refused sign-in are audited (never the value itself);
    anonymous requests elsewhere are not, so nobody can fill the log from outside."""
    from flask_login import current_user

    from .audit import record as audit
    # what HR reads first is the reason; the page's address only says where
    reason = f"{refused.message} ({request.path})"[:500]
    if request.endpoint == "accounts.login" and request.method == "POST":
        name = request.form.get("username", "") if refused.field != "username" else ""
        name = "" if has_control(name) else nfc(name)[:120]
        audit.refused("auth.login", actor_name=name, reason=reason)
    elif current_user.is_authenticated:
        audit.refused("input.refused", actor=current_user, reason=reason)


def _refusal_text(refused: InputRefused) -> str:
    if request.method in ("GET", "HEAD"):  # a search or a page: there was nothing to save
        return _("%(message)s Change what you searched for, or go back and try again.", message=str(refused.message))
    return _("%(message)s Nothing was saved.", message=str(refused.message))


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)


# ten digits or more with at most six other characters (not letters) between two of them, line breaks
# included, and an O, I or l standing for a digit between two digits: a NIK or a phone number however it was
# typed ("1671,0101,..." "0812 ,  3456" "1671 -- 0102" "(0711) 512..." one group per line, "1671O812...")
_ID_DIGIT = r"(?:\d|(?<=\d)[OoIl](?=\d))"
_ID_NUMBER = re.compile(rf"\+?\d(?:(?:[^\w]|_){{0,6}}{_ID_DIGIT}){{9,}}")  # "+62 ...": the plus goes too


def hide_id_numbers(text: str) -> str:
    return _ID_NUMBER.sub(lambda _m: _("[number hidden]"), text or "")


# what a page open to anyone with a tracking code hides beyond ID numbers: e-mail addresses and any number of
# five digits or more however grouped (a local phone "512 3456"); a date ("12-11-2026") and a house number stay
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SHORT_NUMBER = re.compile(r"(\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b)|\+?\d(?:[ ./-]{0,2}\d){4,}")


# an amount of money stays: "Rp 50.000" is what a complaint of an illegal fee is about, and no one's contact
# (grouped by thousands or at most nine digits, never beginning with 0: "Rp 081234567890" is a phone number)
_AMOUNT = r"(?:[1-9]\d{0,2}(?:\.\d{3}){1,3}|[1-9]\d{0,8})"  # up to 999.999.999.999, or nine digits
# (never the tail of a longer number: "0812.345.678 ribu" is a phone number)
_MONEY = re.compile(rf"(?<![\d.,])(?:\bRp\.?\s?{_AMOUNT}(?![\d.]\d)(?:,-|,\d{{1,2}})?"
                    rf"|\b{_AMOUNT}(?![\d.]\d)\s?(?:rupiah|ribu|juta)\b)", re.IGNORECASE)


# a number as written, its digits with separators between them ("(0711) 512345", "16.71.01.070485.0113"): a
# landline is kept only when the whole of it is one, so no part of a longer number is left beside it
_NUMBER_RUN = re.compile(r"\(?\d(?:[ .\-/()]{0,2}\d)+\)?")
# ... and no other digits close by (as `_ID_NUMBER` joins them: "160 - 4177 - 033505668" is one NIK)
_DIGIT_BEFORE = re.compile(r"\d(?:[^\w]|_){0,6}$")
_DIGIT_AFTER = re.compile(r"(?:[^\w]|_){0,6}\d")


def hide_contact_details(text: str, keep_landlines: bool = False) -> str:
    """`text` without ID numbers, e-mail addresses and phone numbers; amounts of money stay, and with
    `keep_landlines` (the office's own words: a reason, an answer) a landline, the office's line to call."""
    from .notify.phone import _SEPARATORS, LANDLINE
    text = text or ""
    spans = [m.span() for m in _MONEY.finditer(text)]
    if keep_landlines:
        for m in _NUMBER_RUN.finditer(text):
            digits = _SEPARATORS.sub("", m.group())
            alone = not (_DIGIT_BEFORE.search(text, 0, m.start()) or _DIGIT_AFTER.match(text, m.end()))
            if alone and digits.startswith("0") and LANDLINE.match("62" + digits[1:]) and \
                    not any(a < m.end() and m.start() < b for a, b in spans):
                spans.append(m.span())
    kept, last = [], 0
    for start, end in sorted(spans):
        kept += [_hidden(text[last:start]), text[start:end]]
        last = end
    return "".join(kept + [_hidden(text[last:])])


def _hidden(text: str) -> str:
    text = _EMAIL.sub(lambda _m: _("[address hidden]"), hide_id_numbers(text))
    return _SHORT_NUMBER.sub(lambda m: m.group(1) or _("[number hidden]"), text)

"""The number register (buku agenda surat keluar): one serial per year for the office.

A number is drawn inside the transaction that signs the letter, so a failed signature rolls the
counter back with everything else: numbers are never reused and leave no gap. On PostgreSQL the
year's counter row is locked with SELECT ... FOR UPDATE, so two signatures at the same moment queue
for it; on SQLite every transaction began IMMEDIATE and already holds the single write lock.
"""
import re
import secrets
import unicodedata

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..database import for_update, is_postgres
from ..extensions import db
from ..i18n import gettext as _
from ..inputs import code_characters
from ..timeutil import today_wib
from .models import Letter, LetterCounter, LetterExternalNumber, number_key

# 32 characters without 0/O, 1/I: 12 of them are 60 bits from `secrets`, read aloud without mistakes
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


class NumberRefused(ValueError):
    pass


def next_number(classification: str, year: int) -> tuple[int, str]:
    """The register's next serial and its number, in the caller's transaction. A serial already taken by a
    letter numbered from an outside register (a paper agenda book of the same format, counting in the same
    series) is passed over, whatever its classification: the register never gives one serial twice a year."""
    while True:
        serial = next_serial(year)
        number = format_number(classification, serial, year)
        if not _taken(number_key(number)) and not _serial_taken(serial, year):
            return serial, number


def _taken(key: str, subject: tuple[str, int] | None = None) -> bool:
    """A letter has this number, or one waits for it (other than `subject`'s own), in any spelling."""
    waiting = select(LetterExternalNumber.id).where(LetterExternalNumber.number_key == key)
    if subject is not None:
        waiting = waiting.where(~and_(LetterExternalNumber.subject_type == subject[0],
                                      LetterExternalNumber.subject_id == subject[1]))
    return bool(db.session.scalar(select(Letter.id).where(Letter.number_key == key))
                or db.session.scalar(waiting))


def _serial_taken(serial: int, year: int, subject: tuple[str, int] | None = None) -> bool:
    """Serial `serial` of `year` is used by a letter of this register, or by a number from the outside register
    in any classification ("470/0007/PLJ/2026" takes the 7 of "400/0007/PLJ/2026"), signed or waiting (other
    than `subject`'s own), however it was spelt."""
    if db.session.scalar(select(Letter.id).where(Letter.year == year, Letter.serial == serial).limit(1)):
        return True
    # outside numbers are few (the paper book's, for a letter now and then): read by the format one by one,
    # whatever year they were signed in
    signed = select(Letter.number).where(Letter.external.is_(True))
    waiting = select(LetterExternalNumber.number)
    if subject is not None:
        waiting = waiting.where(~and_(LetterExternalNumber.subject_type == subject[0],
                                      LetterExternalNumber.subject_id == subject[1]))
    return any(serial_of(number) == (serial, year) for number in db.session.scalars(signed.union_all(waiting)))


# stand-ins for the format's fields, to read its fixed parts in number_key's spelling
_CLASS, _SERIAL, _YEAR = "\x01", 918273645, 5647


def serial_of(number: str) -> tuple[int, int] | None:
    """The serial and year a number holds, read by the register's format in number_key's spelling (so
    "470//0001/plj/2026/" reads as "470/0001/PLJ/2026"); None if it does not fit the format."""
    pattern = current_app.config["LETTER_NUMBER_FORMAT"]
    if "{serial" not in pattern or "{year" not in pattern:
        return None
    shape = re.escape(number_key(pattern.format(klasifikasi=_CLASS, serial=_SERIAL, year=_YEAR)))
    shape = (shape.replace(re.escape(_CLASS), ".+?").replace(str(_SERIAL), r"0*(?P<serial>\d+)", 1)
             .replace(str(_YEAR), r"(?P<year>\d{4})", 1))
    found = re.fullmatch(shape, number_key(number))
    return (int(found["serial"]), int(found["year"])) if found else None


def next_serial(year: int) -> int:
    """The next serial of `year`, counted in the caller's transaction (commit or roll back with it)."""
    session = db.session
    if is_postgres():
        # the row exists before it is locked; a concurrent first letter of the year waits on the insert
        session.execute(pg_insert(LetterCounter).values(year=year, last_serial=0)
                        .on_conflict_do_nothing(index_elements=["year"]))
        counter = session.scalars(for_update(select(LetterCounter).where(LetterCounter.year == year))).one()
    else:
        counter = session.get(LetterCounter, year, populate_existing=True)
        if counter is None:
            counter = LetterCounter(year=year, last_serial=0)
            session.add(counter)
    counter.last_serial += 1
    session.flush()
    return counter.last_serial


def format_number(classification: str, serial: int, year: int) -> str:
    """PLAJU_LETTER_NUMBER_FORMAT with {klasifikasi}, {serial} and {year}, e.g. 400.12.3.2/0007/PLJ/2026."""
    pattern = current_app.config["LETTER_NUMBER_FORMAT"]
    return pattern.format(klasifikasi=classification or "000", serial=serial, year=year)


EXTERNAL_NUMBER = re.compile(r"[A-Za-z0-9./()\- ]+")


def check_external(number: str, subject: tuple[str, int] | None = None) -> str:
    """A number from an outside register: trimmed (no space around "/", no full stop after it), not empty,
    and not in the register or waiting on another letter in any spelling ("/plj/" is "/PLJ/"). `subject`:
    the letter it is for (its own waiting number is not another's)."""
    # one spelling for one number: compatibility forms folded (a full-width slash is a slash), and only
    # what a register writes is accepted (a Cyrillic "Р" or an invisible character made a second "PLJ")
    number = unicodedata.normalize("NFKC", number or "")
    number = re.sub(r"\s*/\s*", "/", " ".join(number.split())).rstrip(" .,;:")
    if not number or len(number) > 80:
        raise NumberRefused(_("Enter the letter number from the other register (at most 80 characters)."))
    if not EXTERNAL_NUMBER.fullmatch(number):
        raise NumberRefused(_("A letter number has letters A-Z, digits and . / - ( ) only."))
    if _taken(number_key(number), subject):
        raise NumberRefused(_("The number %(number)s is already in the register.", number=number))
    held = serial_of(number)
    this_year = today_wib().year
    if held is not None and held[1] not in (this_year - 1, this_year):  # the book's last page at the year's turn
        raise NumberRefused(_("The number %(number)s is of %(year)s: a letter signed now takes a number of this "
                              "year's agenda book (or, at the turn of the year, of last year's).", number=number,
                              year=held[1]))
    if held is not None and _serial_taken(*held, subject):
        serial, year = held
        raise NumberRefused(_("Serial %(serial)s of %(year)s is already in the register under another "
                              "classification: one serial is given once a year.", serial=serial, year=year))
    return number


def new_check_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(body[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_check_code(raw: str | None) -> str:
    code = code_characters(raw)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return ""
    return "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))

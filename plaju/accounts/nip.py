"""NIP: the 18-digit civil-servant number.

birth date YYYYMMDD (8) + appointment YYYYMM (6) + sex 1/2 (1) + serial (3).
"""
from datetime import date

from flask_babel import lazy_gettext as _l

from ..inputs import InputRefused, digits_only


class InvalidNIP(ValueError):
    pass


def validate_nip(raw: str, today: date | None = None) -> str:
    """Return the clean NIP or raise InvalidNIP with a message for the user."""
    try:  # the one digits rule of the input boundary: ASCII 0-9 after spaces, dots and dashes
        nip = digits_only(raw)
    except InputRefused as refused:
        unicode_digits = any(c.isdigit() and not "0" <= c <= "9" for c in raw or "")
        raise InvalidNIP(refused.message if unicode_digits else _l("NIP may contain digits only.")) from None
    if not nip:
        raise InvalidNIP(_l("NIP may contain digits only."))
    if len(nip) != 18:
        raise InvalidNIP(_l("NIP must be 18 digits long, not %(n)s.", n=len(nip)))
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise InvalidNIP(_l("The first 8 digits of the NIP are not a valid birth date.")) from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise InvalidNIP(_l("Digits 9-14 of the NIP are not a valid appointment month."))
    today = today or date.today()
    if (year, month) > (today.year, today.month) or year < birth.year + 17:
        raise InvalidNIP(_l("The appointment date in the NIP does not fit the birth date."))
    if nip[14] not in "12":
        raise InvalidNIP(_l("Digit 15 of the NIP (sex) must be 1 or 2."))
    return nip

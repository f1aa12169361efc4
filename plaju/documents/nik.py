"""NIK: the 16-digit national identity number (Nomor Induk Kependudukan).

province (2) + regency/city (2) + district (2) + birth date DDMMYY, day + 40 for women (6) + serial (4).
Palembang is 16.71. Each fault gets its own message so the clerk knows what to ask the citizen.
"""
from dataclasses import dataclass
from datetime import date

from ..i18n import lazy_gettext as _l
from ..inputs import mask_nik  # noqa: F401  (the area's NIK helpers in one place)

PALEMBANG = "1671"


class InvalidNIK(ValueError):
    pass


@dataclass(frozen=True)
class NIK:
    value: str
    birth_date: date
    female: bool

    @property
    def masked(self) -> str:
        return mask_nik(self.value)


def clean(raw: str | None) -> str:
    return "".join((raw or "").split()).replace(".", "").replace("-", "")


def validate_nik(raw: str | None, today: date | None = None) -> NIK:
    """Return the parsed NIK or raise InvalidNIK with a message for the counter clerk. A NIK from anywhere
    in Indonesia is taken: it is given once for life and kept after a move (UU 24/2013 Pasal 13), so a
    resident who came from Lahat still has 1604...; where someone lives is read from the KK, not the NIK."""
    nik = clean(raw)
    if not nik:
        raise InvalidNIK(_l("Enter the citizen's NIK."))
    if any(c.isdigit() and not c.isascii() for c in nik):
        # int() and isdigit() take Arabic-Indic or full-width digits: never store a NIK as typed that way
        raise InvalidNIK(_l("Write the NIK with the digits 0-9 only; other digit forms (for example "
                            "Arabic-Indic or full-width digits) are not accepted."))
    if not (nik.isascii() and nik.isdigit()):
        raise InvalidNIK(_l("The NIK may contain digits only; it has letters or other characters."))
    if len(nik) != 16:
        raise InvalidNIK(_l("The NIK must be 16 digits long, not %(n)s.", n=len(nik)))
    if nik[:2] == "00" or nik[2:4] == "00":
        raise InvalidNIK(_l("Digits 1-4 of the NIK (province and regency code) cannot be 00."))
    if nik[4:6] == "00":
        raise InvalidNIK(_l("Digits 5-6 of the NIK (the kecamatan code) cannot be 00."))
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    today = today or date.today()
    century = 2000 if 2000 + year <= today.year else 1900
    try:
        born = date(century + year, month, day)
    except ValueError:
        raise InvalidNIK(_l("Digits 7-12 of the NIK are not a valid birth date (DDMMYY; women add 40 "
                            "to the day).")) from None
    if born > today:
        born = date(1900 + year, month, day)
    if nik[12:] == "0000":
        raise InvalidNIK(_l("The last 4 digits of the NIK (the serial number) cannot be 0000."))
    return NIK(nik, born, female)




def make_nik(born: date, female: bool, serial: int, district: str = "08") -> str:
    """A structurally valid Palembang NIK for invented demo and test people."""
    day = born.day + (40 if female else 0)
    return f"{PALEMBANG}{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial % 10000 or 1:04d}"

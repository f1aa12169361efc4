"""The 18-digit numbers that identify an ASN: the NIP of a civil servant (PNS) and the NI PPPK of
staff on a government work agreement (PPPK).

NIP (Perka BKN 22/2007): birth date YYYYMMDD (8) + appointment as CPNS YYYYMM (6) + sex 1/2 (1) +
serial (3).

NI PPPK (Nomor Induk PPPK, set by BKN): birth date YYYYMMDD (8) + year of first appointment as PPPK
YYYY (4) + the count of work agreements (perjanjian kerja) (2) + sex 1/2 (1) + serial (3). Where a NIP
has the appointment month, an NI PPPK carries the agreement count, so "21" or "24" there is fine
(e.g. 19931228 2025 21 2 001). Described in "Apa perbedaan NIP PNS dan NI PPPK?",
https://foppsirokanhulu.blogspot.com/2024/03/apa-perbedaan-nip-pns-dan-ni-pppk.html (after the
Luwu Utara regency's page): "tahun, bulan, dan tanggal lahir, tahun pengangkatan pertama sebagai calon
PPPK, jumlah perjanjian kerja calon PPPK, jenis kelamin calon PPPK dan nomor urut calon PPPK".
"""
from datetime import date

from ..i18n import lazy_gettext as _l
from ..inputs import InputRefused, digits_only

FIRST_PPPK_YEAR = 2019  # PP 49/2018: the first PPPK were appointed in 2019


class InvalidNIP(ValueError):
    pass


def _digits(raw: str, name: str) -> str:
    try:  # the one digits rule of the input boundary: ASCII 0-9 after spaces, dots and dashes
        number = digits_only(raw)
    except InputRefused as refused:
        unicode_digits = any(c.isdigit() and not "0" <= c <= "9" for c in raw or "")
        raise InvalidNIP(refused.message if unicode_digits else _l("%(name)s may contain digits only.",
                                                                  name=name)) from None
    if not number:
        raise InvalidNIP(_l("%(name)s may contain digits only.", name=name))
    if len(number) != 18:
        raise InvalidNIP(_l("%(name)s must be 18 digits long, not %(n)s.", name=name, n=len(number)))
    return number


def _birth(number: str, name: str) -> date:
    try:
        return date(int(number[0:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        raise InvalidNIP(_l("The first 8 digits of the %(name)s are not a valid birth date.", name=name)) from None


def validate_nip(raw: str, today: date | None = None) -> str:
    """Return the clean NIP or raise InvalidNIP with a message for the user."""
    nip = _digits(raw, "NIP")
    birth = _birth(nip, "NIP")
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise InvalidNIP(_l("Digits 9-14 of the NIP are not a valid appointment month."))
    today = today or date.today()
    if (year, month) > (today.year, today.month) or year < birth.year + 17:
        raise InvalidNIP(_l("The appointment date in the NIP does not fit the birth date."))
    if nip[14] not in "12":
        raise InvalidNIP(_l("Digit 15 of the NIP (sex) must be 1 or 2."))
    return nip


def validate_ni_pppk(raw: str, today: date | None = None) -> str:
    """Return the clean NI PPPK or raise InvalidNIP with a message for the user."""
    number = _digits(raw, "NI PPPK")
    birth = _birth(number, "NI PPPK")
    year = int(number[8:12])
    today = today or date.today()
    if year < FIRST_PPPK_YEAR or year > today.year:
        raise InvalidNIP(_l("Digits 9-12 of the NI PPPK are not a possible year of appointment as PPPK "
                            "(%(first)s to %(now)s).", first=FIRST_PPPK_YEAR, now=today.year))
    if year < birth.year + 17:
        raise InvalidNIP(_l("The year of appointment in the NI PPPK does not fit the birth date."))
    if number[12:14] == "00":
        raise InvalidNIP(_l("Digits 13-14 of the NI PPPK (number of work agreements) cannot be 00."))
    if number[14] not in "12":
        raise InvalidNIP(_l("Digit 15 of the NI PPPK (sex) must be 1 or 2."))
    return number


def validate_asn_number(raw: str, today: date | None = None) -> str:
    """A NIP or an NI PPPK, each checked by its own structure; the clean number or InvalidNIP saying
    why it is neither."""
    _digits(raw, _l("NIP or NI PPPK"))  # not 18 ASCII digits: one message says it for both
    try:
        return validate_nip(raw, today)
    except InvalidNIP as not_nip:
        try:
            return validate_ni_pppk(raw, today)
        except InvalidNIP as not_pppk:
            raise InvalidNIP(_l("This is neither a valid NIP nor a valid NI PPPK. As a NIP: %(nip)s. As an NI PPPK: "
                                "%(pppk)s.",
                                nip=str(not_nip).rstrip("."), pppk=str(not_pppk).rstrip("."))) from None

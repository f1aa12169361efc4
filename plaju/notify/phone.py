"""Indonesian mobile numbers, as the SMS and WhatsApp gateways want them: 62 followed by the number
without its leading 0 (E.164 without the plus), e.g. 0812-3456-7890 -> 6281234567890.

Accepted as typed at the counter: 08..., +628..., 628..., and 62 08... (the 0 kept after the country
code); spaces, dashes, dots and brackets are ignored. A mobile number starts with 8 after the country
code, followed by 8 to 11 more digits (10 to 13 digits written with the leading 0). Anything else,
a landline such as 0711-..., a foreign number or a number of the wrong length, is refused for messages
with a message that says what was expected; `normalise_phone` also keeps a landline, to call the citizen on.
"""
import re

from ..i18n import lazy_gettext as _l

MOBILE = re.compile(r"^628[1-9][0-9]{7,10}$")
_SEPARATORS = re.compile(r"[\s\-.()/]")


class InvalidPhone(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# an Indonesian landline: after the country code an area code not beginning with 8 (0711 is Palembang's) and the
# subscriber's number, 8 to 10 digits in all (9 to 11 written with the leading 0); a mistyped mobile number of 12
# digits ("0912 ...") is not taken for one
LANDLINE = re.compile(r"^62[2-79][0-9]{7,9}$")


def normalise_phone(raw: str | None) -> str:
    """A number to call the citizen on: a mobile one as normalise_msisdn writes it, or an Indonesian
    landline (0711-512345 -> 62711512345), which is kept but never sent a message; InvalidPhone otherwise."""
    try:
        return normalise_msisdn(raw)
    except InvalidPhone:
        value = _SEPARATORS.sub("", raw or "").removeprefix("+")
        if value.startswith("620"):  # "+62 0711 ...": the national 0 kept after the country code
            value = "62" + value[3:]
        elif value.startswith("0"):
            value = "62" + value[1:]
        if not (value.isascii() and value.isdigit() and value.startswith("62") and value[2:3] in tuple("2345679")):
            raise  # a foreign number or a mistyped mobile one: the mobile rule's message says what was expected
        if not LANDLINE.match(value):
            raise InvalidPhone(_l("A landline number has 9 to 11 digits written with its area code and the 0; this "
                                  "one has %(n)s.", n=len(value) - 1)) from None
        return value


def is_mobile(number: str | None) -> bool:
    """Whether a stored number (62...) can receive SMS and WhatsApp messages."""
    return bool(number and MOBILE.match(number))


def normalise_msisdn(raw: str | None) -> str:
    """The number as 628..., or InvalidPhone with a Bahasa message."""
    value = _SEPARATORS.sub("", raw or "")
    if not value:
        raise InvalidPhone(_l("Enter a mobile phone number."))
    if value.startswith("+"):
        value = value[1:]
        if not value.startswith("62"):
            raise InvalidPhone(_l("Only Indonesian mobile numbers (+62) can receive updates."))
    elif value.startswith("00"):
        raise InvalidPhone(_l("Only Indonesian mobile numbers (+62) can receive updates."))
    if not value.isascii() or not value.isdigit():
        raise InvalidPhone(_l("Write the phone number with the digits 0-9 only, for example 0812-3456-7890."))
    if value.startswith("620"):  # "+62 0812...": the national 0 kept after the country code
        value = "62" + value[3:]
    elif value.startswith("0"):
        value = "62" + value[1:]
    elif value.startswith("8"):
        value = "62" + value
    if not value.startswith("628") or value[3:4] == "0":
        raise InvalidPhone(_l("This is not an Indonesian mobile number: a mobile number begins with 08 "
                              "(or +628), for example 0812-3456-7890. Landline numbers cannot receive "
                              "messages."))
    if not MOBILE.match(value):
        raise InvalidPhone(_l("A mobile number has 10 to 13 digits written with the leading 0, for example "
                              "0812-3456-7890; this one has %(n)s.", n=len(value) - 1))
    return value


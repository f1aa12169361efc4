from datetime import date

import pytest
from flask_babel import force_locale

from plaju.accounts.nip import InvalidNIP, validate_nip


def test_a_valid_nip_passes_with_spaces_removed():
    assert validate_nip("19850312 201001 1 003", today=date(2026, 11, 29)) == "198503122010011003"


@pytest.mark.parametrize("nip,fault", [
    ("1985031220100110", "18 digits"),
    ("19850312201001100X", "digits only"),
    ("198513122010011003", "birth date"),
    ("198503122010131003", "appointment month"),
    ("198503122030011003", "does not fit"),
    ("198503121995011003", "does not fit"),
    ("198503122010013003", "(sex)"),
])
def test_each_fault_has_its_own_message(nip, fault, app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(InvalidNIP) as refused:
            validate_nip(nip, today=date(2026, 11, 29))
        assert fault in str(refused.value)


@pytest.mark.parametrize("nip", ["１９８５０３１２２０１００１１００３", "١٩٨٥٠٣١٢٢٠١٠٠١١٠٠٣"])
def test_digits_that_are_not_ascii_are_refused_never_stored_as_typed(nip):
    with pytest.raises(InvalidNIP, match="0-9"):
        validate_nip(nip, today=date(2026, 11, 29))

import re
from datetime import date

import pytest
from flask_babel import force_locale

from plaju.accounts.nip import InvalidNIP, validate_asn_number, validate_ni_pppk, validate_nip


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


# --- NI PPPK: staff on a government work agreement ------------------------------------------------

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("raw,clean", [
    ("19931228 2025 21 2 001", "199312282025212001"),  # agreement count 21 where a NIP has a month
    ("199009132025242014", "199009132025242014"),
    ("19880101 2019 01 1 007", "198801012019011007"),
])
def test_an_ni_pppk_passes_by_its_own_structure(raw, clean):
    assert validate_ni_pppk(raw, today=TODAY) == clean
    assert validate_asn_number(raw, today=TODAY) == clean


def test_a_nip_still_passes_as_an_asn_number():
    assert validate_asn_number("19850312 201001 1 003", today=TODAY) == "198503122010011003"


@pytest.mark.parametrize("number,fault", [
    ("1993122820252120", "18 digits"),
    ("199313282025212001", "birth date"),
    ("199312282018212001", "year of appointment as PPPK"),
    ("199312282027212001", "year of appointment as PPPK"),
    ("201012282025212001", "does not fit the birth date"),
    ("199312282025002001", "cannot be 00"),
    ("199312282025213001", "(sex)"),
])
def test_each_ni_pppk_fault_has_its_own_message(number, fault, app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(InvalidNIP) as refused:
            validate_ni_pppk(number, today=TODAY)
        assert fault in str(refused.value)


def test_neither_says_why_for_both_in_bahasa(app):
    with app.test_request_context(), force_locale("id"):
        with pytest.raises(InvalidNIP) as refused:
            validate_asn_number("199312282025213001", today=TODAY)  # sex digit 3: neither
        text = str(refused.value)
        assert "bukan NIP dan bukan NI PPPK yang sah" in text and "Sebagai NI PPPK: " in text
        assert "jenis kelamin" in text and ".)" not in text and ".." not in text
        assert "((" not in text and ") (" not in text and not re.search(r"\([^)]*\(", text)  # no bracket in a bracket
        with pytest.raises(InvalidNIP) as short:
            validate_asn_number("12345", today=TODAY)
        assert "NIP atau NI PPPK harus 18 digit" in str(short.value)


def test_hr_enters_pppk_staff_with_their_ni_pppk_and_a_bad_one_changes_nothing(client, login_as, db):
    from sqlalchemy import select

    from plaju.accounts.models import User
    from tests.accounts.test_people import _form
    login_as("hr")
    refused = client.post("/people/new", data=_form(username="pppk1", nip="19931228 2025 00 2 001"))
    assert refused.status_code == 422
    assert "tidak boleh 00" in refused.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "pppk1")) is None
    response = client.post("/people/new", data=_form(username="pppk1", nip="19931228 2025 21 2 001"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(User.nip).where(User.username == "pppk1")) == "199312282025212001"

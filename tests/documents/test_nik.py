"""NIK structure: every fault has its own message; women's day + 40 is valid."""
from datetime import date

import pytest

from plaju.documents.nik import InvalidNIK, make_nik, mask_nik, validate_nik

TODAY = date(2026, 11, 30)


def test_a_palembang_nik_parses_birth_date_and_sex():
    nik = validate_nik("1671 0812 0390 0003", today=TODAY)
    assert (nik.value, nik.birth_date, nik.female) == ("1671081203900003", date(1990, 3, 12), False)


def test_women_add_forty_to_the_day():
    nik = validate_nik("1671085203900003", today=TODAY)
    assert (nik.birth_date, nik.female) == (date(1990, 3, 12), True)
    assert validate_nik("1671087112050001", today=TODAY).birth_date == date(2005, 12, 31)


@pytest.mark.parametrize("raw,fragment", [
    ("", "Isi NIK"),
    ("16710812039000O3", "hanya boleh berisi angka"),
    ("1671-0812-ABCD-0003", "hanya boleh berisi angka"),
    ("167108120390003", "harus 16 digit, bukan 15"),
    ("16710812039000031", "harus 16 digit, bukan 17"),
    ("1671001203900003", "kode kecamatan"),
    ("1671083202900003", "bukan tanggal lahir yang sah"),   # 32 February
    ("1671087203900003", "bukan tanggal lahir yang sah"),   # woman, day 32
    ("1671083102900003", "bukan tanggal lahir yang sah"),   # 31 February
    ("1671081213900003", "bukan tanggal lahir yang sah"),   # month 13
    ("1671084002900003", "bukan tanggal lahir yang sah"),   # day 40 is neither man nor woman
    ("1671081203900000", "nomor urut"),
])
def test_each_fault_has_its_own_indonesian_message(app, raw, fragment):
    with app.test_request_context():
        with pytest.raises(InvalidNIK) as fault:
            validate_nik(raw, today=TODAY)
        assert fragment in str(fault.value)


def test_birth_year_is_never_in_the_future():
    assert validate_nik("1671081203300003", today=TODAY).birth_date == date(1930, 3, 12)
    assert validate_nik("1671081203200003", today=TODAY).birth_date == date(2020, 3, 12)


def test_masking_and_generated_niks():
    assert mask_nik("1671081203900003") == "1671********0003"
    nik = make_nik(date(1985, 7, 9), True, 42)
    parsed = validate_nik(nik, today=TODAY)
    assert parsed.female and parsed.birth_date == date(1985, 7, 9)

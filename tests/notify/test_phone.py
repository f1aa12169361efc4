"""Phone numbers as typed at the counter, normalised to 62... for the gateways; anything that is not
an Indonesian mobile number is refused with a message that says what was expected."""
import pytest

from plaju.notify.phone import InvalidPhone, normalise_msisdn

VALID = [
    ("0812-3456-7890", "6281234567890"),
    ("0812 3456 7890", "6281234567890"),
    ("081234567890", "6281234567890"),
    ("+62 812-3456-7890", "6281234567890"),
    ("+6281234567890", "6281234567890"),
    ("62 812 3456 7890", "6281234567890"),
    ("6281234567890", "6281234567890"),
    ("+62 0812 3456 7890", "6281234567890"),  # the national 0 kept after the country code
    ("(0812) 3456.7890", "6281234567890"),
    ("0852-1234-5678", "6285212345678"),
    ("0811234567", "62811234567"),            # 10 digits, the shortest
    ("0813-1234-56789", "62813123456789"),    # 13 digits, the longest
    ("0896 1234 5678", "6289612345678"),
]

INVALID = [
    ("0711 512345", "bukan nomor ponsel Indonesia"),       # a Palembang landline
    ("(0711) 5123-4567", "bukan nomor ponsel Indonesia"),
    ("+62 711 512345", "bukan nomor ponsel Indonesia"),
    ("0801 2345 6789", "bukan nomor ponsel Indonesia"),    # 080x is no mobile prefix
    ("+65 8123 4567", "Hanya nomor ponsel Indonesia"),     # Singapore
    ("0065 8123 4567", "Hanya nomor ponsel Indonesia"),
    ("+1 202 555 0100", "Hanya nomor ponsel Indonesia"),
    ("0812-345", "10 sampai 13 angka"),
    ("0812-3456-7890-1234", "10 sampai 13 angka"),
    ("0812-ABC-7890", "angka 0-9"),
    ("٠٨١٢٣٤٥٦٧٨٩٠", "angka 0-9"),                          # Arabic-Indic digits
    ("０８１２３４５６７８９０", "angka 0-9"),                  # full-width digits
    ("", "Masukkan nomor ponsel"),
]


@pytest.mark.parametrize(("typed", "expected"), VALID)
def test_mobile_numbers_are_normalised_to_62(typed, expected):
    assert normalise_msisdn(typed) == expected


@pytest.mark.parametrize(("typed", "says"), INVALID)
def test_what_is_not_an_indonesian_mobile_number_is_refused_clearly(app, typed, says):
    with app.test_request_context():
        with pytest.raises(InvalidPhone) as refused:
            normalise_msisdn(typed)
        assert says in str(refused.value.message)


def test_a_normalised_number_normalises_to_itself():
    for _typed, expected in VALID:
        assert normalise_msisdn(expected) == expected



@pytest.mark.parametrize(("typed", "kept"), [("0711 512345", "62711512345"), ("(0711) 512-3456", "627115123456"),
                                             ("021-5550123", "62215550123"), ("0812-3456-7890", "6281234567890")])
def test_a_number_to_call_on_may_be_a_landline(typed, kept):
    from plaju.notify.phone import is_mobile, normalise_phone
    assert normalise_phone(typed) == kept and is_mobile(kept) == kept.startswith("628")


@pytest.mark.parametrize(("typed", "says"), [("0711-51", "9 to 11 digits"), ("+65 6123 4567", "(+62)"),
                                           ("+44 20 7946 0958", "(+62)"), ("08", "mobile"), ("0811", "mobile"),
                                           ("0912 3456 7890", "9 to 11 digits")])
def test_what_is_no_indonesian_number_is_refused_to_call_on_too(typed, says):
    from plaju.notify.phone import normalise_phone
    with pytest.raises(InvalidPhone) as refused:
        normalise_phone(typed)
    assert says in str(refused.value.message)

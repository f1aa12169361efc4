"""The IKM and its grade equal PermenPANRB 14/2017's formula on known inputs, boundaries included.

The reference below is written from the regulation's text, independently of plaju.survey.ikm:
NRR per element = sum / count; IKM = sum(NRR x 1/9); converted = IKM x 25, rounded half up to 2 decimals;
intervals 25.00-64.99 D, 65.00-76.60 C, 76.61-88.30 B, 88.31-100.00 A.
"""
from decimal import Decimal
from fractions import Fraction

import pytest

from plaju.survey import ikm


def reference(sums, n):
    total = Fraction(0)
    for s in sums:
        total += Fraction(s, n) * Fraction(1, 9)
    exact = total * 25
    # half up to 2 decimals by integer arithmetic
    hundredths = (exact * 100 * 2 + 1) // 2
    value = Decimal(int(hundredths)) / 100
    table = [(Decimal("25.00"), Decimal("64.99"), "D"), (Decimal("65.00"), Decimal("76.60"), "C"),
             (Decimal("76.61"), Decimal("88.30"), "B"), (Decimal("88.31"), Decimal("100.00"), "A")]
    letter = next(g for low, high, g in table if low <= value <= high)
    return value, letter


def sums_for(total: int, n: int) -> list[int]:
    """Nine element sums adding up to `total` for n respondents, each between n and 4n."""
    base, extra = divmod(total, 9)
    sums = [base + (1 if i < extra else 0) for i in range(9)]
    assert all(n <= s <= 4 * n for s in sums)
    return sums


# (respondents, sum of all their answers) -> expected converted value and grade; 25 x S / (9 n)
KNOWN = [
    (2500, 58491, "64.99", "D"),
    (5, 117, "65.00", "C"),
    (125, 3447, "76.60", "C"),
    (2500, 68949, "76.61", "B"),
    (250, 7947, "88.30", "B"),
    (2500, 79479, "88.31", "A"),
    (1, 9, "25.00", "D"),
    (1, 36, "100.00", "A"),
    (5000, 116991, "65.00", "C"),  # 64.995 exactly: rounded half up into C
    (900, 21059, "65.00", "C"),  # 64.9969...: rounds to 65.00
]


@pytest.mark.parametrize(("n", "total", "value", "letter"), KNOWN)
def test_known_inputs_give_the_regulations_index_and_grade(n, total, value, letter):
    sums = sums_for(total, n)
    index = ikm.compute(sums, [n] * 9)
    assert index.value == Decimal(value) == reference(sums, n)[0]
    assert index.letter == letter == reference(sums, n)[1]
    assert index.respondents == n


@pytest.mark.parametrize(("value", "letter", "label"), [
    ("64.99", "D", "Not good"), ("65.00", "C", "Less good"), ("76.60", "C", "Less good"),
    ("76.61", "B", "Good"), ("88.30", "B", "Good"), ("88.31", "A", "Very good"), ("25.00", "D", "Not good"),
    ("100.00", "A", "Very good"),
])
def test_grade_boundaries(value, letter, label):
    got_letter, got_label = ikm.grade(Decimal(value))
    assert got_letter == letter and str(got_label._args[0] if hasattr(got_label, "_args") else got_label) == label


def test_random_answers_agree_with_the_reference():
    import random
    rng = random.Random(14)
    for _ in range(300):
        n = rng.randint(1, 60)
        rows = [[rng.randint(1, 4) for _e in range(9)] for _r in range(n)]
        sums = [sum(r[e] for r in rows) for e in range(9)]
        index = ikm.compute(sums, [n] * 9)
        assert (index.value, index.letter) == reference(sums, n)
        assert index.weakest == min(range(9), key=lambda e: (sums[e], e))


def test_no_answers_give_no_index():
    index = ikm.compute([0] * 9, [0] * 9)
    assert index.value is None and index.letter is None and index.weakest is None


@pytest.mark.parametrize(("population", "sample"), [(10, 10), (50, 44), (100, 80), (500, 217), (1000, 278),
                                                    (0, 0)])
def test_minimum_sample_follows_krejcie_and_morgan(population, sample):
    assert ikm.minimum_sample(population) == sample


def test_the_questionnaire_has_the_regulations_nine_elements_with_four_answers_each(app):
    assert [e.number for e in ikm.ELEMENTS] == list(range(1, 10))
    with app.test_request_context():
        from flask_babel import force_locale
        with force_locale("id"):
            first = ikm.ELEMENTS[0]
            assert [str(a) for a in first.answers] == ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]
            assert str(ikm.ELEMENTS[3].answers[3]) == "Gratis"
            assert str(ikm.ELEMENTS[7].answers[3]) == "Dikelola dengan baik"
            assert "persyaratan" in str(first.question)
            assert str(ikm.GRADES[0][2]) == "Sangat baik"

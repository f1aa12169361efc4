"""The Survei Kepuasan Masyarakat (SKM) of PermenPANRB 14/2017: its nine elements, the questions and
answer labels of the regulation's questionnaire, and the index (IKM) with its grade.

IKM, as the regulation computes it:
  element mean (NRR)   = sum of the answers to the element / number of answers to it (1..4)
  IKM                  = sum over the nine elements of (NRR x 1/9)          (the weight 1/9, exactly)
  IKM (converted)      = IKM x 25                                           (25..100)
Computed with exact fractions; only the converted result is rounded, once, half up to two decimals.
The grade is read from the rounded value with the regulation's intervals:
  25.00-64.99 D (Tidak baik), 65.00-76.60 C (Kurang baik), 76.61-88.30 B (Baik), 88.31-100.00 A (Sangat baik).
(Worked examples in the regulation round the weight to 0.11; with 0.11 nine perfect elements give 99,
not 100, so the exact weight is used.)

Minimum sample: Krejcie and Morgan (the table the regulation refers to), s = X2 N P(1-P) /
(d2 (N-1) + X2 P(1-P)) with X2 = 3.841, P = 0.5, d = 0.05, rounded to the nearest whole number as
in their table (N 100 -> 80, 1000 -> 278); N = the requests handed over.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..i18n import lazy_gettext as _l

N_ELEMENTS = 9
WEIGHT = Fraction(1, N_ELEMENTS)
CONVERSION = 25


@dataclass(frozen=True)
class Element:
    number: int
    name: object
    question: object
    answers: tuple  # labels of the answers worth 1, 2, 3, 4


ELEMENTS = (
    Element(1, _l("Requirements"),
            _l("What is your opinion of how well the service requirements fit the type of service?"),
            (_l("Not appropriate"), _l("Less appropriate"), _l("Appropriate"), _l("Very appropriate"))),
    Element(2, _l("Systems, mechanisms and procedures"),
            _l("How do you find the ease of the service procedure at this unit?"),
            (_l("Not easy"), _l("Less easy"), _l("Easy"), _l("Very easy"))),
    Element(3, _l("Completion time"),
            _l("What is your opinion of the speed of the service?"),
            (_l("Not fast"), _l("Less fast"), _l("Fast"), _l("Very fast"))),
    Element(4, _l("Cost / tariff"),
            _l("What is your opinion of the fairness of the cost/tariff of the service?"),
            (_l("Very expensive"), _l("Rather expensive"), _l("Cheap"), _l("Free of charge"))),
    Element(5, _l("Service product specification"),
            _l("What is your opinion of how the service product listed in the service standard matches "
               "what you received?"),
            (_l("Not appropriate"), _l("Less appropriate"), _l("Appropriate"), _l("Very appropriate"))),
    Element(6, _l("Competence of the staff"),
            _l("What is your opinion of the competence/ability of the staff who served you?"),
            (_l("Not competent"), _l("Less competent"), _l("Competent"), _l("Very competent"))),
    Element(7, _l("Conduct of the staff"),
            _l("What is your opinion of the conduct of the staff regarding politeness and friendliness?"),
            (_l("Not polite and friendly"), _l("Less polite and friendly"), _l("Polite and friendly"),
             _l("Very polite and friendly"))),
    Element(8, _l("Handling of complaints, suggestions and input"),
            _l("What is your opinion of how complaints from service users are handled?"),
            (_l("There is none"), _l("There is, but it does not work"), _l("It works, but not fully"),
             _l("Well managed"))),
    Element(9, _l("Facilities and infrastructure"),
            _l("What is your opinion of the quality of the facilities and infrastructure?"),
            (_l("Poor"), _l("Adequate"), _l("Good"), _l("Very good"))),
)
assert len(ELEMENTS) == N_ELEMENTS

# grade: (lowest converted value, letter, quality label); the regulation's table, highest first
GRADES = (
    (Decimal("88.31"), "A", _l("Very good")),
    (Decimal("76.61"), "B", _l("Good")),
    (Decimal("65.00"), "C", _l("Less good")),
    (Decimal("25.00"), "D", _l("Not good")),
)

# the regulation's anonymous respondent profile
SEXES = (("L", _l("Male")), ("P", _l("Female")))
EDUCATION = (("sd", _l("Primary school or less")), ("smp", _l("Junior high school")),
             ("sma", _l("Senior high school")), ("d123", "D1 / D2 / D3"), ("s1", "D4 / S1"), ("s2", "S2"),
             ("s3", "S3"))
OCCUPATIONS = (("pns", "PNS"), ("tni", "TNI"), ("polri", "POLRI"), ("swasta", _l("Private employee")),
               ("wirausaha", _l("Self-employed")), ("lainnya", _l("Other")))
AGE_MIN, AGE_MAX = 15, 99


def round2(value: Fraction) -> Decimal:
    """Half up to two decimals, from the exact fraction (no binary floating point on the way)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def grade(converted: Decimal) -> tuple[str, object]:
    """(letter, quality label) of a converted IKM already rounded to two decimals."""
    for lowest, letter, label in GRADES:
        if converted >= lowest:
            return letter, label
    return "D", GRADES[-1][2]


@dataclass(frozen=True)
class Index:
    respondents: int
    element_means: tuple  # exact Fractions, one per element (None without answers)
    exact: Fraction | None  # IKM x 25, exact
    value: Decimal | None  # IKM x 25, rounded half up to 2 decimals
    letter: str | None
    label: object

    @property
    def element_values(self) -> tuple:
        """Each element's mean on the 25..100 scale (NRR x 25), rounded like the index."""
        return tuple(None if m is None else round2(m * CONVERSION) for m in self.element_means)

    @property
    def weakest(self) -> int | None:
        """Index (0-based) of the element with the lowest mean: the weak point to act on."""
        means = [(m, i) for i, m in enumerate(self.element_means) if m is not None]
        return min(means)[1] if means else None


def compute(sums, counts) -> Index:
    """sums[i], counts[i]: sum and number of the answers to element i (answers 1..4)."""
    sums, counts = list(sums), list(counts)
    if len(sums) != N_ELEMENTS or len(counts) != N_ELEMENTS:
        raise ValueError("the SKM has nine elements")
    means = tuple(Fraction(int(s), int(c)) if c else None for s, c in zip(sums, counts, strict=True))
    respondents = max(counts) if counts else 0
    if any(m is None for m in means):
        return Index(respondents, means, None, None, None, None)
    exact = sum((m * WEIGHT for m in means), Fraction(0)) * CONVERSION
    value = round2(exact)
    letter, label = grade(value)
    return Index(respondents, means, exact, value, letter, label)


def minimum_sample(population: int) -> int:
    """Krejcie and Morgan's sample size for a population of `population` service users."""
    if population <= 0:
        return 0
    chi2, p, d = Fraction(3841, 1000), Fraction(1, 2), Fraction(5, 100)
    size = chi2 * population * p * (1 - p) / (d * d * (population - 1) + chi2 * p * (1 - p))
    return min(population, int(size + Fraction(1, 2)))

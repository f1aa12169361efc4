"""The SKM dashboard: every number equals the one computed here from the raw answers, the weakest element
stands out, too few respondents are flagged, readers only, impossible filters answered clearly."""
import random
import re
from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from babel.dates import get_month_names
from sqlalchemy import event, func, select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentType
from plaju.survey import services as skm
from plaju.survey.models import SkmResponse


def reference_index(rows):
    """Written from PermenPANRB 14/2017, independently of plaju.survey."""
    n = len(rows)
    if not n:
        return None
    total = sum((Fraction(sum(r[e] for r in rows), n) / 9 for e in range(9)), Fraction(0)) * 25
    return (Decimal(total.numerator) / Decimal(total.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _generate(db, months, seed=7, count=120):
    rng = random.Random(seed)
    types = db.session.scalars(select(DocumentType).order_by(DocumentType.id).limit(3)).all()
    raw = []
    for _ in range(count):
        month, doc_type = rng.choice(months), rng.choice(types)
        answers = [rng.choices((1, 2, 3, 4), weights=(1, 2, 4, 3) if e != 2 else (3, 4, 2, 1))[0] for e in range(9)]
        db.session.add(SkmResponse(month=month, type_id=doc_type.id, comment=rng.choice(("", "", "Bagus")),
                                   **{f"u{e + 1}": a for e, a in enumerate(answers)}))
        raw.append((month, doc_type.id, answers))
    db.session.commit()
    return raw, types


def test_every_number_equals_the_reference_computed_from_raw_rows(client, db, users, doc_types, login_as):
    first, last = skm.default_period()
    months = skm.months_between(first, last)[-3:]
    raw, types = _generate(db, months)
    login_as("kasi")
    page = client.get("/reports/skm")
    assert page.status_code == 200
    report = skm.report(first, last)
    assert report.total.index.value == reference_index([a for _m, _t, a in raw])
    assert report.total.index.respondents == len(raw)
    by_month, by_type = defaultdict(list), defaultdict(list)
    for month, type_id, answers in raw:
        by_month[month].append(answers)
        by_type[type_id].append(answers)
    for row in report.months:
        assert row.index.value == reference_index(by_month.get(row.key, [])), row.key
        assert row.index.respondents == len(by_month.get(row.key, []))
        if by_month.get(row.key):
            cell = re.search(rf'data-testid="month-{row.key}".*?data-testid="ikm">([\d,]+)<', page.text, re.S)
            # written as Bahasa writes decimals: "76,75"
            assert Decimal(cell.group(1).replace(",", ".")) == reference_index(by_month[row.key])
        # a month reads as people say it ("Oktober 2026"), not as stored ("2026-10")
        said = f"{get_month_names('wide', locale='id')[int(row.key[5:])]} {row.key[:4]}"
        assert re.search(rf'data-testid="month-{row.key}"><td>{said}</td>', page.text), row.key
    for row in report.types:
        assert row.index.value == reference_index(by_type[row.key])
    # per element: mean x 25 and the weakest marked (element 3, answered low on purpose)
    for e, (_element, value, *_rest) in enumerate(report.elements):
        mean = Fraction(sum(a[e] for _m, _t, a in raw), len(raw)) * 25
        assert value == (Decimal(mean.numerator) / Decimal(mean.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert re.search(r'data-testid="element-3"[^>]*data-weakest="1"', page.text)
    assert len(re.findall(r'data-weakest="1"', page.text)) == 1
    # 120 respondents but no handed-over request in the data: fewer than needed is not claimed, since
    # the population is 0; a month with 1 answer is below the floor of 30 only against its population
    assert 'data-testid="skm-comments"' in page.text and "Bagus" in page.text
    assert not re.search(r"\d{4}-\d{2} ·", page.text)  # a comment's month reads in words too
    assert re.search(r"IKM [A-Z][a-z]+ \d{4} sampai [A-Z][a-z]+ \d{4}", page.text)  # months in words
    public = client.get("/skm").text
    assert re.search(r"Periode [A-Z][a-z]+ \d{4} sampai [A-Z][a-z]+ \d{4}", public)
    assert re.search(r'data-testid="ikm">\d+,\d\d<', public)  # a decimal comma, as Bahasa writes it
    for path in ("/reports/skm", "/skm"):  # the HTMX fragments render alone too
        fragment = client.get(path, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and 'id="main"' in fragment.text and "<html" not in fragment.text


def test_too_few_respondents_are_flagged(client, db, users, make_request, login_as):
    for _ in range(3):
        make_request("handed_over")
    db.session.add(SkmResponse(month=skm.month_of(skm.utcnow()), type_id=make_request("handed_over").type_id,
                               **{f"u{i}": 3 for i in range(1, 10)}))
    db.session.commit()
    login_as("camat")
    page = client.get("/reports/skm")
    assert 'data-testid="skm-warning"' in page.text
    report = skm.report(*skm.default_period())
    assert report.total.population == 4 and report.total.needed == 4 and report.total.too_few
    # every citizen served answered (one of one): nothing more to ask for, but said to rest on few answers
    from plaju.survey.services import Row
    whole = Row(key=None, label="", index=replace(report.total.index, respondents=1), population=1)
    assert whole.needed <= 1 and not whole.too_few and whole.small
    many = Row(key=None, label="", index=replace(report.total.index, respondents=29), population=200)
    assert many.too_few and many.required >= 30


def test_hr_reads_the_index_but_not_the_comments_and_an_asn_is_refused_and_audited(client, db, users, login_as):
    login_as("hr")
    page = client.get("/reports/skm")
    assert page.status_code == 200 and 'data-testid="skm-comments"' not in page.text
    login_as("asn")
    assert client.get("/reports/skm").status_code == 403
    db.session.rollback()
    [refused] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "skm.report")).all()
    assert refused.outcome == "refused" and refused.actor_id == users["asn"].id
    client.post("/logout")
    assert client.get("/reports/skm").status_code == 302


def test_a_nik_or_phone_written_in_a_comment_is_hidden_from_every_reader(client, db, doc_types, login_as):
    """The survey is anonymous: a citizen who wrote their NIK into the comment would be named by it, to the
    Sekcam as to the Camat."""
    from plaju.reports.competence import SMALL_UNIT
    db.session.add(SkmResponse(month=skm.default_period()[1], type_id=doc_types["sktm"].id,
                               comment="Cepat. NIK saya 1671010190000011, HP 0812-3456-7890.",
                               **{f"u{i}": 4 for i in range(1, 10)}))
    _answers(db, skm.default_period()[1], doc_types["sktm"], SMALL_UNIT - 1)  # enough answers to show it
    for reader in ("sekcam", "camat"):
        login_as(reader)
        page = client.get("/reports/skm").text
        assert "Cepat. NIK saya [nomor disamarkan]" in page, reader
        assert "1671010190000011" not in page and "3456-7890" not in page


@pytest.mark.parametrize("query", ["from=2026-13", "to=2026-02-30", "from=abc", "from=2026-06&to=2026-01",
                                   "type=999999", "type=x", "from=1800-01", "from=2020-01&to=2026-01"])
def test_impossible_filters_get_a_clear_message_and_the_default_period(client, db, users, login_as, query):
    login_as("sekcam")
    page = client.get(f"/reports/skm?{query}")
    assert page.status_code == 400
    assert re.search(r'data-testid="filter-error">[^<]+<', page.text)
    assert 'data-testid="skm-total"' in page.text


def test_the_public_page_shows_the_index_and_the_service_standards_without_login(client, db, doc_types):
    db.session.add(SkmResponse(month=skm.default_period()[1], type_id=doc_types["sktm"].id,
                               **{f"u{i}": 4 for i in range(1, 10)}))
    db.session.commit()
    page = client.get("/skm")
    assert page.status_code == 200
    assert 'data-testid="ikm">100,00<' in page.text and "Sangat baik" in page.text
    assert page.text.count('data-testid="standard"') == db.session.scalar(
        select(func.count()).select_from(DocumentType).where(DocumentType.active.is_(True)))
    assert "Surat Keterangan Tidak Mampu" in page.text


def _statements(app, client, path):
    from plaju.extensions import db as _db
    seen = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(_db.engine, "before_cursor_execute", listen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", listen)
    return len(seen)


def test_the_dashboard_needs_the_same_number_of_statements_with_more_answers(app, client, db, users, doc_types,
                                                                             login_as):
    first, last = skm.default_period()
    months = skm.months_between(first, last)
    _generate(db, months[-2:], seed=1, count=5)
    login_as("kasi")
    for path in ("/reports/skm", "/skm"):
        _statements(app, client, path)
    before = {path: _statements(app, client, path) for path in ("/reports/skm", "/skm")}
    _generate(db, months, seed=2, count=400)
    after = {path: _statements(app, client, path) for path in ("/reports/skm", "/skm")}
    assert before == after


def test_the_month_s_index_is_filed_in_the_monthly_report(client, db, users, make_request, login_as):
    """The monthly report held no IKM: an inspector could not file it with the month's service figures."""
    month = skm.month_of(skm.utcnow())
    for _n in range(3):
        req = make_request("handed_over")
        db.session.add(SkmResponse(month=month, type_id=req.type_id, **{f"u{i}": 4 for i in range(1, 10)}))
    db.session.commit()
    login_as("camat")
    page = client.get("/reports/bulanan", query_string={"bulan": month}).text
    assert "Kepuasan masyarakat (SKM/IKM)" in page and "IKM, semua layanan" in page and "100,00" in page
    xlsx = client.get("/reports/bulanan.xlsx", query_string={"bulan": month})
    assert xlsx.status_code == 200


def _answers(db, month, doc_type, n, comment="", value=4):
    for _n in range(n):
        db.session.add(SkmResponse(month=month, type_id=doc_type.id, comment=comment,
                                   **{f"u{i}": value for i in range(1, 10)}))
    db.session.commit()


def _label_of(page: str, comment: str) -> str:
    return re.search(rf'<span class="text-muted">([^<]*)</span><br>{comment}', page).group(1)


def test_a_type_with_too_few_answers_names_neither_its_comments_nor_its_figures(client, db, users, doc_types,
                                                                               login_as):
    """One citizen rated an SKTM in the month: "Desember 2026 · Surat Keterangan Tidak Mampu" above a
    comment told the readers whose it was, and "other services" with the month did too, beside the month's one
    SKTM handed over. Under SMALL_UNIT answers a type's comments of that month are not shown, and its figures
    are counted with the other services (joined by the smallest others, so the total less the types shown
    does not give them either; a pool that stays under SMALL_UNIT is not shown); asked for alone, it shows
    none, as a type with no answer."""
    from plaju.reports.competence import SMALL_UNIT
    month = skm.default_period()[1]
    sktm, ktp, kk = doc_types["sktm"], doc_types["ktp-baru"], doc_types["kk-baru"]
    _answers(db, month, sktm, SMALL_UNIT - 2, comment="Petugas loket ramah sekali", value=1)
    _answers(db, month, ktp, SMALL_UNIT, comment="Antrean KTP lama")
    _answers(db, month, kk, SMALL_UNIT + 2)
    for reader in ("kasi", "camat", "sekcam"):
        login_as(reader)
        page = client.get("/reports/skm").text
        assert "Petugas loket ramah sekali" not in page, reader
        assert ktp.name in _label_of(page, "Antrean KTP lama"), reader  # enough answers that month
    report = skm.report(*skm.default_period())
    hidden = {row.key for row in report.types if row.hidden}
    assert hidden == {sktm.id, ktp.id}  # the SKTM alone, and the smallest other to make the group large enough
    assert report.others.index.respondents == 2 * SMALL_UNIT - 2
    for type_id in (sktm.id, ktp.id):
        row = re.search(rf'<tr data-testid="type-{type_id}">.*?</tr>', page, re.S).group(0)
        assert 'data-testid="too-few-to-show"' in row and 'data-testid="ikm"' not in row
    assert 'data-testid="type-others"' in page
    assert 'data-testid="ikm"' in re.search(rf'<tr data-testid="type-{kk.id}">.*?</tr>', page, re.S).group(0)
    # asked for alone, the SKTM shows no figure and no comment; the type with enough answers does
    alone = client.get("/reports/skm", query_string={"type": sktm.id}).text
    assert 'data-testid="skm-hidden"' in alone and "Petugas loket ramah sekali" not in alone
    assert 'data-testid="ikm"' not in alone and 'data-weakest' not in alone
    enough = client.get("/reports/skm", query_string={"type": ktp.id}).text
    assert 'data-testid="skm-hidden"' not in enough and "Antrean KTP lama" in enough


def test_other_services_of_fewer_than_a_small_group_show_no_figures_and_none_is_told_from_one(
        client, db, users, doc_types, login_as):
    """The month's only answers were one Domisili: "other services, 1 respondent, IKM 83,33" beside
    "Domisili, 1 handed over" was that citizen's rating; asking for a type said "fewer than 3" for it and
    "0 respondents" for the others."""
    month = skm.default_period()[1]
    sktm, ktp = doc_types["sktm"], doc_types["ktp-baru"]
    _answers(db, month, sktm, 1, value=2)
    login_as("kasi")
    page = client.get("/reports/skm").text
    assert 'data-testid="type-others"' not in page
    assert skm.report(*skm.default_period()).others is None
    none = client.get("/reports/skm", query_string={"type": ktp.id}).text
    one = client.get("/reports/skm", query_string={"type": sktm.id}).text
    assert 'data-testid="skm-hidden"' in none and 'data-testid="skm-hidden"' in one

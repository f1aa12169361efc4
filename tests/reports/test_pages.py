"""The report pages: who may see them (refusals audited), filters told in words, downloads that open."""
import csv
import io
import re

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentRequest, DocumentType
from plaju.reports import exports
from plaju.reports.charts import bar_chart, line_chart
from plaju.reports.filters import last_complete_month, this_month
from tests.support import spelled

PAGES = ["/reports/layanan", "/reports/kompetensi", "/reports/bulanan", "/reports/layanan.csv",
         "/reports/kompetensi.csv", "/reports/bulanan.xlsx", "/reports/bulanan.pdf"]


def _events(db, **where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(**where))


@pytest.mark.parametrize("who", ["camat", "sekcam", "kasi", "hr"])
def test_viewers_see_every_report(client, login_as, office, who):
    office(3, 12)
    login_as(who)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (who, path)
    page = client.get("/reports/layanan").get_data(as_text=True)
    assert 'data-testid="chart"' in page and "<svg" in page
    assert " style=" not in page and "<script>" not in page  # CSP: no inline style or script


@pytest.mark.parametrize("who", ["asn", "clerk", "admin"])
def test_others_are_refused_and_the_refusal_is_audited(client, login_as, db, who):
    login_as(who)
    for path in PAGES:
        before = _events(db, action="report.view", outcome="refused")
        assert client.get(path).status_code == 403, path
        assert _events(db, action="report.view", outcome="refused") == before + 1


def test_anonymous_is_sent_to_sign_in(client, db):
    assert client.get("/reports/layanan").status_code == 302


@pytest.mark.parametrize("query, words", [
    ("/reports/layanan?bulan=2026-13", "tidak ada"),
    ("/reports/layanan?bulan=November", "TTTT-BB"),
    ("/reports/layanan?bulan=2999-01", "di luar"),
    ("/reports/layanan?titik=2026-02-30", "tidak ada di kalender"),
    ("/reports/layanan?titik=30-06-2026", "TTTT-BB-HH"),
    ("/reports/layanan?jenis=999999", "tidak dikenal"),
    ("/reports/layanan?jenis=abc", "tidak dikenal"),
    ("/reports/layanan?kelurahan=Antah+Berantah", "bukan kelurahan"),
    ("/reports/kompetensi?tahun=1999", "tahun"),
    ("/reports/kompetensi?tahun=dua", "tahun"),
    ("/reports/bulanan?bulan=2026-00", "tidak ada"),
])
def test_impossible_filters_are_told_in_bahasa(client, login_as, db, query, words):
    login_as("camat")
    before = _events(db)
    response = client.get(query)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'data-testid="report-error"' in text
    assert words.lower() in text.lower(), re.findall(r'report-error">([^<]*)', text)
    assert _events(db) == before  # nothing recorded, nothing changed


@pytest.mark.parametrize("path", ["/reports/layanan.csv?bulan=2026-13", "/reports/bulanan.xlsx?bulan=x",
                                  "/reports/bulanan.pdf?bulan=2026-02-30", "/reports/kompetensi.csv?tahun=0"])
def test_downloads_with_impossible_filters_are_refused_in_words(client, login_as, db, path):
    login_as("hr")
    response = client.get(path)
    assert response.status_code == 422
    assert "tidak" in response.get_data(as_text=True).lower()


def test_csv_has_the_page_numbers_and_escapes_formulas(client, login_as, db, office):
    office(4, 10)
    evil = db.session.scalars(select(DocumentType).where(DocumentType.code == "uji-lokal")).one()
    evil.name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    login_as("kasi")
    response = client.get("/reports/layanan.csv?tabel=jenis")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Jenis dokumen"
    # of the requests finished, those returned first (not those with the citizen now, which it read as)
    assert rows[0][6] == "Selesai setelah sempat dikembalikan ke pemohon"
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert not any(name.startswith("=") for name in names)
    page = client.get("/reports/layanan").get_data(as_text=True)
    total = sum(int(row[1]) for row in rows[1:])
    assert f'data-testid="kpi-received">{total}<' in page
    assert client.get("/reports/layanan.csv?tabel=nothing").status_code == 404


def test_xlsx_and_pdf_of_the_monthly_report(client, login_as, db, office):
    office(8, 25)
    login_as("camat")
    month = this_month()
    response = client.get(f"/reports/bulanan.xlsx?bulan={month}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    report = exports.monthly_report(month)
    assert sheet.title == report["title"]  # "November 2026", not "2026-11"
    numbers = 0
    for title, headers, rows in exports.monthly_tables(report):
        at = next(i for i, row in enumerate(values) if row[0] == title)
        assert list(values[at + 1][:len(headers)]) == headers
        for offset, row in enumerate(rows, start=2):
            # hours and shares are numbers one can calculate with, the page's text otherwise
            expected = [getattr(v, "number", None) if getattr(v, "number", None) is not None else v for v in row]
            assert list(values[at + offset][:len(row)]) == expected
            numbers += sum(isinstance(getattr(v, "number", None), float) for v in row)
    assert numbers > 0
    share = next(c for row in sheet.iter_rows() for c in row if c.number_format == "0.0%")
    assert isinstance(share.value, (int, float)) and 0 <= share.value <= 1
    pdf = client.get(f"/reports/bulanan.pdf?bulan={month}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # the PDF prints what the page shows: a figure without data is a dash, a unit-less row "—", never "?"
    document = pdfium.PdfDocument(pdf.data)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    cells = [str(v) for _t, _h, rows in exports.monthly_tables(report) for row in rows for v in row]
    assert "–" in cells and "–" in text and "?" not in text
    page = client.get(f"/reports/bulanan?bulan={month}").get_data(as_text=True)
    assert "@media print" not in page  # the print rules live in the stylesheet
    # a phone's card leaves a figure without data out (plaju.css hides .no-figure in a stacked table)
    assert 'class="no-figure">–</td>' in page and '">–</td>' not in page.replace('class="no-figure">–</td>', "")
    assert "reports.css" in page and 'data-testid="monthly-table"' in page


def test_next_year_opens_with_its_plans_and_the_training_on_the_way(client, login_as, db, users):
    """Plans are made for next year, and a course from 30 December to 1 January counts there: the report
    refused any year after this one."""
    from datetime import date

    from plaju.timeutil import today_wib
    from plaju.training.models import Course, Enrolment
    year = today_wib().year
    course = Course(title="Pelatihan Pergantian Tahun", kind="teknis", method="pelatihan", jp=24,
                    starts_on=date(year, 12, 30), ends_on=date(year + 1, 1, 1))
    db.session.add(course)
    db.session.flush()
    db.session.add(Enrolment(course_id=course.id, user_id=users["asn"].id, state="approved"))
    db.session.commit()
    login_as("hr")
    page = client.get(f"/reports/kompetensi?tahun={year + 1}")
    assert page.status_code == 200 and not page.headers.get("X-Refused-Status")
    table = page.text.split('data-testid="no-jp"')[1]
    row = table.split(users["asn"].full_name)[1].split("</tr>")[0]
    assert ">24<" in row  # on the way in the year it ends
    assert client.get(f"/reports/kompetensi?tahun={year + 2}").headers.get("X-Refused-Status") == "422"


def test_no_jp_list_for_the_office_s_leaders_hr_and_supervisors(client, login_as, db, users):
    """The Camat saw only the two ASN he supervises directly while the plans named everyone's JP to him: he
    and the Sekcam answer for every ASN's 20 JP, as HR keeps the records."""
    for who in ("hr", "camat", "sekcam"):
        login_as(who)
        page = client.get("/reports/kompetensi").get_data(as_text=True)
        table = page.split('data-testid="no-jp"')[1]
        assert users["asn"].full_name in table and users["clerk"].full_name in table, who
        assert "Seluruh ASN kantor" in page
        assert client.get("/reports/kompetensi.xlsx?tabel=belum-jp").status_code == 200
    from plaju.accounts.models import User
    plain = db.session.get(User, users["clerk"].id)  # supervises nobody, leads nothing
    login_as(plain.username)
    assert client.get("/reports/kompetensi.csv?tabel=belum-jp").status_code in (403, 404)
    login_as("kasi")  # supervises the clerk and the ASN, not HR
    page = client.get("/reports/kompetensi").get_data(as_text=True)
    assert 'data-testid="no-jp"' in page
    assert users["asn"].full_name in page and users["clerk"].full_name in page
    table = page.split('data-testid="no-jp"')[1]
    assert users["hr"].full_name not in table


def _statements(app, client, path) -> int:
    from plaju.extensions import db
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_constant_number_of_statements(app, client, login_as, db, office):
    office(21, 8)
    login_as("hr")
    paths = ["/reports/layanan?titik=2026-06-01", "/reports/kompetensi", "/reports/bulanan",
             "/reports/bulanan.xlsx"]
    small = {path: _statements(app, client, path) for path in paths}
    office(22, 40)
    assert db.session.scalar(select(func.count()).select_from(DocumentRequest)) == 48
    large = {path: _statements(app, client, path) for path in paths}
    assert large == small


def test_the_month_field_shows_the_month_on_screen(client, login_as, office):
    """The Camat sees which month the report is of in its own field, not an empty "---------- ----"."""
    office(3, 5)
    login_as("camat")
    # the monthly report is of the last complete month (on the 1st the new one holds nothing yet); the
    # dashboard runs to this month
    for path, month in (("/reports/bulanan", last_complete_month()), ("/reports/layanan", this_month())):
        page = client.get(path).get_data(as_text=True)
        assert f'name="bulan" value="{month}"' in page, path


@pytest.mark.parametrize("count", [5, 6, 7, 11, 12, 13])
def test_month_labels_never_stand_side_by_side_and_the_newest_is_named(count):
    """Twelve months labelled every other one from January, with December forced, wrote "Nov 26Des 26"."""
    labels = [f"m{i}" for i in range(count)]
    for chart, key in ((bar_chart(labels, list(range(count))), "bars"),
                       (line_chart(labels, [("series-a", list(range(count)))]), "axis")):
        shown = [i for i, slot in enumerate(chart[key]) if slot["show_label"]]
        assert shown[-1] == count - 1
        if count <= 6:
            assert shown == list(range(count))
        else:
            assert all(b - a == 2 for a, b in zip(shown, shown[1:], strict=False))


def test_a_table_in_excel_keeps_an_nip_as_its_18_digits(client, login_as, db, users):
    """Excel reads an 18-digit NIP in a CSV as a number and keeps 15 digits of it: the list of who still
    needs JP is also offered as XLSX, where the NIP is text and the figures are numbers."""
    users["asn"].nip = "198503142010011002"
    db.session.commit()
    login_as("hr")
    page = client.get("/reports/kompetensi").get_data(as_text=True)
    assert 'href="/reports/kompetensi.xlsx?tabel=belum-jp' in page and "Unduh XLSX (Excel)" in page
    response = client.get("/reports/kompetensi.xlsx?tabel=belum-jp")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Nama", "NIP")
    row = next(r for r in rows[1:] if r[0] == users["asn"].full_name)
    assert row[1] == "198503142010011002" and isinstance(row[4], int)


def test_a_kelurahan_with_open_requests_is_listed_even_without_any_received_this_month():
    """The monthly report left out Bagus Kuning (3 open, none received in the month), so its open
    requests added up to 22 by kelurahan and 25 by type: the page and the report share one rule now."""
    from types import SimpleNamespace
    board = SimpleNamespace(by_kelurahan={}, backlog={"by_kelurahan": {"Bagus Kuning": {"open": 3, "overdue": 1}}})
    assert exports.kelurahan_rows(board) == [["Bagus Kuning", 0, 0, "–", "–", 3, 1]]


def test_the_open_and_overdue_figures_lead_to_those_requests_for_who_may_open_them(client, login_as, office):
    office(3, 5)
    login_as("camat")
    page = client.get("/reports/layanan").text
    assert 'data-testid="kpi-open-link"' in page and "/documents/?state=open&amp;flag=overdue" in page
    login_as("hr")  # reads the reports, not the citizens' requests: the figures stay plain
    assert 'data-testid="kpi-open-link"' not in client.get("/reports/layanan").text


def test_the_home_card_says_what_waits_past_its_deadline_beside_the_month_s_share(client, login_as, db, users):
    """"100 %" in green, 4 of 4 finished this month, while eight requests waited past their deadline."""
    from datetime import timedelta

    from plaju.database import utcnow
    from plaju.documents.seed import seed_types
    from plaju.documents.services import create_request
    from tests.documents.conftest import subject_for, valid_nik
    types = seed_types()
    for n in range(2):
        req = create_request(actor=users["clerk"], nik=valid_nik(True), name=f"Warga {spelled(n)}", phone="",
                             kelurahan="Plaju Darat", doc_type=types["ktp-baru"],
                             ticked={r.id for r in types["ktp-baru"].requirements}, purpose="", address="",
                             subject=subject_for("applicant"))
        req.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    login_as("camat")
    home = client.get("/").text
    card = home.split("Sesuai standar pelayanan bulan ini")[1].split("</a>")[0]
    assert "belum ada yang siap diambil bulan ini; 2 permohonan yang belum selesai sudah lewat waktu" in card
    assert "/documents/?state=open&amp;flag=overdue" in home.split("Sesuai standar pelayanan bulan ini")[1][:3000]
    login_as("kasi")  # has the overdue requests on a card of their own: said once
    assert client.get("/").text.count("sudah lewat waktu") == 0


def test_a_month_still_running_is_marked_provisional(client, login_as, db, office):
    """December one day old, four requests: plotted as a month, its median of half an hour read as waits gone."""
    login_as("camat")
    running = client.get("/reports/layanan", query_string={"bulan": this_month()}).text
    assert 'data-testid="running-note"' in running and "(berjalan)" in running
    over = client.get("/reports/layanan", query_string={"bulan": last_complete_month()}).text
    assert 'data-testid="running-note"' not in over and "(berjalan)" not in over
    # a file keeps the plain month, which a spreadsheet sorts and reads as a date
    csv_text = client.get("/reports/layanan.csv", query_string={"bulan": this_month(), "tabel": "waktu"}).text
    assert "(berjalan)" not in csv_text and f"\r\n{this_month()};" in csv_text


def test_a_filtered_dashboard_leads_to_its_own_requests_and_names_its_files(client, login_as, db, office):
    """"Overdue now: 3" for Plaju Ilir led to the whole queue's 8; its files were named as the office's."""
    login_as("camat")
    page = client.get("/reports/layanan", query_string={"kelurahan": "Plaju Ilir"}).text
    link = re.search(r'href="([^"]+)" data-testid="kpi-overdue-link"', page).group(1)
    assert "flag=overdue" in link and "kelurahan=Plaju+Ilir" in link
    response = client.get("/reports/layanan.csv", query_string={"kelurahan": "Plaju Ilir", "tabel": "volume"})
    assert "plaju-ilir" in response.headers["Content-Disposition"]


def test_every_copy_of_the_monthly_report_says_when_it_was_made_and_a_running_month_says_so(
        client, login_as, db, office):
    login_as("camat")
    running = client.get("/reports/bulanan", query_string={"bulan": this_month()}).text
    assert "Bulan ini masih berjalan: angka sementara, dibuat pada" in running
    closed = client.get("/reports/bulanan", query_string={"bulan": last_complete_month()}).text
    assert "Dibuat pada" in closed and "masih berjalan" not in closed and "(sampai " in closed
    pdf = client.get("/reports/bulanan.pdf", query_string={"bulan": last_complete_month()}).data
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))
    assert "Dibuat pada" in text


def test_a_unit_too_small_shows_no_figures_to_who_may_not_see_its_people(client, login_as, db, users):
    """Any Kasi read "Pimpinan Kecamatan 1 ASN, 0 JP": the Camat's own training. A unit of fewer than three
    shows its figures to HR and to its own supervisor only, in the page, its chart and its CSV."""
    from plaju.accounts.models import Unit
    from plaju.database import utcnow
    from plaju.timeutil import today_wib
    from plaju.training.models import Course, Enrolment
    top = Unit(code="pimpinan", name="Pimpinan Kecamatan", kind="pimpinan")
    db.session.add(top)
    db.session.flush()
    users["camat"].unit_id = top.id
    course = Course(title="Diklat Pimpinan", kind="manajerial", method="kursus", jp=7)
    db.session.add(course)
    db.session.flush()
    db.session.add(Enrolment(course_id=course.id, user_id=users["camat"].id, state="verified", jp_credited=7,
                             credited_year=today_wib().year, verified_at=utcnow()))
    db.session.commit()

    def row(url="/reports/kompetensi.csv?tabel=unit"):
        text = client.get(url).get_data(as_text=True)
        return next(line for line in text.splitlines() if line.startswith("Pimpinan Kecamatan"))
    login_as("kasi")
    assert "terlalu sedikit untuk ditampilkan" in row() and "7" not in row()
    page = client.get("/reports/kompetensi").get_data(as_text=True)
    assert "terlalu sedikit untuk ditampilkan" in page
    assert "Unit Uji;" in client.get("/reports/kompetensi.csv?tabel=unit").get_data(as_text=True)  # big enough
    login_as("hr")
    assert row().split(";")[1:3] == ["1", "0"] and "7" in row()
    login_as("camat")  # supervises people of his own unit (the Kasi report to him)
    assert "7" in row()

"""The training history export: CSV and XLSX with chosen columns (or the SIASN preset), text that a
spreadsheet would run as a formula escaped, access by rule (self, unit supervisor, HR) and every export
and refusal audited."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.training.services import history as history_service


def _events(outcome):
    from plaju.extensions import db
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "training_history.export", AuditEvent.outcome == outcome))


def _csv_rows(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_an_asn_exports_their_own_history_with_the_siasn_columns(client, login_as, users, make_course, enrol):
    enrol(make_course(title="Pelayanan Prima", jp=24, provider="BPSDM Sumsel"), users["asn"], "verified")
    enrol(make_course(title="Lain orang", jp=8), users["clerk"], "verified")
    login_as("asn")
    response = client.post("/training/history/", data={"user_id": users["asn"].id, "unit_id": 0, "fmt": "csv",
                                                       "preset": "siasn"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv_rows(response.data)
    assert header == ["NIP", "Nama", "Jenis diklat", "Nama diklat/kursus", "Institusi penyelenggara",
                      "Nomor sertifikat", "Tanggal mulai", "Tanggal selesai", "Tahun", "Jumlah jam (JP)"]
    assert [(r[3], r[4], r[9]) for r in rows] == [("Pelayanan Prima", "BPSDM Sumsel", "24")]
    assert _events("ok") == 1


def test_the_form_an_asn_is_shown_is_the_form_that_downloads(client, login_as, users, make_course, enrol):
    """Every ASN's download failed with a silent 422: the unit choice, not shown to someone with no unit to
    choose, was not sent either. Posted as the page sends it, the form downloads."""
    import re
    enrol(make_course(title="Pelayanan Prima", jp=24), users["asn"], "verified")
    login_as("asn")
    page = client.get("/training/history/").text
    form = page.split('data-testid="history-export"')[1].split("</form>")[0]
    sent = dict(re.findall(r'<input[^>]*name="(unit_id|csrf_token)"[^>]*value="([^"]*)"', form))
    assert "unit_id" in sent
    sent.update(user_id=users["asn"].id, fmt="csv", preset="siasn")
    response = client.post("/training/history/", data=sent)
    assert response.status_code == 200 and "Pelayanan Prima" in response.data.decode("utf-8-sig")


def test_someone_else_s_history_is_refused_and_audited(client, login_as, users):
    login_as("asn")
    response = client.post("/training/history/", data={"user_id": users["clerk"].id, "unit_id": 0, "fmt": "csv",
                                                       "preset": "siasn"})
    assert response.status_code == 403 and "riwayat diklat Anda sendiri" in response.text
    refused = history_service.export
    import pytest

    from plaju.workflow import NotAllowed
    with pytest.raises(NotAllowed):
        refused(users["asn"], "csv", ["name"], person_id=users["clerk"].id)
    with pytest.raises(NotAllowed):
        refused(users["asn"], "csv", ["name"], unit_id=users["asn"].unit_id)
    assert _events("refused") == 3 and _events("ok") == 0


def test_a_supervisor_exports_the_unit_in_their_own_column_order_escaped(client, login_as, users, make_course, enrol):
    enrol(make_course(title="=HYPERLINK(\"http://x\",\"klik\")", jp=6), users["asn"], "verified")
    enrol(make_course(title="@SUM(A1)", jp=4, provider="-2+3"), users["clerk"], "verified")
    login_as("kasi")  # supervises the clerk and the ASN in the same unit
    data = {"user_id": 0, "unit_id": users["asn"].unit_id, "fmt": "xlsx", "preset": "custom",
            "order_jp": "1", "order_course": "2", "order_provider": "3", "order_name": "4"}
    response = client.post("/training/history/", data=data)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Jumlah jam (JP)", "Nama diklat/kursus", "Institusi penyelenggara", "Nama")
    body = sorted(rows[1:], key=lambda r: r[0])
    # text cells, never formulas, and as typed: the CSV's apostrophe is not shown in the workbook
    assert body[0][:3] == (4, "@SUM(A1)", "-2+3")
    assert body[1][:2] == (6, "=HYPERLINK(\"http://x\",\"klik\")")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    csv_response = client.post("/training/history/", data={**data, "fmt": "csv"})
    assert any(row[1].startswith("'=") for row in _csv_rows(csv_response.data)[1:])
    twice = client.post("/training/history/", data={**data, "order_name": "1"})
    assert twice.status_code == 422 and "nomor urut yang sama" in twice.text
    assert _events("ok") == 2
    login_as("hr")  # the log says it in HR's words: the unit by name, the columns by their headers
    log = client.get("/audit/").text
    assert "Kolom: Jumlah jam (JP), Nama diklat/kursus, Institusi penyelenggara, Nama" in log
    assert "jp,course,provider,name" not in log and "unit #" not in log


def test_hr_exports_anyone(users, make_course, enrol):
    enrol(make_course(title="Seminar", jp=4), users["clerk"], "verified")
    data, name = history_service.export(users["hr"], "xlsx", list(history_service.PRESETS["full"]),
                                        person_id=users["clerk"].id)
    assert name.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[0][0] == "NIP"


def test_hr_exports_the_history_of_someone_who_has_left(client, login_as, db, users, make_course, enrol):
    """SIASN and the next office ask for it: the form offered only active accounts and refused the rest."""
    enrol(make_course(title="Seminar Kearsipan", jp=4), users["clerk"], "verified")
    users["clerk"].active = False
    db.session.commit()
    login_as("hr")
    form = client.get("/training/history/").text
    assert f'value="{users["clerk"].id}"' in form and "sudah tidak aktif" in form
    response = client.post("/training/history/", data={"user_id": users["clerk"].id, "unit_id": 0, "fmt": "csv",
                                                        "preset": "full"})
    assert response.status_code == 200 and "Seminar Kearsipan" in response.get_data(as_text=True)


def test_hr_exports_the_whole_office_for_siasn_and_nobody_else_may(client, login_as, db, users, make_course, enrol):
    """At the year's end SIASN takes every ASN's training: HR had to export unit by unit (and people without a
    unit not at all). A supervisor posting the whole office is refused and the refusal audited."""
    enrol(make_course(title="Seminar Kearsipan", jp=4), users["clerk"], "verified")
    enrol(make_course(title="Bimtek Pelayanan", jp=6), users["asn"], "verified")
    users["asn"].unit_id = None  # someone recorded without a unit is part of the office too
    db.session.commit()
    login_as("hr")
    assert "Seluruh kantor" in client.get("/training/history/").text
    # the person field starts on HR itself: choosing the office below is what counts
    response = client.post("/training/history/", data={"user_id": users["hr"].id, "unit_id": -1, "fmt": "csv",
                                                        "preset": "full"})
    assert response.status_code == 200 and "riwayat-diklat-kantor.csv" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert "Seminar Kearsipan" in text and "Bimtek Pelayanan" in text
    assert "Seluruh kantor" in client.get("/audit/?action=training_history.export").text
    login_as("kasi")
    assert "Seluruh kantor" not in client.get("/training/history/").text
    refused = client.post("/training/history/", data={"user_id": 0, "unit_id": -1, "fmt": "csv", "preset": "full"})
    assert refused.status_code == 403 and _events("refused") == 1


def test_the_camat_and_the_sekcam_export_anyone_as_the_form_offers_it(client, login_as, users, make_course, enrol):
    """They answer for every ASN's 20 JP: the rule let them, while the form offered only their own unit, and a
    posted choice it did not offer was recorded as exported with no file delivered."""
    enrol(make_course(title="Seminar Kearsipan", jp=4), users["clerk"], "verified")
    for who in ("camat", "sekcam"):
        login_as(who)
        form = client.get("/training/history/").text
        assert "Seluruh kantor" in form and users["clerk"].full_name in form, who
        response = client.post("/training/history/", data={"user_id": users["clerk"].id, "unit_id": 0,
                                                            "fmt": "csv", "preset": "siasn"})
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"], who
        assert "Seminar Kearsipan" in response.get_data(as_text=True)


def test_a_course_without_dates_is_exported_with_the_day_it_was_finished(client, login_as, db, users, make_course,
                                                                         enrol):
    """A self-paced e-learning names no dates: its SIASN rows had empty start and end dates, which SIASN
    does not take. They read the certificate's date (else the day of completion)."""
    from datetime import date
    done = enrol(make_course(title="Belajar Mandiri Etika", jp=2, starts_on=None, ends_on=None), users["asn"],
                 "verified")
    done.certificate_date = date(2026, 11, 20)
    db.session.commit()
    login_as("asn")
    response = client.post("/training/history/", data={"user_id": users["asn"].id, "unit_id": 0, "fmt": "csv",
                                                       "preset": "siasn"})
    [row] = _csv_rows(response.data)[1:]
    assert (row[6], row[7]) == ("20-11-2026", "20-11-2026")


def test_the_day_of_verification_is_palembang_s_day(db, users, make_course, enrol):
    """Verified at 06.00 WIB on 11 June, stored as 23.00 UTC on 10 June: exported as 10 June."""
    from datetime import date, datetime
    done = enrol(make_course(title="Seminar", jp=4), users["clerk"], "verified")
    done.verified_at = datetime(2026, 6, 10, 23, 0)
    db.session.commit()
    data, _name = history_service.export(users["hr"], "xlsx", ["verified_at"], person_id=users["clerk"].id)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[1][0].date() == date(2026, 6, 11)


def test_hr_exports_one_year_for_siasn(client, login_as, db, users, make_course, enrol):
    """The year-end file for SIASN held last year's rows too: entered again there."""
    last = enrol(make_course(title="Diklat Lama", jp=10), users["asn"], "verified")
    last.credited_year = last.credited_year - 1
    enrol(make_course(title="Diklat Baru", jp=4), users["asn"], "verified")
    db.session.commit()
    login_as("hr")
    page = client.get("/training/history/").text
    assert f'<option value="{last.credited_year}">' in page and "Semua tahun" in page
    this_year = last.credited_year + 1
    response = client.post("/training/history/", data={"user_id": 0, "unit_id": -1, "fmt": "csv", "preset": "siasn",
                                                       "year": this_year})
    assert response.status_code == 200 and f"-{this_year}.csv" in response.headers["Content-Disposition"]
    assert "Diklat Baru" in response.text and "Diklat Lama" not in response.text
    every = client.post("/training/history/", data={"user_id": 0, "unit_id": -1, "fmt": "csv", "preset": "siasn"})
    assert "Diklat Baru" in every.text and "Diklat Lama" in every.text

"""A report's table of named people (who has not reached the yearly JP: name, NIP, JP still needed) leaves a
trace each time it is downloaded, as the training history's export does; tables of figures do not. HR preparing
for an inspection found the training history's exports in the log and not these."""
import io

from openpyxl import load_workbook
from sqlalchemy import select

from plaju.audit import sentences, vocabulary
from plaju.audit.models import AuditEvent
from plaju.timeutil import today_wib
from tests.audit.conftest import seqs


def _exports(db) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.export")
                                   .order_by(AuditEvent.seq)))


def test_each_download_of_the_named_list_is_recorded_with_its_table_and_filters(client, login_as, db, users):
    year = today_wib().year
    login_as("hr")
    csv_file = client.get(f"/reports/kompetensi.csv?tabel=belum-jp&tahun={year}")
    assert csv_file.status_code == 200 and users["asn"].full_name in csv_file.get_data(as_text=True)
    xlsx_file = client.get("/reports/kompetensi.xlsx?tabel=belum-jp")
    assert xlsx_file.status_code == 200
    listed = len(list(load_workbook(io.BytesIO(xlsx_file.data)).active.iter_rows())) - 1
    login_as("kasi")  # a supervisor: the people they supervise
    assert client.get("/reports/kompetensi.csv?tabel=belum-jp").status_code == 200
    found = _exports(db)
    assert [(e.actor_id, e.outcome, e.subject_type, e.subject_id) for e in found] == [
        (users["hr"].id, "ok", "report", "kompetensi"), (users["hr"].id, "ok", "report", "kompetensi"),
        (users["kasi"].id, "ok", "report", "kompetensi")]
    assert [e.changes_dict for e in found[:2]] == [
        {"table": [None, "belum-jp"], "format": [None, "csv"], "rows": [None, listed], "year": [None, year]},
        {"table": [None, "belum-jp"], "format": [None, "xlsx"], "rows": [None, listed], "year": [None, year]}]
    assert found[2].changes_dict["rows"][1] == 2  # the clerk and the ASN, not the whole office
    # HR finds them among the data access of /audit/, each in words: its table, not its code
    login_as("hr")
    body = client.get("/audit/?action=data-access").get_data(as_text=True)
    assert {e.seq for e in found} <= set(seqs(body))
    line = sentences.render([found[0]], subjects=True)[0]
    assert line.subject == "Laporan kompetensi"
    assert {c.name for c in line.changes} == {"table", "format", "rows", "year"}
    table = next(c for c in line.changes if c.name == "table")
    assert table.label != "table" and table.after not in ("belum-jp", "—")
    assert vocabulary.action_label("report.export") != "report.export"


def test_tables_of_figures_are_downloaded_without_a_trace(client, login_as, db, users):
    login_as("hr")
    for path in ("/reports/kompetensi.csv?tabel=unit", "/reports/kompetensi.xlsx?tabel=jenis",
                 "/reports/layanan.csv?tabel=waktu", "/reports/layanan.xlsx?tabel=kelurahan"):
        assert client.get(path).status_code == 200, path
    assert _exports(db) == []


def test_the_named_list_refused_to_who_supervises_nobody_is_recorded_refused(client, login_as, db, users):
    login_as("kasi2")  # a Kasi who supervises nobody in this office: the page does not offer the list
    assert client.get("/reports/kompetensi.xlsx?tabel=belum-jp").status_code == 404
    refused = _exports(db)
    assert [(e.actor_id, e.outcome, e.changes_dict) for e in refused] == [
        (users["kasi2"].id, "refused", {"table": [None, "belum-jp"], "format": [None, "xlsx"]})]
    assert refused[0].comment.startswith("[role] ")
    assert client.get("/reports/kompetensi.csv?tabel=nothing").status_code == 404  # no table: nothing refused
    assert len(_exports(db)) == 1


def test_every_asn_s_jp_is_one_file_for_hr_and_for_a_supervisor_their_own(client, login_as, db, users):
    """The inspection asks for each ASN's JP, those who reached 20 too; the page listed only those short of
    it. HR downloads everyone, a supervisor the ASN they supervise, a Kasi who supervises nobody none;
    each download recorded."""
    from plaju.database import utcnow
    from tests.reports.test_competence_plans import _verified
    _verified(db, users["asn"], 24, today_wib().year, utcnow())
    login_as("hr")
    page = client.get("/reports/kompetensi").text
    assert 'data-testid="jp-asn-csv"' in page
    rows = client.get("/reports/kompetensi.csv?tabel=jp-asn").get_data(as_text=True).splitlines()
    by_name = {line.split(";")[0].strip('"\ufeff'): line for line in rows[1:]}  # the Excel of Indonesia: ";"
    assert users["asn"].full_name in by_name and users["clerk"].full_name in by_name
    assert by_name[users["asn"].full_name].rstrip().endswith(";24;0")  # reached: listed all the same
    login_as("kasi")
    mine = client.get("/reports/kompetensi.csv?tabel=jp-asn").get_data(as_text=True)
    assert users["asn"].full_name in mine and users["hr"].full_name not in mine
    login_as("kasi2")
    assert client.get("/reports/kompetensi.csv?tabel=jp-asn").status_code == 404
    found = _exports(db)
    assert [(e.outcome, e.changes_dict["table"][1]) for e in found] == [("ok", "jp-asn"), ("ok", "jp-asn"),
                                                                        ("refused", "jp-asn")]

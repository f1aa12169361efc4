"""Citizens' scans show the full NIK (UU 27/2022): only the counter, the section heads and the Camat, or
whoever stands in for one of them as Plh/Plt, browse the queue and open the scans. Admin keeps the
settings pages; HR audits through /audit."""
import io

import pytest

from plaju.accounts.models import Delegation
from plaju.timeutil import today_wib
from tests.documents.conftest import fresh
from tests.documents.test_intake import PDF

HX = {"HX-Request": "true"}


@pytest.fixture()
def scanned(client, login_as, make_request, db):
    req = make_request("verifying", "akta-lahir", name="Siti Aminah")
    login_as("clerk")
    added = client.post(f"/documents/{req.id}/attachments", data={"attachments": [(io.BytesIO(PDF), "kk.pdf")]},
                        content_type="multipart/form-data")
    assert added.status_code == 303
    req = fresh(db, req)
    return req, req.attachments[0]


@pytest.mark.parametrize("who", ["admin", "hr", "sekcam"])
def test_admin_hr_and_sekcam_open_no_scan_and_search_no_queue(client, login_as, scanned, who):
    req, att = scanned
    login_as(who)
    assert client.get(f"/documents/{req.id}/files/{att.id}").status_code == 403
    assert client.get("/documents/?q=Siti").status_code == 403
    assert client.get("/documents/?q=Siti", headers=HX).status_code == 403
    assert client.get(f"/documents/{req.id}").status_code == 403
    assert 'href="/documents/"' not in client.get("/").text


@pytest.mark.parametrize("who", ["clerk", "kasi", "camat"])
def test_counter_section_head_and_camat_open_the_scan_and_search(client, login_as, scanned, who):
    req, att = scanned
    login_as(who)
    response = client.get(f"/documents/{req.id}/files/{att.id}")
    assert response.status_code == 200 and response.data == PDF
    found = client.get("/documents/?q=Siti", headers=HX)
    assert found.status_code == 200 and "Siti Aminah" in found.text


def test_a_plh_of_the_camat_opens_the_scan_only_while_the_delegation_runs(client, login_as, scanned, users, db):
    req, att = scanned
    login_as("sekcam")
    assert client.get(f"/documents/{req.id}/files/{att.id}").status_code == 403
    today = today_wib()
    delegation = Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                            starts_on=today, ends_on=today)
    db.session.add(delegation)
    db.session.commit()
    assert client.get(f"/documents/{req.id}/files/{att.id}").status_code == 200
    assert client.get("/documents/?q=Siti").status_code == 200
    delegation.revoked = True
    db.session.commit()
    assert client.get(f"/documents/{req.id}/files/{att.id}").status_code == 403


def test_admin_keeps_the_settings_pages(client, login_as, doc_types):
    login_as("admin")
    assert client.get("/documents/admin/types").status_code == 200
    assert client.get("/documents/admin/holidays").status_code == 200
    page = client.get("/documents/admin/types").text
    assert 'href="/documents/"' not in page  # no link into the queue it may not open
    assert 'href="/documents/admin/types"' in client.get("/").text
    login_as("hr")
    assert client.get("/documents/admin/types").status_code == 403


def test_a_file_name_with_controls_or_direction_overrides_is_stored_and_served_clean(client, login_as, make_request,
                                                                                    db):
    """"scan\u202efdp.exe" showed as "scanexe.pdf" on the request page and in the log; a NUL went into the
    download's Content-Disposition header (and PostgreSQL cannot store it)."""
    req = make_request("verifying", "akta-lahir")
    login_as("clerk")
    names = ["scan\u202efdp.exe.pdf", "a\x00b.pdf", "\u200b\u202e"]
    sent = client.post(f"/documents/{req.id}/attachments", content_type="multipart/form-data",
                       data={"attachments": [(io.BytesIO(PDF), name) for name in names]})
    assert sent.status_code == 303
    stored = sorted(a.original_name for a in fresh(db, req).attachments)
    assert stored == sorted(["scanfdp.exe.pdf", "ab.pdf", "berkas"])
    for att in fresh(db, req).attachments:
        served = client.get(f"/documents/{req.id}/files/{att.id}")
        assert served.status_code == 200
        assert not any(ord(c) < 32 or c in "\u202e\u200b" for c in served.headers["Content-Disposition"])


def test_an_xlsx_cell_drops_what_a_spreadsheet_cannot_hold():
    """An event kept from before the guard cleaned names made openpyxl refuse the whole audit export."""
    from openpyxl import Workbook

    from plaju.spreadsheet import xlsx_row
    sheet = Workbook(write_only=True).create_sheet()
    [cell] = xlsx_row(sheet, ["a\x00b\x01c"])
    assert cell.value == "abc"

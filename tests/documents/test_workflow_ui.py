"""The shared workflow UI on a document request: who is next, history as sentences, Plh shown."""
from datetime import timedelta

from sqlalchemy import event

from plaju.accounts.models import Delegation
from plaju.audit import record as audit
from plaju.audit import sentences, vocabulary
from plaju.timeutil import today_wib
from plaju.workflow import fire, history_for
from plaju.workflow.ui import waiting_for
from tests.support import PASSWORD

from .conftest import fresh


def test_who_is_next_follows_the_spec_and_the_document_type(db, make_request):
    assert waiting_for(make_request("received")) == ["Petugas loket / Kepala Seksi (Kasi)"]
    assert waiting_for(make_request("verifying")) == ["Kepala Seksi (Kasi)"]  # returns and rejections are not
    assert waiting_for(make_request("awaiting_signature")) == ["Camat"]
    # a KTP-el is Disdukcapil's: the counter forwards it; an SKTM goes to the Camat through the Kasi
    assert waiting_for(make_request("processing", "ktp-baru")) == ["Petugas loket / Kepala Seksi (Kasi)"]
    assert waiting_for(make_request("processing", "sktm")) == ["Kepala Seksi (Kasi)"]
    assert waiting_for(make_request("handed_over")) == []


def test_after_a_step_the_panel_says_who_must_act(client, login_as, make_request, db):
    req = make_request("received")
    login_as("clerk")
    response = client.post(f"/documents/{req.id}/actions/verify", data={"version": "0"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Trigger" in response.headers
    assert "Anda memulai verifikasi. Status sekarang: Verifikasi. Menunggu: Kepala Seksi (Kasi)." in html
    assert 'data-testid="waiting-for"' in html


def test_history_speaks_bahasa_and_shows_the_plh(client, login_as, make_request, users, db):
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    users["sekcam"].position = "Sekretaris Camat"
    db.session.commit()
    req = make_request("awaiting_signature")
    fire(req, "sign", users["sekcam"], expected_version=0, password=PASSWORD)
    login_as("kasi")
    client.post(f"/documents/{req.id}/actions/reject", data={"version": "1", "comment": ""})  # refused: no reason
    html = client.get(f"/documents/{req.id}/timeline", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Sekcam Uji (Sekretaris Camat) sebagai Plh. Camat Plaju menandatangani dokumen" in html
    assert "Menunggu tanda tangan → <strong class=\"text-body\">Ditandatangani</strong>" in html
    assert "Ditandatangani sebagai: Plh. Camat Plaju" in html
    assert "Kasi Uji (kasi) ditolak sistem saat menolak permohonan" in html
    assert "document.sign" not in html and "awaiting_signature" not in html and "[state]" not in html
    assert fresh(db, req).state == "signed"


def test_a_rejection_is_final_so_it_is_confirmed_on_the_request_s_page(client, login_as, db, make_request):
    """"Tolak" stood beside "Persyaratan lengkap, proses" and took one click and any reason."""
    from tests.inbox.test_inbox import _item
    req = make_request("verifying")
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    apart = page[page.index('data-testid="actions-apart"'):]
    assert 'data-testid="action-reject"' in apart and "warga harus mengajukan permohonan baru" in apart
    unconfirmed = client.post(f"/documents/{req.id}/actions/reject",
                              data={"version": "0", "comment": "Berkas palsu menurut Lurah"})
    assert unconfirmed.status_code == 422 and fresh(db, req).state == "verifying"
    # the inbox row does not offer it; posted there anyway, it is refused the same way
    assert 'data-testid="act-reject"' not in client.get("/inbox/").get_data(as_text=True)
    client.post("/inbox/act", data={"item": _item(req, "reject", "document"), "comment": "Berkas palsu"})
    assert fresh(db, req).state == "verifying"
    done = client.post(f"/documents/{req.id}/actions/reject",
                       data={"version": "0", "comment": "Berkas palsu menurut Lurah", "confirmed": "yes"})
    assert done.status_code == 303 and fresh(db, req).state == "rejected"


def test_history_needs_the_same_statements_however_long_it_is(make_request, users, db, app):
    from plaju.extensions import db as ext_db

    def statements_for(n):
        req = make_request("received")
        fire(req, "verify", users["clerk"], expected_version=0)
        people = [users["clerk"], users["kasi"], users["kasi2"], users["camat"], users["sekcam"]]
        for i in range(n):  # different people, some acting for others: no lookup per event
            audit.record("document.attach", actor=people[i % 5], acting_for=people[(i + 1) % 5],
                         subject_type="document", subject_id=req.id, changes={"attachments": [None, [f"s{i}.pdf"]]})
        db.session.commit()
        events = history_for(req)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(ext_db.engine, "before_cursor_execute", listener)
        try:
            lines = sentences.render(events, subjects=True)
        finally:
            event.remove(ext_db.engine, "before_cursor_execute", listener)
        assert len(lines) == n + 2
        return len(seen)

    # people, delegations, the names in field changes, one per kind of subject
    assert statements_for(2) == statements_for(15) <= 3 + len(set(vocabulary._SUBJECTS.values()))


def test_the_workflow_and_the_services_of_documents_do_not_import_each_other():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "plaju" / "documents"
    assert "services" not in (root / "workflow.py").read_text()
    assert "import holiday_set" in (root / "services.py").read_text()  # from the calendar, as workflow does


def test_the_audit_list_uses_the_same_sentences_and_names_the_request(client, login_as, make_request, users, db):
    req = make_request("received")
    fire(req, "verify", users["clerk"], expected_version=0)
    login_as("hr")
    html = client.get("/audit/?subject=document").get_data(as_text=True)
    assert "Clerk Uji (clerk) memulai verifikasi" in html and "Clerk Uji (clerk) menerima permohonan di loket" in html
    assert req.tracking_code in html  # the object by its human name, not document:12
    assert "Diterima → <strong>Verifikasi</strong>" in html
    table = html[html.index('data-testid="audit-events"'):html.index("</table>")]  # the search form names actions
    assert "document.verify" not in table and "received →" not in table


def test_a_request_taken_in_twice_by_mistake_is_cancelled_without_blaming_the_citizen(client, login_as,
                                                                                        make_request, db):
    """The one way out before processing is the cancel step: its button and the log no longer say the
    citizen withdrew, the reason typed says why."""
    req = make_request("verifying", "sktm")
    login_as("clerk")
    page = client.get(f"/documents/{req.id}").text
    assert "Batalkan (pemohon mundur, atau salah input/terdaftar ganda)" in page
    done = client.post(f"/documents/{req.id}/actions/cancel", headers={"HX-Request": "true"},
                       data={"version": req.version, "comment": "Terdaftar ganda oleh petugas"})
    assert done.status_code == 200 and "Anda membatalkan permohonan." in done.text
    assert "atas keinginan pemohon" not in client.get(f"/documents/{req.id}").text
    # the citizen reads why on the tracking page, and may still complain of it (a clerk cancelled an
    # overdue request alone: the page said "finished", with no reason and no way to object)
    client.post("/logout")
    track = client.get(f"/track/{req.tracking_code}").text
    assert 'data-testid="track-cancelled"' in track and "Terdaftar ganda oleh petugas" in track
    assert 'data-testid="complaint-link"' in track
    sent = client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": "Saya tidak pernah meminta pembatalan permohonan ini."})
    assert sent.status_code in (302, 303), sent.text[:300]


def test_a_request_closed_by_a_step_offers_no_scans_to_add_and_no_letter_to_come(client, login_as, make_request):
    req = make_request("verifying", "sktm")
    login_as("clerk")
    page = client.get(f"/documents/{req.id}").text
    assert 'id="more-files"' in page and 'data-testid="letter-later"' in page
    done = client.post(f"/documents/{req.id}/actions/cancel", headers={"HX-Request": "true"},
                       data={"version": req.version, "comment": "Terdaftar ganda oleh petugas"})
    # the panel's answer also empties the scans form beside it (out of band), and promises no letter
    assert '<div id="add-scans" hx-swap-oob="true"></div>' in done.text
    assert 'data-testid="letter-later"' not in done.text
    page = client.get(f"/documents/{req.id}").text
    assert 'id="more-files"' not in page and page.count('id="add-scans"') == 1

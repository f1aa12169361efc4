"""Intake at the counter: NIK, requirements and uploads refused with clear messages, nothing saved."""
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentAttachment, DocumentRequest
from plaju.once import new_token
from plaju.training.demo import tiny_pdf
from tests.documents.conftest import valid_nik

PDF = tiny_pdf()  # a real one-page PDF: the upload is opened
def _png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (8, 8), 0).save(out, format="PNG")
    return out.getvalue()


PNG = _png()  # a real PNG: the upload is opened
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _uploaded_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(folder.glob("*")) if folder.exists() else []


@pytest.fixture()
def form(doc_types):
    ktp = doc_types["ktp-baru"]

    def build(**overrides):
        data = {"nik": valid_nik(female=True), "name": "Rina Marlina", "phone": "0812 3456 7890",
                "kelurahan": "Talang Putri", "type_id": str(ktp.id),
                "requirements": [str(r.id) for r in ktp.requirements if r.required], "note": "",
                "form_token": new_token()}
        data.update(overrides)
        return data
    return build


def test_clerk_takes_in_a_request_and_gets_a_printable_receipt(app, client, login_as, form, db):
    login_as("clerk")
    before = _uploaded_files(app)
    data = form(attachments=[(io.BytesIO(PDF), "kk.pdf"), (io.BytesIO(PNG), "pengantar.png")])
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert response.headers["Location"].endswith(f"/documents/{req.id}/receipt")
    assert req.tracking_code.startswith("PLJ-") and len(req.tracking_code) == 15
    assert [a.original_name for a in req.attachments] == ["kk.pdf", "pengantar.png"]
    assert len(_uploaded_files(app)) == len(before) + 2
    receipt = client.get(f"/documents/{req.id}/receipt").get_data(as_text=True)
    assert req.tracking_code in receipt and "data:image/svg+xml" in receipt
    assert "Janji selesai" in receipt and "Fotokopi Kartu Keluarga" in receipt
    assert req.nik not in receipt and req.nik[:4] + "********" + req.nik[-4:] in receipt
    assert " style=" not in receipt and "<script>" not in receipt
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.receive")).one()
    assert (event.to_state, event.subject_id) == ("received", str(req.id))
    from plaju.audit import sentences
    with app.test_request_context("/"):
        [line] = sentences.render([event])
    # the log names the type as the office does, not by its code
    assert ("Jenis dokumen", "—", req.type.name) in [(c.label, c.before, c.after) for c in line.changes]


@pytest.mark.parametrize("nik,message", [
    ("16710812039", "NIK harus 16 digit, bukan 11."),
    ("1671A812039000B3", "NIK hanya boleh berisi angka"),
    ("1671083102900003", "bukan tanggal lahir yang sah"),
])
def test_invalid_nik_is_refused_with_its_own_message(client, login_as, form, db, nik, message):
    login_as("clerk")
    response = client.post("/documents/new", data=form(nik=nik))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).one()
    assert refused.action == "document.receive" and message in refused.comment
    assert nik not in refused.comment and "Rina" not in refused.comment  # no personal data in the log


@pytest.mark.parametrize("code", ["ktp-baru", "domisili"])
def test_a_resident_whose_nik_was_given_elsewhere_is_served(client, login_as, form, db, doc_types, code):
    """A NIK is given once for life and kept after a move (UU 24/2013 Pasal 13): someone who came from Jakarta
    still has 3171...; a KTP-el, KK or SKTM was refused to her. Where she lives is read from the KK: the type's
    part of the form says which types are for residents only."""
    login_as("clerk")
    jakarta = "3171051209000015"
    chosen = doc_types[code]
    extra = {"purpose": "pembukaan rekening bank", "address": "Jl. Sentosa No. 7 RT 003 RW 001",
             "birth_place": "Palembang"} if chosen.camat_signs else {}
    shown = client.post("/documents/new", data=form(nik=jakarta, type_id=str(chosen.id), refresh="1")).text
    rule = "KK-nya bukan dari Kecamatan Plaju" if chosen.other_regions else "alamat di KK yang menentukan"
    assert rule in shown
    done = client.post("/documents/new", data=form(
        nik=jakarta, type_id=str(chosen.id), requirements=[str(r.id) for r in chosen.requirements], **extra))
    assert done.status_code == 303, done.text[:3000]
    req = db.session.scalars(select(DocumentRequest)).one()
    assert (req.nik, req.type.code) == (jakarta, code)


def test_a_woman_with_day_plus_forty_is_accepted(client, login_as, form, db):
    login_as("clerk")
    response = client.post("/documents/new", data=form(nik="1671084712880007"))
    assert response.status_code == 303
    assert _count(db, DocumentRequest) == 1


def test_missing_required_requirement_is_refused(client, login_as, form, doc_types, db):
    login_as("clerk")
    first = doc_types["ktp-baru"].requirements[0]
    response = client.post("/documents/new", data=form(requirements=[
        str(r.id) for r in doc_types["ktp-baru"].requirements if r.required and r.id != first.id]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Persyaratan wajib belum lengkap: Fotokopi Kartu Keluarga" in html
    assert _count(db, DocumentRequest) == 0


@pytest.mark.parametrize("payload,name", [(ELF, "kk.pdf"), (MZ, "surat.pdf"), (b"hello world", "foto.png")])
def test_disguised_upload_is_refused_and_nothing_is_kept(app, client, login_as, form, db, payload, name):
    login_as("clerk")
    before = _uploaded_files(app)
    data = form(attachments=[(io.BytesIO(PDF), "asli.pdf"), (io.BytesIO(payload), name)])
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert f"Berkas {name} bukan berkas PDF/JPG/PNG yang sebenarnya." in response.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0 and _count(db, DocumentAttachment) == 0
    assert _uploaded_files(app) == before  # the good file stored first was removed again


@pytest.mark.parametrize("fault", ["requirement", "nik"])
def test_a_bad_file_is_reported_with_the_other_faults_at_once(app, client, login_as, form, db, doc_types, fault):
    """A disguised file sent while a required document is unticked (or the NIK is short): both are said at
    once, so the clerk does not find the file's fault only after fixing the rest and choosing it again."""
    login_as("clerk")
    before = _uploaded_files(app)
    first = doc_types["ktp-baru"].requirements[0]
    other = {"requirement": {"requirements": [str(r.id) for r in doc_types["ktp-baru"].requirements
                                              if r.required and r.id != first.id]},
             "nik": {"nik": "167101"}}[fault]
    data = form(attachments=[(io.BytesIO(MZ), "surat.pdf")], **other)
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="attachments-error"' in html and "Berkas surat.pdf bukan berkas PDF/JPG/PNG" in html
    assert ("Persyaratan wajib belum lengkap" in html) if fault == "requirement" else ("NIK" in html)
    assert _count(db, DocumentRequest) == 0 and _uploaded_files(app) == before


def test_good_scans_sent_with_a_refused_form_are_asked_for_again_by_name(client, login_as, form, db):
    """A browser never refills a file field: unsaid, the clerk fixed the NIK and took the request in
    without its scans."""
    login_as("clerk")
    data = form(nik="167101", attachments=[(io.BytesIO(PDF), "kk.pdf"), (io.BytesIO(PNG), "pengantar.png")])
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="files-again"' in html
    assert "Pilih lagi berkas pindaian (kk.pdf, pengantar.png)" in html
    assert 'data-testid="files-again"' not in client.get("/documents/new").get_data(as_text=True)
    # one scan refused: the good one beside it is asked for again too, not dropped without a word
    data = form(attachments=[(io.BytesIO(b"not a scan"), "palsu.pdf"), (io.BytesIO(PNG), "pengantar.png")])
    html = client.post("/documents/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="attachments-error"' in html and "palsu.pdf" in html
    assert "Pilih lagi berkas pindaian (palsu.pdf, pengantar.png)" in html


def test_oversized_upload_is_refused_and_nothing_is_kept(app, client, login_as, form, db):
    login_as("clerk")
    app.config["UPLOAD_MAX_BYTES"] = 64 * 1024
    try:
        before = _uploaded_files(app)
        big = PDF + b"0" * (65 * 1024)
        data = form(attachments=[(io.BytesIO(PDF), "kecil.pdf"), (io.BytesIO(big), "besar.pdf")])
        response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 422
    assert "Berkas besar.pdf lebih besar dari" in response.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0
    assert _uploaded_files(app) == before


def test_a_whole_request_above_the_limit_is_refused_before_reading(app, client, login_as, form, db):
    login_as("clerk")
    big = b"%PDF" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/documents/new", data=form(attachments=[(io.BytesIO(big), "a.pdf")]),
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert _count(db, DocumentRequest) == 0
    # the page says the limits and that nothing was kept, not only "too large"
    assert "tidak ada yang disimpan" in response.text and "paling besar 5 MB" in response.text


def test_a_failure_while_saving_removes_the_stored_files(app, client, login_as, form, db, monkeypatch):
    from plaju.audit import record
    login_as("clerk")
    before = _uploaded_files(app)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(record, "record", broken)
    response = client.post("/documents/new", data=form(attachments=[(io.BytesIO(PDF), "kk.pdf")]),
                           content_type="multipart/form-data")
    assert response.status_code == 500
    assert _count(db, DocumentRequest) == 0
    assert _uploaded_files(app) == before


def test_only_counter_staff_take_in_requests(client, login_as, form, db):
    for who, status in (("camat", 403), ("asn", 403), ("hr", 403)):
        login_as(who)
        assert client.get("/documents/new").status_code == status
        assert client.post("/documents/new", data=form()).status_code == status
    assert _count(db, DocumentRequest) == 0


def test_attachments_are_served_to_staff_only(app, client, login_as, form, db):
    login_as("clerk")
    client.post("/documents/new", data=form(attachments=[(io.BytesIO(PDF), "kk.pdf")]),
                content_type="multipart/form-data")
    req = db.session.scalars(select(DocumentRequest)).one()
    url = f"/documents/{req.id}/files/{req.attachments[0].id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    login_as("asn")
    assert client.get(url).status_code == 403
    client.post("/logout")
    assert client.get(url).status_code == 302
    login_as("kasi")
    assert client.get(f"/documents/{req.id + 1}/files/{req.attachments[0].id}").status_code == 404


def test_choosing_a_type_shows_its_checklist_without_saving(client, login_as, doc_types, db):
    login_as("clerk")
    akta = doc_types["akta-lahir"]
    fragment = client.get(f"/documents/new/checklist?type_id={akta.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "Surat keterangan lahir" in html and "<html" not in html
    no_js = client.post("/documents/new", data={"type_id": str(akta.id), "refresh": "1"})
    assert no_js.status_code == 200 and "Surat keterangan lahir" in no_js.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0
    # the select posts what is typed in its part of the form: switching types and back loses nothing
    first = akta.requirements[0].id
    back = client.post("/documents/new/checklist", headers={"HX-Request": "true"},
                       data={"type_id": str(akta.id), "s_name": "Bayi Budi", "s_place": "Palembang",
                             "requirements": [str(first)]}).get_data(as_text=True)
    assert 'value="Bayi Budi"' in back and 'value="Palembang"' in back
    assert f'value="{first}" id="req-{first}" checked' in back
    assert _count(db, DocumentRequest) == 0


def test_every_fault_is_shown_at_once(client, login_as, form, db):
    login_as("clerk")
    response = client.post("/documents/new", data=form(nik="123", requirements=[], kelurahan=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("NIK harus 16 digit, bukan 3.", "Persyaratan wajib belum lengkap", "Pilih kelurahan pemohon."):
        assert message in html
    assert _count(db, DocumentRequest) == 0


def test_an_empty_intake_form_says_each_fault_once(client, login_as, db):
    login_as("clerk")
    html = client.post("/documents/new", data={"type_id": "0"}).get_data(as_text=True)
    assert html.count("Pilih jenis dokumen.") == 1


def test_a_request_taken_in_without_scans_says_so_at_the_counter_and_to_the_kasi(client, login_as, form, db):
    """Requests reached "requirements complete" and the Camat's signature with no scan on file, nobody told:
    the clerk is warned on the receipt, the Kasi beside the button (neither is refused: a scanner may be
    down), and once a scan is added the Kasi's caution goes."""
    login_as("clerk")
    response = client.post("/documents/new", data=form(), content_type="multipart/form-data",
                           follow_redirects=True)
    assert "Belum ada hasil pindai yang dilampirkan" in response.text
    req = db.session.scalars(select(DocumentRequest)).one()
    client.post(f"/documents/{req.id}/actions/verify", data={"version": str(req.version)})
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    caution = re.search(r'data-testid="action-accept".*?data-testid="caution">([^<]+)<', page, re.S)
    assert caution and "Belum ada hasil pindai berkas persyaratan" in caution.group(1)
    row = client.get("/inbox/").text.split(req.tracking_code)[1].split("</li>")[0]  # the inbox row says it too
    assert 'data-testid="caution"' in row
    login_as("clerk")
    client.post(f"/documents/{req.id}/attachments", data={"attachments": [(io.BytesIO(PDF), "kk.pdf")]},
                content_type="multipart/form-data")
    login_as("kasi")
    assert 'data-testid="caution"' not in client.get(f"/documents/{req.id}").text
    assert 'data-testid="caution"' not in client.get("/inbox/").text.split(req.tracking_code)[1].split("</li>")[0]


def test_the_camat_is_told_beside_his_signature_that_no_scan_is_on_file(client, login_as, db, users,
                                                                         make_request):
    """The Kasi may accept with the caution above: the Camat signed the letter not knowing that nobody kept a
    scan of the papers it rests on. Told beside "Sign" on the page and in his list (a row per letter, one
    statement per page: tests/inbox), gone once a scan is added."""
    scanned, bare = (make_request("awaiting_signature", "sktm", name=name, submitted_by_id=users["kasi"].id)
                     for name in ("Warga Berkas", "Warga Kertas"))
    login_as("clerk")
    client.post(f"/documents/{scanned.id}/attachments", data={"attachments": [(io.BytesIO(PDF), "kk.pdf")]},
                content_type="multipart/form-data")
    login_as("camat")
    caution = re.search(r'data-testid="action-sign".*?data-testid="caution">([^<]+)<',
                        client.get(f"/documents/{bare.id}").text, re.S)
    assert caution and "hanya diperiksa di atas kertas" in caution.group(1)
    assert 'data-testid="caution"' not in client.get(f"/documents/{scanned.id}").text
    inbox = client.get("/inbox/").text
    assert "hanya diperiksa di atas kertas" in inbox.split(bare.tracking_code)[1].split("</li>")[0]
    assert "hanya diperiksa di atas kertas" not in inbox.split(scanned.tracking_code)[1].split("</li>")[0]
    # and in the confirmation of "sign all": which of the batch were seen on paper only
    confirm = client.post("/inbox/confirm", data={"item": [f"document:{r.id}:sign:{r.version}"
                                                           for r in (scanned, bare)]}).text
    cautions = re.findall(r'data-testid="confirm-caution">([^<]+)<', confirm)
    assert len(cautions) == 1 and "hanya diperiksa di atas kertas" in cautions[0]
    assert "confirm-caution" in confirm.split(bare.tracking_code)[1].split("</li>")[0]


def test_the_intake_promises_no_message_the_office_cannot_send(app, client, login_as, smtp):
    """The e-mail field promised updates with no mail server set up: request 107 went to ready with its
    address and consent, and nothing was ever sent."""
    login_as("clerk")
    with_mail = client.get("/documents/new").text
    assert "kabar perkembangan juga dikirim ke alamat ini" in with_mail
    assert "(alamat e-mail tetap menerima kabar)" in with_mail
    server, app.config["MAIL_SERVER"] = app.config["MAIL_SERVER"], ""
    try:
        without = client.get("/documents/new").text
    finally:
        app.config["MAIL_SERVER"] = server
    assert "E-mail ke pemohon belum diaktifkan" in without and "tetap menerima kabar" not in without


@pytest.mark.parametrize("name,data", [
    ("script.pdf", b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF\n"),  # a PDF's header, nothing of a PDF
    ("polyglot.png", b"\x89PNG\r\n\x1a\n" + b"junk" * 50),  # a PNG's signature, then junk
    ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"#!/bin/sh\n" * 30),
])
def test_a_scan_that_only_starts_like_a_pdf_or_png_is_refused(app, client, login_as, form, db, name, data):
    """It was stored as a scan on file, and the Kasi's "no scan on file" warning went quiet."""
    login_as("clerk")
    before = _uploaded_files(app)
    response = client.post("/documents/new", data=form(attachments=[(io.BytesIO(data), name)]),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "tidak dapat dibuka" in response.get_data(as_text=True)
    assert db.session.scalars(select(DocumentRequest)).first() is None
    assert _uploaded_files(app) == before


def test_a_name_of_digits_only_is_refused(client, login_as, form, db):
    """"12345" was taken in as the applicant's name and would have headed the letter."""
    login_as("clerk")
    response = client.post("/documents/new", data=form(name="12345"), content_type="multipart/form-data")
    assert response.status_code == 422 and "tidak memuat satu huruf pun" in response.text
    assert db.session.scalars(select(DocumentRequest)).first() is None

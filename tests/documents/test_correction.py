"""The Camat sends a letter back for correction: the Kasi sees why beside the steps, corrects the address or
the purpose, and the signer sees what was asked when it comes back; the signed letter states the correction."""
import re

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.documents.letters import draw
from plaju.documents.services import take_action
from tests.documents.conftest import fresh
from tests.support import PASSWORD

HX = {"HX-Request": "true"}


def _sent_back(db, users, make_request):
    req = make_request("awaiting_signature", "domisili")
    return take_action(req, "send_back", users["camat"], version=req.version,
                       comment="Alamat RT/RW tidak sesuai KTP, mohon diperbaiki")


def _refused_as_plh_camat(db, users, who, req, version):
    """`who` is Plh Camat today and tries to sign `req`: four eyes refuses."""
    from datetime import timedelta

    import pytest

    from plaju.accounts.models import Delegation
    from plaju.timeutil import today_wib
    from plaju.workflow import NotAllowed
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users[who].id, kind="plh",
                              starts_on=today_wib(), ends_on=today_wib() + timedelta(days=1)))
    db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        take_action(fresh(db, req), "sign", users[who], version=version, password=PASSWORD)
    assert refused.value.code == "four_eyes"


def test_the_kasi_sees_why_corrects_the_address_and_the_signed_letter_states_it(client, login_as, db, users,
                                                                                 make_request):
    req = _sent_back(db, users, make_request)
    version, address = req.version, req.address
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'data-testid="correction-note"' in page and "Alamat RT/RW tidak sesuai KTP" in page
    assert 'data-testid="correct-letter"' in page
    saved = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "address": "Jl. Pertahanan  No. 38 RT 021 RW 007", "purpose": req.purpose})
    assert saved.status_code == 200 and "Data surat sudah diperbaiki" in saved.text
    row = fresh(db, req)
    assert row.address == "Jl. Pertahanan No. 38 RT 021 RW 007" and row.version == version + 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    assert event.actor_id == users["kasi"].id
    assert event.changes_dict == {"address": [address, "Jl. Pertahanan No. 38 RT 021 RW 007"]}
    row = take_action(row, "to_signature", users["kasi"], version=row.version)
    login_as("camat")  # back for signature: the signer sees what he asked for, in his list too
    inbox = client.get("/inbox/").text
    row_text = inbox.split(req.tracking_code)[1]
    assert "Diperbaiki (alamat) setelah dikembalikan: Alamat RT/RW tidak sesuai KTP" in row_text
    page = client.get(f"/documents/{req.id}").text
    # the page says what the list says: what was corrected, against what he asked
    assert "Diperbaiki (alamat) setelah dikembalikan: Alamat RT/RW tidak sesuai KTP" in page
    assert 'data-testid="correct-letter"' not in page  # the signer does not edit the letter he signs
    row = take_action(fresh(db, req), "sign", users["camat"], version=row.version, password=PASSWORD)
    signed = fresh(db, req)
    assert signed.correction_note == ""
    assert any("Jl. Pertahanan No. 38 RT 021 RW 007" in s for s in draw(signed).content.statements)
    assert 'data-testid="correction-note"' not in client.get(f"/documents/{req.id}").text


def test_a_correction_is_refused_when_stale_blank_unchanged_or_not_theirs(client, login_as, db, users,
                                                                          make_request):
    req = _sent_back(db, users, make_request)
    login_as("kasi")
    url = f"/documents/{req.id}/correct"
    stale = client.post(url, headers=HX, data={"version": req.version - 1, "address": "Jl. Baru No. 1 RT 1 RW 2",
                                                "purpose": req.purpose})
    assert stale.status_code == 409 and "sudah melakukan &#34;Kembalikan" in stale.text  # who acted last, named
    blank = client.post(url, headers=HX, data={"version": req.version, "address": " ", "purpose": ""})
    assert blank.status_code == 422 and "Isikan alamat" in blank.text and "Isi keperluan surat" in blank.text
    assert 'value=" "' in blank.text or 'id="fix-address"' in blank.text  # the form comes back open
    same = client.post(url, headers=HX, data={"version": req.version, "address": req.address, "purpose": req.purpose})
    assert same.status_code == 422 and "Tidak ada yang diubah" in same.text
    login_as("asn")  # no authority over the request at all
    assert client.post(url, data={"version": req.version, "address": "Jl. X No. 1 RT 1 RW 1",
                                  "purpose": "x"}).status_code in (403, 404)
    login_as("camat")  # the signer does not correct what he signs
    refused = client.post(url, headers=HX, data={"version": req.version, "address": "Jl. Lain No. 2 RT 3 RW 4",
                                                  "purpose": req.purpose})
    assert refused.status_code == 403
    assert fresh(db, req).address == req.address and fresh(db, req).version == req.version
    outcomes = db.session.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "document.correct")).all()
    assert outcomes and set(outcomes) == {"refused"}
    # the history says the refusal's words were told to the one refused: its reader is not that "Anda"
    history = client.get(f"/documents/{req.id}").text
    assert "Ditolak · pesan kepadanya: Hanya petugas yang menerima permohonan ini" in history


def test_a_typo_in_the_applicants_name_is_corrected_before_the_signature(client, login_as, db, users, make_request):
    """The counter typed "Siti Rahmawti"; the Camat sends it back. The Kasi corrects the name: the letter, the
    name search and the log (before and after) follow; a blank name is refused and changes nothing."""
    req = make_request("awaiting_signature", "domisili", name="Siti Rahmawti")
    req = take_action(req, "send_back", users["camat"], version=req.version, comment="Nama pemohon salah ketik")
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'id="fix-name"' in page and 'value="Siti Rahmawti"' in page
    url = f"/documents/{req.id}/correct"
    blank = client.post(url, headers=HX, data={"version": req.version, "name": " ", "address": req.address,
                                                "purpose": req.purpose})
    assert blank.status_code == 422 and "2 sampai 120 karakter" in blank.text
    assert fresh(db, req).name == "Siti Rahmawti"
    saved = client.post(url, headers=HX, data={"version": req.version, "name": "Siti  Rahmawati",
                                                "address": req.address, "purpose": req.purpose})
    assert saved.status_code == 200, saved.text[:500]
    row = fresh(db, req)
    assert row.name == "Siti Rahmawati" and row.name_key == "siti rahmawati"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    assert event.changes_dict == {"name": ["Siti Rahmawti", "Siti Rahmawati"]}
    found = client.get("/documents/?state=all&q=rahmawati").text
    assert row.tracking_code in found
    assert row.tracking_code not in client.get("/documents/?state=all&q=rahmawti").text
    row = take_action(row, "to_signature", users["kasi"], version=row.version)
    take_action(row, "sign", users["camat"], version=row.version, password=PASSWORD)
    assert any("Siti Rahmawati" in str(value) for _label, value in draw(fresh(db, req)).content.fields)


def test_who_rewrote_a_letter_does_not_sign_it_as_plh_camat(client, login_as, db, users, make_request):
    """Kasi A corrects the letter the Camat sent back, Kasi B submits it again, Kasi A is Plh Camat today:
    he may not sign what he rewrote (four eyes); the Camat is told what changed."""
    req = _sent_back(db, users, make_request)
    login_as("kasi")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": req.name, "address": req.address,
        "purpose": "pinjaman usaha 500 juta"}).status_code == 200
    row = take_action(fresh(db, req), "to_signature", users["kasi2"], version=fresh(db, req).version)
    _refused_as_plh_camat(db, users, "kasi", req, row.version)
    login_as("camat")
    assert "Diperbaiki (keperluan) setelah dikembalikan" in client.get("/inbox/").text


def test_a_domisili_usaha_sent_back_gets_its_business_corrected(client, login_as, db, users, make_request):
    """A typo in the business's name is corrected like the applicant's, not by rejecting the request."""
    req = make_request("awaiting_signature", "domisili-usaha")
    req = take_action(req, "send_back", users["camat"], version=req.version, comment="Nama usaha salah tulis")
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'id="fix-business-name"' in page and 'value="Warung Sembako Berkah"' in page
    url = f"/documents/{req.id}/correct"
    data = {"version": req.version, "name": req.name, "address": req.address, "purpose": req.purpose,
            "business_name": "W", "business_type": "perdagangan eceran"}
    short = client.post(url, headers=HX, data=data)
    assert short.status_code == 422 and "Isi nama usaha, 2 sampai 120 karakter" in short.text
    saved = client.post(url, headers=HX, data=dict(data, business_name="Warung Sembako Barokah"))
    assert saved.status_code == 200, saved.text[:300]
    row = fresh(db, req)
    assert row.subject == {"name": "Warung Sembako Barokah", "type": "perdagangan eceran"}
    assert row.corrected_fields == "business_name"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    assert event.changes_dict == {"business_name": ["Warung Sembako Berkah", "Warung Sembako Barokah"]}
    assert dict(draw(row).content.fields)["Nama usaha"] == "Warung Sembako Barokah"


def test_everyone_who_corrected_a_letter_is_kept_from_signing_it_and_the_signer_is_told(client, login_as, db,
                                                                                        users, make_request):
    """Kasi B, Plh Camat today, changes the applicant's name on a letter never sent back; Kasi A then makes
    a small address fix and submits it. Only the last corrector was kept out, so Kasi B signed his own
    rewrite, and the Camat was not told the letter had been corrected at all."""
    req = make_request("processing", "domisili")
    login_as("kasi2")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": req.name + " Teman", "address": req.address,
        "purpose": req.purpose}).status_code == 200
    login_as("kasi")
    row = fresh(db, req)
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": row.version, "name": row.name, "address": row.address + " (belakang masjid)",
        "purpose": row.purpose}).status_code == 200
    row = take_action(fresh(db, req), "to_signature", users["kasi"], version=fresh(db, req).version)
    _refused_as_plh_camat(db, users, "kasi2", req, row.version)
    # his to-do list says so too, instead of a sign button the POST refuses (the item keeps out the submitter)
    login_as("kasi2")
    listed = client.get("/inbox/").text.split(req.tracking_code)[1].split('data-testid="inbox-row"')[0]
    assert 'data-testid="act-sign"' not in listed and 'data-testid="act-send_back"' not in listed
    assert 'data-testid="blocked"' in listed and "Anda" in listed
    login_as("camat")
    told = "Data surat diperbaiki (nama, alamat) sebelum diajukan"
    inbox = client.get("/inbox/").text
    assert told in inbox.split(req.tracking_code)[1]
    assert told in client.get(f"/documents/{req.id}").text
    # the bulk confirmation says it too, with the draft to read, before the one password signs them all
    confirm = client.post("/inbox/confirm", data={"all": "document",
                                                  "page_item": re.findall(r'name="page_item" value="([^"]+)"', inbox)})
    item = confirm.text.split('data-testid="confirm-item"')[1]
    assert told in item and 'data-testid="confirm-link"' in item


def test_a_step_from_a_page_older_than_a_correction_names_who_corrected(client, login_as, db, users, make_request):
    """Two Kasi had the request open; one corrected the letter, the other then submitted from the older
    page. The refusal blamed the submitter himself ("Anda sudah melakukan ...")."""
    req = make_request("processing", "domisili")
    opened = req.version
    login_as("kasi2")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": opened, "name": req.name, "address": req.address + " Lorong Damai",
        "purpose": req.purpose}).status_code == 200
    login_as("kasi")
    stale = client.post(f"/documents/{req.id}/actions/to_signature", headers=HX, data={"version": opened})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and f"{users['kasi2'].full_name} memperbaiki data surat pada" in text
    assert "Anda sudah melakukan" not in text
    assert fresh(db, req).state == "processing"


def test_who_submitted_a_letter_sent_back_is_told_why_and_the_list_says_it(client, login_as, db, users,
                                                                           make_request):
    """The Camat sent a letter back from his list: nobody was told, and the Kasi's row looked like any other,
    with the one-click submit beside it and the reason only on the request's page."""
    from plaju.notify.models import Notification
    req = make_request("processing", "domisili")
    req = take_action(req, "to_signature", users["kasi"], version=req.version)
    take_action(req, "send_back", users["camat"], version=req.version, comment="Keperluan terlalu umum, mohon rinci")
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["kasi"].id)).all()
    assert any("dikembalikan untuk diperbaiki: Keperluan terlalu umum" in n.subject for n in told), \
        [n.subject for n in told]
    # the clerk who took it in may correct what she typed: she is told too
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["clerk"].id)).all()
    assert any("dikembalikan untuk diperbaiki: Keperluan terlalu umum" in n.subject for n in told)
    login_as("kasi")
    row = client.get("/inbox/").text.split(req.tracking_code)[1].split("</li>")[0]
    assert "Dikembalikan untuk diperbaiki: Keperluan terlalu umum, mohon rinci" in row


def test_the_clerk_corrects_a_letter_sent_back_and_the_kasi_who_submits_it_hears_it_is_ready(
        client, login_as, db, users, make_request):
    """The Camat sent back a letter whose name the counter mistyped; the clerk corrected it, and the Kasi's list
    still said "sent back for correction" beside the one-click submit, and nobody told him."""
    from plaju.notify.models import Notification
    req = make_request("processing", "domisili", name="Dewi Lestrai")
    req = take_action(req, "to_signature", users["kasi"], version=req.version)
    req = take_action(req, "send_back", users["camat"], version=req.version, comment="Nama pemohon salah eja")
    login_as("clerk")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": fresh(db, req).version, "name": "Dewi Lestari", "address": req.address,
        "purpose": req.purpose}).status_code == 200
    told = db.session.scalars(select(Notification.subject).where(Notification.user_id == users["kasi"].id)).all()
    assert any("sudah memperbaiki surat permohonan" in s and "siap diajukan lagi" in s for s in told), told
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={  # a second look, the same round
        "version": fresh(db, req).version, "name": "Dewi Lestari", "address": req.address + " Lorong Damai",
        "purpose": req.purpose}).status_code == 200
    again = db.session.scalars(select(Notification.subject).where(Notification.user_id == users["kasi"].id)).all()
    assert len(again) == len(told)  # told once a round
    login_as("kasi")
    row = client.get("/inbox/").text.split(req.tracking_code)[1].split("</li>")[0]
    assert "Sudah diperbaiki (nama, alamat) setelah dikembalikan, siap diajukan lagi: Nama pemohon salah eja" in row


def test_a_corrected_name_shows_at_once_beside_the_panel_and_in_the_history(client, login_as, db, make_request):
    """The panel said "corrected" while the citizen's card still showed the typo until a reload."""
    req = make_request("processing", "domisili", name="Dewi Lestrai")
    login_as("kasi")
    saved = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": "Dewi Lestari", "address": req.address, "purpose": req.purpose})
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "documents-changed" in saved.headers.get("HX-Trigger", "")
    card = text.split('<div id="people" hx-swap-oob="true">')[1]
    assert "Dewi Lestari" in card and "Dewi Lestrai" not in card


def test_the_clerk_who_took_it_in_puts_her_own_typo_right_and_may_not_then_sign(client, login_as, db, users,
                                                                                make_request):
    """The counter typed "Dewi Lestrai": the Kasi could not send it back to her, and she had no form to
    correct it. Another clerk still may not."""
    req = make_request("processing", "domisili", name="Dewi Lestrai")
    assert req.created_by_id == users["clerk"].id
    login_as("clerk")
    assert 'data-testid="correct-letter"' in client.get(f"/documents/{req.id}").text
    saved = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": "Dewi Lestari", "address": req.address, "purpose": req.purpose})
    assert saved.status_code == 200 and fresh(db, req).name == "Dewi Lestari"
    assert "Kasi yang mengajukannya" in saved.text  # she does not submit it: told who does
    assert fresh(db, req).preparer_ids == str(users["clerk"].id)
    from tests.support import make_user
    make_user("clerk2", "clerk")
    login_as("clerk2")
    refused = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": fresh(db, req).version, "name": "Dewi L.", "address": req.address, "purpose": req.purpose})
    assert refused.status_code == 403 and fresh(db, req).name == "Dewi Lestari"


def test_who_submitted_a_letter_in_an_earlier_round_does_not_sign_it_as_plh_camat(client, login_as, db, users,
                                                                                  make_request):
    """Kasi A submitted the letter, the Camat sent it back, Kasi B submitted it again unchanged; Kasi A, Plh
    Camat that day, signed it: only the last submitter was kept out."""
    req = make_request("processing", "domisili")
    row = take_action(fresh(db, req), "to_signature", users["kasi"], version=fresh(db, req).version)
    row = take_action(fresh(db, req), "send_back", users["camat"], version=row.version,
                      comment="Mohon periksa kembali alamat pemohon")
    row = take_action(fresh(db, req), "to_signature", users["kasi2"], version=row.version)
    assert fresh(db, req).preparer_ids == str(users["kasi"].id)
    _refused_as_plh_camat(db, users, "kasi", req, row.version)


def test_the_heirs_of_a_letter_sent_back_are_corrected_without_a_new_request(client, login_as, db, users,
                                                                          make_request):
    """The Camat sent a statement of heirs back ("Sari adalah istri, bukan anak"): the correction form offered
    the name, address and purpose only, so the Kasi rejected it and the citizen needed a new code. Names,
    relations and dates are corrected in place; who the letter is about (the NIKs) stays as taken in, and no
    full NIK is on the page."""
    req = make_request("processing", "ahli-waris", name="Rudi Hasan")
    heirs = req.subject["heirs"]
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    form = page.split('data-testid="correct-letter"')[1].split("</form>")[0]
    assert heirs[0]["name"] in form and not any(h["nik"] in page for h in heirs) and 'name="h_nik"' not in form
    fields = {"version": req.version, "name": req.name, "address": req.address, "purpose": req.purpose,
              "subject_sent": "1", "s_name": req.subject["name"], "s_date": req.subject["date"],
              "s_relation": req.subject["relation"],
              "h_name": [h["name"] for h in heirs], "h_relation": [h["relation"] for h in heirs],
              # what a correction does not change, even when sent: another deceased, other heirs' NIKs
              "s_nik": "1671010101800099", "h_nik": ["1671010101800098"] * len(heirs), "h_keep": ["1", "0"]}
    changed = "saudara" if heirs[-1]["relation"] != "saudara" else "anak"
    # a relation naming the other sex than the heir's NIK is a slip, not a correction
    wrong = dict(fields, h_relation=[h["relation"] for h in heirs[:-1]] + ["istri"])  # Rudi's NIK is a man's
    refused = client.post(f"/documents/{req.id}/correct", headers=HX, data=wrong)
    assert refused.status_code == 422 and "Menurut NIK, ahli waris 2 adalah laki-laki" in refused.text
    assert fresh(db, req).subject["heirs"] == heirs
    fields["h_relation"][len(heirs) - 1] = changed
    response = client.post(f"/documents/{req.id}/correct", headers=HX, data=fields)
    assert response.status_code == 200, response.text[:500]
    row = fresh(db, req)
    assert [h["nik"] for h in row.subject["heirs"]] == [h["nik"] for h in heirs]
    assert row.subject["heirs"][-1]["relation"] == changed and row.subject["nik"] == req.subject["nik"]
    assert "letter_subject" in row.corrected_fields
    assert heirs[-1]["name"] in "\n".join(draw(row).content.statements)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    before, after = event.changes_dict["letter_subject"]
    assert before != after and not any(h["nik"] in after for h in heirs)  # the log shows them masked
    assert after.count("Ahli waris") == 1  # only the heir that changed, not the whole list
    # names do not move between heirs (their NIKs stay), nor is the deceased replaced (name and date)
    swapped = dict(fields, version=row.version, h_name=[h["name"] for h in reversed(heirs)])
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data=swapped).status_code == 422
    other = dict(fields, version=row.version, s_name="Bambang Sutrisno", s_date="2025-01-02")
    refused = client.post(f"/documents/{req.id}/correct", headers=HX, data=other)
    assert refused.status_code == 422 and "orang lain" in refused.text
    assert fresh(db, req).subject["name"] == req.subject["name"]
    # an heir is not taken out by emptying the name (it disinherits), nor added by a row beyond the stored ones
    emptied = dict(fields, version=row.version, h_name=[h["name"] for h in heirs[:-1]] + ["", "Orang Baru"],
                   h_relation=[h["relation"] for h in heirs[:-1]] + ["", "anak"])
    refused = client.post(f"/documents/{req.id}/correct", headers=HX, data=emptied)
    assert refused.status_code == 422 and "tidak dapat dikeluarkan dari daftar ahli waris" in refused.text
    assert [h["name"] for h in fresh(db, req).subject["heirs"]] == [h["name"] for h in heirs]
    # nor is the deceased replaced a step at a time: each correction is compared with what was taken in
    completed = req.subject["name"] + " Joko"
    first = dict(fields, version=row.version, s_name=completed)
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data=first).status_code == 200
    step = dict(fields, version=fresh(db, req).version, s_name="Joko")
    refused = client.post(f"/documents/{req.id}/correct", headers=HX, data=step)
    assert refused.status_code == 422 and 'data-testid="s_name-error"' in refused.text
    assert fresh(db, req).subject["name"] == completed


def test_a_correction_does_not_put_another_person_in_the_letter(client, login_as, db, users, make_request):
    """A Kasi "corrected" an SKTM for the applicant himself into one for another citizen, by that citizen's
    NIK: nobody at the counter had seen that person's papers. What a letter is about is not corrected."""
    req = make_request("processing", "sktm")
    assert req.subject.get("same") is True
    login_as("kasi")
    sent = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": req.name, "address": req.address + " Lorong Damai", "purpose": req.purpose,
        "subject_sent": "1", "s_same_sent": "1", "s_nik": "1671010101800099", "s_name": "Bambang Irawan",
        "s_relation": "saudara"})
    assert sent.status_code == 200
    row = fresh(db, req)
    assert row.subject == req.subject and row.address.endswith("Lorong Damai")


def test_a_dispensation_s_spouse_is_corrected_as_a_typo_not_replaced(client, login_as, db, users, make_request):
    """The spouse's name "Ahmad Fauzi" was corrected into "Joko Widodo" under the NIK kept: another marriage."""
    req = make_request("processing", "dispensasi-nikah")
    login_as("kasi")
    base = {"version": req.version, "name": req.name, "address": req.address, "purpose": req.purpose,
            "subject_sent": "1", "s_name": "Ahmad Fauzi", "s_date": req.subject["date"],
            "s_place": req.subject["place"]}
    for change in ({"s_name": "Joko Widodo"}, {"s_name": "Ahmad Fauzan", "s_place": "KUA Kecamatan Seberang Ulu I"}):
        refused = client.post(f"/documents/{req.id}/correct", headers=HX, data={**base, **change})
        assert refused.status_code == 422, change
        assert fresh(db, req).subject == req.subject
    typo = client.post(f"/documents/{req.id}/correct", headers=HX, data={**base, "s_name": "Ahmad Fauzie"})
    assert typo.status_code == 200 and fresh(db, req).subject["name"] == "Ahmad Fauzie"


def test_a_name_is_corrected_as_a_typo_not_replaced_by_another_persons(client, login_as, db, users, make_request):
    """A Kasi "corrected" the applicant's name on a domisili letter into a stranger's, kept the NIK, and the
    Camat signed a letter naming Siti Aminah with Marsudi's NIK. A name bound to a NIK takes a typo fix (a
    few letters, a word added or dropped); another name is refused and changes nothing."""
    req = make_request("processing", "domisili", name="Marsudi Natsir")
    login_as("kasi")

    def correct(name, version):
        return client.post(f"/documents/{req.id}/correct", headers=HX, data={
            "version": version, "name": name, "address": req.address, "purpose": req.purpose})
    for other in ("Siti Aminah Binti Zulkarnain", "Agus Natsir", "Marni Sari"):
        refused = correct(other, req.version)
        assert refused.status_code == 422 and "bukan perbaikan dari “Marsudi Natsir”" in refused.text, other
    assert fresh(db, req).name == "Marsudi Natsir"
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                           AuditEvent.outcome == "refused")).all()
    assert len(refusals) == 3
    assert correct("Marsudi Nasir", req.version).status_code == 200  # a letter too many, put right
    assert correct("Marsudi Nasir Saputra", fresh(db, req).version).status_code == 200  # a word left out
    assert fresh(db, req).name == "Marsudi Nasir Saputra"
    # step by step to another name: each step is compared with the name as taken in, not with the last one
    assert correct("Marsudi Natsir Agus", fresh(db, req).version).status_code == 200
    step = correct("Agus Saputra", fresh(db, req).version)
    assert step.status_code == 422 and 'data-testid="fix-name-error"' in step.text and "Marsudi Natsir" in step.text
    assert correct("Marsudi Natsir, Agus Salim", fresh(db, req).version).status_code == 422  # nothing hides
    # letters of other scripts read as Latin ones, and no typo rule could see them ("Agus" in Cyrillic)
    other_script = correct("\u0410\u0261\u057d\u0455 Natsir", fresh(db, req).version)
    assert other_script.status_code == 422 and "huruf Latin" in other_script.text
    assert fresh(db, req).name == "Marsudi Natsir Agus"


def test_the_person_a_letter_is_for_keeps_their_name_but_for_a_typo():
    from plaju.documents.correction import _another_person
    before = {"same": False, "nik": "1671010101800099", "name": "Bambang Irawan", "relation": "saudara"}
    assert _another_person("person", before, dict(before, name="Bambang Irwan")) is None
    assert "Dewi Lestari" in _another_person("person", before, dict(before, name="Dewi Lestari"))[1]
    heirs = {"name": "Almarhum Sutrisno", "nik": "", "date": "2026-11-01", "relation": "anak",
             "heirs": [{"name": "Rudi Hartono", "nik": "1671010101800011", "relation": "anak"}]}
    fixed = dict(heirs, heirs=[dict(heirs["heirs"][0], name="Rudi Hartanto")])
    assert _another_person("inheritance", heirs, fixed) is None
    other = dict(heirs, heirs=[dict(heirs["heirs"][0], name="Yanti Permata")])
    assert _another_person("inheritance", heirs, other)[0] == "h_0"


def test_the_camat_s_page_says_what_changed_since_he_sent_it_back(client, login_as, db, users, make_request):
    """Submitted again without a change, the request's page told the Camat "check that this was corrected"
    while his list said nothing had changed."""
    req = _sent_back(db, users, make_request)
    take_action(fresh(db, req), "to_signature", users["kasi"], version=fresh(db, req).version)
    login_as("camat")
    note = client.get(f"/documents/{req.id}").text.split('data-testid="signer-note">')[1].split("</div>")[0]
    inbox_row = client.get("/inbox/").text.split(req.tracking_code)[1].split('data-testid="inbox-row"')[0]
    assert note.strip() in inbox_row and "Alamat RT/RW tidak sesuai KTP" in note


def test_a_kelurahan_chosen_wrong_at_the_counter_is_corrected(client, login_as, db, users, make_request):
    """Sent back as "Kelurahan salah", the letter kept "surat pengantar Lurah Plaju Darat": the form offered no
    kelurahan, and typing it into the address was refused. Only one of the office's kelurahan is taken."""
    req = _sent_back(db, users, make_request)
    right = "Talang Putri" if req.kelurahan != "Talang Putri" else "Plaju Ulu"
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'id="fix-kelurahan"' in page
    url = f"/documents/{req.id}/correct"
    wrong = client.post(url, headers=HX, data={"version": req.version, "address": req.address,
                                               "purpose": req.purpose, "kelurahan": "Kelurahan Antah"})
    assert wrong.status_code == 422 and "Pilih salah satu kelurahan" in wrong.text
    assert fresh(db, req).kelurahan == req.kelurahan
    done = client.post(url, headers=HX, data={"version": req.version, "address": req.address,
                                              "purpose": req.purpose, "kelurahan": right})
    assert done.status_code == 200, done.text[:2000]
    row = fresh(db, req)
    assert row.kelurahan == right and "kelurahan" in row.corrected_fields
    assert any(f"Kelurahan {right}, Kecamatan Plaju" in s for s in draw(row).content.statements)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    assert right in event.changes


def test_two_corrections_at_once_the_second_does_not_put_the_first_back(client, login_as, db, users, make_request):
    """The clerk corrected the purpose while the Kasi had the form open and changed the address: his refused
    form came back with his old purpose under the new version, and saving it again wiped her correction."""
    req = _sent_back(db, users, make_request)
    opened, old_purpose = req.version, req.purpose
    login_as("kasi2")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": opened, "address": req.address, "purpose": "pendaftaran SMP Negeri 20 Palembang"}).status_code == 200
    login_as("kasi")
    stale = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": opened, "address": "Jl. Pertahanan No. 38 RT 021 RW 007", "purpose": old_purpose})
    assert stale.status_code == 409
    # the form holds what is stored now; what he typed and is not saved is named, to type again
    assert 'value="pendaftaran SMP Negeri 20 Palembang"' in stale.text and f'value="{old_purpose}"' not in stale.text
    assert "belum tersimpan: alamat: Jl. Pertahanan No. 38 RT 021 RW 007; keperluan: " + old_purpose in stale.text
    version = int(re.search(r'name="version" value="(\d+)"', stale.text).group(1))
    again = client.post(f"/documents/{req.id}/correct", headers=HX, data={   # the form as it came back, plus
        "version": version, "address": "Jl. Pertahanan No. 38 RT 021 RW 007",  # his address typed again
        "purpose": "pendaftaran SMP Negeri 20 Palembang"})
    assert again.status_code == 200
    row = fresh(db, req)
    assert (row.address, row.purpose) == ("Jl. Pertahanan No. 38 RT 021 RW 007", "pendaftaran SMP Negeri 20 Palembang")


def test_a_stale_correction_names_the_wedding_day_and_kua_it_did_not_save(client, login_as, db, users,
                                                                          make_request):
    """The Kasi corrected a dispensation's wedding day and KUA while a colleague corrected its purpose: the
    refused form came back with the stored day and KUA, and nothing said hers were lost."""
    from datetime import date, timedelta
    req = make_request("processing", "dispensasi-nikah")
    opened, subject = req.version, req.subject
    login_as("kasi2")
    assert client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": opened, "address": req.address, "purpose": "menikah di KUA Plaju"}).status_code == 200
    login_as("kasi")
    moved = (date.fromisoformat(subject["date"]) + timedelta(days=1)).isoformat()
    stale = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": opened, "name": req.name, "address": req.address, "purpose": req.purpose, "subject_sent": "1",
        "s_name": subject["name"], "s_date": moved, "s_place": "KUA Kecamatan Seberang Ulu I"})
    assert stale.status_code == 409
    from plaju.i18n import date_text
    with client.application.test_request_context():
        said = date_text(date.fromisoformat(moved))
    assert f"Tanggal pernikahan: {said}" in stale.text and "KUA Kecamatan Seberang Ulu I" in stale.text
    assert "belum tersimpan" in stale.text and fresh(db, req).subject == subject


def test_a_dispensation_is_not_signed_after_its_wedding_day(client, login_as, db, users, make_request):
    """A Dispensasi Nikah waited a week for the Camat; signed after the wedding, the letter said the marriage
    "will take place" on a day gone by. Not signed then; whoever submits it is told: the day is corrected (a
    wedding moved) or the request rejected."""
    from datetime import timedelta

    from plaju.database import utcnow
    from plaju.timeutil import today_wib
    week_ago = utcnow() - timedelta(days=7)  # taken in then, the wedding five days later: two days ago
    req = make_request("awaiting_signature", "dispensasi-nikah", received_at=week_ago,
                       submitted_by_id=users["kasi"].id)
    assert req.subject["date"] < today_wib().isoformat()
    login_as("camat")
    page = client.get(f"/documents/{req.id}").text
    assert "sudah lewat" in page  # the button says why before he types his password
    assert "sudah lewat" in client.get("/inbox/").text  # and so does his list
    refused = client.post(f"/documents/{req.id}/actions/sign", headers=HX,
                          data={"version": str(req.version), "password": PASSWORD})
    assert refused.status_code == 422 and "sudah lewat" in refused.text
    assert fresh(db, req).state == "awaiting_signature"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.sign",
                                                       AuditEvent.outcome == "refused")).one()
    row = take_action(fresh(db, req), "send_back", users["camat"], version=req.version,
                      comment="Tanggal nikah sudah lewat, mohon dicek")
    login_as("kasi")  # who submits it is told beside the button, and may correct it
    assert "sudah lewat" in client.get(f"/documents/{req.id}").text
    # the wedding was moved: the day is corrected, and then it goes on
    moved = (today_wib() + timedelta(days=3)).isoformat()
    sent = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": row.version, "name": req.name, "address": req.address, "purpose": req.purpose,
        "subject_sent": "1", "s_name": req.subject["name"], "s_date": moved, "s_place": req.subject["place"]})
    assert sent.status_code == 200 and fresh(db, req).subject["date"] == moved
    row = take_action(fresh(db, req), "to_signature", users["kasi"], version=fresh(db, req).version)
    signed = take_action(row, "sign", users["camat"], version=row.version, password=PASSWORD)
    assert signed.state == "signed"
    # handed over, and the wedding day gone by: a replacement of its letter is not signed either
    from plaju.letters.models import Letter
    signed = fresh(db, req)
    signed.state = "handed_over"
    signed.subject_data = signed.subject_data.replace(moved, week_ago.date().isoformat())
    db.session.commit()
    letter = db.session.scalars(select(Letter).where(Letter.subject_id == req.id)).one()
    login_as("camat")
    replaced = client.post(f"/letters/{letter.id}/revoke", follow_redirects=True,
                           data={"password": PASSWORD, "reason": "Nama calon suami salah tulis", "replace": "1"})
    assert "sudah lewat" in replaced.text
    db.session.expire_all()
    assert [(one.number, one.status) for one in db.session.scalars(select(Letter))] == [(letter.number, "valid")]
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.reissue")).one().outcome == \
        "refused"


def test_a_short_reason_names_who_reads_it(db, users, make_request):
    """Sent back with "x", the Camat was told the applicant reads his reason: only his colleagues do. A return
    to the citizen is read by the applicant too."""
    from plaju.workflow import Invalid
    req = make_request("awaiting_signature", "sktm", submitted_by_id=users["kasi"].id)
    with pytest.raises(Invalid) as refused:
        take_action(req, "send_back", users["camat"], version=req.version, comment="x")
    assert "rekan Anda membacanya" in str(refused.value.message) and "pemohon" not in str(refused.value.message)
    other = make_request("verifying", "sktm")
    with pytest.raises(Invalid) as refused:
        take_action(other, "return_to_citizen", users["clerk"], version=other.version, comment="x")
    assert "pemohon dan rekan Anda" in str(refused.value.message)

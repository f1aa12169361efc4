"""The public check /cek: no login, no personal data, valid or revoked, upload compared byte for byte."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.letters import register
from plaju.letters.models import Letter
from tests.conftest import PG_URL


def _check(client, code, **kwargs):
    client.post("/logout")
    return client.get(f"/cek/{code}", **kwargs)


def test_the_check_shows_the_letter_and_no_personal_data(db, client, sign):
    req, letter = sign("sktm", name="Rahasia Miskin", kelurahan="Komperta")
    response = _check(client, letter.check_code)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-status="valid"' in page and "SAH" in page
    assert letter.number in page and "Surat Keterangan Tidak Mampu" in page
    assert "Camat Uji" in page and "Camat Plaju" in page
    for private in ("Rahasia Miskin", req.nik, req.tracking_code, "Komperta"):
        assert private not in page
    # the name masked: a genuine code stuck on a forged letter for someone else does not match it
    held = req.subject.get("name") if req.subject and not req.subject.get("same") else "Rahasia Miskin"
    from plaju.letters.services import mask_name
    assert mask_name("Rahasia Miskin") == "R•••••• M•••••"
    assert f'data-testid="check-holder">{mask_name(held)} ' in page


def test_the_qr_code_and_the_printed_code_lead_to_the_check(db, sign):
    _req, letter = sign("sktm")
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", letter.check_code)
    assert register.CODE_LENGTH * 5 >= 60  # 32 symbols: 5 bits each
    assert register.normalise_check_code(letter.check_code.lower().replace("-", " ")) == letter.check_code


def test_codes_are_typed_loosely_but_unknown_ones_are_a_clear_404(db, client, sign):
    _req, letter = sign("sktm")
    assert _check(client, letter.check_code.replace("-", "").lower()).status_code == 200
    for code in ("AAAA-BBBB-CCCC", "nope", "0000-1111-OOOO"):
        response = _check(client, code)
        assert response.status_code == 404
        assert "Tidak ada surat dengan kode pemeriksaan ini" in response.get_data(as_text=True)


def test_guessing_codes_is_throttled_and_checking_genuine_letters_is_not(app, db, client, sign):
    _req, letter = sign("sktm")
    old = app.config["CHECK_LIMIT"]
    app.config["CHECK_LIMIT"] = "3 per minute"
    try:
        genuine = [_check(client, letter.check_code).status_code for _ in range(6)]
        answers = [client.get(f"/cek/AAAA-BBBB-CCC{c}") for c in "DEFGH"]
        after = _check(client, letter.check_code).status_code
    finally:
        app.config["CHECK_LIMIT"] = old
    assert genuine == [200] * 6  # a teller checking a stack of letters is never held up
    assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]
    assert after == 429  # once guessing has spent the allowance, this address waits like any other
    # the citizen is told to wait and try the same page again, on the office's public pages (not the staff's)
    page = answers[-1].get_data(as_text=True)
    assert 'href="/cek/AAAA-BBBB-CCCH">Coba lagi</a>' in page and "/login" not in page
    assert ">Kecamatan Plaju</a>" in page and "Intranet Plaju</a>" not in page


def _upload(client, letter, data: bytes):
    from io import BytesIO
    return client.post(f"/cek/{letter.check_code}", data={"pdf": (BytesIO(data), "surat.pdf")},
                       content_type="multipart/form-data")


def test_the_same_file_matches_and_one_changed_byte_does_not(db, client, sign, app):
    _req, letter = sign("sktm")
    client.post("/logout")
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = sorted(folder.rglob("*")) if folder.exists() else []
    response = _upload(client, letter, letter.pdf)
    assert response.status_code == 200 and 'data-result="match"' in response.get_data(as_text=True)
    changed = bytearray(letter.pdf)
    changed[len(changed) // 2] ^= 0x20
    response = _upload(client, letter, bytes(changed))
    assert response.status_code == 200 and 'data-result="mismatch"' in response.get_data(as_text=True)
    assert _upload(client, letter, b"").status_code == 422
    photo = _upload(client, letter, b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert photo.status_code == 422 and 'data-result="not_pdf"' in photo.get_data(as_text=True)
    assert "alert-success" not in photo.get_data(as_text=True)  # nothing was compared: no green verdict on top
    # a changed file is said first, above the letter's valid status
    page = response.get_data(as_text=True)
    assert page.index('data-result="mismatch"') < page.index('data-testid="check-status"')
    assert "SAH" not in page and "alert-success" not in page  # no green box under the red one
    # nothing of the uploads is kept
    assert (sorted(folder.rglob("*")) if folder.exists() else []) == before


def test_a_plt_of_a_vacant_camat_office_revokes_and_recalls_a_plh_does_not(db, client, login_as, users, sign):
    """With a Plt in the Camat's vacant office nobody could revoke or recall a wrong letter until a Camat was
    appointed. A Plt holds the office and may; a Plh stands in for a Camat away for a while and may not."""
    from datetime import timedelta

    from plaju.accounts.models import Delegation
    from plaju.documents.models import DocumentRequest
    from plaju.timeutil import today_wib
    today = today_wib()
    req, letter = sign("sktm")
    req.state = "handed_over"  # in the citizen's hands: only revoking it stops its use
    recalled, _letter = sign("sktm")  # not handed over: recalled for correction
    plh = Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh", starts_on=today,
                     ends_on=today + timedelta(days=3))
    db.session.add(plh)
    db.session.commit()
    login_as("kasi")  # the Plh: neither
    client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123", "reason": "salah nama"})
    client.post(f"/documents/{recalled.id}/actions/recall",
                data={"version": recalled.version, "password": "test-password-123", "comment": "salah nama"})
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).status == "valid"
    assert db.session.get(DocumentRequest, recalled.id).state == "signed"
    plh.revoked = True
    users["camat"].active = False  # the Camat left: the Sekcam holds the office as Plt
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plt",
                              starts_on=today, ends_on=today + timedelta(days=30)))
    db.session.commit()
    login_as("sekcam")
    page = client.get(f"/documents/{req.id}").text
    assert f"/letters/{letter.id}/revoke" in page
    # a replacement is signed in one's own right: the Plt is not offered one (it answered 403)
    assert 'name="replace"' not in page and 'data-testid="no-replacement"' in page
    assert client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123",
                                                              "reason": "Nama pemohon salah tulis"}).status_code == 303
    done = client.post(f"/documents/{recalled.id}/actions/recall",
                       data={"version": recalled.version, "password": "test-password-123", "comment": "salah nama"})
    assert done.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).status == "revoked"
    assert db.session.get(DocumentRequest, recalled.id).state == "processing"
    revoked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.revoke",
                                                          AuditEvent.outcome == "ok")).one()
    assert revoked.actor_id == users["sekcam"].id and revoked.acting_for_id == users["camat"].id
    from plaju.audit import sentences
    [line] = sentences.render([revoked])  # HR reads the appointment in force then, not the revoked Plh
    assert "sebagai Plt." in line.who and "Plh" not in line.who and line.basis.startswith("Plt")
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused",
                                                          AuditEvent.actor_id == users["kasi"].id)).all()
    assert {e.action for e in refused} == {"letter.revoke", "document.recall"}  # the Plh's, both in the log


def test_revoking_needs_the_camat_s_password_and_a_reason_and_is_audited(db, client, login_as, sign):
    req, letter = sign("sktm")
    req.state = "handed_over"  # the letter reached the citizen: only revoking it can stop its use
    db.session.commit()
    login_as("kasi")
    client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123", "reason": "salah nama"})
    assert db.session.get(Letter, letter.id).status == "valid"  # not the Camat
    login_as("camat")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert f"/letters/{letter.id}/revoke" in page and f"/letters/{letter.id}.pdf" in page
    response = client.post(f"/letters/{letter.id}/revoke", data={"password": "salah", "reason": "salah nama"},
                           follow_redirects=True)
    assert "Kata sandi salah" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).status == "valid"
    response = client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123", "reason": " "},
                           follow_redirects=True)
    assert "Alasan pencabutan surat wajib diisi" in response.get_data(as_text=True)
    response = client.post(f"/letters/{letter.id}/revoke",
                           data={"password": "test-password-123", "reason": "Nama pemohon salah tulis"})
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Letter, letter.id)
    assert row.status == "revoked" and row.revoke_reason == "Nama pemohon salah tulis"
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.revoke")
                                     .order_by(AuditEvent.seq)))
    # every refusal is in the log, the Kasi's, the wrong password's and the missing reason's
    assert [e.outcome for e in events] == ["refused", "refused", "refused", "ok"]
    assert [e.comment.split("]")[0] for e in events[:3]] == ["[role", "[reauth", "[input:revoke"]
    again = client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123", "reason": "lagi"})
    assert again.status_code == 303 and db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "letter.revoke").order_by(AuditEvent.seq.desc())).first().outcome == "refused"
    page = _check(client, letter.check_code).get_data(as_text=True)
    assert 'data-status="revoked"' in page and "DICABUT" in page
    # the revoked letter keeps its number; the next letter takes the next one
    _req2, second = sign("sktm")
    assert second.serial == letter.serial + 1


def test_a_letter_still_in_the_office_is_replaced_not_revoked_alone(db, client, login_as, sign):
    """Revoked alone, a letter not yet handed over would still be marked ready and handed to the citizen."""
    from plaju.documents.models import DocumentRequest
    for state in ("signed", "ready"):
        req, letter = sign("sktm")
        req.state = state
        db.session.commit()
        login_as("camat")
        page = client.get(f"/documents/{req.id}").get_data(as_text=True)  # the recall is the way, it says so
        assert 'data-testid="recall-instead"' in page and f'action="/letters/{letter.id}/revoke"' not in page
        response = client.post(f"/letters/{letter.id}/revoke",
                               data={"password": "test-password-123", "reason": "Nama pemohon salah tulis"},
                               follow_redirects=True)
        assert "Surat ini belum diserahkan" in response.get_data(as_text=True)
        assert "Tarik kembali untuk perbaikan" in response.get_data(as_text=True)  # the way to correct it
        db.session.expire_all()
        assert db.session.get(Letter, letter.id).status == "valid"
        assert db.session.get(DocumentRequest, req.id).state == state
        refusal = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.revoke")
                                     .order_by(AuditEvent.seq.desc())).first()
        assert refusal.outcome == "refused" and refusal.subject_id == str(letter.id)


def test_the_register_lists_every_number_for_the_office_s_leaders(db, client, login_as, sign):
    _req, first = sign("sktm")
    _req, second = sign("domisili")
    for who, status in (("camat", 200), ("sekcam", 200), ("kasi", 200), ("hr", 200), ("admin", 200),
                        ("clerk", 403), ("asn", 403)):
        login_as(who)
        response = client.get("/letters/")
        assert response.status_code == status, who
        if status == 200:
            page = response.get_data(as_text=True)
            assert first.number in page and second.number in page
            assert page.index(second.number) < page.index(first.number)  # newest first


def test_the_register_pages(db, client, login_as, sign, monkeypatch):
    from plaju.letters import services
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    letters = [sign("sktm")[1] for _ in range(3)]
    login_as("camat")
    page = client.get("/letters/").get_data(as_text=True)
    assert letters[2].number in page and letters[1].number in page and letters[0].number not in page
    match = re.search(r'href="(/letters/\?before=\d+)"', page)
    older = client.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert letters[0].number in older and letters[2].number not in older


def test_a_correction_is_a_new_signed_letter_and_the_old_one_is_revoked(db, client, login_as, sign, keys_dir):
    from tests.letters.conftest import pyhanko_status
    req, old = sign("sktm", name="Nama Salah Tulis")
    req.name = "Nama Yang Benar"
    db.session.commit()
    opened = req.version  # the request's page, opened before the replacement
    login_as("camat")
    response = client.post(f"/letters/{old.id}/revoke", data={"password": "test-password-123", "replace": "1",
                                                              "reason": "Nama pemohon salah tulis"})
    assert response.status_code == 303
    db.session.expire_all()
    letters = list(db.session.scalars(select(Letter).order_by(Letter.id)))
    assert [(letter.status, letter.serial) for letter in letters] == [("revoked", 1), ("valid", 2)]
    from plaju.letters.services import pdf_of
    new = pdf_of(letters[1].id)
    assert pyhanko_status(new.pdf, keys_dir).bottom_line
    assert new.sha256 != old.sha256 and pdf_of(old.id).pdf == old.pdf  # the old bytes are kept unchanged
    assert letters[0].revoke_reason.startswith(f"Diganti dengan surat nomor {new.number}")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.reissue")).one()
    assert new.sha256 in event.changes and event.outcome == "ok"
    assert 'data-status="revoked"' in _check(client, old.check_code).get_data(as_text=True)
    assert 'data-status="valid"' in _check(client, new.check_code).get_data(as_text=True)
    # the request's page opened before the replacement showed the old letter: its recall is out of date, and
    # does not revoke a letter it never showed
    login_as("camat")
    recall = client.post(f"/documents/{req.id}/actions/recall", data={
        "version": str(opened), "password": "test-password-123", "comment": "Alamat juga salah tulis"})
    assert recall.status_code == 409
    db.session.expire_all()
    assert db.session.get(Letter, letters[1].id).status == "valid"


def test_the_register_links_a_letter_to_its_record_only_for_whoever_may_open_it(db, client, login_as, sign):
    """The leaders who read the register are not all allowed into the document queue (Sekcam, HR, admin):
    they see the number and the reference, not a link that ends in "forbidden"."""
    req, letter = sign("sktm")
    href = f'href="/documents/{req.id}"'
    for who, linked in (("camat", True), ("kasi", True), ("sekcam", False), ("hr", False), ("admin", False)):
        login_as(who)
        page = client.get("/letters/").get_data(as_text=True)
        assert letter.number in page, who
        assert (href in page) is linked, who
        # the number opens the signed PDF for the same readers, and only for them
        assert (f'href="/letters/{letter.id}.pdf"' in page) is linked, who
        assert client.get(f"/letters/{letter.id}.pdf").status_code == (200 if linked else 403), who
        if linked:
            assert client.get(f"/documents/{req.id}").status_code == 200, who


def test_a_certificate_s_record_opens_for_its_holder_and_hr_not_for_another_asn(db, users):
    from types import SimpleNamespace

    from plaju.letters.services import openable_records
    from plaju.training.certificates import SUBJECT_NAME
    from plaju.training.models import Course, Enrolment
    course = Course(title="Pelatihan Arsip", kind="teknis", method="pelatihan", jp=8, provider="Internal")
    db.session.add(course)
    db.session.flush()
    enrolment = Enrolment(course_id=course.id, user_id=users["asn"].id)
    db.session.add(enrolment)
    db.session.commit()
    letters = [SimpleNamespace(subject_type=SUBJECT_NAME, subject_id=enrolment.id),
               SimpleNamespace(subject_type="no-such-area", subject_id=enrolment.id)]
    mine = {(SUBJECT_NAME, enrolment.id)}
    assert openable_records(users["asn"], letters) == mine
    assert openable_records(users["hr"], letters) == mine
    assert openable_records(users["kasi"], letters) == mine  # the holder's supervisor
    assert openable_records(users["clerk"], letters) == set()


def test_the_sign_step_reads_in_the_log_with_the_letter_s_number(app, db, sign):
    from plaju.audit import sentences
    from plaju.audit.models import AuditEvent
    _req, letter = sign("sktm")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.sign",
                                                        AuditEvent.outcome == "ok")).one()
    with app.test_request_context("/"):
        [line] = sentences.render([event])
    changes = [(c.label, c.before, c.after) for c in line.changes]
    # the number once: the register's id beside it is kept in the event for the machine, not said again
    assert ("Nomor surat", "—", letter.number) in changes
    assert [c for c in changes if c[2] == letter.number] == [("Nomor surat", "—", letter.number)]


def test_a_signed_letter_with_a_wrong_address_is_recalled_corrected_and_signed_again(db, client, login_as, sign,
                                                                                    users):
    """Signed, not handed over, a wrong address seen: "replace" only signed the same data again with a new
    number. The Camat recalls it (password and reason): the letter is revoked, the Kasi corrects the data,
    and the corrected letter is signed with a new number."""
    from plaju.documents.models import DocumentRequest
    from plaju.documents.services import take_action
    from tests.support import PASSWORD
    req, first = sign("sktm")
    req = take_action(req, "mark_ready", users["clerk"], version=req.version)
    login_as("camat")
    assert "Tarik kembali untuk perbaikan" in client.get(f"/documents/{req.id}").text
    req = take_action(req, "recall", users["camat"], version=req.version, password=PASSWORD,
                      comment="Alamat RT/RW tidak sesuai KTP")
    db.session.expire_all()
    assert req.state == "processing" and db.session.get(Letter, first.id).status == "revoked"
    assert 'data-status="revoked"' in _check(client, first.check_code).get_data(as_text=True)
    recalled = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.recall")).one()
    assert recalled.changes_dict["revoked_letters"] == [None, first.number]
    login_as("kasi")  # what to correct is beside the steps, and the form is there
    page = client.get(f"/documents/{req.id}").text
    assert "Alamat RT/RW tidak sesuai KTP" in page and 'data-testid="correct-letter"' in page
    assert first.number in page  # the revoked letter stays in the request's history
    assert "Surat yang dicabut" in page and "revoked_letters" not in page  # in words, not the field's name
    assert 'data-testid="signed-as"' not in page and not req.signed_as  # not "signed by the Camat" any more
    fixed = client.post(f"/documents/{req.id}/correct", headers={"HX-Request": "true"}, data={
        "version": req.version, "address": "Jl. Pertahanan No. 38 RT 021 RW 007", "purpose": req.purpose})
    assert fixed.status_code == 200
    req = db.session.get(DocumentRequest, req.id)
    req = take_action(req, "to_signature", users["kasi"], version=req.version)
    take_action(req, "sign", users["camat"], version=req.version, password=PASSWORD)
    second = db.session.scalars(select(Letter).where(Letter.subject_id == req.id, Letter.status == "valid")).one()
    assert second.number != first.number and second.serial == first.serial + 1


def test_the_recall_is_the_camat_s_with_his_password_and_a_reason(db, sign, users):
    from plaju.documents.services import take_action
    from plaju.workflow import Refused
    from tests.support import PASSWORD
    req, letter = sign("sktm")
    for who, password, comment in (("kasi", PASSWORD, "salah"), ("camat", "salah-sandi", "salah"),
                                   ("camat", PASSWORD, "")):
        try:
            take_action(req, "recall", users[who], version=req.version, password=password, comment=comment)
        except Refused:
            db.session.rollback()
        else:
            raise AssertionError((who, password, comment))
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).status == "valid"


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="a race needs PostgreSQL row locks; SQLite serialises every writer")
@pytest.mark.parametrize("second", ["reissue", "recall"])
def test_a_replacement_at_the_same_moment_as_another_replacement_or_a_recall_leaves_one_valid_letter(
        app, db, sign, users, second):
    """Two tabs: two replacements made two valid letters; a recall and a replacement left a request being
    corrected with a valid, freshly signed letter."""
    import threading

    from plaju.documents.models import DocumentRequest
    from plaju.documents.services import take_action
    from plaju.letters import services as svc
    from plaju.workflow import Refused
    from tests.support import PASSWORD
    req, letter = sign("sktm")
    ids = {"req": req.id, "letter": letter.id, "camat": users["camat"].id}
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(kind):
        from plaju.accounts.models import User
        from plaju.extensions import db as _db
        with app.app_context():
            camat = _db.session.get(User, ids["camat"])
            row = _db.session.get(Letter, ids["letter"])
            request_row = _db.session.get(DocumentRequest, ids["req"])
            barrier.wait()
            try:
                if kind == "reissue":
                    svc.reissue(row, camat, password=PASSWORD, reason="Nama salah")
                else:
                    take_action(request_row, "recall", camat, version=request_row.version, password=PASSWORD,
                                comment="Alamat salah")
                outcomes.append("done")
            except (svc.LetterRefused, Refused) as refused:
                outcomes.append(str(refused))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(kind,)) for kind in ("reissue", second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    valid = db.session.scalars(select(Letter).where(Letter.subject_id == req.id, Letter.status == "valid")).all()
    state = db.session.get(DocumentRequest, req.id).state
    if second == "reissue":
        assert sorted(o == "done" for o in outcomes) == [False, True] and len(valid) == 1, outcomes
    else:  # whichever came first, a request being corrected has no valid letter
        assert "done" in outcomes and (state != "processing" or valid == []), (outcomes, state, valid)


def test_a_citizen_holding_a_replaced_or_revoked_letter_is_told_and_so_is_the_clerk(db, client, login_as, sign,
                                                                                     users, smtp):
    """She had collected the letter; the Camat replaced it: the tracking page still said "finished", no
    message went out, and nobody was asked to hand over the new one. A bank would turn her away."""
    from plaju.database import utcnow
    from plaju.documents.models import DocumentHandover
    from plaju.notify.models import Notification
    results = {}
    for replace in (True, False):
        req, letter = sign("sktm")
        req.state, req.closed_at = "handed_over", utcnow()
        req.email, req.contact_consent_at = "warga@example.org", utcnow()
        db.session.add(DocumentHandover(request_id=req.id, name=req.name, relation="Pemohon sendiri",
                                        id_kind="KTP-el", id_number=req.nik, recorded_by_id=users["clerk"].id))
        db.session.commit()
        login_as("camat")
        data = {"password": "test-password-123", "reason": "Alamat salah tulis"}
        assert client.post(f"/letters/{letter.id}/revoke", data={**data, "replace": "1"} if replace
                           else data).status_code == 303
        db.session.expire_all()
        track = client.get(f"/track/{req.tracking_code}").text
        mail = smtp.to("warga@example.org")[-1]  # through a real SMTP server on 127.0.0.1
        note = db.session.scalars(select(Notification).where(Notification.user_id == users["clerk"].id)
                                  .order_by(Notification.id.desc())).first()
        results[replace] = (track, mail.get_body(preferencelist=("plain",)).get_content(), note.subject)
        assert letter.number in track and "tidak berlaku lagi" in track
        assert req.name not in track and "Alamat salah tulis" not in track  # numbers and dates, not the reason
    replaced_track, replaced_mail, replaced_note = results[True]
    new = db.session.scalars(select(Letter).where(Letter.status == "valid").order_by(Letter.id)).first()
    assert 'data-testid="track-letter-replaced"' in replaced_track and new.number in replaced_track
    assert "diganti dengan surat baru" in replaced_mail and "tidak berlaku lagi" in replaced_mail
    assert replaced_note.startswith(f"Serahkan surat pengganti {new.number}")
    revoked_track, revoked_mail, revoked_note = results[False]
    assert 'data-testid="track-letter-revoked"' in revoked_track and "dicabut pada" in revoked_mail
    assert "dicabut" in revoked_note


def test_the_genuine_file_of_a_revoked_letter_reads_revoked_throughout(db, client, login_as, sign):
    """A red REVOKED at the top and a green "the file is exactly the letter" below it."""
    req, letter = sign("sktm")
    req.state = "handed_over"  # in the citizen's hands: revoked on its own
    db.session.commit()
    login_as("camat")
    assert client.post(f"/letters/{letter.id}/revoke", data={"password": "test-password-123",
                                                             "reason": "Nama salah tulis"}).status_code == 303
    client.post("/logout")
    page = _upload(client, letter, letter.pdf).get_data(as_text=True)
    assert 'alert-danger" data-testid="upload-result" data-result="match"' in page and "DICABUT" in page
    assert 'alert-success" data-testid' not in page

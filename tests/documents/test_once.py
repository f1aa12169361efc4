"""A create form posted twice (double click, re-post, two tabs) creates once and shows the first
result; a second open request for the same NIK and type needs the clerk's confirmation; a document
type edit missing fields changes nothing."""
import re
import threading

import pytest
from sqlalchemy import select

from plaju.accounts.models import User
from plaju.audit.models import AuditEvent
from plaju.documents import services as svc
from plaju.documents.models import DocumentRequest, DocumentType
from plaju.once import AlreadyDone, new_token
from tests.documents.conftest import count_rows as _count
from tests.documents.conftest import valid_nik
from tests.support import PASSWORD, make_user, type_seen


def test_the_intake_page_carries_a_fresh_token_each_time(client, login_as, db):
    login_as("clerk")
    tokens = [re.search(r'name="form_token" type="hidden" value="([^"]+)"', client.get("/documents/new").text)
              for _ in range(2)]
    assert all(tokens) and tokens[0].group(1) != tokens[1].group(1)


def test_posting_the_same_intake_twice_creates_one_request_and_returns_the_first(client, login_as, intake, db):
    login_as("clerk")
    data = intake()
    first = client.post("/documents/new", data=data)
    assert first.status_code == 303
    again = client.post("/documents/new", data=data)  # the re-post, the double click, the second tab
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _count(db, DocumentRequest) == 1
    assert "sudah pernah dikirim" in client.get(again.headers["Location"]).text
    # even after the type or the citizen's other data changed in between, the token wins
    assert client.post("/documents/new", data={**data, "name": "Orang Lain"}).headers["Location"] == \
        first.headers["Location"]
    assert _count(db, DocumentRequest) == 1


def test_a_post_without_its_token_is_refused(client, login_as, intake, db):
    login_as("clerk")
    for token in (None, "", "pendek", "a" * 65, "bukan token!" * 3):
        data = intake()
        if token is None:
            del data["form_token"]
        else:
            data["form_token"] = token
        response = client.post("/documents/new", data=data)
        assert response.status_code == 422 and "Formulir sudah kedaluwarsa" in response.text
    assert _count(db, DocumentRequest) == 0


def test_a_token_belongs_to_its_user(client, login_as, intake, db, users):
    users["kasi"]  # section heads take in requests too
    data = intake()
    login_as("clerk")
    first = client.post("/documents/new", data=data)
    login_as("kasi")
    second = client.post("/documents/new", data={**data, "nik": valid_nik(), "form_token": data["form_token"]})
    assert second.status_code == 303 and second.headers["Location"] != first.headers["Location"]
    assert _count(db, DocumentRequest) == 2


def test_two_posts_of_one_form_at_the_same_moment_create_one_request(app, db, users, doc_types):
    ktp_id = doc_types["ktp-baru"].id
    token, nik = new_token(), valid_nik()
    db.session.commit()  # end the test's read: on SQLite it would hold the write lock
    start = threading.Barrier(2)
    outcome = []

    def post():
        with app.test_request_context(method="POST"):
            try:
                clerk = db.session.scalar(select(User).where(User.username == "clerk"))
                doc_type = db.session.get(DocumentType, ktp_id)
                db.session.commit()
                start.wait(timeout=10)
                req = svc.create_request(actor=clerk, nik=nik, name="Rina", phone="", kelurahan="Plaju Darat",
                                         doc_type=doc_type, ticked={r.id for r in doc_type.requirements},
                                         purpose="pendaftaran sekolah", address="Jl. Sentosa No. 7 RT 003 RW 001",
                                         birth_place="Palembang",
                                         once_token=token)
                outcome.append(f"/documents/{req.id}/receipt")
            except AlreadyDone as done:
                outcome.append(("again", done.url))
            except Exception as exc:  # noqa: BLE001  (shown by the assertion below)
                outcome.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(outcome) == 2, outcome
    created = [o for o in outcome if isinstance(o, str)]
    again = [o[1] for o in outcome if isinstance(o, tuple)]
    assert len(created) == 1 and again == created, outcome
    assert _count(db, DocumentRequest) == 1


def test_a_second_open_request_for_the_same_nik_and_type_needs_confirmation(client, login_as, intake, db,
                                                                             doc_types):
    login_as("clerk")
    nik = valid_nik()
    assert client.post("/documents/new", data=intake(nik=nik)).status_code == 303
    code = db.session.scalars(select(DocumentRequest.tracking_code)).one()
    warned = client.post("/documents/new", data=intake(nik=nik))
    assert warned.status_code == 422
    assert "sudah memiliki permohonan" in warned.text and code in warned.text and "Tetap daftarkan" in warned.text
    assert 'name="confirm_duplicate"' in warned.text
    # the first request is one click away, and the summary asks for the confirmation, not for red fields
    first_id = db.session.scalars(select(DocumentRequest.id)).one()
    assert f'href="/documents/{first_id}"' in warned.text.split('data-testid="twin-link"')[0].rsplit("<a", 1)[1]
    assert "konfirmasi peringatan di bawah" in warned.text
    assert _count(db, DocumentRequest) == 1
    # with other faults too, the warning comes in the same answer, not after they are put right (the scans
    # chosen again a second time)
    both = client.post("/documents/new", data=intake(nik=nik, requirements=[]))
    assert both.status_code == 422 and "sudah memiliki permohonan" in both.text
    assert "Persyaratan wajib belum lengkap" in both.text
    form_too = client.post("/documents/new", data=intake(nik=nik, kelurahan=""))  # the form's own fault as well
    assert form_too.status_code == 422 and "sudah memiliki permohonan" in form_too.text
    # another type for the same citizen is no double registration
    kk = doc_types["sktm"]
    other = intake(nik=nik, type_id=str(kk.id), requirements=[str(r.id) for r in kk.requirements])
    assert client.post("/documents/new", data=other).status_code == 303
    confirmed = client.post("/documents/new", data=intake(nik=nik, confirm_duplicate="y"))
    assert confirmed.status_code == 303
    assert _count(db, DocumentRequest, DocumentRequest.nik == nik) == 3


def test_a_closed_request_does_not_block_a_new_one_but_a_recent_hand_over_is_asked_about(
        client, login_as, intake, db, make_request):
    """Long ago it is another request; handed over days ago it is likely the same one taken in again (or a
    lost document): the clerk confirms it, as for an open one."""
    from datetime import timedelta

    from plaju.database import utcnow
    old = make_request("handed_over", closed_at=utcnow() - timedelta(days=40))
    login_as("clerk")
    assert client.post("/documents/new", data=intake(nik=old.nik)).status_code == 303
    recent = make_request("handed_over", closed_at=utcnow() - timedelta(days=3))
    warned = client.post("/documents/new", data=intake(nik=recent.nik))
    assert warned.status_code == 422
    assert "sudah menerima" in warned.text and recent.tracking_code in warned.text
    assert 'name="confirm_duplicate"' in warned.text
    assert client.post("/documents/new", data=intake(nik=recent.nik, confirm_duplicate="y")).status_code == 303


def _type_form(doc_type, **overrides):
    data = {"code": doc_type.code, "name": doc_type.name, "service_amount": str(doc_type.service_amount),
            "service_unit": doc_type.service_unit, "camat_signs": "y" if doc_type.camat_signs else "",
            "forwards_to_disdukcapil": "", "active": "y", "description": "", "archive_code": doc_type.archive_code,
            "other_regions": "", "min_age": "",
            "subject_kind": doc_type.subject_kind,
            "required": "\n".join(r.label for r in doc_type.requirements if r.required),
            "optional": "\n".join(r.label for r in doc_type.requirements if not r.required),
            "form_token": new_token(), "seen": type_seen(doc_type.id)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("missing", ["required", "optional", "active", "camat_signs", "name", "service_unit"])
def test_a_document_type_post_missing_a_field_changes_nothing(client, login_as, doc_types, db, missing):
    sktm = doc_types["sktm"]
    before = [(r.label, r.required) for r in sktm.requirements]
    state = (sktm.name, sktm.active, sktm.camat_signs)
    login_as("admin")
    response = client.post(f"/documents/admin/types/{sktm.id}", data=_type_form(sktm, **{missing: None}))
    assert response.status_code == 422
    said = re.search(r"tidak terkirim: ([^)]*)\)", response.text).group(1)
    assert "Formulir tidak lengkap" in response.text and said and missing not in said  # its label, not its name
    db.session.expire_all()
    t = db.session.get(DocumentType, sktm.id)
    assert [(r.label, r.required) for r in t.requirements] == before and before
    assert (t.name, t.active, t.camat_signs) == state
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_type.save")).one()
    assert refused.outcome == "refused"


def test_a_complete_document_type_post_can_untick_and_empty(client, login_as, doc_types, db):
    sktm = doc_types["sktm"]
    login_as("admin")
    page = client.get(f"/documents/admin/types/{sktm.id}").text
    assert page.count('type="hidden" name="active" value=""') == 1  # the checkbox is always sent
    response = client.post(f"/documents/admin/types/{sktm.id}",
                           data=_type_form(sktm, active="", optional="", required="Surat pengantar"))
    assert response.status_code == 303
    db.session.expire_all()
    t = db.session.get(DocumentType, sktm.id)
    assert t.active is False and [r.label for r in t.requirements] == ["Surat pengantar"]


def test_a_new_document_type_posted_twice_is_created_once(client, login_as, db):
    login_as("admin")
    data = {"code": "sk-domisili", "name": "Surat Keterangan Domisili", "service_amount": "2",
            "service_unit": "days", "camat_signs": "", "forwards_to_disdukcapil": "", "active": "y",
            "other_regions": "", "min_age": "",
            "description": "", "required": "Surat pengantar RT", "optional": "", "archive_code": "474",
                "subject_kind": "applicant",
            "form_token": new_token(), "seen": ""}
    first = client.post("/documents/admin/types/new", data=data)
    again = client.post("/documents/admin/types/new", data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(db, DocumentType, DocumentType.code == "sk-domisili") == 1


def test_a_document_type_s_change_reads_in_words_in_the_log(client, login_as, doc_types, db):
    """HR read "Standar pelayanan: 2 days → 4 hours" and requirements marked with a bare "*"."""
    sktm = doc_types["sktm"]
    login_as("admin")
    data = _type_form(sktm, service_amount="2", service_unit="days", required="Surat pengantar RT/RW",
                      optional="Fotokopi KK")
    assert client.post(f"/documents/admin/types/{sktm.id}", data=data).status_code == 303
    login_as("hr")
    page = client.get("/audit/", query_string={"action": "document_type.save"}).text
    assert "4 jam kerja → 2 hari kerja" in page and " days" not in page and " hours" not in page
    assert "Surat pengantar RT/RW (wajib)" in page and "Fotokopi KK (tidak wajib)" in page


def test_a_type_saved_from_an_older_form_does_not_undo_a_colleague_s_change(app, client, login_as, users, doc_types,
                                                                           db):
    """Two administrators had the SKTM open: one set its service standard from 4 to 6 hours, the other, from
    the older form, changed only its description, and the standard silently went back to 4."""
    sktm = doc_types["sktm"]
    opened = _type_form(sktm)  # both forms as opened, with the same stamp
    other = app.test_client()
    other.post("/login", data={"username": "admin", "password": PASSWORD})
    make_user("admin2", "admin")
    login_as("admin2")
    assert client.post(f"/documents/admin/types/{sktm.id}", data={**opened, "service_amount": "6",
                                                                  "service_unit": "hours"}).status_code == 303
    stale = other.post(f"/documents/admin/types/{sktm.id}", data={**opened, "description": "Untuk beasiswa"})
    assert stale.status_code == 409
    assert "Admin2 Uji mengubah data ini pada" in stale.text
    assert 'value="6"' in stale.text  # the form shows the type as saved
    db.session.expire_all()
    saved = db.session.get(DocumentType, sktm.id)
    assert (saved.service_amount, saved.service_unit, saved.description or "") == (6, "hours", "")
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_type.save",
                                                          AuditEvent.outcome == "refused")).one()
    assert "[input:stale]" in refused.comment and refused.actor_name.startswith("Admin Uji")

"""Completion only after it happened: the certificate's facts checked against the course, a blank or
unreadable file refused, HR's page with the schedule, the first page as an image and the other JP,
training outside the catalogue verified the same way, and two HR verifying at once."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.demo import tiny_pdf
from plaju.training.models import Course, Enrolment
from plaju.training.opened import record_reading
from plaju.training.services import tally as tally_service
from plaju.workflow import Invalid, available, fire
from tests.audit.conftest import checkpoint_file  # noqa: F401, F811  (a fixture)
from tests.support import make_user
from tests.training.conftest import completion_data, completion_form, pdf_upload

TODAY = today_wib()


def _past_course(make_course, **values):
    return make_course(starts_on=TODAY - timedelta(days=5), ends_on=TODAY - timedelta(days=3), jp=24, **values)


def _files(app) -> set:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return set(folder.iterdir()) if folder.exists() else set()


def _refused(db, enrolment_id):
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "enrolment", AuditEvent.subject_id == str(enrolment_id),
        AuditEvent.outcome == "refused")).all()


def test_completion_cannot_be_reported_before_the_course_ended(client, login_as, users, make_course, enrol, db, app):
    course = make_course(starts_on=TODAY + timedelta(days=28), ends_on=TODAY + timedelta(days=30))
    enrolment = enrol(course, users["asn"], "in_progress")
    [action] = [a for a in available(enrolment, users["asn"]) if a.trigger == "complete"]
    assert action.blocked and (TODAY + timedelta(days=30)).strftime("%Y") in action.blocked
    before = _files(app)
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "Penyelesaian dapat dilaporkan mulai" in page
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete",
                           data=completion_form(course, enrolment.version, date=TODAY.isoformat()),
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Penyelesaian dapat dilaporkan mulai" in response.text
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert row.state == "in_progress" and row.evidence_name is None and row.certificate_number is None
    assert _files(app) == before  # the upload was removed again
    assert len(_refused(db, enrolment.id)) == 1


def test_completion_from_the_last_day_records_the_certificate_as_printed(db, users, make_course, enrol, client,
                                                                         login_as):
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=24)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(course, jp="20", number="  800/12/BPSDM/2026 "))
    assert (done.state, done.certificate_number, done.certificate_date, done.certificate_jp) == (
        "completed", "800/12/BPSDM/2026", TODAY, 20)
    record_reading(done, users["hr"])  # HR opened the certificate it credits
    verified = fire(done, "verify", users["hr"], expected_version=done.version)
    assert verified.jp_credited == 20  # the JP as printed, not the course's 24
    assert tally_service.tally(users["asn"], TODAY.year) == 20
    login_as("asn")  # their own list says what counted, as its total does
    mine = client.get("/training/me").text.split('data-testid="my-enrolments"')[1]
    assert "20 JP" in mine and "24 JP" not in mine


def test_hr_credits_only_a_certificate_it_opened_since_it_was_reported(db, users, make_course, enrol, client,
                                                                        login_as):
    """HR credited 8 JP from the to-do list on a certificate made out to someone else, without ever opening it,
    and the log could not show anyone had read it."""
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=8)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version, data=completion_data(course))
    login_as("hr")
    blind = client.post("/inbox/act", data={"item": f"enrolment:{done.id}:verify:{done.version}"},
                        headers={"HX-Request": "true"})
    assert "Buka sertifikatnya sebelum mencatat JP-nya" in blind.text
    db.session.expire_all()
    assert db.session.get(Enrolment, done.id).state == "completed" and tally_service.tally(users["asn"]) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.verify",
                                                          AuditEvent.outcome == "refused")).one()
    assert refused.actor_id == users["hr"].id
    # the enrolment's page shows its first page: that counts as read (the log has it), and the JP are credited
    assert 'data-testid="evidence-preview"' in client.get(f"/training/enrolments/{done.id}").text
    assert client.get(f"/training/enrolments/{done.id}/evidence/page.png").status_code == 200
    read = client.post("/inbox/act", data={"item": f"enrolment:{done.id}:verify:{done.version}"},
                       headers={"HX-Request": "true"})
    assert read.status_code == 200 and "Buka sertifikatnya" not in read.text
    db.session.expire_all()
    assert db.session.get(Enrolment, done.id).state == "verified" and tally_service.tally(users["asn"]) == 8


def test_a_certificate_sent_again_is_opened_again_before_it_is_credited(db, users, make_course, enrol):
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=8)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version, data=completion_data(course))
    record_reading(done, users["hr"])
    back = fire(done, "return_evidence", users["hr"], expected_version=done.version, comment="Pindaian buram.")
    again = fire(back, "complete", users["asn"], expected_version=back.version, data=completion_data(course))
    with pytest.raises(Invalid, match="Buka sertifikatnya"):  # the old file was read, not this one
        fire(again, "verify", users["hr"], expected_version=again.version)
    record_reading(again, users["hr"])
    assert fire(again, "verify", users["hr"], expected_version=again.version).state == "verified"


def test_a_returned_certificate_file_is_kept_and_both_files_are_named_by_fingerprint(app, db, users, make_course,
                                                                                     enrol, client, login_as):
    """HR returned a blurred certificate and the ASN sent another: the first file was deleted, and the log
    kept only file names, so an inspection could not show what HR had refused."""
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=24)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(course, jp="20"))
    first_file, first_sha = done.evidence_name, done.evidence_sha256
    back = fire(done, "return_evidence", users["hr"], expected_version=done.version, comment="Pindaian buram.")
    login_as("asn")  # only the file was wrong: the form comes back with the certificate's facts as reported
    page = client.get(f"/training/enrolments/{back.id}").text
    assert f'name="certificate_number" maxlength="100" required value="{back.certificate_number}"' in page
    assert 'name="certificate_jp" required value="20"' in page
    from plaju.training.demo import tiny_pdf
    from plaju.uploads import store
    from tests.training.conftest import certificate_for, pdf_upload
    clear = store(pdf_upload("sttpp-jelas.pdf", tiny_pdf("STTPP yang jelas")))
    again = fire(back, "complete", users["asn"], expected_version=back.version,
                 data={"evidence": clear, "certificate": certificate_for(course, jp="20")})
    assert again.evidence_name != first_file
    assert (Path(app.config["UPLOAD_FOLDER"]) / first_file).exists()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.complete")
                                .order_by(AuditEvent.seq)).all()
    assert events[-1].changes_dict["evidence_sha256"] == [first_sha, again.evidence_sha256]


def test_a_certificate_dated_after_the_last_day_is_accepted_within_the_grace(users, make_course):
    """An STTPP is often signed days after the course; months later is another course's paper."""
    from plaju.training.evidence import CERTIFICATE_GRACE_DAYS, check_certificate
    course = _past_course(make_course)
    facts = {"number": "800/1/STTPP", "issuer": "BPSDM", "jp": "10"}
    assert check_certificate(course, {**facts, "date": (TODAY - timedelta(days=1)).isoformat()}, TODAY).jp == 10
    late = course.ends_on + timedelta(days=CERTIFICATE_GRACE_DAYS + 1)
    with pytest.raises(Invalid):
        check_certificate(course, {**facts, "date": late.isoformat()}, late)


def test_a_first_report_without_a_file_is_refused_and_keeps_what_was_typed(client, login_as, users, make_course,
                                                                           enrol, db):
    course = _past_course(make_course)
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    form = {k: v for k, v in completion_form(course, enrolment.version).items() if k != "evidence"}
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Unggah sertifikat atau STTPP sebagai bukti" in response.text
    assert form["certificate_number"] in response.text and 'data-testid="evidence-kept"' not in response.text
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"


@pytest.mark.parametrize("changes,code,words", [
    ({"jp": "30"}, "certificate_jp", "lebih dari 24 JP"),
    ({"date": (TODAY - timedelta(days=9)).isoformat()}, "certificate_date", "tidak sesuai dengan pelatihan"),
    ({"date": (TODAY - timedelta(days=6)).isoformat()}, "certificate_date", "tidak sesuai dengan pelatihan"),
    ({"date": "2026-02-30"}, "certificate", "Isikan tanggal"),
    ({"number": "   "}, "certificate", "nomor sertifikat"),
    ({"issuer": ""}, "certificate", "penerbit sertifikat"),
    ({"jp": "0"}, "certificate", "JP yang tercetak"),
])
def test_a_certificate_that_does_not_fit_the_course_is_refused_and_changes_nothing(
        client, login_as, users, make_course, enrol, db, app, changes, code, words):
    course = _past_course(make_course)
    enrolment = enrol(course, users["asn"], "in_progress")
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
             data=completion_data(course, **changes))
    assert refused.value.code == code
    before = _files(app)
    login_as("asn")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete",
                           data=completion_form(course, enrolment.version, **changes),
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422 and words in response.text
    assert 'data-testid="evidence-again"' in response.text  # the typed facts come back, the file cannot
    assert re.search(r'name="evidence"[^>]* aria-describedby="ua-\w+"', response.text)  # the field names why
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.evidence_name, row.certificate_jp, row.version) == ("in_progress", None, None,
                                                                               enrolment.version)
    assert _files(app) == before
    assert len(_refused(db, enrolment.id)) == 2  # the service call and the page's post


def _declared_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels (a decompression bomb's shape)."""
    import struct
    import zlib
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("data,code,words", [
    (tiny_pdf(""), "evidence_blank", "kosong"),  # a page with nothing printed on it
    # 15,000 x 15,000 pixels declared in a few bytes: refused from its header, before anything is decoded
    (_declared_png(15_000, 15_000), "evidence_too_large", "Gambar terlalu besar (lebih dari 50 megapiksel)"),
    (_declared_png(9_000, 9_000), "evidence_too_large", "Gambar terlalu besar"),  # under Pillow's own limit
    # a PDF without a page: refused when it is received, as any upload that does not open
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "upload", "tidak dapat dibuka"),
])
def test_a_blank_or_unreadable_file_is_refused(client, login_as, users, make_course, enrol, db, app, data, code, words):
    course = _past_course(make_course)
    enrolment = enrol(course, users["asn"], "in_progress")
    before = _files(app)
    login_as("asn")
    form = completion_form(course, enrolment.version)
    form["evidence"] = pdf_upload("sttpp.png" if data.startswith(b"\x89PNG") else "sttpp.pdf", data)
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422 and words in response.text, response.text[:300]
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    assert _files(app) == before
    [event] = _refused(db, enrolment.id)
    assert event.comment.startswith(f"[input:{code}]")  # about what was sent: the history shows no alarm


def test_hr_sees_the_schedule_the_first_page_and_the_other_jp_and_the_second_verifier_is_told(
        client, login_as, users, make_course, enrol, db):
    earlier = enrol(make_course(title="Seminar Budaya Kerja", jp=4), users["asn"], "verified")
    course = _past_course(make_course)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(course, jp="24"))
    make_user("hr2", "hr")
    seen = done.version  # both HR opened the page at this version
    login_as("hr")
    page = client.get(f"/training/enrolments/{done.id}").text
    assert 'data-testid="schedule"' in page and str(course.ends_on.day) in page
    assert "800/123/BPSDM/2026" in page and 'data-testid="certificate-jp">24 JP' in page
    assert f"{earlier.jp_credited} dari target 20 JP" in page
    assert 'data-testid="evidence-preview"' in page
    image = client.get(f"/training/enrolments/{done.id}/evidence/page.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    # two HR verify from the same page: exactly one credits the JP, the other is told who did
    first = client.post(f"/training/enrolments/{done.id}/act/verify", data={"version": seen})
    assert first.status_code == 303
    login_as("hr2")
    second = client.post(f"/training/enrolments/{done.id}/act/verify", data={"version": seen},
                         headers={"HX-Request": "true"})
    assert second.status_code == 409 and "Hr Uji" in second.text
    # the other one had typed a reason to return it: the answer keeps it to copy, not lost
    returned = client.post(f"/training/enrolments/{done.id}/act/return_evidence", headers={"HX-Request": "true"},
                           data={"version": seen, "comment": "Pindaian halaman dua buram."})
    assert returned.status_code == 409 and "belum tersimpan: “Pindaian halaman dua buram.”" in returned.text
    db.session.expire_all()
    assert tally_service.tally(users["asn"], TODAY.year) == 4 + 24
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "enrolment.verify", AuditEvent.outcome == "ok")) == 1


def _outside(title: str, number: str, printed: str = "12", issuer: str = "ANRI") -> dict:
    """The form of a training outside the catalogue that ended four days ago, with its certificate. Its JP
    are asked once, as printed on the certificate."""
    ends = TODAY - timedelta(days=4)
    return {"title": title, "kind": "teknis", "method": "pelatihan",
            "starts_on": (ends - timedelta(days=2)).isoformat(), "ends_on": ends.isoformat(),
            "certificate_number": number, "certificate_date": ends.isoformat(),
            "certificate_issuer": issuer, "certificate_jp": printed}


def test_training_outside_the_catalogue_is_reported_and_verified_the_same_way(client, login_as, users, db, app):
    ends = TODAY - timedelta(days=4)
    body = _outside("Pelatihan Kearsipan Dinamis", "800/77/ANRI/2026")
    login_as("asn")
    body["form_token"] = new_token()
    assert "Laporkan pelatihan di luar katalog" in client.get("/training/me").text
    early = dict(body, ends_on=(TODAY + timedelta(days=3)).isoformat(), evidence=pdf_upload(), form_token=new_token())
    refused = client.post("/training/external", data=early, content_type="multipart/form-data")
    assert refused.status_code == 422 and "Penyelesaian dapat dilaporkan mulai" in refused.text
    # a file that is no PDF and a future end date: both said in one answer, not one round each
    both = dict(body, ends_on=(TODAY + timedelta(days=3)).isoformat(), evidence=pdf_upload("sttpp.pdf", b"bukan pdf"),
                form_token=new_token())
    refused = client.post("/training/external", data=both, content_type="multipart/form-data")
    assert refused.status_code == 422 and "Penyelesaian dapat dilaporkan mulai" in refused.text
    assert "sttpp.pdf bukan berkas" in refused.text
    blank = dict(body, evidence=pdf_upload("sttpp.pdf", tiny_pdf("")), form_token=new_token())
    assert client.post("/training/external", data=blank, content_type="multipart/form-data").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    response = client.post("/training/external", data=dict(body, evidence=pdf_upload()),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    enrolment = db.session.scalar(select(Enrolment))
    assert (enrolment.state, enrolment.course.external, enrolment.course.active) == ("completed", True, False)
    # the same certificate sent again from a second tab counts once: the second report is refused
    twice = client.post("/training/external", data=dict(body, certificate_number=" 800/77/anri/2026 ",
                                                        evidence=pdf_upload(), form_token=new_token()),
                        content_type="multipart/form-data")
    assert twice.status_code == 422 and "sudah dilaporkan untuk “Pelatihan Kearsipan Dinamis”" in twice.text
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1
    assert "Kearsipan" not in client.get("/training/courses/").text  # never offered in the catalogue
    # its title on the enrolment's page is not a link to a catalogue page the ASN may not open
    course_href = f'href="/training/courses/{enrolment.course_id}"'
    assert "Kearsipan" in client.get(f"/training/enrolments/{enrolment.id}").text
    assert course_href not in client.get(f"/training/enrolments/{enrolment.id}").text
    # its progress starts at the report: nobody requested or approved it
    stepper = client.get(f"/training/enrolments/{enrolment.id}").text.split('class="stepper')[1].split("</ol>")[0]
    assert "Disetujui atasan" not in stepper and "Diajukan" not in stepper
    assert 'class="current">Selesai, menunggu verifikasi' in stepper
    assert client.get(f"/training/courses/{enrolment.course_id}").status_code == 404
    login_as("hr")
    assert course_href in client.get(f"/training/enrolments/{enrolment.id}").text
    assert client.get(f"/training/courses/{enrolment.course_id}").status_code == 200
    assert "Kearsipan" in client.get("/inbox/").text
    client.get(f"/training/enrolments/{enrolment.id}/evidence")  # HR reads the certificate it credits
    assert client.post(f"/training/enrolments/{enrolment.id}/act/verify",
                       data={"version": enrolment.version}).status_code == 303
    assert tally_service.tally(users["asn"], ends.year) == 12


def test_an_e_learning_taken_elsewhere_shows_no_modules_to_follow_here(client, login_as, users, db):
    """An ASN reports an e-learning from a national LMS: its page has no "0 of 0 modules" box."""
    ends = TODAY - timedelta(days=4)
    body = {"title": "E-learning Manajemen ASN", "kind": "manajerial", "method": "elearning",
            "starts_on": (ends - timedelta(days=2)).isoformat(), "ends_on": ends.isoformat(), "jp": "8",
            "certificate_number": "LMS/2026/123", "certificate_date": ends.isoformat(),
            "certificate_issuer": "LAN RI", "certificate_jp": "8", "form_token": new_token(), "evidence": pdf_upload()}
    login_as("asn")
    assert client.post("/training/external", data=body, content_type="multipart/form-data").status_code == 303
    enrolment = db.session.scalar(select(Enrolment))
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "E-learning Manajemen ASN" in page and 'data-testid="learning-box"' not in page
    # HR returns the certificate (a wrong scan): the ASN reports it again, as for any training elsewhere
    login_as("hr")
    returned = client.post(f"/training/enrolments/{enrolment.id}/act/return_evidence",
                           data={"version": enrolment.version, "comment": "Pindaian sertifikat terpotong."},
                           headers={"HX-Request": "true"})
    # HR is told the status as the badge reads it, not "Disahkan, siap diikuti"
    assert returned.status_code == 200 and "Status sekarang: Dikembalikan: laporkan lagi" in returned.text
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    assert enrolment.state == "in_progress"
    login_as("asn")
    again = dict(body, evidence=pdf_upload(), version=enrolment.version)
    del again["form_token"]
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "/act/complete" in page
    # HR's reason stands above the step, not only at the end of the history
    assert "Pindaian sertifikat terpotong." in page.split('data-testid="returned-because"')[1].split("</div>")[0]
    # it reads as returned, not as a course signed off to be attended (nobody signed it off)
    badge = page.split('data-testid="state"', 1)[1].split("</span>", 1)[0]
    assert "Dikembalikan: laporkan lagi" in badge and "Disahkan" not in page
    assert "Dikembalikan: laporkan lagi" in client.get("/training/me").text
    # it holds no seat: the ASN takes it back as a report, warned of the report, not of a seat
    assert "/act/withdraw_report" in page and "/act/withdraw\"" not in page and "kursi" not in page
    assert client.post(f"/training/enrolments/{enrolment.id}/act/withdraw",
                       data={"version": enrolment.version, "confirmed": "1"}).status_code in (403, 409, 422)
    assert client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=again,
                       content_type="multipart/form-data").status_code == 303
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "completed"
    # reported again, it no longer reads as returned anywhere on its page but in the history, whose line of
    # the report again starts from "returned" (not "Disahkan, siap diikuti")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "Dikembalikan: laporkan lagi" not in page.split('data-testid="history"')[0]
    history = page.split('data-testid="history"')[1]
    assert "Disahkan" not in history and "Dikembalikan: laporkan lagi → " in history.replace(
        '<strong class="text-body">', "").replace("</strong>", "")


def test_a_report_sent_by_mistake_is_withdrawn_before_verification_and_can_be_sent_again(
        client, login_as, users, make_course, enrol, db):
    """An ASN reported the wrong training (or a wrong title): it is taken back while HR has not verified it,
    HR's to-do goes with it, and the same certificate can then be reported again. A catalogue course that
    was attended cannot be withdrawn after its completion is reported."""
    body = _outside("Pelatihan Arsip Salah Judul", "800/99/ANRI/2026")
    login_as("asn")
    assert client.post("/training/external", data=dict(body, evidence=pdf_upload(), form_token=new_token()),
                       content_type="multipart/form-data").status_code == 303
    enrolment = db.session.scalar(select(Enrolment))
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "/act/withdraw_report" in page and "Tarik laporan" in page
    login_as("hr")  # HR verifies reports; taking one back is the ASN's own decision
    assert client.post(f"/training/enrolments/{enrolment.id}/act/withdraw_report",
                       data={"version": enrolment.version, "confirmed": "1"}).status_code == 403
    assert "Salah Judul" in client.get("/inbox/").text
    login_as("asn")
    unconfirmed = client.post(f"/training/enrolments/{enrolment.id}/act/withdraw_report",
                              data={"version": enrolment.version})
    assert unconfirmed.status_code == 422
    assert client.post(f"/training/enrolments/{enrolment.id}/act/withdraw_report",
                       data={"version": enrolment.version, "confirmed": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "withdrawn"
    login_as("hr")
    assert "Salah Judul" not in client.get("/inbox/").text
    login_as("asn")
    again = dict(body, title="Pelatihan Kearsipan Dinamis", evidence=pdf_upload(), form_token=new_token())
    assert client.post("/training/external", data=again, content_type="multipart/form-data").status_code == 303
    # a catalogue course's completion is not withdrawn: HR returns it or verifies it
    course = _past_course(make_course)
    attended = enrol(course, users["asn"], "completed")
    page = client.get(f"/training/enrolments/{attended.id}").text
    assert "/act/withdraw_report" not in page and "Tarik laporan" not in page  # not even greyed out
    refused = client.post(f"/training/enrolments/{attended.id}/act/withdraw_report",
                          data={"version": attended.version, "confirmed": "1"})
    assert refused.status_code in (403, 422)
    db.session.expire_all()
    assert db.session.get(Enrolment, attended.id).state == "completed"


def test_an_outside_report_says_every_fault_at_once_and_its_jp_are_the_printed_ones(client, login_as, db, users):
    """Reversed dates and a file that is not a PDF in one answer; the JP are asked once, as printed on the
    certificate, and head the training's page; the form says the file must be chosen again."""
    import io
    ends = TODAY - timedelta(days=4)
    body = _outside("Pelatihan Aneh", "12/LAN/2026", printed="8", issuer="LAN")
    login_as("asn")
    form = client.get("/training/external").text
    assert 'name="certificate_jp"' in form and 'name="jp"' not in form
    reversed_dates = dict(body, ends_on=(ends - timedelta(days=3)).isoformat(), form_token=new_token(),
                          evidence=(io.BytesIO(b"just text, not a scan"), "fake.pdf"))
    page = client.post("/training/external", data=reversed_dates, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "Tanggal selesai lebih awal dari tanggal mulai" in page.text and "fake.pdf" in page.text
    assert 'data-testid="evidence-again"' in page.text
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
    # the refusal is in the log once, with what the ASN was told
    trace = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).one()
    assert (trace.action, trace.actor_id) == ("enrolment.report_external", users["asn"].id)
    assert "Tanggal selesai lebih awal dari tanggal mulai" in trace.comment and "fake.pdf" in trace.comment
    # with the rest wrong as well, the certificate's faults come in the same answer
    both = client.post("/training/external", data=dict(body, evidence=pdf_upload(),
                                                      certificate_date=(TODAY + timedelta(days=5)).isoformat(),
                                                      ends_on=(TODAY + timedelta(days=2)).isoformat(),
                                                      form_token=new_token()),
                       content_type="multipart/form-data")
    assert "Penyelesaian dapat dilaporkan mulai" in both.text and "belum terjadi" in both.text
    # a "jp" sent beside the form (an old tab) is not a second figure: the printed one is the course's
    done = client.post("/training/external", data=dict(body, jp="200", evidence=pdf_upload(), form_token=new_token()),
                       content_type="multipart/form-data")
    assert done.status_code == 303
    enrolment = db.session.scalars(select(Enrolment)).one()
    assert (enrolment.course.jp, enrolment.certificate_jp) == (8, 8)


def test_every_fault_of_a_certificate_is_told_at_once(users, make_course):
    from plaju.training.evidence import check_certificate
    course = _past_course(make_course)
    with pytest.raises(Invalid) as refused:
        check_certificate(course, {"number": "", "date": TODAY + timedelta(days=1), "issuer": "", "jp": "99"}, TODAY)
    message = str(refused.value.message)
    for words in ("nomor sertifikat", "penerbit", "lebih dari 24 JP", "belum terjadi"):
        assert words in message, words


def test_hr_reads_the_certificate_from_the_to_do_row_before_crediting(client, login_as, db, users, make_course,
                                                                        enrol):
    """HR credits JP from the inbox too: the certificate is one click from that row, as a letter's draft is
    from the Camat's."""
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=24)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(course, jp="20"))
    login_as("hr")
    page = client.get("/inbox/").text
    row = page.split(f'data-key="enrolment:{done.id}')[1].split("</li>")[0]
    link = re.search(r'href="([^"]+)"[^>]*data-testid="row-link"', row)
    assert link and link.group(1).endswith(f"/training/enrolments/{done.id}/evidence"), row[:1500]
    assert client.get(link.group(1)).status_code == 200


def test_opening_someone_elses_certificate_file_is_recorded(client, login_as, db, users, make_course, enrol):
    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=24)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(course, jp="20"))
    login_as("asn")  # their own file: not a disclosure
    assert client.get(f"/training/enrolments/{done.id}/evidence").status_code == 200
    login_as("hr")
    # its first page, as an image, is the same disclosure: shown by the enrolment's page itself, it is kept
    # once a day per reader, not at every reload
    for _reload in range(3):
        assert client.get(f"/training/enrolments/{done.id}/evidence/page.png").status_code == 200
    assert client.get(f"/training/enrolments/{done.id}/evidence").status_code == 200  # the file: each time
    viewers = db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.action == "enrolment.view_evidence")).all()
    assert viewers == [users["hr"].id, users["hr"].id]


def test_only_a_row_that_is_back_in_progress_reads_as_returned(db, users, make_course, enrol):
    """The stepper of a verified enrolment read "Dikembalikan: laporkan lagi" for its signed-off step: the
    returned wording belongs to a row in that state with its evidence returned, not to its path."""
    from plaju.training.workflow.enrolment import ENROLMENT_FLOW
    enrolment = enrol(make_course(title="Bimtek Arsip", jp=6), users["asn"], "verified")
    enrolment.evidence_name = "sertifikat.pdf"
    assert str(ENROLMENT_FLOW.state_label("in_progress", enrolment)) == "Disahkan, siap diikuti"
    enrolment.state = "in_progress"  # HR returned it: the certificate's file is kept
    assert str(ENROLMENT_FLOW.state_label("in_progress", enrolment)) == "Dikembalikan: laporkan lagi"
    enrolment.evidence_name = None  # signed off, nothing reported yet
    assert str(ENROLMENT_FLOW.state_label("in_progress", enrolment)) == "Disahkan, siap diikuti"
    db.session.rollback()


def test_the_asn_and_hr_are_told_the_jp_credited_not_the_course_s(db, users, make_course, enrol):
    """A 2 JP course whose certificate prints 1 JP: 1 JP were credited, yet the ASN was told "2 JP Anda ...
    telah dicatat" and HR's to-do row read "2 JP"."""
    from plaju.inbox.services import inbox
    from plaju.notify.models import Notification
    from plaju.workflow import fire
    enrolment = enrol(make_course(title="Belajar Mandiri Etika", jp=2), users["asn"], "completed")
    enrolment.certificate_jp = 1
    db.session.commit()
    groups, _delegations = inbox(users["hr"])
    [row] = [r for g in groups for r in g.rows if r.entity.id == enrolment.id]
    assert row.summary["name"] == "1 JP"
    done = fire(db.session.get(Enrolment, enrolment.id), "verify", users["hr"], expected_version=enrolment.version)
    assert done.jp_credited == 1
    told = db.session.scalars(select(Notification.subject).where(Notification.user_id == users["asn"].id)).all()
    assert any("1 JP" in s for s in told) and not any("2 JP" in s for s in told), told
    assert any(f"untuk tahun {done.credited_year}" in s for s in told)  # the year they count in, said


def test_jp_waiting_for_verification_count_toward_the_year_they_will_be_credited_in(db, users, make_course, enrol):
    """A 40 JP certificate dated last year, awaiting HR, was shown as "Tambah 40 JP" toward this year's 20."""
    from datetime import date

    from plaju.training.services.tally import jp_pending
    last_year = enrol(make_course(title="Diklat Tahun Lalu", jp=40), users["asn"], "completed")
    last_year.certificate_date, last_year.certificate_jp = date(TODAY.year - 1, 3, 14), 40
    this_year = enrol(make_course(title="Diklat Tahun Ini", jp=10), users["asn"], "completed")
    this_year.certificate_date, this_year.certificate_jp = TODAY, 8
    db.session.commit()
    assert jp_pending([last_year, this_year], TODAY.year) == 8
    assert jp_pending([last_year, this_year], TODAY.year - 1) == 40


def test_a_reported_training_cannot_claim_more_jp_than_its_days_hold(client, login_as, db):
    """250 JP for a three-day training was reported and credited in one click: at most 12 JP (of 45 minutes)
    a day are taken; 36 for three days still are."""
    login_as("asn")
    refused = client.post("/training/external", data=dict(_outside("Literasi Digital ASN", "LD/2026/9", "250"),
                                                           evidence=pdf_upload(), form_token=new_token()),
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "250 JP dalam 3 hari" in refused.text
    assert db.session.scalar(select(Enrolment.id)) is None
    assert client.post("/training/external", data=dict(_outside("Literasi Digital ASN", "LD/2026/9", "36"),
                                                       evidence=pdf_upload(), form_token=new_token()),
                       content_type="multipart/form-data").status_code == 303
    # a second report for the same days: together more than the days hold (three of 36 JP made 108)
    again = client.post("/training/external", data=dict(_outside("Kursus Lain", "KL/2026/1", "12"),
                                                        evidence=pdf_upload(), form_token=new_token()),
                        content_type="multipart/form-data")
    assert again.status_code == 422 and "pelatihan Anda yang lain" in again.text
    # nor spread over years: 500 JP from 2024 went to one year
    long = dict(_outside("Program Panjang", "PP/2026/1", "500"), starts_on="2024-01-01")
    refused = client.post("/training/external", data=dict(long, evidence=pdf_upload(), form_token=new_token()),
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "paling lama setahun" in refused.text
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_a_returned_report_corrects_its_jp_upward_within_its_days(client, login_as, db, users):
    """HR returned a report typed as 16 JP; the ASN reported it again as printed, 18, and was told 18 is more
    than the 16 JP of "the course", which was only the figure first typed."""
    body = _outside("Pelatihan Tata Kelola Arsip", "800/88/ANRI/2026", "16")
    login_as("asn")
    assert client.post("/training/external", data=dict(body, evidence=pdf_upload(), form_token=new_token()),
                       content_type="multipart/form-data").status_code == 303
    enrolment = db.session.scalar(select(Enrolment))
    login_as("hr")
    assert client.post(f"/training/enrolments/{enrolment.id}/act/return_evidence", data={
        "version": enrolment.version, "comment": "JP pada sertifikat 18, bukan 16."}).status_code == 303
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    login_as("asn")
    too_many = dict(body, certificate_jp="4000", evidence=pdf_upload(), version=enrolment.version)
    assert client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=too_many,
                       content_type="multipart/form-data").status_code == 422  # the report form's bound holds
    again = dict(body, certificate_jp="18", evidence=pdf_upload(), version=enrolment.version)
    done = client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=again,
                       content_type="multipart/form-data")
    assert done.status_code == 303, done.text[:300]
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    assert (enrolment.state, enrolment.certificate_jp, enrolment.jp_due) == ("completed", 18, 18)


def test_no_day_holds_more_than_12_jp_whatever_else_was_reported(client, login_as, db, users, make_course, enrol):
    """A year-long report of 1 JP made every day look empty to an average, and seven one-day reports of 12 JP on
    one day were credited (84 JP); a catalogue course on the same days was not counted at all."""
    day = TODAY - timedelta(days=10)

    def report(title, number, jp, starts, ends):
        body = dict(_outside(title, number, str(jp)), starts_on=starts.isoformat(), ends_on=ends.isoformat(),
                    certificate_date=ends.isoformat())
        return client.post("/training/external", data=dict(body, evidence=pdf_upload(data=tiny_pdf(number)),
                                                           form_token=new_token()),
                           content_type="multipart/form-data")
    login_as("asn")
    assert report("Jangkar Setahun", "JS/1", 1, TODAY - timedelta(days=300), TODAY - timedelta(days=5)
                  ).status_code == 303
    assert report("Sehari Pertama", "SP/1", 12, day, day).status_code == 303
    second = report("Sehari Kedua", "SP/2", 12, day, day)
    assert second.status_code == 422 and "pelatihan Anda yang lain" in second.text
    # a catalogue course followed on those days counts too
    course = make_course(title="Bimtek Kearsipan", jp=24, starts_on=day - timedelta(days=3),
                         ends_on=day - timedelta(days=2))
    enrol(course, users["asn"], "verified")
    beside = report("Seminar Bersamaan", "SB/1", 12, day - timedelta(days=3), day - timedelta(days=3))
    assert beside.status_code == 422


def test_a_page_declared_thousands_of_points_tall_is_drawn_at_the_preview_s_size(app):
    """A 434-byte PDF with a page 2 pt wide and 14,400 pt tall: drawn at the preview's width it was
    6.5 million pixels tall (gigabytes in the renderer). It is drawn no taller than MAX_ASPECT widths."""
    from plaju.training.evidence import MAX_ASPECT, PREVIEW_WIDTH, first_page
    text = b"BT /F1 16 Tf 20 70 Td (Modul Kecamatan Plaju) Tj ET"
    pdf = (tiny_pdf().replace(b"/MediaBox[0 0 360 144]", b"/MediaBox[0 0 2 14400]")
           .replace(text, b"0 g 0 0 2 7200 re f".ljust(len(text))))  # same length: the offsets stay right
    with app.app_context():
        folder = Path(app.config["UPLOAD_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tall.pdf").write_bytes(pdf)
        image = first_page("tall.pdf", "application/pdf")
    assert 0 < image.height <= PREVIEW_WIDTH * MAX_ASPECT and image.width <= PREVIEW_WIDTH, image.size


def test_one_certificate_file_is_reported_once_and_hr_is_warned_of_its_twins(client, login_as, db, users, make_course,
                                                                              enrol):
    """asn reported two trainings with the same PDF and the numbers "800/123/BPSDM/2026" and "800/123/BPSDM/2026."
    on other dates; HR verified both: 36 JP for one certificate. The second report is refused, naming the first;
    HR reading someone else's report of the same file, or of the same number however it is typed, is warned."""
    scan = tiny_pdf("STTPP BPSDM 800/123")
    first = dict(_outside("Pelatihan Pelayanan Publik", "800/123/BPSDM/2026", "18"),
                 evidence=pdf_upload(data=scan), form_token=new_token())
    login_as("asn")
    assert client.post("/training/external", data=first, content_type="multipart/form-data").status_code == 303
    earlier = db.session.scalar(select(Enrolment))
    second = dict(_outside("Pelayanan Publik Lanjutan", "800/123/BPSDM/2026.", "18"),
                  starts_on=(TODAY - timedelta(days=30)).isoformat(), ends_on=(TODAY - timedelta(days=28)).isoformat(),
                  certificate_date=(TODAY - timedelta(days=28)).isoformat(), evidence=pdf_upload(data=scan),
                  form_token=new_token())
    refused = client.post("/training/external", data=second, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Berkas ini sudah dilaporkan" in refused.text and "“Pelatihan Pelayanan Publik”" in refused.text
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1
    # nor through a catalogue course's completion
    course = _past_course(make_course)
    attended = enrol(course, users["asn"], "in_progress")
    with pytest.raises(Invalid) as twice:
        fire(attended, "complete", users["asn"], expected_version=attended.version,
             data=dict(completion_data(course), evidence=_stored(scan)))
    assert twice.value.code == "evidence_twice"
    # someone else's report of the same file, and one of the same number in other words: reported, and HR warned
    make_user("asn2", supervisor=users["kasi"])
    login_as("asn2")
    assert client.post("/training/external", data=dict(first, form_token=new_token(), evidence=pdf_upload(data=scan)),
                       content_type="multipart/form-data").status_code == 303
    day = (TODAY - timedelta(days=59)).isoformat()
    other = dict(first, certificate_number=" 800/123/bpsdm/2026 ;", evidence=pdf_upload(data=tiny_pdf("lain")),
                 form_token=new_token(), starts_on=day, ends_on=day, certificate_date=day, certificate_jp="8")
    make_user("asn3", supervisor=users["kasi"])
    login_as("asn3")
    assert client.post("/training/external", data=other, content_type="multipart/form-data").status_code == 303
    login_as("hr")
    page = client.get(f"/training/enrolments/{earlier.id}").text
    twins = page.split('data-testid="evidence-twins"')[1].split("</div>")[0]
    by_person = {line.split("·")[0].split(">")[-1].strip(): line for line in twins.split("<li>")[1:]}
    assert set(by_person) == {"Asn2 Uji", "Asn3 Uji"}
    assert "berkas dan nomor sertifikat yang sama" in by_person["Asn2 Uji"]
    assert "berkas" not in by_person["Asn3 Uji"] and "nomor sertifikat yang sama" in by_person["Asn3 Uji"]
    alone = enrol(_past_course(make_course, title="Diklat Tunggal"), users["asn"], "completed")
    assert 'data-testid="evidence-twins"' not in client.get(f"/training/enrolments/{alone.id}").text

    # crediting a twin: not with one click (from the page or the inbox row), only with HR's reason, which the
    # event keeps beside the twins it names by number (never by name: the ASN reads his record's history); the
    # report's event holds the file's fingerprint
    reported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.report_external",
                                                           AuditEvent.subject_id == str(earlier.id))).one()
    assert reported.changes_dict["evidence_sha256"][1] == earlier.evidence_sha256
    assert 'data-testid="action-verify"' not in page and 'data-testid="action-verify_twin"' in page
    inbox = client.get("/inbox/").text
    assert f"enrolment:{earlier.id}:verify_twin:" in inbox and f"enrolment:{earlier.id}:verify:" not in inbox
    assert 'data-testid="caution"' in inbox
    one_click = client.post(f"/training/enrolments/{earlier.id}/act/verify", data={"version": earlier.version},
                            headers={"HX-Request": "true"})
    assert one_click.status_code == 422 and "Sertifikat yang sama kini tercatat juga" in one_click.text
    no_reason = client.post(f"/training/enrolments/{earlier.id}/act/verify_twin", data={"version": earlier.version},
                            headers={"HX-Request": "true"})
    assert no_reason.status_code == 422
    db.session.expire_all()
    assert db.session.get(Enrolment, earlier.id).state == "completed"
    reason = "Asn2 salah mengunggah berkas; bukti Asn2 dikembalikan hari ini."
    client.get(f"/training/enrolments/{earlier.id}/evidence")
    credited = client.post("/inbox/act", data={"item": f"enrolment:{earlier.id}:verify_twin:{earlier.version}",
                                               "comment": reason}, headers={"HX-Request": "true"})
    assert credited.status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.verify_twin",
                                                        AuditEvent.outcome == "ok")).one()
    twins_noted = event.changes_dict["twins"][1]
    assert event.comment == reason and "berkas sama" in twins_noted and "nomor sama" in twins_noted
    assert "Asn2" not in twins_noted and "Asn3" not in twins_noted
    assert db.session.get(Enrolment, earlier.id).jp_credited == 18
    # a report nobody else holds is credited with one click, as before
    login_as("hr")
    assert 'data-testid="action-verify"' in client.get(f"/training/enrolments/{alone.id}").text


def _stored(data: bytes):
    from plaju.uploads import store
    return store(pdf_upload(data=data))


def test_certificate_numbers_compare_without_case_spaces_and_trailing_marks():
    from plaju.training.evidence import number_key
    assert number_key("800/123/BPSDM/2026.") == number_key(" 800/123/bpsdm / 2026 ") == "800/123/bpsdm/2026"
    assert number_key("800/123/BPSDM/2026") != number_key("800/123/BPSDM/2027")
    # one certificate was reported five times more, each spelling credited: other separators, "No.", zeros
    for spelling in ("800.123.BPSDM.2026", "800-123-BPSDM-2026", "No. 800/123/BPSDM/2026", ".800/123/BPSDM/2026",
                     "800/0123/BPSDM/2026", "Nomor: 800 / 123 / BPSDM / 2026"):
        assert number_key(spelling) == "800/123/bpsdm/2026", spelling
    assert number_key("800/123/BPSDM/2026") != number_key("800/1230/BPSDM/2026")


def test_a_spelling_of_a_reported_number_is_refused_for_the_same_person(client, login_as, db, users):
    login_as("asn")
    first = dict(_outside("Pelatihan Pelayanan Publik", "800/123/BPSDM/2026", "18"), form_token=new_token(),
                 evidence=pdf_upload(data=tiny_pdf("STTPP asli")))
    assert client.post("/training/external", data=first, content_type="multipart/form-data").status_code == 303
    day = (TODAY - timedelta(days=59)).isoformat()
    again = dict(first, certificate_number="No. 800-0123-BPSDM-2026", evidence=pdf_upload(data=tiny_pdf("salinan")),
                 form_token=new_token(), starts_on=day, ends_on=day, certificate_date=day, certificate_jp="8")
    refused = client.post("/training/external", data=again, content_type="multipart/form-data")
    assert refused.status_code == 422 and "sudah dilaporkan" in refused.text


def test_an_outside_report_marks_every_fault_in_one_round_and_says_to_choose_the_file_again(client, login_as, db,
                                                                                           users):
    """The report showed one fault a round (the end before the start, then the certificate dated in the future,
    then the JP over the limit, then the blank scan), and the file had to be chosen again each time."""
    ends = TODAY - timedelta(days=4)
    body = dict(_outside("Pelatihan Serba Salah", "77/SS/2026", printed="900", issuer="LAN"),
                ends_on=(ends - timedelta(days=10)).isoformat(),
                certificate_date=(TODAY + timedelta(days=5)).isoformat())
    login_as("asn")
    page = client.post("/training/external", data=dict(body, evidence=pdf_upload("kosong.pdf", tiny_pdf("")),
                                                       form_token=new_token()), content_type="multipart/form-data")
    assert page.status_code == 422
    faults = {name: page.text.split(f'name="{name}"', 1)[1].split("</div>", 1)[0]
              for name in ("ends_on", "certificate_date", "certificate_jp")}
    assert "Tanggal selesai lebih awal dari tanggal mulai" in faults["ends_on"]
    assert "belum terjadi" in faults["certificate_date"] and "JP harus 1 sampai 500" in faults["certificate_jp"]
    assert "Halaman yang diunggah kosong" in page.text.split('name="evidence"', 1)[1]
    assert "pilih lagi berkas sertifikat" in page.text.split('data-testid="report-faults"')[1].split("</div>")[0]
    # the same with JP a form accepts: what the days can hold is said with the rest, in the same round
    page = client.post("/training/external", data=dict(body, certificate_jp="90", ends_on=ends.isoformat(),
                                                       evidence=pdf_upload("kosong.pdf", tiny_pdf("")),
                                                       form_token=new_token()), content_type="multipart/form-data")
    assert page.status_code == 422
    for words in ("90 JP dalam 3 hari", "belum terjadi", "Halaman yang diunggah kosong"):
        assert words in page.text, words
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
    traces = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    # one trace a refusal, each keeping what the report claimed (the form's own refusal too)
    assert [t.action for t in traces] == ["enrolment.report_external"] * 2 and all(t.changes for t in traces)


def test_a_report_without_a_file_and_with_blank_facts_says_every_fault_at_once(client, login_as, users, make_course,
                                                                             enrol, db):
    """Only "upload the certificate" was said; the four missing facts came on the next try, after the ASN had
    chosen the file again."""
    course = _past_course(make_course)
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    form = {"version": enrolment.version, "certificate_number": "", "certificate_date": "", "certificate_issuer": "",
            "certificate_jp": ""}
    response = client.post(f"/training/enrolments/{enrolment.id}/act/complete", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Unggah sertifikat atau STTPP sebagai bukti" in response.text
    assert "bilangan bulat, paling sedikit 1" in response.text  # the facts' faults in the same answer
    assert "Isikan nomor sertifikat" in response.text or "nomor sertifikat" in response.text.lower()


def test_jp_edited_in_the_database_is_caught_by_the_check_against_the_log(app, db, users, make_course, enrol,
                                                                          client, login_as, checkpoint_file):  # noqa: F811
    """8 JP made 20 in the database: the chain still held ("Rantai utuh") and the competence figures counted 20.
    The JP credited are compared with what the log says each step credited."""
    from sqlalchemy import text

    course = make_course(starts_on=TODAY - timedelta(days=2), ends_on=TODAY, jp=8)
    enrolment = enrol(course, users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version, data=completion_data(course))
    record_reading(done, users["hr"])
    fire(done, "verify", users["hr"], expected_version=done.version)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    first = runner.invoke(args=["audit", "verify"])
    assert first.exit_code == 0, first.output
    db.session.execute(text("UPDATE training_enrolment SET jp_credited = 20 WHERE id = :id"), {"id": done.id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"enrolment {done.id}: JP tercatat 20, menurut log 8" in result.output
    login_as("hr")
    page = client.post("/audit/verify").text
    assert 'data-testid="differ"' in page and "JP tercatat 20, menurut log 8" in page
    # the 8 JP moved to another person, or counted in another year
    db.session.execute(text("UPDATE training_enrolment SET jp_credited = 8, user_id = :other WHERE id = :id"),
                       {"id": done.id, "other": users["kasi"].id})
    db.session.commit()
    moved = runner.invoke(args=["audit", "verify"]).output
    assert f"JP tercatat untuk {users['kasi'].full_name}, padahal menurut log untuk {users['asn'].full_name}" in moved
    page = client.post("/audit/verify").text  # by the names HR knows: the course and the person, not "enrolment #"
    assert f"{course.title}" in page and f"enrolment #{done.id}" not in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verify")
                               .order_by(AuditEvent.seq.desc())).first()
    assert f"padahal menurut log untuk {users['asn'].full_name}" in event.comment  # kept, if it is put back
    db.session.execute(text("UPDATE training_enrolment SET user_id = :asn, credited_year = credited_year - 1 "
                            "WHERE id = :id"), {"id": done.id, "asn": users["asn"].id})
    db.session.commit()
    assert "JP dihitung pada" in runner.invoke(args=["audit", "verify"]).output
    db.session.execute(text("UPDATE training_enrolment SET credited_year = credited_year + 1 WHERE id = :id"),
                       {"id": done.id})
    db.session.commit()
    # the JP left as they were, the state changed: the tally counts verified rows only, so they were wiped
    db.session.execute(text("UPDATE training_enrolment SET state = 'not_completed' WHERE id = :id"), {"id": done.id})
    db.session.commit()
    wiped = runner.invoke(args=["audit", "verify"])
    assert wiped.exit_code == 1 and "not_completed" in wiped.output, wiped.output
    db.session.execute(text("UPDATE training_enrolment SET state = 'verified' WHERE id = :id"), {"id": done.id})
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


@pytest.mark.parametrize("printed", ["999", "0"])
def test_a_refused_outside_report_keeps_what_it_claimed(client, login_as, users, db, printed):
    """999 JP reported for a three-day course was refused and the log said only that a form was refused: HR
    could not see who tried to have what credited. The refusal keeps the title, the number and the JP."""
    import json

    from plaju.audit.models import AuditEvent
    login_as("asn")
    body = dict(_outside("Pelatihan Kearsipan Dinamis", "800/78/ANRI/2026", printed=printed),
                evidence=pdf_upload(), form_token=new_token())
    refused = client.post("/training/external", data=body, content_type="multipart/form-data")
    assert refused.status_code == 422
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [e.action for e in events] == ["enrolment.report_external"]  # one trace, not also "a form refused"
    said = json.loads(events[0].changes)
    assert said["certificate_jp"] == [None, int(printed)] and said["course"][1] == "Pelatihan Kearsipan Dinamis"
    assert said["certificate_number"][1] == "800/78/ANRI/2026" and said["evidence"][1]
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    login_as("hr")
    page = client.get("/audit/", query_string={"outcome": "refused"}).text
    assert "Pelatihan Kearsipan Dinamis" in page and "800/78/ANRI/2026" in page

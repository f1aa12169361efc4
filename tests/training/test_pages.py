"""Enrolling, acting and uploading evidence through the pages, with and without HTMX."""
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.timeutil import today_wib
from plaju.training.models import Enrolment
from tests.training.conftest import completion_form, pdf_upload

HX = {"HX-Request": "true"}


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _files(app) -> set:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return set(folder.iterdir()) if folder.exists() else set()


def _refusals(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.outcome == "refused")))


def test_catalogue_filters_and_active_search(client, login_as, make_course):
    make_course(title="Pelayanan Prima", kind="teknis")
    make_course(title="Manajemen Waktu", kind="manajerial", method="kursus")
    make_course(title="Komunikasi Daring", kind="sosial_kultural", method="elearning", quota=None)
    login_as("asn")
    page = client.get("/training/courses/")
    assert page.status_code == 200 and "Katalog pelatihan" in page.text
    for title in ("Pelayanan Prima", "Manajemen Waktu", "Komunikasi Daring"):
        assert title in page.text
    search = client.get("/training/courses/?q=waktu", headers=HX)
    assert "<html" not in search.text and 'id="course-results"' in search.text
    assert "Manajemen Waktu" in search.text and "Pelayanan Prima" not in search.text
    assert "HX-Request" in search.headers["Vary"]
    kinds = client.get("/training/courses/?kind=sosial_kultural").text
    assert "Komunikasi Daring" in kinds and "Manajemen Waktu" not in kinds
    non_classical = client.get("/training/courses/?method=non_classical").text
    assert "Komunikasi Daring" in non_classical and "Pelayanan Prima" not in non_classical


def test_who_may_sign_off_a_routine_course_is_said_to_those_who_sign_and_hr_only(client, login_as, make_course,
                                                                                 enrol, users):
    course = make_course(title="Mentoring Rutin", routine=True)
    enrolment = enrol(course, users["asn"])
    note = "Plh/Plt Camat boleh mengesahkan"
    login_as("asn")  # the ASN chooses a course by its content; the sign-off rule is the leaders' business
    for path in ("/training/courses/", f"/training/courses/{course.id}", f"/training/enrolments/{enrolment.id}"):
        page = client.get(path)
        assert page.status_code == 200 and note not in page.text, path
    for who in ("camat", "hr"):
        login_as(who)
        assert note in client.get(f"/training/courses/{course.id}").text
        assert note in client.get("/training/courses/").text
    # on HR's list a completion to verify is not about a sign-off: no note there
    enrol(course, users["clerk"], "completed")
    login_as("hr")
    approvals = client.get("/training/approvals").text
    assert "Mentoring Rutin" in approvals and note not in approvals


def test_seats_badge_counts_down_live(client, login_as, users, make_course, enrol, db):
    course = make_course(quota=2)
    login_as("asn")
    assert "Sisa kursi: 2" in client.get(f"/training/courses/{course.id}/seats").text
    enrolment = enrol(course, users["clerk"])
    enrolment.state = "approved"
    db.session.commit()
    badge = client.get(f"/training/courses/{course.id}/seats").text
    assert "Sisa kursi: 1" in badge and "training-changed from:body" in badge


def test_enrol_without_javascript_then_the_supervisor_approves(client, login_as, users, make_course, db):
    course = make_course()
    login_as("asn")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["asn"].id,
                                                                        "motivation": "Untuk loket"})
    assert response.status_code == 302
    enrolment = db.session.scalars(select(Enrolment)).one()
    assert response.headers["Location"].endswith(f"/training/enrolments/{enrolment.id}")
    page = client.get(response.headers["Location"]).text
    assert "Diajukan" in page
    assert (f"Permohonan Anda sudah dikirim kepada atasan langsung ({users['kasi'].full_name}); setelah "
            "disetujui, Camat mengesahkannya.") in page
    login_as("kasi")
    approved = client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0},
                           headers=HX)
    assert approved.status_code == 200 and "<html" not in approved.text
    assert "training-changed" in approved.headers["HX-Trigger"]
    assert 'data-state="approved"' in approved.text


@pytest.mark.parametrize("problem,message", [
    ("deadline", "Batas pendaftaran pelatihan ini sudah lewat."),
    ("full", "Pelatihan sudah penuh: tidak ada kursi tersisa."),
    ("twice", "Anda sudah terdaftar pada pelatihan ini."),
    ("over", "Pelatihan ini sudah selesai: daftarlah pada angkatan berikutnya."),
])
def test_enrolling_is_refused_in_place_and_nothing_is_saved(client, login_as, users, make_course, enrol, db,
                                                            problem, message):
    course = make_course(quota=1)
    if problem == "deadline":
        course.enrol_deadline = today_wib() - timedelta(days=1)
        db.session.commit()
    elif problem == "over":  # no deadline was set, and its last day was yesterday
        course.enrol_deadline = None
        course.starts_on, course.ends_on = today_wib() - timedelta(days=3), today_wib() - timedelta(days=1)
        db.session.commit()
    elif problem == "full":
        enrol(course, users["clerk"], "approved")
    else:
        enrol(course, users["asn"])
    before = _count(db, Enrolment)
    login_as("asn")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["asn"].id},
                           headers=HX)
    assert response.status_code == 422
    assert 'data-testid="action-error"' in response.text and message in response.text
    assert response.text.count(message) == 1  # said once, not again under the error
    assert "HX-Retarget" not in response.headers
    assert "training-changed" in response.headers["HX-Trigger"]  # the seats badge above refreshes itself
    if problem != "twice":  # closed for everyone: no form left to try again, not even a nomination
        assert 'data-testid="enrol-button"' not in response.text
    assert _count(db, Enrolment) == before
    assert _refusals(db, "enrolment.request")


def test_a_supervisor_nominates_a_team_member_but_not_a_stranger(client, login_as, users, make_course, db):
    course = make_course()
    login_as("kasi")
    assert users["asn"].full_name in client.get(f"/training/courses/{course.id}").text
    ok = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["asn"].id})
    assert ok.status_code == 302
    assert db.session.scalars(select(Enrolment)).one().nominated_by_id == users["kasi"].id
    stranger = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["hr"].id})
    assert stranger.status_code == 403  # refused by the rule, not by the form
    assert _count(db, Enrolment) == 1
    # HR reads whom the Kasi tried to nominate, in what: the person is the event's object, the course named
    [tried] = _refusals(db, "enrolment.nominate")
    assert (tried.subject_type, tried.subject_id, tried.actor_id) == ("user", str(users["hr"].id), users["kasi"].id)
    login_as("hr")
    log = client.get("/audit/", query_string={"person": users["hr"].username, "outcome": "refused"}).text
    assert course.title in log and users["hr"].full_name in log


def test_a_stale_page_gets_a_conflict_message_in_place(client, login_as, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0})
    again = client.post(f"/training/enrolments/{enrolment.id}/act/decline",
                        data={"version": 0, "comment": "tidak perlu"}, headers=HX)
    assert again.status_code == 409
    assert 'data-testid="action-error"' in again.text and 'id="enrolment-main"' in again.text
    assert 'data-state="approved"' in again.text
    without_js = client.post(f"/training/enrolments/{enrolment.id}/act/decline",
                             data={"version": 0, "comment": "tidak perlu"})
    assert without_js.status_code == 409 and "<html" in without_js.text
    assert 'data-testid="action-error"' in without_js.text


def test_a_step_posted_without_its_version_is_a_conflict_and_changes_nothing(client, login_as, users,
                                                                             make_course, enrol, db):
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={}, headers=HX)
    assert response.status_code == 409
    assert 'data-testid="action-error"' in response.text
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.version, row.approved_by_id) == ("requested", 0, None)
    assert _count(db, AuditEvent, AuditEvent.action == "enrolment.approve", AuditEvent.outcome == "ok") == 0


def test_the_audit_trail_shows_step_names_without_internal_codes(client, login_as, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0})
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    trail = page[page.index('data-testid="history"'):]
    trail = trail[:trail.index("</ol>")]
    assert "Kasi Uji" in trail and "menyetujui pendaftaran" in trail and "Disetujui atasan" in trail
    assert "approve" not in trail and "request" not in trail and "enrolment." not in trail


def test_decline_needs_a_reason(client, login_as, users, make_course, enrol, db):
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/decline", data={"version": 0},
                           headers=HX)
    assert response.status_code == 422
    assert "Alasan wajib diisi untuk" in response.text and "Tolak" in response.text
    assert db.session.get(Enrolment, enrolment.id).state == "requested"


def test_evidence_upload_and_hr_verification_move_the_tally(client, login_as, users, make_course, enrol, db, app):
    enrolment = enrol(make_course(jp=12), users["asn"], "in_progress")
    login_as("asn")
    assert 'data-testid="my-jp">0<' in client.get("/training/me").text
    done = client.post(f"/training/enrolments/{enrolment.id}/act/complete",
                       data=completion_form(enrolment.course, enrolment.version),
                       content_type="multipart/form-data")
    assert done.status_code == 303
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert row.state == "completed" and (Path(app.config["UPLOAD_FOLDER"]) / row.evidence_name).exists()
    waiting = client.get("/training/me").text
    assert 'data-testid="my-jp">0<' in waiting  # not yet verified, but said to be on its way
    assert 'data-testid="jp-pending">12 JP lagi tercatat setelah diverifikasi' in waiting
    assert client.get(f"/training/enrolments/{enrolment.id}/evidence").status_code == 200
    login_as("hr")
    assert "Pendaftaran pelatihan: 1" in client.get("/").text  # the inbox card leads the home page
    client.get(f"/training/enrolments/{enrolment.id}/evidence")
    client.post(f"/training/enrolments/{enrolment.id}/act/verify", data={"version": row.version})
    login_as("asn")
    me = client.get("/training/me").text
    assert 'data-testid="my-jp">12<' in me and "Terverifikasi, JP tercatat" in me
    assert 'data-testid="jp-pending"' not in me  # counted now, no longer pending
    assert "12 / 20 JP" in client.get("/").text
    # a certificate dated last year, awaiting HR: the page says which year its JP will count in
    row = db.session.get(Enrolment, enrolment.id)
    row.state, row.jp_credited, row.certificate_date = "completed", 0, date(today_wib().year - 1, 12, 20)
    db.session.commit()
    me = client.get("/training/me").text
    assert 'data-testid="jp-pending"' not in me
    assert f'data-testid="jp-pending-elsewhere">12 JP akan dihitung untuk tahun {today_wib().year - 1}' in me
    login_as("clerk")  # another ASN sees neither the enrolment nor the evidence
    assert client.get(f"/training/enrolments/{enrolment.id}").status_code == 403
    assert client.get(f"/training/enrolments/{enrolment.id}/evidence").status_code == 403


@pytest.mark.parametrize("name,data,message", [
    ("sttpp.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "bukan berkas"),
    ("sttpp.pdf", None, "lebih besar dari"),
])
def test_a_bad_evidence_file_is_refused_and_leaves_nothing(client, login_as, users, make_course, enrol, db, app,
                                                           name, data, message):
    enrolment = enrol(make_course(), users["asn"], "in_progress")
    if data is None:
        app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
        data = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    before = _files(app)
    login_as("asn")
    try:
        response = client.post(f"/training/enrolments/{enrolment.id}/act/complete",
                               data={"version": enrolment.version, "evidence": pdf_upload(name, data)},
                               content_type="multipart/form-data", headers=HX)
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 422 and message in response.text
    assert 'data-testid="action-error"' in response.text
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.evidence_name) == ("in_progress", None)
    assert _files(app) == before
    assert _refusals(db, "enrolment.complete")


def test_a_refused_step_after_a_good_upload_leaves_no_file(client, login_as, users, make_course, enrol, db, app):
    enrolment = enrol(make_course(), users["asn"], "in_progress")
    before = _files(app)
    login_as("asn")
    stale = client.post(f"/training/enrolments/{enrolment.id}/act/complete",
                        data={"version": enrolment.version + 5, "evidence": pdf_upload()},
                        content_type="multipart/form-data")
    assert stale.status_code == 409
    assert _files(app) == before


def test_home_cards_for_supervisor_camat_and_hr(client, login_as, users, make_course, enrol):
    enrol(make_course(title="A"), users["asn"])
    enrol(make_course(title="B"), users["clerk"], "approved")
    login_as("kasi")
    home = client.get("/").text
    assert "Perlu tindakan saya" in home and "Pendaftaran pelatihan: 1" in home and "JP saya tahun ini" in home
    login_as("camat")
    assert "Pendaftaran pelatihan: 1" in client.get("/").text
    approvals = client.get("/training/approvals").text
    assert "B" in approvals and 'data-testid="approval-row"' in approvals


def test_a_course_s_changes_read_in_the_log_as_its_form_says_them(app, db, users, make_course):
    """HR's audit log names each field as the course form does, people by name and codes in words; the
    form's labels hold for courses only (a person's "active" is not "offered in the catalogue")."""
    from plaju.audit import sentences
    from plaju.audit.record import record
    from plaju.training.services.catalogue import COURSE_FIELDS, save_course
    course = make_course(internal=True, organiser_id=users["hr"].id)
    values = {name: getattr(course, name) for name in COURSE_FIELDS}
    save_course(course, dict(values, method="seminar", organiser_id=None, min_attendance=75, active=False),
                users["hr"])
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "training_course.update")).one()
    with app.test_request_context("/"):
        [line] = sentences.render([event])
    said = {(c.label, c.before, c.after) for c in line.changes}
    assert said == {("Metode", "Pelatihan", "Seminar"), ("Pencatat kehadiran", "Hr Uji", "—"),
                    ("Kehadiran minimum (%)", "—", "75"), ("Ditawarkan di katalog", "ya", "tidak")}
    record("user.update", actor=users["hr"], subject=users["asn"], changes={"active": [True, False]})
    db.session.commit()
    person = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    with app.test_request_context("/"):
        [line] = sentences.render([person])
    assert [(c.label, c.before, c.after) for c in line.changes] == [("Aktif", "ya", "tidak")]


def test_an_asn_with_nothing_to_approve_is_told_what_would_come_there(client, login_as):
    login_as("asn")
    page = client.get("/training/approvals").text
    assert 'data-testid="nothing-waiting"' in page and "sebagai atasan langsung ASN" in page


def test_someone_else_opening_the_course_form_is_told_who_keeps_the_catalogue(client, login_as):
    login_as("admin")
    page = client.get("/training/courses/new")
    assert page.status_code == 403 and "Katalog pelatihan dikelola oleh Kepegawaian" in page.text


def test_the_head_of_the_office_is_shown_the_way_to_get_training_credited(client, login_as, db, users,
                                                                            make_course):
    """The Camat has no supervisor in the office: a request could never be approved, so he is told to report
    the training with its certificate (HR verifies it) instead of to ask HR to record a supervisor."""
    course = make_course()
    login_as("camat")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["camat"].id},
                           headers=HX)
    assert response.status_code == 422 and "Pelatihan di luar katalog" in response.text
    assert "Mintalah Kepegawaian" not in response.text
    assert _count(db, Enrolment) == 0


def test_a_kasi_asking_the_camat_is_told_it_is_one_decision(client, login_as, users, make_course, db):
    users["kasi"].supervisor_id = users["camat"].id
    db.session.commit()
    login_as("kasi")
    response = client.post(f"/training/courses/{make_course().id}/enrol", data={"user_id": users["kasi"].id})
    page = client.get(response.headers["Location"]).text
    assert f"dikirim kepada {users['camat'].full_name}, yang menyetujui sekaligus mengesahkannya" in page


def test_the_approvals_tab_is_shown_to_those_who_can_have_something_to_approve(client, login_as, make_course,
                                                                             enrol, users, camat_away):
    tab = 'href="/training/approvals"'
    for who, shown in (("asn", False), ("clerk", False), ("kasi", True), ("hr", True), ("camat", True),
                       ("sekcam", False)):
        login_as(who)
        assert (tab in client.get("/training/me").text) is shown, who
    # the Plh Camat sees it once a sign-off waits for him; the page itself stays reachable for anyone
    enrol(make_course(title="Mentoring Rutin", routine=True), users["asn"], state="approved")
    login_as("sekcam")
    assert tab in client.get("/training/me").text
    login_as("asn")
    assert client.get("/training/approvals").status_code == 200


def test_a_credit_of_another_year_says_its_year_on_my_page(client, login_as, make_course, enrol, users, db):
    """"My JP in 2026: 21" above a list whose verified rows added up to 31: one was 2025's."""
    last = enrol(make_course(title="Diklat Desember Lalu", jp=10), users["asn"], "verified")
    last.credited_year = today_wib().year - 1
    db.session.commit()
    login_as("asn")
    page = client.get("/training/me").text
    row = page.split("Diklat Desember Lalu")[1].split("</a>")[0]
    assert f"dihitung untuk {today_wib().year - 1}" in row

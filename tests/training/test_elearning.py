"""E-learning: modules and quiz on a phone; the enrolment completes itself when everything is done."""
import re

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.training.models import Enrolment
from plaju.training.services import elearning as elearning_service
from plaju.workflow import Invalid, fire
from tests.training.conftest import on_page, study, study_on_page


def test_completing_without_finishing_the_modules_is_refused(db, users, make_elearning, enrol):
    enrolment = enrol(make_elearning(), users["asn"], "in_progress")
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "complete_elearning", users["asn"], expected_version=enrolment.version)
    assert "0 dari 2 modul selesai" in refused.value.message
    with pytest.raises(Invalid):
        fire(enrolment, "complete", users["asn"], expected_version=enrolment.version)
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"


def test_modules_then_quiz_complete_the_enrolment_as_the_asn(client, login_as, db, users, make_elearning, enrol):
    course = make_elearning()
    enrolment = enrol(course, users["asn"], "in_progress")
    first, second = course.modules
    login_as("asn")
    # the page says the next step is the reader's own, and not that there is nothing to do
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "<strong>Menunggu:</strong> Anda" in page and "Tidak ada yang perlu Anda lakukan" not in page
    assert 'data-testid="waiting"' not in client.get("/training/me").text  # no "approvals" for their own
    learn = client.get(f"/training/enrolments/{enrolment.id}/learn")
    assert learn.status_code == 200 and "0 dari 2 modul selesai" in learn.text
    after_first = study_on_page(client, enrolment, first)
    assert after_first.headers["Location"].endswith(f"/modules/{second.id}")
    # the next module's page says the one just recorded is done (it opened on the next one's wait alone)
    assert f"“{first.title}” selesai (1 dari 2 modul)." in client.get(after_first.headers["Location"]).text
    study_on_page(client, enrolment, second)
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"  # the quiz is still open
    q1, q2 = course.questions
    failed = client.post(f"/training/enrolments/{enrolment.id}/quiz",
                         data=on_page(enrolment, {f"q{q1.id}": "0", f"q{q2.id}": "0"}))
    assert failed.status_code == 200 and "di bawah nilai lulus" in failed.text
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    passed = client.post(f"/training/enrolments/{enrolment.id}/quiz",
                         data=on_page(enrolment, {f"q{q1.id}": "1", f"q{q2.id}": "0"}))
    assert passed.status_code == 302
    db.session.expire_all()
    row = db.session.get(Enrolment, enrolment.id)
    assert (row.state, row.quiz_score, row.jp_credited) == ("completed", 100, 0)
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_id == str(row.id),
                                                       AuditEvent.subject_type == "enrolment",
                                                       AuditEvent.outcome == "ok")
                              .order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.actor_id) == ("enrolment.complete_elearning", users["asn"].id)
    assert "otomatis" in last.comment
    page = client.get(f"/training/enrolments/{row.id}").text
    next_step = page.split("Langkah berikutnya")[1][:400]
    assert "Selesai, menunggu verifikasi" in page and "E-learning selesai" not in next_step
    # the history names the quiz's fields in words, not "attempts: 0 -> 1"
    assert "Kesempatan kuis terpakai" in page and "Nilai percobaan ini" in page and "attempts" not in page
    # the same quiz sent again from a second tab: told it is closed, not that it has not opened yet
    again = client.post(f"/training/enrolments/{row.id}/quiz", data={f"q{q1.id}": "1", f"q{q2.id}": "0"})
    assert "sudah tertutup untuk pendaftaran ini (status: Selesai, menunggu verifikasi)" in again.text
    assert "setelah Camat" not in again.text


def test_a_course_without_quiz_completes_on_the_last_module(db, users, make_elearning, enrol):
    course = make_elearning(modules=1, quiz=False)
    enrolment = enrol(course, users["asn"], "in_progress")
    moved = study(enrolment, users["asn"])
    assert moved.state == "completed"


def test_modules_are_finished_in_their_order(db, users, make_elearning, enrol):
    """Both modules were marked done within a second, the second first, and the course completed unread."""
    course = make_elearning(modules=2, quiz=False)
    enrolment = enrol(course, users["asn"], "in_progress")
    first, second = course.modules
    with pytest.raises(Invalid) as refused:
        elearning_service.mark_module_done(enrolment, second, users["asn"])
    assert first.title in refused.value.message
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.module_done")).one().outcome \
        == "refused"
    moved = study(db.session.get(Enrolment, enrolment.id), users["asn"], [first, second])
    assert moved.state == "completed"


def test_the_quiz_address_of_a_course_without_quiz_leads_back_to_the_modules(client, login_as, users,
                                                                            make_elearning, enrol):
    course = make_elearning(modules=1, quiz=False)
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    response = client.get(f"/training/enrolments/{enrolment.id}/quiz", follow_redirects=True)
    assert response.status_code == 200 and "tidak memiliki kuis" in response.text
    assert response.request.path == f"/training/enrolments/{enrolment.id}/learn"


def test_learning_is_closed_before_sign_off_and_to_others(client, login_as, db, users, make_elearning, enrol):
    course = make_elearning()
    enrolment = enrol(course, users["asn"], "approved")
    login_as("asn")
    response = client.post(f"/training/enrolments/{enrolment.id}/modules/{course.modules[0].id}/done")
    assert response.status_code == 303
    assert elearning_service.done_module_ids(enrolment) == set()
    login_as("clerk")
    assert client.get(f"/training/enrolments/{enrolment.id}/learn").status_code == 403


def test_module_pages_fit_a_phone(client, login_as, users, make_elearning, enrol):
    course = make_elearning()
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}/modules/{course.modules[0].id}").text
    assert 'name="viewport" content="width=device-width' in page
    # opened just now: the full-width button says from when it can be used, and cannot be tapped before
    button = re.search(r'<button[^>]*data-testid="mark-done"[^>]*>([^<]*)<', page)
    assert "w-100" in button.group(0) and " disabled" in button.group(0)
    assert button.group(1).startswith("Dapat ditandai selesai mulai")


def test_the_course_form_names_each_module_kind_in_words(client, login_as, make_elearning):
    course = make_elearning()
    login_as("hr")
    page = client.get(f"/training/courses/{course.id}/edit").text
    assert 'Modul 1 <span class="badge text-bg-light border">Teks</span>' in page


def test_the_e_learning_opens_only_after_the_sign_off(client, login_as, users, make_elearning, enrol):
    """Typed in before the sign-off, the course page said the enrolment was "no longer in progress" and
    offered its modules."""
    enrolment = enrol(make_elearning(), users["asn"], "requested")
    login_as("asn")
    for path in ("learn", f"modules/{enrolment.course.modules[0].id}"):
        response = client.get(f"/training/enrolments/{enrolment.id}/{path}")
        assert response.status_code == 303 and response.headers["Location"].endswith(
            f"/training/enrolments/{enrolment.id}"), path
    assert "terbuka setelah Camat mengesahkan" in client.get(f"/training/enrolments/{enrolment.id}").text


def test_hr_cannot_return_evidence_an_e_learning_never_had(db, users, make_elearning, enrol):
    """Returned, the ASN had finished every module and the quiz and nothing left to report: stuck for good."""
    from plaju.workflow import Invalid, available, fire
    enrolment = enrol(make_elearning(), users["asn"], "completed")
    assert "return_evidence" not in {a.trigger for a in available(enrolment, users["hr"]) if a.applies}
    with pytest.raises(Invalid):
        fire(enrolment, "return_evidence", users["hr"], expected_version=enrolment.version, comment="Bukti buram.")


def test_a_module_is_marked_done_only_a_plausible_time_after_it_was_opened(client, login_as, db, users,
                                                                          make_elearning, enrol):
    """Every module of a 4 JP course was tapped "done" within ten seconds and HR credited it. A module takes
    at least a third of its share of the JP (4 x 45 minutes / 3 / 2 modules = 30 minutes): the page says from
    when, an early tap is refused (audited), and HR sees how long each module took."""
    from tests.training.conftest import time_passes
    course = make_elearning(modules=2, quiz=False)
    course.jp = 4
    db.session.commit()
    assert elearning_service.module_minimum(course).total_seconds() == 30 * 60
    first, second = course.modules
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    unopened = client.post(f"/training/enrolments/{enrolment.id}/modules/{first.id}/done")
    assert unopened.headers["Location"].endswith(f"/modules/{first.id}")
    page = client.get(f"/training/enrolments/{enrolment.id}/modules/{first.id}").text
    assert 'data-testid="module-ready-at"' in page and "Anda dapat menandai modul ini selesai mulai" in page
    opened = client.get(f"/training/enrolments/{enrolment.id}/modules/{second.id}").text  # at once, another tab
    # no time said for it yet: it starts once the first is done
    assert 'data-testid="module-first"' in opened and 'data-testid="module-ready-at"' not in opened
    early = client.post(f"/training/enrolments/{enrolment.id}/modules/{first.id}/done", follow_redirects=True)
    assert "dapat ditandai selesai mulai" in early.text and "30 menit" in early.text
    assert elearning_service.done_module_ids(enrolment) == set()
    codes = [e.comment.split("]")[0] for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "enrolment.module_done", AuditEvent.outcome == "refused").order_by(AuditEvent.seq))]
    assert codes == ["[input:module_unread", "[input:module_early"]
    time_passes(enrolment)
    assert client.post(f"/training/enrolments/{enrolment.id}/modules/{first.id}/done").status_code == 302
    # the second was open all along: its time starts when the first was done
    early = client.post(f"/training/enrolments/{enrolment.id}/modules/{second.id}/done", follow_redirects=True)
    assert "dapat ditandai selesai mulai" in early.text
    time_passes(enrolment)
    assert client.post(f"/training/enrolments/{enrolment.id}/modules/{second.id}/done").status_code == 302
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "completed"
    login_as("hr")
    times = client.get(f"/training/enrolments/{enrolment.id}").text.split('data-testid="learning-times"')[1]
    times = times.split("</div>")[0]
    assert "Waktu belajar" in times and "paling sedikit 30 menit" in times
    assert times.count("30 menit") >= 2 and 'class="text-danger"' not in times


def test_the_signer_of_an_internal_e_learning_sees_the_time_taken_before_signing(client, login_as, db, users,
                                                                                 make_elearning, enrol):
    """The Camat's signature credits the JP of the office's own e-learning: HR saw the time taken only once it
    was credited, the Camat never."""
    from tests.training.conftest import time_passes
    course = make_elearning(modules=1, quiz=False, internal=True)
    [module] = course.modules
    enrolment = enrol(course, users["asn"], "in_progress")
    login_as("asn")
    client.get(f"/training/enrolments/{enrolment.id}/modules/{module.id}")
    time_passes(enrolment)
    assert client.post(f"/training/enrolments/{enrolment.id}/modules/{module.id}/done").status_code == 302
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "awaiting_certificate"
    login_as("camat")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert 'data-testid="learning-times"' in page and "Waktu belajar" in page

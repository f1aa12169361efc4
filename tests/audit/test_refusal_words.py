"""How refusals read: the Camat refused an approved plan's item edit form read "tanpa hak untuk melihatnya",
though he reads the plan every day; a form refused reads as a change refused, never as a page not to be
seen. And what a stale-page refusal told one person's screen ("Halaman Anda belum diperbarui; sekarang
menampilkan keadaan terbaru.") is not repeated to everyone who reads the file's history later; why it was
refused stays."""
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from plaju.audit import sentences
from plaju.audit.models import AuditEvent
from plaju.audit.vocabulary import action_label
from plaju.documents.services import take_action
from plaju.timeutil import today_wib
from plaju.training.services import plans as plans_service
from plaju.workflow import Conflict, fire, history_for
from tests.support import PASSWORD
from tests.training.conftest import enrol, make_course  # noqa: F401  (fixtures)


def _refusals(db, action):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _said(app, events, language):
    with app.test_request_context(), force_locale(language):
        return [line.text for line in sentences.render(events, subjects=True)]


@pytest.fixture()
def approved_plan(db, users, make_course):  # noqa: F811
    year = today_wib().year + 1
    course = make_course(title="Pelayanan Prima", jp=24, starts_on=date(year, 5, 4), ends_on=date(year, 5, 6))
    plan = plans_service.create_plan(users["asn"].unit_id, year, users["hr"], suggest=False)
    item = plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, users["hr"])
    plan = fire(plan, "submit", users["hr"], expected_version=0)
    plan = fire(plan, "approve", users["camat"], expected_version=1, password=PASSWORD)
    return plan.id, item.id


def test_the_camat_refused_an_item_s_edit_form_reads_as_a_change_refused(app, db, client, login_as, approved_plan):
    plan_id, item_id = approved_plan
    login_as("camat")
    assert client.get(f"/training/plans/{plan_id}").status_code == 200  # he reads the plan
    assert client.get(f"/training/plans/{plan_id}/items/{item_id}/edit",
                      headers={"HX-Request": "true"}).status_code == 403
    [refused] = _refusals(db, "access.forbidden")
    [english] = _said(app, [refused], "en")
    assert english.endswith("was refused: opened the form to change it without the right to do so"), english
    assert "see it" not in english
    login_as("hr")
    page = client.get("/audit/", query_string={"action": "data-access"}).text
    row = page[page.index(f'data-seq="{refused.seq}"'):]
    assert "melihatnya" not in row[:row.index("</tr>")]


def test_a_form_sent_without_the_right_reads_as_a_change_refused(app, db, client, users, login_as, take_in):
    req = take_in("Rina Marlina")
    login_as("asn")
    assert client.post("/audit/export", data={"fmt": "csv"}).status_code == 403  # no object: its page
    assert client.post(f"/documents/{req.id}/nik").status_code == 403  # about a request
    page_only, about_one = _refusals(db, "access.forbidden_post")
    assert (page_only.subject_type, about_one.subject_type) == (None, "document")
    english = _said(app, [page_only, about_one], "en")
    assert english[0].endswith("was refused: sent a change in “Audit” without the right to make it"), english
    assert english[1].endswith("was refused: sent a change without the right to make it"), english
    assert not [text for text in _said(app, [page_only, about_one], "id") if "melihatnya" in text]
    # a page view refused still reads as one
    assert client.get("/audit/").status_code == 403
    [viewed] = _refusals(db, "access.forbidden")
    assert _said(app, [viewed], "en")[0].endswith("opened a page of “Audit” without the right to see it")


def test_a_file_s_history_keeps_why_a_stale_step_was_refused_not_what_its_screen_showed(app, db, users, take_in):
    req = take_in("Rina Marlina")
    seen = req.version
    take_action(req, "verify", users["kasi"], version=seen)
    refused = {}
    for who in ("clerk", "kasi"):  # another person's page, and the same person's other tab
        with pytest.raises(Conflict) as conflict:
            take_action(req, "verify", users[who], version=seen)
        refused[who] = conflict.value
    db.session.expire_all()
    events = [e for e in history_for(req) if e.outcome == "refused"]
    assert [e.actor_id for e in events] == [users["clerk"].id, users["kasi"].id]
    stored = [e.comment for e in events]
    assert all(str(refused[who].message) in comment for who, comment in zip(("clerk", "kasi"), stored, strict=True))
    assert all(str(refused[who].fact) != str(refused[who].message) for who in refused)  # the screen's words were there
    with app.test_request_context():
        lines = sentences.render(events)
    assert [line.reason for line in lines] == [str(refused["clerk"].fact), str(refused["kasi"].fact)]
    # the same in English, where the refusal was recorded in Bahasa: the screen's sentence in either language
    with app.test_request_context(), force_locale("en"):
        assert [line.reason for line in sentences.render(events)] == [str(refused["clerk"].fact),
                                                                       str(refused["kasi"].fact)]


def test_a_refused_form_names_its_part_of_the_intranet_not_its_path(app, db, client, login_as):
    """HR read "... tidak sama. (/account/password)": what happened, and where by the menu's name; a page the
    menu names no part of keeps its path, rather than saying nowhere."""
    login_as("hr")  # (a report of training elsewhere keeps what it claimed: its own action, enrolment.report_external)
    assert client.post("/training/history/", data={"year": "abc"}).status_code == 422
    login_as("asn")
    client.post("/account/password", data={"current_password": "wrong", "new_password": "a-new-one-2026",
                                           "confirm": "another-one-2026"})
    training, password = _refusals(db, "input.refused")
    assert training.comment.endswith("(/training/history/)")
    with app.test_request_context(), force_locale("id"):
        lines = sentences.render([training, password], subjects=True)
    assert "/training" not in lines[0].reason and lines[0].reason.endswith("(di “Pengembangan kompetensi”)")
    assert lines[1].reason.endswith("(/account/password)")
    login_as("hr")
    page = client.get("/audit/", query_string={"action": "input.refused"}).text
    assert "(/training/history/)" not in page and "Pengembangan kompetensi" in page
    event = password
    # the computer it came from, which the log keeps, is shown: HR compares it with its own session's
    assert event.ip and f"dari {event.ip}" in page
    exported = client.post("/audit/export", data={"action": "input.refused", "fmt": "csv"}).get_data()
    header, first = exported.decode("utf-8-sig").splitlines()[:2]  # the newest first
    assert header.split(";")[-2] == "Dari alamat (IP)" and first.split(";")[-2] == event.ip


def test_a_step_posted_without_the_right_reads_as_that_step(app, db, client, users, login_as,
                                                            make_course, enrol):  # noqa: F811
    """Another ASN posting "verify" on an enrolment's page read "sent a change without the right to make it", the
    same step through the inbox "verifying completion and crediting JP": one wording, naming the step."""
    enrolment = enrol(make_course(jp=8), users["asn"], "completed")
    login_as("clerk")
    assert client.post(f"/training/enrolments/{enrolment.id}/act/verify",
                       data={"version": enrolment.version}).status_code == 403
    [refused] = _refusals(db, "access.forbidden_post")
    with app.test_request_context(), force_locale("en"):
        [line] = sentences.render([refused], subjects=True)
        did = action_label("enrolment.verify")
    assert "without the right to make it" not in line.text and line.text.endswith(did), line.text


def test_a_refused_draft_number_or_timeline_names_the_request_it_was_about(app, db, client, login_as, take_in):
    """An ASN opened a request's draft letter, its timeline, and sent it a letter number: the log said a page
    was refused, not which request's letter (their URLs name the kind and the id)."""
    req = take_in("Rina Marlina")
    login_as("asn")
    assert client.get(f"/letters/draft/document/{req.id}.pdf").status_code == 403
    assert client.get(f"/audit/timeline/document/{req.id}").status_code == 403
    assert client.get("/audit/timeline/bukan-jenis/5").status_code == 403  # a made-up kind names nothing
    viewed = _refusals(db, "access.forbidden")
    assert [(e.subject_type, e.subject_id) for e in viewed] == [("document", str(req.id))] * 2 + [(None, None)]
    login_as("clerk")  # the counter does not number letters: told so, and the log names the request
    refused = client.post(f"/letters/external-number/document/{req.id}", data={"number": "400/1/PLJ/2026"})
    assert refused.status_code == 403 and "nomor dari buku agenda lain" in refused.text
    [sent] = _refusals(db, "access.forbidden_post")
    assert (sent.subject_type, sent.subject_id) == ("document", str(req.id))

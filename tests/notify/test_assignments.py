"""Notifications from assignments: every step of every workflow tells the right people the right news.

The engine sends `assignments_changed` with the entity's new assignees; here the test sends it with
assignees built from each spec's who-rules (see ASSIGNEES), in the step's transaction, and checks the
in-app notifications, the e-mails that reach a real SMTP server, and which to-dos are done."""
from datetime import timedelta

import pytest
from sqlalchemy import select

import plaju.complaints.workflow  # noqa: F401  (registers its spec, as create_app does)
from plaju.accounts.models import Delegation
from plaju.notify.models import Notification, OutboxMessage
from plaju.timeutil import today_wib
from plaju.training.models import Plan
from plaju.workflow.engine import all_specs
from plaju.workflow.signals import Assignee
from tests.notify.conftest import step_taken

# --- who waits in each state, as the engine derives it from the specs' who-rules --------------------


def _document(state, r, u):
    if state == "awaiting_signature":  # the Camat signs (or his Plh); never the clerk who took it in
        return [Assignee(t, role="camat", delegable=True, excluded_user_id=r.created_by_id)
                for t in ("sign", "send_back")]
    if state in ("handed_over", "rejected", "cancelled"):
        return []
    # everything else is shared at the counter: counted in the navigation, not sent one by one
    return [Assignee("verify", role="clerk", notify=False), Assignee("verify", role="section_head", notify=False)]


def _enrolment(state, e, u):
    return {
        "requested": [Assignee(t, user_id=u["kasi"].id, excluded_user_id=e.user_id) for t in ("approve", "decline")],
        "approved": [Assignee("sign_off", role="camat", excluded_user_id=e.user_id),
                     Assignee("refuse_sign_off", role="camat", excluded_user_id=e.user_id)],
        "in_progress": [Assignee("complete", user_id=e.user_id)],
        "completed": [Assignee(t, role="hr", excluded_user_id=e.user_id) for t in ("verify", "return_evidence")],
        # the office's own course: the certificate awaits the Camat's signature (or his Plh's)
        "awaiting_certificate": [Assignee("sign_certificate", role="camat", delegable=True,
                                          excluded_user_id=e.user_id)],
    }.get(state, [])


def _plan(state, p, u):
    return {
        "draft": [Assignee("submit", role="hr", notify=False)],
        "returned": [Assignee("submit", role="hr", notify=False)],
        "submitted": [Assignee(t, role="camat", excluded_user_id=p.created_by_id) for t in ("approve", "return")],
    }.get(state, [])


def _complaint(state, c, u):
    # shared by the section heads: counted in the inbox, not sent one by one
    return [Assignee("answer", role="section_head", delegable=True, notify=False, due_at=c.due_at)] \
        if state == "open" else []


ASSIGNEES = {"document": _document, "enrolment": _enrolment, "training_plan": _plan, "complaint": _complaint}

# --- (spec, step) -> actor, and who is told what: (user, "todo" | "news", words in the subject) ------
TODO = "Menunggu tindakan Anda"
TABLE = {
    ("document", "verify"): ("clerk", []),
    ("document", "return_to_citizen"): ("kasi", [("clerk", "news", "dikembalikan kepada pemohon: KK belum ada")]),
    ("document", "resubmit"): ("clerk", []),
    ("document", "accept"): ("kasi", []),
    ("document", "forward"): ("kasi", []),
    ("document", "back_from_disdukcapil"): ("clerk", []),
    ("document", "to_signature"): ("kasi", [("camat", "todo", TODO)]),
    ("document", "complete"): ("kasi", []),
    ("document", "sign"): ("camat", []),
    # the factory records no submitter: the clerk who took it in is told (he may correct what he typed, a
    # recalled letter may lie printed at his counter)
    ("document", "send_back"): ("camat", [("clerk", "news", "dikembalikan untuk diperbaiki")]),
    ("document", "recall"): ("camat", [("clerk", "news", "ditarik kembali")]),
    ("document", "mark_ready"): ("clerk", []),
    ("document", "hand_over"): ("clerk", []),
    ("document", "reject"): ("kasi", [("clerk", "news", "ditolak: KK belum ada")]),
    ("document", "cancel"): ("clerk", []),
    ("enrolment", "approve"): ("kasi", [("asn", "news", "disetujui atasan"), ("camat", "todo", TODO)]),
    ("enrolment", "decline"): ("kasi", [("asn", "news", "ditolak atasan Anda, Kasi Uji: KK belum ada")]),
    ("enrolment", "sign_off"): ("camat", [("asn", "news+todo", "telah disahkan")]),
    ("enrolment", "sign_off_routine"): ("camat", [("asn", "news+todo", "telah disahkan")]),
    ("enrolment", "refuse_sign_off"): ("camat", [("asn", "news", "tidak disahkan: ")]),
    ("enrolment", "refuse_sign_off_routine"): ("camat", [("asn", "news", "tidak disahkan: ")]),
    ("enrolment", "complete"): ("asn", [("hr", "todo", TODO)]),
    ("enrolment", "complete_elearning"): ("asn", [("hr", "todo", TODO)]),
    ("enrolment", "complete_internal_elearning"): ("asn", [("camat", "todo", TODO)]),
    ("enrolment", "attendance_met"): ("hr", [("camat", "todo", TODO)]),
    ("enrolment", "sign_certificate"): ("camat", [("asn", "news", "telah ditandatangani")]),
    ("enrolment", "verify"): ("hr", [("asn", "news", "JP Anda")]),
    ("enrolment", "verify_twin"): ("hr", [("asn", "news", "JP Anda")]),
    ("enrolment", "return_evidence"): ("hr", [("asn", "news+todo", "mengembalikan bukti")]),
    ("enrolment", "withdraw"): ("asn", []),
    ("enrolment", "withdraw_report"): ("asn", []),  # HR's to-do closes; nobody else is concerned
    ("enrolment", "mark_not_completed"): ("hr", [("asn", "news", "tidak selesai: KK belum ada")]),
    ("enrolment", "withdraw_credit"): ("hr", [("asn", "news", "ditarik: KK belum ada")]),
    ("training_plan", "submit"): ("hr", [("camat", "todo", TODO)]),
    ("training_plan", "approve"): ("camat", [("hr", "news", "disetujui Camat")]),
    ("training_plan", "return"): ("camat", [("hr", "news", "dikembalikan Camat: KK belum ada")]),
    ("training_plan", "cancel"): ("hr", []),
    ("complaint", "answer"): ("kasi", []),
    ("complaint", "close"): ("kasi", []),
}


def test_the_table_covers_every_step_of_every_spec():
    product_specs = [spec for spec in all_specs() if spec.model.__module__.startswith("plaju.")]
    assert {spec.name for spec in product_specs} == set(ASSIGNEES)
    assert set(TABLE) == {(spec.name, t) for spec in product_specs for t in spec.step_by_trigger}


@pytest.fixture()
def entity_in(db, users, make_request, make_course, enrol):
    def make(spec_name, state):
        if spec_name == "document":
            return make_request(state, clerk=users["clerk"])
        if spec_name == "enrolment":
            return enrol(make_course(), users["asn"], state)
        if spec_name == "complaint":
            from plaju.complaints.models import Complaint
            from plaju.database import utcnow
            complaint = Complaint(request_id=make_request("processing", clerk=users["clerk"]).id, kind="complaint",
                                  body="Berkas belum selesai.", state=state, due_at=utcnow())
            db.session.add(complaint)
            db.session.commit()
            return complaint
        plan = Plan(unit_id=users["hr"].unit_id, year=2027, created_by_id=users["hr"].id, state=state)
        db.session.add(plan)
        db.session.commit()
        return plan
    return make


def _spec(name):
    return next(spec for spec in all_specs() if spec.name == name)


@pytest.mark.parametrize(("spec_name", "trigger"), sorted(TABLE))
def test_every_step_tells_the_right_people(spec_name, trigger, db, with_emails, entity_in, smtp):
    users = with_emails
    spec = _spec(spec_name)
    step = spec.step_by_trigger[trigger]
    entity = entity_in(spec_name, step.sources[0])
    # the item waits in its source state: its to-dos exist before the step
    step_taken(entity, None, None, ASSIGNEES[spec_name](step.sources[0], entity, users))
    before = db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
    smtp.messages.clear()

    actor_name, expected = TABLE[(spec_name, trigger)]
    if step.dest == "verified":  # what the step's own effect writes; the table checks the news only
        entity.jp_credited, entity.credited_year = entity.course.jp, today_wib().year
    step_taken(entity, trigger, users[actor_name], ASSIGNEES[spec_name](step.dest, entity, users),
               comment="KK belum ada")

    new = db.session.scalars(select(Notification).where(Notification.id > before)).all()
    by_name = {name: u.id for name, u in users.items()}
    got = sorted(((next(n for n, i in by_name.items() if i == note.user_id), note) for note in new),
                 key=lambda pair: pair[0])
    assert [name for name, _note in got] == sorted(name for name, _kind, _words in expected)
    for (name, note), (_n, kind, words) in zip(got, sorted(expected), strict=True):
        assert words in note.subject, (name, note.subject)
        assert (note.todo_step is not None) == ("todo" in kind)
        assert note.subject_type == spec_name and note.subject_id == entity.id
        assert note.url == spec.url(entity)
        assert "%(" not in note.subject and not note.subject.startswith(str(step.label))  # news, not an order
    # the e-mail copies went out after the commit, one per notification
    assert sorted(r for rcpts, _text in smtp.messages for r in rcpts) == sorted(
        f"{name}@plaju.local" for name, _kind, _words in expected)
    # to-dos from before the step are done unless the same person still has the same step
    still_open = db.session.scalars(select(Notification).where(
        Notification.subject_type == spec_name, Notification.subject_id == entity.id,
        Notification.todo_step.is_not(None), Notification.done_at.is_(None))).all()
    assert sorted(n.user_id for n in still_open) == sorted(
        by_name[name] for name, kind, _w in expected if "todo" in kind)


def test_a_plh_is_told_too_for_a_step_they_may_take_and_not_outside_the_range(db, with_emails, entity_in,
                                                                              camat_away, smtp):
    users = with_emails
    request = entity_in("document", "processing")
    step_taken(request, "to_signature", users["kasi"], _document("awaiting_signature", request, users))
    [to_camat] = db.session.scalars(select(Notification).where(Notification.user_id == users["camat"].id)).all()
    [to_plh] = db.session.scalars(select(Notification).where(Notification.user_id == users["sekcam"].id)).all()
    assert "Plh. Camat Plaju" in to_plh.body and "Plh." not in to_camat.body
    assert len(smtp.to("sekcam@plaju.local")) == 1
    # a step the Plh may not take (not delegable) reaches the Camat only
    enrolment = entity_in("enrolment", "requested")
    step_taken(enrolment, "approve", users["kasi"], _enrolment("approved", enrolment, users))
    assert db.session.scalars(select(Notification).where(Notification.user_id == users["sekcam"].id,
                                                         Notification.subject_type == "enrolment")).all() == []


@pytest.mark.parametrize("change", ["revoked", "ended", "not_yet"])
def test_no_plh_notification_outside_an_active_delegation(change, db, with_emails, entity_in):
    users = with_emails
    today = today_wib()
    start, end = {"ended": (today - timedelta(days=5), today - timedelta(days=1)),
                  "not_yet": (today + timedelta(days=1), today + timedelta(days=3))}.get(change, (today, today))
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                              starts_on=start, ends_on=end, revoked=change == "revoked"))
    db.session.commit()
    request = entity_in("document", "processing")
    step_taken(request, "to_signature", users["kasi"], _document("awaiting_signature", request, users))
    assert db.session.scalars(select(Notification).where(Notification.user_id == users["sekcam"].id)).all() == []
    assert db.session.scalars(select(Notification).where(Notification.user_id == users["camat"].id)).all()


def test_the_same_todo_is_not_notified_twice_and_the_excluded_person_never(db, with_emails, entity_in, smtp):
    users = with_emails
    request = entity_in("document", "processing")
    assignees = _document("awaiting_signature", request, users)
    step_taken(request, "to_signature", users["kasi"], assignees)
    step_taken(request, None, None, assignees)  # the assignments are derived again, unchanged
    notes = db.session.scalars(select(Notification)).all()
    assert [n.user_id for n in notes] == [users["camat"].id]
    assert len(smtp.messages) == 1
    # four eyes: the Camat who took the request in himself is not told to sign it
    own = entity_in("document", "processing")
    own.created_by_id = users["camat"].id
    db.session.commit()
    step_taken(own, "to_signature", users["kasi"], _document("awaiting_signature", own, users))
    assert db.session.scalars(select(Notification).where(Notification.subject_id == own.id)).all() == []


def test_role_within_a_unit_and_inactive_holders(db, with_emails, entity_in):
    from plaju.accounts.models import Unit
    users = with_emails
    other = Unit(code="lain", name="Unit Lain", kind="seksi")
    db.session.add(other)
    users["kasi2"].unit = other
    db.session.commit()
    request = entity_in("document", "verifying")
    unit_id = users["kasi"].unit_id
    step_taken(request, None, None, [Assignee("accept", role="section_head", unit_id=unit_id)])
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {users["kasi"].id}
    users["kasi"].active = False
    db.session.commit()
    step_taken(request, None, None, [Assignee("reject", role="section_head", unit_id=unit_id)])
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {users["kasi"].id}


def test_notifications_are_written_in_the_step_transaction(db, with_emails, entity_in, smtp):
    users = with_emails
    request = entity_in("document", "processing")
    step_taken(request, "to_signature", users["kasi"], _document("awaiting_signature", request, users), commit=False)
    db.session.rollback()  # the step failed: nobody is told anything
    assert db.session.scalars(select(Notification)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert smtp.messages == []


def test_the_notifications_page_shows_a_handled_item_as_done(client, login_as, db, with_emails, entity_in):
    users = with_emails
    request = entity_in("document", "processing")
    step_taken(request, "to_signature", users["kasi"], _document("awaiting_signature", request, users))
    login_as("camat")
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="todo-waiting"' in page and 'data-testid="todo-done"' not in page
    assert "Langkah yang dapat Anda ambil" in page
    assert 'data-testid="unread">1<' in client.get("/notifications/count").get_data(as_text=True)
    request = db.session.get(type(request), request.id)
    step_taken(request, "sign", users["camat"], _document("signed", request, users))
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="todo-done"' in page and 'data-testid="todo-waiting"' not in page
    assert "Langkah yang dapat Anda ambil" not in page  # handled: no steps offered any more
    assert "unread" not in client.get("/notifications/count").get_data(as_text=True)


def test_the_asn_gets_no_order_worded_notification_when_a_step_is_taken_over_http(client, login_as, db, users,
                                                                                 make_course, enrol):
    """The old messages ("Approve: <course>") sent to the ASN are gone, whoever sends the signal."""
    enrolment = enrol(make_course(title="Pelayanan Prima Loket"), users["asn"])
    login_as("kasi")
    assert client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0}).status_code == 303
    subjects = db.session.scalars(select(Notification.subject).where(Notification.user_id == users["asn"].id)).all()
    assert not [s for s in subjects if s.startswith(("Setujui", "Approve"))]
    # the engine's own signal brings the news of the real step
    assert ("Pendaftaran Anda pada Pelayanan Prima Loket disetujui atasan Anda, Kasi Uji; selanjutnya menunggu "
            "pengesahan Camat") in subjects


def test_a_plh_is_not_told_where_four_eyes_bars_the_principal(db, with_emails, entity_in, camat_away):
    users = with_emails
    own = entity_in("document", "processing")
    own.created_by_id = users["camat"].id  # the Camat took it in: neither he nor his Plh may sign it
    db.session.commit()
    step_taken(own, "to_signature", users["kasi"], _document("awaiting_signature", own, users))
    assert db.session.scalars(select(Notification).where(Notification.subject_id == own.id)).all() == []


def test_a_to_do_notification_writes_its_due_time_as_the_pages_do(app):
    """"Tenggat: 3 Des 2026 16.00 WIB.", not "01-12-2026 16.00", beside "1 Des 2026" everywhere else."""
    from datetime import datetime
    from types import SimpleNamespace

    from plaju.documents.workflow import DOCUMENT_FLOW
    from plaju.notify.assignments import _todo_body
    with app.test_request_context("/"):
        body = _todo_body(DOCUMENT_FLOW, SimpleNamespace(triggers=["sign"], acting_as=[],
                                                         due_at=datetime(2026, 12, 3, 9, 0)))
    assert "Tenggat: 3 Des 2026 16.00 WIB." in body

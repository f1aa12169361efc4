"""The document workflow: who may do what in which state, conflicts, signatures, the audit trail."""
import re
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from plaju.accounts.models import Delegation
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.documents.models import DocumentRequest
from plaju.documents.services import actions_for, take_action
from plaju.documents.workflow import DOCUMENT_FLOW
from plaju.timeutil import today_wib
from plaju.workflow import Conflict, Invalid, NotAllowed, Refused, fire
from tests.conftest import PG_URL
from tests.documents.conftest import fresh
from tests.support import PASSWORD


def _events(db, req, outcome=None):
    stmt = select(AuditEvent).where(AuditEvent.subject_type == "document",
                                    AuditEvent.subject_id == str(req.id)).order_by(AuditEvent.seq)
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(stmt))


# state, trigger, user, document type -> allowed?
TABLE = [
    ("received", "verify", "clerk", "sktm", True),
    ("received", "verify", "kasi", "sktm", True),
    ("received", "verify", "camat", "sktm", False),
    ("received", "verify", "asn", "sktm", False),
    ("received", "accept", "kasi", "sktm", False),
    ("received", "cancel", "clerk", "sktm", True),
    ("verifying", "accept", "kasi", "sktm", True),
    ("verifying", "accept", "clerk", "sktm", False),
    ("verifying", "return_to_citizen", "clerk", "akta-lahir", True),
    ("verifying", "reject", "kasi", "sktm", True),
    ("verifying", "reject", "clerk", "sktm", False),
    ("returned", "resubmit", "clerk", "akta-lahir", True),
    ("returned", "accept", "kasi", "akta-lahir", False),
    ("returned", "cancel", "clerk", "akta-lahir", True),
    ("processing", "forward", "kasi", "akta-lahir", True),
    ("processing", "forward", "clerk", "akta-lahir", True),
    ("processing", "forward", "kasi", "sktm", False),       # not a forwarded type
    ("processing", "to_signature", "kasi", "sktm", True),
    ("processing", "to_signature", "kasi", "akta-lahir", False),  # must go to Disdukcapil first
    ("processing", "complete", "kasi", "sktm", False),      # the Camat signs this type
    ("processing", "cancel", "clerk", "sktm", False),
    ("at_disdukcapil", "back_from_disdukcapil", "clerk", "akta-lahir", True),
    ("at_disdukcapil", "complete", "kasi", "akta-lahir", False),
    ("back_from_disdukcapil", "complete", "kasi", "akta-lahir", True),
    ("awaiting_signature", "sign", "camat", "sktm", True),
    ("awaiting_signature", "sign", "kasi", "sktm", False),
    ("awaiting_signature", "sign", "sekcam", "sktm", False),  # not without a Plh delegation
    ("awaiting_signature", "sign", "clerk", "sktm", False),
    ("awaiting_signature", "send_back", "camat", "sktm", True),
    ("awaiting_signature", "reject", "kasi", "sktm", False),
    ("signed", "mark_ready", "clerk", "sktm", True),
    ("signed", "mark_ready", "camat", "sktm", False),
    ("ready", "hand_over", "clerk", "sktm", True),
    ("ready", "hand_over", "asn", "sktm", False),
    ("handed_over", "cancel", "clerk", "sktm", False),
    ("rejected", "verify", "clerk", "sktm", False),
    ("cancelled", "resubmit", "clerk", "sktm", False),
]


@pytest.mark.parametrize("state,trigger,who,type_code,allowed", TABLE)
def test_permission_table(db, users, make_request, state, trigger, who, type_code, allowed):
    extra = {"disdukcapil_back_at": None}
    if state == "back_from_disdukcapil":
        from plaju.database import utcnow
        extra["disdukcapil_back_at"] = utcnow()
    req = make_request(state, type_code, **extra)
    actor = users[who]
    offered = trigger in [a.trigger for a in actions_for(req, actor) if not a.blocked]
    assert offered is allowed
    kwargs = {"password": PASSWORD, "comment": "alasan yang jelas", "confirmed": True,
              "missing": [item["id"] for item in req.checklist_items][:1], "fields": {"id_checked": "1"}}
    if allowed:
        moved = take_action(req, trigger, actor, version=req.version, **kwargs)
        assert moved.state == DOCUMENT_FLOW.step_by_trigger[trigger].dest
        assert _events(db, req)[-1].action == f"document.{trigger}"
        assert _events(db, req)[-1].outcome == "ok"
    else:
        with pytest.raises(Refused) as refused:
            take_action(req, trigger, actor, version=req.version, **kwargs)
        assert 400 <= refused.value.status < 500
        assert fresh(db, req).state == state
        assert _events(db, req)[-1].outcome == "refused"


def test_the_sktm_journey_records_clock_signature_and_wait(db, users, make_request):
    req = make_request("received", "sktm")
    steps = [("verify", "clerk"), ("accept", "kasi"), ("to_signature", "kasi"), ("sign", "camat"),
             ("mark_ready", "clerk"), ("hand_over", "clerk")]
    for trigger, who in steps:
        req = take_action(req, trigger, users[who], version=req.version, password=PASSWORD,
                          fields={"id_checked": "1"} if trigger == "hand_over" else None)
    req = fresh(db, req)
    assert req.state == "handed_over"
    assert req.signed_by_id == users["camat"].id and req.signed_as == "Camat Plaju"
    assert req.wait_minutes is not None and req.service_minutes is not None
    assert req.closed_at is not None and req.clock_started_at is None
    assert [e.action.split(".")[1] for e in _events(db, req, "ok")] == ["receive"] + [t for t, _ in steps]
    assert verify_chain().ok


def test_stale_page_is_a_409_naming_who_acted_first(db, users, make_request):
    req = make_request("verifying", "akta-lahir")
    seen = req.version
    take_action(req, "accept", users["kasi"], version=seen)
    with pytest.raises(Conflict) as refused:
        take_action(req, "return_to_citizen", users["clerk"], version=seen, comment="akta kurang")
    assert refused.value.status == 409
    assert users["kasi"].full_name in str(refused.value.message)
    assert "sudah melakukan" in str(refused.value.message)
    # the time as every page writes it: "30 Nov 2026 20.08 WIB", not "30-11-2026 20:08"
    assert re.search(r"pada \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}\.\d{2} WIB\.", str(refused.value.message))
    assert fresh(db, req).state == "processing"
    # the same person from a second tab is spoken to, not named
    other = make_request("verifying", "akta-lahir")
    take_action(other, "accept", users["kasi"], version=other.version)
    with pytest.raises(Conflict) as again:
        take_action(other, "reject", users["kasi"], version=0, comment="berkas tidak sah")
    message = str(again.value.message)
    assert message.startswith("Anda sudah melakukan") and users["kasi"].full_name not in message


def test_signing_with_the_wrong_password_changes_nothing_and_is_audited(db, users, make_request):
    req = make_request("awaiting_signature", "sktm")
    with pytest.raises(Invalid) as refused:
        take_action(req, "sign", users["camat"], version=req.version, password="bukan-sandi")
    assert refused.value.code == "reauth" and "Kata sandi salah" in str(refused.value.message)
    row = fresh(db, req)
    assert (row.state, row.version, row.signed_by_id) == ("awaiting_signature", 0, None)
    last = _events(db, req)[-1]
    assert (last.outcome, last.action, last.actor_id) == ("refused", "document.sign", users["camat"].id)
    assert "[reauth]" in last.comment


def test_return_and_reject_need_a_reason(db, users, make_request):
    req = make_request("verifying", "akta-lahir")
    for trigger, who in (("return_to_citizen", "clerk"), ("reject", "kasi")):
        with pytest.raises(Invalid) as refused:
            take_action(req, trigger, users[who], version=req.version, comment="   ")
        assert refused.value.code == "comment"
    assert fresh(db, req).state == "verifying"


def test_the_history_tells_a_step_not_taken_for_its_input_from_a_refusal_of_authority(db, users, make_request):
    """A reason left blank is the clerk's slip, told without alarm; a step tried by someone without the
    authority, or a wrong password at a signature, stays a refusal (red)."""
    from plaju.workflow.ui import history_sentences
    req = make_request("verifying", "akta-lahir")
    with pytest.raises(Invalid):
        take_action(req, "return_to_citizen", users["clerk"], version=req.version, comment="   ")
    with pytest.raises(NotAllowed):
        take_action(req, "accept", users["asn"], version=req.version)
    slip, refusal = history_sentences(fresh(db, req))[-2:]
    assert slip.quiet and slip.refused and "mencoba mengembalikan" in slip.text and "belum berhasil" in slip.text
    assert slip.reason.startswith("Alasan wajib diisi")
    assert refusal.refused and not refusal.quiet and "ditolak sistem saat" in refusal.text
    signing = make_request("awaiting_signature", "sktm")
    with pytest.raises(Invalid):
        take_action(signing, "sign", users["camat"], version=signing.version, password="bukan-sandi")
    assert not history_sentences(fresh(db, signing))[-1].quiet


def test_returned_request_pauses_the_clock_and_resubmission_needs_the_missing_document(db, users, make_request):
    req = make_request("verifying", "akta-lahir")
    first = req.checklist_items[0]["id"]
    # returned with nothing ticked, the record would say every paper was received and the citizen's page
    # and the clerk's check on return would name nothing: refused, as a slip of input
    for missing in ((), {987654}):
        with pytest.raises(Invalid) as untold:
            take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                        comment="surat keterangan lahir tidak terbaca", missing=missing)
        assert untold.value.code == "missing" and "Centang berkas yang kurang" in str(untold.value.message)
    assert fresh(db, req).state == "verifying"
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                      comment="surat keterangan lahir tidak terbaca", missing={first})
    row = fresh(db, req)
    assert (row.state, row.due_at, row.clock_started_at) == ("returned", None, None)
    assert row.checklist_items[0]["ok"] is False
    with pytest.raises(Invalid) as refused:
        take_action(row, "resubmit", users["clerk"], version=row.version)
    assert "Persyaratan wajib masih kurang" in str(refused.value.message)
    row = take_action(fresh(db, req), "resubmit", users["clerk"], version=row.version, ticked={first})
    row = fresh(db, row)
    assert row.state == "verifying" and row.due_at is not None and row.clock_started_at is not None
    assert all(item["ok"] for item in row.checklist_items)


def test_four_eyes_the_camat_cannot_sign_what_they_took_in(db, users, make_request):
    req = make_request("awaiting_signature", "sktm", clerk=users["camat"])
    assert "sign" not in [a.trigger for a in actions_for(req, users["camat"])]
    with pytest.raises(NotAllowed) as refused:
        take_action(req, "sign", users["camat"], version=req.version, password=PASSWORD)
    assert refused.value.code == "four_eyes"


def test_plh_camat_signs_and_the_signature_says_so(db, users, make_request):
    req = make_request("awaiting_signature", "sktm")
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.session.commit()
    [action] = [a for a in actions_for(req, users["sekcam"]) if a.trigger == "sign"]
    assert action.acting_for.id == users["camat"].id
    req = take_action(req, "sign", users["sekcam"], version=req.version, password=PASSWORD)
    assert fresh(db, req).signed_as == "Plh. Camat Plaju"
    assert _events(db, req)[-1].acting_for_id == users["camat"].id
    # rejecting is not routine: the Plh may not do it
    other = make_request("verifying", "sktm")
    assert "reject" not in [a.trigger for a in actions_for(other, users["sekcam"])]


def test_a_kasi_who_is_plh_camat_does_not_sign_what_he_submitted_for_signature(client, login_as, db, users,
                                                                                make_request):
    """Four eyes across steps: a Kasi standing in for the Camat could otherwise accept, submit and sign the
    same letter alone. Whoever submitted it is refused (audited), on the page, in the list and by a POST;
    another official signs it."""
    from plaju.inbox.services import counts
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh",
                              starts_on=today, ends_on=today))
    db.session.commit()
    req = take_action(make_request("processing", "sktm"), "to_signature", users["kasi"], version=0)
    assert fresh(db, req).submitted_by_id == users["kasi"].id
    assert "sign" not in [a.trigger for a in actions_for(fresh(db, req), users["kasi"])]
    assert counts(users["kasi"]).get("document", 0) == 0  # the Camat's list, seen as his Plh, leaves it out
    assert counts(users["camat"]).get("document") == 1
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert f'/documents/{req.id}/actions/sign"' not in page
    response = client.post(f"/documents/{req.id}/actions/sign", data={"version": "1", "password": PASSWORD})
    assert response.status_code == 403
    assert "Anda sendiri yang menerima kelengkapannya, mengajukan" in response.get_data(as_text=True)
    assert fresh(db, req).state == "awaiting_signature"
    [refusal] = _events(db, req, "refused")
    assert refusal.actor_id == users["kasi"].id and refusal.comment.startswith("[four_eyes]")
    # the Camat himself signs it, as does any other official standing in for him
    req = take_action(fresh(db, req), "sign", users["camat"], version=1, password=PASSWORD)
    assert fresh(db, req).state == "signed"


def test_a_kasi_who_is_plh_camat_does_not_sign_what_he_accepted_and_another_kasi_submitted(db, users,
                                                                                         make_request):
    """Accepting is preparing too: the Kasi who found the requirements complete, Plh Camat that day, does not
    sign the letter a colleague submitted (he would have checked and signed it alone)."""
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh",
                              starts_on=today, ends_on=today))
    db.session.commit()
    req = make_request("verifying", "sktm")
    req = take_action(req, "accept", users["kasi"], version=req.version)
    req = take_action(fresh(db, req), "to_signature", users["kasi2"], version=fresh(db, req).version)
    assert "sign" not in [a.trigger for a in actions_for(fresh(db, req), users["kasi"])]
    with pytest.raises(NotAllowed) as refused:
        take_action(fresh(db, req), "sign", users["kasi"], version=fresh(db, req).version, password=PASSWORD)
    assert refused.value.code == "four_eyes"
    assert fresh(db, req).state == "awaiting_signature"
    take_action(fresh(db, req), "sign", users["camat"], version=fresh(db, req).version, password=PASSWORD)
    assert fresh(db, req).state == "signed"


def test_type_rules_hide_buttons_that_never_apply(db, users, make_request):
    ktp = make_request("processing", "sktm")
    akta = make_request("processing", "akta-lahir")
    assert [a.trigger for a in actions_for(ktp, users["kasi"])] == ["return_to_citizen", "to_signature", "reject"]
    assert [a.trigger for a in actions_for(akta, users["kasi"])] == ["return_to_citizen", "forward", "reject"]


# ---- random walks: the row's state always matches the audit trail ------------------------------

TRIGGERS = sorted(DOCUMENT_FLOW.step_by_trigger)
ACTORS = ["clerk", "kasi", "camat", "sekcam", "asn"]


def test_random_walks_keep_state_and_audit_trail_in_step(app, db, users, doc_types):
    from plaju.documents.services import create_request
    from tests.documents.conftest import subject_for, valid_nik

    class Walk(RuleBasedStateMachine):
        @initialize(code=st.sampled_from(["sktm", "akta-lahir", "sktm", "kk-baru"]))
        def take_in(self, code):
            doc_type = doc_types[code]
            self.req = create_request(actor=users["clerk"], nik=valid_nik(female=True), name="Warga Uji", phone="",
                                      kelurahan="Komperta", doc_type=doc_type,
                                      ticked={r.id for r in doc_type.requirements}, purpose="pendaftaran sekolah",
                                      address="Jl. Sentosa No. 7 RT 003 RW 001", birth_place="Palembang",
                                      subject=subject_for(doc_type.subject_kind))
            self.version = 0

        @rule(trigger=st.sampled_from(TRIGGERS), who=st.sampled_from(ACTORS),
              comment=st.sampled_from(["", "alasan"]), stale=st.booleans(), good_password=st.booleans())
        def act(self, trigger, who, comment, stale, good_password):
            version = self.version - 1 if stale else self.version
            try:
                moved = take_action(self.req, trigger, users[who], version=version, comment=comment,
                                    password=PASSWORD if good_password else "salah")
                self.version = moved.version
                self.req = moved
            except Refused:
                self.req = fresh(db, self.req)
                assert self.req.version == self.version

        @invariant()
        def state_is_the_last_ok_event(self):
            if not hasattr(self, "req"):
                return
            row = fresh(db, self.req)
            last_ok = _events(db, row, "ok")[-1]
            assert row.state == last_ok.to_state
            assert row.version == len(_events(db, row, "ok")) - 1
            if row.state in ("returned",) or DOCUMENT_FLOW.state(row.state).terminal:
                assert row.clock_started_at is None
            assert verify_chain().ok

    run_state_machine_as_test(Walk, settings=settings(
        max_examples=12, stateful_step_count=14, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


# ---- a real race, PostgreSQL only --------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="a race needs PostgreSQL row locks; SQLite serialises every writer")
def test_two_people_verify_at_once_exactly_one_wins(app, db, users, make_request):
    req = make_request("received", "sktm")
    ids = {"req": req.id, "clerk": users["clerk"].id, "kasi": users["kasi"].id}
    barrier = threading.Barrier(2)
    outcomes = {}

    def attempt(who):
        from plaju.accounts.models import User
        from plaju.extensions import db as _db
        with app.app_context():
            actor = _db.session.get(User, ids[who])
            row = _db.session.get(DocumentRequest, ids["req"])
            barrier.wait()
            try:
                fire(row, "verify", actor, expected_version=0)
                outcomes[who] = "won"
            except Conflict as conflict:
                outcomes[who] = conflict
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(who,)) for who in ("clerk", "kasi")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(v).__name__ if v != "won" else v for v in outcomes.values()) == ["Conflict", "won"]
    row = fresh(db, req)
    assert (row.state, row.version) == ("verifying", 1)
    assert len([e for e in _events(db, row, "ok") if e.action == "document.verify"]) == 1


def test_a_step_sent_with_a_file_that_could_not_be_taken_is_never_done_without_it(db, users, make_request):
    """The rule is the engine's: a step whose effect does not look at the file is refused all the same."""
    from plaju.workflow import Invalid, fire
    req = make_request("received")
    with pytest.raises(Invalid) as refused:
        fire(req, "verify", users["clerk"], expected_version=req.version,
             data={"evidence_refused": "Berkas x.pdf bukan berkas PDF yang sebenarnya."})
    assert refused.value.code == "upload"
    db.session.expire_all()
    assert db.session.get(type(req), req.id).state == "received"


def test_a_step_name_typed_into_the_url_is_not_written_into_the_log(client, login_as, db, users, make_request):
    """POST /documents/<id>/actions/<anything>: the name, 3,000 characters or with a line break, a NUL or a
    right-to-left mark, was stored as the event's action (a column of 80) and shown raw to HR."""
    from plaju.audit.models import AuditEvent
    req = make_request("verifying")
    login_as("clerk")
    for typed in ("x" * 3000, "sign%0AFAKE%20line", "sign%E2%80%AEngis", "sign%00"):
        response = client.post(f"/documents/{req.id}/actions/{typed}", data={"version": req.version},
                               headers={"HX-Request": "true"})
        assert response.status_code == 403 and "Tindakan tidak dikenal" in response.text
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(e.action, e.subject_type) for e in events] == [("step.unknown", "document")] * 4
    assert all(len(e.comment) < 120 and e.comment.isprintable() for e in events)
    login_as("hr")
    page = client.get("/audit/", query_string={"outcome": "refused"}).text
    # the refusal's sentence says its verb once ("mencoba mencoba tindakan ..." it said)
    assert "memakai tindakan yang tidak ada" in page and "FAKE line" not in page
    assert "mencoba mencoba" not in page and "saat mencoba mencoba" not in page


def test_a_kasi_who_recorded_the_documents_brought_back_does_not_accept_them_too(client, login_as, db, users,
                                                                                   make_request):
    """A Kasi ticked the missing paper as brought back and then accepted the request himself: the four-eyes
    rule bound only the clerk who took it in. Whoever recorded the documents brought back does not also
    say the requirements are complete: another section head does, and the first is not listed for it."""
    req = make_request("verifying", "akta-lahir")
    first = req.checklist_items[0]["id"]
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                      comment="surat keterangan lahir tidak terbaca", missing={first})
    req = take_action(fresh(db, req), "resubmit", users["kasi"], version=req.version, ticked={first})
    row = fresh(db, req)
    assert row.state == "verifying" and row.checklist_items[0]["by"] == users["kasi"].id
    assert "accept" not in [a.trigger for a in actions_for(row, users["kasi"])]
    with pytest.raises(NotAllowed) as refused:
        take_action(row, "accept", users["kasi"], version=row.version)
    assert refused.value.code == "four_eyes" and "mencatat sendiri berkas yang dibawa kembali" in \
        str(refused.value.message)
    accept = f"document:{req.id}:accept:"  # the row's "requirements complete" (he may still reject it)
    login_as("kasi")
    assert accept not in client.get("/inbox/").text
    # the request's page says why the step is missing, beside the steps still his (return, reject)
    page = client.get(f"/documents/{req.id}").text
    assert 'data-testid="kept-out"' in page and "mencatat sendiri berkas yang dibawa kembali" in page
    login_as("kasi2")
    assert accept in client.get("/inbox/").text
    assert 'data-testid="kept-out"' not in client.get(f"/documents/{req.id}").text
    assert take_action(fresh(db, req), "accept", users["kasi2"], version=row.version).state == "processing"


def test_the_kasi_who_took_a_request_in_is_not_listed_for_accepting_it_after_a_clerk_s_resubmission(
        client, login_as, db, users, make_request):
    """The work item keeps one person out: the clerk who recorded the documents brought back took the place
    of the Kasi who took it in, whose list then offered "requirements complete", refused on the click."""
    req = make_request("verifying", "akta-lahir", clerk=users["kasi"])
    first = req.checklist_items[0]["id"]
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                      comment="surat keterangan lahir tidak terbaca", missing={first})
    req = take_action(fresh(db, req), "resubmit", users["clerk"], version=req.version, ticked={first})
    accept = f"document:{req.id}:accept:"
    login_as("kasi")
    assert accept not in client.get("/inbox/").text
    login_as("kasi2")
    assert accept in client.get("/inbox/").text

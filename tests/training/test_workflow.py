"""The enrolment spec on its own: who may do what in which state, guards, four eyes, Plh, the race."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaju.accounts.models import User
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.database import is_postgres
from plaju.timeutil import today_wib
from plaju.training.models import Enrolment
from plaju.training.opened import record_reading
from plaju.training.services import tally as tally_service
from plaju.training.workflow import ENROLMENT_FLOW, seats_left
from plaju.workflow import Invalid, NotAllowed, Refused, available, fire
from tests.support import make_user
from tests.training.conftest import completion_data


def _events(db, enrolment, outcome=None):
    stmt = select(AuditEvent).where(AuditEvent.subject_type == "enrolment",
                                    AuditEvent.subject_id == str(enrolment.id)).order_by(AuditEvent.seq)
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(stmt))


# state x trigger x who -> allowed? (the ASN "asn" reports to "kasi", who reports to the Camat)
TABLE = [
    ("requested", "approve", "kasi", True),
    ("requested", "approve", "kasi2", False),  # a supervisor, but not this ASN's
    ("requested", "approve", "camat", False),
    ("requested", "approve", "asn", False),
    ("requested", "decline", "kasi", True),
    ("requested", "decline", "hr", False),
    ("requested", "withdraw", "asn", True),
    ("requested", "withdraw", "kasi", False),
    ("requested", "sign_off", "camat", False),
    ("requested", "verify", "hr", False),
    ("approved", "sign_off", "camat", True),
    ("approved", "sign_off", "kasi", False),
    ("approved", "sign_off", "sekcam", False),
    ("approved", "sign_off_routine", "camat", False),  # the course is not routine
    ("approved", "refuse_sign_off", "camat", True),
    ("approved", "refuse_sign_off", "kasi", False),
    ("approved", "approve", "kasi", False),
    ("in_progress", "complete", "asn", True),
    ("in_progress", "complete", "kasi", False),
    ("in_progress", "complete_elearning", "asn", False),  # not an e-learning course: guard
    ("in_progress", "withdraw", "asn", True),
    ("in_progress", "mark_not_completed", "kasi", True),
    ("in_progress", "mark_not_completed", "hr", True),
    ("in_progress", "mark_not_completed", "clerk", False),
    ("completed", "verify", "hr", True),
    ("completed", "verify", "kasi", False),
    ("completed", "verify", "camat", False),
    ("completed", "return_evidence", "hr", True),
    ("completed", "withdraw", "asn", False),
    ("verified", "withdraw", "asn", False),
    ("verified", "verify", "hr", False),
    ("declined", "approve", "kasi", False),
    ("withdrawn", "approve", "kasi", False),
    ("not_completed", "complete", "asn", False),
]


@pytest.mark.parametrize("state,trigger,who,allowed", TABLE)
def test_permission_table(db, users, make_course, enrol, state, trigger, who, allowed):
    enrolment = enrol(make_course(), users["asn"], state)
    actor = users[who]
    offered = trigger in [a.trigger for a in available(enrolment, actor) if not a.blocked]
    assert offered is allowed
    data = completion_data(enrolment.course) if trigger == "complete" else (
        {"confirmed": True} if trigger == "withdraw" else None)
    kwargs = {"comment": "alasan yang jelas", "data": data}
    if allowed:
        moved = fire(enrolment, trigger, actor, expected_version=enrolment.version, **kwargs)
        assert moved.state == ENROLMENT_FLOW.step_by_trigger[trigger].dest
        assert _events(db, enrolment, "ok")[-1].action == f"enrolment.{trigger}"
    else:
        with pytest.raises(Refused):
            fire(enrolment, trigger, actor, expected_version=enrolment.version, **kwargs)
        db.session.expire_all()
        assert db.session.get(Enrolment, enrolment.id).state == state
        assert _events(db, enrolment)[-1].outcome == "refused"


def test_nobody_approves_their_own_enrolment(db, users, make_course, enrol):
    kasi = users["kasi"]
    kasi.supervisor_id = kasi.id  # even when the records make them their own supervisor
    db.session.commit()
    enrolment = enrol(make_course(), kasi)
    assert "approve" not in [a.trigger for a in available(enrolment, kasi)]
    with pytest.raises(NotAllowed) as refused:
        fire(enrolment, "approve", kasi, expected_version=enrolment.version)
    assert refused.value.code == "four_eyes"
    assert "four-eyes" in refused.value.message or "empat mata" in refused.value.message


def test_hr_cannot_verify_their_own_training(db, users, make_course, enrol):
    make_user("hr2", "hr")  # another HR verifies it (alone, the Sekcam would: test_hr_own_training)
    enrolment = enrol(make_course(), users["hr"], "completed")
    with pytest.raises(NotAllowed) as refused:
        fire(enrolment, "verify", users["hr"], expected_version=enrolment.version)
    assert refused.value.code == "four_eyes"
    assert db.session.get(Enrolment, enrolment.id).jp_credited == 0


def test_approval_guards_deadline_and_quota(db, users, make_course, enrol):
    course = make_course(quota=1)
    first = enrol(course, users["asn"])
    second = enrol(course, users["clerk"])
    fire(first, "approve", users["kasi"], expected_version=first.version)
    [action] = [a for a in available(second, users["kasi"]) if a.trigger == "approve"]
    assert action.blocked
    with pytest.raises(Invalid):
        fire(second, "approve", users["kasi"], expected_version=second.version)
    assert seats_left(course) == 0

    late = make_course(title="Terlambat")
    enrolment = enrol(late, users["asn"])
    late.enrol_deadline = today_wib() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "approve", users["kasi"], expected_version=enrolment.version)
    assert refused.value.code == "guard"


def test_a_withdrawal_frees_the_seat(db, users, make_course, enrol):
    course = make_course(quota=1)
    enrolment = enrol(course, users["asn"])
    fire(enrolment, "approve", users["kasi"], expected_version=0)
    assert seats_left(course) == 0
    fire(enrolment, "withdraw", users["asn"], expected_version=1, data={"confirmed": True})
    assert seats_left(course) == 1


def test_completing_needs_evidence(db, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"], "in_progress")
    with pytest.raises(Invalid) as refused:
        fire(enrolment, "complete", users["asn"], expected_version=enrolment.version)
    assert refused.value.code == "evidence"


def test_jp_are_credited_only_by_hr_verification(db, users, make_course, enrol):
    enrolment = enrol(make_course(jp=12), users["asn"], "in_progress")
    completed = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                     data=completion_data(enrolment.course))
    assert tally_service.tally(users["asn"]) == 0
    record_reading(completed, users["hr"])
    moved = fire(completed, "verify", users["hr"], expected_version=completed.version)
    assert (moved.jp_credited, moved.credited_year) == (12, today_wib().year)
    assert tally_service.tally(users["asn"]) == 12
    event = _events(db, enrolment, "ok")[-1]
    assert event.changes_dict["jp_credited"] == [0, 12]


def test_a_plh_signs_off_routine_courses_only(db, users, make_course, enrol, camat_away):
    sekcam = users["sekcam"]
    routine = enrol(make_course(title="Rutin", routine=True), users["asn"], "approved")
    special = enrol(make_course(title="Khusus", routine=False), users["clerk"], "approved")
    # whoever may sign off may also decline: the Plh for a routine course, nobody but the Camat otherwise
    assert [a.trigger for a in available(routine, sekcam)] == ["sign_off_routine", "refuse_sign_off_routine"]
    assert [a.trigger for a in available(special, sekcam)] == []
    with pytest.raises(NotAllowed):
        fire(special, "refuse_sign_off", sekcam, expected_version=special.version, comment="tidak ada anggaran")
    fire(routine, "sign_off_routine", sekcam, expected_version=routine.version)
    event = _events(db, routine, "ok")[-1]
    assert (event.actor_id, event.acting_for_id) == (sekcam.id, users["camat"].id)
    with pytest.raises(NotAllowed):
        fire(special, "sign_off", sekcam, expected_version=special.version)
    # the Camat sees exactly one sign-off button for either kind of course
    assert [a.trigger for a in available(special, users["camat"]) if a.trigger.startswith("sign")] == ["sign_off"]


def test_every_step_is_in_the_audit_trail_and_the_chain_holds(db, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    fire(enrolment, "approve", users["kasi"], expected_version=0)
    fire(enrolment, "sign_off", users["camat"], expected_version=1)
    fire(enrolment, "complete", users["asn"], expected_version=2, data=completion_data(enrolment.course))
    record_reading(enrolment, users["hr"])
    fire(enrolment, "verify", users["hr"], expected_version=3)
    trail = [(e.action, e.actor_id, e.to_state) for e in _events(db, enrolment, "ok")]
    assert trail == [("enrolment.request", users["asn"].id, "requested"),
                     ("enrolment.approve", users["kasi"].id, "approved"),
                     ("enrolment.sign_off", users["camat"].id, "in_progress"),
                     ("enrolment.complete", users["asn"].id, "completed"),
                     ("enrolment.view_evidence", users["hr"].id, None),  # HR opened what it credits
                     ("enrolment.verify", users["hr"].id, "verified")]
    assert verify_chain().ok


@pytest.mark.postgres
@pytest.mark.skipif("not __import__('os').environ.get('PLAJU_TEST_DATABASE_URL')",
                    reason="the last-seat race needs PostgreSQL row locks; SQLite serialises every writer")
def test_two_supervisors_approving_the_last_seat_exactly_one_wins(app, db, users, make_course, enrol):
    assert is_postgres()
    course = make_course(quota=1)
    # two ASN with different supervisors: the enrolment rows differ, only the course row is shared
    first = enrol(course, users["asn"])
    second = enrol(course, users["kasi"])  # the Camat supervises the kasi
    jobs = [(first.id, users["kasi"].id), (second.id, users["camat"].id)]
    barrier = threading.Barrier(len(jobs))
    outcomes = []

    def approve(enrolment_id, actor_id):
        with app.app_context():
            from plaju.extensions import db as thread_db
            enrolment = thread_db.session.get(Enrolment, enrolment_id)
            actor = thread_db.session.get(User, actor_id)
            version = enrolment.version
            thread_db.session.commit()
            barrier.wait()
            try:
                fire(enrolment, "approve", actor, expected_version=version)
                outcomes.append("won")
            except Invalid as refused:
                outcomes.append(refused.code)
            finally:
                thread_db.session.remove()

    for _round in range(3):
        outcomes.clear()
        threads = [threading.Thread(target=approve, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) in (["full", "won"], ["guard", "won"]), outcomes
        db.session.expire_all()
        states = sorted(db.session.get(Enrolment, e_id).state for e_id, _a in jobs)
        # the Camat winning also signs off what he approved (Step.then): in progress, not approved
        assert states in (["approved", "requested"], ["in_progress", "requested"]), states
        assert seats_left(course) == 0
        # reset for the next round
        for e_id, _a in jobs:
            row = db.session.get(Enrolment, e_id)
            row.state, row.version = "requested", row.version + 1
        db.session.commit()


def test_a_kasi_who_approved_as_supervisor_does_not_sign_off_as_plh_camat(db, users, make_course, enrol, client,
                                                                          login_as):
    """Four eyes across steps: the Kasi approves her ASN's request, and is Plh Camat today; the sign-off is
    not hers (refused, audited, not in her list). The Camat himself still signs it off."""
    from plaju.accounts.models import Delegation
    from plaju.inbox.services import counts
    from plaju.workflow import NotAllowed
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["kasi"].id, kind="plh",
                              starts_on=today_wib(), ends_on=today_wib()))
    db.session.commit()
    enrolment = enrol(make_course(routine=True, quota=None), users["asn"], "requested")
    kasi = db.session.get(User, users["kasi"].id)
    enrolment = fire(db.session.get(Enrolment, enrolment.id), "approve", kasi, expected_version=enrolment.version)
    assert enrolment.state == "approved"  # not chained into her stand-in's sign-off
    assert counts(kasi).get("enrolment", 0) == 0
    with pytest.raises(NotAllowed) as refused:
        fire(db.session.get(Enrolment, enrolment.id), "sign_off_routine", kasi, expected_version=enrolment.version)
    assert refused.value.code == "four_eyes"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.sign_off_routine",
                                                       AuditEvent.outcome == "refused")).one()
    login_as("kasi")  # her page says why the sign-off is not hers, not only "nothing for you"
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "sebagai atasan langsung" in page.split('data-testid="no-actions"')[1].split("</p>")[0]
    camat = db.session.get(User, users["camat"].id)
    assert counts(camat).get("enrolment") == 1
    assert fire(db.session.get(Enrolment, enrolment.id), "sign_off_routine", camat,
                expected_version=enrolment.version).state == "in_progress"

"""The engine on its own, with the demo spec from tests/support.py."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plaju.accounts.models import Delegation
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.timeutil import today_wib
from plaju.workflow import Conflict, Invalid, NotAllowed, available, fire
from plaju.workflow.spec import Spec, SpecError, State, Step, roles
from tests.support import DEMO_SPEC, PASSWORD, DemoTicket


@pytest.fixture()
def ticket(db, users):
    t = DemoTicket(title="Cuti tahunan", owner_id=users["asn"].id)
    db.session.add(t)
    db.session.commit()
    return t


def _at(db, ticket, state):
    ticket.state = state
    db.session.commit()
    return ticket


def _events(db, outcome=None):
    stmt = select(AuditEvent).where(AuditEvent.subject_type == "demo").order_by(AuditEvent.seq)
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(stmt))


# state x trigger x user -> allowed?
TABLE = [
    ("draft", "submit", "asn", True),
    ("draft", "submit", "kasi", False),
    ("draft", "approve", "kasi", False),
    ("submitted", "approve", "kasi", True),
    ("submitted", "approve", "clerk", False),
    ("submitted", "approve", "camat", False),
    ("submitted", "sign", "camat", False),
    ("approved", "sign", "camat", True),
    ("approved", "sign", "kasi", False),
    ("approved", "reject", "camat", True),
    ("signed", "reject", "camat", False),
    ("rejected", "approve", "kasi", False),
]


@pytest.mark.parametrize("state,trigger,who,allowed", TABLE)
def test_permission_table(db, users, ticket, state, trigger, who, allowed):
    _at(db, ticket, state)
    actor = users[who]
    offered = trigger in [a.trigger for a in available(ticket, actor)]
    assert offered is allowed
    kwargs = {"password": PASSWORD, "comment": "alasan"}
    if allowed:
        moved = fire(ticket, trigger, actor, expected_version=ticket.version, **kwargs)
        assert moved.state == DEMO_SPEC.step_by_trigger[trigger].dest
        assert _events(db, "ok")[-1].action == f"demo.{trigger}"
    else:
        with pytest.raises(NotAllowed):
            fire(ticket, trigger, actor, expected_version=ticket.version, **kwargs)
        db.session.expire_all()
        assert db.session.get(DemoTicket, ticket.id).state == state
        assert [e.outcome for e in _events(db)] == ["refused"]


def test_fire_moves_state_bumps_version_and_audits(db, users, ticket):
    fire(ticket, "submit", users["asn"], expected_version=0)
    t = fire(ticket, "approve", users["kasi"], expected_version=1, comment="lengkap")
    assert (t.state, t.version, t.approved_by_id) == ("approved", 2, users["kasi"].id)
    last = _events(db)[-1]
    assert (last.from_state, last.to_state, last.actor_id, last.comment) == (
        "submitted", "approved", users["kasi"].id, "lengkap")
    assert last.changes_dict == {"approved_by_id": [None, users["kasi"].id]}
    assert verify_chain().ok


def test_stale_version_is_a_conflict_naming_who_acted_first(db, users, ticket):
    _at(db, ticket, "submitted")
    seen = ticket.version
    fire(ticket, "approve", users["kasi"], expected_version=seen)
    with pytest.raises(Conflict) as refused:
        fire(ticket, "reject", users["kasi2"], expected_version=seen, comment="tidak lengkap")
    assert users["kasi"].full_name in str(refused.value.message)
    assert refused.value.status == 409
    db.session.expire_all()
    assert db.session.get(DemoTicket, ticket.id).state == "approved"
    assert _events(db)[-1].outcome == "refused"


def test_four_eyes_refuses_the_owner_even_with_the_role(db, users, ticket):
    users["asn"].set_roles(["section_head"])
    db.session.commit()
    _at(db, ticket, "submitted")
    assert "approve" not in [a.trigger for a in available(ticket, users["asn"])]
    with pytest.raises(NotAllowed) as refused:
        fire(ticket, "approve", users["asn"], expected_version=ticket.version)
    assert refused.value.code == "four_eyes"


def test_guard_blocks_and_explains(db, users, ticket):
    ticket.title = "blocked"
    _at(db, ticket, "submitted")
    [action] = [a for a in available(ticket, users["kasi"]) if a.trigger == "approve"]
    assert action.blocked == "Judul diblokir."
    with pytest.raises(Invalid):
        fire(ticket, "approve", users["kasi"], expected_version=ticket.version)


def test_comment_required_and_reauth(db, users, ticket):
    _at(db, ticket, "approved")
    with pytest.raises(Invalid) as no_reason:
        fire(ticket, "reject", users["camat"], expected_version=ticket.version, comment="  ")
    assert no_reason.value.code == "comment"
    with pytest.raises(Invalid) as wrong_password:
        fire(ticket, "sign", users["camat"], expected_version=ticket.version, password="salah")
    assert wrong_password.value.code == "reauth"
    db.session.expire_all()
    assert db.session.get(DemoTicket, ticket.id).state == "approved"
    assert [e.outcome for e in _events(db)] == ["refused", "refused"]


def test_exception_inside_a_transition_rolls_everything_back(db, users, ticket):
    _at(db, ticket, "submitted")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(RuntimeError):
        fire(ticket, "approve", users["kasi"], expected_version=ticket.version, data={"explode": True})
    db.session.expire_all()
    row = db.session.get(DemoTicket, ticket.id)
    assert (row.state, row.version, row.approved_by_id) == ("submitted", 0, None)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert verify_chain().ok


def test_plh_signs_for_the_camat_within_the_date_range_only(db, users, ticket):
    _at(db, ticket, "approved")
    sekcam = users["sekcam"]
    assert "sign" not in [a.trigger for a in available(ticket, sekcam)]
    today = today_wib()
    plh = Delegation(principal_id=users["camat"].id, delegate_id=sekcam.id, kind="plh",
                     starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=2))
    db.session.add(plh)
    db.session.commit()
    [action] = [a for a in available(ticket, sekcam) if a.trigger == "sign"]
    assert action.acting_for.id == users["camat"].id
    fire(ticket, "sign", sekcam, expected_version=ticket.version, password=PASSWORD)
    event = _events(db)[-1]
    assert (event.actor_id, event.acting_for_id) == (sekcam.id, users["camat"].id)
    # a Plh may not do what is not delegable
    other = DemoTicket(title="Lain", owner_id=users["asn"].id, state="submitted")
    db.session.add(other)
    plh.ends_on = today - timedelta(days=1)
    plh.starts_on = today - timedelta(days=3)
    db.session.commit()
    assert available(other, sekcam) == []


def test_unknown_trigger_is_refused(db, users, ticket):
    with pytest.raises(NotAllowed):
        fire(ticket, "teleport", users["camat"], expected_version=0)


def test_specs_are_validated():
    with pytest.raises(SpecError, match="unreachable"):
        Spec(name="bad", model=DemoTicket, initial="a",
             states=[State("a", "A"), State("b", "B", terminal=True), State("c", "C", terminal=True)],
             steps=[Step("go", "a", "b", "Go", who=roles("camat"))])
    with pytest.raises(SpecError, match="no way out"):
        Spec(name="bad", model=DemoTicket, initial="a", states=[State("a", "A"), State("b", "B")],
             steps=[Step("go", "a", "b", "Go", who=roles("camat"))])
    with pytest.raises(SpecError, match="nobody"):
        Spec(name="bad", model=DemoTicket, initial="a", states=[State("a", "A"), State("b", "B", terminal=True)],
             steps=[Step("go", "a", "b", "Go", who=None)])


def test_one_machine_per_spec_and_no_models_attached(db, users, ticket):
    machine = DEMO_SPEC.machine
    fire(ticket, "submit", users["asn"], expected_version=0)
    assert DEMO_SPEC.machine is machine
    assert machine.models == []


def test_a_reason_of_a_letter_or_two_is_refused_and_changes_nothing(db, users, ticket):
    _at(db, ticket, "approved")
    before = ticket.version
    with pytest.raises(Invalid) as refused:
        fire(ticket, "reject", users["camat"], expected_version=ticket.version, comment=" x ")
    assert refused.value.code == "comment" and "sekurang-kurangnya 5 karakter" in str(refused.value.message)
    db.session.expire_all()
    assert db.session.get(DemoTicket, ticket.id).version == before

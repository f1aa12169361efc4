"""Assignments kept by the engine agree with the spec's own who-rules, for every person.

The property test builds random offices (people, units, supervisors, roles, Plh/Plt delegations in
range, out of range and revoked) and one row of every spec in every state, then compares, for every
person and row, the inbox (read from the stored assignments) with what `available()` offers as a
to-do. No candidate set is picked by hand: every person is checked against every row.
"""
import dataclasses
import itertools
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plaju.accounts.models import Delegation, Unit, User
from plaju.complaints.models import Complaint
from plaju.complaints.workflow import COMPLAINT_FLOW
from plaju.database import utcnow
from plaju.documents.models import DocumentRequest
from plaju.documents.seed import seed_types
from plaju.documents.workflow import DOCUMENT_FLOW
from plaju.inbox import services as inbox
from plaju.timeutil import today_wib
from plaju.training.models import Course, Enrolment, Plan
from plaju.training.workflow import DIRECT_SUPERVISOR, ENROLMENT_FLOW, PLAN_FLOW
from plaju.workflow import all_specs, available, fire, refresh_assignments_for_user, started, todo_actions
from plaju.workflow.models import WorkItem
from plaju.workflow.spec import Who
from tests.conftest import _empty_all_tables
from tests.support import DEMO_SPEC, PASSWORD, DemoTicket, make_user

_serial = itertools.count(1)
ROLES = ("clerk", "section_head", "camat", "hr", "sekcam")


def mismatches(people) -> list:
    from plaju.extensions import db
    """(person, row, what the inbox offers, what available() offers) wherever the two differ."""
    found = []
    for person in people:
        groups, _delegations = inbox.inbox(person)
        listed = {}
        for group in groups:
            assert not group.more, "the property test keeps every kind on one page"
            for row in group.rows:
                listed[(group.spec.name, row.entity.id)] = {
                    (a.trigger, a.delegation.principal_id if a.delegation else None) for a in row.actions}
        expected = {}
        for spec in all_specs():
            for entity in db.session.scalars(select(spec.model)).unique():
                actions = todo_actions(entity, person)
                if actions:
                    expected[(spec.name, entity.id)] = {
                        (a.trigger, a.acting_for.id if a.acting_for else None) for a in actions}
        for key in set(listed) | set(expected):
            if listed.get(key) != expected.get(key):
                found.append((person.username, key, listed.get(key), expected.get(key)))
    return found


def _office(db, draw):
    """People, delegations and one row of every spec in every state, drawn by Hypothesis."""
    n = draw(st.integers(min_value=2, max_value=5))
    units = [Unit(code=f"u{i}", name=f"Unit {i}", kind="seksi") for i in range(2)]
    db.session.add_all(units)
    people = [make_user(f"p{i}", *draw(st.sets(st.sampled_from(ROLES), max_size=2))) for i in range(n)]
    for i, person in enumerate(people):
        boss = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=n - 1).filter(lambda b, me=i: b != me)))
        person.supervisor_id = people[boss].id if boss is not None else None
        person.unit_id = units[draw(st.integers(min_value=0, max_value=1))].id
    today = today_wib()
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        principal, delegate = draw(st.lists(st.integers(min_value=0, max_value=n - 1), min_size=2, max_size=2,
                                            unique=True))
        start = draw(st.integers(min_value=-3, max_value=2))
        db.session.add(Delegation(principal_id=people[principal].id, delegate_id=people[delegate].id,
                                  kind=draw(st.sampled_from(("plh", "plt"))),
                                  starts_on=today + timedelta(days=start),
                                  ends_on=today + timedelta(days=start + draw(st.integers(min_value=0, max_value=3))),
                                  revoked=draw(st.booleans())))
    db.session.commit()

    def anyone():
        return people[draw(st.integers(min_value=0, max_value=n - 1))]

    types = list(seed_types().values())
    rows = []
    for i, state in enumerate(s.name for s in DOCUMENT_FLOW.states):
        doc_type = draw(st.sampled_from(types))
        rows.append(DocumentRequest(
            tracking_code=f"P-{i:04d}", type=doc_type, nik="1671015203900001", name=f"Warga {i}",
            name_key=f"warga {i}", kelurahan="Plaju Darat", state=state, created_by_id=anyone().id,
            disdukcapil_back_at=draw(st.sampled_from((None, today))),
            checklist=json.dumps([{"id": 1, "label": "KK", "required": True, "ok": draw(st.booleans())}])))
    for i, state in enumerate(s.name for s in ENROLMENT_FLOW.states):
        course = Course(title=f"Kursus {i}", kind="teknis", method=draw(st.sampled_from(("pelatihan", "elearning"))),
                        jp=4, routine=draw(st.booleans()), quota=None, internal=draw(st.booleans()),
                        organiser_id=draw(st.sampled_from((None, anyone().id))),
                        certificate_signer_id=draw(st.sampled_from((None, anyone().id))))
        rows.append(Enrolment(course=course, user_id=anyone().id, state=state,
                              credited_year=today.year if state == "verified" else None))
    for i, state in enumerate(s.name for s in PLAN_FLOW.states):
        rows.append(Plan(unit_id=units[0].id, year=2026, revision=i + 1, state=state,
                         created_by_id=draw(st.sampled_from((None, anyone().id)))))
    for state in COMPLAINT_FLOW.states:  # complaints about the first request, awaiting the section heads
        rows.append(Complaint(request=rows[0], kind="complaint", body="Keluhan", state=state.name, due_at=utcnow()))
    for state in DEMO_SPEC.states:
        rows.append(DemoTicket(title=draw(st.sampled_from(("biasa", "blocked"))), owner_id=anyone().id,
                               state=state.name))
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        started(row)
    db.session.commit()
    return people


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_the_inbox_and_available_agree_for_every_person_and_row(db, data):
    _empty_all_tables(db)
    try:
        people = _office(db, data.draw)
        assert mismatches(people) == []
    finally:
        db.session.rollback()
        _empty_all_tables(db)


def test_a_who_rule_that_names_other_people_than_it_lets_act_is_caught(app, db, users, camat_away):
    """Drift between a rule and its assignments fails the comparison: here `approve` would also let HR
    act while its assignments still name only the direct supervisor."""
    course = Course(title="Kursus", kind="teknis", method="pelatihan", jp=4, quota=None)
    enrolment = Enrolment(course=course, user_id=users["asn"].id, state="requested")
    db.session.add(enrolment)
    db.session.flush()
    started(enrolment)
    db.session.commit()
    people = list(users.values())
    assert mismatches(people) == []
    drifted = Who(lambda u, e: DIRECT_SUPERVISOR(u, e) or "hr" in u.roles, "supervisor or HR",
                  names=DIRECT_SUPERVISOR.names)
    steps = [dataclasses.replace(s, who=drifted) if s.trigger == "approve" else s for s in ENROLMENT_FLOW.steps]
    specs = app.extensions["workflow_specs"]
    specs[Enrolment] = dataclasses.replace(ENROLMENT_FLOW, steps=steps)
    try:
        started(db.session.get(Enrolment, enrolment.id))
        db.session.commit()
        found = mismatches(people)
    finally:
        specs[Enrolment] = ENROLMENT_FLOW
    assert [(who, key) for who, key, _listed, _offered in found] == [("hr", ("enrolment", enrolment.id))]


# --- every step of every spec creates the right assignment ---------------------------------------------
# For each state: the to-dos waiting there, as (trigger, who, delegable, excluded person). "role:x" is
# everyone with the role; other names are the people of the `users` fixture. Written out by hand from
# the workflow descriptions, so a changed rule shows up here as a difference.
# Rows: a document of a type the Camat signs and that is not forwarded, taken in by the clerk; an
# enrolment of the ASN (supervisor: kasi) in a routine classroom course; a plan drafted by HR; a demo
# ticket owned by the ASN.
EXPECTED = {
    "document": {
        "received": {("verify", "role:clerk", False, None), ("verify", "role:section_head", False, None)},
        # returning a file to the citizen is a way out, not what the request waits for
        "verifying": {("accept", "role:section_head", True, "clerk"), ("reject", "role:section_head", False, None)},
        "returned": set(),
        "processing": {("to_signature", "role:section_head", True, None), ("reject", "role:section_head", False, None)},
        "at_disdukcapil": set(),  # a wait on Disdukcapil: nobody here can act before the file is back
        "back_from_disdukcapil": {("to_signature", "role:section_head", True, None),
                                  ("reject", "role:section_head", False, None)},
        # kept out of the lists: whoever submitted it for signature (the engine refuses the clerk too)
        "awaiting_signature": {("sign", "role:camat", True, "kasi"), ("send_back", "role:camat", True, "kasi")},
        "signed": {("mark_ready", "role:clerk", False, None), ("mark_ready", "role:section_head", False, None)},
        "ready": set(), "handed_over": set(), "rejected": set(), "cancelled": set(),
    },
    "enrolment": {
        "requested": {("approve", "kasi", False, "asn"), ("decline", "kasi", False, "asn")},
        # kept out of the lists: the Kasi who approved it, should she stand in for the Camat
        "approved": {("sign_off_routine", "role:camat", True, "kasi"),
                     ("refuse_sign_off_routine", "role:camat", True, "kasi")},
        "in_progress": {("complete", "asn", False, None)},
        "completed": {("verify", "role:hr", False, "asn"), ("return_evidence", "role:hr", False, "asn")},
        # the office's own course, finished (e-learning) or closed at the minimum attendance (classroom)
        "awaiting_certificate": {("sign_certificate", "role:camat", True, "asn")},
        "verified": set(), "declined": set(), "withdrawn": set(), "not_completed": set(),
        "credit_withdrawn": set(),
    },
    "training_plan": {
        "draft": {("submit", "role:hr", False, None)},
        "submitted": {("approve", "role:camat", False, "hr"), ("return", "role:camat", False, "hr")},
        "returned": {("submit", "role:hr", False, None)},
        "approved": set(), "cancelled": set(),
    },
    "demo": {
        "draft": {("submit", "asn", False, None)},
        "submitted": {("approve", "role:section_head", False, "asn"), ("reject", "role:section_head", False, None),
                      ("reject", "role:camat", False, None)},
        "approved": {("sign", "role:camat", True, "asn"), ("reject", "role:section_head", False, None),
                     ("reject", "role:camat", False, None)},
        "signed": set(), "rejected": set(),
    },
}
SPECS = [DOCUMENT_FLOW, ENROLMENT_FLOW, PLAN_FLOW, DEMO_SPEC]


def test_the_table_names_every_state_of_every_spec():
    assert {s.name for s in SPECS} == set(EXPECTED)
    for spec in SPECS:
        assert set(EXPECTED[spec.name]) == {s.name for s in spec.states}, spec.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_step_leaves_the_assignments_of_its_destination(db, users, spec):
    """Each step, taken by fire() from each of its sources by someone allowed (the row put into the
    source state by hand first), leaves exactly the to-dos the table names for its destination."""
    from plaju.extensions import db as _db
    types = seed_types()
    signed = next(t for t in types.values() if t.camat_signs and not t.forwards_to_disdukcapil)
    # the steps that only apply to other kinds of document take a type they apply to
    other = {"forward": next(t for t in types.values() if t.forwards_to_disdukcapil),
             "complete": next(t for t in types.values() if not t.camat_signs)}
    by_id = {u.id: name for name, u in users.items()}
    for step in spec.steps:
        for source in step.sources:
            entity = _row_in(spec, source, users, other.get(step.trigger, signed), step.trigger)
            actor = _someone_allowed(spec, step, entity, users)
            entity = fire(entity, step.trigger, actor, comment="alasan", password=PASSWORD,
                          data=_data_for(spec, step, entity))
            stored = {(w.trigger, f"role:{w.role}" if w.role else by_id[w.user_id], w.delegable,
                       by_id.get(w.excluded_user_id)) for w in _db.session.scalars(
                select(WorkItem).where(WorkItem.spec == spec.name, WorkItem.entity_id == entity.id))}
            expected = EXPECTED_AFTER.get((spec.name, step.trigger), EXPECTED[spec.name][step.dest])
            assert stored == expected, (spec.name, step.trigger, source)


# where the kind of row a step applies to leaves other to-dos than the table's row: an e-learning of the
# catalogue, completed by its quiz, has no evidence HR could return
EXPECTED_AFTER = {("enrolment", "complete_elearning"): {("verify", "role:hr", False, "asn")},
                  # who attested the attendance (HR closed it here) is the one a certificate's to-do leaves out
                  ("enrolment", "attendance_met"): {("sign_certificate", "role:camat", True, "hr")}}


def _someone_allowed(spec, step, entity, users):
    for user in users.values():
        if any(a.trigger == step.trigger and not a.acting_for for a in available(entity, user)):
            return user
    raise AssertionError(f"nobody may take {spec.name}.{step.trigger} from {entity}")


def _data_for(spec, step, entity):
    if "confirm" in step.form:
        return {"confirmed": True}
    if spec is DOCUMENT_FLOW and step.trigger == "resubmit":
        return {"ticked": [item["id"] for item in entity.checklist_items]}
    if spec is DOCUMENT_FLOW and step.trigger == "hand_over":
        return {"fields": {"id_checked": "1"}}  # the clerk looked at the applicant's KTP-el
    if spec is ENROLMENT_FLOW and step.trigger == "complete":
        from plaju.training.demo import tiny_pdf
        from plaju.uploads import Stored, path
        path("x.pdf").write_bytes(tiny_pdf("STTPP"))
        course = entity.course
        return {"evidence": Stored(name="x.pdf", original_name="sttpp.pdf", mime="application/pdf", size=1,
                                   sha256="0" * 64),
                "certificate": {"number": "1/STTPP", "date": course.ends_on or course.starts_on or today_wib(),
                                "issuer": "BPSDM", "jp": course.jp or 1}}
    return {}


def _row_in(spec, state, users, doc_type, trigger):
    from plaju.extensions import db
    n = next(_serial)
    if spec is DOCUMENT_FLOW:
        row = DocumentRequest(tracking_code=f"T-{n:06d}", type=doc_type,
                              nik="1671015203900001", name="Warga", name_key="warga", kelurahan="Plaju Darat",
                              state=state, created_by_id=users["clerk"].id, checklist="[]",
                              disdukcapil_back_at=utcnow() if trigger == "complete" else None)
    elif spec is ENROLMENT_FLOW:
        from plaju.training.models import Module
        elearning = trigger in ("complete_elearning", "complete_internal_elearning")
        internal = trigger in ("complete_internal_elearning", "attendance_met", "sign_certificate")
        day = today_wib() - timedelta(days=1)
        course = Course(title="K", kind="teknis", method="elearning" if elearning else "pelatihan", jp=2,
                        routine=trigger not in ("sign_off", "refuse_sign_off"), internal=internal,
                        external=trigger == "withdraw_report",
                        starts_on=day if trigger == "attendance_met" else None,
                        ends_on=day if trigger == "attendance_met" else None)
        if elearning:
            course.modules = [Module(title="Modul", kind="text", body="isi")]
        row = Enrolment(course=course, user_id=users["asn"].id, state=state,
                        completed_at=utcnow() if state in ("completed", "awaiting_certificate") else None,
                        **({"jp_credited": 2, "credited_year": day.year} if state == "verified" else {}))
    elif spec is PLAN_FLOW:
        row = Plan(unit_id=users["hr"].unit_id, year=2000 + n, state=state,
                   created_by_id=users["hr"].id)
        from plaju.training.models import PlanItem
        row.items = [PlanItem(user_id=users["asn"].id, title="Pelatihan", kind="teknis", planned_jp=2)]
    else:
        row = DemoTicket(title="t", owner_id=users["asn"].id, state=state)
    db.session.add(row)
    db.session.flush()
    if spec is ENROLMENT_FLOW and trigger in ("complete_elearning", "complete_internal_elearning"):
        from plaju.training.models import ModuleProgress
        db.session.add(ModuleProgress(enrolment_id=row.id, module_id=row.course.modules[0].id))
    if spec is ENROLMENT_FLOW and trigger == "attendance_met":  # present on the one course day
        from plaju.training.models import Attendance
        db.session.add(Attendance(enrolment_id=row.id, day=row.course.starts_on, present=True,
                                  recorded_by_id=users["hr"].id))
    if spec is ENROLMENT_FLOW and trigger == "verify_twin":  # the same certificate on another enrolment
        row.certificate_number = "800/77/KEMBAR/2026"
        db.session.add(Enrolment(course=row.course, user_id=users["clerk"].id, state="in_progress",
                                 certificate_number="800-077-kembar-2026"))
    started(row)
    db.session.commit()
    return row


def test_a_new_supervisor_takes_over_the_open_approvals(client, login_as, db, users, make_course, enrol):
    enrolment = enrol(make_course(title="Kursus Pindah", quota=None), users["asn"], "requested")
    kasi2 = users["kasi2"]
    assert {w.user_id for w in WorkItem.query.filter_by(entity_id=enrolment.id, spec="enrolment")} == {
        users["kasi"].id}
    login_as("admin")
    asn = db.session.get(User, users["asn"].id)
    from plaju.accounts.people import save_user
    admin = db.session.get(User, users["admin"].id)
    save_user(admin, asn, {"username": asn.username, "full_name": asn.full_name, "nip": None,
                           "position": asn.position, "email": None, "unit_id": asn.unit_id,
                           "supervisor_id": kasi2.id, "active": True, "roles": []})
    assert {w.user_id for w in WorkItem.query.filter_by(entity_id=enrolment.id, spec="enrolment")} == {kasi2.id}
    enrolment = db.session.get(Enrolment, enrolment.id)
    fire(enrolment, "approve", db.session.get(User, kasi2.id), expected_version=enrolment.version)
    assert refresh_assignments_for_user(kasi2.id) == 0  # nothing left to move

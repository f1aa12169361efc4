"""When a supervisor leaves, the requests waiting for them go to HR (Kepegawaian), never to the inactive
account; once a new supervisor is named, they follow to that person."""
import pytest

from plaju.extensions import db
from plaju.training.models import Enrolment
from plaju.workflow import NotAllowed, fire
from plaju.workflow.assignments import refresh_assignments_for_user
from plaju.workflow.models import WorkItem
from plaju.workflow.ui import waiting_for
from tests.support import seen_on


def _assignees(enrolment_id):
    return sorted({(w.user_id, w.role) for w in db.session.query(WorkItem).filter_by(
        spec="enrolment", entity_id=enrolment_id, trigger="approve")})


def test_open_requests_follow_the_rules_when_the_supervisor_leaves(users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])  # requested, waits for the Kasi
    assert _assignees(enrolment.id) == [(users["kasi"].id, None)]
    kasi = users["kasi"]
    kasi.active = False
    assert refresh_assignments_for_user(kasi.id) == 1
    db.session.commit()
    assert _assignees(enrolment.id) == [(None, "hr")]
    enrolment = db.session.get(Enrolment, enrolment.id)
    assert "Kepegawaian" in " ".join(str(w) for w in waiting_for(enrolment))
    with pytest.raises(NotAllowed):
        fire(enrolment, "approve", db.session.get(type(kasi), kasi.id), expected_version=enrolment.version)
    # a new supervisor is named: the request moves on to them, HR no longer sees it
    asn = db.session.get(type(kasi), users["asn"].id)
    asn.supervisor_id = users["kasi2"].id
    refresh_assignments_for_user(asn.id)
    db.session.commit()
    assert _assignees(enrolment.id) == [(users["kasi2"].id, None)]


def test_hr_decides_for_an_asn_whose_supervisor_left(users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    kasi = users["kasi"]
    kasi.active = False
    refresh_assignments_for_user(kasi.id)
    db.session.commit()
    enrolment = db.session.get(Enrolment, enrolment.id)
    approved = fire(enrolment, "approve", db.session.get(type(kasi), users["hr"].id),
                    expected_version=enrolment.version)
    assert approved.state == "approved"


def test_hr_clearing_a_supervisor_does_not_make_hr_the_approver(client, login_as, users, make_course, enrol):
    """HR keeps the records: clearing an ASN's supervisor (the field, not a departure) must not hand HR the
    approval of that ASN's open request. It waits for a supervisor to be recorded."""
    enrolment = enrol(make_course(), users["asn"])
    login_as("hr")
    asn = users["asn"]
    form = {"username": asn.username, "full_name": asn.full_name, "nip": asn.nip or "", "position": asn.position,
            "email": asn.email or "", "unit_id": str(asn.unit_id or 0), "supervisor_id": "0", "roles": [],
            "roles_shown": "1", "active": "1", "password": "", "seen": seen_on(client, f"/people/{asn.id}/edit")}
    assert client.post(f"/people/{asn.id}/edit", data=form).status_code == 302
    assert _assignees(enrolment.id) == []
    enrolment = db.session.get(Enrolment, enrolment.id)
    with pytest.raises(NotAllowed):
        fire(enrolment, "approve", db.session.get(type(asn), users["hr"].id), expected_version=enrolment.version)
    assert db.session.get(Enrolment, enrolment.id).state == "requested"

"""Who reads a unit's annual plan: HR, the Camat, the Sekcam and the admin every unit's; a section head the
plan of the unit they lead, read-only (they approve their people's requests against it); nobody else. The
list, the page and the workbook ask the same rule, and every refusal is in the log."""
import pytest
from sqlalchemy import select

from plaju.accounts.models import Unit
from plaju.audit.models import AuditEvent
from plaju.timeutil import today_wib
from plaju.training.models import Plan, PlanItem
from plaju.training.services import plans as plans_service
from tests.support import make_user

EDITING = ('data-testid="edit-item"', 'data-testid="add-item"', 'data-testid="fill-from-needs"',
           'data-testid="create-plan"')


@pytest.fixture()
def two_plans(db, users):
    """A draft plan (HR could still edit it) of the kasi's unit, with one activity, and one of another unit."""
    other = Unit(code="pemerintahan", name="Seksi Pemerintahan", kind="seksi")
    db.session.add(other)
    db.session.commit()
    year = today_wib().year
    own = plans_service.create_plan(users["kasi"].unit_id, year, users["hr"], suggest=False)
    plans_service.add_item(own.id, {"group_label": "Staf loket", "participants": 3, "title": "Pelayanan prima",
                                    "planned_jp": 8}, users["hr"])
    elsewhere = plans_service.create_plan(other.id, year, users["hr"], suggest=False)
    return db.session.get(Plan, own.id), db.session.get(Plan, elsewhere.id)


def _forbidden(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.comment).where(
        AuditEvent.action.in_(("access.forbidden", "access.forbidden_post")), AuditEvent.outcome == "refused")))


def test_a_section_head_reads_the_plan_of_the_unit_they_lead_and_changes_nothing(client, login_as, db, users,
                                                                                  two_plans):
    own, elsewhere = two_plans
    login_as("hr")  # the same draft offers HR its edit buttons
    assert all(mark in client.get(f"/training/plans/{own.id}").text for mark in EDITING[:3])
    login_as("kasi")
    listed = client.get("/training/plans/")
    assert listed.status_code == 200
    assert f"/training/plans/{own.id}\"" in listed.text and f"/training/plans/{elsewhere.id}\"" not in listed.text
    assert not any(mark in listed.text for mark in EDITING)
    page = client.get(f"/training/plans/{own.id}")
    assert page.status_code == 200 and "Pelayanan prima" in page.text and "Staf loket" in page.text
    assert not any(mark in page.text for mark in EDITING)
    assert 'href="/training/plans/"' in page.text  # the tab leads back to the list
    assert client.get(f"/training/plans/{own.id}.xlsx").status_code == 200
    # reading is not editing: the service refuses the change (and logs it)
    assert client.post("/training/plans/", data={"unit_id": own.unit_id, "year": own.year}).status_code == 403
    assert db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "training_plan.create",
                                                          AuditEvent.outcome == "refused"))
    [item] = own.items
    refused = client.post(f"/training/plans/{own.id}/items/{item.id}/edit",
                          data={"title": "Diubah Kasi", "planned_jp": 40})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).title == "Pelayanan prima"
    assert db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "training_plan.item_edit",
                                                         AuditEvent.outcome == "refused"))


def test_another_unit_s_plan_is_refused_to_a_section_head_and_every_plan_to_an_asn(client, login_as, db, users,
                                                                                    two_plans):
    own, elsewhere = two_plans
    login_as("kasi")
    assert client.get(f"/training/plans/{elsewhere.id}").status_code == 403
    assert client.get(f"/training/plans/{elsewhere.id}.xlsx").status_code == 403
    assert sorted(_forbidden(db)) == sorted([f"/training/plans/{elsewhere.id}", f"/training/plans/{elsewhere.id}.xlsx"])
    login_as("asn")
    assert 'href="/training/plans/"' not in client.get("/training/courses/").text  # no tab
    for path in ("/training/plans/", f"/training/plans/{own.id}", f"/training/plans/{own.id}.xlsx"):
        assert client.get(path).status_code == 403, path
    assert len(_forbidden(db)) == 5


def test_the_sekcam_reads_every_unit_s_plan_and_a_kasi_without_a_unit_none(client, login_as, db, users, two_plans):
    own, elsewhere = two_plans
    login_as("sekcam")
    for plan in two_plans:
        assert client.get(f"/training/plans/{plan.id}").status_code == 200
    adrift = make_user("kasi3", "section_head")
    adrift.unit_id = None
    db.session.commit()
    assert not plans_service.may_read_plan(adrift) and not plans_service.may_read_plan(adrift, own)


def test_a_plh_of_a_section_head_reads_that_unit_s_plan_while_appointed(client, login_as, db, users, two_plans):
    """The Plh approves the section's training requests meanwhile, against the same plan; not once the
    appointment is revoked. Here the Kasi of another section stands in."""
    from plaju.accounts.delegations import add_delegation, revoke_delegation
    own, elsewhere = two_plans
    neighbour = make_user("kasipem", "section_head", nip="198202022008011001")
    neighbour.unit_id = elsewhere.unit_id
    db.session.commit()
    login_as("kasipem")
    assert client.get(f"/training/plans/{own.id}").status_code == 403
    delegation = add_delegation(users["admin"], users["kasi"], neighbour, "plh", today_wib(), today_wib(),
                                order_number="800/1/PLH/2026", order_date=today_wib())
    listed = client.get("/training/plans/")
    assert f"/training/plans/{own.id}\"" in listed.text and f"/training/plans/{elsewhere.id}\"" in listed.text
    assert "Pelayanan prima" in client.get(f"/training/plans/{own.id}").text
    assert client.get(f"/training/plans/{own.id}.xlsx").status_code == 200
    revoke_delegation(users["admin"], delegation)
    assert client.get(f"/training/plans/{own.id}").status_code == 403
    assert client.get(f"/training/plans/{elsewhere.id}").status_code == 200

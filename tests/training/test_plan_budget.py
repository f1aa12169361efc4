"""The annual plan fit for the budget cycle: next year by default, a past year refused, items per person
or group with quarter, cost and funding, a form that clears after each item, totals per unit, an XLSX
export, and amendments that cannot plan less than was already realised."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.models import Plan
from plaju.training.services import plan_figures
from plaju.training.services import plans as plans_service
from plaju.workflow import Invalid, fire
from tests.support import PASSWORD


def _unit(users):
    return users["asn"].unit_id


def _refusals(action):
    from plaju.extensions import db
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.outcome == "refused"))


def test_the_year_defaults_to_next_year(client, login_as, users):
    login_as("hr")
    page = client.get("/training/plans/").text
    assert re.search(rf'name="year"[^>]*value="{today_wib().year + 1}"', page)


def test_a_plan_for_a_past_year_is_refused_in_bahasa_and_changes_nothing(client, login_as, db, users):
    login_as("hr")
    past = today_wib().year - 1
    response = client.post("/training/plans/", data={"unit_id": _unit(users), "year": past, "suggest": "y",
                                                      "form_token": new_token()})
    assert response.status_code == 422
    assert f"Tahun {past} sudah lewat" in response.text
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0
    assert _refusals("training_plan.create") == 1


def _draft(db, users, make_course):
    year = today_wib().year + 1
    course = make_course(title="Pelayanan Prima", jp=12, fee=2_000_000,
                         starts_on=today_wib().replace(year=year, month=5, day=4))
    plan = plans_service.create_plan(_unit(users), year, users["hr"], suggest=False)
    return plan, course


def test_items_per_person_and_group_with_totals_and_xlsx(client, login_as, db, users, make_course):
    plan, course = _draft(db, users, make_course)
    plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, users["hr"])
    plans_service.add_item(plan.id, {"group_label": "Seluruh petugas loket", "participants": 5,
                                     "title": "Bimtek aplikasi (dipilih kemudian)", "kind": "teknis", "planned_jp": 8,
                                     "quarter": 3, "cost": 0, "funding": "free"}, users["hr"])
    with pytest.raises(Invalid, match="gratis|free"):
        plans_service.add_item(plan.id, {"user_id": users["clerk"].id, "title": "X", "planned_jp": 2, "quarter": 1,
                                         "cost": 500_000, "funding": "free"}, users["hr"])
    plan = db.session.get(Plan, plan.id)
    person, group = plan.items
    assert (person.quarter, person.cost, person.funding) == (2, 2_000_000, "apbd")  # from the course
    assert (group.user_id, group.total_jp) == (None, 40)
    totals = plan_figures.totals(plan)
    assert (totals.jp, totals.cost, totals.by_funding["apbd"]) == (52, 2_000_000, 2_000_000)

    login_as("hr")
    page = client.get(f"/training/plans/{plan.id}").text
    assert "52 JP" in page and "Rp 2.000.000" in page and "Seluruh petugas loket (5)" in page
    response = client.get(f"/training/plans/{plan.id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "Pelayanan Prima" and rows[2][0] == "Seluruh petugas loket"
    assert rows[-1][7] == 52 and rows[-1][8] == 2_000_000
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "training_plan.export")) == 1


def test_a_course_of_another_year_or_position_level_is_refused(db, users, make_course):
    from plaju.training.models import CoursePosition, PersonPosition, Position
    plan, course = _draft(db, users, make_course)
    this_year = make_course(title="Desember ini", starts_on=today_wib().replace(month=12, day=27))
    with pytest.raises(Invalid, match="tidak dilaksanakan pada tahun"):
        plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": this_year.id}, users["hr"])
    position = Position(name="Pelaksana Umum", kind="pelaksana")
    db.session.add(position)
    db.session.flush()
    db.session.add(PersonPosition(user_id=users["asn"].id, position_id=position.id))
    db.session.add(CoursePosition(course_id=course.id, position_kind="pengawas"))
    db.session.commit()
    with pytest.raises(Invalid, match="jenis jabatan lain"):
        plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, users["hr"])
    assert db.session.get(Plan, plan.id).items == []


def test_the_add_item_form_clears_after_each_item(client, login_as, db, users, make_course):
    plan, course = _draft(db, users, make_course)
    login_as("hr")
    response = client.post(f"/training/plans/{plan.id}/items", headers={"HX-Request": "true"}, data={
        "user_id": users["asn"].id, "course_id": 0, "title": "Kursus bahasa isyarat", "kind": "sosial_kultural",
        "planned_jp": "9", "quarter": "2", "cost": "750000", "funding": "apbd", "form_token": new_token()})
    assert response.status_code == 200
    html = response.text
    assert "Kursus bahasa isyarat" in html  # in the table
    form = html[html.index('data-testid="add-item"'):]
    assert 'value="Kursus bahasa isyarat"' not in form and 'value="9"' not in form and 'value="750000"' not in form
    assert re.search(r'<option selected value="teknis">|<option value="teknis" selected', form)


def test_an_item_may_cost_more_than_nine_digits_and_a_word_is_one_fault(client, login_as, db, users,
                                                                                  make_course):
    """The form allows up to Rp 10,000,000,000 (a group's whole cost), but every number was cut at nine
    digits; "abc" was told twice."""
    plan, _course = _draft(db, users, make_course)
    login_as("hr")

    def add(cost):
        return client.post(f"/training/plans/{plan.id}/items", headers={"HX-Request": "true"}, data={
            "user_id": users["asn"].id, "course_id": 0, "title": "Diklat kepemimpinan", "kind": "teknis",
            "planned_jp": "8", "quarter": "2", "cost": cost, "funding": "apbd", "form_token": new_token()})
    word = add("abc")
    assert word.status_code == 422 and word.text.count("bilangan bulat") == 1
    assert add("1500000000").status_code == 200
    assert [i.cost for i in db.session.get(Plan, plan.id).items] == [1_500_000_000]


def test_an_amendment_cannot_plan_less_than_was_realised(db, users, make_course, enrol):
    plan, course = _draft(db, users, make_course)
    plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, users["hr"])
    plans_service.add_item(plan.id, {"user_id": users["clerk"].id, "title": "Dipilih kemudian", "planned_jp": 6,
                                     "quarter": 4}, users["hr"])
    plan = fire(db.session.get(Plan, plan.id), "submit", users["hr"], expected_version=0)
    plan = fire(plan, "approve", users["camat"], expected_version=1, password=PASSWORD)
    enrolment = enrol(course, users["asn"], "verified")  # 12 JP realised in the plan's year
    enrolment.credited_year = plan.year
    db.session.commit()
    amendment = plans_service.amend(plan.id, users["hr"])
    realised, open_item = amendment.items
    with pytest.raises(Invalid, match="sudah merealisasikan 12 JP"):
        plans_service.remove_item(amendment.id, realised.id, users["hr"])
    assert len(db.session.get(Plan, amendment.id).items) == 2
    assert _refusals("training_plan.item_remove") == 1
    plans_service.remove_item(amendment.id, open_item.id, users["hr"])  # nothing realised: may go
    assert [i.id for i in db.session.get(Plan, amendment.id).items] == [realised.id]

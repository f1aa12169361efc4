"""A draft plan changed in place: an item's row turns into a form, saving checks it like a new item and
updates the unit's totals, cancelling brings the row back; an amendment cannot lower what was already
realised; "Isi dari kebutuhan" on an existing draft proposes only what is missing, spread over the
year, never a course for another position level or of another year. Insiders are refused and logged."""
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from plaju.audit.models import AuditEvent
from plaju.timeutil import today_wib
from plaju.training.models import (
    Competence,
    CourseCompetence,
    CoursePosition,
    PersonPosition,
    Plan,
    PlanItem,
    Position,
    PositionCompetence,
)
from plaju.training.services import plan_figures, plan_needs
from plaju.training.services import plans as plans_service
from plaju.workflow import Conflict, Invalid, fire
from tests.support import PASSWORD, make_user

HX = {"HX-Request": "true"}


def _events(db, action, outcome="ok"):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.outcome == outcome).order_by(AuditEvent.seq)))


def _year():
    return today_wib().year + 1


@pytest.fixture()
def draft(db, users, make_course):
    """Next year's draft for the test unit: the ASN on a May course (12 JP, Rp 2.000.000), a group item."""
    course = make_course(title="Pelayanan Prima", jp=12, fee=2_000_000, starts_on=date(_year(), 5, 4),
                         ends_on=date(_year(), 5, 6))
    plan = plans_service.create_plan(users["asn"].unit_id, _year(), users["hr"], suggest=False)
    person = plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, users["hr"])
    group = plans_service.add_item(plan.id, {"group_label": "Petugas loket", "participants": 3,
                                             "title": "Bimtek antrean", "kind": "teknis", "planned_jp": 8,
                                             "quarter": 3, "cost": 900_000, "funding": "apbd"}, users["hr"])
    return db.session.get(Plan, plan.id), course, person.id, group.id


def _form(item_id, **values) -> dict:
    return {f"item{item_id}-{name}": value for name, value in values.items()}


def _group_values(**changes):
    values = {"user_id": "0", "group_label": "Petugas loket", "participants": "3", "course_id": "0",
              "title": "Bimtek antrean", "kind": "teknis", "planned_jp": "8", "quarter": "3", "cost": "900000",
              "funding": "apbd"}
    values.update(changes)
    return values


def test_the_row_turns_into_a_form_and_cancel_brings_it_back(client, login_as, db, users, draft):
    plan, _course, _person, group = draft
    login_as("hr")
    page = client.get(f"/training/plans/{plan.id}").text
    assert f'hx-get="/training/plans/{plan.id}/items/{group}/edit"' in page
    form = client.get(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX)
    assert form.status_code == 200
    html = form.text
    assert html.lstrip().startswith("<tr") and 'data-testid="edit-item-form"' in html
    assert f'name="item{group}-group_label"' in html and 'value="Petugas loket"' in html and 'value="900000"' in html
    row = client.get(f"/training/plans/{plan.id}/items/{group}", headers=HX)
    assert row.status_code == 200 and 'data-testid="plan-item"' in row.text and "Bimtek antrean" in row.text
    # without JavaScript: the whole page with that row as a form
    page = client.get(f"/training/plans/{plan.id}/items/{group}/edit").text
    assert "<html" in page and 'data-testid="edit-item-form"' in page


def test_saving_replaces_the_row_updates_the_totals_and_the_export(client, login_as, db, users, draft):
    plan, _course, _person, group = draft
    login_as("hr")
    assert plan_figures.totals(plan).jp == 12 + 24
    response = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX, data=_form(
        group, **_group_values(participants="4", planned_jp="10", quarter="2", cost="1500000", title="Bimtek SIAK")))
    assert response.status_code == 200, response.text[:2000]
    html = response.text
    assert "Kegiatan telah diubah" in html and "Bimtek SIAK" in html and 'data-testid="edit-item-form"' not in html
    assert re.search(r'data-testid="total-jp">\s*52 JP', html)  # 12 + 4 × 10
    assert "Rp 3.500.000" in html  # 2.000.000 + 1.500.000
    item = db.session.get(PlanItem, group)
    assert (item.title, item.participants, item.planned_jp, item.quarter, item.cost) == ("Bimtek SIAK", 4, 10, 2,
                                                                                         1_500_000)
    event, = _events(db, "training_plan.item_edit")
    changes = json.loads(event.changes)
    assert changes["planned_jp"] == [8, 10] and changes["participants"] == [3, 4] and changes["cost"] == [900_000,
                                                                                                      1_500_000]
    sheet = load_workbook(io.BytesIO(client.get(f"/training/plans/{plan.id}.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any(r[2] == "Bimtek SIAK" and r[7] == 40 and r[8] == 1_500_000 for r in rows)
    assert rows[-1][7] == 52 and rows[-1][8] == 3_500_000


def test_an_item_switched_from_a_course_to_another_person(db, users, draft):
    plan, course, person, _group = draft
    plans_service.update_item(plan.id, person, {"user_id": users["clerk"].id, "course_id": course.id, "cost": None,
                                                "funding": "apbd"}, users["hr"])
    item = db.session.get(PlanItem, person)
    assert (item.user_id, item.title, item.quarter, item.cost) == (users["clerk"].id, "Pelayanan Prima", 2, 2_000_000)


@pytest.mark.parametrize(("changes", "message"), [
    ({"cost": "-5"}, "0 atau lebih"),
    ({"funding": "free"}, "gratis"),
    ({"planned_jp": "900"}, "0 sampai 500"),
    ({"group_label": "", "user_id": "0"}, "Pilih pegawai unit ini atau isi nama kelompok"),
    ({"participants": "0"}, "1 sampai 1000"),
    ({"title": ""}, "Pilih pelatihan atau tuliskan kegiatannya"),
])
def test_bad_values_are_refused_in_bahasa_and_the_row_stays_a_form(client, login_as, db, users, draft, changes,
                                                                   message):
    plan, _course, _person, group = draft
    login_as("hr")
    response = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX,
                           data=_form(group, **_group_values(**changes)))
    assert response.status_code == 422
    assert message in response.text, response.text[:3000]
    assert 'data-testid="edit-item-form"' in response.text
    db.session.expire_all()
    item = db.session.get(PlanItem, group)
    assert (item.title, item.planned_jp, item.cost, item.funding, item.participants) == ("Bimtek antrean", 8, 900_000,
                                                                                         "apbd", 3)


def test_editing_refuses_what_adding_refuses(db, users, draft, make_course):
    plan, course, person, group = draft
    this_december = make_course(title="Desember ini", starts_on=today_wib().replace(month=12, day=27))
    outsider = make_user("luar", supervisor=users["kasi"])
    outsider.unit_id = None
    db.session.commit()
    attempts = [
        ({"user_id": users["asn"].id, "course_id": this_december.id}, "tidak dilaksanakan pada tahun"),
        ({"user_id": users["asn"].id, "course_id": course.id, "quarter": 4}, "dimulai pada triwulan 2"),
        ({"user_id": outsider.id, "title": "X", "planned_jp": 2}, "Pilih pegawai dari unit ini"),
        ({"user_id": users["asn"].id, "group_label": "Juga kelompok", "title": "X"}, "jangan keduanya"),
        ({"group_label": "G", "participants": 2, "title": "X", "funding": "hibah"}, "Pilih sumber dana"),
        ({"group_label": "G", "participants": 2, "title": "X", "kind": "rahasia"}, "jenis kompetensi"),
    ]
    for values, message in attempts:
        with pytest.raises(Invalid, match=message):
            plans_service.update_item(plan.id, group, values, users["hr"])
    with pytest.raises(Conflict, match="sudah tidak ada dalam rencana"):  # removed, or never was
        plans_service.update_item(plan.id, 999_999, _group_values(), users["hr"])
    assert len(_events(db, "training_plan.item_edit", "refused")) == len(attempts) + 1
    item = db.session.get(PlanItem, group)
    assert (item.group_label, item.title, item.funding, item.kind) == ("Petugas loket", "Bimtek antrean", "apbd",
                                                                       "teknis")
    # a plan whose year has passed takes no change, as it takes no new item
    db.session.execute(update(Plan).where(Plan.id == plan.id).values(year=today_wib().year - 1))
    db.session.commit()
    for change in (lambda: plans_service.update_item(plan.id, group, {"group_label": "G", "participants": 2,
                                                                      "title": "Y"}, users["hr"]),
                   lambda: plans_service.add_item(plan.id, {"group_label": "G", "participants": 2, "title": "Y"},
                                                  users["hr"])):
        with pytest.raises(Invalid, match="sudah lewat"):
            change()
    assert db.session.get(PlanItem, group).title == "Bimtek antrean"


def test_a_submitted_or_approved_plan_is_not_edited_in_place(client, login_as, db, users, draft):
    plan, _course, _person, group = draft
    plan = fire(plan, "submit", users["hr"], expected_version=0)
    login_as("hr")
    assert 'data-testid="edit-item"' not in client.get(f"/training/plans/{plan.id}").text
    response = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX,
                           data=_form(group, **_group_values(planned_jp="2")))
    assert response.status_code == 422 and "hanya dapat diubah selama masih konsep" in response.text
    assert db.session.get(PlanItem, group).planned_jp == 8


def test_an_amendment_cannot_lower_an_item_below_what_was_realised(db, users, draft, enrol):
    plan, course, person, group = draft
    plan = fire(plan, "submit", users["hr"], expected_version=0)
    plan = fire(plan, "approve", users["camat"], expected_version=1, password=PASSWORD)
    enrolment = enrol(course, users["asn"], "verified")  # 12 JP realised in the plan's year
    enrolment.credited_year = plan.year
    db.session.commit()
    amendment = plans_service.amend(plan.id, users["hr"])
    realised, open_group = amendment.items
    values = {"user_id": users["asn"].id, "title": "Pelayanan Prima (sebagian)", "planned_jp": 4, "quarter": 2}
    with pytest.raises(Invalid, match="sudah merealisasikan 12 JP"):
        plans_service.update_item(amendment.id, realised.id, values, users["hr"])
    with pytest.raises(Invalid, match="sudah merealisasikan 12 JP"):  # moving it to another person lowers it too
        plans_service.update_item(amendment.id, realised.id, {"user_id": users["clerk"].id, "course_id": course.id},
                                  users["hr"])
    assert db.session.get(PlanItem, realised.id).planned_jp == 12
    assert db.session.get(PlanItem, realised.id).user_id == users["asn"].id
    assert len(_events(db, "training_plan.item_edit", "refused")) == 2
    plans_service.update_item(amendment.id, realised.id, {**values, "planned_jp": 16}, users["hr"])  # raising: fine
    plans_service.update_item(amendment.id, open_group.id, {"group_label": "Petugas loket", "participants": 2,
                                                           "title": "Bimtek antrean", "planned_jp": 4}, users["hr"])
    assert [i.planned_jp for i in db.session.get(Plan, amendment.id).items] == [16, 4]


@pytest.fixture()
def needs_world(db, users, make_course):
    """The clerk holds a pelaksana position needing PELAYANAN 3; the Kasi a pengawas one needing LEAD 2.
    Courses: one for each level in the plan year, one of this year, one of the year after."""
    year = _year()
    service = Competence(code="PELAYANAN", name="Pelayanan publik", kind="teknis")
    lead = Competence(code="LEAD", name="Kepemimpinan", kind="manajerial")
    archive = Competence(code="ARSIP", name="Kearsipan", kind="teknis")
    db.session.add_all([service, lead, archive])
    db.session.flush()
    clerk_pos = Position(name="Petugas Loket", kind="pelaksana",
                         requirements=[PositionCompetence(competence_id=service.id, level=3)])
    kasi_pos = Position(name="Kasi Pelayanan", kind="pengawas",
                        requirements=[PositionCompetence(competence_id=lead.id, level=2)])
    # the other Kasi's position needs what no course of the year raises: "to be chosen" items
    other_pos = Position(name="Kasi Umum", kind="pengawas",
                         requirements=[PositionCompetence(competence_id=service.id, level=2),
                                       PositionCompetence(competence_id=archive.id, level=2),
                                       PositionCompetence(competence_id=lead.id, level=4)])
    db.session.add_all([clerk_pos, kasi_pos, other_pos])
    db.session.flush()
    db.session.add_all([PersonPosition(user_id=users["clerk"].id, position_id=clerk_pos.id),
                        PersonPosition(user_id=users["kasi"].id, position_id=kasi_pos.id),
                        PersonPosition(user_id=users["kasi2"].id, position_id=other_pos.id)])
    db.session.commit()

    def course(title, kinds, raises, day, jp=8):
        made = make_course(title=title, jp=jp, starts_on=day, ends_on=day, enrol_deadline=None, quota=None)
        db.session.add_all(CoursePosition(course_id=made.id, position_kind=k) for k in kinds)
        db.session.add_all(CourseCompetence(course_id=made.id, competence_id=c.id, level=lv) for c, lv in raises)
        db.session.commit()
        return made

    return {
        "loket": course("Pelayanan Prima di Loket", ["pelaksana"], [(service, 3)], date(year, 3, 10)),
        "coaching": course("Coaching Kepemimpinan", ["pengawas"], [(lead, 2)], date(year, 8, 12)),
        "now": course("Pelayanan tahun ini", ["pelaksana"], [(service, 3)], today_wib() + timedelta(days=1)),
        "later": course("Pelayanan tahun depan", ["pelaksana"], [(service, 3)], date(year + 1, 2, 2)),
    }


def _pairs(plan):
    return [(i.user_id, i.course_id) for i in plan.items if i.course_id]


def test_fill_from_needs_on_an_existing_draft_proposes_only_what_is_missing(client, login_as, db, users,
                                                                            needs_world):
    plan = plans_service.create_plan(users["asn"].unit_id, _year(), users["hr"], suggest=False)
    # HR already planned the clerk's counter course by hand
    plans_service.add_item(plan.id, {"user_id": users["clerk"].id, "course_id": needs_world["loket"].id}, users["hr"])
    login_as("hr")
    page = client.get(f"/training/plans/{plan.id}").text
    assert 'data-testid="fill-from-needs"' in page
    response = client.post(f"/training/plans/{plan.id}/fill", headers=HX)
    assert response.status_code == 200 and "Kegiatan yang diusulkan dari kebutuhan" in response.text
    plan = db.session.get(Plan, plan.id)
    pairs = _pairs(plan)
    assert len(pairs) == len(set(pairs))  # nothing twice
    assert pairs.count((users["clerk"].id, needs_world["loket"].id)) == 1
    assert (users["kasi"].id, needs_world["coaching"].id) in pairs
    level = {users["clerk"].id: "pelaksana", users["kasi"].id: "pengawas", users["kasi2"].id: "pengawas"}
    for item in plan.items:
        # never a course of another year, nor one meant for another position level
        assert item.course_id not in (needs_world["now"].id, needs_world["later"].id)
        if item.course_id == needs_world["coaching"].id:
            assert level.get(item.user_id) == "pengawas"
        if item.course_id == needs_world["loket"].id:
            assert level.get(item.user_id) == "pelaksana"
        assert item.quarter in (1, 2, 3, 4)
    undated = [i.quarter for i in plan.items if not i.course_id]
    assert len(undated) >= 2 and len(set(undated)) == min(len(undated), 4)  # spread over the quarters
    event, = _events(db, "training_plan.fill")
    count = len(plan.items)
    assert json.loads(event.changes)["items"] == [1, count]
    # asked again: nothing new
    response = client.post(f"/training/plans/{plan.id}/fill", headers=HX)
    assert response.status_code == 200 and "Tidak ada usulan baru" in response.text
    assert len(db.session.get(Plan, plan.id).items) == count
    assert len(_events(db, "training_plan.fill")) == 1


def test_a_gap_covered_by_a_planned_course_is_not_proposed_again(db, users, needs_world):
    plan = plans_service.create_plan(users["asn"].unit_id, _year(), users["hr"], suggest=False)
    plans_service.add_item(plan.id, {"user_id": users["kasi"].id, "course_id": needs_world["coaching"].id},
                           users["hr"])
    needs = {n.user.id: n for n in plan_needs.needs(db.session.get(Plan, plan.id))}
    assert needs[users["kasi"].id].gaps == [] and [g.competence.code for g in needs[users["clerk"].id].gaps] == [
        "PELAYANAN"]
    plans_service.fill_from_needs(plan.id, users["hr"])
    kasi_items = [i for i in db.session.get(Plan, plan.id).items if i.user_id == users["kasi"].id]
    assert not [i for i in kasi_items if i.competence_id and i.course_id is None]  # no "to be chosen: Kepemimpinan"


def test_fill_is_refused_on_a_plan_that_is_not_a_draft(db, users, needs_world):
    plan = plans_service.create_plan(users["asn"].unit_id, _year(), users["hr"], suggest=True)
    plan = fire(plan, "submit", users["hr"], expected_version=0)
    count = len(plan.items)
    with pytest.raises(Invalid, match="hanya dapat diubah selama masih konsep"):
        plans_service.fill_from_needs(plan.id, users["hr"])
    assert len(db.session.get(Plan, plan.id).items) == count
    assert len(_events(db, "training_plan.fill", "refused")) == 1


@pytest.mark.parametrize("insider", ["asn", "clerk", "camat"])
def test_insiders_posting_plan_changes_are_refused_and_logged(client, login_as, db, users, draft, insider):
    plan, _course, _person, group = draft
    count = len(plan.items)
    login_as(insider)
    assert client.get(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX).status_code == 403
    assert len(_events(db, "access.forbidden", "refused")) == 1
    response = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX,
                           data=_form(group, **_group_values(planned_jp="200", cost="0", funding="free")))
    assert response.status_code == 403
    response = client.post(f"/training/plans/{plan.id}/fill", headers=HX)
    assert response.status_code == 403
    assert len(_events(db, "training_plan.item_edit", "refused")) == 1
    assert len(_events(db, "training_plan.fill", "refused")) == 1
    db.session.expire_all()
    item = db.session.get(PlanItem, group)
    assert (item.planned_jp, item.cost, item.funding) == (8, 900_000, "apbd")
    assert db.session.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.plan_id == plan.id)) == count


def test_this_year_s_plan_takes_no_activity_in_a_quarter_already_over(db, users):
    """On 30 November an item for TW I of this year was accepted: it could never be held."""
    from plaju.timeutil import today_wib
    from plaju.training.services.competences import quarter_of
    today = today_wib()
    plan = plans_service.create_plan(users["asn"].unit_id, today.year, users["hr"], suggest=False)
    values = {"group_label": "Petugas loket", "participants": 2, "title": "Bimtek antrean", "kind": "teknis",
              "planned_jp": 8, "cost": 0, "funding": "free"}
    current = quarter_of(today)
    assert plans_service.add_item(plan.id, {**values, "quarter": current}, users["hr"]) is not None
    if current > 1:
        with pytest.raises(Invalid, match="sudah lewat"):
            plans_service.add_item(plan.id, {**values, "quarter": current - 1}, users["hr"])
    nxt = plans_service.create_plan(users["asn"].unit_id, today.year + 1, users["hr"], suggest=False)
    assert plans_service.add_item(nxt.id, {**values, "quarter": 1}, users["hr"]) is not None


def test_an_item_edit_reads_in_words_with_the_names_as_they_were(app, db, users, draft):
    """HR read "group_label: … → — | Kegiatan yang direncanakan: None (1): … Rp 3.000.000. external) |
    participants: 3 → 1 | user_id: 5", "planned_jp: 8 → 20 | quarter: 3 → 4", "funding: apbd → external"."""
    from plaju.audit import record as audit
    from plaju.audit import sentences
    plan, course, _person, group = draft
    plans_service.update_item(plan.id, group, {"user_id": users["clerk"].id, "title": "Bimtek SIAK", "kind": "teknis",
                                               "planned_jp": 20, "quarter": 4, "cost": 3_000_000,
                                               "funding": "external"}, users["hr"])
    event, = _events(db, "training_plan.item_edit")
    assert "None" not in event.changes and json.loads(event.changes)["person"] == [None, "Clerk Uji"]
    # an event written before the log kept names (ids and a text) still reads in words
    old = audit.record("training_plan.item_edit", actor=users["hr"], subject_type="training_plan", subject_id=plan.id,
                       changes={"user_id": [None, users["asn"].id], "course_id": [None, course.id],
                                "item": [None, "Asn Uji: Pelayanan Prima (12 JP, TW 2, Rp 2.000.000, apbd)"]})
    db.session.commit()
    with app.test_request_context():
        line, before_names = sentences.render([event, old])
    said = {change.label: (change.before, change.after) for change in line.changes}
    assert said["Pegawai"] == ("—", "Clerk Uji") and said["Kelompok"] == ("Petugas loket", "—")
    assert said["Jumlah peserta"] == ("3", "1") and said["JP direncanakan"] == ("8", "20")
    assert said["Triwulan"] == ("TW III (Jul-Sep)", "TW IV (Okt-Des)")
    assert said["Biaya"] == ("Rp 900.000", "Rp 3.000.000") and said["Sumber dana"] == ("APBD", "Dana pihak lain")
    assert said["Kegiatan yang direncanakan"] == (
        "—", "Clerk Uji: Bimtek SIAK · 20 JP · TW IV (Okt-Des) · Rp 3.000.000 · Dana pihak lain")
    assert {change.label: change.after for change in before_names.changes} == {
        "Pegawai": "Asn Uji", "Pelatihan": "Pelayanan Prima",
        "Kegiatan yang direncanakan": "Asn Uji: Pelayanan Prima (12 JP, TW 2, Rp 2.000.000, apbd)"}


def test_an_activity_saved_from_an_older_row_does_not_undo_a_colleague_s_change(app, client, login_as, db, users,
                                                                                 draft):
    """Two HR tabs had the same activity open: one set its JP to 12, the other, still showing 8, changed the
    cost; both read "Kegiatan telah diubah" and the JP went back to 8."""
    plan, _course, _person, group = draft
    login_as("hr")
    form = client.get(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX).text
    seen = re.search(rf'name="item{group}-seen"[^>]*value="(\w+)"', form).group(1)
    first = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX,
                        data=_form(group, **_group_values(planned_jp="12", seen=seen)))
    assert first.status_code == 200 and "Kegiatan telah diubah" in first.text
    stale = client.post(f"/training/plans/{plan.id}/items/{group}/edit", headers=HX,
                        data=_form(group, **_group_values(cost="999000", seen=seen)))
    assert stale.status_code == 409
    assert "diubah setelah Anda membuka formulir" in stale.text
    assert f'name="item{group}-planned_jp"' in stale.text and 'value="12"' in stale.text  # the row as saved
    db.session.expire_all()
    item = db.session.get(PlanItem, group)
    assert (item.planned_jp, item.cost) == (12, 900_000)
    assert len(_events(db, "training_plan.item_edit")) == 1


def test_removing_an_activity_twice_says_it_is_gone(client, login_as, db, users, draft):
    """A double tap on "remove" answered "that activity is not part of this plan", as if it never was."""
    plan, _course, _person, group = draft
    login_as("hr")
    url = f"/training/plans/{plan.id}/items/{group}/delete"
    assert client.post(url, headers=HX).status_code == 200
    again = client.post(url, headers=HX)
    assert again.status_code == 409 and "sudah tidak ada dalam rencana" in again.text

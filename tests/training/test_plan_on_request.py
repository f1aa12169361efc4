"""Deciding on a training request, the Kasi reads whether it is in the unit's approved plan for the year
(which activity, which quarter) or not, or that the unit has no approved plan: one line of "Sebelum Anda
memutuskan", for one who may read that plan only, from one or two statements."""
import re

import pytest

from plaju.timeutil import today_wib
from plaju.training.models import Competence, CourseCompetence, Enrolment, Plan, PlanItem
from plaju.training.services import plan_figures
from plaju.training.services import plans as plans_service
from plaju.workflow import fire
from tests.support import PASSWORD, make_user, statements_during


def _plan_line(html: str) -> tuple[str, str] | None:
    """The line's state (yes, no, no-plan) and its text, or None when the page has none."""
    found = re.search(r'<p class="mb-1" data-testid="decision-plan" data-planned="([\w-]+)">(.*?)</p>', html, re.S)
    return (found.group(1), found.group(2)) if found else None


@pytest.fixture()
def approved(db, users, make_course):
    """This year's approved plan of the test unit: the ASN on "Manajemen Waktu" in the fourth quarter, the
    counter staff as a group on "Komunikasi Publik"; a draft amendment planning "Arsip Dinamis" too."""
    courses = {title: make_course(title=title, kind=kind, jp=8) for title, kind in (
        ("Manajemen Waktu", "manajerial"), ("Komunikasi Publik", "sosial_kultural"), ("Arsip Dinamis", "teknis"))}
    plan = plans_service.create_plan(users["asn"].unit_id, today_wib().year, users["hr"], suggest=False)
    plans_service.add_item(plan.id, {"user_id": users["asn"].id, "course_id": courses["Manajemen Waktu"].id,
                                     "quarter": 4, "funding": "free"}, users["hr"])
    plans_service.add_item(plan.id, {"group_label": "Staf loket", "participants": 3, "quarter": 4, "funding": "free",
                                     "course_id": courses["Komunikasi Publik"].id}, users["hr"])
    plan = fire(db.session.get(Plan, plan.id), "submit", users["hr"], expected_version=plan.version)
    plan = fire(plan, "approve", users["camat"], expected_version=plan.version, password=PASSWORD)
    draft = plans_service.amend(plan.id, users["hr"])  # not approved yet: it does not count
    plans_service.add_item(draft.id, {"user_id": users["asn"].id, "course_id": courses["Arsip Dinamis"].id,
                                      "quarter": 4, "funding": "free"}, users["hr"])
    return plan, courses


def test_the_kasi_reads_the_activity_and_quarter_a_request_is_planned_as(client, login_as, users, approved, enrol):
    plan, courses = approved
    own = enrol(courses["Manajemen Waktu"], users["asn"])
    login_as("kasi")
    state, text = _plan_line(client.get(f"/training/enrolments/{own.id}").text)
    assert state == "yes" and "Manajemen Waktu" in text and "TW IV" in text
    assert f'href="/training/plans/{plan.id}"' in text
    as_group = enrol(courses["Komunikasi Publik"], users["asn"])
    state, text = _plan_line(client.get(f"/training/enrolments/{as_group.id}").text)
    assert state == "yes" and "Komunikasi Publik (Staf loket)" in text
    unplanned = enrol(courses["Arsip Dinamis"], users["asn"])  # only in the amendment still in draft
    state, text = _plan_line(client.get(f"/training/enrolments/{unplanned.id}").text)
    assert state == "no" and "Arsip Dinamis" not in text and f'href="/training/plans/{plan.id}"' in text


def test_without_an_approved_plan_the_line_says_so(client, login_as, users, make_course, enrol):
    plans_service.create_plan(users["asn"].unit_id, today_wib().year, users["hr"], suggest=False)  # a draft
    request = enrol(make_course(title="Manajemen Waktu"), users["asn"])
    login_as("kasi")
    state, text = _plan_line(client.get(f"/training/enrolments/{request.id}").text)
    assert state == "no-plan" and "Unit Uji" in text and "/training/plans/" not in text


def test_a_decider_who_may_not_read_the_plan_sees_no_line(client, login_as, db, users, approved, enrol):
    """A coordinator who supervises someone decides their requests but reads no plan (plans.may_read_plan);
    the ASN reads neither line nor box."""
    _plan, courses = approved
    coordinator = make_user("koordinator", supervisor=users["kasi"])
    staff = make_user("staf", supervisor=coordinator)
    request = enrol(courses["Manajemen Waktu"], staff)
    assert not plans_service.may_read_plan(coordinator, unit_id=staff.unit_id)
    login_as("koordinator")
    page = client.get(f"/training/enrolments/{request.id}").text
    assert 'data-testid="decision"' in page and _plan_line(page) is None
    login_as("asn")
    own = enrol(courses["Komunikasi Publik"], users["asn"])
    assert _plan_line(client.get(f"/training/enrolments/{own.id}").text) is None


def test_the_line_costs_the_same_few_statements_whatever_the_plan(db, users, approved, enrol, make_course):
    """The plan with its items (one), the competences a course raises when a placeholder names one (one),
    and, for a planned request, what of the plan was realised (one, and its own competences' one)."""
    plan, courses = approved
    request = enrol(courses["Manajemen Waktu"], users["asn"])
    year = today_wib().year

    def statements():
        db.session.expire_all()
        enrolment = db.session.get(Enrolment, request.id)
        _ = enrolment.user.unit_id, enrolment.course.title
        found = []
        count = len(statements_during(lambda: found.append(plan_figures.plan_entry(enrolment, year))))
        return count, found[0]

    count, entry = statements()
    assert count == 2 and entry.item.title == "Manajemen Waktu" and not entry.done
    # a "to be chosen" activity of a competence: the course is realised as it when it raises it
    competence = Competence(code="arsip", name="Kearsipan", kind="teknis")
    db.session.add(competence)
    db.session.flush()
    course = make_course(title="Tata Naskah", kind="teknis")
    db.session.add_all([CourseCompetence(course_id=course.id, competence_id=competence.id, level=2),
                        PlanItem(plan_id=plan.id, user_id=users["asn"].id, competence_id=competence.id,
                                 title="Dipilih kemudian: Kearsipan", kind="teknis", planned_jp=8, quarter=4,
                                 funding="free")])
    db.session.commit()
    request = enrol(course, users["asn"])
    count, entry = statements()
    assert count == 3 and entry.item.title == "Dipilih kemudian: Kearsipan"  # none of hers to weigh


def test_an_activity_carried_out_already_is_said_so_and_the_quarter_beside_it(client, login_as, db, users, approved,
                                                                              enrol, make_course):
    """asn1 asked again for a course the plan had for her and she had done: the Kasi read "in the plan", yet it
    would count outside it. And a course starting in another quarter than planned says so."""
    from datetime import date
    _plan, courses = approved
    enrol(courses["Manajemen Waktu"], users["asn"], "verified")
    again = enrol(make_course(title="Manajemen Waktu", kind="manajerial"), users["asn"])  # its next run
    login_as("kasi")
    state, text = _plan_line(client.get(f"/training/enrolments/{again.id}").text)
    assert state == "done" and "sudah terlaksana" in text and "di luar rencana" in text
    year = today_wib().year
    courses["Komunikasi Publik"].starts_on = date(year, 2, 10)  # planned for TW IV, held in TW I
    db.session.commit()
    early = enrol(courses["Komunikasi Publik"], users["asn"])
    state, text = _plan_line(client.get(f"/training/enrolments/{early.id}").text)
    assert state == "yes" and "TW IV" in text and "triwulan 1" in text

"""The plans in the competence figures: a closed month counts the plans as they stood when it closed, a
group's item counts every participant's JP as the plan's own page does, and the office's row sets against
its plans only the JP of the units that have one, as its share does."""
import csv
import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from plaju.accounts.models import Unit, User
from plaju.database import clock_at, utcnow
from plaju.reports import exports
from plaju.reports.competence import competence_dashboard
from plaju.reports.filters import this_month
from plaju.timeutil import today_wib
from plaju.training.models import Course, Enrolment, Plan
from plaju.training.services import plan_figures
from plaju.training.services import plans as plans_service
from plaju.workflow import fire
from tests.support import PASSWORD, make_user

GROUP = {"group_label": "Seluruh staf seksi", "participants": 2, "planned_jp": 10, "title": "Bimtek pelayanan"}


def _unit(db, name: str, usernames: list[str]) -> Unit:
    unit = Unit(code=name.lower().replace(" ", "-"), name=name, kind="seksi")
    db.session.add(unit)
    db.session.flush()
    for username in usernames:
        make_user(username).unit_id = unit.id
    db.session.commit()
    return unit


def _approved_plan(unit_id: int, year: int, items: list[dict], users) -> Plan:
    plan = plans_service.create_plan(unit_id, year, users["hr"], suggest=False)
    for values in items:
        plans_service.add_item(plan.id, values, users["hr"])
    return _sign_off(plan, users)


def _sign_off(plan: Plan, users) -> Plan:
    plan = fire(plan, "submit", users["hr"], expected_version=plan.version)
    return fire(plan, "approve", users["camat"], expected_version=plan.version, password=PASSWORD)


def _verified(db, user, jp: int, year: int, at: datetime) -> None:
    course = Course(title=f"Kursus {jp} JP", kind="teknis", method="kursus", jp=jp)
    db.session.add(course)
    db.session.flush()
    db.session.add(Enrolment(course_id=course.id, user_id=user.id, state="verified", jp_credited=jp,
                             credited_year=year, verified_at=at))
    db.session.commit()


def _competence_table(month: str) -> list[list[str]]:
    """The monthly report's competence rows as its page, XLSX and PDF print them."""
    report = exports.monthly_report(month)
    [(_title, _headers, rows)] = [t for t in exports.monthly_tables(report) if "JP" in t[1][2]]
    return [[str(cell) for cell in row] for row in rows]


def test_a_closed_month_counts_the_plans_as_they_stood_when_it_closed(app, db, users):
    """The November report read 60 JP planned and 54,5 %; the Camat approved two plans on 2 December and
    the same report then read 194 planned, and June's December's plans. Now an approval or an amendment
    after a month's close leaves that month as it was, and counts from the month it happened in."""
    staff = _unit(db, "Seksi Baru", ["baru1", "baru2", "baru3"])
    with app.test_request_context("/", method="POST"):  # writes: plans are approved inside
        with clock_at(datetime(2026, 10, 15, 3, 0)):  # the unit's plan, approved in October: 12 + 2 x 10 JP
            first = _approved_plan(users["asn"].unit_id, 2026, [
                {"user_id": users["asn"].id, "planned_jp": 12, "title": "Diklat teknis"}, GROUP], users)
        _verified(db, users["asn"], 16, 2026, datetime(2026, 11, 10, 3, 0))
        with clock_at(datetime(2026, 12, 2, 3, 0)):
            september, november = _competence_table("2026-09"), _competence_table("2026-11")
            office = competence_dashboard(2026, 11, as_of=datetime(2026, 11, 30, 17, 0))["office"]
            # of the 16 JP, 12 realise the ASN's planned 12 JP (as the plan's page counts them), 4 are outside
            assert (office.planned, office.jp_against_plan, office.realised_percent) == (32, 12, 37.5)
            assert september[-1][5:] == ["0", "–", "–"]  # no plan was approved yet in September
            # on 2 December: an amendment adds 8 JP, and the new unit's first plan (3 x 6 JP) is approved
            amendment = plans_service.amend(first.id, users["hr"])
            plans_service.add_item(amendment.id, {"user_id": users["clerk"].id, "planned_jp": 8,
                                                  "title": "Diklat lanjutan"}, users["hr"])
            _sign_off(db.session.get(Plan, amendment.id), users)
            _approved_plan(staff.id, 2026, [{**GROUP, "participants": 3, "planned_jp": 6}], users)
            db.session.expire_all()
            assert db.session.get(Plan, first.id).superseded_by_id == amendment.id
            assert _competence_table("2026-11") == november and _competence_table("2026-09") == september
            december = competence_dashboard(2026, 12, as_of=datetime(2026, 12, 31, 17, 0))
            now = competence_dashboard(2026, 12, sees_everyone=True)
        # the month running and the dashboard count the amended plan (not the one it replaced) and the new one
        assert december["office"].planned == now["office"].planned == 32 + 8 + 18
        assert {row.name: row.planned for row in now["units"]} == {"Unit Uji": 40, "Seksi Baru": 18}


def test_a_group_item_counts_every_participant_as_the_plan_page_does(client, login_as, db, users):
    """A group item "Seluruh staf seksi", 2 people x 10 JP, read 20 JP on the plan's page and 10 on the
    dashboard, its file and the monthly report, which overstated the plans realised."""
    year = today_wib().year
    plan = _approved_plan(users["asn"].unit_id, year, [
        GROUP, {"user_id": users["asn"].id, "planned_jp": 5, "title": "Diklat teknis"}], users)
    _verified(db, users["asn"], 10, year, utcnow())
    on_plan_page = plan_figures.totals(db.session.get(Plan, plan.id)).jp
    assert on_plan_page == 25
    login_as("hr")
    lines = list(csv.reader(io.StringIO(client.get("/reports/kompetensi.csv?tabel=unit").data
                                        .decode("utf-8-sig")), delimiter=";"))
    unit = next(line for line in lines if line[0] == "Unit Uji")
    # the 10 JP realise the ASN's own 5 JP activity (5 of them count), the group's is not carried out
    realised = plan_figures.realisation(db.session.get(Plan, plan.id)).realised
    assert realised == 5
    assert unit[5:] == [str(on_plan_page), str(realised), "20,0 %"]
    monthly = load_workbook(io.BytesIO(client.get(f"/reports/bulanan.xlsx?bulan={this_month()}").data)).active
    unit = next(row for row in monthly.iter_rows(values_only=True) if row[0] == "Unit Uji")
    assert unit[5:8] == (on_plan_page, realised, 0.2)


def test_the_office_row_sets_against_the_plans_the_jp_of_the_units_with_one(client, login_as, db, users):
    """The office's row read 203 JP realised and 132 planned beside "96,2 %": the share counts only the
    units with a plan (127 JP). The row now says those 127 beside the plans, in the page and every file."""
    year = today_wib().year
    without = _unit(db, "Seksi Tanpa Rencana", ["tanpa1", "tanpa2", "tanpa3"])
    _approved_plan(users["asn"].unit_id, year, [{"user_id": users["asn"].id, "planned_jp": 20,
                                                 "title": "Diklat teknis"}], users)
    _verified(db, users["asn"], 10, year, utcnow())
    _verified(db, db.session.scalar(select(User).where(User.username == "tanpa1")), 30, year, utcnow())
    login_as("hr")
    headers, *rows = list(csv.reader(io.StringIO(client.get("/reports/kompetensi.csv?tabel=unit").data
                                                 .decode("utf-8-sig")), delimiter=";"))
    # the column beside the plans is named for what it counts (its words are the translators')
    assert (headers[4], headers[5], headers[7]) == ("JP terealisasi", "JP direncanakan", "Realisasi")
    assert "plan" in headers[6] or "rencana" in headers[6]
    by_name = {row[0]: row[4:] for row in rows}
    assert by_name["Seluruh kantor"] == ["40", "20", "10", "50,0 %"]  # 10 of 20 is the 50 %, not 40 of 20
    assert by_name[without.name] == ["30", "0", "–", "–"]
    assert by_name["Unit Uji"] == ["10", "20", "10", "50,0 %"]
    workbook = load_workbook(io.BytesIO(client.get("/reports/kompetensi.xlsx?tabel=unit").data)).active
    assert list(workbook.iter_rows(values_only=True))[-1][4:] == (40, 20, 10, 0.5)
    # read as it opens: the unit's name fits its column, the header stays in view
    assert workbook.freeze_panes == "A2" and workbook.column_dimensions["A"].width >= len("Seluruh kantor")
    monthly = load_workbook(io.BytesIO(client.get(f"/reports/bulanan.xlsx?bulan={this_month()}").data)).active
    office = next(row for row in monthly.iter_rows(values_only=True) if row[0] == "Seluruh kantor")
    assert office[4:8] == (40, 20, 10, 0.5)
    page = client.get("/reports/kompetensi").get_data(as_text=True)
    assert 'data-testid="kpi-realised">10 / 20<' in page


def test_a_move_after_a_month_closed_leaves_its_plan_realisation_as_it_was(app, db, users):
    """The ASN's November training carried out his unit's group activity; he moved unit in December, and the
    rebuilt November report read that activity as not carried out."""
    from plaju.accounts.people import save_user
    other = _unit(db, "Seksi Lain", ["lain1", "lain2", "lain3"])
    with app.test_request_context("/", method="POST"):
        with clock_at(datetime(2026, 10, 15, 3, 0)):
            _approved_plan(users["asn"].unit_id, 2026, [{**GROUP, "title": "Kursus 10 JP"}], users)
        _verified(db, users["asn"], 10, 2026, datetime(2026, 11, 10, 3, 0))
        close = datetime(2026, 11, 30, 17, 0)
        with clock_at(datetime(2026, 12, 1, 3, 0)):
            before = competence_dashboard(2026, 11, as_of=close, sees_everyone=True)
            asn = db.session.get(User, users["asn"].id)
            save_user(db.session.get(User, users["hr"].id), asn, {
                "username": asn.username, "full_name": asn.full_name, "nip": asn.nip, "position": asn.position,
                "email": asn.email, "unit_id": other.id, "supervisor_id": asn.supervisor_id, "active": True,
                "roles": set(asn.roles)})
            db.session.commit()
        with clock_at(datetime(2026, 12, 2, 3, 0)):
            after = competence_dashboard(2026, 11, as_of=close, sees_everyone=True)
    assert before["office"].jp_against_plan == after["office"].jp_against_plan == 10

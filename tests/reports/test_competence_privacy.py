"""The competence figures of a unit of fewer than three people cannot be worked out by whoever may not see
its people one by one: not from the office's row minus the units shown, nor from the dashboard beside the
monthly report, in the page or in any of its files. Every check reads what the viewer is given (page, CSV,
XLSX, the monthly report's XLSX and PDF) and asks whether any group of fewer than three of the people they
may not see is a sum and difference of the figures shown."""
import csv
import io
import re
from fractions import Fraction
from html import unescape
from itertools import combinations

import pypdfium2 as pdfium
from openpyxl import load_workbook
from sqlalchemy import select

from plaju.accounts.models import Unit
from plaju.database import utcnow
from plaju.reports.competence import SMALL_UNIT
from plaju.reports.filters import this_month
from plaju.timeutil import today_wib
from plaju.training.models import JP_TARGET, Course, Enrolment, Plan, PlanItem
from tests.reports.test_pages import _statements
from tests.support import make_user

# people (username, JP this year) per unit; every person of the `users` fixture is placed somewhere
UJI = [("camat", 7), ("kasi", 0), ("clerk", 16), ("hr", 0), ("admin", 0), ("sekcam", 20)]
ONE_SMALL = {
    "Seksi Kecil": [("kasi2", 24), ("asn", 6)],
    "Seksi Anggrek": [("kepala", 0), ("anggrek1", 10), ("anggrek2", 21)],
    "Seksi Bakung": [("bakung1", 20), ("bakung2", 0), ("bakung3", 4)],
    "Seksi Cempaka": [("cempaka1", 30), ("cempaka2", 2), ("cempaka3", 0), ("cempaka4", 12)],
    "Unit Uji": UJI,
}
HEADS = {"Seksi Kecil": "kasi2", "Seksi Anggrek": "kepala"}  # each supervises the others of the unit


def _office(db, users, layout, heads=HEADS, plans=None) -> dict:
    """Units and people as `layout` says, their JP verified now; returns each unit's true figures
    (people, reached 20 JP, JP, planned)."""
    placed = {username for members in layout.values() for username, _jp in members}
    assert set(users) <= placed, set(users) - placed
    course = Course(title="Bimtek Uji", kind="teknis", method="kursus", jp=8)
    db.session.add(course)
    db.session.flush()
    year, truth, people = today_wib().year, {}, {}
    for serial, (name, members) in enumerate(layout.items()):
        unit = db.session.scalar(select(Unit).where(Unit.name == name))
        if unit is None:
            unit = Unit(code=f"uji-{serial}", name=name, kind="seksi")
            db.session.add(unit)
            db.session.flush()
        head = heads.get(name)
        for username, jp in members:
            person = users.get(username) or people.get(username) or make_user(
                username, *(["section_head"] if username == head else []))
            person.unit_id = unit.id
            people[username] = person
            if jp:
                db.session.add(Enrolment(course_id=course.id, user_id=person.id, state="verified", jp_credited=jp,
                                         credited_year=year, verified_at=utcnow()))
        if head:
            for username, _jp in members:
                if username != head:
                    people[username].supervisor_id = people[head].id
        planned = (plans or {}).get(name, 0)
        if planned:
            plan = Plan(unit_id=unit.id, year=year, state="approved")
            db.session.add(plan)
            db.session.flush()
            db.session.add(PlanItem(plan_id=plan.id, user_id=people[members[0][0]].id, title="Bimtek",
                                    kind="teknis", planned_jp=planned, funding="apbd"))
        truth[name] = (len(members), sum(jp >= JP_TARGET for _u, jp in members), sum(jp for _u, jp in members),
                       planned)
    db.session.commit()
    return truth


# ---- reading what the viewer is given: [(row name, (people, reached, JP, planned) or None)], office last

def _figures(cells) -> tuple | None:
    """A row's cells, its name first."""
    values = ["" if v is None else str(v).strip() for v in cells]
    if not values[1].isdigit():
        return None  # a row that says why it shows no figures
    return int(values[1]), int(values[2]), int(values[4]), int(values[5])


def _page_rows(html: str) -> list:
    table = html.split('data-testid="unit-table"')[1].split("</table>")[0]
    rows = []
    for name, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S):
        cells = [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
        rows.append((unescape(name), _figures([name, *cells])))
    return rows


def _csv_rows(data: bytes) -> list:
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    return [(line[0], _figures(line)) for line in lines[1:]]


def _xlsx_rows(data: bytes) -> list:
    sheet = load_workbook(io.BytesIO(data)).active
    return [(row[0], _figures(row)) for row in list(sheet.iter_rows(values_only=True))[1:]]


def _monthly_rows(data: bytes, units) -> list:
    """The competence table of the monthly report's workbook: from its first unit to the blank row."""
    rows = list(sheet_row for sheet_row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] in units)
    block = []
    for row in rows[start:]:
        if row[0] is None:
            break
        block.append((row[0], _figures(row)))
    return block


def _outputs(client, units) -> dict:
    month = this_month()
    return {"page": _page_rows(client.get("/reports/kompetensi").get_data(as_text=True)),
            "csv": _csv_rows(client.get("/reports/kompetensi.csv?tabel=unit").data),
            "xlsx": _xlsx_rows(client.get("/reports/kompetensi.xlsx?tabel=unit").data),
            "monthly": _monthly_rows(client.get(f"/reports/bulanan.xlsx?bulan={month}").data, units)}


# ---- what can be worked out from them

def _rank(rows: list[list[int]]) -> int:
    matrix = [[Fraction(v) for v in row] for row in rows]
    rank = 0
    for column in range(len(matrix[0]) if matrix else 0):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column]:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def _groups_shown(rows, truth) -> list[set]:
    """The groups of units whose figures one output shows, each checked against the true figures: a unit's
    own row, the smaller units together (the units listed without figures), the whole office."""
    *unit_rows, (_office_name, office) = rows
    hidden = {name for name, figures in unit_rows if figures is None}
    groups = []
    for name, figures in unit_rows:
        if figures is None:
            continue
        members = {name} if name in truth else hidden
        assert members, name
        assert figures == tuple(map(sum, zip(*(truth[m] for m in members), strict=True))), (name, members)
        groups.append(members)
    if office is not None:
        assert office == tuple(map(sum, zip(*truth.values(), strict=True)))
        # what is shown adds up to the office: nothing left out, nothing counted twice
        assert [sum(figures[i] for _n, figures in unit_rows if figures) for i in range(4)] == list(office)
        groups.append(set(truth))
    return groups


def _assert_no_small_group_derivable(outputs, truth, may_see=()):
    """No group of fewer than SMALL_UNIT people of units the viewer may not see is a sum and difference
    of the groups shown in all the outputs together (and of the units they may see)."""
    units = sorted(truth)
    groups = [{name} for name in may_see] + [g for rows in outputs for g in _groups_shown(rows, truth)]
    basis = [[int(u in group) for u in units] for group in groups]
    rank = _rank(basis)
    unseen = [u for u in units if u not in may_see]
    for size in range(1, len(unseen) + 1):
        for group in combinations(unseen, size):
            if 0 < sum(truth[u][0] for u in group) < SMALL_UNIT:
                assert _rank([*basis, [int(u in group) for u in units]]) > rank, f"{group} can be worked out"


def _row(rows, name):
    return next(figures for row_name, figures in rows if row_name == name)


def test_a_unit_of_two_cannot_be_worked_out_from_the_office_minus_the_units_shown(client, login_as, db, users):
    """A Kasi of another unit, who may not see the two people of Seksi Kecil one by one, read the office's
    totals and every other unit's: the difference was their training. The unit is now counted with the smallest others
    (Anggrek, Bakung) in one row, on the page, in its CSV and XLSX and in the monthly report."""
    truth = _office(db, users, ONE_SMALL, plans={"Seksi Kecil": 40})
    login_as("kasi")  # supervises in Unit Uji only
    outputs = _outputs(client, truth)
    for name, rows in outputs.items():
        assert _row(rows, "Seksi Kecil") is None, name
        assert _row(rows, "Seksi Cempaka") == truth["Seksi Cempaka"], name  # a unit large enough shows alone
        combined = [row for row in rows[:-1] if row[0] not in truth]
        assert [figures for _name, figures in combined] == [(8, 3, 85, 40)], name  # Kecil, Anggrek, Bakung
    _assert_no_small_group_derivable(outputs.values(), truth, may_see={"Unit Uji"})
    # the only plan is Kecil's: the share realised of the units with a plan would be theirs (the group's JP
    # beside Kecil's plan read 212,5 %, a wrong figure), so it is not shown, on the page or in the report
    page = client.get("/reports/kompetensi").get_data(as_text=True)
    assert 'data-testid="kpi-realised">terlalu sedikit untuk ditampilkan<' in page
    pdf = client.get(f"/reports/bulanan.pdf?bulan={this_month()}").data
    text = " ".join(" ".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf)).split())
    assert "Seksi Kecil dihitung bersama unit kecil Unit Uji 6 1 16,7 % 43 0" in text  # no figures of its own
    assert "8 3 37,5 % 85 40 –" in text  # the smaller units together


def test_who_may_see_the_small_unit_sees_it_on_its_own_row(client, login_as, db, users):
    """Its Kasi supervises its people: Seksi Kecil shows alone to him, and so do Anggrek and Bakung, grouped
    with it for others but large enough alone; nothing he reads, the monthly report's group included, tells a
    few of their people apart."""
    truth = _office(db, users, ONE_SMALL, plans={"Seksi Kecil": 40})
    login_as("kasi2")
    outputs = _outputs(client, truth)
    for name in ("page", "csv", "xlsx"):
        assert _row(outputs[name], "Seksi Kecil") == truth["Seksi Kecil"] == (2, 1, 30, 40)
        assert all(figures == truth[row_name] for row_name, figures in outputs[name][:-1])
    assert _row(outputs["monthly"], "Seksi Kecil") is None  # the monthly report is made for no one reader
    _assert_no_small_group_derivable(outputs.values(), truth, may_see={"Seksi Kecil"})


def test_the_head_of_a_unit_grouped_with_a_small_one_cannot_take_it_out(client, login_as, db, users):
    """Anggrek's head sees his own unit alone: were Kecil grouped with Anggrek only, the monthly report's
    group minus his unit would be Kecil's two people. The group stays of three people without any one unit."""
    truth = _office(db, users, ONE_SMALL, plans={"Seksi Kecil": 40})
    login_as("kepala")
    outputs = _outputs(client, truth)
    assert _row(outputs["page"], "Seksi Anggrek") == truth["Seksi Anggrek"]
    assert _row(outputs["page"], "Seksi Kecil") is None
    _assert_no_small_group_derivable(outputs.values(), truth, may_see={"Seksi Anggrek"})


def test_two_units_of_one_person_each(app, client, login_as, db, users):
    truth = _office(db, users, {
        "Satu Barat": [("kasi2", 5)], "Satu Timur": [("asn", 22)],
        "Seksi Anggrek": [("kepala", 0), ("anggrek1", 10), ("anggrek2", 21)],
        "Seksi Bakung": [("bakung1", 20), ("bakung2", 0), ("bakung3", 4), ("bakung4", 9)],
        "Unit Uji": UJI,
    })
    login_as("kasi")
    outputs = _outputs(client, truth)
    for rows in outputs.values():
        assert _row(rows, "Satu Barat") is None and _row(rows, "Satu Timur") is None
    _assert_no_small_group_derivable(outputs.values(), truth, may_see={"Unit Uji"})
    login_as("kepala")
    _assert_no_small_group_derivable(_outputs(client, truth).values(), truth, may_see={"Seksi Anggrek"})
    # one statement count whatever the number of small units
    login_as("kasi")
    before = _statements(app, client, "/reports/kompetensi")
    for serial in range(3):
        unit = Unit(code=f"sendiri-{serial}", name=f"Satu Sendiri {serial}", kind="seksi")
        db.session.add(unit)
        db.session.flush()
        make_user(f"sendiri{serial}").unit_id = unit.id
    db.session.commit()
    assert _statements(app, client, "/reports/kompetensi") == before


def test_an_office_too_small_to_group_hides_its_own_figures(client, login_as, db, users):
    """The Camat alone in Pimpinan, everyone else in Unit Uji: its Kasi (who supervises there) read the
    Camat's training as the office minus Unit Uji. No group can hide it: the office's figures, its trend and
    JP by kind are not shown either, to him nor in the monthly report."""
    truth = _office(db, users, {"Pimpinan Kecamatan": [("camat", 7)],
                                "Unit Uji": [(u, jp) for u, jp in UJI if u != "camat"] + [("kasi2", 3),
                                                                                         ("asn", 0)]},
                    heads={})
    for who, may_see in (("kasi", {"Unit Uji"}),):
        login_as(who)
        outputs = _outputs(client, truth)
        for name, rows in outputs.items():
            assert rows[-1][1] is None, (who, name)
        _assert_no_small_group_derivable(outputs.values(), truth, may_see=may_see)
        page = client.get("/reports/kompetensi").get_data(as_text=True)
        assert 'data-testid="office-too-few"' in page and 'data-testid="kpi-coverage"' not in page
        assert 'id="bulan"' not in page and 'id="jenis"' not in page and 'id="metode"' not in page
        for table in ("bulan", "jenis", "metode"):
            assert client.get(f"/reports/kompetensi.csv?tabel={table}").data.decode("utf-8-sig").count("\n") == 1
    for who in ("camat", "sekcam"):  # they answer for every ASN's 20 JP: nothing is hidden from them
        login_as(who)
        rows = _page_rows(client.get("/reports/kompetensi").get_data(as_text=True))
        assert _row(rows, "Pimpinan Kecamatan") == (1, 0, 7, 0) and rows[-1][1] == (8, 1, 46, 0)


def test_the_share_of_the_plans_realised_is_the_same_for_every_reader_or_not_shown(client, login_as, db, users):
    """With a plan for a small unit only, the Camat and a Kasi read 124 % of the plans realised where HR
    read 76 %: the smaller units' JP, most of them without a plan, stood beside that one plan. Every reader
    reads HR's figure, or none when it would tell a few unseen people's JP."""
    _office(db, users, ONE_SMALL, plans={"Seksi Cempaka": 30, "Unit Uji": 50, "Seksi Anggrek": 20,
                                         "Seksi Bakung": 20})
    readings = {}
    for who in ("hr", "kasi", "kasi2"):
        login_as(who)
        page = client.get("/reports/kompetensi").get_data(as_text=True)
        readings[who] = re.search(r'data-testid="kpi-realised">([^<]*)<', page).group(1)
    # each plan is one activity of its unit's first member, realised up to its JP (as the plan's page counts):
    # Cempaka 30 of 30, Uji 7 of 50, Anggrek 0 of 20, Bakung 20 of 20
    assert readings["hr"] == "57 / 120"
    # the Kasi's unseen units: Kecil (2, no plan) with Anggrek and Bakung (planned): Kecil's JP would be
    # the office's JP without a plan minus the visible ones', so the share is not shown to him
    assert readings["kasi"] == "terlalu sedikit untuk ditampilkan"
    assert readings["kasi2"] in ("57 / 120", "terlalu sedikit untuk ditampilkan")

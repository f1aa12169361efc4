"""The competence dashboard's month-by-month share of ASN at 20 JP equals a count made here from the raw
enrolment rows (months read in Asia/Jakarta by zoneinfo, not by the dashboard's arithmetic), including
credits verified just before and after midnight WIB at a month's end."""
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plaju.reports.competence import competence_dashboard
from plaju.training.models import Course, Enrolment

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_the_trend_counts_each_asn_from_the_wib_month_their_jp_reached_20(db, users):
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=8)
    db.session.add(course)
    db.session.flush()
    year = 2026
    # (person, JP, verified at in naive UTC)
    credits = [
        ("asn", 12, datetime(2026, 1, 10, 3, 0)),
        ("asn", 8, datetime(2026, 3, 31, 16, 59)),   # 31 March 23.59 WIB: reaches 20 in March
        ("clerk", 12, datetime(2026, 2, 2, 3, 0)),
        ("clerk", 8, datetime(2026, 3, 31, 17, 0)),  # 1 April 00.00 WIB: reaches 20 in April
        ("kasi", 30, datetime(2025, 12, 31, 17, 30)),  # 1 January WIB
        ("hr", 10, datetime(2026, 6, 1, 3, 0)),       # never reaches 20
        ("sekcam", 25, datetime(2026, 11, 5, 3, 0)),  # after the months asked for
    ]
    for who, jp, at in credits:
        db.session.add(Enrolment(course_id=course.id, user_id=users[who].id, state="verified", jp_credited=jp,
                                 credited_year=year, verified_at=at))
    db.session.commit()
    through = 10
    board = competence_dashboard(year, through, sees_everyone=True)

    people = board["office"].people
    expected = []
    for month in range(1, through + 1):
        totals = {}
        for who, jp, at in credits:
            wib_month = at.replace(tzinfo=ZoneInfo("UTC")).astimezone(JAKARTA).month
            if at.replace(tzinfo=ZoneInfo("UTC")).astimezone(JAKARTA).year == year and wib_month <= month:
                totals[who] = totals.get(who, 0) + jp
        expected.append(sum(1 for total in totals.values() if total >= 20))
    assert [point["reached"] for point in board["trend"]] == expected == [1, 1, 2, 3, 3, 3, 3, 3, 3, 3]
    assert all(point["people"] == people for point in board["trend"])
    assert board["jp"][users["sekcam"].id] == 25 and board["office"].reached == 4
    # who has not reached 20 JP: also those with some JP (HR's 10), fewest first, with what is still needed
    below = board["below_target"]
    names = {row["name"] for row in below}
    assert users["hr"].full_name in names
    assert not names & {users[w].full_name for w in ("asn", "clerk", "kasi", "sekcam")}
    assert below[-1] == {**below[-1], "name": users["hr"].full_name, "jp": 10, "short": 10, "coming": 0}
    assert [row["jp"] for row in below] == sorted(row["jp"] for row in below)


def test_the_office_s_realisation_counts_only_units_with_a_plan(app, db, users):
    """192 JP done against 93 planned by one unit read "206 %": JP of units without a plan are left out."""
    from plaju.accounts.models import Unit
    from plaju.training.models import Plan, PlanItem
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=8)
    planned = Unit(code="berencana", name="Seksi Berencana", kind="seksi")
    unplanned = Unit(code="tanpa", name="Seksi Tanpa Rencana", kind="seksi")
    db.session.add_all([course, planned, unplanned])
    db.session.flush()
    users["asn"].unit_id, users["clerk"].unit_id, users["hr"].unit_id = planned.id, unplanned.id, None
    plan = Plan(unit_id=planned.id, year=2026, state="approved")
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanItem(plan_id=plan.id, user_id=users["asn"].id, title="Bimtek", kind="teknis", planned_jp=20,
                            funding="apbd"))
    for who, jp in (("asn", 10), ("clerk", 30)):
        db.session.add(Enrolment(course_id=course.id, user_id=users[who].id, state="verified", jp_credited=jp,
                                 credited_year=2026, verified_at=datetime(2026, 3, 2, 3, 0)))
    db.session.commit()
    with app.test_request_context("/"):
        board = competence_dashboard(2026, 12, sees_everyone=True)
    office = board["office"]
    assert (office.jp, office.planned, office.jp_of_planned, office.realised_percent) == (40, 20, 10, 50.0)
    rows = {row.name: row for row in board["units"]}
    assert rows["Seksi Berencana"].realised_percent == 50.0 and rows["Seksi Tanpa Rencana"].realised_percent is None
    assert "Tanpa unit kerja" in rows  # people without a unit: a row named in words, not "—"


def test_the_list_below_20_jp_shows_what_is_on_the_way(db, users):
    """HR at year end: 6 JP approved, 6 asked for and a reported 8 JP certificate awaiting verification count
    as "on the way" beside the 10 credited; a declined one, one of another year, and one approved for a course
    long over and never reported (its certificate could no longer be) do not."""
    from datetime import date, timedelta

    from plaju.timeutil import today_wib
    year = today_wib().year
    recent = max(today_wib() - timedelta(days=10), date(year, 1, 1))
    this_year = Course(title="Kursus Tahun Ini", kind="teknis", method="kursus", jp=6, starts_on=recent)
    other_year = Course(title="Kursus Tahun Lalu", kind="teknis", method="kursus", jp=9, starts_on=date(year - 1, 5, 2))
    long_over = Course(title="Kursus Lama", kind="teknis", method="kursus", jp=24, starts_on=date(year, 1, 2),
                       ends_on=date(year, 1, 3))
    db.session.add_all([this_year, other_year, long_over])
    db.session.flush()
    hr = users["hr"].id
    db.session.add_all([
        Enrolment(course_id=this_year.id, user_id=hr, state="verified", jp_credited=10, credited_year=year,
                  verified_at=datetime(year, 3, 1)),
        Enrolment(course_id=this_year.id, user_id=hr, state="approved"),
        Enrolment(course_id=this_year.id, user_id=hr, state="requested"),
        # (a course of this year long over exists from April on)
        *([Enrolment(course_id=long_over.id, user_id=hr, state="in_progress")]
          if today_wib() - timedelta(days=91) >= long_over.ends_on else []),
        Enrolment(course_id=this_year.id, user_id=hr, state="completed", certificate_jp=8),
        Enrolment(course_id=this_year.id, user_id=hr, state="declined"),
        Enrolment(course_id=other_year.id, user_id=hr, state="in_progress"),
    ])
    db.session.commit()
    [row] = [r for r in competence_dashboard(year, 12, sees_everyone=True)["below_target"]
             if r["name"] == users["hr"].full_name]
    assert (row["jp"], row["short"], row["coming"]) == (10, 10, 20)


def test_a_closed_month_s_report_is_made_again_the_same_and_leavers_keep_their_jp(db, users):
    """November's monthly report, made again in December, showed December's verifications; and an ASN who
    left took his JP out of the unit's total while the unit's exported history still listed them."""
    from plaju.reports.exports import monthly_report
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=8)
    db.session.add(course)
    db.session.flush()
    for who, jp, at in (("asn", 12, datetime(2026, 11, 10, 3, 0)),
                        ("asn", 8, datetime(2026, 11, 30, 17, 0)),   # 1 December 00.00 WIB: December's
                        ("clerk", 6, datetime(2026, 11, 12, 3, 0))):
        db.session.add(Enrolment(course_id=course.id, user_id=users[who].id, state="verified", jp_credited=jp,
                                 credited_year=2026, verified_at=at))
    db.session.commit()
    november = monthly_report("2026-11")["competence"]
    counted = {who: jp for who, jp in november["jp"].items() if jp}
    assert counted == {users["asn"].id: 12, users["clerk"].id: 6} and november["office"].reached == 0
    assert competence_dashboard(2026, 12)["office"].reached == 1  # the whole year as it stands
    users["clerk"].active = False  # the clerk leaves: the training he did still counts for his unit
    db.session.commit()
    board = competence_dashboard(2026, 12, sees_everyone=True)
    assert board["office"].jp == 12 + 8 + 6 and users["clerk"].id not in board["jp"]
    unit = next(row for row in board["units"] if row.unit_id == users["clerk"].unit_id)
    assert unit.jp >= 6 and users["clerk"].full_name not in {r["name"] for r in board["below_target"]}


def test_someone_who_left_counts_in_the_trend_until_the_month_they_left(client, login_as, db, users):
    """The trend counted today's people in every month: an ASN who reached 20 JP in March and left in June
    vanished from March's and April's figures, and the months before read as if he had never been there."""
    from plaju.accounts.models import User
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=8)
    db.session.add(course)
    db.session.flush()
    for who, at in (("clerk", datetime(2026, 3, 10, 3, 0)), ("asn", datetime(2026, 7, 10, 3, 0))):
        db.session.add(Enrolment(course_id=course.id, user_id=users[who].id, state="verified", jp_credited=24,
                                 credited_year=2026, verified_at=at))
    db.session.commit()
    before = competence_dashboard(2026, 12, sees_everyone=True)["trend"]
    login_as("admin")  # the clerk leaves: the account form records when
    from tests.accounts.test_people import _edit_form
    assert client.post(f"/people/{users['clerk'].id}/edit", data=_edit_form(users["clerk"], active="0")
                       ).status_code == 302
    from plaju.accounts.models import StaffRecord
    clerk = db.session.get(User, users["clerk"].id)
    clerk.left_at = datetime(2026, 6, 14, 3, 0)  # (as if it had been in June)
    left = db.session.scalars(select(StaffRecord).where(StaffRecord.user_id == clerk.id,
                                                        StaffRecord.active.is_(False))).one()
    left.valid_from = clerk.left_at
    db.session.commit()
    trend = competence_dashboard(2026, 12, sees_everyone=True)["trend"]
    headcount = before[0]["people"]
    assert [p["people"] for p in trend] == [headcount] * 5 + [headcount - 1] * 7
    assert [p["reached"] for p in trend] == [0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    assert [p["reached"] for p in before] == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    # enabled again, they are one of today's people: no date of leaving is kept
    assert client.post(f"/people/{clerk.id}/edit", data=_edit_form(clerk, active="1")).status_code == 302
    assert db.session.get(User, clerk.id).left_at is None


def test_a_credit_verified_in_the_next_january_counts_in_december_and_undated_work_in_this_year_only(db, users):
    """A 2026 certificate verified on 5 January 2027 was counted in January 2026: a late-December course read
    as 20 JP reached eleven months early. An e-learning at one's own pace (no dates), not finished, was "on
    the way" and "started" in the figures of every year, 2025's too."""
    from plaju.timeutil import today_wib
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=20)
    pace = Course(title="E-learning Mandiri", kind="teknis", method="elearning", jp=4)
    db.session.add_all([course, pace])
    db.session.flush()
    db.session.add(Enrolment(course_id=course.id, user_id=users["asn"].id, state="verified", jp_credited=20,
                             credited_year=2026, verified_at=datetime(2027, 1, 5, 3, 0)))
    db.session.add(Enrolment(course_id=pace.id, user_id=users["clerk"].id, state="in_progress"))
    db.session.commit()
    trend = competence_dashboard(2026, 12, sees_everyone=True)["trend"]
    assert [point["reached"] for point in trend] == [0] * 11 + [1]
    past = competence_dashboard(today_wib().year - 1, 12, sees_everyone=True)
    clerk = [row for row in past["below_target"] if row["name"] == users["clerk"].full_name]
    assert clerk and clerk[0]["coming"] == 0
    now = competence_dashboard(today_wib().year, today_wib().month, sees_everyone=True)
    assert [row for row in now["below_target"] if row["name"] == users["clerk"].full_name][0]["coming"] == 4


def test_a_closed_month_reads_the_same_after_a_new_account_a_move_and_a_departure(app, client, login_as, db,
                                                                                  users):
    """HR created an account, moved an ASN to another unit and disabled one in December: November's filed
    report changed (a section's JP, its headcount, the office's share), and a new hire joined the headcount
    of every past month."""
    from plaju.accounts.models import Unit
    from plaju.reports.exports import monthly_report
    from plaju.reports.filters import last_complete_month
    from tests.accounts.test_people import _edit_form, _form
    first, second = Unit(code="SEK", name="Sekretariat", kind="sekretariat"), Unit(code="PEL", name="Pelayanan",
                                                                                    kind="seksi")
    db.session.add_all([first, second])
    db.session.flush()
    # three people: a unit large enough to show alone, so the office's trend is shown (not grouped away)
    for who in ("asn", "clerk", "hr"):
        users[who].unit_id = first.id
    course = Course(title="Kursus Uji", kind="teknis", method="kursus", jp=8)
    db.session.add(course)
    db.session.flush()
    month = last_complete_month()
    year, number = int(month[:4]), int(month[5:7])
    for who in ("asn", "clerk"):
        db.session.add(Enrolment(course_id=course.id, user_id=users[who].id, state="verified", jp_credited=24,
                                 credited_year=year, verified_at=datetime(year, number, 10, 3, 0)))
    db.session.commit()

    def figures():
        db.session.expire_all()
        competence = monthly_report(month)["competence"]
        return ([(u.name, u.people, u.reached, u.jp) for u in competence["units"]],
                (competence["office"].people, competence["office"].reached),
                [(p["people"], p["reached"]) for p in competence["trend"]])

    before = figures()
    assert before[2] and before[1][0] == 8  # the trend and the office's figures are there to compare
    login_as("admin")  # the clerk's account holds a role: the administrator changes it
    assert client.post("/people/new", data=_form(unit_id=str(second.id))).status_code == 302
    assert client.post(f"/people/{users['asn'].id}/edit",
                       data=_edit_form(users["asn"], unit_id=str(second.id))).status_code == 302
    assert client.post(f"/people/{users['clerk'].id}/edit",
                       data=_edit_form(users["clerk"], active="0")).status_code == 302
    # a disabled account moved afterwards: its JP stay with the unit it was in, in today's figures too
    left_jp = [(u.name, u.jp) for u in competence_dashboard(year, number, sees_everyone=True)["units"]]
    assert client.post(f"/people/{users['clerk'].id}/edit",
                       data=_edit_form(users["clerk"], active="0", unit_id=str(second.id))).status_code == 302
    db.session.expire_all()
    assert [(u.name, u.jp) for u in competence_dashboard(year, number, sees_everyone=True)["units"]] == left_jp
    # an account made on the command line joins from now, as one made on the people page
    made = app.test_cli_runner().invoke(args=["create-user", "--username", "baru2", "--full-name", "Pegawai Dua",
                                              "--unit", "PEL", "--password", "Sawo-Kebun-Rumah-77"])
    assert made.exit_code == 0, made.output
    assert figures() == before
    # a past year counts the staff it had at its end: not an account made today
    past = competence_dashboard(year - 1, 12, sees_everyone=True)
    assert "Pegawai Baru" not in {row["name"] for row in past["below_target"]}
    assert users["clerk"].full_name in {row["name"] for row in past["below_target"]}  # left only now
    live = competence_dashboard(year, number, sees_everyone=True)  # today's figures do change
    assert [(u.name, u.people) for u in live["units"] if u.name == "Pelayanan"] == [("Pelayanan", 3)]


def test_jp_stay_with_the_unit_where_they_were_earned_after_a_move(client, login_as, db, users):
    """An ASN moved from Pemerintahan to Pelayanan on 1 December took September's 16 JP with him: Pelayanan's
    realisation rose past its plan and Pemerintahan's year-to-date fell to 0. The person's own progress
    goes with him; the unit's JP stay where they were earned."""
    from plaju.accounts.models import Unit
    from tests.accounts.test_people import _edit_form
    old, new = Unit(code="PEM", name="Pemerintahan", kind="seksi"), Unit(code="PEL", name="Pelayanan", kind="seksi")
    db.session.add_all([old, new])
    db.session.flush()
    users["asn"].unit_id = old.id
    course = Course(title="Bimtek Uji", kind="teknis", method="kursus", jp=16)
    db.session.add(course)
    db.session.flush()
    year = datetime.now().year
    db.session.add(Enrolment(course_id=course.id, user_id=users["asn"].id, state="verified", jp_credited=16,
                             credited_year=year, verified_at=datetime(year, 1, 10, 3, 0)))
    db.session.commit()
    login_as("admin")
    # his account gets its first record (as it was, from the start) when HR moves him now
    assert client.post(f"/people/{users['asn'].id}/edit",
                       data=_edit_form(users["asn"], unit_id=str(new.id))).status_code == 302
    db.session.expire_all()
    board = competence_dashboard(year, 12, sees_everyone=True)
    units = {u.name: (u.people, u.jp) for u in board["units"]}
    assert units["Pemerintahan"] == (0, 16) and units["Pelayanan"] == (1, 0)
    assert board["jp"][users["asn"].id] == 16 and board["office"].jp >= 16


def test_the_e_learning_completion_counts_the_office_s_own_courses_only(db, users):
    """An ASN reported an e-learning of another agency with its certificate: "E-learning tuntas" jumped from
    0 of 1 to 1 of 2, though nobody had finished any of the office's e-learning."""
    from plaju.timeutil import today_wib
    own = Course(title="E-learning Kantor", kind="teknis", method="elearning", jp=4)
    outside = Course(title="E-learning Instansi Lain", kind="teknis", method="elearning", jp=4, external=True)
    db.session.add_all([own, outside])
    db.session.flush()
    db.session.add_all([Enrolment(course_id=own.id, user_id=users["asn"].id, state="in_progress"),
                        Enrolment(course_id=outside.id, user_id=users["clerk"].id, state="completed")])
    db.session.commit()
    board = competence_dashboard(today_wib().year, today_wib().month, sees_everyone=True)
    assert board["elearning"] == {"started": 1, "done": 0, "percent": 0.0}

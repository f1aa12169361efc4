"""The demo office has a year behind it: every chart of the dashboards shows something, waits fall
after the service training round, more ASN reach 20 JP as the year goes on."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.database import utcnow
from plaju.documents import sla
from plaju.documents.calendar import holiday_set
from plaju.documents.models import Holiday
from plaju.reports import demo, facts
from plaju.reports.competence import competence_dashboard
from plaju.reports.filters import this_month
from plaju.reports.service import Filters, service_dashboard
from plaju.training.models import Course, Enrolment


def test_demo_year_tells_the_story(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    board = service_dashboard(Filters(end_month=this_month()))
    # a month whose first working hour has not come yet (the 1st before 08.00 WIB, a weekend) has had no
    # counter open: it cannot have requests, in the demo as in the office
    today = sla.wib_date(utcnow())
    month_start = datetime(today.year, today.month, 1) - timedelta(hours=7)  # 00.00 WIB as naive UTC
    opened = sla.working_minutes_between(month_start, utcnow(), holiday_set()) > 0
    months = board.months if opened else board.months[:-1]
    assert all(board.by_month[m].received for m in months), "every month has requests"
    assert all(board.by_month[m].ready for m in board.months[:-1]), "every past month has finished requests"
    assert board.backlog["total"]["open"] > 0 and board.backlog["total"]["overdue"] > 0
    assert any(stats.returned for stats in board.by_month.values())

    round_course = db.session.scalars(select(Course).where(Course.title == demo.ROUND_TITLE)).one()
    split = round_course.ends_on
    board = service_dashboard(Filters(end_month=this_month(), split=split))
    before, after = board.split["before"][None], board.split["after"][None]
    assert before.ready > 20 and after.ready > 20
    assert after.service_median < before.service_median
    assert after.within_percent > before.within_percent + 20

    coverage = competence_dashboard(today.year, today.month)
    shares = [point["percent"] or 0 for point in coverage["trend"]]
    assert shares == sorted(shares) and shares[-1] >= shares[0] + 30
    assert coverage["elearning"]["started"] >= 1
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.state == "verified",
                                                        Enrolment.verified_at < utcnow().replace(day=1)))

    # the holiday table covers the months shown: every national holiday and cuti bersama of 2025 and 2026
    days = set(db.session.scalars(select(Holiday.day)))
    for day in (date(2025, 12, 25), date(2025, 12, 26), date(2026, 2, 16), date(2026, 3, 20), date(2026, 3, 23),
                date(2026, 3, 24), date(2026, 5, 15), date(2026, 5, 28), date(2026, 6, 16), date(2026, 8, 25),
                date(2026, 12, 24), date(2025, 8, 18), date(2025, 4, 7)):
        assert day in days, day

    # the kept table equals the rebuilt one; the audit trail is one chronological, verified chain
    kept = facts.kept_rows()
    facts.rebuild()
    assert facts.kept_rows() == kept
    times = db.session.scalars(select(AuditEvent.occurred_at).order_by(AuditEvent.seq)).all()
    assert times == sorted(times)
    assert verify_chain().ok

"""Working-day arithmetic, the paused clock, and the overdue sweep mailing a real SMTP server."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from plaju.database import utcnow
from plaju.documents import sla
from plaju.documents.models import Holiday
from plaju.documents.services import sweep, take_action
from plaju.notify.models import Notification
from plaju.timeutil import WIB
from tests.documents.conftest import fresh


def wib(*args) -> datetime:
    """A WIB wall-clock time as the naive UTC the database stores."""
    return datetime(*args, tzinfo=WIB).astimezone(UTC).replace(tzinfo=None)


# Monday 2026-11-30 is a working day; 2026-12-25 (Friday) is Christmas
CHRISTMAS = frozenset({date(2026, 12, 25)})


@pytest.mark.parametrize("start,minutes,expected", [
    (wib(2026, 11, 30, 9, 0), 3 * 480, wib(2026, 12, 3, 9, 0)),        # 3 days from Monday 09.00
    (wib(2026, 11, 30, 7, 0), 480, wib(2026, 11, 30, 16, 0)),          # before opening: starts 08.00
    (wib(2026, 11, 30, 17, 0), 60, wib(2026, 12, 1, 9, 0)),            # after closing: next morning
    (wib(2026, 12, 4, 15, 0), 120, wib(2026, 12, 7, 9, 0)),            # Friday afternoon over the weekend
    (wib(2026, 11, 29, 10, 0), 240, wib(2026, 11, 30, 12, 0)),         # taken in on a Sunday
    (wib(2026, 12, 24, 14, 0), 480, wib(2026, 12, 28, 14, 0)),         # over Christmas and a weekend
    (wib(2026, 11, 30, 9, 0), 0, wib(2026, 11, 30, 9, 0)),
])
def test_add_working_minutes(start, minutes, expected):
    assert sla.add_working_minutes(start, minutes, CHRISTMAS) == expected


def test_working_minutes_between_skips_nights_weekends_and_holidays():
    assert sla.working_minutes_between(wib(2026, 11, 30, 9, 0), wib(2026, 11, 30, 11, 30)) == 150
    assert sla.working_minutes_between(wib(2026, 12, 4, 15, 0), wib(2026, 12, 7, 9, 0)) == 120
    assert sla.working_minutes_between(wib(2026, 12, 24, 8, 0), wib(2026, 12, 28, 16, 0), CHRISTMAS) == 960
    assert sla.working_minutes_between(wib(2026, 12, 24, 8, 0), wib(2026, 12, 28, 16, 0)) == 1440
    assert sla.working_minutes_between(wib(2026, 12, 1, 9, 0), wib(2026, 11, 30, 9, 0)) == 0


def test_due_date_at_intake_counts_holidays_from_the_admin_table(db, make_request):
    db.session.add(Holiday(day=date(2026, 12, 2), name="Libur uji"))
    db.session.commit()
    req = make_request("received", "ktp-baru", received_at=wib(2026, 11, 30, 10, 0))  # 3 working days
    assert req.due_at == wib(2026, 12, 4, 10, 0)
    assert req.budget_minutes == 3 * 480


def test_holidays_are_read_once_per_request_and_a_change_is_seen_at_once(app, db):
    from sqlalchemy import event

    from plaju.documents.calendar import holiday_set
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM holiday" in statement:
            reads.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/", method="POST"):
            first = holiday_set()
            assert holiday_set() is first and len(reads) == 1  # the step and the page share one read
            db.session.add(Holiday(day=date(2031, 5, 2), name="Libur uji"))
            db.session.flush()
            assert date(2031, 5, 2) in holiday_set() and len(reads) == 2  # the admin's change, at once
        with app.test_request_context("/"):
            holiday_set()
            assert len(reads) == 3  # never across requests
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.rollback()


def test_signed_in_pages_share_the_process_s_holidays_until_anyone_changes_them(app, db, client, login_as,
                                                                                 make_request):
    """Each process keeps the holidays between requests; a trigger renews the stamp every signed-in page reads
    with its user, so a change through another connection (another process, psql) is seen at the next page."""
    from sqlalchemy import event, text
    db.session.add(Holiday(day=date(2031, 5, 1), name="Libur uji"))
    db.session.commit()
    doc = make_request("verifying")
    login_as("clerk")
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM holiday" in statement:
            reads.append(statement)

    def page():
        response = client.get(f"/documents/{doc.id}")
        assert response.status_code == 200
        return len(reads)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = page()
        assert first <= 1 and page() == first and page() == first  # kept between requests
        for change in ("INSERT INTO holiday (day, name) VALUES ('2031-05-02', 'Libur lain')",
                       "UPDATE holiday SET name = 'Libur baru' WHERE day = '2031-05-02'",
                       "DELETE FROM holiday WHERE day = '2031-05-02'"):
            with db.engine.begin() as other:  # not this app's session: no ORM event tells this process
                other.execute(text(change))
            before = len(reads)
            assert page() == before + 1 and page() == before + 1, change  # read again once, then kept
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    if db.engine.dialect.name == "postgresql":  # TRUNCATE fires no row trigger: a statement trigger renews it
        stamp = db.session.scalar(text("SELECT stamp FROM cache_stamp"))
        db.session.rollback()
        with db.engine.begin() as other:
            other.execute(text("TRUNCATE holiday"))
        assert db.session.scalar(text("SELECT stamp FROM cache_stamp")) != stamp


def test_pause_while_returned_moves_the_promise_by_the_time_with_the_citizen(db, users, make_request):
    received = utcnow() - timedelta(days=30)
    req = make_request("verifying", "akta-lahir", received_at=received, clock_started_at=received,
                       clock_used_minutes=0)
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version, comment="kurang",
                      missing=[req.checklist_items[0]["id"]])
    row = fresh(db, req)
    used = row.clock_used_minutes
    assert 20 * 480 <= used <= 23 * 480  # about 21 working days in 30 calendar days
    assert row.due_at is None
    row = take_action(row, "resubmit", users["clerk"], version=row.version, ticked=[req.checklist_items[0]["id"]])
    row = fresh(db, row)
    assert row.clock_used_minutes == used
    assert row.due_at == sla.add_working_minutes(row.clock_started_at, max(row.budget_minutes - used, 0))


def test_sweep_mails_the_section_head_once_and_is_idempotent(app, db, users, make_request, smtp):
    users["kasi"].email = "kasi@plaju.local"
    users["kasi2"].email = "kasi2@plaju.local"
    db.session.commit()
    late = make_request("processing", "ktp-baru", due_at=utcnow() - timedelta(hours=3))
    make_request("processing", "ktp-baru", due_at=utcnow() + timedelta(days=2))       # not late
    make_request("returned", "ktp-baru", due_at=None)                                   # paused
    make_request("handed_over", "ktp-baru", due_at=utcnow() - timedelta(days=9))       # finished
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sla", "sweep"])
    assert first.exit_code == 0, first.output
    assert "overdue: 1, new notifications: 2, e-mails queued: 2" in first.output
    recipients = sorted(r for rcpts, _body in smtp.messages for r in rcpts)
    assert recipients == ["kasi2@plaju.local", "kasi@plaju.local"]
    assert late.tracking_code in smtp.messages[0][1]
    second = runner.invoke(args=["sla", "sweep"])
    assert "overdue: 1, new notifications: 0, e-mails queued: 0" in second.output
    assert len(smtp.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_sweep_without_mail_server_still_notifies_in_the_app(app, db, users, make_request):
    make_request("verifying", "sktm", due_at=utcnow() - timedelta(minutes=5))
    with app.app_context():
        result = sweep()
    assert result == {"overdue": 1, "notified": 2, "mailed": 0, "revised": 1}


def test_sweep_with_a_base_url_links_locally_and_puts_the_address_in_the_text(app, db, users, client, login_as,
                                                                             make_request, smtp):
    users["kasi"].email = "kasi@plaju.local"
    db.session.commit()
    late = make_request("processing", "ktp-baru", due_at=utcnow() - timedelta(hours=3))
    result = app.test_cli_runner().invoke(args=["sla", "sweep", "--base-url", "https://intranet.plaju.local/"])
    assert result.exit_code == 0, result.output
    notes = db.session.scalars(select(Notification)).all()
    assert notes and {n.url for n in notes} == {f"/documents/{late.id}"}
    assert all(f"https://intranet.plaju.local/documents/{late.id}" in n.body for n in notes)
    [(_rcpts, mail)] = [m for m in smtp.messages if "kasi@plaju.local" in m[0]]
    assert f"https://intranet.plaju.local/documents/{late.id}" in mail
    login_as("kasi")
    mine = next(n for n in notes if n.user_id == users["kasi"].id)
    assert client.post(f"/notifications/{mine.id}/open").headers["Location"] == f"/documents/{late.id}"


def test_the_last_working_moment_is_now_in_office_hours_else_the_last_close():
    def utc(*args):
        return datetime(*args, tzinfo=WIB).astimezone(UTC).replace(tzinfo=None)
    assert sla.last_working_moment(utc(2026, 11, 30, 10, 15)) == utc(2026, 11, 30, 10, 15)  # Monday, open
    assert sla.last_working_moment(utc(2026, 12, 1, 3, 42)) == utc(2026, 11, 30, 16, 0)  # before opening
    assert sla.last_working_moment(utc(2026, 11, 30, 19, 0)) == utc(2026, 11, 30, 16, 0)  # after closing
    assert sla.last_working_moment(utc(2026, 11, 30, 8, 0)) == utc(2026, 11, 27, 16, 0)  # Monday 08.00: Friday
    assert sla.last_working_moment(utc(2026, 11, 29, 12, 0)) == utc(2026, 11, 27, 16, 0)  # Sunday
    assert sla.last_working_moment(utc(2026, 11, 30, 12, 0), {date(2026, 11, 30)}) == utc(2026, 11, 27, 16, 0)

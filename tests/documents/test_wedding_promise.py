"""A dispensasi nikah is needed before its wedding: a wedding tomorrow was promised for the day after the
service standard, with no word to the clerk, a receipt silent on the day and a Kasi's list that did not put it
first. The promise now stops before the wedding day; the clerk, the receipt and the Kasi's lists say so."""
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.database import clock_at
from plaju.documents import sla
from plaju.documents.models import DocumentRequest
from plaju.documents.nik import make_nik
from plaju.workflow.models import WorkItem
from tests.documents.conftest import fresh
from tests.documents.test_counter import _intake_of

HX = {"HX-Request": "true"}


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour` WIB on `day`, as stored (naive UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=7)


MONDAY = date(2026, 11, 30)  # a working week with no holiday
TUESDAY, WEDNESDAY, SATURDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2), MONDAY + timedelta(days=5)


def test_the_promise_stops_at_the_close_of_the_last_working_day_before_the_day_needed():
    day, three_days = sla.DAY_MINUTES, 3 * sla.DAY_MINUTES
    start = _utc(MONDAY, 10)
    assert sla.due_time(start, three_days) == _utc(MONDAY + timedelta(days=3), 10)
    assert sla.due_time(start, three_days, before=WEDNESDAY) == _utc(TUESDAY, 16)
    assert sla.due_time(start, three_days, before=TUESDAY) == _utc(MONDAY, 16)
    # the wedding today: no working day is left before it, the letter is due by today's close
    assert sla.due_time(start, three_days, before=MONDAY) == _utc(MONDAY, 16)
    # taken in on Saturday for a wedding on Monday: Monday's close, not Friday's, gone by
    assert sla.due_time(_utc(SATURDAY, 9), day, before=SATURDAY + timedelta(days=2)) == \
        _utc(SATURDAY + timedelta(days=2), 16)
    # a wedding after the standard's end changes nothing; a holiday before it moves the close back
    assert sla.due_time(start, day, before=date(2026, 12, 10)) == _utc(TUESDAY, 10)
    assert sla.due_time(start, three_days, {TUESDAY}, before=WEDNESDAY) == _utc(MONDAY, 16)


def _take_in(client, doc_type, wedding: date, name: str, serial: int):
    bride = make_nik(date(2000, 4, 4), True, serial)
    return client.post("/documents/new", follow_redirects=True, data=_intake_of(
        doc_type, nik=bride, name=name, s_nik=make_nik(date(1998, 6, 6), False, 62), s_name="Andi Saputra",
        s_date=wedding.isoformat(), s_place="KUA Kecamatan Plaju", requirements=[
            str(r.id) for r in doc_type.requirements]))


def test_a_wedding_tomorrow_is_promised_today_and_the_kasi_sees_it_first(client, login_as, db, users, doc_types,
                                                                          make_request):
    dispensasi = doc_types["dispensasi-nikah"]
    assert (dispensasi.service_amount, dispensasi.service_unit) == (1, "days")
    with clock_at(_utc(MONDAY, 9)):  # a domisili usaha taken in first, due a working day later
        make_request("verifying", "domisili-usaha", name="Budi Hartono", received_at=_utc(MONDAY, 9))
    with clock_at(_utc(MONDAY, 10)):
        login_as("clerk")
        page = _take_in(client, dispensasi, TUESDAY, "Siti Rahma", 61).text
        assert "invalid-feedback d-block" not in page, re.findall(r"invalid-feedback[^<]*<[^<]*", page)
        req = db.session.scalars(select(DocumentRequest).where(DocumentRequest.name == "Siti Rahma")).one()
        assert req.due_at == _utc(MONDAY, 16)  # the standard said Tuesday 10.00: the wedding's day
        # the clerk is told at once, the receipt prints the day and why the promise is sooner
        assert "Pernikahan pada 1 Desember 2026" in page and "30 Nov 2026 16.00 WIB" in page, page[:3000]
        assert '<dd class="col-12 col-sm-7" data-testid="receipt-about">1 Desember 2026</dd>' in page
        assert 'data-testid="receipt-sooner"' in page and "1 Desember 2026" in page
        later = _take_in(client, dispensasi, date(2026, 12, 8), "Dewi Lestari", 64).text  # a week ahead: the standard
        assert 'data-testid="receipt-sooner"' not in later and "Pernikahan pada" not in later
        assert 'data-testid="receipt-about">8 Desember 2026<' in later
        client.post(f"/documents/{req.id}/actions/verify", headers=HX, data={"version": req.version})
        login_as("kasi")
        todo = client.get("/inbox/").text
        queue = client.get("/documents/").text
    # the Kasi's list puts it before the letter taken in an hour earlier, and names the day
    assert todo.index("Siti Rahma") < todo.index("Budi Hartono")
    assert "Tanggal pernikahan: 1 Desember 2026" in todo
    assert 'data-testid="queue-wedding">Tanggal pernikahan 1 Des 2026<' in queue


def test_a_moved_wedding_moves_the_promise_and_the_lists_follow(client, login_as, db, users, doc_types,
                                                               make_request):
    with clock_at(_utc(MONDAY, 10)):
        req = make_request("processing", "dispensasi-nikah", received_at=_utc(MONDAY, 10),
                           submitted_by_id=None, subject={
                               "s_nik": make_nik(date(1996, 7, 7), False, 63), "s_name": "Ahmad Fauzi",
                               "s_date": TUESDAY.isoformat(), "s_place": "KUA Kecamatan Plaju"})
        req = fresh(db, req)
        assert req.due_at == _utc(MONDAY, 16)
        login_as("kasi")
        sent = client.post(f"/documents/{req.id}/correct", headers=HX, data={
            "version": req.version, "name": req.name, "address": req.address, "purpose": req.purpose,
            "subject_sent": "1", "s_name": "Ahmad Fauzi", "s_date": "2026-12-08", "s_place": "KUA Kecamatan Plaju"})
        assert sent.status_code == 200, sent.text[:2000]
    row = fresh(db, req)
    assert row.due_at == _utc(TUESDAY, 10)  # the service standard again
    items = db.session.scalars(select(WorkItem).where(WorkItem.spec == "document", WorkItem.entity_id == req.id))
    assert {item.due_at for item in items} == {_utc(TUESDAY, 10)}
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct")).one()
    assert logged.changes_dict["due_at"] == [_utc(MONDAY, 16).isoformat(), _utc(TUESDAY, 10).isoformat()]


def test_a_wedding_with_no_working_day_left_is_promised_on_the_day_and_the_clerk_is_told(client, login_as, db,
                                                                                        doc_types):
    with clock_at(_utc(MONDAY, 16, 30)):  # after the office closed, the wedding tomorrow
        login_as("clerk")
        page = _take_in(client, doc_types["dispensasi-nikah"], TUESDAY, "Siti Rahma", 65).text
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.due_at == _utc(TUESDAY, 16)  # the standard's date too: nothing sooner is possible
    assert "tidak ada lagi hari kerja sebelumnya: surat dijanjikan selesai 1 Des 2026 16.00 WIB" in page
    assert 'data-testid="receipt-sooner">Pada hari pernikahan' in page


def test_an_overdue_dispensation_is_not_promised_after_its_wedding(db, users, doc_types, make_request):
    """Missed, a request is promised a whole service standard later: a dispensation then said "new promise
    date" for the Monday after its Thursday wedding. It is promised by the wedding day's close at the latest,
    and nothing new once the wedding has passed (the Camat may no longer sign it: corrected or rejected)."""
    from plaju.documents.services import sweep
    thursday = MONDAY + timedelta(days=3)
    with clock_at(_utc(MONDAY, 10)):
        req = make_request("processing", "dispensasi-nikah", received_at=_utc(MONDAY, 10), subject={
            "s_nik": make_nik(date(1996, 7, 7), False, 66), "s_name": "Ahmad Fauzi",
            "s_date": thursday.isoformat(), "s_place": "KUA Kecamatan Plaju"})
    row = fresh(db, req)
    row.budget_minutes, row.due_at = 3 * sla.DAY_MINUTES, _utc(MONDAY + timedelta(days=2), 16)  # standard Thu 10.00
    db.session.commit()
    with clock_at(_utc(thursday, 9)):  # the wedding today
        assert sweep(now=_utc(thursday, 9))["revised"] == 1
    assert fresh(db, req).revised_due_at == _utc(thursday, 16)  # not the Monday after
    from plaju.notify.models import Notification  # the Kasi reads why it was due sooner than the standard
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["kasi"].id)).first()
    assert "sebelum pernikahan pada 3 Desember 2026" in told.body
    with clock_at(_utc(thursday + timedelta(days=1), 9)):  # the day after the wedding: no new date
        assert sweep(now=_utc(thursday + timedelta(days=1), 9))["revised"] == 0
    assert fresh(db, req).revised_due_at == _utc(thursday, 16)


def test_a_saturday_wedding_taken_in_on_friday_evening_is_said_to_be_too_late(client, login_as, db, doc_types):
    """No working day is left before it: the clerk and the receipt said "on the wedding day" of a Monday
    promise for a Saturday wedding. Said as it is; the citizen hears it at the counter."""
    friday, saturday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=5)
    with clock_at(_utc(friday, 16, 20)):
        login_as("clerk")
        page = _take_in(client, doc_types["dispensasi-nikah"], saturday, "Siti Rahma", 67).text
    assert "kantor tidak bekerja sehari pun sebelumnya: surat tidak dapat selesai sebelum pernikahan" in page
    assert 'data-testid="receipt-sooner">Setelah hari pernikahan' in page and "Pada hari pernikahan" not in page
    from plaju.documents.services import sweep
    with clock_at(_utc(friday + timedelta(days=3), 16, 30)):  # Monday, overdue: no new date it cannot keep
        assert sweep(now=_utc(friday + timedelta(days=3), 16, 30))["revised"] == 0

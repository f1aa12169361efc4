"""The same training credited twice: an ASN reported a training from outside, then again with the same
title, days and issuer under a number with a letter added and another scan, and HR verified both. A report
of a training of the same title on days that meet one already theirs is refused, naming it; HR is warned
before crediting when a training is already credited on the same days, whatever its title."""
from datetime import timedelta

from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.demo import tiny_pdf
from plaju.training.models import Enrolment
from plaju.training.opened import record_reading
from plaju.training.services import tally as tally_service
from plaju.workflow import fire
from tests.training.conftest import pdf_upload

TODAY = today_wib()
ENDS = TODAY - timedelta(days=4)
TITLE = "Pelatihan Kearsipan Digital"


def _body(title=TITLE, number="SERT/LAN/2026/0001", ends=ENDS, days=2, scan="STTPP") -> dict:
    return {"title": title, "kind": "teknis", "method": "pelatihan",
            "starts_on": (ends - timedelta(days=days - 1)).isoformat(), "ends_on": ends.isoformat(),
            "certificate_number": number, "certificate_date": ends.isoformat(), "certificate_issuer": "LAN RI",
            "certificate_jp": "8", "form_token": new_token(), "evidence": pdf_upload(data=tiny_pdf(scan))}


def _send(client, body):
    return client.post("/training/external", data=body, content_type="multipart/form-data")


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def _refusals(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "enrolment.report_external", AuditEvent.outcome == "refused"))


def test_the_same_training_under_another_number_and_scan_is_refused_naming_the_first(client, login_as, db, users):
    login_as("asn")
    assert _send(client, _body()).status_code == 303
    first = db.session.scalar(select(Enrolment))
    again = _send(client, _body(title="  pelatihan kearsipan  DIGITAL ", number="SERT/LAN/2026/0001a",
                                scan="Pindaian lain"))
    assert again.status_code == 422
    assert f"“{TITLE}”" in again.text and "SERT/LAN/2026/0001)" in again.text  # the earlier report, its number
    assert _count(db) == 1 and _refusals(db) == 1
    # credited, it still counts: HR verifies the first and the second is refused again
    record_reading(first, users["hr"])
    fire(first, "verify", users["hr"], expected_version=first.version)
    assert _send(client, _body(number="SERT/LAN/2026/0001a", scan="Pindaian lain")).status_code == 422
    assert _count(db) == 1 and tally_service.tally(users["asn"], ENDS.year) == 8


def test_a_withdrawn_report_or_the_same_title_on_other_days_is_no_duplicate(client, login_as, db, users):
    login_as("asn")
    assert _send(client, _body()).status_code == 303
    # the same course a month earlier (another run of it) is another training
    earlier_run = _body(number="SERT/LAN/2026/0002", ends=ENDS - timedelta(days=30), scan="Angkatan I")
    assert _send(client, earlier_run).status_code == 303
    first = db.session.scalars(select(Enrolment).order_by(Enrolment.id)).first()
    fire(first, "withdraw_report", users["asn"], expected_version=first.version, data={"confirmed": True})
    # withdrawn, it may be reported again
    assert _send(client, _body(number="SERT/LAN/2026/0001a", scan="Pindaian baru")).status_code == 303
    assert _count(db) == 3


def test_a_catalogue_course_credited_on_those_days_is_not_reported_again(client, login_as, db, users, make_course,
                                                                        enrol):
    course = make_course(title="Pelatihan Kearsipan Digital", starts_on=ENDS - timedelta(days=1), ends_on=ENDS,
                         jp=8, enrol_deadline=None)
    enrol(course, users["asn"], "verified")
    login_as("asn")
    refused = _send(client, _body())
    assert refused.status_code == 422 and f"“{TITLE}”" in refused.text
    assert _count(db) == 1 and _refusals(db) == 1


def test_hr_is_warned_of_a_training_credited_on_the_same_days(client, login_as, db, users, make_course, enrol):
    course = make_course(title="Bimtek Arsip Elektronik", starts_on=ENDS - timedelta(days=1), ends_on=ENDS, jp=8,
                         enrol_deadline=None)
    enrol(course, users["asn"], "verified")
    login_as("asn")  # another title on the same days: not refused, but HR reads what is credited on them
    assert _send(client, _body()).status_code == 303
    report = db.session.scalars(select(Enrolment).where(Enrolment.state == "completed")).one()
    login_as("hr")
    page = client.get(f"/training/enrolments/{report.id}").text
    warning = page.split('data-testid="credited-alongside"')[1].split("</div>")[0]
    assert "Bimtek Arsip Elektronik" in warning and "8 JP" in warning
    # a training on other days: no warning
    other = make_course(title="Pelatihan Lain", starts_on=ENDS - timedelta(days=20), ends_on=ENDS - timedelta(days=19),
                        jp=8, enrol_deadline=None)
    later = enrol(other, users["asn"], "completed")
    assert 'data-testid="credited-alongside"' not in client.get(f"/training/enrolments/{later.id}").text

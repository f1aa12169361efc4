"""A credit given in error could not be undone: a certificate found forged, or the same training counted twice,
kept its JP for good. Whoever may verify now withdraws it, with a reason and the password; the ASN is told, the
JP leave every figure, and the log holds the credit and its withdrawal (the check finds nothing amiss)."""
import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.audit.reconcile import reconcile
from plaju.notify.models import Notification
from plaju.timeutil import today_wib
from plaju.training.models import Enrolment
from plaju.training.opened import record_reading
from plaju.training.services import tally as tally_service
from plaju.workflow import Invalid, NotAllowed, available, fire
from tests.support import PASSWORD
from tests.training.conftest import completion_data


def _credited(db, users, make_course, enrol, jp=12, **course):
    enrolment = enrol(make_course(jp=jp, **course), users["asn"], "in_progress")
    done = fire(enrolment, "complete", users["asn"], expected_version=enrolment.version,
                data=completion_data(enrolment.course))
    record_reading(done, users["hr"])
    return fire(done, "verify", users["hr"], expected_version=done.version)


def test_hr_withdraws_a_credit_given_in_error_and_the_figures_and_the_log_agree(client, login_as, db, users,
                                                                                make_course, enrol):
    credited = _credited(db, users, make_course, enrol)
    assert tally_service.tally(users["asn"]) == 12
    page = f"/training/enrolments/{credited.id}"
    act = f"{page}/act/withdraw_credit"
    login_as("asn")  # the ASN cannot take back his own credit's withdrawal, nor give it: not his step
    assert "withdraw_credit" not in client.get(page).text
    assert client.post(act, data={"version": credited.version, "comment": "salah", "confirmed": "yes",
                                  "password": PASSWORD}).status_code == 403
    login_as("hr")
    assert "Tarik JP yang sudah dicatat" in client.get(page).text
    for missing in ({"comment": ""}, {"confirmed": ""}, {"password": "salah-sandi"}):
        refused = client.post(act, data={"version": credited.version, "comment": "Sertifikat palsu menurut BPSDM",
                                         "confirmed": "yes", "password": PASSWORD, **missing})
        assert refused.status_code in (403, 422), missing
    db.session.expire_all()
    assert db.session.get(Enrolment, credited.id).state == "verified" and tally_service.tally(users["asn"]) == 12
    done = client.post(act, data={"version": credited.version, "comment": "Sertifikat palsu menurut BPSDM",
                                  "confirmed": "yes", "password": PASSWORD})
    assert done.status_code == 303, done.text[:1000]
    db.session.expire_all()
    row = db.session.get(Enrolment, credited.id)
    assert (row.state, row.jp_credited) == ("credit_withdrawn", 0)
    assert tally_service.tally(users["asn"]) == 0
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.withdraw_credit",
                                                         AuditEvent.outcome == "ok")).one()
    assert logged.changes_dict["jp_credited"] == [12, 0] and logged.actor_id == users["hr"].id
    assert reconcile() == []  # the credit's withdrawal is a logged step, not an edit
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["asn"].id)
                              .order_by(Notification.id.desc())).first()
    assert "ditarik: Sertifikat palsu menurut BPSDM" in told.subject
    assert str(today_wib().year) in told.subject
    login_as("asn")
    assert "JP yang dicatat ditarik" in client.get(page).text
    # the same certificate reported again is taken, but HR credits it only with a reason, beside the withdrawal
    again = enrol(make_course(title="Pelatihan Lain"), users["asn"], "in_progress")
    again = fire(again, "complete", users["asn"], expected_version=again.version, data=completion_data(again.course))
    record_reading(again, users["hr"])
    assert [a.trigger for a in available(again, users["hr"]) if a.applies and a.trigger.startswith("verify")] == \
        ["verify_twin"]


def test_a_credit_cannot_be_withdrawn_by_its_own_asn_nor_an_office_certificate_s(db, users, make_course, enrol):
    credited = _credited(db, users, make_course, enrol)
    with pytest.raises(NotAllowed):
        fire(credited, "withdraw_credit", users["asn"], expected_version=credited.version, comment="tidak jadi",
             password=PASSWORD, data={"confirmed": True})
    office = enrol(make_course(title="Kursus Kantor", internal=True), users["asn"], "verified")
    assert [a.applies for a in available(office, users["hr"]) if a.trigger == "withdraw_credit"] == [False]
    with pytest.raises(Invalid) as refused:
        fire(office, "withdraw_credit", users["hr"], expected_version=office.version, comment="salah catat",
             password=PASSWORD, data={"confirmed": True})
    assert "Ganti sertifikat" in refused.value.message
    db.session.expire_all()
    assert {e.state for e in db.session.scalars(select(Enrolment))} == {"verified"}


def test_withdrawing_last_year_s_credit_says_what_it_changes(db, users, make_course, enrol):
    credited = _credited(db, users, make_course, enrol)
    credited.credited_year = today_wib().year - 1
    db.session.commit()
    action = next(a for a in available(credited, users["hr"]) if a.trigger == "withdraw_credit")
    assert "SIASN" in action.caution and str(today_wib().year - 1) in action.caution

"""What the ASN is told after a decision says what happened: a nomination read "your enrolment was approved by
your supervisor" for a request the ASN never made, and HR's decline after the supervisor had left read
"declined by your supervisor"."""
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from plaju.i18n import gettext as _
from plaju.notify.models import Notification
from plaju.timeutil import today_wib
from plaju.training.services import enrolment as enrolment_service
from plaju.workflow import fire


def _told(db, user) -> list[str]:
    return list(db.session.scalars(select(Notification.subject).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _in_id(text, **values) -> str:
    with force_locale("id"):
        return _(text, **values)


def test_a_nominated_asn_reads_who_nominated_them_and_what_comes_next(db, users, make_course, enrol):
    course = make_course(title="Pelatihan Arsip")
    enrolment_service.request_enrolment(course, users["asn"], users["kasi"])
    [news] = _told(db, users["asn"])
    assert users["kasi"].full_name in news and "Camat" in news  # who nominated, and whose sign-off is next
    assert news.endswith(_in_id("was made by your supervisor %(name)s, who nominated you and so approved it; it now "
                                "awaits the sign-off of %(next)s", name=users["kasi"].full_name, next="Camat"))
    # a request the ASN made is approved by the supervisor: said so, with what comes next
    mine = enrol(make_course(title="Pelatihan Lain"), users["asn"])
    fire(mine, "approve", users["kasi"], expected_version=mine.version)
    approved = _told(db, users["asn"])[-1]
    assert approved.endswith(_in_id("was approved by %(decider)s; it now awaits the sign-off of %(next)s",
                                    decider=_in_id("your supervisor %(name)s", name=users["kasi"].full_name),
                                    next="Camat"))


def test_hrs_decline_after_the_supervisor_left_names_hr(db, users, make_course, enrol):
    enrolment = enrol(make_course(), users["asn"])
    users["kasi"].active = False
    db.session.commit()
    fire(enrolment, "decline", users["hr"], expected_version=enrolment.version, comment="Kuota unit habis.")
    [news] = _told(db, users["asn"])
    hr = _in_id("HR (Kepegawaian), as your supervisor has left")
    assert hr in news and users["kasi"].full_name not in news and news.endswith("Kuota unit habis.")


def test_the_sekcam_returning_hrs_evidence_is_named(db, users, make_course, enrol):
    course = make_course(starts_on=today_wib() - timedelta(days=3), ends_on=today_wib() - timedelta(days=2))
    enrolment = enrol(course, users["hr"], "completed")
    enrolment.evidence_name = "bukti.pdf"  # the file as reported: what a return sends back
    db.session.commit()
    fire(enrolment, "return_evidence", users["sekcam"], expected_version=enrolment.version,
         comment="Pindaian buram.")
    news = _told(db, users["hr"])[-1]
    assert news.startswith("Sekretaris Camat ") and "Kepegawaian" not in news

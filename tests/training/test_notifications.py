"""Workflow steps e-mail the person who acts next right after the commit, through a real SMTP server
on 127.0.0.1, without waiting for `flask sla sweep`; every notification links to the enrolment."""
from sqlalchemy import select

from plaju.notify.models import Notification
from plaju.training.models import Enrolment


def _emails(db, users, *names):
    for name in names:
        users[name].email = f"{name}@plaju.local"
    db.session.commit()


def test_requesting_mails_the_supervisor_with_a_link(client, login_as, users, make_course, db, smtp):
    _emails(db, users, "kasi", "asn")
    course = make_course()
    login_as("asn")
    response = client.post(f"/training/courses/{course.id}/enrol", data={"user_id": users["asn"].id})
    assert response.status_code == 302
    enrolment = db.session.scalars(select(Enrolment)).one()
    link = f"/training/enrolments/{enrolment.id}"
    [mail] = smtp.to("kasi@plaju.local")
    assert course.title in mail["Subject"] and link in mail.get_content()
    note = db.session.scalars(select(Notification).where(Notification.user_id == users["kasi"].id)).one()
    assert note.url == link and note.mailed_at is not None
    login_as("kasi")
    assert client.post(f"/notifications/{note.id}/open").headers["Location"] == link


def test_approving_mails_the_camat_and_the_asn_without_the_sweep(client, login_as, users, make_course, enrol,
                                                               db, smtp):
    _emails(db, users, "camat", "asn", "kasi")
    course = make_course(title="Pelayanan Prima Loket")
    enrolment = enrol(course, users["asn"])
    login_as("kasi")
    approved = client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0})
    assert approved.status_code == 303
    assert db.session.get(Enrolment, enrolment.id).state == "approved"
    link = f"/training/enrolments/{enrolment.id}"
    [to_camat] = smtp.to("camat@plaju.local")
    [to_asn] = smtp.to("asn@plaju.local")
    assert "Pelayanan Prima Loket" in to_camat["Subject"] and link in to_camat.get_content()
    assert "Pelayanan Prima Loket" in to_asn["Subject"] and link in to_asn.get_content()
    [request_mail] = smtp.to("kasi@plaju.local")  # only the request itself, sent when the ASN asked
    assert "Pelayanan Prima Loket" in request_mail["Subject"]
    pending = db.session.scalars(select(Notification).where(Notification.mailed_at.is_(None))).all()
    assert pending == []


def test_without_a_mail_server_the_step_still_goes_through(client, login_as, users, make_course, enrol, db):
    _emails(db, users, "camat", "asn")
    enrolment = enrol(make_course(), users["asn"])
    login_as("kasi")
    client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0})
    assert db.session.get(Enrolment, enrolment.id).state == "approved"
    notes = db.session.scalars(select(Notification)).all()
    assert notes and all(n.mailed_at is None for n in notes)

"""HR reset an ASN's password, signed in as him, reported a made-up certificate and credited its JP with one
click of "verify": four eyes kept out only the reporter. Whoever set the reporter's password in the 30 days
before a report does not verify it (nor credit a twin): another HR does, else the Sekcam, else the Camat."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaju.accounts.people import save_user
from plaju.audit.models import AuditEvent
from plaju.database import utcnow
from plaju.extensions import db as _db
from plaju.training.models import Enrolment
from plaju.training.opened import record_reading
from plaju.workflow import NotAllowed, fire, started
from plaju.workflow.models import WorkItem
from tests.support import make_user
from tests.training.test_hr_own_training import _report

TEMPORARY = "Sementara-Kuat-9382!x"


def _reset(users, who: str, actor: str = "hr"):
    person = _db.session.get(type(users[who]), users[who].id)
    data = {"username": person.username, "full_name": person.full_name, "nip": person.nip,
            "position": person.position, "email": person.email, "unit_id": person.unit_id,
            "supervisor_id": person.supervisor_id, "active": True, "roles": set(person.roles)}
    save_user(_db.session.get(type(users[actor]), users[actor].id), person, data, password=TEMPORARY)
    _db.session.commit()


def _take_over(client, login_as) -> None:
    """Sign in with the one-time password and choose another, as the attacker (or the ASN) does."""
    login_as("asn", TEMPORARY)
    changed = client.post("/account/password", data={"current": TEMPORARY, "new": "Punya-Sendiri-7710!",
                                                       "confirm": "Punya-Sendiri-7710!"})
    assert changed.status_code in (302, 303), changed.text[:300]


def _items(db, enrolment) -> set:
    return {(w.trigger, w.role, w.excluded_user_id) for w in db.session.scalars(
        select(WorkItem).where(WorkItem.spec == "enrolment", WorkItem.entity_id == enrolment.id))}


def test_hr_who_reset_the_password_does_not_verify_the_report_the_sekcam_does(client, login_as, db, users):
    _reset(users, "asn")
    _take_over(client, login_as)
    # the sign-in with the password HR set is told apart from the holder's own, in the log
    signed_in = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login",
                                                            AuditEvent.actor_id == users["asn"].id)).all()
    assert [e.comment for e in signed_in] == [f"Masuk dengan kata sandi sementara yang diatur oleh "
                                              f"{users['hr'].full_name}."]
    enrolment = _report(client, title="Pelatihan Kepemimpinan Digital")
    # the only HR set the password: the Sekcam verifies, and HR is told why not on the page and by a POST
    assert _items(db, enrolment) == {("verify", "sekcam", users["hr"].id),
                                     ("return_evidence", "sekcam", users["hr"].id)}
    login_as("hr")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert "/act/verify" not in page
    # who verifies instead, and why: not "no other HR account is active", which is not so
    waiting = page.split('data-testid="waiting-for"')[1].split("</p>")[0]
    assert "Sekretaris Camat (pegawai Kepegawaian yang mengatur kata sandi ASN ini" in waiting, waiting
    refused = client.post(f"/training/enrolments/{enrolment.id}/act/verify", data={"version": enrolment.version})
    assert refused.headers.get("X-Refused-Status") == "403" or refused.status_code == 403
    assert "kata sandi ASN ini" in refused.text  # why, not "you are not allowed"
    assert db.session.get(Enrolment, enrolment.id).state == "completed"
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrolment.verify",
                                                        AuditEvent.outcome == "refused"))
    assert logged.comment.startswith("[four_eyes]") and "kata sandi ASN ini" in logged.comment
    # the report's own event names who set the password, by name, in the history HR reads
    history = client.get(f"/audit/timeline/enrolment/{enrolment.id}", follow_redirects=True).text
    line = history.split("Mengatur kata sandi ASN ini sesaat sebelumnya")[1][:300]
    assert users["hr"].full_name in line, line
    login_as("sekcam")
    client.get(f"/training/enrolments/{enrolment.id}/evidence")
    assert client.post(f"/training/enrolments/{enrolment.id}/act/verify",
                       data={"version": enrolment.version}).status_code == 303
    assert db.session.get(Enrolment, enrolment.id).state == "verified"


def test_a_second_reset_after_the_report_does_not_let_the_setter_verify_it(client, login_as, db, users):
    """HR reset the password again after reporting as the ASN (which also locks the ASN back in): the account
    then named that later reset, the report looked older than it, and the work went back to HR."""
    _reset(users, "asn")
    _take_over(client, login_as)
    enrolment = _report(client, title="Pelatihan Kepemimpinan Digital")
    _reset(users, "asn")  # again, after the report
    db.session.expire_all()
    started(db.session.get(Enrolment, enrolment.id))  # what a recompute of the to-dos (a role change) does
    db.session.commit()
    assert ("verify", "sekcam", users["hr"].id) in _items(db, enrolment)
    with pytest.raises(NotAllowed):
        fire(db.session.get(Enrolment, enrolment.id), "verify", users["hr"], expected_version=enrolment.version)


def test_with_a_second_hr_the_other_one_verifies_and_the_setter_is_refused(client, login_as, db, users):
    make_user("hr2", "hr", supervisor=users["camat"])
    _reset(users, "asn")
    _take_over(client, login_as)
    enrolment = _report(client)
    # the whole verification goes to the other HR: neither verify nor return is the setter's
    assert _items(db, enrolment) == {("verify", "hr", users["hr"].id), ("return_evidence", "hr", users["hr"].id)}
    with pytest.raises(NotAllowed) as refused:
        fire(db.session.get(Enrolment, enrolment.id), "verify", users["hr"], expected_version=enrolment.version)
    assert "kata sandi ASN ini" in str(refused.value.message)


def test_a_report_made_a_month_after_the_reset_is_verified_by_hr_as_usual(client, login_as, db, users):
    _reset(users, "asn")
    asn = db.session.get(type(users["asn"]), users["asn"].id)
    asn.password_set_at = utcnow() - timedelta(days=31)
    db.session.commit()
    _take_over(client, login_as)
    enrolment = _report(client)
    assert ("verify", "hr", users["asn"].id) in _items(db, enrolment)
    record_reading(enrolment, users["hr"])
    fire(db.session.get(Enrolment, enrolment.id), "verify", users["hr"], expected_version=enrolment.version)
    assert db.session.get(Enrolment, enrolment.id).state == "verified"

"""A Plh/Plt stands in for an office as its surat perintah named it, one at a time: an official whose office
changes takes no stand-in into the new one, and a Plt for an official who left is for a vacant office only."""
from sqlalchemy import select

from plaju.accounts.models import Delegation, User
from plaju.audit.models import AuditEvent
from plaju.notify.models import Notification
from tests.accounts.test_people import _delegation, _edit_form, _form, _refusals, _rule


def test_the_sekcam_made_camat_takes_no_plh_into_the_new_office(client, login_as, users, db):
    """The Sekcam's Plh, a Kasi, signed letters as "Plh. Camat Plaju" once the Sekcam was made Camat: no surat
    perintah named him Plh Camat."""
    login_as("admin")
    sekcam, kasi = users["sekcam"], users["kasi"]
    assert client.post("/people/delegations", data=_delegation(sekcam, kasi)).status_code == 302
    assert client.post(f"/people/{users['camat'].id}/edit",
                       data=_edit_form(users["camat"], active="0")).status_code == 302
    promoted = client.post(f"/people/{sekcam.id}/edit",
                           data=_edit_form(sekcam, roles=["camat"], position="Camat Plaju"))
    assert promoted.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Delegation)).revoked
    ended = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.revoke")).one()
    assert ended.outcome == "ok" and "Jabatan pejabat berubah" in ended.comment
    assert db.session.scalar(select(Notification).where(Notification.user_id == kasi.id)) is not None
    # a change that keeps the office (a new position title) ends nothing
    assert client.post("/people/delegations", data=_delegation(_fresh_user(db, sekcam), kasi)).status_code == 302
    assert client.post(f"/people/{sekcam.id}/edit", data=_edit_form(sekcam, position="Camat Plaju Kota")) \
        .status_code == 302
    db.session.expire_all()
    assert [d.revoked for d in db.session.scalars(select(Delegation).order_by(Delegation.id))] == [True, False]


def _fresh_user(db, user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_no_plt_for_a_camat_who_left_while_another_holds_the_office(client, login_as, users, db):
    login_as("admin")
    old_camat = users["camat"]
    assert client.post(f"/people/{old_camat.id}/edit", data=_edit_form(old_camat, active="0")).status_code == 302
    assert client.post("/people/new", data=_form(username="penerus", full_name="Camat Penerus",
                                                 roles=["camat"])).status_code == 302
    refused = client.post("/people/delegations", data=_delegation(old_camat, users["kasi"], "plt"))
    assert refused.status_code == 422 and "Camat Penerus memegang jabatan Camat sekarang" in refused.text
    # nor for an account made disabled with the office, to stand a Plt beside the holder
    assert client.post("/people/new", data=_form(username="bayangan", full_name="Camat Bayangan", roles=["camat"],
                                                 nip="", active="0")).status_code == 302
    shadow = db.session.scalar(select(User).where(User.username == "bayangan"))
    assert client.post("/people/delegations", data=_delegation(shadow, users["kasi"], "plt")).status_code == 422
    assert db.session.scalar(select(Delegation)) is None
    assert [_rule(e) for e in _refusals(db, "delegation.create")] == ["plt_while_the_office_has_a_holder"] * 2


def test_one_plt_for_a_vacant_office_whoever_held_it(client, login_as, users, db):
    login_as("admin")
    old_camat = users["camat"]
    assert client.post(f"/people/{old_camat.id}/edit", data=_edit_form(old_camat, active="0")).status_code == 302
    assert client.post("/people/new", data=_form(username="dulu", full_name="Camat Terdahulu", roles=["camat"], nip="",
                                                 active="0")).status_code == 302
    earlier = db.session.scalar(select(User).where(User.username == "dulu"))
    assert client.post("/people/delegations", data=_delegation(old_camat, users["sekcam"], "plt")).status_code == 302
    second = client.post("/people/delegations", data=_delegation(earlier, users["kasi"], "plt"))
    assert second.status_code == 422 and "sudah menjadi pengganti untuk jabatan Camat" in second.text
    assert len(db.session.scalars(select(Delegation)).all()) == 1


def test_a_plt_ends_when_the_official_is_back_in_office(client, login_as, users, db):
    """The Camat's account was disabled, a Plt recorded, the account enabled again: the Plt went on, and the
    Sekcam's inbox said "today you act as Plt. Camat" while the Camat signed too."""
    login_as("admin")
    camat = users["camat"]
    assert client.post(f"/people/{camat.id}/edit", data=_edit_form(camat, active="0")).status_code == 302
    assert client.post("/people/delegations", data=_delegation(camat, users["sekcam"], "plt")).status_code == 302
    assert client.post(f"/people/{camat.id}/edit", data=_edit_form(_fresh_user(db, camat), active="1")) \
        .status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Delegation)).revoked
    ended = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.revoke")).one()
    assert "memegang jabatan itu lagi" in ended.comment

from datetime import date, timedelta

from sqlalchemy import select

from plaju.accounts.models import Delegation, User
from plaju.audit.models import AuditEvent

VALID_NIP = "198503122010011003"


def _form(**overrides):
    data = {"username": "baru", "full_name": "Pegawai Baru", "nip": VALID_NIP, "position": "Pengolah Data",
            "email": "", "unit_id": "0", "supervisor_id": "0", "roles": ["clerk"], "active": "y",
            "password": "kata-sandi-awal-1"}
    data.update(overrides)
    return data


def test_hr_creates_an_account_with_roles_and_it_is_audited(client, login_as, db):
    login_as("hr")
    response = client.post("/people/new", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = db.session.scalar(select(User).where(User.username == "baru"))
    assert user.roles == {"clerk"} and user.nip == VALID_NIP
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.changes_dict["roles"] == [None, "clerk"]
    assert event.actor_name == "Hr Uji"


def test_bad_nip_is_refused_with_a_message_and_nothing_saved(client, login_as, db):
    login_as("admin")
    response = client.post("/people/new", data=_form(nip="19850312201001100"))
    assert response.status_code == 422
    assert "NIP harus 18 digit" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "baru")) is None


def test_role_change_is_recorded_before_and_after(client, login_as, users, db):
    login_as("admin")
    asn = users["asn"]
    response = client.post(f"/people/{asn.id}/edit", data=_form(username="asn", full_name=asn.full_name, nip="",
                                                                 roles=["section_head"], password=""))
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.changes_dict["roles"] == ["", "section_head"]


def test_an_asn_cannot_manage_people(client, login_as):
    login_as("asn")
    assert client.get("/people/").status_code == 403
    assert client.post("/people/new", data=_form()).status_code == 403


def test_camat_appoints_a_plh_and_revokes_it(client, login_as, users, db):
    login_as("camat")
    today = date.today()
    response = client.post("/people/delegations", data={
        "principal_id": users["camat"].id, "delegate_id": users["sekcam"].id, "kind": "plh",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat(), "note": "Dinas luar"})
    assert response.status_code == 302
    delegation = db.session.scalar(select(Delegation))
    assert (delegation.kind, delegation.delegate_id) == ("plh", users["sekcam"].id)
    assert client.post(f"/people/delegations/{delegation.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).revoked
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["delegation.create", "delegation.revoke"]


def test_delegation_ending_before_it_starts_is_refused(client, login_as, users, db):
    login_as("hr")
    today = date.today()
    response = client.post("/people/delegations", data={
        "principal_id": users["camat"].id, "delegate_id": users["sekcam"].id, "kind": "plh",
        "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert db.session.scalar(select(Delegation)) is None


def test_hr_cannot_grant_itself_or_anyone_privileged_roles(client, login_as, users, db):
    login_as("hr")
    hr = users["hr"]
    own = client.post(f"/people/{hr.id}/edit", data=_form(username="hr", full_name=hr.full_name, nip="",
                                                            roles=["hr", "admin"], password=""))
    assert own.status_code == 422
    assert "peran Anda sendiri" in own.get_data(as_text=True)
    asn = users["asn"]
    other = client.post(f"/people/{asn.id}/edit", data=_form(username="asn", full_name=asn.full_name, nip="",
                                                              roles=["camat"], password=""))
    assert other.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, hr.id).roles == {"hr"} and db.session.get(User, asn.id).roles == set()


def test_hr_may_give_counter_roles_but_not_reset_the_camats_password(client, login_as, users, db):
    login_as("hr")
    asn = users["asn"]
    ok = client.post(f"/people/{asn.id}/edit", data=_form(username="asn", full_name=asn.full_name, nip="",
                                                           roles=["clerk"], password=""))
    assert ok.status_code == 302
    camat = users["camat"]
    takeover = client.post(f"/people/{camat.id}/edit", data=_form(
        username="camat", full_name=camat.full_name, nip="", roles=["camat"], password="diambil-alih-123"))
    assert takeover.status_code == 422
    db.session.expire_all()
    assert not db.session.get(User, camat.id).check_password("diambil-alih-123")


def test_nobody_appoints_themselves_plh_and_a_camat_only_for_himself(client, login_as, users, db):
    today = date.today().isoformat()
    login_as("hr")
    own = client.post("/people/delegations", data={
        "principal_id": users["camat"].id, "delegate_id": users["hr"].id, "kind": "plh",
        "starts_on": today, "ends_on": today})
    assert own.status_code == 422
    login_as("camat")
    for_other = client.post("/people/delegations", data={
        "principal_id": users["kasi"].id, "delegate_id": users["kasi2"].id, "kind": "plh",
        "starts_on": today, "ends_on": today})
    assert for_other.status_code == 422
    assert db.session.scalar(select(Delegation)) is None


def test_the_stand_in_is_told_and_may_read_the_list(client, login_as, users, db):
    from plaju.notify.models import Notification
    today = date.today().isoformat()
    login_as("camat")
    client.post("/people/delegations", data={"principal_id": users["camat"].id, "delegate_id": users["sekcam"].id,
                                             "kind": "plh", "starts_on": today, "ends_on": today})
    note = db.session.scalar(select(Notification).where(Notification.user_id == users["sekcam"].id))
    assert "Plh" in note.subject
    login_as("sekcam")
    page = client.get("/people/delegations")
    assert page.status_code == 200 and 'name="principal_id"' not in page.get_data(as_text=True)
    assert client.post("/people/delegations", data={}).status_code == 403

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plaju.accounts import rules
from plaju.accounts.delegations import months_later
from plaju.accounts.models import Delegation, User
from plaju.accounts.people import save_user
from plaju.audit.models import AuditEvent
from plaju.notify.models import Notification
from plaju.once import new_token
from plaju.timeutil import today_wib
from tests.support import PASSWORD, make_user

VALID_NIP = "198503122010011003"
ONE_TIME = "Rumah-Kebun-Sawo-77"


def _form(**overrides):
    data = {"username": "baru", "full_name": "Pegawai Baru", "nip": VALID_NIP, "position": "Pengolah Data",
            "email": "", "unit_id": "0", "supervisor_id": "0", "roles": [], "roles_shown": "1", "active": "1",
            "password": "kata-sandi-awal-1", "form_token": new_token()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _edit_form(user, **overrides):
    from plaju.accounts.people import edit_stamp
    from plaju.extensions import db
    now = db.session.get(User, user.id)
    db.session.refresh(now)  # the account as it is now, as a freshly opened form shows it
    data = {"seen": edit_stamp(now), "username": user.username, "full_name": user.full_name, "nip": user.nip or "",
            "position": user.position, "email": user.email or "", "unit_id": str(user.unit_id or 0),
            "supervisor_id": str(user.supervisor_id or 0), "roles": sorted(user.roles), "active": "1",
            "password": ""}
    data.update(overrides)
    return _form(**data)


def _rule(event) -> str:
    """The rule a refusal was recorded under ("[own_roles] what they were told")."""
    return event.comment[1:event.comment.index("]")]


def _refusals(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.outcome == "refused")).all()


def _fresh(db, user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_hr_creates_an_account_without_roles_with_a_one_time_password(client, login_as, db):
    login_as("hr")
    response = client.post("/people/new", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = db.session.scalar(select(User).where(User.username == "baru"))
    assert user.roles == set() and user.nip == VALID_NIP and user.must_change_password
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.actor_name == "Hr Uji" and event.outcome == "ok"
    history = client.get(f"/audit/?subject=user:{user.id}").text
    assert "Peran: ASN<" in history  # no role reads as the people list shows it, not "—"


@pytest.mark.parametrize("role", sorted(rules.AUTHORITY_ROLES))
def test_hr_cannot_create_an_account_with_an_authority_role(client, login_as, db, role):
    login_as("hr")
    response = client.post("/people/new", data=_form(roles=[role]))
    assert response.status_code == 403
    assert "Hanya administrator yang dapat memberikan atau mencabut peran berwenang" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "baru")) is None
    (refusal,) = _refusals(db, "user.create")
    assert _rule(refusal) == "authority_roles_admin_only"
    # HR can prove what was tried, not only that something was: the role and the account asked for
    assert refusal.changes_dict["roles"] == [None, role] and refusal.changes_dict["username"] == [None, "baru"]
    assert "kata-sandi" not in (refusal.changes or "")  # a password asked for is "reset", never its value


def test_bad_nip_is_refused_with_a_message_and_nothing_saved(client, login_as, db):
    login_as("admin")
    response = client.post("/people/new", data=_form(nip="19850312201001100"))
    assert response.status_code == 422
    assert "NIP atau NI PPPK harus 18 digit" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "baru")) is None


def test_every_fault_of_a_new_account_is_said_in_one_answer(client, login_as, users, db):
    """A taken username, a NIP another account holds (named) and a weak password: one answer, not three."""
    users["kasi"].nip = "198503122010011002"
    db.session.commit()
    login_as("admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    page = client.post("/people/new", data=_form(username="asn", nip="198503122010011002", password="pendek"))
    assert page.status_code == 422
    assert "Nama pengguna asn sudah dipakai" in page.text
    assert "NIP ini sudah dipakai akun kasi" in page.text
    assert "Kata sandi harus terdiri atas sekurang-kurangnya 10 karakter" in page.text
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize(("field", "value", "said"), [
    ("username", "Siti Aminah", "tanpa spasi"),
    ("username", "x", "2 sampai 40"),
    ("username", "siti/aminah", "tanpa spasi"),
    ("email", "siti@", "Ini bukan alamat e-mail"),
    ("email", "siti aminah@plaju.go.id", "Ini bukan alamat e-mail"),
])
def test_a_username_with_spaces_or_a_broken_e_mail_is_refused_and_nothing_saved(client, login_as, db, field,
                                                                                 value, said):
    login_as("hr")
    before = db.session.scalar(select(func.count()).select_from(User))
    response = client.post("/people/new", data=_form(**{field: value}))
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_admin_grants_a_role_recorded_before_and_after_and_the_sessions_end(app, client, login_as, users, db):
    asn = users["asn"]
    other = app.test_client()
    other.post("/login", data={"username": "asn", "password": PASSWORD})
    assert other.get("/").status_code == 200
    login_as("admin")
    response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, roles=["section_head"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.changes_dict["roles"] == ["", "section_head"]
    assert other.get("/").status_code == 302  # granted under the old roles: signed out
    # HR reads the change in the office's words, a set of roles included
    response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, roles=["clerk", "section_head"]))
    assert response.status_code == 302
    from plaju.audit import sentences
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")
                                .order_by(AuditEvent.seq)).all()
    with app.test_request_context("/"):
        said = [(c.label, c.before, c.after) for line in sentences.render(events) for c in line.changes
                if c.label == "Peran"]
    assert said == [("Peran", "ASN", "Kepala Seksi (Kasi)"),
                    ("Peran", "Kepala Seksi (Kasi)", "Petugas loket, Kepala Seksi (Kasi)")]


def test_an_asn_cannot_manage_people(client, login_as):
    login_as("asn")
    assert client.get("/people/").status_code == 403
    assert client.post("/people/new", data=_form()).status_code == 403


@pytest.mark.parametrize("target", ["clerk", "kasi", "camat", "admin", "hr"])
def test_hr_cannot_edit_reset_or_deactivate_an_account_with_authority(client, login_as, users, db, target):
    login_as("hr")
    victim = users[target]
    assert client.get(f"/people/{victim.id}/edit").status_code == 403
    for attempt in (_edit_form(victim, password="diambil-alih-Kebun-42"), _edit_form(victim, active="0"),
                    _edit_form(victim, full_name="Nama Lain")):
        response = client.post(f"/people/{victim.id}/edit", data=attempt)
        assert response.status_code == 403
        assert "Hanya administrator yang dapat mengubah akun" in response.get_data(as_text=True)
    fresh = _fresh(db, victim)
    assert fresh.active and fresh.full_name == victim.full_name and fresh.check_password(PASSWORD)
    assert len(_refusals(db, "user.update")) == 3


def test_the_people_list_offers_edit_only_where_the_rules_allow(client, login_as, users):
    login_as("hr")
    body = client.get("/people/").get_data(as_text=True)
    assert f"/people/{users['asn'].id}/edit" in body
    assert f"/people/{users['camat'].id}/edit" not in body and f"/people/{users['clerk'].id}/edit" not in body


def test_a_reset_is_one_time_ends_sessions_notifies_and_is_audited(app, client, login_as, users, db):
    asn = users["asn"]
    victim_session = app.test_client()
    victim_session.post("/login", data={"username": "asn", "password": PASSWORD})
    login_as("hr")
    response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, password=ONE_TIME))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    said = client.get(response.headers["Location"]).text  # what the reset does, said when it is done
    assert "Kata sandi sementara berlaku sampai" in said and "Selama 30 hari Anda tidak memverifikasi" in said
    assert victim_session.get("/").status_code == 302
    fresh = _fresh(db, asn)
    assert fresh.must_change_password and fresh.check_password(ONE_TIME)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.changes_dict["password"] == ["***", "(reset, one-time)"]
    history = client.get(f"/audit/?subject=user:{asn.id}").text  # HR reads it in words, not the stored codes
    assert "(tidak ditampilkan) → diatur ulang, sementara" in history and "reset, one-time" not in history
    note = db.session.scalar(select(Notification).where(Notification.user_id == asn.id))
    assert "direset" in note.subject
    # the owner signs in with it and is held on the password page until a new one is chosen
    client.post("/logout")
    assert client.post("/login", data={"username": "asn", "password": ONE_TIME}).status_code == 302
    for path in ("/", "/training/me", "/notifications/", "/people/delegations"):
        held = client.get(path)
        assert held.status_code == 302 and held.headers["Location"] == "/account/password"
    assert client.get("/", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/account/password"
    assert client.get("/account/password").status_code == 200
    changed = client.post("/account/password", data={"current": ONE_TIME, "new": "Sungai-Musi-Pagi-9",
                                                      "confirm": "Sungai-Musi-Pagi-9"})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
    assert not _fresh(db, asn).must_change_password


def test_a_reset_password_must_follow_the_password_rules(client, login_as, users, db):
    login_as("admin")
    asn = users["asn"]
    for weak in ("password1234", "asn-uji-12345", "qwertyuiop"):
        response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, password=weak))
        assert response.status_code == 422, weak
    assert _fresh(db, asn).check_password(PASSWORD)


def test_admin_resets_and_deactivates_an_authority_account(app, client, login_as, users, db):
    camat, clerk = users["camat"], users["clerk"]
    clerk_session = app.test_client()
    clerk_session.post("/login", data={"username": "clerk", "password": PASSWORD})
    login_as("admin")
    assert client.post(f"/people/{clerk.id}/edit", data=_edit_form(clerk, password=ONE_TIME)).status_code == 302
    assert clerk_session.get("/").status_code == 302
    disabled = client.post(f"/people/{camat.id}/edit", data=_edit_form(camat, active="0"), follow_redirects=True)
    assert not _fresh(db, camat).active
    # told what it means for the person, not only "saved"
    assert f"Akun camat dinonaktifkan: {camat.full_name} tidak dapat masuk lagi." in disabled.get_data(as_text=True)
    enabled = client.post(f"/people/{camat.id}/edit", data=_edit_form(_fresh(db, camat), active="1"),
                          follow_redirects=True)
    assert "Akun camat diaktifkan kembali." in enabled.get_data(as_text=True) and _fresh(db, camat).active


def test_nobody_changes_their_own_roles_or_deactivates_themselves(client, login_as, users, db):
    admin = users["admin"]
    login_as("admin")
    own_roles = client.post(f"/people/{admin.id}/edit", data=_edit_form(admin, roles=[]))
    assert own_roles.status_code == 422 and "peran Anda sendiri" in own_roles.get_data(as_text=True)
    own_active = client.post(f"/people/{admin.id}/edit", data=_edit_form(admin, active="0"))
    assert own_active.status_code == 422
    fresh = _fresh(db, admin)
    assert fresh.roles == {"admin"} and fresh.active
    assert [_rule(e) for e in _refusals(db, "user.update")] == ["own_roles", "own_account"]


def test_nobody_names_themselves_someones_supervisor_and_the_form_does_not_offer_it(client, login_as, users, db):
    """HR keeps the people records and credits the JP: naming himself an ASN's supervisor would let him
    approve that ASN's training too. Refused and audited, on a new account as on an existing one."""
    asn, hr = users["asn"], users["hr"]
    login_as("hr")
    form = client.get(f"/people/{asn.id}/edit").get_data(as_text=True)
    select_box = form.split("supervisor_id", 1)[1].split("</select>", 1)[0]
    offered = set(re.findall(r"<option[^>]*value=\"(\d+)\"", select_box))
    assert str(users["kasi"].id) in offered and str(hr.id) not in offered
    edited = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(hr.id)))
    assert edited.status_code == 403 and "atasan langsung" in edited.get_data(as_text=True)
    created = client.post("/people/new", data=_form(supervisor_id=str(hr.id)))
    assert created.status_code == 403
    assert _fresh(db, asn).supervisor_id == users["kasi"].id
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "baru")) == 0
    assert [_rule(e) for e in _refusals(db, "user.update") + _refusals(db, "user.create")] == [
        "own_supervision", "own_supervision"]
    # someone else may name HR (the admin), and HR may keep the supervisor an account already has
    login_as("admin")
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(hr.id))).status_code == 302
    login_as("hr")
    kept = client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), position="Analis"))
    assert kept.status_code == 302 and _fresh(db, asn).supervisor_id == hr.id


def test_nobody_names_a_person_who_has_left_as_supervisor(client, login_as, users, db):
    """HR stands in for a supervisor who left: naming a disabled account as someone's supervisor handed HR
    the approval of that person's training (and the JP it credits). Not offered, refused, audited."""
    asn = users["asn"]
    gone = make_user("eks.pegawai", active=False)
    login_as("hr")
    form = client.get(f"/people/{asn.id}/edit").get_data(as_text=True)
    select_box = form.split("supervisor_id", 1)[1].split("</select>", 1)[0]
    assert f'value="{gone.id}"' not in select_box and f'value="{users["kasi"].id}"' in select_box
    for url, data in ((f"/people/{asn.id}/edit", _edit_form(asn, supervisor_id=str(gone.id))),
                      ("/people/new", _form(supervisor_id=str(gone.id)))):
        refused = client.post(url, data=data)
        assert refused.status_code == 422 and "sudah dinonaktifkan" in refused.get_data(as_text=True)
    assert _fresh(db, asn).supervisor_id == users["kasi"].id
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "baru")) == 0
    assert [_rule(e) for e in _refusals(db, "user.update") + _refusals(db, "user.create")] == [
        "supervisor_disabled", "supervisor_disabled"]


def test_hr_does_not_disable_a_supervisor_to_decide_their_staffs_training(client, login_as, users, db):
    """The administrator named an ordinary ASN as a colleague's supervisor; HR disabled that ASN and, standing
    in for a supervisor who has left, approved the colleague's training. Only the administrator disables
    someone who supervises others; HR first records another supervisor for them. Refused and audited."""
    asn, lead = users["asn"], make_user("ketua.tim")
    login_as("admin")
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(lead.id))).status_code == 302
    login_as("hr")
    refused = client.post(f"/people/{lead.id}/edit", data=_edit_form(lead, active="0"))
    assert refused.status_code == 403 and "atasan langsung dari 1 orang" in refused.get_data(as_text=True)
    assert _fresh(db, lead).active
    assert [_rule(e) for e in _refusals(db, "user.update")] == ["disable_a_supervisor_admin_only"]
    log = client.get("/audit/", query_string={"outcome": "refused"}).text  # as HR was told, not the rule's name
    assert "atasan langsung dari 1 orang" in log and "admin only" not in log
    # with another supervisor recorded for the staff, HR may record the departure
    moved = _edit_form(_fresh(db, asn), supervisor_id=str(users["kasi"].id))
    assert client.post(f"/people/{asn.id}/edit", data=moved).status_code == 302
    assert client.post(f"/people/{lead.id}/edit", data=_edit_form(_fresh(db, lead), active="0")).status_code == 302
    assert not _fresh(db, lead).active


def test_the_last_active_admin_is_never_removed(client, login_as, users, db):
    admin = users["admin"]
    # an admin account that is itself disabled is the only other one: it cannot leave the office without
    retired = make_user("retired", "admin", active=False)
    for change in ({"active": 0}, {"roles": []}):
        data = {"username": "admin", "full_name": admin.full_name, "nip": None, "position": "",
                "email": "", "unit_id": admin.unit_id, "supervisor_id": 0, "active": 1, "roles": ["admin"]}
        data.update(change)
        with pytest.raises(rules.Refusal) as refused:
            save_user(_fresh(db, retired), _fresh(db, admin), data)
        assert refused.value.rule == "last active admin"
    fresh = _fresh(db, admin)
    assert fresh.active and fresh.roles == {"admin"}
    # with a second active admin the first may go
    make_user("admin2", "admin")
    login_as("admin2")
    assert client.post(f"/people/{admin.id}/edit", data=_edit_form(fresh, active="0")).status_code == 302


def test_an_incomplete_edit_is_refused_and_changes_nothing(client, login_as, users, db):
    login_as("admin")
    kasi = users["kasi"]
    for missing in ("active", "roles_shown", "full_name", "unit_id", "supervisor_id", "email", "position", "nip"):
        data = _edit_form(kasi, **{missing: None})
        response = client.post(f"/people/{kasi.id}/edit", data=data)
        assert response.status_code == 422, missing
        assert "tidak terkirim bersama formulir" in response.get_data(as_text=True) or missing == "full_name"
    # roles are sent as "no box ticked" only together with the marker: without it nothing changes
    client.post(f"/people/{kasi.id}/edit", data=_edit_form(kasi, roles=None, roles_shown=None))
    fresh = _fresh(db, kasi)
    assert fresh.active and fresh.roles == {"section_head"} and fresh.supervisor_id == users["camat"].id


def _delegation(principal, delegate, kind="plh", **overrides):
    today = today_wib()  # the office's day: from 17.00 UTC the machine's date is a day behind
    data = {"principal_id": principal.id, "delegate_id": delegate.id, "kind": kind,
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat(),
            "order_number": "800/123/SP/2026", "order_date": today.isoformat(), "note": "Dinas luar",
            "form_token": new_token()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_camat_records_his_plh_with_its_surat_perintah_and_revokes_it(client, login_as, users, db):
    login_as("camat")
    response = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    delegation = db.session.scalar(select(Delegation))
    assert (delegation.kind, delegation.delegate_id, delegation.order_number) == (
        "plh", users["sekcam"].id, "800/123/SP/2026")
    assert client.post(f"/people/delegations/{delegation.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).revoked
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["delegation.create", "delegation.revoke"]
    # revoked again (a page kept open): told who revoked it and when, and the log has the attempt
    again = client.post(f"/people/delegations/{delegation.id}/revoke", follow_redirects=True)
    assert "Pelimpahan ini sudah dicabut oleh Camat Uji," in again.text
    # the list says when and by whom: the letters he signed before it stand, those after would not
    listed = client.get("/people/delegations").text
    when = re.search(r'data-testid="revoked-at">([^<]*)<br>oleh Camat Uji</div>', listed)
    assert when and "WIB" in when.group(1)
    refusal = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (refusal.action, refusal.outcome) == ("delegation.revoke", "refused")
    assert refusal.comment.startswith("[input:already_revoked] Pelimpahan ini sudah dicabut oleh Camat Uji,")
    # HR reads the appointment as its form: official, stand-in, kind, period, then the surat perintah
    from plaju.audit.sentences import render
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.create")).one()
    [line] = render([created])
    assert [c.label for c in line.changes] == ["Pejabat", "Pejabat pengganti", "Jenis", "Mulai", "Sampai",
                                               "Nomor surat perintah", "Tanggal surat perintah"]


def test_the_delegation_form_offers_only_what_the_rules_allow(client, login_as, users, db):
    """The Camat appoints a Plh for himself only, from the Sekcam and Kasi; a Plt is the administrator's.
    HR, who records neither, is told who does."""
    def options(page, name):
        select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        return set(re.findall(r'<option[^>]*value="(\w+)"', select_html)) - {"0"}
    login_as("camat")
    page = client.get("/people/delegations").get_data(as_text=True)
    assert options(page, "principal_id") == {str(users["camat"].id)}
    stand_ins = {str(u.id) for u in users.values() if u.active and u.roles & {"sekcam", "section_head"}}
    assert options(page, "delegate_id") == stand_ins and str(users["asn"].id) not in stand_ins
    assert options(page, "kind") == {"plh"}
    login_as("admin")
    page = client.get("/people/delegations").get_data(as_text=True)
    # the admin appoints for any official, never for someone who holds no office to stand in for
    officials = {str(u.id) for u in users.values() if u.active and u.roles & {"camat", "sekcam", "section_head"}}
    assert options(page, "kind") == {"plh", "plt"} and options(page, "principal_id") == officials
    assert str(users["hr"].id) not in officials and str(users["asn"].id) not in officials
    refused = client.post("/people/delegations", data=_delegation(users["asn"], users["sekcam"]))
    assert refused.status_code == 422 and "tidak memegang jabatan seperti itu" in refused.text
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 0
    assert db.session.scalar(select(AuditEvent.comment).where(AuditEvent.action == "delegation.create",
                                                              AuditEvent.outcome == "refused")) is not None
    login_as("hr")
    page = client.get("/people/delegations").get_data(as_text=True)
    assert 'data-testid="who-records"' in page and "Hanya administrator atau Camat" in page


def test_a_plh_from_a_later_day_is_announced_for_that_day(client, login_as, users, db):
    login_as("camat")
    start = today_wib() + timedelta(days=3)
    response = client.post("/people/delegations", follow_redirects=True, data=_delegation(
        users["camat"], users["sekcam"], starts_on=start.isoformat(), ends_on=(start + timedelta(days=2)).isoformat()))
    page = response.get_data(as_text=True)
    # the office too, as the signature gives it: "Plh untuk Camat Uji" did not say which office he holds
    assert "akan menjadi Plh. Camat Plaju, menggantikan Camat Uji, mulai" in page and "sekarang menjadi" not in page


@pytest.mark.parametrize("missing", ["order_number", "order_date"])
def test_a_delegation_without_its_surat_perintah_is_refused(client, login_as, users, db, missing):
    login_as("admin")
    response = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"], "plt",
                                                                   **{missing: None}))
    assert response.status_code == 422 and "surat perintah" in response.get_data(as_text=True)
    assert db.session.scalar(select(Delegation)) is None


def test_hr_no_longer_appoints_a_plt_camat(client, login_as, users, db):
    # the attack of issue 7: HR makes an account it controls the Plt Camat
    login_as("hr")
    response = client.post("/people/delegations", data=_delegation(users["camat"], users["asn"], "plt"))
    assert response.status_code == 403
    assert "Hanya administrator atau Camat" in response.get_data(as_text=True)
    assert db.session.scalar(select(Delegation)) is None
    assert [_rule(e) for e in _refusals(db, "delegation.create")] == ["delegators_only"]


def test_only_the_admin_records_a_plt(client, login_as, users, db):
    login_as("camat")
    refused = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"], "plt"))
    assert refused.status_code == 403 and "Wali Kota" in refused.get_data(as_text=True)
    login_as("admin")
    assert client.post("/people/delegations",
                       data=_delegation(users["camat"], users["sekcam"], "plt")).status_code == 302
    plt = db.session.scalar(select(Delegation))
    login_as("camat")
    assert client.post(f"/people/delegations/{plt.id}/revoke").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Delegation, plt.id).revoked


@pytest.mark.parametrize("delegate", ["asn", "clerk", "hr"])
def test_the_stand_in_must_hold_the_sekcam_or_kasi_role(client, login_as, users, db, delegate):
    login_as("admin")
    response = client.post("/people/delegations", data=_delegation(users["camat"], users[delegate]))
    assert response.status_code == 422
    assert "Sekcam atau Kasi" in response.get_data(as_text=True)
    assert db.session.scalar(select(Delegation)) is None
    assert [_rule(e) for e in _refusals(db, "delegation.create")] == ["delegate_must_be_sekcam_or_kasi"]


def test_one_person_holds_one_official_s_authority_at_a_time(client, login_as, users, db):
    """The Kasi was Plh of Kasi 2 while Kasi 2 was his Plh, and Plh Sekcam and Plh Camat too, all on the
    same days; while his own Plh was in force he signed off an enrolment as Plh Camat."""
    login_as("admin")
    kasi, kasi2 = users["kasi"], users["kasi2"]

    def record(principal, delegate):
        return client.post("/people/delegations", data=_delegation(principal, delegate))
    assert record(kasi, kasi2).status_code == 302  # Kasi is away; Kasi 2 stands in
    for principal, delegate, words in (
            (kasi2, kasi, "berhalangan"),  # the one who is away stands in for nobody
            (users["sekcam"], kasi, "berhalangan"),
            (users["camat"], kasi2, "sudah menjadi pejabat pengganti"),  # Kasi 2 holds one official's authority
            (kasi2, users["sekcam"], "menjadi pejabat pengganti bagi")):  # Kasi 2, standing in, is not away meanwhile
        refused = record(principal, delegate)
        assert refused.status_code == 422 and words in refused.text, (principal.username, delegate.username)
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 1


def test_delegation_ending_before_it_starts_is_refused(client, login_as, users, db):
    login_as("camat")
    today = today_wib()
    response = client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], ends_on=(today - timedelta(days=1)).isoformat()))
    assert response.status_code == 422
    assert db.session.scalar(select(Delegation)) is None


def test_an_account_saved_from_a_form_opened_before_another_change_is_refused(client, login_as, users, db):
    """HR changes the position in one tab, then the e-mail in a tab opened before: the second save would
    have put the old position back without a word."""
    asn = users["asn"]
    login_as("hr")
    tabs = [client.get(f"/people/{asn.id}/edit").get_data(as_text=True) for _tab in range(2)]
    seen = [re.search(r'name="seen" type="hidden" value="([^"]+)"|name="seen" value="([^"]+)"', page)
            for page in tabs]
    seen = [m.group(1) or m.group(2) for m in seen]
    assert seen[0] == seen[1]
    first = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, position="Analis Kebijakan", seen=seen[0]))
    assert first.status_code == 302
    second = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, email="asn.baru@plaju.go.id", seen=seen[1]),
                         follow_redirects=True)
    page = second.get_data(as_text=True)
    assert users["hr"].full_name in page and "setelah Anda membuka formulir" in page
    assert 'value="Analis Kebijakan"' in page  # the form shows the account as saved
    # what this tab typed is listed to enter again; the old position it still held is not
    assert "Belum tersimpan, isikan lagi bila masih diperlukan: E-mail: asn.baru@plaju.go.id" in page
    assert "Jabatan:" not in page.split("Belum tersimpan")[1].split("</div>")[0]
    fresh = _fresh(db, asn)
    assert fresh.position == "Analis Kebijakan" and fresh.email != "asn.baru@plaju.go.id"
    [refusal] = _refusals(db, "user.update")
    assert "[input:stale]" in refusal.comment
    # a post without the form's fingerprint is as stale as an old one: leaving the field out skips nothing
    unstamped = _edit_form(asn, email="tanpa.sidik@plaju.go.id")
    unstamped.pop("seen")
    client.post(f"/people/{asn.id}/edit", data=unstamped)
    assert _fresh(db, asn).email != "tanpa.sidik@plaju.go.id"


def test_a_delegation_already_over_or_overlapping_another_is_refused(client, login_as, users, db):
    """Two stand-ins for one official on the same day could both sign as "Plh. Camat"."""
    login_as("camat")
    today = today_wib()
    past = client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], starts_on=(today - timedelta(days=10)).isoformat(),
        ends_on=(today - timedelta(days=5)).isoformat()))
    assert past.status_code == 422 and "sudah lewat" in past.text
    assert "pelaksana" not in past.text.split("sudah lewat")[1][:80]  # "pelaksana harian" was said of a Plt too
    assert client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], ends_on=(today + timedelta(days=3)).isoformat())).status_code == 302
    overlap = client.post("/people/delegations", data=_delegation(
        users["camat"], users["kasi"], starts_on=(today + timedelta(days=2)).isoformat(),
        ends_on=(today + timedelta(days=4)).isoformat()))
    page = overlap.get_data(as_text=True)
    assert overlap.status_code == 422 and users["sekcam"].full_name in page and "Cabut penunjukan itu dulu" in page
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 1
    # the days after it are free
    after = client.post("/people/delegations", data=_delegation(
        users["camat"], users["kasi"], starts_on=(today + timedelta(days=4)).isoformat(),
        ends_on=(today + timedelta(days=6)).isoformat(), order_number="800/124/SP/2026"))
    assert after.status_code == 302


def test_a_delegation_is_at_most_three_months_and_its_order_signed_before_it_starts(client, login_as, users, db):
    """SE Kepala BKN 1/SE/I/2021: a Plh or Plt serves at most three months; "until 31 Dec 9999" would hand
    the Camat's authority on for good. The surat perintah comes first, and cannot be dated in the future."""
    login_as("camat")
    today = today_wib()
    cases = [
        ({"ends_on": "9999-12-31"}, "paling lama 3 bulan"),
        ({"ends_on": (today + timedelta(days=100)).isoformat()}, "paling lama 3 bulan"),
        ({"order_date": (today + timedelta(days=1)).isoformat(), "starts_on": (today + timedelta(days=5)).isoformat(),
          "ends_on": (today + timedelta(days=8)).isoformat()}, "hari yang belum tiba"),
        # back-dated, it would become the basis the log reads for acts taken before it was recorded
        ({"order_date": (today - timedelta(days=40)).isoformat(),
          "starts_on": (today - timedelta(days=30)).isoformat()}, "bertindak sejak hari dicatat"),
        # a year far away was a 500 (no date three months after 1 Dec 9999) and an order of year 1 was taken
        ({"starts_on": "9999-12-01", "ends_on": "9999-12-02"}, "paling lama setahun"),
        ({"order_date": "0001-01-01"}, "lebih dari setahun sebelum"),
    ]
    for overrides, words in cases:
        refused = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"], **overrides))
        assert refused.status_code == 422 and words in refused.get_data(as_text=True), overrides
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 0
    longest = client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], starts_on=today.isoformat(), order_date=today.isoformat(),
        ends_on=months_later(today, 3).isoformat()))
    assert longest.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delegation.create",
                                                       AuditEvent.outcome == "ok"))
    assert event.changes_dict["order_date"] == [None, today.isoformat()]
    assert len(_refusals(db, "delegation.create")) == len(cases)  # each refused form is in the log


def test_nobody_appoints_themselves_and_a_camat_only_for_himself(client, login_as, users, db):
    login_as("camat")
    for_other = client.post("/people/delegations", data=_delegation(users["kasi"], users["kasi2"]))
    assert for_other.status_code == 403
    admin_kasi = make_user("admin_kasi", "admin", "section_head")
    login_as("admin_kasi")
    own = client.post("/people/delegations", data=_delegation(users["camat"], admin_kasi))
    assert own.status_code == 422
    assert db.session.scalar(select(Delegation)) is None


def test_the_stand_in_is_told_and_may_read_the_list(client, login_as, users, db):
    login_as("camat")
    client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    note = db.session.scalar(select(Notification).where(Notification.user_id == users["sekcam"].id))
    assert "Plh" in note.subject and note.url == "/inbox/"  # to what now awaits him
    login_as("sekcam")
    page = client.get("/people/delegations")
    assert page.status_code == 200 and 'name="principal_id"' not in page.get_data(as_text=True)
    assert "800/123/SP/2026" in page.get_data(as_text=True)
    assert client.post("/people/delegations", data={}).status_code == 403


def test_the_stand_in_is_told_which_appointment_ended_and_which_still_stands(client, login_as, users, db):
    """Two appointments, tomorrow's and today's: "you no longer stand in for her" after today's was revoked
    read as the end of both, with no dates and no order number, and the appointment spoke of him in the third
    person."""
    today = today_wib()
    login_as("camat")
    tomorrow = today + timedelta(days=1)
    client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], starts_on=tomorrow.isoformat(), ends_on=tomorrow.isoformat(),
        order_number="800/01/PLJ/2026"))
    client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], ends_on=today.isoformat(), order_number="800/02/PLJ/2026"))
    appointed = db.session.scalars(select(Notification.subject).where(
        Notification.user_id == users["sekcam"].id)).all()
    told_as = "Anda menjadi Plh. Camat Plaju, menggantikan Camat Uji"
    assert appointed and all(s.startswith(told_as) for s in appointed), appointed
    todays = db.session.scalar(select(Delegation).where(Delegation.order_number == "800/02/PLJ/2026"))
    assert client.post(f"/people/delegations/{todays.id}/revoke").status_code in (200, 302, 303)
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["sekcam"].id)
                              .order_by(Notification.id.desc())).first()
    assert "800/02/PLJ/2026" in told.body and "Yang masih berlaku atau akan berlaku" in told.body
    assert "800/01/PLJ/2026" in told.body.split("Yang masih berlaku")[1]


def test_a_revoked_stand_in_is_told_at_once_and_so_is_the_official_when_another_revoked_it(
        client, login_as, users, db):
    """The Camat revoked his Plh: the Sekcam was told of the appointment, not of its end."""
    def notes(user):
        return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                  .order_by(Notification.id)).all()
    login_as("camat")
    client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    delegation = db.session.scalar(select(Delegation))
    assert client.post(f"/people/delegations/{delegation.id}/revoke").status_code == 302
    told = notes(users["sekcam"])[-1]
    assert told.subject == "Anda tidak lagi menggantikan Camat Uji" and "Camat Uji mencabut" in told.body
    assert notes(users["camat"]) == []  # he revoked it himself
    login_as("admin")  # the administrator records and revokes a Plt: both people concerned are told
    client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    second = db.session.scalars(select(Delegation).order_by(Delegation.id.desc())).first()
    client.post(f"/people/delegations/{second.id}/revoke")
    assert "Admin" in notes(users["camat"])[-1].body and len(notes(users["sekcam"])) == 4


def _notes(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_an_appointment_that_has_ended_is_not_revoked_after_the_fact(client, login_as, users, db):
    """Revoked days after its last day, it told the stand-in and the official "no longer stands in" and
    rewrote the record of what was done under it."""
    from plaju.i18n import date_text
    today = today_wib()
    login_as("camat")
    assert client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"])).status_code == 302
    delegation = db.session.scalar(select(Delegation))
    # it ran last week (the form records no period already past, so it is moved there)
    delegation.starts_on = delegation.order_date = today - timedelta(days=10)
    delegation.ends_on = today - timedelta(days=3)
    db.session.commit()
    told = _notes(db)
    for who in ("camat", "admin"):
        login_as(who)
        listed = client.get("/people/delegations").text
        assert f"/people/delegations/{delegation.id}/revoke" not in listed  # no "Cabut" on an ended row
        assert 'data-standing="ended">sudah berakhir<' in listed
        refused = client.post(f"/people/delegations/{delegation.id}/revoke", follow_redirects=True)
        assert f"sudah berakhir pada {date_text(today - timedelta(days=3))}" in refused.text
    db.session.expire_all()
    assert not db.session.get(Delegation, delegation.id).revoked and _notes(db) == told
    refusals = _refusals(db, "delegation.revoke")
    assert [_rule(e) for e in refusals] == ["input:ended"] * 2
    assert [e.actor_name for e in refusals] == ["Camat Uji", "Admin Uji"]
    # one that ends today is still in force, and still revoked
    delegation.ends_on = today
    db.session.commit()
    assert client.post(f"/people/delegations/{delegation.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).revoked


def test_the_list_says_where_each_appointment_stands_today(client, login_as, users, db):
    today = today_wib()
    login_as("admin")
    for principal, delegate, start, number in (("camat", "sekcam", 0, "800/1"), ("kasi", "kasi2", 0, "800/2"),
                                               ("sekcam", "kasi", 5, "800/3"), ("kasi2", "kasi", 10, "800/4")):
        day = today + timedelta(days=start)
        assert client.post("/people/delegations", data=_delegation(
            users[principal], users[delegate], starts_on=day.isoformat(), ends_on=day.isoformat(),
            order_number=number)).status_code == 302
    rows = {d.order_number: d for d in db.session.scalars(select(Delegation))}
    rows["800/2"].starts_on = rows["800/2"].order_date = rows["800/2"].ends_on = today - timedelta(days=1)
    rows["800/4"].revoked = True
    db.session.commit()
    listed = client.get("/people/delegations").text

    def row(d):
        return listed.split(f'data-delegation="{d.id}"')[1].split("</tr>")[0]
    assert {n: re.search(r'data-standing="(\w+)"', row(d)).group(1) for n, d in rows.items()} == {
        "800/1": "in_force", "800/2": "ended", "800/3": "upcoming", "800/4": "revoked"}
    assert {n for n, d in rows.items() if f"/people/delegations/{d.id}/revoke" in row(d)} == {"800/1", "800/3"}
    for words in ("berlaku hari ini", "akan berlaku", "sudah berakhir", "dicabut"):
        assert f">{words}</span>" in listed, words


def test_one_surat_perintah_number_is_recorded_for_one_appointment(client, login_as, users, db):
    """800/01/PLJ/2026 was taken for the Sekcam as Plh Camat, then again, dated days later, for a Kasi as Plh of
    another Kasi: the number no longer told which appointment an act rested on."""
    today = today_wib()
    login_as("admin")
    assert client.post("/people/delegations", data=_delegation(
        users["camat"], users["sekcam"], order_number="800/01/PLJ/2026")).status_code == 302
    first = db.session.scalar(select(Delegation))
    later = today + timedelta(days=6)
    again = _delegation(users["kasi"], users["kasi2"], order_number="  800 / 01/plj/2026 ", starts_on=later.isoformat(),
                        ends_on=later.isoformat())
    refused = client.post("/people/delegations", data=again)
    assert refused.status_code == 422
    assert "800 / 01/plj/2026 sudah tercatat untuk penunjukan lain: Plh. Camat Plaju: Sekcam Uji (" in refused.text
    assert db.session.scalar(select(func.count()).select_from(Delegation)) == 1
    [refusal] = _refusals(db, "delegation.create")
    assert refusal.comment.startswith("[input:form] ") and "800 / 01/PLJ/2026" in refusal.comment.upper()
    # once that appointment is revoked (recorded under the wrong number), the number is free for its own
    assert client.post(f"/people/delegations/{first.id}/revoke").status_code == 302
    again["form_token"] = new_token()
    assert client.post("/people/delegations", data=again).status_code == 302


def test_the_appointment_names_the_office_and_the_stand_in_as_the_form_does(client, login_as, users, db):
    """"Sekcam Uji sekarang menjadi Plh untuk Camat Uji" did not name the office; refusals said "pelaksana",
    also a class of staff, where the form says "Pejabat pengganti"."""
    login_as("camat")
    done = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]), follow_redirects=True)
    assert "Sekcam Uji sekarang menjadi Plh. Camat Plaju, menggantikan Camat Uji." in done.text
    subject = db.session.scalar(select(Notification.subject).where(Notification.user_id == users["sekcam"].id))
    assert subject.startswith("Anda menjadi Plh. Camat Plaju, menggantikan Camat Uji, ")
    login_as("admin")
    for data, words in ((_delegation(users["kasi"], users["kasi"]), "pejabat pengganti bagi dirinya sendiri"),
                        (_delegation(users["kasi"], users["kasi2"], delegate_id="0"), "Pilih pejabat pengganti")):
        refused = client.post("/people/delegations", data=data)
        assert refused.status_code == 422 and words in refused.text, words
    admin_kasi = make_user("admin_kasi", "admin", "section_head")
    login_as("admin_kasi")
    refused = client.post("/people/delegations", data=_delegation(users["camat"], admin_kasi))
    assert refused.status_code == 422 and "menunjuk diri sendiri sebagai pejabat pengganti" in refused.text


def test_two_admins_deactivating_each_other_at_once_leave_one_active(app, db, users):
    import threading
    make_user("admin2", "admin")
    ids = {name: db.session.scalar(select(User.id).where(User.username == name)) for name in ("admin", "admin2")}
    db.session.commit()  # end the test's read: on SQLite it would hold the write lock
    start = threading.Barrier(2)
    outcome = {}

    def deactivate(actor_name, target_name):
        with app.app_context():
            try:
                actor, target = db.session.get(User, ids[actor_name]), db.session.get(User, ids[target_name])
                data = {"username": target.username, "full_name": target.full_name, "nip": None, "position": "",
                        "email": "", "unit_id": target.unit_id, "supervisor_id": 0, "active": 0,
                        "roles": ["admin"]}
                roles = actor.roles  # loaded before the race: the refusal must come from the database state
                db.session.commit()
                start.wait(timeout=10)
                save_user(actor, target, data)
                outcome[actor_name] = ("ok", roles)
            except rules.Refusal as refusal:
                outcome[actor_name] = (refusal.rule, None)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deactivate, args=("admin", "admin2")),
               threading.Thread(target=deactivate, args=("admin2", "admin"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v[0] for v in outcome.values()) == ["last active admin", "ok"], outcome
    db.session.expire_all()
    assert sum(db.session.get(User, i).active for i in ids.values()) == 1


def test_new_account_posted_twice_creates_one_account(client, login_as, db):
    login_as("hr")
    data = _form()
    first = client.post("/people/new", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    again = client.post("/people/new", data=data)  # not "the username is already taken"
    user = db.session.scalar(select(User).where(User.username == "baru"))
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/people/{user.id}/edit")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "baru")) == 1
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).all()) == 1
    assert "sudah pernah dikirim" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_new_account_without_its_token_is_refused(client, login_as, db):
    login_as("hr")
    response = client.post("/people/new", data=_form(form_token=None))
    assert response.status_code == 422
    assert "Formulir sudah kedaluwarsa atau tidak lengkap" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "baru")) is None


def test_delegation_posted_twice_is_recorded_once(client, login_as, users, db):
    login_as("camat")
    data = _delegation(users["camat"], users["sekcam"])
    first = client.post("/people/delegations", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    again = client.post("/people/delegations", data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith("/people/delegations")
    assert len(db.session.scalars(select(Delegation)).all()) == 1
    note_count = db.session.scalar(select(func.count()).select_from(Notification)
                                   .where(Notification.user_id == users["sekcam"].id))
    assert note_count == 1  # the stand-in is told once


def test_a_delegation_reads_in_the_log_with_its_kind_as_written(app, client, login_as, users, db):
    from plaju.audit import sentences
    login_as("camat")
    assert client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"])).status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.create",
                                                        AuditEvent.outcome == "ok")).one()
    with app.test_request_context("/"):
        [line] = sentences.render([event])
    assert ("Jenis", "—", "Plh") in [(c.label, c.before, c.after) for c in line.changes]


@pytest.mark.parametrize("change", [{"roles": []}, {"active": "0"}])
def test_a_stand_in_who_loses_the_role_or_leaves_stops_standing_in(client, login_as, users, db, change):
    login_as("camat")
    client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    delegation = db.session.scalar(select(Delegation))
    assert not delegation.revoked
    login_as("admin")
    sekcam = _fresh(db, users["sekcam"])
    response = client.post(f"/people/{sekcam.id}/edit", data=_edit_form(sekcam, **change))
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert db.session.get(Delegation, delegation.id).revoked
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.revoke")).one()
    assert event.actor_name.startswith("Admin") and "Sekcam atau Kasi" in event.comment
    # the Camat, away, learns it now, not when nobody signs in his name
    told = db.session.scalars(select(Notification).where(Notification.user_id == users["camat"].id)).all()
    assert any("tidak lagi mewakili Anda" in n.subject for n in told), [n.subject for n in told]


def test_disabling_a_supervisor_says_whose_training_hr_now_decides(client, login_as, users, db):
    login_as("admin")
    kasi = _fresh(db, users["kasi"])
    page = client.post(f"/people/{kasi.id}/edit", data=_edit_form(kasi, active="0"),
                       follow_redirects=True).get_data(as_text=True)
    assert "tidak dapat masuk lagi" in page and "pegawai beratasan langsung" in page


def test_a_stand_in_keeping_the_role_keeps_the_delegation(client, login_as, users, db):
    login_as("camat")
    client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"]))
    login_as("admin")
    sekcam = _fresh(db, users["sekcam"])
    client.post(f"/people/{sekcam.id}/edit", data=_edit_form(sekcam, position="Sekretaris Camat Plaju"))
    db.session.expire_all()
    assert not db.session.scalar(select(Delegation)).revoked


def test_the_people_list_names_roles_as_the_office_says_them(client, login_as, users):
    login_as("hr")
    page = client.get("/people/").get_data(as_text=True)
    assert 'data-role="section_head">Kepala Seksi (Kasi)<' in page
    assert 'data-role="clerk">Petugas loket<' in page
    assert not re.search(r'<span class="badge[^>]*>(clerk|section_head|hr)</span>', page)


def test_a_move_to_another_unit_reads_with_the_units_names(app, client, login_as, users, db):
    from plaju.accounts.models import Unit
    from plaju.audit import sentences
    asn = users["asn"]
    before = asn.unit.name
    unit = Unit(code="pem", name="Seksi Pemerintahan", kind="seksi")
    db.session.add(unit)
    db.session.commit()
    login_as("hr")
    response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, unit_id=str(unit.id)))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    with app.test_request_context("/"):
        [line] = sentences.render([event])
    assert [(c.label, c.before, c.after) for c in line.changes] == [("Unit kerja", before, "Seksi Pemerintahan")]


def test_an_account_saved_without_a_supervisor_is_warned_that_training_waits_for_one(client, login_as, db):
    login_as("hr")
    response = client.post("/people/new", data=_form(), follow_redirects=True)
    assert response.status_code == 200
    assert "Pegawai Baru belum memiliki atasan langsung" in response.text


def test_a_form_refused_for_what_was_typed_is_in_the_log(client, login_as, users, db):
    """"Nobody can be their own supervisor", a taken username: the attempt is recorded, greyed as input."""
    asn = users["asn"]
    login_as("admin")  # who may name anyone (HR only office holders: test_hr_names_only_an_office_holder)
    response = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(asn.id)))
    assert response.status_code == 422
    [event] = _refusals(db, "user.update")
    assert event.comment.startswith("[input:form] ") and "atasannya sendiri" in event.comment


def test_hr_names_only_an_office_holder_as_supervisor(client, login_as, users, db):
    """HR creates accounts and sets their first password: it named an account of its own making as an ASN's
    supervisor, signed in as it and approved the ASN's training. Only the admin names one who holds no
    office; HR chooses among the Camat, the Sekcam and the Kasi."""
    asn, hr = users["asn"], users["hr"]
    login_as("hr")
    created = client.post("/people/new", data=_form(username="pembantu.sdm"))
    assert created.status_code == 302
    puppet = db.session.scalar(select(User).where(User.username == "pembantu.sdm"))
    form = client.get(f"/people/{asn.id}/edit").get_data(as_text=True)
    box = form.split("supervisor_id", 1)[1].split("</select>", 1)[0]
    assert f'value="{puppet.id}"' not in box and f'value="{users["kasi"].id}"' in box
    refused = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(puppet.id)))
    assert refused.status_code == 403 and _fresh(db, asn).supervisor_id == users["kasi"].id
    assert [_rule(e) for e in _refusals(db, "user.update")] == ["supervisor_without_office"]
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(
        _fresh(db, asn), supervisor_id=str(users["sekcam"].id))).status_code == 302
    login_as("admin")  # the administrator may (a team lead without an office in this system)
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(
        _fresh(db, asn), supervisor_id=str(puppet.id))).status_code == 302
    assert _fresh(db, asn).supervisor_id == puppet.id and hr.id != puppet.id


def test_hr_cannot_make_an_account_that_reads_as_someone_else(client, login_as, users, db):
    """HR created "Galuh Mardhiyah, Camat Plaju" beside the Camat, and a "Jаilani" with a Cyrillic "а": in the
    lists and the log their acts read as the real people's. A second account of one name needs both NIPs;
    a name is written in Latin letters."""
    camat = users["camat"]
    login_as("hr")
    clone = client.post("/people/new", data=_form(username="g.clone", full_name=f"  {camat.full_name.upper()} ",
                                                  nip="", position="Camat Plaju"))
    assert clone.status_code == 422 and f"Akun {camat.username} sudah memakai nama ini" in clone.text
    for look_alike in ("J\u0430ilani", "Ja\u0131lani", "G\u0251luh"):  # a Cyrillic а, a dotless ı, a Latin ɑ
        refused = client.post("/people/new", data=_form(username="j.clone", full_name=look_alike))
        assert refused.status_code == 422 and "huruf Latin" in refused.text, look_alike
    # the same name with a mark, spaced otherwise, or with an office after a comma is the same name
    for twin in (f"{camat.full_name}.", f"{camat.full_name}-", f"{camat.full_name}, Camat Plaju",
                 camat.full_name.replace(" ", "  "), f"{camat.full_name} (Camat Plaju)", f"Dr. {camat.full_name}",
                 camat.full_name.replace("l", "I").replace("m", "rn")):
        refused = client.post("/people/new", data=_form(username="g.clone", full_name=twin, nip=""))
        assert refused.status_code == 422 and "sudah memakai nama ini" in refused.text, twin
    too_long = client.post("/people/new", data=_form(username="j.clone", full_name="Budi " + "\u3389" * 114))
    assert too_long.status_code == 422 and "paling panjang 120" in too_long.text  # as long as it is, normalised
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.username.in_(("g.clone", "j.clone")))) == 0
    # two real people of one name, each with their NIP, are two accounts; a name with accents or an apostrophe
    # is a name
    assert client.post("/people/new", data=_form(username="ahmad.a", full_name="Ahmad Fauzi")).status_code == 302
    assert client.post("/people/new", data=_form(username="siti.n", full_name="Hj. Siti Nur'aini, S.Kom.",
                                                 nip="")).status_code == 302
    assert client.post("/people/new", data=_form(username="ahmad.b", full_name="Ahmad Fauzi", nip="")
                       ).status_code == 422
    # an ASN with a NIP renamed to the Camat's name (who has his NIP too) read as the Camat everywhere: an
    # office holder's name goes to a second account by the administrator only
    asn = users["asn"]
    db.session.get(User, camat.id).nip = "198001012006041001"
    db.session.get(User, camat.id).full_name = "Galuh Mardhiyah"  # a name as people have, not "Camat Uji"
    db.session.get(User, asn.id).nip = "199002022015032002"
    db.session.commit()
    camat = _fresh(db, camat)
    first, last = camat.full_name.split()[0], camat.full_name.split()[-1]
    for name in (camat.full_name, camat.full_name.upper(), f"{camat.full_name}, S.H.", camat.full_name[:-1],
                 f"{first[0]}. {last}", f"{last} {first}", f"{camat.full_name} SSos", "Camat Plaju",
                 f"{first} (Camat Plaju)", "Plh. Camat Plaju", f"{first} {last[:-1]}"):
        renamed = client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), full_name=name))
        assert renamed.status_code == 422 and ("hanya administrator" in renamed.text
                                               or "tidak boleh memuat jabatan" in renamed.text), name
    assert _fresh(db, asn).full_name != camat.full_name


def test_nobody_is_enabled_again_under_a_supervisor_who_has_left(client, login_as, users, db):
    """HR disabled the ASN, then their supervisor (who then supervised nobody active), then enabled the ASN
    again: HR, standing in for a supervisor who has left, approved the ASN's training."""
    asn, lead = users["asn"], make_user("ketua.tim2")
    login_as("admin")
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, supervisor_id=str(lead.id))).status_code == 302
    login_as("hr")
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), active="0")).status_code == 302
    assert client.post(f"/people/{lead.id}/edit", data=_edit_form(_fresh(db, lead), active="0")).status_code == 302
    again = client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), active="1"))
    assert again.status_code == 422 and "sudah dinonaktifkan" in again.text and not _fresh(db, asn).active
    assert _rule(_refusals(db, "user.update")[-1]) == "supervisor_disabled"
    # with a supervisor who works here, the ASN comes back
    back = _edit_form(_fresh(db, asn), active="1", supervisor_id=str(users["kasi"].id))
    assert client.post(f"/people/{asn.id}/edit", data=back).status_code == 302 and _fresh(db, asn).active


def test_hr_does_not_give_a_plain_account_an_office_s_position(client, login_as, users, db):
    """The log writes "Name (Position)": an account HR made with the position "Camat Plaju" read as the Camat.
    HR may keep a position an account has, and write any position that names no office."""
    asn = users["asn"]
    login_as("hr")
    for position in ("Camat Plaju", "Kasi Pemerintahan", "Sekretaris Camat", "Kepala Kecamatan Plaju", "Cámat",
                     "Plh.  Camat", "Kasie Pelayanan", "Ka. Seksi Pelayanan", "Kepala Kec. Plaju", "CamatPlaju",
                     "Camat1 Plaju", "Kasubbag Umum", "KasiPelayanan", "PltCamat Plaju", "Sek. Kec. Plaju",
                     "Kep. Seksi Pelayanan", "Kaur Umum", "K a s i Pelayanan"):
        refused = client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), position=position))
        assert refused.status_code == 422 and "diberikan oleh administrator" in refused.text, position
    # a Cyrillic "С" read as "Camat Plaju" and passed the office words
    refused = client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), position="Сamat Plaju"))
    assert refused.status_code == 422 and "huruf Latin" in refused.text
    assert _fresh(db, asn).position != "Сamat Plaju"
    for plain in ("Staf Kecamatan Plaju", "Kasir", "Pengelola Kepegawaian", "Staf Sekretariat"):
        assert client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), position=plain)
                           ).status_code == 302, plain
    login_as("admin")
    assert client.post(f"/people/{asn.id}/edit", data=_edit_form(_fresh(db, asn), position="Kasi Pemerintahan")
                       ).status_code == 302


def test_a_refused_account_form_is_in_the_log_with_the_fields_it_lacked(client, login_as, users, db):
    """A post of the account form with its fields missing was answered 422 and left no trace: the check that
    each field was sent runs after the form's own validation (UserForm.validate)."""
    login_as("hr")
    assert client.post(f"/people/{users['asn'].id}/edit", data={}).status_code == 422
    (trace,) = _refusals(db, "input.refused")
    assert trace.comment.startswith("[input:form] Nama pengguna: Isian ini tidak terkirim")
    assert f"/people/{users['asn'].id}/edit" in trace.comment


def test_the_administrator_does_not_give_their_own_account_an_office_s_name_or_position(client, login_as, users, db):
    """Renamed to the Camat's name and position, every event the administrator wrote read as the Camat's."""
    admin = users["admin"]
    login_as("admin")
    for change in ({"full_name": users["camat"].full_name}, {"position": "Camat Plaju"}, {"full_name": "Camat Plaju"}):
        refused = client.post(f"/people/{admin.id}/edit", data=_edit_form(admin, **change))
        assert refused.status_code == 422, change
    assert _fresh(db, admin).full_name == admin.full_name
    # another's account still may (the administrator names office holders)
    assert client.post(f"/people/{users['sekcam'].id}/edit",
                       data=_edit_form(users["sekcam"], position="Sekretaris Camat Plaju")).status_code == 302


def test_a_camat_who_has_left_is_followed_by_a_plt(client, login_as, users, db):
    """The administrator disables the Camat's account the day he leaves and is told nobody signs now; the
    Plt form offers him (marked as gone), refuses a Plh for him, and records the Plt, after which the office
    has a signer again."""
    login_as("admin")
    response = client.post(f"/people/{users['camat'].id}/edit", data=_edit_form(users["camat"], active="0"),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kini tidak ada yang menandatangani sebagai Camat" in page
    assert not rules.camat_in_office()
    page = client.get("/people/delegations").get_data(as_text=True)
    principal = re.search(r'<select[^>]*name="principal_id".*?</select>', page, re.S).group(0)
    assert re.search(rf'value="{users["camat"].id}"[^>]*>[^<]*sudah tidak menjabat', principal)
    refused = client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"], "plh"))
    assert refused.status_code == 422 and "Catat Plt" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Delegation)) is None
    assert [_rule(e) for e in _refusals(db, "delegation.create")] == ["plh_for_an_official_who_has_left"]
    assert client.post("/people/delegations",
                       data=_delegation(users["camat"], users["sekcam"], "plt")).status_code == 302
    assert rules.camat_in_office()


def test_disabling_a_kasi_says_nothing_of_the_camats_office(client, login_as, users, db):
    login_as("admin")
    page = client.post(f"/people/{users['kasi2'].id}/edit", data=_edit_form(users["kasi2"], active="0"),
                       follow_redirects=True).get_data(as_text=True)
    assert "dinonaktifkan" in page and "menandatangani sebagai Camat" not in page


@pytest.mark.parametrize("office", ["camat", "sekcam"])
def test_an_office_one_person_holds_is_not_given_to_a_second_account(client, login_as, users, db, office):
    """An administrator made a second Camat with a password of his choosing and signed off a special course
    and approved the year's plan as him, the Camat never told. An office held by one person is given to
    another account only once its holder's account is disabled (a successor), never beside it."""
    login_as("admin")
    holder = users[office]
    response = client.post("/people/new", data=_form(username="kedua", full_name="Budi Kedua", roles=[office]))
    assert response.status_code == 422 and f"{holder.full_name} ({holder.username}) memegang jabatan" in response.text
    assert db.session.scalar(select(User).where(User.username == "kedua")) is None
    assert [_rule(e) for e in _refusals(db, "user.create")] == ["one_holder_of_the_office"]
    # granting it to an existing account is refused the same way
    refused = client.post(f"/people/{users['kasi2'].id}/edit",
                          data=_edit_form(users["kasi2"], roles=sorted({"section_head", office})))
    assert refused.status_code == 422 and office not in db.session.get(User, users["kasi2"].id).roles
    # the holder leaves: the successor's account is made, and re-enabling the predecessor is refused
    assert client.post(f"/people/{holder.id}/edit", data=_edit_form(holder, active="0")).status_code == 302
    assert client.post("/people/new", data=_form(username="kedua", full_name="Budi Kedua",
                                                 roles=[office])).status_code == 302
    back = client.post(f"/people/{holder.id}/edit", data=_edit_form(_fresh(db, holder), active="1"))
    assert back.status_code == 422 and "Budi Kedua (kedua) memegang jabatan" in back.text
    # the holder's own account saves as before
    successor = db.session.scalar(select(User).where(User.username == "kedua"))
    assert client.post(f"/people/{successor.id}/edit",
                       data=_edit_form(successor, position="Jabatan Baru")).status_code == 302


def test_a_departure_ends_the_official_s_plh_and_a_new_holder_ends_the_plt(client, login_as, users, db):
    """The Camat's Plh went on signing as "Plh. Camat" after the Camat had left (and blocked the Plt); the
    Plt went on beside the new Camat. A departure ends the Plh, the successor ends the Plt, each audited."""
    login_as("camat")
    assert client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"])).status_code == 302
    login_as("admin")
    page = client.post(f"/people/{users['camat'].id}/edit", data=_edit_form(users["camat"], active="0"),
                       follow_redirects=True).text
    assert "Kini tidak ada yang menandatangani sebagai Camat" in page
    assert db.session.scalar(select(Delegation).where(Delegation.kind == "plh")).revoked
    assert client.post("/people/delegations", data=_delegation(users["camat"], users["sekcam"], "plt")).status_code \
        == 302
    assert client.post("/people/new", data=_form(username="penerus", full_name="Camat Penerus",
                                                 roles=["camat"])).status_code == 302
    db.session.expire_all()
    assert all(d.revoked for d in db.session.scalars(select(Delegation)))
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.revoke",
                                                           AuditEvent.outcome == "ok")).all()) == 2
    assert rules.camat_in_office()


@pytest.mark.postgres
def test_two_admins_giving_a_vacant_office_at_once_make_one_holder(app, users, db):
    """With the Camat's office vacant there was no row to lock: two administrators each made a Camat at the
    same moment on PostgreSQL. The office itself is locked now: one grant wins, the other is refused."""
    import threading

    from plaju.database import is_postgres
    if not is_postgres():
        pytest.skip("SQLite serialises every writer")
    make_user("admin2", "admin")
    users["camat"].active = False
    db.session.commit()
    barrier, answers = threading.Barrier(2), {}
    forms = {user.id: _edit_form(user, roles=["camat"]) for user in (users["asn"], users["clerk"])}
    db.session.commit()  # the test's own read ends before the two saves

    def grant(admin, person_id):
        client = app.test_client()
        client.post("/login", data={"username": admin, "password": PASSWORD})
        barrier.wait(timeout=10)
        answers[admin] = client.post(f"/people/{person_id}/edit", data=forms[person_id]).status_code

    threads = [threading.Thread(target=grant, args=args) for args in (("admin", users["asn"].id),
                                                                       ("admin2", users["clerk"].id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers.values()) == [302, 422], answers
    db.session.expire_all()
    holders = db.session.scalars(select(User).where(User.active.is_(True))).all()
    assert sum("camat" in u.roles for u in holders) == 1

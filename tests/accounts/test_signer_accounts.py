"""An account that signs with an electronic certificate, attacked by the administrator: whoever signs in as it
signs with its certificate, so he may not set its password, move its certificate by renaming accounts, hold
an office himself, or make a stand-in who signs without a NIP."""
import re
from pathlib import Path

from sqlalchemy import select

from plaju.accounts.models import Delegation, User
from plaju.audit.models import AuditEvent
from plaju.cli import reset_password
from plaju.letters.demo import issue_demo_certificate
from tests.accounts.test_people import ONE_TIME, _delegation, _edit_form, _form, _fresh, _refusals, _rule
from tests.support import PASSWORD, make_user


def test_the_admin_does_not_set_the_password_of_an_account_that_signs(app, client, login_as, users, db):
    camat = users["camat"]
    login_as("admin")
    form = client.get(f"/people/{camat.id}/edit").get_data(as_text=True)
    assert 'data-testid="signer-password"' in form and 'name="password"' not in form  # the form offers no reset
    assert re.search(r'<input[^>]*name="username"[^>]*readonly', form)  # nor a new username
    refused = client.post(f"/people/{camat.id}/edit", data=_edit_form(camat, password=ONE_TIME))
    assert refused.status_code == 403
    assert "operator server" in refused.get_data(as_text=True)
    assert _fresh(db, camat).check_password(PASSWORD) and not _fresh(db, camat).must_change_password
    [event] = _refusals(db, "user.update")
    assert _rule(event) == "signer_s_password_operator_only"
    # the server's operator, who installs the certificates, sets it; the holder's sessions end, he is told
    camat_session = app.test_client()
    camat_session.post("/login", data={"username": "camat", "password": PASSWORD})
    result = app.test_cli_runner().invoke(reset_password, ["--username", "camat"],
                                          input=f"{ONE_TIME}\n{ONE_TIME}\n")
    assert result.exit_code == 0, result.output
    after = _fresh(db, camat)
    assert after.check_password(ONE_TIME) and after.must_change_password and after.password_set_by_id is None
    assert camat_session.get("/").status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update",
                                                        AuditEvent.outcome == "ok")).one()
    assert event.actor_name == "cli" and event.subject_id == str(camat.id)
    # an account without a certificate is reset from the people page as before
    clerk = users["clerk"]
    assert client.post(f"/people/{clerk.id}/edit", data=_edit_form(clerk, password=ONE_TIME)).status_code == 302


def test_a_certificate_stays_with_its_account_whatever_the_usernames(app, client, login_as, users, db):
    camat = users["camat"]
    login_as("admin")
    # the Camat renamed, a Kasi given his username: the Kasi would sign with the Camat's certificate
    renamed = client.post(f"/people/{camat.id}/edit", data=_edit_form(camat, username="galuh.m"))
    assert renamed.status_code == 403 and "nama pengguna tidak dapat diubah" in renamed.get_data(as_text=True)
    assert _fresh(db, camat).username == "camat"
    # a certificate installed for an account to come: nobody else takes its username
    keys = Path(app.config["SIGNING_KEYS_DIR"])
    issue_demo_certificate(keys, "kasi.baru", "Kasi Baru")
    try:
        taken = client.post("/people/new", data=_form(username="kasi.baru", full_name="Rahmat Hidayat"))
        assert taken.status_code == 403
        assert db.session.scalar(select(User).where(User.username == "kasi.baru")) is None
        asn = users["asn"]
        moved = client.post(f"/people/{asn.id}/edit", data=_edit_form(asn, username="kasi.baru"))
        assert moved.status_code == 403 and _fresh(db, asn).username == "asn"
    finally:
        for suffix in (".p12", ".pass"):
            (keys / f"kasi.baru{suffix}").unlink()
    rules = sorted(_rule(e) for e in _refusals(db, "user.update") + _refusals(db, "user.create"))
    assert rules == ["certificate_s_username", "certificate_s_username", "signer_keeps_username"]
    # an account that signs nothing is renamed as before
    clerk = users["clerk"]
    assert client.post(f"/people/{clerk.id}/edit", data=_edit_form(clerk, username="loket1")).status_code == 302


def test_the_administrator_holds_no_office_and_stands_in_for_nobody(client, login_as, users, db):
    # a second administrator account, made by the first, gives him a Kasi's office to make him Plh Camat
    second = make_user("admin2", "admin")
    admin = users["admin"]
    login_as("admin2")
    refused = client.post(f"/people/{admin.id}/edit", data=_edit_form(admin, roles=["admin", "section_head"]))
    assert refused.status_code == 422 and "dua orang yang berbeda" in refused.get_data(as_text=True)
    assert _fresh(db, admin).roles == {"admin"}
    created = client.post("/people/new", data=_form(username="kombo", full_name="Kombo Saja",
                                                    roles=["admin", "sekcam"]))
    assert created.status_code == 422 and db.session.scalar(select(User).where(User.username == "kombo")) is None
    # one who held both before the rule is no stand-in
    admin.set_roles({"admin", "section_head"})
    admin.nip = "198101012006041001"
    db.session.commit()
    as_plh = client.post("/people/delegations", data=_delegation(users["camat"], _fresh(db, admin)))
    assert as_plh.status_code == 422 and db.session.scalar(select(Delegation)) is None
    assert second.id  # (the second administrator did all this)


def test_a_stand_in_signs_with_his_nip_so_one_without_is_not_appointed(client, login_as, users, db):
    kasi = users["kasi"]
    kasi.nip = None
    db.session.commit()
    login_as("camat")
    form = client.get("/people/delegations").text  # the list offers whom the POST accepts
    delegates = form.split('name="delegate_id"')[1].split("</select>")[0]
    assert "Kasi Uji" not in delegates and "Sekcam Uji" in delegates
    refused = client.post("/people/delegations", data=_delegation(users["camat"], _fresh(db, kasi)))
    assert refused.status_code == 422
    assert "catat dahulu NIP Kasi Uji" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Delegation)) is None
    assert [_rule(e) for e in _refusals(db, "delegation.create")] == ["delegate_without_nip"]
    # with his NIP recorded, he is appointed
    login_as("admin")
    assert client.post(f"/people/{kasi.id}/edit",
                       data=_edit_form(_fresh(db, kasi), nip="197801012003121001")).status_code == 302
    login_as("camat")
    assert client.post("/people/delegations", data=_delegation(users["camat"], _fresh(db, kasi))).status_code == 302

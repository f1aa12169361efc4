import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from tests.support import PASSWORD


def _last_event(db):
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()


def test_login_shows_home_for_the_role_and_logout_ends_the_session(client, users, db):
    response = client.post("/login", data={"username": "camat", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Camat Uji" in home.get_data(as_text=True)
    assert _last_event(db).action == "auth.login"
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


@pytest.mark.parametrize("username,password,code,cause", [
    ("camat", "salah-sekali", "wrong_password", "kata sandinya salah"),
    ("tidakada", PASSWORD, "unknown_user", "tidak ada akun dengan nama pengguna ini"),
])
def test_bad_credentials_give_a_message_no_session_and_an_audit_event(client, login_as, users, db, username,
                                                                        password, code, cause):
    """The log says what they were told and, in words, why (the page does not say which part was wrong): it
    read "pesan kepadanya: wrong password", a message in English nobody was shown."""
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    event = _last_event(db)
    assert (event.action, event.outcome, event.comment) == (
        "auth.login", "refused", f"[{code}] Nama pengguna atau kata sandi salah.")
    assert event.changes_dict == {"cause": [None, cause]}
    login_as("hr")
    page = client.get("/audit/", query_string={"outcome": "refused", "logins": "1"}).text
    assert f"Sebab: {cause}" in page.replace("<strong>", "").replace("</strong>", "") or cause in page
    assert "wrong password" not in page and "unknown user" not in page
    if code == "unknown_user":  # a typed username is not a person: it never reads as "Name (Position)"
        assert "seseorang yang mengetik nama pengguna “tidakada”" in page


def test_a_username_typed_as_the_camat_does_not_read_as_him_in_the_log(client, login_as, users, db):
    client.post("/login", data={"username": "Galuh Mardhiyah (Camat Plaju)", "password": "x"})
    login_as("hr")
    page = client.get("/audit/", query_string={"outcome": "refused", "logins": "1"}).text
    assert "seseorang yang mengetik nama pengguna “galuh mardhiyah (camat plaju)”" in page


def test_the_sign_in_form_is_no_way_around_locked_confirmations(app, client, users, db):
    """Five wrong passwords at /account/password locked confirming; the same held session then guessed at
    /login instead. While the lock holds, the right password does not sign in either; a wrong one is told as
    any wrong one, so a stranger typing the username does not learn of the lock."""
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    new = {"new": "Sungai-Musi-Pagi-9", "confirm": "Sungai-Musi-Pagi-9"}
    for n in range(5):
        client.post("/account/password", data={"current": f"tebakan-{n}", **new})
    other = app.test_client()
    stranger = other.post("/login", data={"username": "asn", "password": "tebakan-lain"})
    assert stranger.status_code == 401 and "dikunci" not in stranger.text
    assert "Nama pengguna atau kata sandi salah" in stranger.text
    locked = other.post("/login", data={"username": "asn", "password": PASSWORD})
    assert locked.status_code == 401 and "dikunci sampai" in locked.text
    assert other.get("/").status_code == 302
    assert _last_event(db).changes_dict["cause"][1] == "terlalu banyak kata sandi salah: konfirmasi dikunci"


def test_disabled_user_cannot_sign_in(client, users, db):
    users["asn"].active = False
    db.session.commit()
    response = client.post("/login", data={"username": "asn", "password": PASSWORD})
    assert response.status_code == 401
    assert "dinonaktifkan" in response.get_data(as_text=True)
    assert _last_event(db).changes_dict == {"cause": [None, "akunnya sudah dinonaktifkan"]}


def test_post_without_csrf_token_signs_nobody_in(client, users, db):
    response = client.post("/login", data={"username": "camat", "password": PASSWORD}, csrf=False)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302
    event = _last_event(db)  # in the log, greyed as input: an expired form is usual, a forged one is not
    assert (event.action, event.outcome, event.comment) == ("input.refused", "refused", "[input:csrf] POST /login")


def test_login_is_throttled_after_five_failures(client, users):
    for _ in range(5):
        assert client.post("/login", data={"username": "kasi", "password": "salah"}).status_code == 401
    blocked = client.post("/login", data={"username": "kasi", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)
    # another account from the same address is not locked out
    assert client.post("/login", data={"username": "camat", "password": PASSWORD}).status_code == 302


def test_session_is_rotated_at_login(client, users):
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    client.post("/login", data={"username": "camat", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_password_change_requires_the_current_password_and_ends_other_sessions(app, client, users, db):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    other = app.test_client()
    other.post("/login", data={"username": "asn", "password": PASSWORD})
    wrong = client.post("/account/password", data={"current": "salah", "new": "Sungai-Musi-Pagi-9",
                                                   "confirm": "Sungai-Musi-Pagi-9"})
    assert wrong.status_code == 422
    ok = client.post("/account/password", data={"current": PASSWORD, "new": "Sungai-Musi-Pagi-9",
                                                "confirm": "Sungai-Musi-Pagi-9"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_guessing_the_current_password_is_limited_like_a_signature_s(client, users, db):
    """Someone at an unlocked session tried the owner's password at /account/password without end, then
    changed it and locked the owner out. Five wrong ones lock it, the right one no longer works meanwhile."""
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    new = {"new": "Sungai-Musi-Pagi-9", "confirm": "Sungai-Musi-Pagi-9"}
    for n in range(4):
        wrong = client.post("/account/password", data={"current": f"tebakan-{n}", **new})
        assert wrong.status_code == 422 and "salah" in wrong.text
    fifth = client.post("/account/password", data={"current": "tebakan-5", **new})
    assert fifth.status_code == 422 and "dikunci sampai" in fifth.text
    right = client.post("/account/password", data={"current": PASSWORD, **new})
    assert right.status_code == 422 and "dikunci sampai" in right.text
    db.session.expire_all()
    assert db.session.get(type(users["asn"]), users["asn"].id).check_password(PASSWORD)
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.password_change")).all()
    assert [e.outcome for e in refused] == ["refused"] * 6


def test_healthz_reports_database_and_audit_head(client, users):
    client.post("/login", data={"username": "camat", "password": PASSWORD})
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] is True
    assert body["audit_head"]["seq"] >= 1 and len(body["audit_head"]["hash"]) == 64


def test_htmx_served_from_the_package_and_vary_header(client):
    response = client.get("/vendor/htmx/htmx.min.js")
    assert response.status_code == 200 and b"htmx" in response.data[:2000]
    assert "HX-Request" in client.get("/login").headers["Vary"]


@pytest.mark.parametrize("query", ["next=//evil.example/x", "next=/%09/evil.example/x", "next=/%5Cevil.example",
                                   "next=https://evil.example/", "next=/%0D%0A/evil.example"])
def test_login_never_redirects_off_site(client, users, query):
    response = client.post(f"/login?{query}", data={"username": "camat", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, users):
    response = client.post("/login?next=/audit/%3Fx%3D1", data={"username": "camat", "password": PASSWORD})
    assert response.headers["Location"] == "/audit/?x=1"


def test_password_change_over_htmx_reloads_the_whole_page(client, users):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    response = client.post("/account/password", headers={"HX-Request": "true"},
                           data={"current": PASSWORD, "new": "Sungai-Musi-Pagi-9", "confirm": "Sungai-Musi-Pagi-9"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_password_errors_over_htmx_come_back_as_the_form(client, users):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    response = client.post("/account/password", headers={"HX-Request": "true"},
                           data={"current": "salah", "new": "Sungai-Musi-Pagi-9", "confirm": "Sungai-Musi-Pagi-9"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Kata sandi Anda saat ini salah" in body


def _timed_login(client, username, password):
    import time
    start = time.perf_counter()
    client.post("/login", data={"username": username, "password": password})
    return time.perf_counter() - start


def test_an_unknown_username_takes_about_as_long_as_a_known_one(app, client, users, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "1000 per minute")
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LIMIT", "1000 per minute")
    _timed_login(client, "nobody", "salah-sekali")  # the dummy hash is made once: not timed
    known = min(_timed_login(client, "camat", "salah-sekali") for _ in range(3))
    unknown = min(_timed_login(client, f"nobody{i}", "salah-sekali") for i in range(3))
    assert unknown >= 0.3 * known, (unknown, known)


def test_failures_over_many_accounts_from_one_address_are_throttled(app, client, users, db, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LIMIT", "4 per 10 minutes")
    for name in ("camat", "kasi", "clerk", "tidakada"):
        assert client.post("/login", data={"username": name, "password": "salah"}).status_code == 401
    blocked = client.post("/login", data={"username": "asn", "password": PASSWORD})
    assert blocked.status_code == 429
    body = blocked.get_data(as_text=True)
    assert "Coba lagi dalam" in body and "per 10 minute" not in body
    assert 0 < int(blocked.headers["Retry-After"]) <= 600
    # another address is not affected
    other = client.post("/login", data={"username": "asn", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 302


def _fail_from(client, peer, forwarded, username="camat"):
    return client.post("/login", data={"username": username, "password": "salah"},
                       environ_base={"REMOTE_ADDR": peer}, headers={"X-Forwarded-For": forwarded})


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(app, client, users, db, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", frozenset())
    for i in range(5):
        assert _fail_from(client, "10.1.1.1", f"203.0.113.{i}").status_code == 401
    assert _fail_from(client, "10.1.1.1", "203.0.113.99").status_code == 429
    assert _last_event(db).ip == "10.1.1.1"


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(app, client, users, db, monkeypatch):
    import ipaddress
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", frozenset({ipaddress.ip_address("10.0.0.1")}))
    for i in range(5):
        assert _fail_from(client, "10.0.0.1", f"198.51.100.7, 203.0.113.{i}").status_code == 401
    assert _last_event(db).ip == "203.0.113.4"  # the audit log sees the client, not the proxy
    assert _fail_from(client, "10.0.0.1", "203.0.113.50").status_code == 401
    for _ in range(5):
        assert _fail_from(client, "10.0.0.1", "203.0.113.60").status_code == 401
    assert _fail_from(client, "10.0.0.1", "203.0.113.60").status_code == 429


@pytest.mark.parametrize("new,message", [
    ("pendek", "sekurang-kurangnya 10 karakter"),
    ("password1234", "terlalu mudah ditebak"),
    ("qwertyuiopas", "terlalu mudah ditebak"),
    ("asn-Kebun-Sawo-77", "tidak boleh memuat nama pengguna"),
    ("Uji-Kebun-Sawo-77", "tidak boleh memuat nama pengguna"),
])
def test_a_new_password_must_follow_the_rules(client, users, db, new, message):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    response = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert users["asn"].check_password(PASSWORD)


def test_a_password_containing_the_nip_is_refused(client, users, db):
    users["asn"].nip = "198503122010011003"
    db.session.commit()
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    new = "x198503122010011003"
    response = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 422 and "NIP" in response.get_data(as_text=True)

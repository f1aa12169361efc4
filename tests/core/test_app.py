"""Configuration, error pages, language, CLI."""
import pytest
from sqlalchemy import func, select

from plaju import config
from plaju.accounts.models import User
from plaju.audit.models import AuditEvent


def test_secret_key_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAJU_SECRET_KEY", raising=False)
    monkeypatch.delenv("PLAJU_ENV", raising=False)
    first = config.load(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 32
    assert config.load(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAJU_ENV", "production")
    monkeypatch.setenv("PLAJU_AUDIT_KEY", "a" * 40)  # required too (tests/audit/test_key_config.py)
    monkeypatch.delenv("PLAJU_SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError):
        config.load(str(tmp_path))
    monkeypatch.setenv("PLAJU_SECRET_KEY", "s" * 40)
    settings = config.load(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["SECRET_KEY"] == "s" * 40


def test_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAJU_DATABASE_URL", "postgresql://u@127.0.0.1/x")
    assert config.load(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/x"
    monkeypatch.delenv("PLAJU_DATABASE_URL")
    assert config.load(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_404_page_speaks_indonesian(client, login_as):
    login_as("asn")
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_errors_in_htmx_requests_come_back_as_an_alert_fragment(client, login_as):
    login_as("asn")
    response = client.get("/audit/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Akses ditolak" in body
    assert response.headers["HX-Retarget"] == "#flash"


def test_a_refusal_the_browser_shows_answers_200_with_its_status_named(client, login_as, db):
    """A browser logs every 4xx answer as a console error, though the page shows the refusal where it
    belongs: an HTMX answer and a whole page are answered 200 with the status named; a fault (500) or a
    missing page (404) is never hidden."""
    login_as("asn")
    forbidden = client.get("/audit/", headers={"HX-Request": "true"}, as_sent=True)
    assert forbidden.status_code == 200 and forbidden.headers["X-Refused-Status"] == "403"
    plain = client.get("/audit/", as_sent=True)
    assert plain.status_code == 200 and plain.headers["X-Refused-Status"] == "403"
    post_only = client.get("/inbox/act", as_sent=True)  # a POST-only address typed into the browser
    assert post_only.status_code == 200 and post_only.headers["X-Refused-Status"] == "405"
    missing = client.get("/tidak-ada", headers={"HX-Request": "true"}, as_sent=True)
    assert missing.status_code == 404 and "X-Refused-Status" not in missing.headers
    refused = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "access.forbidden"))
    assert refused == 2  # both refusals in the log: the hook changes the answer, not what was recorded


def test_a_crash_gives_the_500_page_and_nothing_saved(app, users, db):
    from plaju import create_app
    from plaju.audit import record as audit
    crashing = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @crashing.get("/__boom")
    def _boom():
        audit.record("test.half_done", actor=None)
        raise RuntimeError("boom")

    crashing.test_client_class = type(app.test_client())
    response = crashing.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Tidak ada data yang tersimpan" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "test.half_done")) == 0


def test_english_is_available(client, login_as):
    login_as("asn")
    client.post("/lang/en", data={"next": "/"})
    assert "Welcome" in client.get("/").get_data(as_text=True)
    client.post("/lang/id", data={"next": "/"})
    assert "Selamat datang" in client.get("/").get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_create_user_cli_validates_the_nip(app, db):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["create-user", "--username", "x1", "--full-name", "X", "--nip", "123",
                              "--password", "kata-sandi-123"])
    assert bad.exit_code != 0 and "18" in bad.output
    ok = runner.invoke(args=["create-user", "--username", "x1", "--full-name", "X Satu", "--role", "clerk",
                             "--nip", "198503122010011003", "--password", "Sawo-Kebun-Rumah-77"])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "x1"))
    assert user.roles == {"clerk"} and user.check_password("Sawo-Kebun-Rumah-77")


@pytest.mark.parametrize("password", ["1234567890", "password1234", "x2-Dua-rahasia"])
def test_create_user_cli_applies_the_password_rules(app, db, password):
    # the same rules as the people page: common, patterned or name-bearing passwords are refused
    result = app.test_cli_runner().invoke(args=["create-user", "--username", "x2", "--full-name", "Dua Rahasia",
                                                "--password", password])
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.username == "x2")) is None


def test_seed_demo_is_idempotent_and_prints_the_logins(app, db, monkeypatch):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "camat", "sekcam", "kasi", "petugas", "kepegawaian", "asn1"):
        assert username in first.output
    count = db.session.scalar(select(func.count()).select_from(User))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    from plaju.audit.days import covered_seq  # the demo's date searches start counted by day
    assert covered_seq() == db.session.scalar(select(func.max(AuditEvent.seq)))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == count
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_demo_history_reads_in_time_order(app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    times = db.session.scalars(select(AuditEvent.occurred_at).order_by(AuditEvent.seq)).all()
    assert len(times) > 50
    assert times == sorted(times)
    from datetime import timedelta

    from plaju.database import utcnow
    week_ago = (utcnow() - timedelta(days=7)).isoformat()
    assert times[0] < week_ago < times[-1]  # the demo office has a past, not one busy second


@pytest.mark.parametrize("path", ["/documents/99999999999999999999999", "/training/courses/99999999999999999999",
                                  "/audit/?before=99999999999999999999999", "/people/?after=99999999999999999999",
                                  "/notifications/?before=-99999999999999999999"])
def test_numbers_too_large_for_the_database_are_not_a_crash(client, login_as, path):
    login_as("admin")
    assert client.get(path).status_code in (200, 403, 404)


def test_addresses_typed_with_a_trailing_slash_lead_somewhere(client, login_as):
    """/track/ from a receipt and /reports/ typed in answered 404."""
    assert client.get("/track/").status_code == 200
    login_as("kasi")
    response = client.get("/reports/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/layanan")

"""With the database unreachable every page answers with the Bahasa error page (503), rendered
without the database, and /healthz names the database as down."""
import json
import socket

import pytest
from flask_login.utils import _create_identifier

from plaju import create_app

PAGES = ["/", "/login", "/documents/new", "/documents/?q=ktp", "/track/PLJ-ABCDE-FGHJK", "/training/"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens once the probe is closed


@pytest.fixture(params=["postgresql", "sqlite"])
def down_app(request, tmp_path, app):
    if request.param == "postgresql":
        url = f"postgresql+psycopg://plaju@127.0.0.1:{_closed_port()}/plaju?connect_timeout=2"
    else:
        unreadable = tmp_path / "no-access"
        unreadable.mkdir(mode=0o000)
        url = f"sqlite:///{unreadable / 'sub' / 'plaju.sqlite'}"  # cannot be opened, even by root
    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": None,
                         "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                         "WTF_CSRF_ENABLED": False})  # the POSTs must reach the views
    yield broken
    if request.param == "sqlite":
        (tmp_path / "no-access").chmod(0o700)


def _signed_in_client(app):
    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # what session_protection "strong" compares
    with client.session_transaction() as session:
        session["_id"] = identifier
        session["_user_id"] = "1:0"  # a session cookie from before the outage: loading the user needs the DB
        session["_fresh"] = True
    return client


def _assert_bahasa_outage(response):
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert "Internal Server Error" not in body
    assert "Layanan sedang terganggu" in body and "basis data tidak dapat dihubungi" in body


@pytest.mark.parametrize("path", PAGES)
def test_signed_in_pages_during_an_outage_are_the_bahasa_503(down_app, path):
    client = _signed_in_client(down_app)
    response = client.get(path)
    _assert_bahasa_outage(response)
    assert "<!doctype html>" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_htmx_requests_during_an_outage_get_the_alert(down_app, path):
    client = _signed_in_client(down_app)
    response = client.get(path, headers={"HX-Request": "true"})
    _assert_bahasa_outage(response)
    assert response.headers["HX-Retarget"] == "#flash"
    assert "<!doctype html>" not in response.get_data(as_text=True)


def test_anonymous_visitors_during_an_outage(down_app):
    client = down_app.test_client()
    assert client.get("/login").status_code == 200  # the sign-in page itself needs no database
    _assert_bahasa_outage(client.get("/track?code=PLJ-ABCDE-FGHJK", follow_redirects=True))
    response = client.post("/login", data={"username": "clerk", "password": "apa saja"})
    _assert_bahasa_outage(response)


def test_posts_during_an_outage(down_app):
    client = _signed_in_client(down_app)
    _assert_bahasa_outage(client.post("/documents/new", data={"name": "Rina"}))


def test_healthz_names_the_database_as_down(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    data = json.loads(response.get_data(as_text=True))
    assert data["database"] is False and data["down"] == ["database"] and data["status"] == "degraded"


def test_healthz_when_all_is_well(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and json.loads(response.get_data(as_text=True))["down"] == []

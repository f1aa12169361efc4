"""Sessions end on the server: a copied cookie stops working at logout; idle and absolute limits."""
import pytest

from plaju.accounts import sessions
from tests.support import PASSWORD


class Clock:
    def __init__(self, start=1_900_000_000.0):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture()
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(sessions, "now", fake)
    return fake


def _copy_cookie(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_cookie_copied_before_logout_is_refused_afterwards_get_and_post(app, client, users, db):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert thief.get("/").status_code == 302
    assert thief.get("/notifications/").status_code == 302
    # a POST with the copied cookie (and its CSRF token) is not taken either
    response = thief.post("/notifications/read-all")
    assert response.status_code in (302, 401)
    assert "/login" in response.headers.get("Location", response.headers.get("HX-Redirect", ""))


def test_the_session_ends_after_the_idle_time(app, client, users, clock):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    clock.now += idle - 5
    assert client.get("/").status_code == 200  # activity resets the idle clock
    clock.now += idle - 5
    assert client.get("/").status_code == 200
    clock.now += idle + 1
    expired = client.get("/")
    assert expired.status_code == 302 and expired.headers["Location"].startswith("/login")
    clock.now += 1
    assert client.get("/").status_code == 302  # stays signed out


def test_the_session_ends_after_its_absolute_lifetime_even_when_active(app, client, users, clock):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    lifetime = app.config["SESSION_MAX_HOURS"] * 3600
    step = app.config["SESSION_IDLE_MINUTES"] * 60 - 60
    elapsed = 0
    while elapsed + step < lifetime:
        clock.now += step
        elapsed += step
        assert client.get("/").status_code == 200
    clock.now += step
    assert client.get("/").status_code == 302


def test_htmx_requests_of_an_expired_session_send_the_browser_to_the_login(app, client, users, clock):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    clock.now += app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_last_seen_is_rewritten_at_most_once_a_minute(client, users, clock):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    client.get("/")
    clock.now += 20
    assert "Set-Cookie" not in client.get("/").headers
    clock.now += 50
    assert "Set-Cookie" in client.get("/").headers


def test_a_session_without_stamps_is_not_accepted(client, users):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    with client.session_transaction() as sess:
        del sess[sessions.SIGNED_IN_AT]
    assert client.get("/").status_code == 302


def test_deactivation_ends_the_session(app, client, users, db):
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    users["asn"].active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_the_counters_a_page_polls_do_not_keep_an_idle_session_alive(app, client, users, clock, db):
    from datetime import date

    from plaju.training.models import Course
    course = Course(title="Pelayanan Prima", kind="teknis", method="pelatihan", jp=12, provider="BPSDM", quota=5,
                    enrol_deadline=date(2100, 1, 1))
    db.session.add(course)
    db.session.commit()
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    for _ in range(3):  # an open tab polls its counters (and a course page its seats); the person is away
        clock.now += idle // 3
        assert client.get("/inbox/count").status_code == 200
        assert client.get("/notifications/count").status_code == 200
        assert client.get(f"/training/courses/{course.id}/seats", headers={"HX-Request": "true"}).status_code == 200
    clock.now += idle // 3
    expired = client.get("/")
    assert expired.status_code == 302 and expired.headers["Location"].startswith("/login")


def test_a_form_sent_after_signing_out_elsewhere_leads_back_to_its_page(app, client, users, db):
    """An answer typed while the session was ended on another device was sent to the login with its POST
    address as `next`: after signing in, "405 method not allowed". It leads back to the page it was typed
    on, and says nothing was saved."""
    from urllib.parse import parse_qs, urlsplit
    client.post("/login", data={"username": "kasi", "password": PASSWORD})
    other = app.test_client()
    _copy_cookie(client, other)
    other.post("/logout")  # the same account signs out elsewhere: this session ends too
    response = client.post("/notifications/read-all", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/notifications/?page=2"})
    assert response.status_code == 401
    back = parse_qs(urlsplit(response.headers["HX-Redirect"]).query)["next"]
    assert back == ["/notifications/?page=2"]
    login = client.get(response.headers["HX-Redirect"]).text
    assert "belum ada yang tersimpan" in login
    signed_in = client.post(f"/login?next={back[0]}", data={"username": "kasi", "password": PASSWORD})
    assert signed_in.headers["Location"].endswith("/notifications/?page=2")
    # another site's page is never a way back
    client.post("/logout")
    foreign = client.post("/notifications/read-all", headers={"Referer": "https://example.org/x"})
    assert "next=" not in foreign.headers["Location"]


def test_a_counter_polled_after_the_session_ended_leaves_its_page_alone(app, client, users, clock):
    """The menu's counter, refreshed every minute, took a half-typed intake form to the sign-in page once the
    session had timed out (and then to a bare page showing "12"). A counter's poll answers nothing then; the
    next step the person takes leads to the sign-in and back."""
    client.post("/login", data={"username": "asn", "password": PASSWORD})
    clock.now += app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    for _round in range(2):  # the poll that finds it expired, and the next one, signed out
        response = client.get("/inbox/count", headers={"HX-Request": "true"})
        assert response.status_code == 204 and "HX-Redirect" not in response.headers
    page = client.get("/", headers={"HX-Request": "true"})
    assert page.status_code == 401 and page.headers["HX-Redirect"].startswith("/login")

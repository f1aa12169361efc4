"""A form sent after its sender was signed out (in another tab, or the session ended) fails its CSRF check,
the token went with the session: the sender is led to the sign-in and back to the page, told nothing was
saved, instead of an error page "the request could not be processed"."""
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from plaju.accounts.sessions import OPEN_FORMS
from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentRequest
from tests.support import PASSWORD

PAGE = "http://localhost/documents/new"


def _signed_out_elsewhere(client, login_as):
    login_as("clerk")
    assert client.post("/logout").status_code == 302  # the other tab


def test_a_form_sent_after_signing_out_elsewhere_leads_to_the_sign_in_and_back(client, login_as, users, db):
    _signed_out_elsewhere(client, login_as)
    before = db.session.scalar(select(func.count()).select_from(DocumentRequest))
    response = client.post("/documents/new", data={"name": "Siti Lestari"}, headers={"Referer": PAGE},
                           csrf=False)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/documents/new"]
    page = client.get(response.headers["Location"]).text
    assert "Anda sudah keluar sebelum ini terkirim: belum ada yang tersimpan" in page
    assert db.session.scalar(select(func.count()).select_from(DocumentRequest)) == before
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.comment) == ("input.refused", "[input:csrf] POST /documents/new")
    signed_in = client.post(response.headers["Location"], data={"username": "clerk", "password": PASSWORD})
    assert signed_in.headers["Location"].endswith("/documents/new")


def test_an_htmx_step_sent_signed_out_sends_the_whole_browser_to_the_sign_in(client, login_as, users):
    _signed_out_elsewhere(client, login_as)
    response = client.post("/inbox/bulk", data={}, csrf=False,
                           headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/inbox/"})
    assert response.status_code == 401
    sent = client.post("/inbox/bulk", data={}, csrf=False, as_sent=True,
                       headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/inbox/"})
    assert sent.status_code == 200 and sent.headers["X-Refused-Status"] == "401"  # htmx follows it, no console error
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/inbox/"]


def test_an_expired_sign_in_form_opens_again_with_a_word(client, users):
    response = client.post("/login?next=/inbox/", data={"username": "clerk", "password": PASSWORD}, csrf=False)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/inbox/"]
    assert "Formulir masuk sudah kedaluwarsa" in client.get(response.headers["Location"]).text
    assert client.get("/").status_code == 302  # not signed in by a form without its token


def test_signing_out_twice_is_no_error(client, login_as, users):
    _signed_out_elsewhere(client, login_as)
    response = client.post("/logout", csrf=False)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_a_signed_in_sender_and_a_public_form_still_get_the_error_page(client, login_as, users):
    login_as("clerk")
    assert client.post("/documents/new", data={}, csrf=False).status_code == 400
    client.post("/logout")
    assert client.post("/lang/en", csrf=False).status_code == 400


def test_every_open_form_is_open_to_visitors_and_no_other(app, client, users):
    """OPEN_FORMS names the forms the views let a visitor send: a visitor's POST with its token is not sent
    to the sign-in there, and is everywhere else."""
    posts = {rule.endpoint: rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert OPEN_FORMS <= set(posts)
    for endpoint, rule in posts.items():
        if endpoint in ("accounts.login", "accounts.logout"):
            continue
        path = rule.build({name: 1 for name in rule.arguments} | {
            "code": "en", "token": "x", "subject_type": "document", "trigger_name": "x"}, append_unknown=False)[1]
        response = client.post(path, data={})
        to_sign_in = response.status_code in (302, 401) and "/login" in response.headers.get("Location", "")
        assert to_sign_in == (endpoint not in OPEN_FORMS), (endpoint, response.status_code)


def test_a_form_sent_from_a_page_that_was_a_form_s_answer_leads_home_after_the_sign_in(client, login_as, users):
    """The bulk confirmation is the answer to a POST: signing in led back to it, "405 method not allowed"."""
    _signed_out_elsewhere(client, login_as)
    response = client.post("/inbox/bulk", data={}, csrf=False, headers={"Referer": "http://localhost/inbox/confirm"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login" and "next" not in parse_qs(target.query)

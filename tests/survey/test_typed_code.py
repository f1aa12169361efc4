"""The survey code typed on the tracking page: a wrong one is said there, kept in its field, with no console
error and nothing stored; wrong codes and links share one limit per address, which says the tries left."""
import re

from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.survey.models import SkmResponse, SkmTokenUse
from tests.survey.conftest import ANSWERS


def _count(db, model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _wrong(key: str) -> str:
    return key[:-1] + ("B" if key[-1] == "A" else "A")


def _refusal(page) -> str:
    return re.search(r'data-testid="skm-key-refused">([^<]*)<', page.text).group(1)


def test_a_survey_code_typed_wrong_is_said_on_the_tracking_page(client, db, make_request, link):
    req = make_request("handed_over")
    url = link(req)
    wrong = _wrong(url.rsplit("/", 1)[1]).lower()
    page = client.get(f"/skm/{req.tracking_code}", query_string={"key": f" {wrong} "}, as_sent=True)
    # an answer on the page, not a missing page the browser logs as an error
    assert page.status_code == 200 and page.headers["X-Refused-Status"] == "404"
    assert 'data-testid="track-result"' in page.text and 'data-testid="survey-form"' not in page.text
    assert _refusal(page).startswith("Kode survei ini tidak cocok dengan permohonan ini.")
    assert _refusal(page).endswith("Sisa percobaan: 9.")
    field = re.search(r'<input[^>]*id="skm-key"[^>]*>', page.text).group(0)
    assert f'value="{wrong}"' in field and 'aria-invalid="true"' in field
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "skm.submit")).all()
    # what was typed is text in the field, never markup
    odd = client.get(f"/skm/{req.tracking_code}", query_string={"key": 'X"><b>bold</b>'})
    assert "<b>bold</b>" not in odd.text and "&lt;b&gt;bold" in odd.text
    # typed right, it still opens the survey, and the answer counts
    typed = client.get(f"/skm/{req.tracking_code}", query_string={"key": url.rsplit("/", 1)[1]})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(url)
    assert client.post(url, data=ANSWERS).status_code == 303 and _count(db, SkmResponse) == 1


def test_a_code_typed_for_a_request_that_does_not_exist_says_so_on_the_tracking_page(client):
    page = client.get("/skm/PLJ-AAAAA-BBBBB", query_string={"key": "AAAAAAAAAA"}, as_sent=True)
    assert page.status_code == 200 and page.headers["X-Refused-Status"] == "404"
    assert 'data-testid="track-not-found"' in page.text


def test_a_wrong_link_logs_no_error_and_leads_back_to_the_tracking_page(client, db, make_request, link):
    req = make_request("handed_over")
    for method in ("get", "post"):
        page = getattr(client, method)(f"/skm/{req.tracking_code}/AAAAAAAAAA", data=ANSWERS, as_sent=True)
        assert page.status_code == 200 and page.headers["X-Refused-Status"] == "404"
        assert "Tautan survei ini tidak sah" in page.text
        back = re.search(r'<a href="([^"]*)" data-testid="survey-back">([^<]*)<', page.text)
        assert back.groups() == (f"/track/{req.tracking_code}#skm-invite", "Ketik kode survei di halaman pelacakan")
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0


def test_wrong_codes_typed_and_wrong_links_share_one_limit_that_says_when_to_try_again(app, client, db,
                                                                                      make_request, link):
    req = make_request("handed_over")
    url = link(req)
    key = url.rsplit("/", 1)[1]
    old = app.config.get("SURVEY_LIMIT")
    app.config["SURVEY_LIMIT"] = "3 per hour"
    try:
        said = [_refusal(client.get(f"/skm/{req.tracking_code}", query_string={"key": _wrong(key)}))
                for _ in range(2)]
        assert [s.rsplit(". ", 1)[1] for s in said] == ["Sisa percobaan: 2.", "Sisa percobaan: 1."]
        assert client.get(f"/skm/{req.tracking_code}/AAAAAAAAAA").status_code == 404  # the third: a link
        # used up: even the right code is refused, on the tracking page, saying until when
        locked = client.get(f"/skm/{req.tracking_code}", query_string={"key": key}, as_sent=True)
        assert locked.status_code == 200 and locked.headers["X-Refused-Status"] == "429"
        assert int(locked.headers["Retry-After"]) > 0
        assert "coba lagi setelah" in _refusal(locked) and f'value="{key}"' in locked.text
        assert client.get(url).status_code == 429 and client.post(url, data=ANSWERS).status_code == 429
        # another citizen's request from the same address (the counter's tablet): her right code still opens
        other = make_request("handed_over")
        opened = client.get(f"/skm/{other.tracking_code}", query_string={"key": link(other).rsplit("/", 1)[1]})
        assert opened.status_code == 302 and opened.headers["Location"].endswith(link(other))
        # a link preview's HEAD is told, not counted
        before = _refusal(client.get(f"/skm/{other.tracking_code}", query_string={"key": _wrong(key)}))
        client.head(f"/skm/{other.tracking_code}", query_string={"key": _wrong(key)})
        after = _refusal(client.get(f"/skm/{other.tracking_code}", query_string={"key": _wrong(key)}))
        assert before.endswith("Sisa percobaan: 2.") and after.endswith("Sisa percobaan: 1."), (before, after)
    finally:
        app.config["SURVEY_LIMIT"] = old
    assert _count(db, SkmResponse) == 0

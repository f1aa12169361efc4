"""The citizen's phone hears of the request: the clerk asks for consent at the counter, returns the
file, the Kasi finishes it, and the local gateway receives "returned" and "ready" with the tracking
code, never the NIK or the name."""
import os
import re
import time
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from plaju.database import recreate_postgres_database
from plaju.documents.nik import make_nik
from tests.browser.conftest import _close, _page, assert_accessible, login, logout, served, server_env
from tests.notify.conftest import GatewayServer

TOKEN = "token-jalan-uji-789"
NAME = "Bayi Kabar Jalan"
MISSING = "Surat keterangan lahir dari rumah sakit / bidan"


def _own_database(tmp) -> str:
    pg = os.environ.get("PLAJU_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp / 'citizen.sqlite'}"
    url = make_url(pg)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = url.set(database=(url.database or "plaju_test") + "_citizen" + (f"_{worker}" if worker else ""))
    return recreate_postgres_database(url.render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def gateway():
    server = GatewayServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def citizen_server(tmp_path_factory, gateway):
    tmp = tmp_path_factory.mktemp("citizen")
    env = {**server_env(tmp, _own_database(tmp)), "PLAJU_CITIZEN_GATEWAY": "form_gateway",
           "PLAJU_GATEWAY_URL": f"http://127.0.0.1:{gateway.port}/send", "PLAJU_GATEWAY_TOKEN": TOKEN}
    with served(["tests.browser.citizen_server"], tmp, env, "the citizen-updates server", 180) as base:
        yield base


def _messages(gateway, count: int) -> list[dict]:
    """The posts the gateway received, once `count` arrived (the app sends in a background thread)."""
    deadline = time.monotonic() + 20
    while len(gateway.requests) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(gateway.requests) == count, gateway.requests
    return [{k: v[0] for k, v in parse_qs(r["body"].decode()).items()} for r in gateway.requests]


def _state(page, state):
    expect(page.locator(f"[data-testid=status-panel][data-state={state}]")).to_be_visible()


def _click(page, trigger, state):
    page.get_by_test_id(f"action-{trigger}").locator("button[type=submit]").click()  # (a caution may sit below)
    _state(page, state)


def _confirm(page, trigger, state, comment=None, tick=None):
    box = page.get_by_test_id(f"action-{trigger}")
    box.locator("summary").click()
    if tick:
        box.get_by_label(tick).check()
    if comment is not None:
        box.locator("textarea[name=comment]").fill(comment)
    page.get_by_test_id(f"confirm-{trigger}").click()
    _state(page, state)


def test_the_citizens_phone_receives_returned_and_ready(browser, citizen_server, gateway):
    context, page = _page(browser, citizen_server, 1280, 900)
    try:
        nik = make_nik(date(1994, 2, 3), True, 9101)  # the mother reports the birth
        login(page, "petugas")
        page.goto("/documents/new")
        page.fill("[name=nik]", nik)
        page.fill("[name=name]", NAME)
        page.fill("[name=phone]", "0812-3456-7890")
        page.select_option("[name=kelurahan]", "Plaju Ilir")
        page.select_option("[data-testid=type-select]", label="Akta Kelahiran")
        checklist = page.get_by_test_id("requirements")
        expect(checklist).to_be_visible()
        for box in checklist.locator("input[type=checkbox]").all():
            box.check()
        born = (date.today() - timedelta(days=3)).isoformat()  # the baby the akta is about
        page.fill("[name=s_name]", "Bayi Kabar Uji")
        page.select_option("select[name=s_sex]", "P")
        page.fill("[name=s_place]", "Palembang")
        page.fill("[name=s_date]", born)
        page.select_option("select[name=s_relation]", "ibu")
        page.get_by_test_id("contact-consent").get_by_role("checkbox").check()
        assert_accessible(page)
        page.get_by_test_id("submit-intake").click()
        page.wait_for_url(re.compile(r"/documents/\d+/receipt$"))
        code = page.get_by_test_id("receipt-code").inner_text().strip()
        detail = page.url.rsplit("/", 1)[0]
        page.goto(detail)
        expect(page.get_by_test_id("contact-consent")).to_contain_text("Setuju dikirimi kabar perkembangan, dicatat")
        _click(page, "verify", "verifying")
        assert gateway.requests == []  # starting the verification tells the citizen nothing
        _confirm(page, "return_to_citizen", "returned", comment="Surat keterangan lahir belum dicap bidan",
                 tick=MISSING)
        [returned] = _messages(gateway, 1)
        assert returned["target"] == "6281234567890"
        assert returned["message"].startswith(f"Kecamatan Plaju: permohonan {code} dikembalikan")
        assert gateway.requests[0]["headers"]["Authorization"] == TOKEN

        _confirm(page, "resubmit", "verifying", tick=MISSING)
        logout(page)
        login(page, "kasi")
        page.goto(detail)
        _click(page, "accept", "processing")
        _click(page, "forward", "at_disdukcapil")
        _click(page, "back_from_disdukcapil", "back_from_disdukcapil")
        _click(page, "complete", "ready")
        _returned, ready = _messages(gateway, 2)
        assert ready["target"] == "6281234567890"
        assert ready["message"].startswith(f"Kecamatan Plaju: dokumen permohonan {code} sudah selesai")
        for message in (returned, ready):
            assert nik not in message["message"] and "Bayi" not in message["message"]
            assert "Kabar" not in message["message"]
    finally:
        _close(context, page)

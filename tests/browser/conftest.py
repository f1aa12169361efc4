"""Browser tests: Debian's Chromium driven by Playwright against the app served by a real server.

The server is `flask --app plaju demo` (migrate, seed the demo data, serve) in a subprocess on
127.0.0.1, the same command the README gives a newcomer. Without Chromium the tests skip with a
reason, except under CI=true where they must run.

A page that logs an error in the console (a script error, a CSP violation, a failed request) fails
its test when the test ends, unless the test said it expects that error (`page.expect_error("422")`,
e.g. a refused signature it provoked). `assert_accessible(page)` runs axe-core (shipped inside the
axe-playwright-python wheel, no network) and fails on serious or critical violations.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy.engine import make_url

from plaju.database import recreate_postgres_database

DEMO_PASSWORD = "demo-password-123"
CHROMIUM = os.environ.get("PLAJU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_for_server(tmp: Path) -> str:
    pg = os.environ.get("PLAJU_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp / 'browser.sqlite'}"
    url = make_url(pg)
    url = url.set(database=(url.database or "plaju_test") + "_browser" + (
        "_" + os.environ["PYTEST_XDIST_WORKER"] if os.environ.get("PYTEST_XDIST_WORKER") else ""))
    return recreate_postgres_database(url.render_as_string(hide_password=False))


@contextlib.contextmanager
def served(command: list, tmp: Path, env: dict, what: str, wait: float):
    """Start the app as a subprocess on 127.0.0.1, wait until /healthz answers, stop it afterwards."""
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", *command, str(port)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start:\n" + (tmp / "server.log").read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def server_env(tmp: Path, database_url: str) -> dict:
    return {"PLAJU_INSTANCE_PATH": str(tmp / "instance"), "PLAJU_DATABASE_URL": database_url,
            "PLAJU_DEMO_PASSWORD": DEMO_PASSWORD, "PLAJU_LOGIN_LIMIT": "50 per minute", "PLAJU_MAIL_SERVER": ""}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    # migrate and seed: the demo letters are signed too, hence the long wait
    with served(["flask", "--app", "plaju", "demo", "--port"], tmp, server_env(tmp, _database_for_server(tmp)),
                "the app server", 300) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no Chromium at {CHROMIUM}: install Debian's chromium package")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server,
                                  locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.status != 401 else None)
    page.console_errors = errors
    page.expected_errors = []
    page.expect_error = page.expected_errors.append
    return context, page


def _close(context, page) -> None:
    unexpected = [e for e in page.console_errors if not any(x in e for x in page.expected_errors)]
    context.close()
    assert unexpected == [], "the browser logged errors:\n" + "\n".join(unexpected)


@pytest.fixture()
def page(browser, live_server):
    context, page = _page(browser, live_server, 1280, 900)
    yield page
    _close(context, page)


@pytest.fixture()
def phone_page(browser, live_server):
    context, page = _page(browser, live_server, 360, 740)
    yield page
    _close(context, page)


def assert_fits_phone(page) -> None:
    """Nothing wider than a 360 px screen, and no table hiding its figures off to the side (a wide
    table stacks as cards instead: table-stack)."""
    # measured once the page has settled (what loads after it, e.g. a counter, may widen it for a moment),
    # and then naming what sticks out, so a failure says where to look
    try:
        page.wait_for_function("document.documentElement.scrollWidth <= 362", timeout=3000)
    except PlaywrightTimeout:
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""[...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 362)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.innerText || '').slice(0, 40))""")
        raise AssertionError(f"{page.url} is {width}px wide on a 360px screen: {wide}") from None
    hidden = page.evaluate("""[...document.querySelectorAll('.table-responsive')]
        .filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => e.getAttribute('aria-label') || e.innerText.slice(0, 40))""")
    assert not hidden, f"{page.url}: these tables scroll sideways on a 360px screen: {hidden}"
    # a label too narrow for its longest word breaks it ("perkemba-ngan"); hyphens and slashes may break
    split = page.evaluate("""(() => {
        const split = [];
        for (const label of document.querySelectorAll('dt, th, label, .btn, h1, h2, h3, .nav-link')) {
            if (!label.checkVisibility()) continue;
            const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
            for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                for (const word of text.data.matchAll(/[^\\s\\-\\u2010-\\u2014\\/]{4,}/g)) {
                    const range = document.createRange();
                    range.setStart(text, word.index);
                    range.setEnd(text, word.index + word[0].length);
                    const lines = [...range.getClientRects()].filter(r => r.width > 0);
                    const tops = new Set(lines.map(r => Math.round(r.top)));
                    if (tops.size > 1) split.push(word[0]);
                }
            }
        }
        return split;
    })()""")
    assert not split, f"{page.url}: these words break over two lines on a 360px screen: {split}"
    # a choice too narrow for what it shows cuts it ("Semua keluraha")
    cut = page.evaluate("""[...document.querySelectorAll('select')].filter(s => s.checkVisibility()).map(s => {
        const pen = document.createElement('canvas').getContext('2d'), style = getComputedStyle(s);
        pen.font = style.font;
        const shown = s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : '';
        const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return pen.measureText(shown).width > room + 1 ? shown : null;
    }).filter(shown => shown)""")
    assert not cut, f"{page.url}: these choices are cut on a 360px screen: {cut}"


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe
    page.wait_for_load_state()
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], f"{page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']][:4]}" for v in bad)


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/login" not in url)


def logout(page) -> None:
    from playwright.sync_api import expect
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        # the menu must have finished opening, and the counters beside the button their swaps: a width
        # changing under the pointer sent the click to the neighbouring language button
        expect(page.locator(".navbar-collapse.show")).to_be_visible()
        expect(page.locator(".navbar-collapse.collapsing")).to_have_count(0)
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login**")

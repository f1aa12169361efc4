"""The Camat's morning: 10 documents awaiting signature, 2 enrolments to sign off and 1 annual plan,
all on one page, all done with at most 15 clicks and one password entry per kind of decision (the letters
at once, never a year's plan with them unread). The test counts both."""
import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from plaju.database import recreate_postgres_database
from tests.browser.conftest import DEMO_PASSWORD, _page, served, server_env


def _own_database(tmp) -> str:
    """A database of its own, never the one the shared demo server uses."""
    pg = os.environ.get("PLAJU_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp / 'morning.sqlite'}"
    url = make_url(pg)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = url.set(database=(url.database or "plaju_test") + "_morning" + (f"_{worker}" if worker else ""))
    return recreate_postgres_database(url.render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def morning_server(tmp_path_factory):
    """Its own server and database, so signing everything leaves the other journeys' data alone."""
    tmp = tmp_path_factory.mktemp("morning")
    with served(["tests.browser.morning_server"], tmp, server_env(tmp, _own_database(tmp)),
                "the morning server", 180) as base:
        yield base


def test_the_camat_signs_and_approves_a_morning_of_work_in_few_clicks(browser, morning_server):
    context, page = _page(browser, morning_server, 1280, 900)
    clicks, passwords = [], []

    def click(locator):
        clicks.append(locator)
        locator.click()

    def type_password(locator):
        passwords.append(locator)
        locator.fill(DEMO_PASSWORD)

    try:
        page.goto("/login")
        page.fill("[name=username]", "camat")
        page.fill("[name=password]", DEMO_PASSWORD)  # signing in, not a confirmation
        click(page.get_by_role("button", name="Masuk"))
        page.wait_for_url(lambda url: "/login" not in url)
        # the home page leads with the inbox; the navigation counts it
        expect(page.get_by_test_id("home-cards").locator(".card").first).to_contain_text("Perlu tindakan saya")
        expect(page.get_by_test_id("inbox-count")).to_have_text("13")
        click(page.get_by_role("link", name=re.compile("Perlu tindakan saya")).first)
        page.wait_for_url("**/inbox/")
        expect(page.get_by_test_id("inbox-row")).to_have_count(13)  # all on one page
        expect(page.get_by_test_id("group-count")).to_have_text(["10", "2", "1"])
        for kind, count in (("document", 10), ("enrolment", 2), ("training_plan", 1)):
            click(page.locator(f'[data-testid="bulk-all"][data-bulk-kind="{kind}"]'))
            expect(page.get_by_test_id("confirm-item")).to_have_count(count)
            if kind == "document":
                expect(page.get_by_test_id("bulk-confirmation")).to_contain_text("Warga Pagi BA")
            if kind == "enrolment":  # sign-offs ask no password alone, nor together
                expect(page.get_by_test_id("bulk-password")).to_have_count(0)
            else:
                type_password(page.get_by_test_id("bulk-password"))
            click(page.get_by_test_id("bulk-confirm"))
            # each step its own transaction: give a busy machine time
            expect(page.get_by_test_id("done")).to_have_count(count, timeout=60000)
            expect(page.get_by_test_id("refused")).to_have_count(0)
        expect(page.get_by_test_id("nothing-waiting")).to_be_visible()
        expect(page.get_by_test_id("inbox-count")).to_have_count(0)  # the counter refreshed itself
        assert len(clicks) <= 15 and len(passwords) == 2, (len(clicks), len(passwords))
        assert not page.console_errors, page.console_errors
    finally:
        context.close()

"""HR on a phone: finds one request's changes by its tracking code, opens the object's timeline and
exports it; the XLSX has the page's rows."""
import io
import re

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone, login, logout


def test_hr_finds_a_request_by_its_tracking_code_and_exports_it(phone_page):
    page = phone_page
    login(page, "kepegawaian")
    page.goto("/audit/?action=document.receive")
    first = page.locator("[data-testid=audit-events] tbody tr[data-seq] [data-testid=object] a").first
    code = first.inner_text().split(" ")[0]
    page.goto("/audit/")
    page.fill("[name=code]", code)
    page.get_by_role("button", name="Cari").click()
    page.wait_for_url(re.compile(r"code="))
    rows = page.locator("[data-testid=audit-events] tbody tr[data-seq]")
    rows.first.wait_for()
    shown = [int(s) for s in rows.evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert shown and all(code in t for t in rows.locator("[data-testid=object]").all_inner_texts())
    assert_fits_phone(page)
    # nor of the events: on a phone each event is a card, not a table row to scroll sideways
    assert page.locator("[data-testid=audit-events]").evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="XLSX").click()
    data = open(download.value.path(), "rb").read()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert [int(r[0]) for r in list(sheet.iter_rows(values_only=True))[1:]] == shown


def test_a_long_unbroken_reason_does_not_push_the_log_off_the_desk_screen(page):
    """A 400-letter reason without a space stretched the table to 3,700 px: the object and change columns
    were off screen and every row looked empty."""
    login(page, "camat")
    page.goto("/documents/?state=awaiting_signature")
    page.locator("table a[href^='/documents/']").first.click()
    page.get_by_test_id("action-send_back").locator("summary").click()
    page.locator("[data-testid=action-send_back] textarea").fill("x" * 400)
    page.get_by_test_id("confirm-send_back").click()
    expect(page.get_by_test_id("action-done")).to_be_visible()
    logout(page)
    login(page, "kepegawaian")
    page.goto("/audit/")
    expect(page.get_by_test_id("audit-events")).to_contain_text("x" * 40)
    width = page.get_by_test_id("audit-events").evaluate("t => t.scrollWidth")
    assert width <= page.evaluate("document.documentElement.clientWidth"), width

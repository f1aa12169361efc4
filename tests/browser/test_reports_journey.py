"""The Camat looks at the office's year on a 360 px phone: charts drawn as SVG beside their tables, no
console error (CSP included), nothing wider than the screen, the monthly report prints without the
navigation and downloads as XLSX and PDF; an impossible date is told in words."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"{page.url} is {width}px wide on a 360px screen"
    # nor does a table hide its figures off to the side: a table of three columns or more stacks as cards
    hidden = page.evaluate("""[...document.querySelectorAll('.table-responsive')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.getAttribute('aria-label'))""")
    assert not hidden, f"{page.url}: these tables scroll sideways on a 360px screen: {hidden}"


def test_dashboards_on_a_phone(phone_page):
    page = phone_page
    login(page, "camat")
    page.goto("/reports/layanan")
    expect(page.get_by_test_id("chart").first).to_be_visible()
    assert page.get_by_test_id("chart").count() >= 4
    assert int(page.get_by_test_id("kpi-received").inner_text()) > 50
    expect(page.get_by_test_id("waktu-table")).to_be_visible()
    _fits(page)
    assert_accessible(page)
    csv = page.request.get(page.get_by_test_id("waktu-csv").get_attribute("href"))
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")

    page.expect_error("422")  # the browser logs the status of the refused page
    page.goto("/reports/layanan?titik=2026-02-30")
    expect(page.get_by_test_id("report-error")).to_contain_text("tidak ada di kalender")

    page.goto("/reports/kompetensi")
    expect(page.get_by_test_id("kpi-coverage")).to_be_visible()
    _fits(page)
    assert_accessible(page)

    page.goto("/reports/bulanan")
    expect(page.get_by_test_id("monthly-table").first).to_be_visible()
    _fits(page)
    for testid, mime in (("report-xlsx", "spreadsheetml"), ("report-pdf", "application/pdf")):
        response = page.request.get(page.get_by_test_id(testid).get_attribute("href"))
        assert response.ok and mime in response.headers["content-type"]
    page.emulate_media(media="print")
    expect(page.locator("nav").first).to_be_hidden()
    expect(page.get_by_test_id("report-xlsx")).to_be_hidden()

"""The Camat looks at the office's year on a 360 px phone: charts drawn as SVG beside their tables, no
console error (CSP included), nothing wider than the screen, the monthly report prints without the
navigation and downloads as XLSX and PDF; an impossible date is told in words."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone, login


def test_dashboards_on_a_phone(phone_page):
    page = phone_page
    login(page, "camat")
    page.goto("/reports/layanan")
    expect(page.get_by_test_id("chart").first).to_be_visible()
    assert page.get_by_test_id("chart").count() >= 4
    assert int(page.get_by_test_id("kpi-received").inner_text()) > 50
    expect(page.get_by_test_id("waktu-table")).to_be_visible()
    assert_fits_phone(page)
    assert_accessible(page)
    csv = page.request.get(page.get_by_test_id("waktu-csv").get_attribute("href"))
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")

    page.goto("/reports/layanan?titik=2026-02-30")
    expect(page.get_by_test_id("report-error")).to_contain_text("tidak ada di kalender")

    page.goto("/reports/kompetensi")
    expect(page.get_by_test_id("kpi-coverage")).to_be_visible()
    assert_fits_phone(page)
    assert_accessible(page)

    page.goto("/reports/skm")
    expect(page.get_by_test_id("skm-elements")).to_be_visible()
    assert_fits_phone(page)

    page.goto("/reports/bulanan")
    expect(page.get_by_test_id("monthly-table").first).to_be_visible()
    assert_fits_phone(page)
    for testid, mime in (("report-xlsx", "spreadsheetml"), ("report-pdf", "application/pdf")):
        response = page.request.get(page.get_by_test_id(testid).get_attribute("href"))
        assert response.ok and mime in response.headers["content-type"]
    page.emulate_media(media="print")
    expect(page.locator("nav").first).to_be_hidden()
    expect(page.get_by_test_id("report-xlsx")).to_be_hidden()


def test_report_tables_fit_a_desk_screen(page):
    """At 1280 px no report table hides a column behind a sideways scroll: a wide one sits below its
    chart, full width, and long row names wrap."""
    login(page, "camat")
    for path in ("/reports/layanan", "/reports/kompetensi", "/reports/bulanan"):
        page.goto(path)
        hidden = page.evaluate("""[...document.querySelectorAll('.table-responsive')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.getAttribute('aria-label'))""")
        assert not hidden, f"{path}: these tables scroll sideways at 1280 px: {hidden}"
    # the Camat's menu of many areas: each item on one line (they wrap as items, not as words)
    broken = page.evaluate("""[...document.querySelectorAll('.navbar .nav-link')]
        .filter(e => e.getClientRects().length > 0
                     && e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).lineHeight))
        .map(e => e.innerText)""")
    assert not broken, f"menu items broken over lines at 1280 px: {broken}"

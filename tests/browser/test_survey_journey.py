"""On a 360 px phone: a citizen whose document was just handed over rates the service from the tracking
page, the link then refuses a second answer; a complaint sent from the tracking page is answered by a
section head from the inbox and the answer shows on the tracking page. No console error, no CSP
violation, no serious accessibility violation."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone, login, logout
from tests.browser.test_documents_journey import _confirm

pytestmark = pytest.mark.browser


def _hand_over_a_ready_request(page) -> tuple[str, str]:
    """The tracking code and the survey code the citizen's receipt prints."""
    login(page, "petugas")
    page.goto("/documents/?state=ready")
    link = page.get_by_test_id("queue-row").first.locator("a").first
    detail = link.get_attribute("href")
    page.goto(detail)
    code = re.search(r"PLJ-[A-Z0-9]{5}-[A-Z0-9]{5}", page.content()).group(0)
    page.goto(detail.split("?")[0] + "/receipt")
    key = page.get_by_test_id("receipt-skm-key").inner_text().strip()
    page.goto(detail)
    _confirm(page, "hand_over", "handed_over", comment="", tick="Saya sudah memeriksa KTP-el pemohon")
    logout(page)
    return code, key


def test_a_citizen_rates_the_service_on_a_phone_once(page, phone_page):
    code, key = _hand_over_a_ready_request(page)
    phone = phone_page
    phone.goto(f"/track/{code}")
    phone.get_by_test_id("skm-key").fill(key.lower())  # typed from the receipt, in any case
    phone.get_by_test_id("skm-link").click()
    expect(phone.get_by_test_id("survey-form")).to_be_visible()
    assert_fits_phone(phone)
    assert_accessible(phone)
    survey_url = phone.url
    for number, answer in zip(range(1, 10), ("Sangat sesuai", "Mudah", "Kurang cepat", "Gratis", "Sesuai",
                                             "Kompeten", "Sopan dan ramah", "Dikelola dengan baik", "Baik"),
                              strict=True):
        phone.get_by_test_id(f"question-{number}").get_by_text(answer, exact=True).click()
    phone.fill("[name=comment]", "Terima kasih, cepat.")
    phone.select_option("[name=education]", "sma")
    phone.get_by_test_id("survey-submit").click()
    phone.wait_for_url("**/skm")
    expect(phone.get_by_test_id("public-ikm")).to_be_visible()
    assert_fits_phone(phone)
    phone.goto(survey_url)  # an information page now, no refused answer for the console
    expect(phone.get_by_test_id("survey-refused")).to_contain_text("sudah diisi")
    phone.goto(f"/track/{code}")  # the same invitation as before: nobody with the code learns it was answered
    expect(phone.get_by_test_id("skm-invite")).to_contain_text("Jika Anda belum menilainya")


def test_a_complaint_from_the_phone_is_answered_by_a_section_head(page, phone_page):
    login(page, "petugas")
    page.goto("/documents/?state=received")
    page.goto(page.get_by_test_id("queue-row").first.locator("a").first.get_attribute("href"))
    code = re.search(r"PLJ-[A-Z0-9]{5}-[A-Z0-9]{5}", page.content()).group(0)
    logout(page)
    phone = phone_page
    phone.goto(f"/track/{code}")
    phone.get_by_test_id("complaint-link").click()
    phone.get_by_label("Saran").check()
    phone.fill("[name=body]", "Mohon ada pemberitahuan SMS saat dokumen sudah jadi.")
    phone.get_by_test_id("complaint-submit").click()
    phone.wait_for_url(f"**/track/{code}")
    expect(phone.get_by_test_id("complaints")).to_contain_text("Menunggu jawaban kantor")
    assert_accessible(phone)

    login(page, "kasi")
    page.goto("/inbox/")
    expect(page.locator("body")).to_contain_text("Pengaduan dan saran")
    page.goto("/complaints/")
    page.get_by_test_id("complaint-list").locator("li").filter(has_text=code).first.locator("a").click()
    page.locator("[data-testid=action-answer] textarea").fill("Terima kasih, layanan SMS sedang kami siapkan.")
    page.locator("[data-testid=action-answer] button").click()
    expect(page.get_by_test_id("complaint-answer")).to_contain_text("layanan SMS")
    assert_accessible(page)
    phone.goto(f"/track/{code}")
    expect(phone.get_by_test_id("complaint-answer")).to_contain_text("layanan SMS sedang kami siapkan")

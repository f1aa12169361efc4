"""A form sent after the session ended elsewhere (another tab signed out): nothing is saved, the sign-in
leads back to the page, and what was typed comes back into the form, said so, once."""
from datetime import date

from playwright.sync_api import expect

from plaju.documents.nik import make_nik
from tests.browser.conftest import DEMO_PASSWORD, login, logout


def test_what_was_typed_comes_back_after_signing_in_again(page):
    login(page, "petugas")
    page.goto("/documents/new")
    nik = make_nik(date(1985, 7, 8), True, 9301)
    page.fill("[name=nik]", nik)
    page.fill("[name=name]", "Warga Menunggu Lama")
    page.select_option("[name=kelurahan]", "Komperta")
    page.get_by_test_id("type-select").select_option(label="Surat Keterangan Tidak Mampu")
    page.get_by_test_id("purpose").fill("Beasiswa anak")  # a field the chosen type brings (htmx)
    other = page.context.new_page()  # the same browser: another tab signs out
    other.goto("/")
    logout(other)
    other.close()
    page.get_by_test_id("submit-intake").click()
    page.wait_for_url("**/login**")
    expect(page.locator("#flash [data-flash=unsent]")).to_contain_text("belum ada yang tersimpan")
    page.fill("[name=username]", "petugas")
    page.fill("[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/documents/new")
    expect(page.locator("[name=name]")).to_have_value("Warga Menunggu Lama")
    expect(page.locator("[name=nik]")).to_have_value(nik)
    expect(page.locator("[name=kelurahan]")).to_have_value("Komperta")
    expect(page.get_by_test_id("purpose")).to_have_value("Beasiswa anak")
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    # once: opened again, the form is empty
    page.goto("/documents/new")
    expect(page.locator("[name=name]")).to_have_value("")
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)


def test_what_one_official_typed_never_comes_back_under_another_s_name(page):
    login(page, "petugas")
    page.goto("/documents/new")
    page.fill("[name=name]", "Warga Petugas Satu")
    other = page.context.new_page()
    other.goto("/")
    logout(other)
    other.close()
    page.get_by_test_id("submit-intake").click()
    page.wait_for_url("**/login**")
    page.fill("[name=username]", "petugas2")  # another clerk signs in at the same counter
    page.fill("[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/documents/new")
    expect(page.locator("[name=name]")).to_have_value("")
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)

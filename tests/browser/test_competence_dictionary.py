"""HR keeps the competence dictionary on a phone: adds a competence, a position that requires it, and sets
who holds the position; every page fits 360 px, passes axe and logs no console error."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, assert_fits_phone, login


def test_hr_adds_a_competence_a_position_and_its_holder_on_a_phone(phone_page):
    phone = phone_page
    login(phone, "kepegawaian")
    phone.goto("/training/")
    phone.get_by_role("link", name="Kompetensi dan jabatan").click()
    expect(phone.get_by_role("heading", name="Kompetensi", exact=True)).to_be_visible()
    form = phone.get_by_test_id("competence-form")
    form.get_by_label("Kode").fill("ARSIP")
    form.get_by_label("Nama").fill("Kearsipan digital")
    form.get_by_label("Jenis").select_option("teknis")
    form.get_by_test_id("save-competence").click()
    expect(phone.get_by_test_id("competence").filter(has_text="Kearsipan digital")).to_be_visible()
    assert_fits_phone(phone)
    assert_accessible(phone)

    # a code already taken: refused in Bahasa, nothing added
    count = phone.get_by_test_id("competence").count()
    form = phone.get_by_test_id("competence-form")
    form.get_by_label("Kode").fill("arsip")
    form.get_by_label("Nama").fill("Kembar")
    form.get_by_test_id("save-competence").click()
    expect(phone.get_by_test_id("form-error")).to_contain_text("sudah dipakai")
    expect(phone.get_by_test_id("competence")).to_have_count(count)

    phone.get_by_role("link", name="Jabatan", exact=True).click()
    form = phone.get_by_test_id("position-form")
    form.get_by_label("Nama jabatan").fill("Pengelola Arsip")
    form.get_by_label("Jenis jabatan").select_option("pelaksana")
    form.get_by_label("Kearsipan digital").select_option("3")
    form.get_by_test_id("save-position").click()
    position = phone.get_by_test_id("position").filter(has_text="Pengelola Arsip")
    expect(position).to_contain_text("Kearsipan digital (level 3)")
    assert_fits_phone(phone)
    assert_accessible(phone)

    phone.get_by_role("link", name="Pemangku jabatan").click()
    holder = phone.get_by_test_id("holder").first
    holder.locator("select").select_option(label="Pengelola Arsip")
    holder.get_by_role("button").click()
    expect(phone.get_by_test_id("action-done")).to_be_visible()
    expect(phone.get_by_test_id("holder").first.locator("select option:checked")).to_contain_text("Pengelola Arsip")
    assert_fits_phone(phone)
    assert_accessible(phone)

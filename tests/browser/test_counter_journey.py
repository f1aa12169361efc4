"""The counter's paperwork in Chromium: switching the type keeps what was typed; an ahli waris request
whose heir fields appear for the type (a wrong heir NIK is shown beside its row and nothing is saved),
returned to the citizen with a printable slip, read on a 360 px phone."""
import re
from datetime import date

from playwright.sync_api import expect

from plaju.documents.nik import make_nik
from tests.browser.conftest import assert_accessible, assert_fits_phone, login


def test_ahli_waris_heirs_at_intake_and_the_returned_file_slip(page, phone_page):
    login(page, "petugas")
    page.goto("/documents/new")
    page.fill("[name=nik]", make_nik(date(1970, 2, 3), True, 9101))
    page.fill("[name=name]", "Pemohon Waris Uji")
    page.select_option("[name=kelurahan]", "Komperta")
    # switching types keeps what was typed, and only where it was typed (documents/intake_form.py)
    types = page.get_by_test_id("type-select")
    types.select_option(label="Surat Keterangan Tidak Mampu")
    page.get_by_test_id("purpose").fill("Beasiswa")
    types.select_option(label="Akta Kelahiran")
    expect(page.locator("[data-kind=birth]")).to_be_visible()
    page.fill("[name=s_name]", "Bayi Uji")
    page.get_by_test_id("requirements").locator("input[type=checkbox]").first.check()
    types.select_option(label="Surat Keterangan Tidak Mampu")
    expect(page.locator("[data-kind=person]")).to_be_visible()
    expect(page.get_by_test_id("purpose")).to_have_value("Beasiswa")
    expect(page.locator("[name=s_name]")).to_have_value("")  # the baby is not the person the SKTM is for
    types.select_option(label="Akta Kelahiran")
    expect(page.locator("[data-kind=birth] [name=s_name]")).to_have_value("Bayi Uji")
    expect(page.get_by_test_id("requirements").locator("input[type=checkbox]").first).to_be_checked()
    page.select_option("[data-testid=type-select]", label="Surat Keterangan Ahli Waris")
    expect(page.get_by_test_id("heirs")).to_be_visible()  # appeared with the chosen type (HTMX)
    for box in page.get_by_test_id("requirements").locator("input[type=checkbox]").all():
        box.check()
    page.get_by_test_id("purpose").fill("pencairan tabungan pewaris")
    page.get_by_test_id("address").fill("Lorong Mawar No. 3 RT 011 RW 004")
    page.get_by_test_id("birth-place").fill("Palembang")
    page.fill("[name=s_nik]", make_nik(date(1940, 5, 6), False, 9102))
    page.fill("[name=s_name]", "Almarhum Uji Waris")
    page.fill("[name=s_date]", "2026-03-04")
    page.select_option("select[name=s_relation]", "istri")
    page.fill("#h_name_0", "Anak Pertama Uji")
    page.get_by_test_id("add-heir").click()  # a seventh heir: a row of its own, what was typed kept
    expect(page.locator("#h_name_6")).to_be_focused()
    expect(page.locator("#h_name_0")).to_have_value("Anak Pertama Uji")
    page.fill("#h_nik_0", "1671")  # too short
    page.select_option("#h_relation_0", "anak")
    page.get_by_test_id("submit-intake").click()
    expect(page.get_by_test_id("h_0-error")).to_contain_text("Ahli waris 1: NIK harus 16 digit")
    expect(page.locator("#h_name_0")).to_have_value("Anak Pertama Uji")  # what was typed stays
    page.fill("#h_nik_0", make_nik(date(1992, 9, 9), False, 9103))
    page.get_by_test_id("submit-intake").click()
    page.wait_for_url(re.compile(r"/documents/\d+/receipt$"))
    expect(page.get_by_test_id("receipt-title")).to_have_text("Tanda terima permohonan surat keterangan")
    detail = page.url.rsplit("/", 1)[0]
    page.goto(detail)
    expect(page.get_by_test_id("subject")).to_contain_text("Anak Pertama Uji")
    # a script (Bootstrap's collapse, a screenshot tool) may leave a style on an element the swap replaces:
    # htmx must not copy it over as an inline style attribute, which the CSP refuses (a console error)
    page.evaluate("document.querySelectorAll('#panel [id]').forEach(e => { e.style.outline = '0px'; })")
    page.get_by_test_id("action-verify").click()
    box = page.get_by_test_id("action-return_to_citizen")
    box.locator("summary").click()
    box.get_by_label("Surat pernyataan ahli waris bermeterai").check()
    box.locator("textarea[name=comment]").fill("Meterai belum ditempel")
    page.get_by_test_id("confirm-return_to_citizen").click()
    expect(page.locator("[data-testid=status-panel][data-state=returned]")).to_be_visible()
    page.get_by_test_id("slip-link").click()
    expect(page.get_by_test_id("slip-missing")).to_contain_text("Surat pernyataan ahli waris bermeterai")
    expect(page.get_by_test_id("slip-reason")).to_have_text("Meterai belum ditempel")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    page.emulate_media(media="screen")
    assert_accessible(page)
    code = page.get_by_test_id("slip-code").inner_text().strip()

    phone_page.goto(f"/track/{code}")
    expect(phone_page.get_by_test_id("track-missing")).to_contain_text("Surat pernyataan ahli waris bermeterai")
    html = phone_page.content()
    assert "Pemohon Waris" not in html and "Almarhum Uji" not in html
    # why, as the clerk typed it for the applicant (the form said the applicant reads it)
    expect(phone_page.get_by_test_id("track-reason")).to_contain_text("Meterai belum ditempel")
    assert_fits_phone(phone_page)
    assert_accessible(phone_page)

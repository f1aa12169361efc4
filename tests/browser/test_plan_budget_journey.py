"""HR builds next year's plan from needs on a phone, asks the needs again (nothing is repeated), adds a
group item (the form clears), changes it in place (the totals and the export follow), removes an item,
downloads the XLSX, submits it, and the Camat approves it."""
import io
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from plaju.timeutil import today_wib
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, assert_fits_phone, login, logout


def test_hr_builds_a_plan_from_needs_and_the_camat_approves_it(page, phone_page):
    phone = phone_page
    year = today_wib().year + 1
    login(phone, "kepegawaian")
    phone.goto("/training/plans/")
    expect(phone.locator("[name=year]")).to_have_value(str(year))
    phone.locator("[name=unit_id]").select_option(label="Seksi Pelayanan")
    phone.get_by_test_id("create-plan").click()
    phone.wait_for_url(re.compile(r"/training/plans/\d+$"))
    plan_url = phone.url
    expect(phone.get_by_test_id("plan-title")).to_contain_text(str(year))
    items = phone.get_by_test_id("plan-item")
    expect(items.first).to_be_visible()
    proposed = items.count()
    # the Kasi is never proposed the counter staff's course, nor anyone a course of another year
    kasi = phone.get_by_test_id("needs").locator("li").filter(has_text="Kasi Pelayanan").locator("strong").inner_text()
    clerk = phone.get_by_test_id("needs").locator("li").filter(has_text="Petugas Loket PATEN").first.locator(
        "strong").inner_text()
    expect(items.filter(has_text=kasi).first).to_be_visible()
    expect(items.filter(has_text=kasi).filter(has_text="Pelayanan Prima di Loket")).to_have_count(0)
    expect(items.filter(has_text=clerk).filter(has_text="Coaching Kepemimpinan")).to_have_count(0)
    assert_fits_phone(phone)
    # "Isi dari kebutuhan" again on the draft: what the plan holds is not proposed twice
    phone.get_by_test_id("fill-from-needs").click()
    expect(phone.get_by_test_id("action-done")).to_contain_text("Tidak ada usulan baru")
    expect(items).to_have_count(proposed)

    form = phone.get_by_test_id("add-item")
    form.locator("[name=user_id]").select_option(index=0)  # a group
    form.locator("[name=group_label]").fill("Seluruh petugas loket")
    form.locator("[name=participants]").fill("4")
    form.locator("[name=title]").fill("Bimtek aplikasi antrean")
    form.locator("[name=planned_jp]").fill("8")
    form.locator("[name=quarter]").select_option("3")
    form.locator("[name=cost]").fill("1200000")
    form.get_by_role("button").click()
    expect(items).to_have_count(proposed + 1)
    expect(phone.get_by_test_id("add-item").locator("[name=title]")).to_have_value("")
    expect(phone.get_by_test_id("add-item").locator("[name=group_label]")).to_have_value("")
    expect(phone.get_by_test_id("total-cost")).to_contain_text("Rp")

    # the group's row becomes a form; cancel brings the row back, saving replaces it and the totals follow
    group_row = items.filter(has_text="Seluruh petugas loket")
    total_before = int(phone.get_by_test_id("total-jp").inner_text().split()[0])
    group_row.get_by_test_id("edit-item").click()
    editor = phone.get_by_test_id("edit-item-form")
    expect(editor).to_be_visible()
    expect(editor.locator("[name$=planned_jp]")).to_have_value("8")
    assert_fits_phone(phone)
    editor.get_by_test_id("cancel-edit").click()
    expect(editor).to_have_count(0)
    expect(group_row).to_contain_text("8 JP × 4")
    group_row.get_by_test_id("edit-item").click()
    editor = phone.get_by_test_id("edit-item-form")
    editor.locator("[name$=planned_jp]").fill("6")
    editor.locator("[name$=cost]").fill("900000")
    editor.get_by_test_id("save-item").click()
    expect(phone.get_by_test_id("action-done")).to_contain_text("Kegiatan telah diubah")
    expect(phone.get_by_test_id("edit-item-form")).to_have_count(0)
    expect(items.filter(has_text="Seluruh petugas loket")).to_contain_text("6 JP × 4")
    expect(items.filter(has_text="Seluruh petugas loket")).to_contain_text("Rp 900.000")
    expect(phone.get_by_test_id("total-jp")).to_have_text(f"{total_before - 8} JP")  # 4 × 8 became 4 × 6
    items.first.get_by_role("button", name="Hapus").click()
    expect(items).to_have_count(proposed)
    with phone.expect_download() as download:
        phone.get_by_test_id("plan-xlsx").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any(r[0] == "Seluruh petugas loket" and r[5] == 6 and r[7] == 24 and r[8] == 900_000 for r in rows)
    phone.get_by_role("button", name="Ajukan ke Camat").click()
    expect(phone.locator("#plan-main [data-testid=state]").first).to_have_attribute("data-state", "submitted")
    logout(phone)

    login(page, "camat")
    page.goto(plan_url)
    page.get_by_test_id("action-approve").locator("summary").click()
    page.get_by_label("Kata sandi Anda, untuk konfirmasi").fill(DEMO_PASSWORD)
    page.get_by_test_id("confirm-approve").click()
    expect(page.locator("#plan-main [data-testid=state]").first).to_have_attribute("data-state", "approved")
    assert_accessible(page)
    assert phone.console_errors == [] and page.console_errors == []

"""A KTP from the counter to hand-over, an akta kelahiran returned and resubmitted, and the public
tracking page, walked in Chromium as the clerk, the Kasi and the Camat would."""
import re
from datetime import date, timedelta

import pypdfium2 as pdfium
from playwright.sync_api import expect

from plaju.documents.nik import make_nik
from plaju.training.demo import tiny_pdf
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, assert_fits_phone, login, logout

PDF = tiny_pdf()  # a real one-page PDF: the upload is opened


def _take_in(page, type_label: str, nik: str, name: str, subject: dict | None = None) -> str:
    page.goto("/documents/new")
    page.fill("[name=nik]", nik)
    page.fill("[name=name]", name)
    page.fill("[name=phone]", "081234567890")
    page.select_option("[name=kelurahan]", "Talang Putri")
    page.select_option("[data-testid=type-select]", label=type_label)
    checklist = page.get_by_test_id("requirements")
    expect(checklist).to_be_visible()
    for box in checklist.locator("input[type=checkbox]").all():
        box.check()
    if page.get_by_test_id("purpose").count():  # a letter the Camat signs says what it is for
        page.get_by_test_id("purpose").fill("pendaftaran sekolah anak")
        page.get_by_test_id("address").fill("Jl. Sentosa No. 7 RT 003 RW 001")
        page.get_by_test_id("birth-place").fill("Palembang")
    for field, value in (subject or {}).items():  # the fields that appear for the chosen type
        if page.locator(f"select[name={field}]").count():
            page.select_option(f"select[name={field}]", value)
        else:
            page.fill(f"[name={field}]", value)
    page.set_input_files("[name=attachments]", files=[{"name": "scan-kk.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF}])
    page.get_by_test_id("submit-intake").click()
    page.wait_for_url(re.compile(r"/documents/\d+/receipt$"))
    expect(page.get_by_test_id("qr")).to_be_visible()
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    assert re.fullmatch(r"PLJ-[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    assert nik not in page.content()
    return page.url.rsplit("/", 1)[0]


def _state(page, state: str) -> None:
    expect(page.locator(f"[data-testid=status-panel][data-state={state}]")).to_be_visible()


def _click(page, trigger: str, state: str) -> None:
    page.get_by_test_id(f"action-{trigger}").locator("button[type=submit]").click()  # (a caution may sit below)
    _state(page, state)


def _confirm(page, trigger: str, state: str, comment: str | None = None, password: str | None = None,
             tick: str | None = None) -> None:
    box = page.get_by_test_id(f"action-{trigger}")
    if not box.evaluate("details => details.open"):  # a refused step's form stays open
        box.locator("summary").click()
    if tick:
        box.get_by_label(tick).check()
    if comment is not None:
        box.locator("textarea[name=comment]").fill(comment)
    if password is not None:
        box.locator("input[name=password]").fill(password)
    page.get_by_test_id(f"confirm-{trigger}").click()
    _state(page, state)


def test_sktm_from_counter_to_hand_over(page):
    login(page, "petugas")
    detail = _take_in(page, "Surat Keterangan Tidak Mampu", make_nik(date(1999, 4, 21), True, 9001),
                      "Warga Uji Jalan Satu")
    page.goto(detail)
    _click(page, "verify", "verifying")
    assert "Anda memulai verifikasi" in page.get_by_test_id("action-done").inner_text()
    assert "Menunggu: Kepala Seksi (Kasi)" in page.get_by_test_id("action-done").inner_text()
    expect(page.get_by_test_id("timeline")).to_contain_text("memulai verifikasi")  # refreshed by HX-Trigger
    expect(page.get_by_test_id("attachments")).to_contain_text("scan-kk.pdf")
    assert_accessible(page)
    logout(page)

    login(page, "kasi")
    page.goto(detail)
    _click(page, "accept", "processing")
    _click(page, "to_signature", "awaiting_signature")
    logout(page)

    login(page, "camat")
    page.goto(detail)
    expect(page.get_by_test_id("waiting-for")).to_have_text("Menunggu: Camat")
    _confirm(page, "sign", "awaiting_signature", password="bukan-kata-sandi")
    expect(page.get_by_test_id("action-sign").get_by_test_id("step-error")).to_contain_text("Kata sandi salah")
    expect(page.get_by_test_id("action-error")).to_be_hidden()  # said once, beside the button
    expect(page.get_by_test_id("action-sign").locator("input[name=password]")).to_have_value("")  # never kept
    _confirm(page, "sign", "signed", password=DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-as")).to_contain_text("(Camat Plaju)")
    # a wrong address seen after signing: recalled (revoked), submitted again and signed again
    expect(page.get_by_test_id("recall-instead")).to_be_visible()
    assert_accessible(page)
    _confirm(page, "recall", "processing", comment="Alamat RT/RW salah", password=DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-as")).to_have_count(0)
    logout(page)
    login(page, "kasi")
    page.goto(detail)
    _click(page, "to_signature", "awaiting_signature")
    logout(page)
    login(page, "camat")
    page.goto(detail)
    _confirm(page, "sign", "signed", password=DEMO_PASSWORD)
    logout(page)

    login(page, "petugas")
    page.goto(detail)
    _click(page, "mark_ready", "ready")
    # someone else collects, but the clerk forgot the name: the form stays open with what was typed
    box = page.get_by_test_id("action-hand_over")
    box.locator("summary").click()
    # the proxy's fields only when someone else collects: a screen of them for the usual case on a phone
    expect(box.locator("input[name=f_name]")).to_be_hidden()
    expect(box.locator("input[name=f_id_number]")).to_be_visible()  # the applicant's own ID may be noted
    box.locator("input[name=f_who][value=other]").check()
    box.locator("select[name=f_relation]").select_option("suami")
    box.locator("input[name=f_id_number]").fill("1671010101010001")
    box.locator("input[name=f_attorney]").check()
    box.locator("textarea[name=comment]").fill("Diambil suami pemohon")
    page.get_by_test_id("confirm-hand_over").click()
    expect(box.get_by_test_id("step-error")).to_contain_text("Isikan nama")
    expect(page.get_by_test_id("action-error")).to_be_hidden()
    expect(box.get_by_test_id("step-error")).to_be_in_viewport()  # not left above or below the screen
    assert box.evaluate("details => details.open")
    expect(box.locator("input[name=f_who][value=other]")).to_be_checked()
    expect(box.locator("select[name=f_relation]")).to_have_value("suami")
    expect(box.locator("input[name=f_id_number]")).to_have_value("1671010101010001")
    expect(box.locator("input[name=f_attorney]")).to_be_checked()
    box.locator("input[name=f_name]").fill("Andi Saputra")
    _confirm(page, "hand_over", "handed_over", comment="Diambil suami pemohon dengan surat kuasa")
    expect(page.get_by_test_id("wait")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("(Camat Plaju) menandatangani dokumen")
    expect(page.get_by_test_id("timeline")).to_contain_text("ditolak sistem saat menandatangani dokumen")
    assert_accessible(page)
    assert len(page.console_errors) <= 4  # the two refused steps, each a response and a console line


def test_akta_returned_to_the_citizen_and_resubmitted_and_tracked_publicly(page, phone_page):
    login(page, "petugas")
    born = (date.today() - timedelta(days=3)).isoformat()
    detail = _take_in(page, "Akta Kelahiran", make_nik(date(1994, 1, 5), False, 9002), "Ayah Uji Jalan Dua",
                      subject={"s_name": "Bayi Uji Jalan Dua", "s_sex": "L", "s_place": "Palembang",
                               "s_date": born, "s_relation": "ayah"})
    page.goto(detail)
    expect(page.get_by_test_id("subject")).to_contain_text("Bayi Uji Jalan Dua")
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    _click(page, "verify", "verifying")
    # a reason longer than the log takes is refused above the page; the next step clears that error
    _confirm(page, "return_to_citizen", "verifying", comment="x" * 2001,
             tick="Surat keterangan lahir dari rumah sakit / bidan")
    expect(page.locator("#flash [data-status='422']")).to_contain_text("Tidak ada yang disimpan")
    _confirm(page, "return_to_citizen", "returned", comment="Surat keterangan lahir belum dicap bidan")
    expect(page.locator("#flash [data-status]")).to_have_count(0)
    expect(page.get_by_test_id("promised")).to_contain_text("berhenti sementara")

    phone_page.goto(f"/track/{code}")
    result = phone_page.get_by_test_id("track-result")
    expect(result).to_contain_text("Akta Kelahiran")
    expect(result).to_contain_text("Dikembalikan ke pemohon")
    html = phone_page.content()
    assert "Bayi Uji" not in html and "Ayah Uji" not in html and "1671" not in html and "scan-kk" not in html
    expect(phone_page.get_by_test_id("track-missing")).to_contain_text("Surat keterangan lahir")
    # why, as the clerk typed it for the applicant: a citizen who left the counter reads it too
    assert "belum dicap bidan" in html
    assert_fits_phone(phone_page)

    _confirm(page, "resubmit", "verifying", tick="Surat keterangan lahir dari rumah sakit / bidan")
    logout(page)
    login(page, "kasi")
    page.goto(detail)
    _click(page, "accept", "processing")
    _click(page, "forward", "at_disdukcapil")
    phone_page.goto("/track")
    phone_page.fill("[data-testid=track-code]", code.lower())
    phone_page.get_by_role("button", name="Periksa").click()
    expect(phone_page.get_by_test_id("track-state")).to_have_text("Diteruskan ke Disdukcapil")
    expect(phone_page.get_by_test_id("track-promised")).not_to_have_text("-")
    assert_accessible(phone_page)


def test_the_queue_and_intake_fit_a_phone(phone_page):
    login(phone_page, "petugas")
    for path in ("/documents/", "/documents/new"):
        phone_page.goto(path)
        assert_fits_phone(phone_page)
    phone_page.goto("/documents/")
    phone_page.get_by_test_id("search").fill("zzzz-tidak-ada")
    expect(phone_page.get_by_test_id("queue-empty")).to_be_visible()  # active search, no page load
    assert_accessible(phone_page)
    phone_page.goto("/documents/new")
    assert_accessible(phone_page)
    # the receipt on a phone: the survey's long link wraps inside its box
    # a name of one long word (the counter takes it) wraps on every page instead of widening it
    detail = _take_in(phone_page, "Surat Keterangan Tidak Mampu", make_nik(date(1990, 1, 2), True, 9101),
                      "Warga Wiraatmadjakusumanegaraprawiradirdjahadiningratpurbonegoro")
    assert_fits_phone(phone_page)
    spill = phone_page.get_by_test_id("receipt-skm").evaluate(
        "box => [...box.querySelectorAll('*')].some(e => e.getBoundingClientRect().right > "
        "box.closest('.card').getBoundingClientRect().right + 1)")
    assert not spill
    # printed, the receipt is one A5 sheet (the survey had gone alone onto a second)
    printed = pdfium.PdfDocument(phone_page.pdf(prefer_css_page_size=True))
    try:
        assert len(printed) == 1 and round(printed[0].get_size()[0]) == 420  # A5: 148 mm = 420 pt
    finally:
        printed.close()
    phone_page.goto(detail)  # the request's page: its labels keep their words whole
    expect(phone_page.get_by_test_id("contact-consent")).to_be_visible()
    assert_fits_phone(phone_page)
    phone_page.goto("/inbox/")  # it waits for the counter's verification: the row wraps the name
    expect(phone_page.get_by_test_id("inbox-row").first).to_be_visible()
    assert_fits_phone(phone_page)
    phone_page.goto("/documents/")  # and the queue's table wraps it instead of scrolling sideways
    expect(phone_page.get_by_test_id("queue-row").first).to_be_visible()
    assert_fits_phone(phone_page)


def test_the_document_types_fit_a_phone(phone_page):
    login(phone_page, "admin")
    phone_page.goto("/documents/admin/types")
    expect(phone_page.get_by_text("Kartu Keluarga Baru")).to_be_visible()
    assert_fits_phone(phone_page)

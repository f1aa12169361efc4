"""Competence development as people do it: an ASN enrols from a phone, the supervisor approves, the
Camat signs off, the ASN finishes an e-learning course on the phone, HR verifies and the JP tally
moves; the Camat approves one annual plan and returns another with notes."""
import os
import re

from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, assert_fits_phone, login, logout

COURSE = "E-learning Komunikasi Efektif dengan Warga"
RIGHT_ANSWERS = ["Mendengarkan sampai selesai", "Bahasa sederhana dan jelas", "Mengulang inti permintaan"]


def _state(page):
    return page.locator("#enrolment-main [data-testid=state]").first


def _fits(page):
    page.wait_for_load_state()
    assert_fits_phone(page)


def _server_database(tmp_path_factory):
    """The live server's database (tests/browser/conftest.py names it)."""
    pg = os.environ.get("PLAJU_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{next(tmp_path_factory.getbasetemp().glob('live*/browser.sqlite'))}"
    url = make_url(pg.replace("postgresql://", "postgresql+psycopg://", 1))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return url.set(database=(url.database or "plaju_test") + "_browser" + (f"_{worker}" if worker else ""))


def _time_passes(tmp_path_factory, enrolment_url: str) -> None:
    """A module is marked done only once its least time has passed since it was opened (a third of its share
    of the JP): no page makes time pass, so the learner's openings and modules done move back two hours in
    the server's database."""
    from datetime import timedelta

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from plaju.training.models import ModuleOpening, ModuleProgress
    enrolment_id = int(enrolment_url.rstrip("/").rsplit("/", 1)[1])
    engine = create_engine(_server_database(tmp_path_factory))
    with Session(engine) as session:
        for row in session.scalars(select(ModuleOpening).where(ModuleOpening.enrolment_id == enrolment_id)):
            row.opened_at -= timedelta(hours=2)
        for row in session.scalars(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment_id)):
            row.done_at -= timedelta(hours=2)
        session.commit()
    engine.dispose()


def test_enrol_approve_sign_off_learn_verify_and_the_tally_moves(page, phone_page, tmp_path_factory):
    phone = phone_page
    login(phone, "asn1")
    phone.goto("/training/me")
    before = int(phone.get_by_test_id("my-jp").inner_text())
    _fits(phone)

    phone.goto("/training/courses/")
    _fits(phone)
    phone.get_by_test_id("course-search").fill("komunikasi")
    expect(phone.get_by_test_id("course-card")).to_have_count(1)
    assert "q=komunikasi" in phone.url
    # leaving the search box (the tap on a course does) must not search again: a second answer
    # swapped the list and pushed its address under the tap, and the course did not open
    phone.evaluate("() => { window.searches = 0;"
                   " document.body.addEventListener('htmx:beforeRequest', () => window.searches++); }")
    phone.get_by_test_id("course-search").blur()
    assert phone.evaluate("window.searches") == 0
    phone.get_by_role("link", name=COURSE).click()
    phone.get_by_test_id("enrol-button").click()
    phone.wait_for_url(re.compile(r"/training/enrolments/\d+$"))
    enrolment_url = phone.url
    expect(_state(phone)).to_have_attribute("data-state", "requested")
    _fits(phone)

    login(page, "kasi")
    page.goto("/training/approvals")
    page.get_by_test_id("approval-row").filter(has_text=COURSE).click()
    page.get_by_test_id("action-approve").get_by_role("button").click()
    expect(_state(page)).to_have_attribute("data-state", "approved")
    logout(page)

    login(page, "camat")
    page.goto(enrolment_url)
    expect(page.get_by_test_id("waiting-for")).to_contain_text("Camat atau Plh/Plt Camat")
    assert_accessible(page)
    page.get_by_role("button", name="Sahkan (pelatihan rutin)").click()
    expect(_state(page)).to_have_attribute("data-state", "in_progress")
    expect(page.get_by_test_id("action-done")).to_contain_text("Menunggu: ASN yang bersangkutan")
    logout(page)

    phone.goto(enrolment_url)
    with phone.expect_navigation():
        phone.get_by_test_id("open-learning").click()
    modules = phone.get_by_test_id("module-link")
    expect(modules).to_have_count(3)
    count = modules.count()
    with phone.expect_navigation():
        modules.first.click()
    # a module takes its time: the page says from when it can be marked done, and its button waits till then
    expect(phone.get_by_test_id("module-ready-at")).to_contain_text("dapat menandai modul ini selesai mulai")
    expect(phone.get_by_test_id("mark-done")).to_be_disabled()
    expect(phone.get_by_test_id("mark-done")).to_contain_text("Dapat ditandai selesai mulai")
    for _ in range(count):
        _fits(phone)
        _time_passes(tmp_path_factory, enrolment_url)
        phone.reload()  # the time has come: the page offers the button
        with phone.expect_navigation():
            phone.get_by_test_id("mark-done").click()
    phone.goto(enrolment_url + "/learn")
    expect(phone.get_by_test_id("module-done")).to_have_count(3)
    with phone.expect_navigation():
        phone.get_by_test_id("open-quiz").click()
    _fits(phone)
    for answer in RIGHT_ANSWERS:
        phone.get_by_label(answer).check()
    phone.get_by_test_id("quiz-submit").click()
    phone.wait_for_url(enrolment_url)
    expect(_state(phone)).to_have_attribute("data-state", "completed")
    phone.goto("/training/me")
    assert int(phone.get_by_test_id("my-jp").inner_text()) == before  # not before HR verifies

    login(page, "kepegawaian")
    page.goto(enrolment_url)
    expect(page.get_by_test_id("learning-times")).to_contain_text("Waktu belajar")  # how long each module took
    page.get_by_role("button", name="Verifikasi dan catat JP").click()
    expect(_state(page)).to_have_attribute("data-state", "verified")
    trail = page.get_by_test_id("history")
    # every step in order, as a sentence in Bahasa (raw step codes are not shown)
    said = trail.locator(".history-text").all_inner_texts()
    verbs = ["mengajukan pendaftaran pelatihan", "menyetujui pendaftaran",
             "mengesahkan pendaftaran (pelatihan rutin)", "menyelesaikan satu modul", "menyelesaikan satu modul",
             "menyelesaikan satu modul", "mengerjakan kuis", "menyelesaikan e-learning",
             "memverifikasi penyelesaian dan mencatat JP"]
    assert len(said) == len(verbs) and all(verb in text for verb, text in zip(verbs, said, strict=True)), said
    assert "sign_off_routine" not in trail.inner_text() and "complete_elearning" not in trail.inner_text()
    assert_accessible(page)
    logout(page)

    phone.goto("/training/me")
    assert int(phone.get_by_test_id("my-jp").inner_text()) == before + 6
    _fits(phone)
    assert phone.console_errors == [] and page.console_errors == []


def test_the_camat_approves_one_plan_and_returns_another_with_notes(page):
    login(page, "kepegawaian")
    page.goto("/training/plans/")
    page.get_by_test_id("plan-row").filter(has_text="Seksi Pemerintahan").click()
    plan_to_approve = page.url
    page.get_by_role("button", name="Ajukan ke Camat").click()
    expect(page.locator("#plan-main [data-testid=state]").first).to_have_attribute("data-state", "submitted")
    logout(page)

    login(page, "camat")
    page.goto(plan_to_approve)
    expect(page.get_by_test_id("waiting-for")).to_contain_text("Camat")
    assert_accessible(page)
    page.get_by_test_id("action-approve").locator("summary").click()
    page.get_by_label("Kata sandi Anda, untuk konfirmasi").fill(DEMO_PASSWORD)
    page.get_by_test_id("confirm-approve").click()
    expect(page.locator("#plan-main [data-testid=state]").first).to_have_attribute("data-state", "approved")
    expect(page.get_by_test_id("locked")).to_be_visible()

    page.goto("/training/plans/")
    page.get_by_test_id("plan-row").filter(has_text="Subbagian Umum dan Kepegawaian").click()
    page.wait_for_url(re.compile(r"/training/plans/\d+$"))
    page.wait_for_load_state()
    notes = "Tambahkan pelatihan manajerial untuk Analis Kepegawaian."
    box = page.get_by_test_id("action-return")
    if not box.evaluate("details => details.open"):  # opened once, whatever state the page loaded in
        box.locator("summary").click()
    expect(page.get_by_label("Alasan (wajib)")).to_be_visible()
    page.get_by_label("Alasan (wajib)").fill(notes)
    page.get_by_test_id("confirm-return").click()
    expect(page.locator("#plan-main [data-testid=state]").first).to_have_attribute("data-state", "returned")
    expect(page.get_by_test_id("plan-notes")).to_contain_text(notes)
    expect(page.get_by_test_id("action-done")).to_contain_text("Menunggu: Kepegawaian")
    trail = page.get_by_test_id("history")
    expect(trail.locator("li").last).to_contain_text("Camat Plaju) mengembalikan rencana dengan catatan")
    expect(trail.locator("li").last).to_contain_text("Dikembalikan dengan catatan")
    expect(trail.locator("li").last).to_contain_text(notes)
    assert_accessible(page)
    assert page.console_errors == []


INTERNAL = "E-learning Standar Pelayanan PATEN"


def _search(phone, words):
    """Type into the catalogue search and wait until the filtered list is in place: a click on the
    unfiltered list races the swap, which replaces the link under the pointer. The list shown before is
    marked, and the search is done when a list without the mark (the swapped-in one) is there: htmx may
    push the address before it swaps, so the address alone does not say the swap happened."""
    phone.locator("#course-results").evaluate("list => list.dataset.before = 'search'")
    phone.get_by_test_id("course-search").fill(words)
    expect(phone).to_have_url(re.compile(r"q=" + re.escape(words.replace(" ", "%20")) + r"(&|$)"))
    expect(phone.locator("#course-results:not([data-before])")).to_have_count(1)
    expect(phone.locator("#course-spinner.htmx-request")).to_have_count(0)


INTERNAL_ANSWERS = ["Gratis", "Di loket PATEN tempat mengajukan"]


def test_an_asn_finishes_the_offices_own_elearning_and_downloads_its_signed_certificate(page, phone_page,
                                                                                         tmp_path_factory):
    """The office runs the course: finishing it on a phone puts the certificate in the Camat's inbox, he
    signs it there with the documents' bulk signature, the ASN downloads the PDF and the JP bar moves."""
    import io

    import pypdfium2 as pdfium
    phone = phone_page
    login(phone, "asn2")
    phone.goto("/training/me")
    before = int(phone.get_by_test_id("my-jp").inner_text())
    phone.goto("/training/courses/")
    _search(phone, "standar pelayanan")
    phone.get_by_role("link", name=INTERNAL).click()
    expect(phone.get_by_test_id("internal-course")).to_contain_text("sertifikat diterbitkan di sini")
    _fits(phone)
    phone.get_by_test_id("enrol-button").click()
    phone.wait_for_url(re.compile(r"/training/enrolments/\d+$"))
    enrolment_url = phone.url

    login(page, "kasipem")
    page.goto(enrolment_url)
    page.get_by_test_id("action-approve").get_by_role("button").click()
    expect(_state(page)).to_have_attribute("data-state", "approved")
    logout(page)
    login(page, "camat")
    page.goto(enrolment_url)
    page.get_by_role("button", name="Sahkan (pelatihan rutin)").click()
    expect(_state(page)).to_have_attribute("data-state", "in_progress")
    logout(page)

    # the ASN follows the page: open the e-learning, each module leads to the next, then the quiz
    phone.goto(enrolment_url)
    with phone.expect_navigation():
        phone.get_by_test_id("open-learning").click()
    modules = phone.get_by_test_id("module-link")
    expect(modules).to_have_count(2)
    with phone.expect_navigation():
        modules.first.click()
    for _ in range(2):
        _fits(phone)
        _time_passes(tmp_path_factory, enrolment_url)
        phone.reload()
        with phone.expect_navigation():
            phone.get_by_test_id("mark-done").click()
    with phone.expect_navigation():
        phone.get_by_test_id("open-quiz").click()
    for answer in INTERNAL_ANSWERS:
        phone.get_by_label(answer).check()
    phone.get_by_test_id("quiz-submit").click()
    phone.wait_for_url(enrolment_url)
    expect(_state(phone)).to_have_attribute("data-state", "awaiting_certificate")
    expect(phone.get_by_test_id("certificate-waiting")).to_contain_text("menunggu tanda tangan Camat")
    _fits(phone)
    phone.goto("/training/me")
    assert int(phone.get_by_test_id("my-jp").inner_text()) == before  # credited when signed

    # the Camat signs it from his inbox like a letter, with his password once
    login(page, "camat")
    page.goto("/inbox/")
    row = page.get_by_test_id("inbox-row").filter(has_text=INTERNAL)
    expect(row).to_have_count(1)
    row.get_by_test_id("select-row").check()
    page.get_by_test_id("bulk-selected").click()
    expect(page.get_by_test_id("confirm-item")).to_have_count(1)
    page.get_by_test_id("bulk-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_test_id("done-count")).to_contain_text("1")
    logout(page)

    phone.goto(enrolment_url)
    expect(_state(phone)).to_have_attribute("data-state", "verified")
    number = phone.get_by_test_id("certificate-number").inner_text().strip()
    expect(phone.get_by_test_id("certificate-box")).to_contain_text(number)
    _fits(phone)
    assert_accessible(phone)
    href = phone.get_by_test_id("certificate-download").get_attribute("href")
    response = phone.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(io.BytesIO(response.body()))
    text = " ".join(p.get_textpage().get_text_range() for p in document)
    document.close()
    assert number in text and "3 JP" in text and "SERTIFIKAT PELATIHAN" in text and "Camat" in text, text

    phone.goto("/training/me")
    assert int(phone.get_by_test_id("my-jp").inner_text()) == before + 3
    expect(phone.get_by_test_id("jp-bar")).to_have_attribute("aria-valuenow", str(before + 3))
    _fits(phone)
    assert phone.console_errors == [] and page.console_errors == []


def test_hr_ticks_attendance_of_the_offices_classroom_course_on_a_phone(phone_page):
    phone = phone_page
    login(phone, "kepegawaian")
    phone.goto("/training/courses/")
    _search(phone, "tata naskah")
    phone.get_by_role("link", name="Pelatihan Internal Tata Naskah Dinas").click()
    expect(phone.get_by_test_id("internal-course")).to_contain_text("80%")
    with phone.expect_navigation():
        phone.get_by_test_id("attendance-link").click()
    expect(phone.get_by_test_id("attendance-rule")).to_contain_text("80%")
    expect(phone.get_by_test_id("attendance-days").locator("a")).not_to_have_count(0)
    _fits(phone)
    assert_accessible(phone)
    assert phone.console_errors == []


def test_a_december_course_cannot_be_reported_done_in_november(phone_page):
    """The report that started issue 11: a course in late December reported done in November. On a phone
    the page says from when completion can be reported and offers no way to report it before."""
    phone = phone_page
    login(phone, "petugas")
    phone.goto("/training/me")
    phone.get_by_test_id("my-enrolments").get_by_role("link").filter(
        has_text="Pelatihan Pelayanan Prima di Loket PATEN").first.click()
    phone.wait_for_url(re.compile(r"/training/enrolments/\d+$"))
    expect(_state(phone)).to_have_attribute("data-state", "in_progress")
    action = phone.get_by_test_id("action-complete")
    expect(action.get_by_role("button")).to_be_disabled()
    expect(action.get_by_test_id("blocked")).to_contain_text("Penyelesaian dapat dilaporkan mulai")
    expect(phone.locator("[data-testid=confirm-complete]")).to_have_count(0)
    _fits(phone)

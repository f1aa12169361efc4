"""An SKTM from the counter to a signed letter: the Kasi reviews the draft, the Camat signs it from his
to-do list, the PDF verifies as signed (pyHanko and poppler's pdfsig), one changed byte breaks the
signature, and the public check says valid and compares uploads byte for byte."""
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from plaju.documents.nik import make_nik
from tests.browser.conftest import DEMO_PASSWORD, assert_fits_phone, login, logout
from tests.browser.test_documents_journey import _click, _confirm, _take_in
from tests.letters.conftest import pyhanko_status


def _keys_dir(tmp_path_factory) -> Path:
    # the live server's instance folder (the "livecurrent" symlink points at the same one)
    found = {path.resolve() for path in tmp_path_factory.getbasetemp().glob("live*/instance/signing/ca.pem")}
    [ca] = found
    return ca.parent


def test_sktm_is_reviewed_signed_verified_and_checked_publicly(page, phone_page, live_server, tmp_path_factory,
                                                               tmp_path):
    login(page, "petugas")
    detail = _take_in(page, "Surat Keterangan Tidak Mampu", make_nik(date(1988, 7, 2), False, 9101),
                      "Warga Uji Surat")
    page.goto(detail)
    _click(page, "verify", "verifying")
    logout(page)

    login(page, "kasi")
    page.goto(detail)
    _click(page, "accept", "processing")
    draft = page.get_by_test_id("letter-draft")
    expect(draft).to_be_visible()
    response = page.request.get(draft.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert b"(DRAF)" in response.body() and b"Warga Uji Surat" in response.body()
    assert b"untuk keperluan: pendaftaran sekolah anak" in response.body()  # typed at the counter
    _click(page, "to_signature", "awaiting_signature")
    logout(page)

    login(page, "camat")
    page.goto("/")
    page.goto("/documents/?state=awaiting_signature")
    code = detail.rsplit("/", 1)[1]
    row = page.get_by_test_id("queue-row").filter(has=page.locator(f"a[href='/documents/{code}']"))
    expect(row.get_by_test_id("queue-draft")).to_be_visible()
    row.locator(f"a[href='/documents/{code}']").first.click()
    expect(page.get_by_test_id("letter-draft")).to_be_visible()  # beside the sign button
    _confirm(page, "sign", "signed", password=DEMO_PASSWORD)
    pdf_link = page.get_by_test_id("letter-pdf")
    expect(pdf_link).to_be_visible()
    number = pdf_link.inner_text().strip()
    signed = page.request.get(pdf_link.get_attribute("href")).body()
    check_href = page.get_by_test_id("letter-check").get_attribute("href")
    logout(page)

    status = pyhanko_status(signed, _keys_dir(tmp_path_factory))
    assert status.intact and status.valid and status.trusted
    broken = bytearray(signed)
    broken[10] ^= 0x01
    assert not pyhanko_status(bytes(broken), _keys_dir(tmp_path_factory)).intact
    good_file, bad_file = tmp_path / "surat.pdf", tmp_path / "surat-ubah.pdf"
    good_file.write_bytes(signed)
    bad_file.write_bytes(bytes(broken))
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None and os.environ.get("CI") != "true":  # CI installs it (.ci/run)
        pytest.skip("poppler-utils (pdfsig) is not installed; CI installs it")
    assert "Signature is Valid" in subprocess.run([pdfsig, str(good_file)], capture_output=True, text=True).stdout
    assert "Digest Mismatch" in subprocess.run([pdfsig, str(bad_file)], capture_output=True, text=True).stdout

    # the citizen's bank, without an account, follows the QR code's address
    page.goto(check_href)
    expect(page.get_by_test_id("check-result")).to_have_attribute("data-status", "valid")
    expect(page.get_by_test_id("check-number")).to_have_text(number)
    assert "Warga Uji Surat" not in page.content()
    page.get_by_test_id("check-file").set_input_files(str(good_file))
    page.get_by_test_id("check-upload").click()
    expect(page.get_by_test_id("upload-result")).to_have_attribute("data-result", "match")
    page.get_by_test_id("check-file").set_input_files(str(bad_file))
    page.get_by_test_id("check-upload").click()
    expect(page.get_by_test_id("upload-result")).to_have_attribute("data-result", "mismatch")
    # most check it on a phone, from the QR code: the page and its upload form fit the screen
    phone_page.goto(check_href)
    expect(phone_page.get_by_test_id("check-upload")).to_be_visible()
    assert_fits_phone(phone_page)
    # and the Camat reads the register on his: each letter a card with its number, status and reference
    login(phone_page, "camat")
    phone_page.goto("/letters/")
    row = phone_page.get_by_test_id("letter-row").filter(has_text=number)
    expect(row.locator(f"a[href='/documents/{code}']")).to_be_visible()
    assert row.evaluate("r => r.getBoundingClientRect().right") <= 360
    assert_fits_phone(phone_page)

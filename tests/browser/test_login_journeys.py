"""Each demo role signs in and sees its own home; a wrong password is told so; sign-out works."""
import pytest

from tests.browser.conftest import assert_accessible, assert_fits_phone, login, logout

ROLES = {
    "admin": "Pranata Komputer", "camat": "Camat Plaju", "sekcam": "Sekretaris Camat",
    "kasi": "Kasi Pelayanan", "petugas": "Petugas Loket PATEN",
    "kepegawaian": "Kasubbag Umum dan Kepegawaian", "asn1": "Pengadministrasi Umum",
}


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_role_signs_in_to_its_home_and_out_again(page, username):
    login(page, username)
    assert page.get_by_test_id("roles").inner_text().startswith(ROLES[username])
    assert page.locator("h1").first.inner_text().startswith("Selamat datang")
    nav = page.locator("#mainnav").inner_text()
    assert ("Audit" in nav) == (username in ("admin", "camat", "kepegawaian"))  # the log: HR, admin, the Camat
    assert_accessible(page)  # each role's home, navigation included
    if "Audit" in nav:
        page.goto("/audit/")
        assert_accessible(page)
    logout(page)
    assert "Anda telah keluar" in page.content()
    page.goto("/")
    assert "/login" in page.url
    assert page.console_errors == []


def test_wrong_password_shows_the_message(page):
    page.expect_error("Failed to load resource")  # the refused sign-in answers with an error status
    page.goto("/login")
    assert_accessible(page)
    page.fill("[name=username]", "camat")
    page.fill("[name=password]", "bukan-kata-sandinya")
    page.get_by_role("button", name="Masuk").click()
    assert page.get_by_test_id("form-error").inner_text() == "Nama pengguna atau kata sandi salah."
    page.goto("/")
    assert "/login" in page.url


def test_login_page_fits_a_phone(phone_page):
    phone_page.goto("/login")
    assert_fits_phone(phone_page)
    login(phone_page, "asn1")
    assert_fits_phone(phone_page)

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


def test_a_new_account_chooses_its_password_at_the_first_sign_in_on_a_quiet_page(browser, live_server):
    """The admin makes an account with a one-time password; its owner signs in and lands on the password
    page, which stays put while they type (the menu's counters once sent it to itself again, several
    times a second) and tells the rules before the first try."""
    from tests.browser.conftest import _close, _page
    context, page = _page(browser, live_server, 1280, 900)
    try:
        login(page, "admin")
        page.goto("/people/new")
        page.fill("[name=username]", "pegawai.baru")
        page.fill("[name=full_name]", "Rahmat Hidayat")
        page.fill("[name=position]", "Pengolah Data")
        page.fill("[name=password]", "Sekali-Pakai-Awal-2026")
        page.get_by_role("button", name="Simpan").click()
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/people"))
        logout(page)
        login(page, "pegawai.baru", "Sekali-Pakai-Awal-2026")
        assert page.url.endswith("/account/password")
        loads = []
        page.on("load", lambda: loads.append(1))
        page.wait_for_timeout(2500)  # the counters have long answered
        assert loads == [], f"the password page loaded itself again {len(loads)} times"
        assert "nama pengguna, nama, atau NIP" in page.locator("#password-form").inner_text()
        page.fill("[name=current]", "Sekali-Pakai-Awal-2026")
        page.fill("[name=new]", "kopi-hujan-sepeda-lari-74")
        page.fill("[name=confirm]", "kopi-hujan-sepeda-lari-74")
        page.get_by_role("button", name="Simpan").click()
        page.wait_for_url(lambda url: "/account/password" not in url)
        assert "Kata sandi Anda telah diganti" in page.content()
    finally:
        _close(context, page)

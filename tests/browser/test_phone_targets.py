"""On a phone every control is big enough for a finger: the Camat signs from his inbox on one, the clerk
works the queue, the administrator keeps accounts. The inbox's row buttons were 31 px tall and its tick boxes
16 px; the account form's roles sat beside their legend, wider than the screen."""
import pytest

from tests.browser.conftest import assert_fits_phone, login, logout

SMALL = """(() => [...document.querySelectorAll(
        'button, .btn, select, input:not([type=hidden]), .nav-link, .page-link')]
    .filter(e => e.checkVisibility() && e.type !== 'file')
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.height < (e.matches('[type=checkbox], [type=radio]') ? 24 : 36))
    .map(([e, r]) => `${e.tagName.toLowerCase()} "${(e.innerText || e.name || e.id || '').trim().slice(0, 30)}" `
                     + `${Math.round(r.height)}px`))()"""


@pytest.mark.parametrize("who,paths", [
    ("camat", ["/inbox/", "/documents/", "/training/me", "/audit/"]),
    ("petugas", ["/documents/", "/documents/new"]),
    ("admin", ["/people/new", "/people/delegations", "/documents/admin/holidays"]),
])
def test_every_control_is_big_enough_for_a_finger_and_the_page_fits(phone_page, who, paths):
    phone = phone_page
    login(phone, who)
    for path in paths:
        phone.goto(path)
        assert_fits_phone(phone)
        assert phone.evaluate(SMALL) == [], path
    logout(phone)

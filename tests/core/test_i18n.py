"""Every message in the code and templates has an Indonesian translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _msgids():
    method_map = [("plaju/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "lazy_ngettext": (1, 2)}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords):
        yield filename, message if isinstance(message, str) else message[0]


def test_the_indonesian_catalog_is_complete():
    with open(ROOT / "plaju/translations/id/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    def translated(msgid):
        entry = catalog.get(msgid)
        if entry is None:
            return False
        return all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string)

    missing = sorted({f"{name}: {msgid!r}" for name, msgid in _msgids() if not translated(msgid)})
    assert missing == [], "untranslated (run pybabel extract/update, then translate):\n" + "\n".join(missing)


def test_form_messages_of_wtforms_itself_speak_indonesian(client, login_as):
    login_as("admin")
    response = client.post("/people/new", data={"username": "x", "full_name": "X", "unit_id": "abc",
                                                "supervisor_id": "0", "roles": ["bukan-peran"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pilihan tidak sah" in body and "Not a valid" not in body


def test_every_message_is_translated_once():
    # catalogs are appended to by many changes at once: a second entry for one text would silently win
    from collections import Counter
    from pathlib import Path

    from babel.messages.pofile import read_po
    for po in Path(__file__).resolve().parents[2].glob("plaju/translations/*/LC_MESSAGES/messages.po"):
        text = po.read_text(encoding="utf-8")
        with po.open("rb") as f:
            catalog = read_po(f)
        ids = Counter(line for line in text.splitlines() if line.startswith("msgid "))
        twice = [line for line, n in ids.items() if n > 1 and line != 'msgid ""']
        assert not twice, f"{po}: {twice[:5]}"
        assert len(catalog) > 0


def test_the_fast_date_formats_equal_babels_in_every_month_and_language(app):
    # lists write dozens of times per page through the direct formatter; it must read exactly as Babel's
    from datetime import datetime

    from flask_babel import force_locale, format_date, format_datetime

    from plaju.i18n import WIB_FORMAT, date_text, wib_text
    from plaju.timeutil import to_wib
    with app.test_request_context():
        for lang in ("id", "en"):
            with force_locale(lang):
                for month in range(1, 13):
                    for moment in (datetime(2026, month, 1, 16, 59), datetime(2026, month, 28, 3, 5)):
                        expected = format_datetime(to_wib(moment), WIB_FORMAT, rebase=False) + " WIB"
                        assert wib_text(moment) == expected
                        assert wib_text(moment.isoformat()) == expected
                        for pattern in ("d MMM yyyy", "d MMMM yyyy", "EEEE, d MMMM yyyy"):
                            assert date_text(moment.date(), pattern) == format_date(moment.date(), pattern)
        assert wib_text(None) == "-" and date_text(None) == "-"
        assert wib_text(datetime(2026, 5, 31, 17, 30), "d MMMM yyyy") == "1 Juni 2026 WIB"


def test_a_moment_is_dated_by_its_day_in_wib(app):
    """A certificate signed at 02.05 WIB on 2 December (19.05 UTC on the 1st) read "signed on 1 December"."""
    from datetime import datetime

    from plaju.i18n import date_text
    with app.test_request_context():
        assert date_text(datetime(2026, 12, 1, 19, 5)) == "2 Desember 2026"
        assert date_text(datetime(2026, 12, 1, 16, 59)) == "1 Desember 2026"

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

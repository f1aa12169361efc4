"""Bahasa Indonesia by default, English on request; WIB dates written the Indonesian way.

Message catalogs (.po) live in plaju/translations and are compiled to .mo under instance/ when the
app starts, so no compiled file sits in the repository.
"""
from datetime import date, datetime
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_request_context, session
from flask_babel import format_date, format_datetime

from .timeutil import to_wib

SOURCE = Path(__file__).parent / "translations"
LANGUAGES = ("id", "en")


def compile_catalogs(target: Path) -> None:
    for po_path in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(SOURCE).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo_path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo_path)  # atomic: two workers starting at once never read half a file


def select_locale():
    if not has_request_context():
        return "id"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "id"


def init_i18n(app, babel) -> None:
    target = Path(app.instance_path) / "translations"
    compile_catalogs(target)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    babel.init_app(app, locale_selector=select_locale)

    @app.template_filter("wib")
    def wib_datetime(value, fmt="d MMM yyyy HH.mm"):
        if value is None:
            return "-"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(to_wib(value), fmt, rebase=False) + " WIB"

    @app.template_filter("tanggal")
    def long_date(value: date | None, fmt="d MMMM yyyy"):
        return "-" if value is None else format_date(value, fmt)

    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_lang"] = select_locale

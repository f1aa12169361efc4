"""Reading the dashboards' query arguments. Anything impossible is told in words, never a crash."""
import re
from datetime import date, timedelta

from ..database import utcnow
from ..documents import sla
from ..documents.models import KELURAHAN
from ..i18n import gettext as _
from .service import Filters

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
FIRST_YEAR = 2000


class FilterError(ValueError):
    pass


def this_month() -> str:
    return sla.wib_date(utcnow()).strftime("%Y-%m")


def last_complete_month() -> str:
    """The month before this one: what a monthly report is about unless asked for another."""
    return (sla.wib_date(utcnow()).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def parse_month(raw: str | None, default: str | None = None) -> str:
    raw = (raw or "").strip()
    if not raw:
        return default or this_month()
    match = MONTH.match(raw)
    if not match:
        raise FilterError(_("The month \"%(value)s\" is not valid: write it as YYYY-MM, e.g. 2026-11.",
                            value=raw))
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise FilterError(_("The month \"%(value)s\" does not exist: months run from 01 to 12.", value=raw))
    if year < FIRST_YEAR or raw > this_month():
        raise FilterError(_("The month \"%(value)s\" is outside the period with data (from %(first)s to "
                            "this month).", value=raw, first=FIRST_YEAR))
    return raw


def parse_day(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    match = DAY.match(raw)
    if not match:
        raise FilterError(_("The date \"%(value)s\" is not valid: write it as YYYY-MM-DD, e.g. 2026-06-30.",
                            value=raw))
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FilterError(_("The date \"%(value)s\" does not exist in the calendar.", value=raw)) from None
    if day.year < FIRST_YEAR:
        raise FilterError(_("The date \"%(value)s\" is outside the period with data (from %(first)s to "
                            "this month).", value=raw, first=FIRST_YEAR))
    return day


def parse_service_filters(args, type_ids) -> Filters:
    """`bulan` (last month of the 12 shown), `jenis` (document type id), `kelurahan`, `titik` (the day
    that splits before and after)."""
    end = parse_month(args.get("bulan"))
    type_id = None
    raw_type = (args.get("jenis") or "").strip()
    if raw_type:
        if not (raw_type.isascii() and raw_type.isdigit()) or int(raw_type) not in type_ids:
            raise FilterError(_("The document type chosen is unknown. Choose one from the list."))
        type_id = int(raw_type)
    kelurahan = (args.get("kelurahan") or "").strip() or None
    if kelurahan is not None and kelurahan not in KELURAHAN:
        raise FilterError(_("The kelurahan \"%(value)s\" is not in Kecamatan Plaju. Choose one from the list.",
                            value=kelurahan))
    return Filters(end_month=end, type_id=type_id, kelurahan=kelurahan, split=parse_day(args.get("titik")))


def parse_year(raw: str | None) -> int:
    """The competence report's year: the current one by default, back to FIRST_YEAR, and the next (plans are
    made for it, and its approved courses are on the way)."""
    raw = (raw or "").strip()
    current = sla.wib_date(utcnow()).year
    if not raw:
        return current
    if not (raw.isascii() and raw.isdigit()) or len(raw) != 4 or not FIRST_YEAR <= int(raw) <= current + 1:
        raise FilterError(_("The year \"%(value)s\" is not valid: choose a year from %(first)s to %(last)s.",
                            value=raw, first=FIRST_YEAR, last=current + 1))
    return int(raw)

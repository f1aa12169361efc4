"""The training history export: verified training per ASN or per unit, with JP, certificate numbers and
dates, as CSV or XLSX, with the columns chosen and ordered by the reader (or a preset, e.g. the fields
SIASN asks for when training history is entered there: riwayat diklat/kursus).

Who may export: an ASN their own history, a supervisor the people of their unit, HR, the Camat and the Sekcam
everyone (`may_export`, which the competence report's names follow too). Every
export is audited (`training_history.export`), and so is every refusal.

Cells that begin with = + - @ (or a tab or carriage return) are prefixed with an apostrophe so that a
spreadsheet never evaluates text typed by a user (formula injection).
"""
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from ...accounts.models import Unit, User
from ...audit import record as audit
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...spreadsheet import csv_writer, fit_columns, safe_cell, xlsx_row
from ...timeutil import to_wib
from ...workflow import Invalid, NotAllowed
from ..models import KINDS, METHODS, Enrolment
from .common import refuse

FORMATS = ("csv", "xlsx")


def _certificate(enrolment, name: str):
    """A fact printed on the certificate (STTPP), where the enrolment records it."""
    return getattr(enrolment, f"certificate_{name}", None)


def _finished_on(enrolment) -> date | None:
    """The day the training was done by this person: the certificate's date, else the day they completed it."""
    return enrolment.certificate_date or (to_wib(enrolment.completed_at).date() if enrolment.completed_at else None)


def _dates(enrolment) -> tuple[date | None, date | None]:
    """(first day, last day): the course's, or for one that names no dates (an e-learning followed at any
    time) the day this person finished it; SIASN takes no record without its dates."""
    course = enrolment.course
    if course.starts_on is None:
        done = _finished_on(enrolment)
        return done, done
    return course.starts_on, course.ends_on or course.starts_on


@dataclass(frozen=True)
class Column:
    label: object
    value: Callable


COLUMNS = {
    "nip": Column(_l("NIP"), lambda e: e.user.nip or ""),
    "name": Column(_l("Name"), lambda e: e.user.full_name),
    "unit": Column(_l("Work unit"), lambda e: e.user.unit.name if e.user.unit else ""),
    "position": Column(_l("Position"), lambda e: e.user.position or ""),
    "course": Column(_l("Course name"), lambda e: e.course.title),
    "kind": Column(_l("Competence kind"), lambda e: str(KINDS.get(e.course.kind, e.course.kind))),
    "method": Column(_l("Type of training"), lambda e: str(METHODS.get(e.course.method, e.course.method))),
    "provider": Column(_l("Organising institution"),
                       lambda e: _certificate(e, "issuer") or e.course.provider or ""),
    "starts_on": Column(_l("Start date"), lambda e: _dates(e)[0]),
    "ends_on": Column(_l("End date"), lambda e: _dates(e)[1]),
    "year": Column(_l("Year"), lambda e: e.credited_year),
    "jp": Column(_l("Hours (JP)"), lambda e: e.jp_credited),
    "certificate_number": Column(_l("Certificate number"), lambda e: _certificate(e, "number") or ""),
    "certificate_date": Column(_l("Certificate date"), lambda e: _certificate(e, "date")),
    # the day in Palembang: a verification at 06.00 WIB is 23.00 UTC the day before
    "verified_at": Column(_l("Verified on"), lambda e: to_wib(e.verified_at).date() if e.verified_at else None),
}
PRESETS = {
    # the fields of SIASN's riwayat kursus/diklat form, in its order
    "siasn": ("nip", "name", "method", "course", "provider", "certificate_number", "starts_on", "ends_on",
              "year", "jp"),
    "full": tuple(COLUMNS),
}
PRESET_LABELS = {"siasn": _l("SIASN (riwayat diklat/kursus)"), "full": _l("All columns")}


def is_unit_supervisor(user, unit_id: int | None) -> bool:
    """A supervisor of the unit: belongs to it and directly supervises someone active."""
    if unit_id is None or user.unit_id != unit_id:
        return False
    return bool(db.session.scalar(select(exists().where(User.supervisor_id == user.id, User.active.is_(True)))))


# who reads every ASN's training one by one: HR keeps the records, the Camat and the Sekcam answer for every
# ASN's 20 JP (they read each unit's plan by name already, plans.EVERY_UNIT_PLANS)
SEES_ALL_STAFF = ("hr", "camat", "sekcam")


def sees_all_staff(user) -> bool:
    return user.has_role(*SEES_ALL_STAFF)


def may_export(actor, person: User | None = None, unit_id: int | None = None) -> bool:
    """The one access rule of the export and of the competence report's names, asked by the form, the service
    and the report (with neither person nor unit: the whole office)."""
    if sees_all_staff(actor):
        return True
    if person is not None:
        return person.id == actor.id or is_unit_supervisor(actor, person.unit_id)
    return is_unit_supervisor(actor, unit_id)


WHOLE_OFFICE = -1  # the work unit chosen as "the whole office": HR's export for SIASN at the year's end


def credited_years() -> list[int]:
    """The years with credited JP, newest first (the export's year choice)."""
    return list(db.session.scalars(select(Enrolment.credited_year).where(Enrolment.state == "verified",
                                                                        Enrolment.credited_year.is_not(None))
                                   .group_by(Enrolment.credited_year).order_by(Enrolment.credited_year.desc())))


def rows(person_id: int | None = None, unit_id: int | None = None, year: int | None = None) -> list[Enrolment]:
    """Verified training of one person, one unit's people or the whole office's (of one year's JP when
    given), by person then date, in one statement."""
    stmt = (select(Enrolment).join(User, User.id == Enrolment.user_id)
            .options(joinedload(Enrolment.user).joinedload(User.unit))
            .where(Enrolment.state == "verified")
            .order_by(User.full_name, User.id, Enrolment.verified_at, Enrolment.id))
    if year is not None:
        stmt = stmt.where(Enrolment.credited_year == year)
    if person_id is not None:
        stmt = stmt.where(Enrolment.user_id == person_id)
    elif unit_id != WHOLE_OFFICE:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.scalars(stmt).unique())


def table(enrolments, columns) -> tuple[list[str], list[list]]:
    header = [str(COLUMNS[c].label) for c in columns]
    return header, [[COLUMNS[c].value(e) for c in columns] for e in enrolments]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.strftime("%d-%m-%Y")
    return str(value)


def to_csv(header, body) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in body:
        writer.writerow([safe_cell(_csv_value(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8


def to_xlsx(header, body, title: str = "Riwayat", totals: list | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(xlsx_row(sheet, header, Font(bold=True)))
    for row in body:
        sheet.append(xlsx_row(sheet, row))
    if totals:
        sheet.append(xlsx_row(sheet, totals, Font(bold=True)))
    fit_columns(sheet, header, [*body, *([totals] if totals else [])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def audit_export(actor, action: str, subject_type: str, subject_id, changes: dict) -> None:
    audit.record(action, actor=actor, subject_type=subject_type, subject_id=subject_id, changes=changes)
    db.session.commit()


def export(actor, fmt: str, columns, person_id: int | None = None, unit_id: int | None = None,
           year: int | None = None) -> tuple[bytes, str]:
    """The history file and its name; refused (audited) when the actor may not see it or the request is
    incomplete."""
    subject_type, subject_id = (("user", person_id) if person_id is not None
                                else ("office", "all") if unit_id == WHOLE_OFFICE else ("unit", unit_id))
    try:
        columns = [c for c in columns if c in COLUMNS]
        if fmt not in FORMATS:
            raise Invalid(_("Choose CSV or XLSX."), code="format")
        if not columns:
            raise Invalid(_("Choose at least one column."), code="columns")
        if len(set(columns)) != len(columns):
            raise Invalid(_("Each column can be chosen once."), code="columns")
        person = db.session.get(User, person_id) if person_id is not None else None
        office = person is None and unit_id == WHOLE_OFFICE
        unit = db.session.get(Unit, unit_id) if unit_id is not None and not office else None
        if person is None and unit is None and not office:
            raise Invalid(_("Choose a person or a work unit."), code="scope")
        if not may_export(actor, person, None if person else unit_id):
            raise NotAllowed(_("You may export your own training history; supervisors that of their unit; HR, "
                               "the Camat and the Sekcam everyone's."), code="role")
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_history.export", actor, subject_type, subject_id)
    found = rows(person.id if person else None, None if person else unit_id, year)
    header, body = table(found, columns)
    if fmt == "csv":
        data = to_csv(header, body)
    else:
        data = to_xlsx(header, body, title="Riwayat diklat")
    label = (person.nip or f"asn-{person.id}") if person else ("kantor" if office else unit.code)
    audit_export(actor, "training_history.export", subject_type, subject_id,
                 {"format": [None, fmt], "columns": [None, ",".join(columns)], "rows": [None, len(body)],
                  **({"year": [None, year]} if year else {})})
    # the SIASN preset's file is not named as the full one's: two different files, two names
    kind = "-siasn" if list(columns) == list(PRESETS["siasn"]) else ""
    return data, f"riwayat-diklat{kind}-{label}{f'-{year}' if year else ''}.{fmt}"

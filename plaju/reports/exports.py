"""The monthly report as data, and its CSV, XLSX (openpyxl) and PDF (fpdf2) forms."""
import io
from datetime import datetime, timedelta

from flask import current_app
from fpdf.enums import XPos, YPos

from ..database import utcnow
from ..documents.models import KELURAHAN
from ..i18n import gettext as _
from ..i18n import wib_text
from ..letters.render import BULAN
from ..pdftext import Pdf, pdf_text
from ..spreadsheet import Figure, csv_writer, fit_columns, safe_cell, xlsx_row
from .competence import competence_dashboard
from .filters import this_month
from .service import Filters, hours, service_dashboard


def csv_bytes(headers: list, rows: list) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: spreadsheet programs then read UTF-8


def table_xlsx(title: str, headers: list, rows: list) -> bytes:
    """One table of a dashboard as a workbook: text stays text (an 18-digit NIP keeps its digits), a
    figure its number."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append(xlsx_row(sheet, headers, Font(bold=True)))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    fit_columns(sheet, headers, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def month_name(month: str) -> str:
    return f"{BULAN[int(month[5:7]) - 1]} {month[:4]}"


def percent_text(value) -> str:
    if value is None:
        return Figure("–")
    return Figure(f"{value:.1f}".replace(".", ",") + " %", round(value / 100, 3), "0.0%")


def monthly_report(month: str, viewer=None) -> dict:
    service = service_dashboard(Filters(end_month=month, span=1))
    year, number = int(month[:4]), int(month[5:7])
    # as the month closed (its last WIB midnight): JP verified later belong to the next month's report
    closed = datetime(year + number // 12, number % 12 + 1, 1) - timedelta(hours=7)
    competence = competence_dashboard(year, number, as_of=closed)
    from .panels import tables_for
    # when it was made, said on every copy: the figures marked "now" are of that moment, and two copies
    # of a running month differ
    made, running = wib_text(utcnow()), month >= this_month()
    status = (_("The month is still running: provisional figures, made on %(when)s.", when=made)
              if running else _("Made on %(when)s; the figures marked \"now\" are of that moment.",
                                                when=made))
    return {"month": month, "title": month_name(month), "service": service, "competence": competence,
            "extra_tables": tables_for(month, viewer), "status": status, "running": running}


def kelurahan_rows(board) -> list[list]:
    """Per kelurahan: the window's figures and what is open now. A kelurahan with open requests but none
    received in the window is listed too, so the open counts add up to the per-type table's."""
    rows = []
    for name in KELURAHAN:
        stats = board.by_kelurahan.get(name)
        f = stats.figures() if stats else None
        open_now = board.backlog["by_kelurahan"].get(name, {"open": 0, "overdue": 0})
        if f is None and not open_now["open"]:
            continue
        rows.append([name, f["received"] if f else 0, f["handed_over"] if f else 0,
                     hours(f["service_median"] if f else None), percent_text(f["within_percent"] if f else None),
                     open_now["open"], open_now["overdue"]])
    return rows


def monthly_tables(report: dict) -> list[tuple[str, list, list]]:
    """The report's tables as (title, headers, rows) of plain values, for XLSX and PDF alike."""
    service, competence = report["service"], report["competence"]
    names = {t.id: t.name for t in service.types}
    type_rows = []
    for doc_type in service.types:
        stats = service.by_type.get(doc_type.id)
        if stats is None:
            continue
        f = stats.figures()
        type_rows.append([doc_type.name, f["received"], f["handed_over"], hours(f["service_median"]),
                          hours(f["service_p90"]), percent_text(f["within_percent"]), f["returned_count"],
                          hours(f["returned_median"]), hours(f["pickup_median"]), hours(f["pickup_p90"])])
    f = service.total.figures()
    type_rows.append([_("All types"), f["received"], f["handed_over"], hours(f["service_median"]),
                      hours(f["service_p90"]), percent_text(f["within_percent"]), f["returned_count"],
                      hours(f["returned_median"]), hours(f["pickup_median"]), hours(f["pickup_p90"])])
    kel_rows = kelurahan_rows(service)
    backlog_rows = [[names.get(type_id, "?"), cell["open"], cell["overdue"]]
                    for type_id, cell in sorted(service.backlog["by_type"].items())]
    unit_rows = [unit_cells(row) for row in [*competence["units"], competence["office"]]]
    unit_rows[-1][0] = _("Whole office")
    return [*_core_tables(type_rows, kel_rows, backlog_rows, unit_rows, competence, report["title"]),
            *report["extra_tables"]]


def unit_cells(row) -> list:
    """A row of the competence tables (a unit, the smaller units together, the office); one whose figures
    are hidden (competence.shown_units) says why, without them."""
    if row.hidden:
        return [row.name, row.why_hidden, "", "", "", "", "", ""]
    against = row.jp_against_plan  # the office's own JP include units without a plan: not the share's
    return [row.name, row.people, row.reached, percent_text(row.reached_percent), row.jp, row.planned,
            Figure("–") if against is None else against, percent_text(row.realised_percent)]


def unit_headers(target: int) -> list:
    """The headers of `unit_cells`, for the dashboard's table and files and the monthly report alike."""
    return [_("Unit"), _("ASN"), _("At least %(n)s JP", n=target), _("Share"), _("JP realised"), _("JP planned"),
            _("JP of the plan realised"), _("Realisation")]


def _core_tables(type_rows, kel_rows, backlog_rows, unit_rows, competence, title) -> list:
    hours_note = _("working hours")
    return [
        (_("Service per document type"),
         [_("Document type"), _("Received"), _("Handed over"), _("Service time median (%(u)s)", u=hours_note),
          _("Service time p90 (%(u)s)", u=hours_note), _("Within the service standard"),
          _("Finished after a return to the citizen"), _("Time with the citizen, median (%(u)s)", u=hours_note),
          _("Pick-up delay median (%(u)s)", u=hours_note), _("Pick-up delay p90 (%(u)s)", u=hours_note)],
         type_rows),
        (_("Service per kelurahan"),
         [_("Kelurahan"), _("Received"), _("Handed over"), _("Service time median (%(u)s)", u=hours_note),
          _("Within the service standard"), _("Open now"), _("Overdue now")], kel_rows),
        (_("Open requests now"), [_("Document type"), _("Open now"), _("Overdue now")], backlog_rows),
        (_("Competence development %(year)s (through %(month)s)", year=competence["year"], month=title),
         unit_headers(competence["target"]), unit_rows),
    ]


def xlsx_bytes(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = report["title"]  # "Oktober 2026"
    sheet.append(xlsx_row(sheet, [_("Monthly report of Kecamatan Plaju: %(month)s", month=report["title"])],
                          Font(bold=True, size=13)))
    sheet.append(xlsx_row(sheet, [report["status"]]))
    for title, headers, rows in monthly_tables(report):
        sheet.append([])
        sheet.append(xlsx_row(sheet, [title], Font(bold=True)))
        sheet.append(xlsx_row(sheet, headers, Font(bold=True)))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))  # a figure as a number, shown as the page shows it
    sheet.column_dimensions["A"].width = 38
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _ReportPdf(Pdf):
    def header(self):
        config = current_app.config
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 5, pdf_text(config["LETTER_GOVERNMENT"]), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "B", 14)
        self.cell(0, 7, pdf_text(config["LETTER_OFFICE"]), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = self.get_y() + 1
        self.set_line_width(0.6)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_y(y + 4)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"{self.page_no()}", align="C")


def pdf_bytes(report: dict) -> bytes:
    pdf = _ReportPdf(orientation="L", format="A4", unit="mm")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, pdf_text(_("Monthly report of Kecamatan Plaju: %(month)s", month=report["title"])),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, pdf_text(report["status"] + " " + _(
        "Times in working hours (Monday-Friday 08.00-16.00 WIB, holidays excluded); median and p90 by the "
        "nearest-rank method.")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for title, headers, rows in monthly_tables(report):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, pdf_text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 7)
        first = 3 if len(headers) > 7 else 2
        widths = (first, *([1] * (len(headers) - 1)))
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4) as table:
            table.row([pdf_text(h) for h in headers])
            for row in rows:
                table.row([pdf_text(v) for v in row])
    return bytes(pdf.output())

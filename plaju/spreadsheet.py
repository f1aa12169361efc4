"""What every CSV and XLSX export writes into a cell. Text a spreadsheet would read as a formula (=, +, -,
@, tab, carriage return) gets a leading apostrophe in a CSV, which has no cell types; in an XLSX it is
written as a text cell, which no spreadsheet evaluates, with nothing added to it. A figure keeps its
number beside the text a page shows, so a spreadsheet holds numbers and times people can calculate with."""

import csv
from datetime import date, datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe; other values are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Figure(str):
    """A figure as pages, CSV and PDF write it ("12,5", "36,3 %", "30 Nov 2026 19.55 WIB"), carrying its
    number (or time) and number format for a spreadsheet."""

    def __new__(cls, text: str, number=None, number_format: str = "General"):
        figure = super().__new__(cls, text)
        figure.number, figure.number_format = number, number_format
        return figure


def xlsx_cell(sheet, value):
    """One cell of `sheet` (a workbook's sheet, write-only or not) for `sheet.append`: a figure's number in
    its format, a date as a date, text as text (never a formula, and without CSV's apostrophe)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Figure) and value.number is not None:
        cell = WriteOnlyCell(sheet, value=value.number)
        cell.number_format = value.number_format
        return cell
    if isinstance(value, str):
        # a control character the log kept from before the input guard covered it would make openpyxl
        # refuse the whole file (IllegalCharacterError): the cell drops it, the export is made
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell.number_format = "DD-MM-YYYY"
    return cell


def xlsx_row(sheet, values, font=None) -> list:
    """A row of `xlsx_cell`s (None as an empty cell), in `font` when given (a header)."""
    cells = [xlsx_cell(sheet, "" if v is None else v) for v in values]
    if font is not None:
        for cell in cells:
            cell.font = font
    return cells


def fit_columns(sheet, header: list, rows: list, widest: int = 60) -> None:
    """Each column as wide as its longest cell (within 8 to `widest` characters; a header counts up to 30,
    longer it wraps) and the header row frozen: an 18-digit NIP or a unit's name is read without widening
    columns by hand."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widths = {number: min(len(str(name)), 30) for number, name in enumerate(header, start=1)}
    for row in rows:
        for number, value in enumerate(row, start=1):
            length = max((len(part) for part in str("" if value is None else value).split("\n")), default=0)
            widths[number] = max(widths.get(number, 0), length)
    for number, length in widths.items():
        sheet.column_dimensions[get_column_letter(number)].width = min(max(length + 2, 8), widest)
    for cell in sheet[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def csv_writer(out):
    """Every CSV export's dialect: ";" between cells, which a spreadsheet set to Indonesian opens in columns
    (its list separator; "," is the decimal comma), and CRLF lines."""
    return csv.writer(out, delimiter=";", lineterminator="\r\n")

"""What every CSV and XLSX export writes into a cell: text a spreadsheet would read as a formula gets a
leading apostrophe (=, +, -, @, tab, carriage return), and a figure keeps its number beside the text a
page shows, so a spreadsheet holds numbers and times people can calculate with."""

import csv

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


def xlsx_value(value):
    """What an XLSX cell holds: a figure's number, else the safe text or value."""
    if isinstance(value, Figure) and value.number is not None:
        return value.number
    return safe_cell(value)


def csv_writer(out):
    """Every CSV export's dialect: ";" between cells, which a spreadsheet set to Indonesian opens in columns
    (its list separator; "," is the decimal comma), and CRLF lines."""
    return csv.writer(out, delimiter=";", lineterminator="\r\n")

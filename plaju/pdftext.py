"""Text for the PDFs' built-in fonts (Times, Helvetica): no font file to ship, but only the characters
of Windows-1252. That covers Indonesian text and the dashes, quotes and ellipsis people type; other
signs get a plain spelling, and only what is left becomes "?"."""
from fpdf import FPDF

ENCODING = "windows-1252"
_PLAIN = str.maketrans({"→": "->", "←": "<-", "≥": ">=", "≤": "<=", "≠": "!=", "−": "-", "\u00a0": " "})


def pdf_text(text) -> str:
    return str(text if text is not None else "").translate(_PLAIN).encode(ENCODING, "replace").decode(ENCODING)


class Pdf(FPDF):
    """An FPDF whose built-in fonts write Windows-1252 (fpdf2 writes Latin-1 unless told)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.core_fonts_encoding = ENCODING

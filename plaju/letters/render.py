"""The letter as a PDF (fpdf2, pure Python): letterhead, number, body, place and date, signature block,
QR code to the public check. The same function draws the draft (watermark "DRAF", no number, no QR).

Core PDF fonts (Times) cover Latin-1, which is all Bahasa Indonesia needs; any other character is
replaced so a name typed with an odd character can never stop a signature.
"""
import io
from dataclasses import dataclass, field
from datetime import datetime

import segno
from flask import current_app
from fpdf.enums import XPos, YPos

from ..pdftext import Pdf, pdf_text
from ..timeutil import to_wib

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]


def tanggal(moment: datetime) -> str:
    """'29 November 2026': the date in WIB with the Indonesian month name, as letters write it."""
    day = to_wib(moment).date()
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


# in an opening, the signature's title: "Camat Plaju", or "Plh. Camat Plaju" when a Plh signs
SIGNER = "{signer}"


@dataclass
class LetterContent:
    """What a letter says; an area's template fills it from its own data."""
    title: str                              # e.g. SURAT KETERANGAN TIDAK MAMPU
    opening: str                            # the paragraph before the data; SIGNER becomes who signs
    fields: list[tuple[str, str]]           # (label, value) rows: name, NIK, address ...
    statements: list[str]                   # the paragraphs after the data
    closing: str = "Demikian surat keterangan ini dibuat untuk dapat dipergunakan sebagaimana mestinya."
    extra: dict = field(default_factory=dict)
    on_behalf: str = ""  # above the signer's title: "a.n. Wali Kota Palembang" where the Camat grants for the Mayor


@dataclass
class Signature:
    """The signature block. `title` is e.g. 'Camat Plaju' or 'Plh. Camat Plaju'."""
    title: str
    name: str
    nip: str = ""


class _LetterPdf(Pdf):
    def __init__(self, draft: bool):
        super().__init__(format="A4", unit="mm")
        self.draft = draft
        self.set_margins(25, 15, 20)
        self.set_auto_page_break(True, margin=20)

    def header(self):
        config = current_app.config
        self.set_font("Times", "B", 14)
        self.cell(0, 6, pdf_text(config["LETTER_GOVERNMENT"]), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Times", "B", 18)
        self.cell(0, 8, pdf_text(config["LETTER_OFFICE"]), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Times", "", 10)
        self.multi_cell(0, 4.5, pdf_text(config["LETTER_ADDRESS"]), align="C", new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        y = self.get_y() + 1.5
        self.set_line_width(0.8)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_line_width(0.2)
        self.line(self.l_margin, y + 1, self.w - self.r_margin, y + 1)
        self.set_y(y + 6)
        if self.draft:
            with self.local_context(text_color=(205, 205, 205)):
                self.set_font("Helvetica", "B", 110)
                with self.rotation(45, self.w / 2, self.h / 2):
                    self.text(self.w / 2 - 62, self.h / 2 + 15, "DRAF")
            self.set_font("Times", "", 12)


def render(content: LetterContent, signature: Signature, *, issued_at: datetime, number: str | None,
           check_url: str | None = None, check_code: str | None = None, draft_number: str | None = None) -> bytes:
    """The PDF bytes. Without `number` it is a draft: watermark, no QR code, the number dotted or, when one
    from another register is recorded for it, that one (`draft_number`), marked DRAF."""
    draft = number is None
    pdf = _LetterPdf(draft)
    if draft:
        pdf.set_compression(False)  # a draft is looked at, not kept: readable streams cost nothing
    pdf.set_title(pdf_text(content.title.title()))
    pdf.set_author(pdf_text(current_app.config["LETTER_OFFICE"].title()))
    pdf.set_creation_date(issued_at.replace(tzinfo=None))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Times", "BU", 13)
    pdf.cell(0, 6, pdf_text(content.title.upper()), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Times", "", 12)
    shown = number or (draft_number or ".........../........../PLJ/" + str(to_wib(issued_at).year)) + "  (DRAF)"
    pdf.cell(0, 6, pdf_text(f"Nomor: {shown}"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    opening = content.opening.replace(SIGNER, signature.title)
    pdf.multi_cell(width, 6, pdf_text(opening), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for label, value in content.fields:
        pdf.set_x(pdf.l_margin + 10)
        pdf.cell(45, 6, pdf_text(label))
        pdf.cell(4, 6, ":")
        pdf.multi_cell(width - 59, 6, pdf_text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for paragraph in [*content.statements, content.closing]:
        pdf.multi_cell(width, 6, pdf_text(paragraph), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    if pdf.get_y() > pdf.h - 85:
        pdf.add_page()
    top = pdf.get_y() + 4
    column = pdf.l_margin + width * 0.55
    pdf.set_xy(column, top)
    block = width * 0.45
    place = current_app.config["LETTER_PLACE"]
    pdf.cell(block, 6, pdf_text(f"{place}, {tanggal(issued_at)}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Times", "B", 12)
    if content.on_behalf:
        pdf.multi_cell(block, 6, pdf_text(content.on_behalf), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.multi_cell(block, 6, pdf_text(signature.title), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Times", "I", 9)
    note = ("Ditandatangani secara elektronik" if not draft else "Belum ditandatangani")
    pdf.cell(block, 5, note, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(14)
    pdf.set_x(column)
    pdf.set_font("Times", "BU", 12)
    pdf.cell(block, 6, pdf_text(signature.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Times", "", 12)
    if signature.nip:
        pdf.cell(block, 6, pdf_text(f"NIP. {signature.nip}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    if check_url and check_code:
        png = io.BytesIO()
        segno.make(check_url, error="m").save(png, kind="png", scale=4, border=1)
        png.seek(0)
        pdf.image(png, x=pdf.l_margin, y=top, w=30, h=30)
        pdf.set_xy(pdf.l_margin, top + 31)
        pdf.set_font("Helvetica", "", 7.5)
        # left-aligned: justified, the line broken before a long address spread its four words across
        pdf.multi_cell(width * 0.5, 3.5, pdf_text(f"Periksa keaslian surat ini di {check_url}\nKode: {check_code}"),
                       align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())

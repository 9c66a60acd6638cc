"""The report workbook's look: fonts, borders, widths of text, and the printed page."""

from __future__ import annotations

import math
import re
from functools import cache

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

from assets_pipeline.publish.excel import cell, display_width
from assets_pipeline.publish.report_words import Text

COUNT = "#,##0"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Fonts name their face: a font without one prints in the viewer's default face (a serif in LibreOffice).
FONT = "Calibri"
SECTION_FONT = Font(name=FONT, bold=True, size=12)
BOLD = Font(name=FONT, bold=True, size=11)
HEADER_FONT = Font(name=FONT, bold=True, size=10)
HASH_FONT = Font(name="Courier New", size=8)
PROVINCE_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP = Alignment(vertical="top", wrap_text=True)
MIDDLE = Alignment(vertical="center")
MIDDLE_WRAP = Alignment(vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right")
LINE_HEIGHT = 15.0  # points per line of 11-pt text
NOTE_LINE_HEIGHT = 12.0  # and of 9-pt notes
FIRST_DATA_ROW = 5  # title, notes, two header rows
# Printable width (mm) of an A4 and an A3 landscape page with 0.4" margins, less a little for rounding.
A4_MM, A3_MM = 270.0, 390.0
MIN_SCALE = 0.75  # below this on A4 a printed figure is too small to read (11 pt → 8 pt): print on A3
PAPER_A4, PAPER_A3 = 9, 8


def wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped header needs in a column ``width`` units wide (words break at spaces, Chinese anywhere)."""
    usable = max(width - 1.5, 1)
    lines = 0
    for paragraph in text.split("\n"):
        line = 0
        for word in re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+|[\u3000-\u9fff\uff00-\uffef]", paragraph):
            w = display_width(word)
            if line and line + 1 + w > usable:
                lines += 1
                line = 0
            line += w + (1 if line else 0)
        lines += max(1, math.ceil(line / usable))
    return lines


@cache
def indented(level: int) -> Alignment:
    """A region's name indented by its level under its city or province: one object per level, so that its cells
    share one style (a style is looked up by object, see ``excel.cell``)."""
    return Alignment(horizontal="left", indent=level)


def styled(ws, value, *, font=None, fill=None, number_format=None, alignment=None, border=BORDER):
    return cell(ws, value, font=font, fill=fill, number_format=number_format, alignment=alignment, border=border)


def page_setup(
    ws, widths: list[float], run_id: str, text: Text, title_rows: str | None, pages: list[tuple[int, int]] | None = None
) -> None:
    """Landscape, fit to width on A4 or A3, page numbers in the footer.

    Every sheet is fitted to its page's width, its header rows repeated as print titles; ``pages`` (column
    ranges printed at one scale over several pages across, the region column repeated) is kept for a caller
    that wants such breaks, and the ledger sheets pass none.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4 if _printed_mm(widths) * MIN_SCALE <= A4_MM else PAPER_A3
    if pages:
        widest = max(_printed_mm(widths[a : b + 1]) for a, b in pages) + _printed_mm(widths[:1])
        ws.page_setup.scale = min(100, int(100 * A3_MM / widest))
        for first, _ in pages[1:]:
            ws.col_breaks.append(Break(id=first, max=1048575))
        ws.print_title_cols = "A:A"
    else:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    _footer(ws, run_id, text)


def _printed_mm(widths: list[float]) -> float:
    """Printed width at 100 %: a column of width w is w × 7 + 5 pixels of 1/96 inch (11-pt Calibri)."""
    return sum(w * 7 + 5 for w in widths) * 25.4 / 96


def _footer(ws, run_id: str, text: Text) -> None:
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = text("footer_page")
    ws.oddFooter.right.text = text("footer_run", run=run_id).replace("&", "&&")
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 8
        part.font = FONT

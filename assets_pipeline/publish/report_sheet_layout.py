"""How the balance and transition sheets are laid out: their rows read from Parquet, header and figure cells,
the title over the table and the printed page."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from assets_pipeline.publish.excel import BOLD, HEADER_FILL, HEADER_FONT, NOTE_FONT, NUMBER, TITLE_FONT, cell

HEADER_ALIGNMENT = Alignment(wrap_text=True, horizontal="center", vertical="center")
NOTE_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HEADER_HEIGHT = 45  # points: three lines of wrapped header text


def read_rows(path: Path, sort: list[str], province_only: bool = False) -> list[dict]:
    """A published table's rows (the province's only, if asked) in the order of ``sort``; none if it is absent."""
    if not Path(path).exists():
        return []
    filters = [("region_level", "=", "province")] if province_only else None
    rows = pq.read_table(path, filters=filters).to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r.get(k) or "") for k in sort))


def figure_cell(ws, value, bold: bool = False):
    return cell(ws, value, number_format=NUMBER, font=BOLD if bold else None)


def header_cells(ws, texts: list[str]) -> list:
    return [cell(ws, t, fill=HEADER_FILL, font=HEADER_FONT, alignment=HEADER_ALIGNMENT) for t in texts]


def sheet_layout(ws, widths: list[float], title_rows: str | None = "3:3", freeze: str | None = "C4") -> None:
    """Readable and printable: the header frozen and repeated on every printed page, landscape, fitted to the
    page's width (set before any row: the sheet is written once)."""
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9 if sum(widths) <= 190 else 8  # A4, else A3
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "&P / &N"


def title_and_note(ws, title: str, note: str, columns: int, width: float) -> None:
    """Title and a wrapped note merged across the table, tall enough to be read whole."""
    ws.row_dimensions[1].height = 22  # heights before the rows: the sheet is written once
    ws.row_dimensions[2].height = 12 * max(1, -(-len(note) * 2 // max(int(width), 1)) + 1)
    ws.append([cell(ws, title, font=TITLE_FONT)])
    ws.append([cell(ws, note, font=NOTE_FONT, alignment=NOTE_ALIGNMENT)])
    if columns > 1:
        ws.merged_cells.add(f"A2:{get_column_letter(columns)}2")

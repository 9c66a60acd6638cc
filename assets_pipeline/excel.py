"""Workbook cells that are safe to open: text never becomes a formula, limits are respected."""

from __future__ import annotations

import re

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

HEADER_FONT = Font(name="Calibri", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")


def sheet_title(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ ."""
    return _SHEET_FORBIDDEN.sub("_", name)[:31] or "sheet"


def cell(ws, value, *, fill=None, font=None, number_format: str | None = None, alignment=None) -> WriteOnlyCell:
    """A cell whose text is always text: '=1+1', '@SUM', '+cmd' stay strings (no formula injection)."""
    if isinstance(value, float) and value != value:
        value = None
    c = WriteOnlyCell(ws, value=value[:MAX_CELL_CHARS] if isinstance(value, str) else value)
    if isinstance(value, str):
        c.data_type = "s"
    if fill is not None:
        c.fill = fill
    if font is not None:
        c.font = font
    if number_format:
        c.number_format = number_format
    if alignment is not None:
        c.alignment = alignment
    return c

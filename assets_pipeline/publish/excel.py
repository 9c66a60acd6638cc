"""Workbook cells that are safe to open: text never becomes a formula, limits are respected."""

from __future__ import annotations

import re
import unicodedata
import weakref
from copy import copy

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

HEADER_FONT = Font(name="Calibri", bold=True)
BOLD = Font(name="Calibri", bold=True)
TITLE_FONT = Font(name="Calibri", bold=True, size=14)
NOTE_FONT = Font(name="Calibri", size=9, color="404040")
NUMBER = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")


TRUNCATED_MARK = "…[truncated]"


def sheet_title(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ , not starting or ending with a quote."""
    return _SHEET_FORBIDDEN.sub("_", name)[:31].strip("'") or "sheet"


def unique_titles(names: list[str]) -> list[str]:
    """Valid sheet names, made unique as Excel compares them (case-insensitively) by a numbered suffix."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        title = sheet_title(name)
        n = 1
        while title.casefold() in seen:
            n += 1
            title = sheet_title(sheet_title(name)[: 31 - len(f"_{n}")] + f"_{n}")
        seen.add(title.casefold())
        out.append(title)
    return out


def display_width(text: str) -> int:
    """Width in column units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell_text(value: str) -> str:
    """Text that fits a cell: beyond Excel's 32,767 characters it is cut, and says so at its end."""
    if len(value) <= MAX_CELL_CHARS:
        return value
    return value[: MAX_CELL_CHARS - len(TRUNCATED_MARK)] + TRUNCATED_MARK


def cell(
    ws, value, *, fill=None, font=None, number_format: str | None = None, alignment=None, border=None
) -> WriteOnlyCell:
    """A cell whose text is always text: '=1+1', '@SUM', '+cmd' stay strings (no formula injection)."""
    if isinstance(value, float) and value != value:
        value = None
    c = WriteOnlyCell(ws, value=cell_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        c.data_type = "s"  # set after the value: openpyxl would otherwise take '=…' for a formula
    if fill is not None or font is not None or number_format or alignment is not None or border is not None:
        _apply_style(c, ws.parent, fill, font, number_format, alignment, border)
    return c


# Per workbook, the style indices of each combination of style objects already given to a cell. openpyxl finds a
# style's index by hashing the Font, Fill, Border and Alignment objects field by field on every assignment, which
# is most of the time a report with tens of thousands of styled cells takes; the same objects give the same
# indices, so a combination seen before takes its indices from here. Keyed by the objects' ids, the objects kept
# alive beside their indices (so an id cannot be reused); a new object, even an equal one, is added as before.
_STYLE_INDICES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _apply_style(c: WriteOnlyCell, workbook, fill, font, number_format, alignment, border) -> None:
    known = _STYLE_INDICES.setdefault(workbook, {})
    key = (id(fill), id(font), number_format, id(alignment), id(border))
    if key in known:
        c._style = copy(known[key][0])
        return
    if fill is not None:
        c.fill = fill
    if font is not None:
        c.font = font
    if number_format:
        c.number_format = number_format
    if alignment is not None:
        c.alignment = alignment
    if border is not None:
        c.border = border
    known[key] = (copy(c._style), (fill, font, alignment, border))

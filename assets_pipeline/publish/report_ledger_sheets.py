"""The category sheets of the report: a table per ledger and category, headers over their items, regions down.

The province 合计 of each value sheet (and its "of which" cells) carries a workbook name, so it can be read back
whatever the language (``report.read_report_totals``).
"""

from __future__ import annotations

import math
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from assets_pipeline.publish.excel import HEADER_FILL, NOTE_FONT, NUMBER, TITLE_FONT, cell, display_width
from assets_pipeline.publish.regions import LEVEL_RANK
from assets_pipeline.publish.report_ledger_rows import Region
from assets_pipeline.publish.report_style import (
    BOLD,
    FIRST_DATA_ROW,
    HEADER_ALIGN,
    HEADER_FONT,
    LINE_HEIGHT,
    NOTE_LINE_HEIGHT,
    PROVINCE_FILL,
    TOP,
    indented,
    page_setup,
    styled,
    wrapped_lines,
)
from assets_pipeline.publish.report_tables import Column, Table
from assets_pipeline.publish.report_words import Text

TOTAL_NAME_PREFIX = "total_value_"
MEMO_NAME_SEPARATOR = "__"  # total_value_land__redline: the province "of which" cell of a value sheet


def _column_widths(table: Table) -> list[float]:
    """Region column wide enough for the longest name; figure columns for their widest figure and header."""
    region = (
        max(
            [display_width(r.label()) + 2 * LEVEL_RANK.get(r.level, 2) for r in table.regions]
            + [display_width(text) for text in ("行政区划", "Region")]
        )
        + 3
    )
    widths = [float(max(region, 16))]
    # a narrow table can afford its headers on one line; a wide one wraps them to stay on the page
    header_cap = 22 if len(table.columns) <= 8 else 16
    for i, column in enumerate(table.columns):
        figures = max((len(f"{row[i]:,.2f}") for row in table.values if row[i] is not None), default=4) + 1
        label = column.label if column.label is not None else column.group
        longest_line = max(display_width(line) for line in label.split("\n"))
        widths.append(float(max(figures + 3, min(longest_line + 2, header_cap), 11)))
    _fit_groups(table.columns, widths, header_cap)
    return widths


def _fit_groups(columns: list[Column], widths: list[float], header_cap: int) -> None:
    """Widen a group's columns so its upper header reads on one line where that costs little width."""
    for start, end in _group_spans(columns):
        group = columns[start].group
        if columns[start].label is None:
            continue
        need = min(max(display_width(line) for line in group.split("\n")) + 2, header_cap * (end - start + 1))
        have = sum(widths[start + 1 : end + 2])
        if have < need:
            extra = (need - have) / (end - start + 1)
            for i in range(start + 1, end + 2):
                widths[i] += extra


def _header_heights(table: Table, widths: list[float]) -> tuple[float, float]:
    """Heights of the two header rows so wrapped headers are read whole (LibreOffice keeps set heights)."""
    upper, lower = 1, 1
    spans = _group_spans(table.columns)
    for start, end in spans:
        column = table.columns[start]
        span_width = sum(widths[start + 1 : end + 2])
        if column.label is None:
            upper = max(upper, math.ceil(wrapped_lines(column.group, span_width) / 2))
        else:
            upper = max(upper, wrapped_lines(column.group, span_width))
    for i, column in enumerate(table.columns):
        if column.label is not None:
            lower = max(lower, wrapped_lines(column.label, widths[i + 1]))
    return upper * LINE_HEIGHT + 4, lower * LINE_HEIGHT + 4


def _group_spans(columns: list[Column]) -> list[tuple[int, int]]:
    """Runs of adjacent columns sharing an upper header (a column spanning both rows stands alone)."""
    spans: list[tuple[int, int]] = []
    for i, column in enumerate(columns):
        prev = columns[i - 1] if i else None
        if prev and prev.group == column.group and prev.label is not None and column.label is not None:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    return spans


def write_ledger_sheet(wb: Workbook, table: Table, run_id: str, text: Text) -> dict[tuple[str, str], Decimal]:
    """A category sheet; returns the totals it prints on its province row, by column header."""
    ws = wb.create_sheet(table.sheet)
    widths = _column_widths(table)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    ws.row_dimensions[3].height, ws.row_dimensions[4].height = _header_heights(table, widths)
    ws.freeze_panes = f"B{FIRST_DATA_ROW}"
    pages: list[tuple[int, int]] = []  # every sheet prints fitted to its page's width (A3 when wide)
    page_setup(ws, widths, run_id, text, title_rows="3:4", pages=pages)
    _write_title(ws, table, pages, widths, text)
    _write_header(ws, table, text)
    for region, row in zip(table.regions, table.values, strict=False):
        ws.append(_region_row(ws, table, region, row))
    if table.kind == "value":
        _name_total(wb, table)
    return {(table.sheet, c.header): v for c, v in zip(table.columns, table.values[0], strict=False) if v is not None}


def _write_title(ws, table: Table, pages: list[tuple[int, int]], widths: list[float], text: Text) -> None:
    """Title and notes over the table; printed over several pages across, over each page's columns.

    The region column repeats on every page, so a title in it would print cut short on the later ones:
    the title then starts above the first figure column, and each later page's part says it continues.
    The notes wrap within the columns of their page (merged), so a long note is read whole on paper.
    """
    note = text.join(table.notes)
    spans = pages or [(0, len(widths) - 1)]
    titles: list = [None] * (spans[-1][1] + 1)
    notes: list = [None] * (spans[-1][1] + 1)
    lines = 1
    for k, (first, last) in enumerate(spans):
        titles[first] = cell(ws, table.title + (text("continued") if k else ""), font=TITLE_FONT)
        notes[first] = cell(ws, note, font=NOTE_FONT, alignment=TOP)
        if last > first:
            ws.merged_cells.add(f"{get_column_letter(first + 1)}2:{get_column_letter(last + 1)}2")
        lines = max(lines, wrapped_lines(note, sum(widths[first : last + 1]) * 11 / 9))  # 9-pt notes
    ws.row_dimensions[2].height = lines * NOTE_LINE_HEIGHT + 3
    ws.append(titles)
    ws.append(notes)


def _write_header(ws, table: Table, text: Text) -> None:
    """Two header rows: groups (merged across their items) over items; a total spans both rows."""
    upper = [styled(ws, text("region"), font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)]
    lower = [styled(ws, None, fill=HEADER_FILL)]
    ws.merged_cells.add("A3:A4")
    for start, end in _group_spans(table.columns):
        first = table.columns[start]
        upper.append(styled(ws, first.group, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN))
        upper += [styled(ws, None, fill=HEADER_FILL) for _ in range(start, end)]
        letter_a, letter_b = get_column_letter(start + 2), get_column_letter(end + 2)
        if first.label is None:
            ws.merged_cells.add(f"{letter_a}3:{letter_a}4")
        elif end > start:
            ws.merged_cells.add(f"{letter_a}3:{letter_b}3")
    for column in table.columns:
        lower.append(styled(ws, column.label, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN))
    ws.append(upper)
    ws.append(lower)


def _region_row(ws, table: Table, region: Region, row: list[Decimal | None]) -> list:
    """County names indented under their city; province and city rows (subtotals) in bold."""
    level = LEVEL_RANK.get(region.level, 2)
    font = BOLD if level < 2 else None
    fill = PROVINCE_FILL if level == 0 else None
    out = [styled(ws, region.label(), font=font, fill=fill, alignment=indented(level))]
    for column, value in zip(table.columns, row, strict=False):
        out.append(
            styled(
                ws,
                None if value is None else float(value),
                number_format=NUMBER,
                font=BOLD if (font or column.total) else None,
                fill=fill,
            )
        )
    return out


def _name_total(wb: Workbook, table: Table) -> None:
    """Name the province 合计 cell ``total_value_<category>``, and each "of which" cell beside it
    ``total_value_<category>__<memo>``, so they can be read back whatever the language."""
    cells = [(table.category, table.total_index)]
    cells += [(f"{table.category}{MEMO_NAME_SEPARATOR}{c.memo}", i) for i, c in enumerate(table.columns) if c.memo]
    for suffix, index in cells:
        ref = f"{quote_sheetname(table.sheet)}!${get_column_letter(index + 2)}${FIRST_DATA_ROW}"
        name = TOTAL_NAME_PREFIX + suffix
        wb.defined_names[name] = DefinedName(name, attr_text=ref)

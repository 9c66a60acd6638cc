"""The rejects of a year: one Parquet table, and a workbook each county can fix and send back.

The workbook has one sheet per category holding the rejected rows whole, with the canonical
column names as headers (so the corrected sheet can be delivered again as it is), the file and
row each came from, the problems in words, and every offending cell highlighted.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from .categories import CATEGORIES, CATEGORY_NAMES_ZH, SPECS
from .excel import BAD_FILL, HEADER_FILL, HEADER_FONT, MAX_ROWS, cell, sheet_title
from .layout import YearLayout, part_files
from .storage import atomic_path, write_parquet
from .validate import COLUMN_NAMES_ZH, REJECT_SCHEMA


def combine_rejects(layout: YearLayout, categories=CATEGORIES) -> pa.Table:
    tables = [pq.read_table(p) for c in categories for p in part_files(layout.reject_lines(c))]
    table = pa.concat_tables(tables) if tables else REJECT_SCHEMA.empty_table()
    table = table.drop(["_row_id"])
    write_parquet(table, layout.rejects_parquet)
    return table


def write_rejects_workbook(layout: YearLayout, categories=CATEGORIES) -> dict[str, int]:
    """Write ``rejects_<year>.xlsx``; returns rejected rows per category."""
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}
    notes = wb.create_sheet(sheet_title("说明 Notes"))
    for letter, width in (("A", 26), ("B", 22), ("C", 14)):
        notes.column_dimensions[letter].width = width
    _print_setup(notes)
    notes.append([cell(notes, "被退回的数据行 Rejected rows", font=HEADER_FONT)])
    notes.append([cell(notes, f"年度 Year: {layout.year}")])
    notes.append([cell(notes, "每个类别一张工作表；红色单元格为出错的值。请在原文件中修改后重新报送，或直接修改本表并按原格式报送。")])
    notes.append([cell(notes, "One sheet per category; red cells hold the offending values. Fix them in your file "
                              "(or in this sheet: its headers are the canonical column names) and deliver again.")])
    notes.append([])
    notes.append([cell(notes, h, font=HEADER_FONT, fill=HEADER_FILL) for h in ("column", "中文名", "category")])
    for category in categories:
        for column in SPECS[category].column_names:
            notes.append([cell(notes, column), cell(notes, COLUMN_NAMES_ZH.get(column, column)), cell(notes, category)])
    for category in categories:
        rows_path, lines_path = layout.rejected_rows(category), layout.reject_lines(category)
        if not rows_path.exists():
            continue
        rows = pd.read_parquet(rows_path)
        counts[category] = len(rows)
        if rows.empty:
            continue
        lines = pd.read_parquet(lines_path)
        _category_sheet(wb, category, rows, lines)
    with atomic_path(layout.rejects_workbook) as tmp:
        wb.save(tmp)
    return counts


def _category_sheet(wb: Workbook, category: str, rows: pd.DataFrame, lines: pd.DataFrame) -> None:
    ws = wb.create_sheet(sheet_title(f"{CATEGORY_NAMES_ZH[category]} {category}"))
    columns = SPECS[category].column_names
    ws.freeze_panes = "D2"
    _print_setup(ws)
    ws.print_title_rows = "1:1"
    for i, width in enumerate([28, 9, 60] + [16] * len(columns)):
        ws.column_dimensions[_letter(i + 1)].width = width
    header = ["source_file", "source_row", "problems"] + columns
    ws.append([cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL) for h in header])
    problems = lines.groupby("_row_id")["message"].agg("; ".join)
    bad_cells = set(zip(lines["_row_id"], lines["column"]))
    original = {(r, c): v for r, c, v in zip(lines["_row_id"], lines["column"], lines["value"])}
    rows = rows.sort_values(["_source_file", "_source_row"]).head(MAX_ROWS - 1)
    records = rows[["_row_id", "_source_file", "_source_row", *columns]].itertuples(index=False, name=None)
    for record in records:
        row_id, source_file, source_row, *values = record
        out = [cell(ws, source_file), cell(ws, int(source_row)), cell(ws, problems.get(row_id, ""))]
        for column, value in zip(columns, values):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                value = original.get((row_id, column))
            elif hasattr(value, "item"):
                value = value.item()
            out.append(cell(ws, value, fill=BAD_FILL if (row_id, column) in bad_cells else None))
        ws.append(out)
    ws.auto_filter.ref = f"A1:{_letter(len(header))}{len(rows) + 1}"


def _print_setup(ws) -> None:
    """Landscape A4, as wide as the page, as long as it takes."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)

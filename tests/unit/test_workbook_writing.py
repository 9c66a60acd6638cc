"""Shortcuts in writing workbooks leave the bytes as they were: styles looked up once per combination of style
objects (excel.cell), and small sheets rendered in one pass without threads (xlsx_stream)."""

from __future__ import annotations

import zipfile

import numpy as np
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from assets_pipeline.publish import xlsx_stream
from assets_pipeline.publish.excel import cell
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook

BOLD = Font(name="Calibri", bold=True)
FILL = PatternFill("solid", fgColor="F2F2F2")
BORDER = Border(left=Side(style="thin"), right=Side(style="thin"))
LEFT = Alignment(horizontal="left", indent=1)


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def _styles() -> list[dict]:
    """A sequence of cells' styles: combinations repeated, and an equal alignment made anew each time."""
    out = []
    for i in range(30):
        out.append(
            {
                "font": BOLD if i % 2 else None,
                "fill": FILL if i % 3 == 0 else None,
                "number_format": "#,##0.00" if i % 4 else None,
                "border": BORDER if i % 5 else None,
                "alignment": LEFT if i % 7 else Alignment(horizontal="left", indent=1),
            }
        )
    return out


def test_cell_styles_as_openpyxl_assigns_them(tmp_path):
    remembered, assigned = Workbook(write_only=True), Workbook(write_only=True)
    ws_r, ws_a = remembered.create_sheet("s"), assigned.create_sheet("s")
    for i, style in enumerate(_styles()):
        ws_r.append([cell(ws_r, f"v{i}", **style), cell(ws_r, i, font=BOLD)])
        c = WriteOnlyCell(ws_a, value=f"v{i}")
        c.data_type = "s"
        for key in ("fill", "font", "number_format", "alignment", "border"):
            if style[key] is not None:
                setattr(c, key, style[key])
        plain = WriteOnlyCell(ws_a, value=i)
        plain.font = BOLD
        ws_a.append([c, plain])
    remembered.save(tmp_path / "r.xlsx")
    assigned.save(tmp_path / "a.xlsx")
    assert _members(tmp_path / "r.xlsx") == _members(tmp_path / "a.xlsx")


def _sheets() -> list[Sheet]:
    text = pa.array(["a&b", None, "12", "<x>", "", "7.5"], pa.string())
    number = pa.chunked_array([[1.5, None, 3.0], [4.0, 5.25, None]])
    count = pa.array([1, 2, None, 4, 5, 6], pa.int64())
    marks = np.array([True, True, False, False, False, True])  # a blank text cell marked, and a blank count
    return [
        Sheet(
            name="marked",
            header=["text", "number", "count"],
            columns=[text, number, count],
            highlight=[marks, None, ~marks],
            numeric_text=[True, False, False],
            mark_blank=True,
        ),
        Sheet(name="plain", header=["text", "count"], columns=[text, count]),
        Sheet(name="empty", header=["text"], columns=[pa.array([], pa.string())]),
    ]


def test_small_sheets_written_as_large_ones(tmp_path, monkeypatch):
    write_workbook(tmp_path / "one_pass.xlsx", _sheets())
    monkeypatch.setattr(xlsx_stream, "THREADED_CELLS", 0)  # every block rendered column by column, on threads
    write_workbook(tmp_path / "by_column.xlsx", _sheets())
    assert (tmp_path / "one_pass.xlsx").read_bytes() == (tmp_path / "by_column.xlsx").read_bytes()

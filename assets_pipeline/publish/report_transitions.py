"""The report's land-use transition matrix (土地利用转移矩阵).

The sheet prints the province's matrix of land groups and of land classes in 公顷, rows last year's class (and
"(new)"), columns this year's (and "(removed)"); its 合计 row and column are the sums of the printed cells. In a
first year it says why it holds no matrix.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from openpyxl import load_workbook

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.excel import BOLD, cell, sheet_title
from assets_pipeline.publish.report_sheet_layout import (
    HEADER_HEIGHT,
    figure_cell,
    header_cells,
    read_rows,
    sheet_layout,
    title_and_note,
)

WORDS = {
    "zh": {
        "transition_sheet": "土地利用转移矩阵",
        "total": "合计",
        "transition_title": "{province}{year}年土地利用转移矩阵（公顷）",
        "transition_note": "行：上年地类；列：本年地类；按图斑标识码匹配。行合计=上年面积，列合计=本年面积。"
        "空白表示无此项转移，0.00 表示面积舍入后为零。",
        "transition_first_year": "本年为首个编制年度：没有上年的土地调查数据，无法编制土地利用转移矩阵；"
        "自下一年度起列示。",
        "groups": "地类分组",
        "classes": "地类",
        "from_to": "上年＼本年",
        "new": "（新增图斑）",
        "removed": "（灭失图斑）",
        "agricultural": "农用地",
        "construction": "建设用地",
        "unused": "未利用地",
    },
    "en": {
        "transition_sheet": "Land transitions",
        "total": "Total",
        "transition_title": "{province} {year}: land-use transition matrix (ha)",
        "transition_note": "Rows: last year's class; columns: this year's; parcels matched by id. Row totals = "
        "last year's area, column totals = this year's. Blank: no such transition; 0.00: an "
        "area that rounds to zero.",
        "transition_first_year": "This is the first year compiled: there is no land survey of the year before, "
        "so there is no transition matrix; it follows from next year.",
        "groups": "Land groups",
        "classes": "Land classes",
        "from_to": "from \\ to",
        "new": "(new parcels)",
        "removed": "(removed parcels)",
        "agricultural": "Agricultural land",
        "construction": "Construction land",
        "unused": "Unused land",
    },
}


def write_transition_sheet(wb, layout: YearLayout, province: str, lang: str = "zh") -> None:
    """Append the transition matrix sheet, when the year has balance accounts or transitions."""
    if layout.balance_physical.exists() or layout.land_transitions.exists():
        rows = read_rows(layout.land_transitions, ["classification", "from_class", "to_class"], province_only=True)
        _write_transition_sheet(wb, rows, province, layout.year, lang, _land_class_names_en(layout))


def _matrix(rows: list[dict], classification: str) -> tuple[list[str], list[str], dict]:
    cells = {(r["from_class"], r["to_class"]): r["area_ha"] for r in rows if r["classification"] == classification}
    names = {}
    for r in rows:
        names[r["from_class"]], names[r["to_class"]] = r["from_name"], r["to_name"]
    froms = sorted({f for f, _ in cells}, key=lambda c: (c == "(new)", c))
    tos = sorted({t for _, t in cells}, key=lambda c: (c == "(removed)", c))
    return froms, tos, {"cells": cells, "names": names}


def _write_transition_sheet(
    wb, rows: list[dict], province: str, year: int, lang: str, names_en: dict[str, str] | None = None
) -> None:
    words = WORDS[lang]
    ws = wb.create_sheet(sheet_title(words["transition_sheet"]))
    columns = 1 + max((len(_matrix(rows, c)[1]) for c in ("group", "class")), default=0)
    widths = [24.0] + [12.0] * columns
    sheet_layout(ws, widths, title_rows=None, freeze="B1")
    title_and_note(
        ws,
        words["transition_title"].format(province=province, year=year),
        words["transition_note"] if rows else words["transition_first_year"],
        max(len(widths), 8),
        max(sum(widths), 120),
    )

    def name(code: str, names: dict) -> str:
        if code == "(new)":
            return words["new"]
        if code == "(removed)":
            return words["removed"]
        if code in words:
            return words[code]
        name = names.get(code) if lang == "zh" else (names_en or {}).get(code)
        return f"{code} {name or ''}".strip()

    row = 2  # rows written so far: title, note
    for classification, title in (("group", words["groups"]), ("class", words["classes"])):
        froms, tos, m = _matrix(rows, classification)
        if not froms:
            continue
        ws.append([])
        ws.append([cell(ws, title, font=BOLD)])
        row += 2
        ws.row_dimensions[row + 1].height = HEADER_HEIGHT
        ws.append(header_cells(ws, [words["from_to"]] + [name(t, m["names"]) for t in tos] + [words["total"]]))
        row += 2 + len(froms)
        column_totals = defaultdict(lambda: Decimal("0.00"))
        for f in froms:
            figures = [m["cells"].get((f, t)) for t in tos]
            for t, v in zip(tos, figures, strict=False):
                column_totals[t] += v or Decimal("0.00")
            ws.append(
                [cell(ws, name(f, m["names"]))]
                + [figure_cell(ws, v) for v in figures]
                + [figure_cell(ws, sum((v for v in figures if v is not None), Decimal("0.00")))]
            )
        ws.append(
            [cell(ws, words["total"], font=BOLD)]
            + [figure_cell(ws, column_totals[t], True) for t in tos]
            + [figure_cell(ws, sum(column_totals.values(), Decimal("0.00")), True)]
        )


def _land_class_names_en(layout: YearLayout) -> dict[str, str]:
    """Land classes' English names from the year's reference snapshot (the transitions carry the Chinese)."""
    path = layout.reference("land_classes")
    if not path.exists():
        return {}
    table = pq.read_table(path, columns=["land_class", "name_en"])
    return dict(zip(table["land_class"].to_pylist(), table["name_en"].to_pylist(), strict=False))


def read_transition_sheet(path: Path, lang: str = "zh") -> dict[str, list[list]]:
    """The transition matrices read back: {"group"|"class": rows (header row first, figures as Decimal)}."""
    words = WORDS[lang]
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[sheet_title(words["transition_sheet"])].iter_rows(values_only=True))
    finally:
        wb.close()
    out: dict[str, list[list]] = {}
    current = None
    for row in rows:
        first = row[0] if row else None
        if first in (words["groups"], words["classes"]):
            current = out.setdefault("group" if first == words["groups"] else "class", [])
        elif current is not None and first is not None:
            current.append(
                [first]
                + [Decimal(str(v)).quantize(Decimal("0.01")) if isinstance(v, (int, float)) else v for v in row[1:]]
            )
    return out

"""The report's balance sheets (平衡表, DOMAIN §5) and the land-use transition matrix (土地利用转移矩阵).

One 平衡表 sheet per category at the province level: the physical account (期初, 增加 by kind, 减少 by
kind, 期末) with a column per item × indicator (quantities of different units are never added), and the
value account in 万元 (期初, 物量变化, 重估价, 期末) with a column per item × component and a 合计 column.
The figures are the published cells of ``balance_physical.parquet`` / ``balance_value.parquet``, so each
column adds up as printed (opening + additions − reductions = closing; opening + volume change +
revaluation = closing); the 合计 column is the Decimal sum of the printed cells of its row.

The transition sheet prints the province's matrix of land groups and of land classes in 公顷, rows last
year's class (and "(new)"), columns this year's (and "(removed)"); its 合计 row and column are the sums
of the printed cells.

By city and county the figures are in the Parquet files, which keep every cell.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from .balance import ADDITIONS, REDUCTIONS
from .categories import CATEGORIES, CATEGORY_NAMES_ZH
from .excel import HEADER_FILL, HEADER_FONT, cell, sheet_title
from .layout import YearLayout

NUMBER = "#,##0.00"
CATEGORY_NAMES_EN = {"land": "Land", "forest": "Forest", "grassland": "Grassland", "wetland": "Wetland",
                     "water": "Water", "minerals": "Minerals"}

# row key → (zh, en); the physical rows in print order
PHYSICAL_ROWS = ["opening", "additions", *ADDITIONS, "other_changes_in_volume", "reductions", *REDUCTIONS, "closing"]
VALUE_ROWS = ["opening", "volume_change", "revaluation", "closing"]
LABELS = {
    "opening": ("期初", "Opening stock"),
    "additions": ("增加", "Additions"),
    "additions_new": ("  其中：新增", "  of which: new"),
    "additions_reclassified_in": ("  其中：重分类转入", "  of which: reclassified in"),
    "additions_increase": ("  其中：增长（面积增加、生长、上调）", "  of which: increase (area, growth, upward reappraisal)"),
    "additions_discovered": ("  其中：新发现", "  of which: discoveries"),
    "other_changes_in_volume": ("  其中：其他数量变化（含舍入）", "  of which: other changes in volume (incl. rounding)"),
    "reductions": ("减少", "Reductions"),
    "reductions_removed": ("  其中：灭失、移出", "  of which: removed"),
    "reductions_reclassified_out": ("  其中：重分类转出", "  of which: reclassified out"),
    "reductions_decrease": ("  其中：减少（含采伐）", "  of which: decrease (incl. harvest)"),
    "reductions_extracted": ("  其中：开采", "  of which: extraction"),
    "closing": ("期末", "Closing stock"),
    "volume_change": ("物量变化", "Volume change"),
    "revaluation": ("重估价", "Revaluation"),
}
WORDS = {
    "zh": {"balance_sheet": "平衡表-{name}", "transition_sheet": "土地利用转移矩阵",
           "balance_title": "{province}{year}年全民所有{name}资产平衡表",
           "physical": "实物量", "value": "价值量（万元）", "item": "项目", "total": "合计",
           "first_year": "首年：无上年数据，无期初（期初与变动栏为空，不作零）。",
           "note": "省级合计，为各县发布数之和；期初=上年期末。分市县数据见 balance_physical.parquet、balance_value.parquet。",
           "transition_title": "{province}{year}年土地利用转移矩阵（公顷）",
           "transition_note": "行：上年地类；列：本年地类；按图斑标识码匹配。行合计=上年面积，列合计=本年面积。",
           "groups": "地类分组", "classes": "地类", "from_to": "上年＼本年",
           "new": "（新增图斑）", "removed": "（灭失图斑）",
           "agricultural": "农用地", "construction": "建设用地", "unused": "未利用地"},
    "en": {"balance_sheet": "Balance-{name}", "transition_sheet": "Land transitions",
           "balance_title": "{province} {year}: balance account of state-owned {name}",
           "physical": "Physical", "value": "Value (10^4 yuan)", "item": "Item", "total": "Total",
           "first_year": "First year: no previous year, so no opening (opening and flows are blank, not zero).",
           "note": "Province figures are sums of the counties' published cells; opening = last year's closing. "
                   "Cities and counties: balance_physical.parquet, balance_value.parquet.",
           "transition_title": "{province} {year}: land-use transition matrix (ha)",
           "transition_note": "Rows: last year's class; columns: this year's; parcels matched by id. Row totals = "
                              "last year's area, column totals = this year's.",
           "groups": "Land groups", "classes": "Land classes", "from_to": "from \\ to",
           "new": "(new parcels)", "removed": "(removed parcels)",
           "agricultural": "Agricultural land", "construction": "Construction land", "unused": "Unused land"},
}


COMPONENT_NAMES = {"land": ("土地", "land"), "trees": ("林木", "trees"), "water": ("水资源", "water"),
                   "mineral": ("矿产资源", "mineral")}


def _component(category: str, component: str, lang: str) -> str:
    if category == "forest" and component == "land":
        return "林地" if lang == "zh" else "forest land"
    return COMPONENT_NAMES.get(component, (component, component))[0 if lang == "zh" else 1]


def _province_rows(path: Path, sort: list[str]) -> list[dict]:
    if not Path(path).exists():
        return []
    rows = pq.read_table(path, filters=[("region_level", "=", "province")]).to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r.get(k) or "") for k in sort))


def _label(key: str, lang: str) -> str:
    return LABELS[key][0 if lang == "zh" else 1]


def _num(ws, value):
    return cell(ws, value, number_format=NUMBER)


HEADER_ALIGNMENT = Alignment(wrap_text=True, horizontal="center", vertical="center")
HEADER_HEIGHT = 45  # points: three lines of wrapped header text


def _header(ws, texts: list[str]) -> list:
    return [cell(ws, t, fill=HEADER_FILL, font=HEADER_FONT, alignment=HEADER_ALIGNMENT) for t in texts]


COLUMNS_PER_PAGE = 14  # figure columns a landscape page prints at a readable size


def _layout(ws, first_width: float, columns: int) -> None:
    """Readable and printable: wrapped headers over 14-wide figure columns, landscape, as many pages across as
    it takes to print about 14 figure columns on each, the item column repeated and frozen (set before any row:
    the sheet is written once)."""
    ws.column_dimensions["A"].width = first_width
    for i in range(2, columns + 2):
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "B1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = max(1, -(-columns // COLUMNS_PER_PAGE))
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_cols = "A:A"


def _write_balance_sheet(wb, category: str, physical: list[dict], value: list[dict], province: str, year: int,
                         lang: str) -> None:
    words = WORDS[lang]
    name = CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]
    ws = wb.create_sheet(sheet_title(words["balance_sheet"].format(name=name)))
    _layout(ws, 34, max(len(physical), len(value) + 1))
    has_opening = any(r["has_opening"] for r in physical + value)
    ws.append([cell(ws, words["balance_title"].format(province=province, year=year, name=name))])
    ws.append([cell(ws, words["note"] if has_opening else words["first_year"])])
    ws.append([])
    item = (lambda r: r["item_name"] or r["item_code"]) if lang == "zh" else (lambda r: r["item_name_en"] or r["item_code"])
    subjects = {r["subject"] for r in physical + value}

    def head(r, extra):
        subject = f" {r['subject_name'] if lang == 'zh' else r['subject']}" if len(subjects) > 1 else ""
        return f"{item(r)}{subject} {extra}"

    ws.append([cell(ws, words["physical"])])
    ws.row_dimensions[5].height = HEADER_HEIGHT  # rows 1–4: title, note, blank, 实物量
    ws.append(_header(ws, [words["item"]] + [head(r, f"({r['unit'] if lang == 'zh' else r['unit_en']})") for r in physical]))
    for key in PHYSICAL_ROWS:
        ws.append([cell(ws, _label(key, lang))] + [_num(ws, r[key]) for r in physical])
    ws.append([])
    ws.append([cell(ws, words["value"])])
    ws.row_dimensions[5 + len(PHYSICAL_ROWS) + 3].height = HEADER_HEIGHT
    ws.append(_header(ws, [words["item"]] + [head(r, _component(category, r["component"], lang)) for r in value]
                      + [words["total"]]))
    for key in VALUE_ROWS:
        figures = [r[key] for r in value]
        total = sum((f for f in figures if f is not None), Decimal("0.00")) if any(f is not None for f in figures) else None
        ws.append([cell(ws, _label(key, lang))] + [_num(ws, f) for f in figures] + [_num(ws, total)])


def _matrix(rows: list[dict], classification: str) -> tuple[list[str], list[str], dict]:
    cells = {(r["from_class"], r["to_class"]): r["area_ha"] for r in rows if r["classification"] == classification}
    names = {}
    for r in rows:
        names[r["from_class"]], names[r["to_class"]] = r["from_name"], r["to_name"]
    froms = sorted({f for f, _ in cells}, key=lambda c: (c == "(new)", c))
    tos = sorted({t for _, t in cells}, key=lambda c: (c == "(removed)", c))
    return froms, tos, {"cells": cells, "names": names}


def _write_transition_sheet(wb, rows: list[dict], province: str, year: int, lang: str) -> None:
    words = WORDS[lang]
    ws = wb.create_sheet(sheet_title(words["transition_sheet"]))
    _layout(ws, 24, 1 + max((len(_matrix(rows, c)[1]) for c in ("group", "class")), default=0))
    ws.append([cell(ws, words["transition_title"].format(province=province, year=year))])
    ws.append([cell(ws, words["transition_note"] if rows else words["first_year"])])

    def name(code: str, names: dict) -> str:
        if code == "(new)":
            return words["new"]
        if code == "(removed)":
            return words["removed"]
        if code in words:
            return words[code]
        return f"{code} {names.get(code) or ''}".strip() if lang == "zh" else code

    row = 2  # rows written so far: title, note
    for classification, title in (("group", words["groups"]), ("class", words["classes"])):
        froms, tos, m = _matrix(rows, classification)
        if not froms:
            continue
        ws.append([])
        ws.append([cell(ws, title)])
        row += 2
        ws.row_dimensions[row + 1].height = HEADER_HEIGHT
        ws.append(_header(ws, [words["from_to"]] + [name(t, m["names"]) for t in tos] + [words["total"]]))
        row += 2 + len(froms)
        column_totals = defaultdict(lambda: Decimal("0.00"))
        for f in froms:
            figures = [m["cells"].get((f, t)) for t in tos]
            for t, v in zip(tos, figures):
                column_totals[t] += v or Decimal("0.00")
            ws.append([cell(ws, name(f, m["names"]))] + [_num(ws, v) for v in figures]
                      + [_num(ws, sum((v for v in figures if v is not None), Decimal("0.00")))])
        ws.append([cell(ws, words["total"])] + [_num(ws, column_totals[t]) for t in tos]
                  + [_num(ws, sum(column_totals.values(), Decimal("0.00")))])


def write_balance_sheets(wb, layout: YearLayout, province: str, lang: str = "zh") -> None:
    """Append the 平衡表 sheets (one per category) and the transition matrix sheet to the workbook."""
    physical = _province_rows(layout.balance_physical, ["category", "item_code", "subject", "indicator"])
    value = _province_rows(layout.balance_value, ["category", "item_code", "subject", "component"])
    for category in CATEGORIES:
        rows_p = [r for r in physical if r["category"] == category]
        rows_v = [r for r in value if r["category"] == category]
        if rows_p or rows_v:
            _write_balance_sheet(wb, category, rows_p, rows_v, province, layout.year, lang)
    if layout.land_transitions.exists():
        rows = _province_rows(layout.land_transitions, ["classification", "from_class", "to_class"])
        _write_transition_sheet(wb, rows, province, layout.year, lang)


# ------------------------------------------------------------------------------------------- reading back


def read_balance_sheet(path: Path, category: str, lang: str = "zh") -> dict[str, dict[str, dict[str, Decimal | None]]]:
    """A category's 平衡表 read back from the saved workbook: {"physical"|"value": {column: {row key: figure}}}."""
    words = WORDS[lang]
    name = CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]
    keys = {_label(k, lang): k for k in LABELS}
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[sheet_title(words["balance_sheet"].format(name=name))].iter_rows(values_only=True))
    finally:
        wb.close()
    out: dict = {"physical": {}, "value": {}}
    section, header = None, None
    for row in rows:
        first = row[0] if row else None
        if first == words["physical"]:
            section, header = "physical", None
        elif first == words["value"]:
            section, header = "value", None
        elif section and first == words["item"]:
            header = list(row[1:])
            for h in header:
                out[section][h] = {}
        elif section and header and first in keys:
            for h, v in zip(header, row[1:]):
                out[section][h][keys[first]] = None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))
    return out


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
            current.append([first] + [Decimal(str(v)).quantize(Decimal("0.01")) if isinstance(v, (int, float)) else v
                                      for v in row[1:]])
    return out

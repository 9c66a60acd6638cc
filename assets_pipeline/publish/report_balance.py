"""The report's balance sheets (平衡表, DOMAIN §5) and the land-use transition matrix (土地利用转移矩阵).

Two sheets per category, laid out like the ledgers: the regions down (the province, then each city followed
by its counties), one row per item of the region, and the account across. The physical sheet (实物量) gives
期初, 增加 with its kinds, 减少 with its kinds and 期末 for each item × indicator, its unit beside the item
(quantities of different units are never added); the value sheet (价值量, 万元) gives 期初, 物量变化, 重估价
and 期末 per item × component and a 合计 row per region. Each sheet lists only the flows its category can
have (land has no discoveries or extraction; minerals are discovered, not new). The figures are the
published cells of ``balance_physical.parquet`` / ``balance_value.parquet``, so each row adds up as printed
(opening + additions − reductions = closing; opening + volume change + revaluation = closing); a 合计 row is
the Decimal sum of the printed cells above it.

Blank means no figure (no parcel of the item in the region, or, in a first year, no opening); 0.00 is a
figure that is zero. A first year's sheets say why opening and flows are blank.

The transition sheet prints the province's matrix of land groups and of land classes in 公顷, rows last
year's class (and "(new)"), columns this year's (and "(removed)"); its 合计 row and column are the sums
of the printed cells. In a first year it says why it holds no matrix.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from assets_pipeline.ledgers.balance import ADDITIONS, REDUCTIONS
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH
from assets_pipeline.publish.excel import HEADER_FILL, HEADER_FONT, cell, sheet_title
from assets_pipeline.infra.layout import YearLayout

NUMBER = "#,##0.00"
CATEGORY_NAMES_EN = {"land": "Land", "forest": "Forest", "grassland": "Grassland", "wetland": "Wetland",
                     "water": "Water", "minerals": "Minerals"}
LEVEL_RANK = {"province": 0, "city": 1, "county": 2}
# Flows a category cannot have (balance.py): only minerals are discovered and extracted; a new deposit is
# discovered, never "new".
IMPOSSIBLE_FLOWS = {"minerals": {"additions_new"}}
MINERAL_ONLY_FLOWS = {"additions_discovered", "reductions_extracted"}

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
    "zh": {"balance_sheet": "平衡表-{name}{kind}", "transition_sheet": "土地利用转移矩阵",
           "balance_title": "{province}{year}年全民所有{name}资产平衡表（{kind}）",
           "physical": "实物量", "value": "价值量", "item": "项目", "item_unit": "项目（计量单位）",
           "total": "合计", "region": "行政区划", "wan": "（万元）",
           "first_year": "本年为首个编制年度：没有上年账户，故无期初，期初与各项变动栏为空（空白不是零）；"
                         "期末为本年发布数。自下一年度起列示完整的平衡表。",
           "note": "期初 = 上年期末；期初 + 增加 − 减少 = 期末。县级数据四舍五入保留两位小数，市级、省级数据为所辖"
                   "县级发布数之和。空白表示无此项数据（该地区无此类图斑），0.00 表示数值为零。",
           "note_value": "单位：万元。期初 + 物量变化 + 重估价 = 期末；合计行为其上各行所列数之和。",
           "transition_title": "{province}{year}年土地利用转移矩阵（公顷）",
           "transition_note": "行：上年地类；列：本年地类；按图斑标识码匹配。行合计=上年面积，列合计=本年面积。"
                              "空白表示无此项转移，0.00 表示面积舍入后为零。",
           "transition_first_year": "本年为首个编制年度：没有上年的土地调查数据，无法编制土地利用转移矩阵；"
                                    "自下一年度起列示。",
           "groups": "地类分组", "classes": "地类", "from_to": "上年＼本年",
           "new": "（新增图斑）", "removed": "（灭失图斑）",
           "agricultural": "农用地", "construction": "建设用地", "unused": "未利用地"},
    "en": {"balance_sheet": "Balance-{name} {kind}", "transition_sheet": "Land transitions",
           "balance_title": "{province} {year}: balance account of state-owned {name} ({kind})",
           "physical": "physical", "value": "value", "item": "Item", "item_unit": "Item (unit)",
           "total": "Total", "region": "Region", "wan": " (10^4 yuan)",
           "first_year": "This is the first year compiled: there is no account of the year before, so there is no "
                         "opening and opening and flows are blank (blank is not zero); closing is this year's "
                         "published figure. The full account follows from next year.",
           "note": "Opening = last year's closing; opening + additions − reductions = closing. County figures are "
                   "rounded half-up to 2 decimals; cities and the province are sums of their counties' published "
                   "figures. Blank: no figure (no parcel of the item in the region); 0.00: a figure that is zero.",
           "note_value": "Unit: 10^4 yuan. Opening + volume change + revaluation = closing; a Total row is the sum "
                         "of the rows printed above it.",
           "transition_title": "{province} {year}: land-use transition matrix (ha)",
           "transition_note": "Rows: last year's class; columns: this year's; parcels matched by id. Row totals = "
                              "last year's area, column totals = this year's. Blank: no such transition; 0.00: an "
                              "area that rounds to zero.",
           "transition_first_year": "This is the first year compiled: there is no land survey of the year before, "
                                    "so there is no transition matrix; it follows from next year.",
           "groups": "Land groups", "classes": "Land classes", "from_to": "from \\ to",
           "new": "(new parcels)", "removed": "(removed parcels)",
           "agricultural": "Agricultural land", "construction": "Construction land", "unused": "Unused land"},
}


COMPONENT_NAMES = {"land": ("土地", "land"), "trees": ("林木", "trees"), "water": ("水资源", "water"),
                   "mineral": ("矿产资源", "mineral")}

TITLE_FONT = Font(name="Calibri", bold=True, size=14)
NOTE_FONT = Font(name="Calibri", size=9, color="404040")
BOLD = Font(name="Calibri", bold=True)
HEADER_ALIGNMENT = Alignment(wrap_text=True, horizontal="center", vertical="center")
NOTE_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HEADER_HEIGHT = 45  # points: three lines of wrapped header text
FIRST_ROW = 4  # title, note, header


def _component(category: str, component: str, lang: str) -> str:
    if category == "forest" and component == "land":
        return "林地" if lang == "zh" else "forest land"
    return COMPONENT_NAMES.get(component, (component, component))[0 if lang == "zh" else 1]


def _rows(path: Path, sort: list[str], province_only: bool = False) -> list[dict]:
    if not Path(path).exists():
        return []
    filters = [("region_level", "=", "province")] if province_only else None
    rows = pq.read_table(path, filters=filters).to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r.get(k) or "") for k in sort))


def _label(key: str, lang: str) -> str:
    return LABELS[key][0 if lang == "zh" else 1].strip()


def _num(ws, value, bold: bool = False):
    return cell(ws, value, number_format=NUMBER, font=BOLD if bold else None)


def _header(ws, texts: list[str]) -> list:
    return [cell(ws, t, fill=HEADER_FILL, font=HEADER_FONT, alignment=HEADER_ALIGNMENT) for t in texts]


def _layout(ws, widths: list[float], title_rows: str | None = "3:3", freeze: str | None = "C4") -> None:
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


def _title_and_note(ws, title: str, note: str, columns: int, width: float) -> None:
    """Title and a wrapped note merged across the table, tall enough to be read whole."""
    ws.row_dimensions[1].height = 22  # heights before the rows: the sheet is written once
    ws.row_dimensions[2].height = 12 * max(1, -(-len(note) * 2 // max(int(width), 1)) + 1)
    ws.append([cell(ws, title, font=TITLE_FONT)])
    ws.append([cell(ws, note, font=NOTE_FONT, alignment=NOTE_ALIGNMENT)])
    if columns > 1:
        ws.merged_cells.add(f"A2:{get_column_letter(columns)}2")


def ordered_regions(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(code, name, level) of the regions the rows name: the province first, then each city followed by its
    counties, as on the ledger sheets."""
    regions = {r["region_code"]: (r["region_name"], r["region_level"], r.get("parent_code")) for r in rows}
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, (_, level, parent) in regions.items():
        children[parent if parent in regions else None].append(code)
    out: list[tuple[str, str, str]] = []

    def walk(code: str) -> None:
        name, level, _ = regions[code]
        out.append((code, name, level))
        for child in sorted(children[code], key=lambda c: (LEVEL_RANK.get(regions[c][1], 9), c)):
            walk(child)

    for root in sorted(children[None], key=lambda c: (LEVEL_RANK.get(regions[c][1], 9), c)):
        walk(root)
    return out


def _region_cell(ws, code: str, name: str, level: str):
    rank = LEVEL_RANK.get(level, 2)
    return cell(ws, f"{code} {name}", font=BOLD if rank < 2 else None,
                alignment=Alignment(horizontal="left", indent=rank))


def physical_flows(category: str, rows: list[dict]) -> list[str]:
    """The physical rows a category's sheet prints: mineral-only flows on the mineral sheet only, a flow the
    category cannot have left out (unless a figure says otherwise, so the sheet still adds up)."""
    impossible = (MINERAL_ONLY_FLOWS if category != "minerals" else set()) | IMPOSSIBLE_FLOWS.get(category, set())
    keep = {k for k in impossible if any(r.get(k) for r in rows)}
    return [k for k in PHYSICAL_ROWS if k not in impossible or k in keep]


def _item(r: dict, lang: str) -> str:
    return (r["item_name"] if lang == "zh" else r["item_name_en"]) or r["item_code"]


def _item_label(r: dict, lang: str, several_subjects: bool, extra: str) -> str:
    subject = f" {r['subject_name'] if lang == 'zh' else r['subject']}" if several_subjects else ""
    return f"{_item(r, lang)}{subject} {extra}"


def _physical_label(r: dict, lang: str, several: bool) -> str:
    return _item_label(r, lang, several, f"({r['unit'] if lang == 'zh' else r['unit_en']})")


def _value_label(r: dict, category: str, lang: str, several: bool) -> str:
    return _item_label(r, lang, several, _component(category, r["component"], lang))


def _by_region(rows: list[dict]):
    """(code, name, level, bold, its rows) per region, province → city → county; province and city rows in bold."""
    by_region = defaultdict(list)
    for r in rows:
        by_region[r["region_code"]].append(r)
    for code, region_name, level in ordered_regions(rows):
        yield code, region_name, level, LEVEL_RANK.get(level, 2) < 2, by_region[code]


def _write_physical_sheet(wb, category: str, rows: list[dict], province: str, year: int, lang: str) -> None:
    words = WORDS[lang]
    name = CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]
    flows = physical_flows(category, rows)
    ws = wb.create_sheet(sheet_title(words["balance_sheet"].format(name=name, kind=words["physical"])))
    widths = [26.0, 30.0] + [13.0] * len(flows)
    _layout(ws, widths)
    has_opening = any(r["has_opening"] for r in rows)
    _title_and_note(ws, words["balance_title"].format(province=province, year=year, name=name, kind=words["physical"]),
                    words["note"] if has_opening else words["first_year"], len(widths), sum(widths))
    ws.row_dimensions[3].height = HEADER_HEIGHT
    ws.append(_header(ws, [words["region"], words["item_unit"]] + [_label(k, lang) for k in flows]))
    several = len({r["subject"] for r in rows}) > 1
    for code, region_name, level, bold, here in _by_region(rows):
        for r in here:
            ws.append([_region_cell(ws, code, region_name, level), cell(ws, _physical_label(r, lang, several))]
                      + [_num(ws, r[k], bold) for k in flows])


def _write_value_sheet(wb, category: str, rows: list[dict], province: str, year: int, lang: str) -> None:
    words = WORDS[lang]
    name = CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]
    ws = wb.create_sheet(sheet_title(words["balance_sheet"].format(name=name, kind=words["value"])))
    widths = [26.0, 30.0] + [16.0] * len(VALUE_ROWS)
    _layout(ws, widths)
    has_opening = any(r["has_opening"] for r in rows)
    note = words["note_value"] + ("" if has_opening else (" " if lang == "en" else "") + words["first_year"])
    _title_and_note(ws, words["balance_title"].format(province=province, year=year, name=name, kind=words["value"]),
                    note, len(widths), sum(widths))
    ws.row_dimensions[3].height = HEADER_HEIGHT
    ws.append(_header(ws, [words["region"], words["item"]] + [_label(k, lang) + words["wan"] for k in VALUE_ROWS]))
    several = len({r["subject"] for r in rows}) > 1
    for code, region_name, level, bold, here in _by_region(rows):
        for r in here:
            ws.append([_region_cell(ws, code, region_name, level), cell(ws, _value_label(r, category, lang, several))]
                      + [_num(ws, r[k], bold) for k in VALUE_ROWS])
        totals = []
        for k in VALUE_ROWS:
            figures = [r[k] for r in here if r[k] is not None]
            totals.append(sum(figures, Decimal("0.00")) if figures else None)
        ws.append([_region_cell(ws, code, region_name, level), cell(ws, words["total"], font=BOLD)]
                  + [_num(ws, t, True) for t in totals])


def _matrix(rows: list[dict], classification: str) -> tuple[list[str], list[str], dict]:
    cells = {(r["from_class"], r["to_class"]): r["area_ha"] for r in rows if r["classification"] == classification}
    names = {}
    for r in rows:
        names[r["from_class"]], names[r["to_class"]] = r["from_name"], r["to_name"]
    froms = sorted({f for f, _ in cells}, key=lambda c: (c == "(new)", c))
    tos = sorted({t for _, t in cells}, key=lambda c: (c == "(removed)", c))
    return froms, tos, {"cells": cells, "names": names}


def _write_transition_sheet(wb, rows: list[dict], province: str, year: int, lang: str,
                            names_en: dict[str, str] | None = None) -> None:
    words = WORDS[lang]
    ws = wb.create_sheet(sheet_title(words["transition_sheet"]))
    columns = 1 + max((len(_matrix(rows, c)[1]) for c in ("group", "class")), default=0)
    widths = [24.0] + [12.0] * columns
    _layout(ws, widths, title_rows=None, freeze="B1")
    _title_and_note(ws, words["transition_title"].format(province=province, year=year),
                    words["transition_note"] if rows else words["transition_first_year"], max(len(widths), 8),
                    max(sum(widths), 120))

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
        ws.append(_header(ws, [words["from_to"]] + [name(t, m["names"]) for t in tos] + [words["total"]]))
        row += 2 + len(froms)
        column_totals = defaultdict(lambda: Decimal("0.00"))
        for f in froms:
            figures = [m["cells"].get((f, t)) for t in tos]
            for t, v in zip(tos, figures):
                column_totals[t] += v or Decimal("0.00")
            ws.append([cell(ws, name(f, m["names"]))] + [_num(ws, v) for v in figures]
                      + [_num(ws, sum((v for v in figures if v is not None), Decimal("0.00")))])
        ws.append([cell(ws, words["total"], font=BOLD)] + [_num(ws, column_totals[t], True) for t in tos]
                  + [_num(ws, sum(column_totals.values(), Decimal("0.00")), True)])


def _land_class_names_en(layout: YearLayout) -> dict[str, str]:
    """Land classes' English names from the year's reference snapshot (the transitions carry the Chinese)."""
    path = layout.reference("land_classes")
    if not path.exists():
        return {}
    table = pq.read_table(path, columns=["land_class", "name_en"])
    return dict(zip(table["land_class"].to_pylist(), table["name_en"].to_pylist()))


def write_balance_sheets(wb, layout: YearLayout, province: str, lang: str = "zh") -> None:
    """Append the 平衡表 sheets (physical and value per category) and the transition matrix sheet."""
    physical = _rows(layout.balance_physical, ["category", "item_code", "subject", "indicator"])
    value = _rows(layout.balance_value, ["category", "item_code", "subject", "component"])
    for category in CATEGORIES:
        rows_p = [r for r in physical if r["category"] == category]
        rows_v = [r for r in value if r["category"] == category]
        if rows_p:
            _write_physical_sheet(wb, category, rows_p, province, layout.year, lang)
        if rows_v:
            _write_value_sheet(wb, category, rows_v, province, layout.year, lang)
    if layout.balance_physical.exists() or layout.land_transitions.exists():
        rows = _rows(layout.land_transitions, ["classification", "from_class", "to_class"], province_only=True)
        _write_transition_sheet(wb, rows, province, layout.year, lang, _land_class_names_en(layout))


# ------------------------------------------------------------------------------------------- reading back


def read_balance_sheet(path: Path, category: str, lang: str = "zh") -> dict[str, dict[str, dict[str, Decimal | None]]]:
    """A category's province account read back from the saved workbook's two 平衡表 sheets:
    {"physical"|"value": {item label: {row key: figure}}}, the value's 合计 row under its label."""
    words = WORDS[lang]
    name = CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]
    keys = {_label(k, lang): k for k in LABELS}
    keys.update({_label(k, lang) + words["wan"]: k for k in VALUE_ROWS})
    out: dict = {"physical": {}, "value": {}}
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for section in ("physical", "value"):
            sheet = sheet_title(words["balance_sheet"].format(name=name, kind=words[section]))
            rows = list(wb[sheet].iter_rows(values_only=True))
            header = [keys.get(h) for h in rows[FIRST_ROW - 2]]
            province = rows[FIRST_ROW - 1][0] if len(rows) >= FIRST_ROW else None
            for row in rows[FIRST_ROW - 1:]:
                if row[0] != province:
                    continue
                out[section][row[1]] = {k: None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))
                                        for k, v in zip(header, row) if k}
    finally:
        wb.close()
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

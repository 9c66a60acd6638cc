"""The report's balance sheets (平衡表, DOMAIN §5).

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

"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.balance import ADDITIONS, REDUCTIONS
from assets_pipeline.publish.excel import BOLD, cell, sheet_title
from assets_pipeline.publish.regions import LEVEL_RANK, print_order
from assets_pipeline.publish.report_sheet_layout import (
    HEADER_HEIGHT,
    figure_cell,
    header_cells,
    read_rows,
    sheet_layout,
    title_and_note,
)
from assets_pipeline.publish.report_style import indented
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH
from assets_pipeline.schema.labels import CATEGORY_NAMES_EN, component_name

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
    "additions_increase": (
        "  其中：增长（面积增加、生长、上调）",
        "  of which: increase (area, growth, upward reappraisal)",
    ),
    "additions_discovered": ("  其中：新发现", "  of which: discoveries"),
    "other_changes_in_volume": (
        "  其中：其他数量变化（含舍入）",
        "  of which: other changes in volume (incl. rounding)",
    ),
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
    "zh": {
        "balance_sheet": "平衡表-{name}{kind}",
        "balance_title": "{province}{year}年全民所有{name}资产平衡表（{kind}）",
        "physical": "实物量",
        "value": "价值量",
        "item": "项目",
        "item_unit": "项目（计量单位）",
        "total": "合计",
        "region": "行政区划",
        "wan": "（万元）",
        "first_year": "本年为首个编制年度：没有上年账户，故无期初，期初与各项变动栏为空（空白不是零）；"
        "期末为本年发布数。自下一年度起列示完整的平衡表。",
        "note": "期初 = 上年期末；期初 + 增加 − 减少 = 期末。县级数据四舍五入保留两位小数，市级、省级数据为所辖"
        "县级发布数之和。空白表示无此项数据（该地区无此类图斑），0.00 表示数值为零。",
        "note_value": "单位：万元。期初 + 物量变化 + 重估价 = 期末；合计行为其上各行所列数之和。",
    },
    "en": {
        "balance_sheet": "Balance-{name} {kind}",
        "balance_title": "{province} {year}: balance account of state-owned {name} ({kind})",
        "physical": "physical",
        "value": "value",
        "item": "Item",
        "item_unit": "Item (unit)",
        "total": "Total",
        "region": "Region",
        "wan": " (10^4 yuan)",
        "first_year": "This is the first year compiled: there is no account of the year before, so there is no "
        "opening and opening and flows are blank (blank is not zero); closing is this year's "
        "published figure. The full account follows from next year.",
        "note": "Opening = last year's closing; opening + additions − reductions = closing. County figures are "
        "rounded half-up to 2 decimals; cities and the province are sums of their counties' published "
        "figures. Blank: no figure (no parcel of the item in the region); 0.00: a figure that is zero.",
        "note_value": "Unit: 10^4 yuan. Opening + volume change + revaluation = closing; a Total row is the sum "
        "of the rows printed above it.",
    },
}
FIRST_ROW = 4  # title, note, header


def _component(category: str, component: str, lang: str) -> str:
    """A component's name after the item: lower case in English (forest land, not Forest land)."""
    name = component_name(category, component, lang)
    return name if lang == "zh" else name.lower()


def _label(key: str, lang: str) -> str:
    return LABELS[key][0 if lang == "zh" else 1].strip()


def ordered_regions(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(code, name, level) of the regions the rows name: the province first, then each city followed by its
    counties, as on the ledger sheets."""
    regions = {r["region_code"]: (r["region_name"], r["region_level"], r.get("parent_code")) for r in rows}
    order = print_order({code: (level, parent) for code, (_, level, parent) in regions.items()})
    return [(code, regions[code][0], regions[code][1]) for code in order]


def _region_cell(ws, code: str, name: str, level: str):
    rank = LEVEL_RANK.get(level, 2)
    return cell(ws, f"{code} {name}", font=BOLD if rank < 2 else None, alignment=indented(rank))


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


def _sheet(wb, category: str, kind: str, widths: list[float], note: str, province: str, year: int, lang: str):
    """A category's 平衡表 sheet of one kind (physical or value), laid out, its title and note written."""
    words = WORDS[lang]
    name = _category_name(category, lang)
    ws = wb.create_sheet(sheet_title(words["balance_sheet"].format(name=name, kind=words[kind])))
    sheet_layout(ws, widths)
    title_and_note(
        ws,
        words["balance_title"].format(province=province, year=year, name=name, kind=words[kind]),
        note,
        len(widths),
        sum(widths),
    )
    ws.row_dimensions[3].height = HEADER_HEIGHT
    return ws


def _category_name(category: str, lang: str) -> str:
    return CATEGORY_NAMES_ZH[category] if lang == "zh" else CATEGORY_NAMES_EN[category]


def _write_physical_sheet(wb, category: str, rows: list[dict], province: str, year: int, lang: str) -> None:
    words = WORDS[lang]
    flows = physical_flows(category, rows)
    has_opening = any(r["has_opening"] for r in rows)
    ws = _sheet(
        wb,
        category,
        "physical",
        [26.0, 30.0] + [13.0] * len(flows),
        words["note"] if has_opening else words["first_year"],
        province,
        year,
        lang,
    )
    ws.append(header_cells(ws, [words["region"], words["item_unit"]] + [_label(k, lang) for k in flows]))
    several = len({r["subject"] for r in rows}) > 1
    for code, region_name, level, bold, here in _by_region(rows):
        for r in here:
            ws.append(
                [_region_cell(ws, code, region_name, level), cell(ws, _physical_label(r, lang, several))]
                + [figure_cell(ws, r[k], bold) for k in flows]
            )


def _write_value_sheet(wb, category: str, rows: list[dict], province: str, year: int, lang: str) -> None:
    words = WORDS[lang]
    has_opening = any(r["has_opening"] for r in rows)
    note = words["note_value"] + ("" if has_opening else (" " if lang == "en" else "") + words["first_year"])
    ws = _sheet(wb, category, "value", [26.0, 30.0] + [16.0] * len(VALUE_ROWS), note, province, year, lang)
    ws.append(header_cells(ws, [words["region"], words["item"]] + [_label(k, lang) + words["wan"] for k in VALUE_ROWS]))
    several = len({r["subject"] for r in rows}) > 1
    for code, region_name, level, bold, here in _by_region(rows):
        for r in here:
            ws.append(
                [_region_cell(ws, code, region_name, level), cell(ws, _value_label(r, category, lang, several))]
                + [figure_cell(ws, r[k], bold) for k in VALUE_ROWS]
            )
        totals = []
        for k in VALUE_ROWS:
            figures = [r[k] for r in here if r[k] is not None]
            totals.append(sum(figures, Decimal("0.00")) if figures else None)
        ws.append(
            [_region_cell(ws, code, region_name, level), cell(ws, words["total"], font=BOLD)]
            + [figure_cell(ws, t, True) for t in totals]
        )


def write_balance_sheets(wb, layout: YearLayout, province: str, lang: str = "zh") -> None:
    """Append the 平衡表 sheets: physical and value per category."""
    physical = read_rows(layout.balance_physical, ["category", "item_code", "subject", "indicator"])
    value = read_rows(layout.balance_value, ["category", "item_code", "subject", "component"])
    for category in CATEGORIES:
        rows_p = [r for r in physical if r["category"] == category]
        rows_v = [r for r in value if r["category"] == category]
        if rows_p:
            _write_physical_sheet(wb, category, rows_p, province, layout.year, lang)
        if rows_v:
            _write_value_sheet(wb, category, rows_v, province, layout.year, lang)


# ------------------------------------------------------------------------------------------- reading back


def read_balance_sheet(path: Path, category: str, lang: str = "zh") -> dict[str, dict[str, dict[str, Decimal | None]]]:
    """A category's province account read back from the saved workbook's two 平衡表 sheets:
    {"physical"|"value": {item label: {row key: figure}}}, the value's 合计 row under its label."""
    words = WORDS[lang]
    name = _category_name(category, lang)
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
            for row in rows[FIRST_ROW - 1 :]:
                if row[0] != province:
                    continue
                out[section][row[1]] = {
                    k: None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))
                    for k, v in zip(header, row, strict=False)
                    if k
                }
    finally:
        wb.close()
    return out

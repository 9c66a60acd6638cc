"""The year's report workbook: a cover, a summary, and a physical and a value sheet per category.

What the finance and asset staff open and print (DOMAIN §1, §5). Each category sheet lays the
published ledger cells out region by region — the province first, then each city followed by its
counties — with the items across and the unit in every header.

Rounding (DOMAIN §5): the figures are the published cells of the ledgers, written as they are in the
Parquet. Every total printed (a 合计/小计 column, the summary's rows) is the Decimal sum of the cells it
totals *as printed*, so each table adds up on paper. City rows are the sums of their counties and the
province row the sum of its cities by construction of the ledgers; the writer checks this and refuses
a ledger that does not add up rather than print a table that does not.

Cells hold values, never formulas, so what openpyxl reads back is what Excel and LibreOffice show;
text always goes through ``excel.cell`` so a name like ``=1+1`` stays text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow.parquet as pq
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH
from assets_pipeline.publish.excel import BAD_FILL, HEADER_FILL, cell, sheet_title
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.ledgers.memos import MEMO_CATEGORIES, MEMOS
from assets_pipeline.publish.report_balance import write_balance_sheets
from assets_pipeline.publish.quality import write_scorecard_sheet
from assets_pipeline.infra.storage import atomic_path

# ---------------------------------------------------------------------------------------------- API


@dataclass
class CoverInfo:
    """What the cover states about the run, so a printed workbook can be traced to its inputs."""

    year: int
    province_code: str
    province_name: str
    run_time: str
    run_id: str
    inputs: list[tuple[str, str, str, int]] = field(default_factory=list)  # category, file, sha256, rows
    reference_tables: list[tuple[str, str, str, str]] = field(default_factory=list)  # table, file, sha256, price year
    models: list[tuple[str, str, str]] = field(default_factory=list)  # category, model, version
    parameters: dict[str, str] = field(default_factory=dict)
    # category, rows read, valid, excluded, rejected, unpriced
    reconciliation: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    # the area identity's terms in m² (area_identity()); empty: not shown
    area_identity: dict[str, Decimal] = field(default_factory=dict)
    time_zone: str = "Asia/Shanghai"  # the province's; China keeps one zone, UTC+08:00


@dataclass
class ReportTotals:
    """The grand totals printed, for comparing the workbook with the ledgers.

    ``totals`` maps (sheet name, column header) to the figure printed on the column's total line: the
    province row of a category sheet, the 合计 row of the summary. A two-row header reads
    "upper / lower". ``values`` is the province total value of each category in 万元.
    """

    path: Path
    totals: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)


def write_report(layout: YearLayout, cover: CoverInfo, lang: str = "zh") -> ReportTotals:
    """Write ``report_<year>.xlsx`` from the year's ledgers (atomically) and return the totals printed."""
    if lang not in TEXT:
        raise ValueError(f"report language must be one of {sorted(TEXT)}, not {lang!r}")
    if int(cover.year) != layout.year:
        raise ValueError(f"cover year {cover.year} is not the layout's year {layout.year}")
    text = Text(lang)
    if not cover.area_identity:
        cover.area_identity = area_identity(layout, str(cover.parameters.get("consistency_policy") or "base-map-wins"))
    physical = _read_ledger(layout.ledger_physical, "indicator", "quantity")
    value = _read_ledger(layout.ledger_value, "component", "value_wan_yuan")
    tables = []
    for category in CATEGORIES:
        rows_p, rows_v = physical.get(category, []), value.get(category, [])
        regions = _ordered_regions(_regions(rows_p + rows_v, cover))
        tables.append(_physical_table(category, rows_p, regions, cover, text))
        tables.append(_value_table(category, rows_v, regions, cover, text))

    wb = Workbook(write_only=True)
    result = ReportTotals(path=layout.report())
    _write_cover(wb, cover, text, tables)
    result.totals.update(_write_summary(wb, tables, cover, text))
    for table in tables:
        result.totals.update(_write_table(wb, table, cover, text))
        if table.kind == "value":
            result.values[table.category] = table.grand_total()
    write_balance_sheets(wb, layout, cover.province_name, lang)
    write_scorecard_sheet(wb, layout, lang)
    _write_inputs(wb, cover, text)
    with atomic_path(layout.report()) as tmp:
        wb.save(tmp)
    return result


def read_report_totals(path: Path) -> dict[str, Decimal]:
    """The province total value (万元) of each category, read back from the saved workbook's cells.

    Each value sheet's province 合计 cell carries a workbook name ``total_value_<category>``, so the
    lookup does not depend on the language or the column layout. A blank total (nothing valued)
    reads as 0.00, as an empty ledger sums to 0.
    """
    return {name: v for name, v in _named_totals(path).items() if MEMO_NAME_SEPARATOR not in name}


def read_report_memo_totals(path: Path) -> dict[tuple[str, str], Decimal]:
    """(category, memo) → the province "of which" value (万元) printed on the category's value sheet, read back
    through its workbook name ``total_value_<category>__<memo>``; memos not printed are absent."""
    return {tuple(name.split(MEMO_NAME_SEPARATOR)): v for name, v in _named_totals(path).items()
            if MEMO_NAME_SEPARATOR in name}


def _named_totals(path: Path) -> dict[str, Decimal]:
    wb = load_workbook(path, read_only=False, data_only=True)
    try:
        out: dict[str, Decimal] = {}
        for name, defined in wb.defined_names.items():
            if not name.startswith(TOTAL_NAME_PREFIX):
                continue
            (sheet, coordinate), = list(defined.destinations)
            raw = wb[sheet][coordinate.replace("$", "")].value
            out[name[len(TOTAL_NAME_PREFIX):]] = _cents(raw)
        return out
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------- words

TOTAL_NAME_PREFIX = "total_value_"
MEMO_NAME_SEPARATOR = "__"  # total_value_land__redline: the province "of which" cell of a value sheet
CATEGORY_NAMES_EN = {"land": "Land", "forest": "Forest", "grassland": "Grassland", "wetland": "Wetland",
                     "water": "Water", "minerals": "Minerals"}
RESOURCE_NAMES = {
    "zh": {"land": "土地资源", "forest": "森林资源", "grassland": "草原资源", "wetland": "湿地资源", "water": "水资源",
           "minerals": "矿产资源"},
    "en": {"land": "land resources", "forest": "forest resources", "grassland": "grassland resources",
           "wetland": "wetland resources", "water": "water resources", "minerals": "mineral resources"},
}
SUBJECT_NAMES_EN = {"central": "central government", "provincial": "provincial government (agent)",
                    "municipal": "city government (agent)"}
SUBJECT_ORDER = ("central", "provincial", "municipal")
COMPONENTS = ("land", "trees", "water", "mineral")
LEVEL_RANK = {"province": 0, "city": 1, "county": 2}

# Physical indicators in column order, with their names (the unit comes from the ledger row).
INDICATORS = {
    "area": ("面积", "Area"),
    "area_mu": ("面积", "Area"),
    "stock": ("林木蓄积量", "Growing stock"),
    "bamboo_stems": ("竹子株数", "Bamboo stems"),
    "hay_yield": ("干草产量", "Hay yield"),
    "volume": ("水资源量", "Water volume"),
    "quantity": ("资源储量", "Quantity"),
}
# The indicator the summary shows as a category's main physical quantity (none for minerals: units differ).
MAIN_INDICATOR = {"land": "area", "forest": "area", "grassland": "area", "wetland": "area", "water": "volume"}

# Items in the order of their code lists where the codes do not sort that way.
ITEM_ORDER = {
    "water": ("surface", "groundwater", "overlap"),
    "wetland": ("coastal", "river", "lake", "marsh", "artificial"),
}
# GB/T 17766-2020 classes, most certain first (reference_tables/resource_classes.csv, confidence_rank).
RESOURCE_CLASS_ORDER = ("proved_reserve", "probable_reserve", "measured", "indicated", "inferred")

_ZH = {
    "cover": "封面",
    "summary": "汇总",
    "physical_sheet": "{c}实物量",
    "value_sheet": "{c}价值量",
    "cover_title": "{province} 全民所有自然资源资产清查 {year} 年度账户",
    "physical_title": "{province}{year}年全民所有{resource}实物量表",
    "value_title": "{province}{year}年全民所有{resource}价值量表",
    "summary_title": "{province}{year}年全民所有自然资源资产汇总表",
    "region": "行政区划",
    "category": "资源类别",
    "total": "合计",
    "subtotal": "小计",
    "value_group": "价值量（万元）",
    "total_wan": "合计（万元）",
    "unit_wan": "单位：万元。",
    "unit_physical": "计量单位见各栏标题。",
    "subject": "所有权行使主体：{s}。",
    "no_data": "本年度无数据。",
    "water_total": "合计 = 地表水 + 地下水 − 重复计算量（重复计算量以负数列示）。",
    "minerals_no_total": "各矿种计量单位不同，储量为资源量的一部分，故不作合计。",
    "overlap": "{name}（扣减）",
    "continued": "（续）",
    "summary_note": "价值量单位：万元；实物量为省级数据，单位见各行。",
    "physical_main": "主要实物量",
    "quantity": "数量",
    "unit": "计量单位",
    "chart_title": "各类自然资源资产价值量（万元）",
    "footer_page": "第 &P 页，共 &N 页",
    "footer_run": "运行编号 {run}",
    "year": "年度",
    "province": "省份",
    "run_time": "运行时间",
    "run_id": "运行编号",
    "note": "说明",
    "rounding_note": "金额单位为万元。县级数据四舍五入保留两位小数；市级、省级数据及各合计均为所列数值之和，"
                     "故合计可能与未经舍入的精确合计相差几分。",
    "inputs": "输入文件",
    "file": "文件",
    "rows": "行数",
    "reference_tables": "参考表",
    "table": "参考表",
    "price_year": "价格年度",
    "models": "估价模型",
    "model": "模型",
    "version": "版本",
    "parameters": "运行参数",
    "parameter": "参数",
    "value": "取值",
    "reconciliation": "数据行核对（读入 = 有效 + 排除 + 退回）",
    "check": "核对",
    "balanced": "平衡",
    "unbalanced": "不平衡",
    "rows_read": "读入",
    "rows_valid": "有效",
    "rows_excluded": "排除",
    "rows_rejected": "退回",
    "rows_unpriced": "其中未定价",
    "memo_of": "其中：\n{m}",
    "memo_group_value": "其中（万元）",
    "memo_note": "“其中”栏为合计中位于{ms}内的部分，按各图斑位于其内的面积比例计算；各类区域可能重叠，不可相加；"
                 "某类区域在本类资源中全为零时不列示该栏。",
    "blank_note": "空白表示该地区没有此项图斑或记录（无数据）；0.00 表示有图斑或记录、计量结果为零（“其中”栏同此）。",
    "see_detail_unit": "单位不一，见明细表",
    "inputs_sheet": "输入文件",
    "inputs_title": "{province}{year}年度账户的输入文件与参考表",
    "inputs_note": "各文件的 SHA-256 校验值，用于核实本工作簿所依据的数据即为所报送的文件。",
    "figures": "主要数字（省级）",
    "value_wan": "价值量（万元）",
    "area_identity": "面积核对（平方米）：底图读入面积 = 土地 + 森林 + 草原 + 湿地账户面积 + 集体所有（排除）+ 退回 + 被退回调查记录占用 − 调整",
    "term": "项目",
    "area_m2": "面积（平方米）",
    "identity_base": "底图读入面积（国土调查全部图斑）",
    "identity_ledger": "{c}账户面积",
    "identity_collective": "集体所有土地（排除，不入账）",
    "identity_rejected": "退回的底图图斑（数据校验）",
    "identity_rejected_consistency": "退回的底图图斑（一致性处理）",
    "identity_withheld": "被退回的森林、草原、湿地调查记录所在底图面积（未入账）",
    "identity_adjusted": "调整（以调查为准时底图面积的增减）",
    "identity_sum": "右侧合计",
    "identity_difference": "差额（底图读入面积 − 右侧合计）",
    "closes": "闭合",
    "not_closes": "不闭合",
}
MEMO_NAMES = {
    "zh": {"redline": "生态保护红线", "farmland": "永久基本农田", "protected": "自然保护地"},
    "en": {"redline": "ecological red line", "farmland": "permanent basic farmland", "protected": "protected areas"},
}
_EN = {
    "cover": "Cover",
    "summary": "Summary",
    "physical_sheet": "{c} physical",
    "value_sheet": "{c} value",
    "cover_title": "{province} state-owned natural resource asset accounts {year}",
    "physical_title": "{province} state-owned {resource} {year}: physical quantities",
    "value_title": "{province} state-owned {resource} {year}: value",
    "summary_title": "{province} state-owned natural resource assets {year}: summary",
    "region": "Region",
    "category": "Category",
    "total": "Total",
    "subtotal": "Subtotal",
    "value_group": "Value (10⁴ yuan)",
    "total_wan": "Total (10⁴ yuan)",
    "unit_wan": "Unit: 10⁴ yuan.",
    "unit_physical": "Units are given in each column header.",
    "subject": "Exercising subject: {s}.",
    "no_data": "No data this year.",
    "water_total": "Total = surface water + groundwater − overlap (the overlap is shown negative).",
    "minerals_no_total": "Minerals are counted in different units and reserves are part of resources: no totals.",
    "overlap": "{name} (deducted)",
    "continued": " (continued)",
    "summary_note": "Values in 10⁴ yuan; physical quantities at province level, units as shown.",
    "physical_main": "Main physical quantity",
    "quantity": "Quantity",
    "unit": "Unit",
    "chart_title": "Value by category (10⁴ yuan)",
    "footer_page": "Page &P of &N",
    "footer_run": "Run {run}",
    "year": "Year",
    "province": "Province",
    "run_time": "Run time",
    "run_id": "Run id",
    "note": "Note",
    "rounding_note": "Values in 10⁴ yuan. County figures are rounded half-up to 2 decimals; city and province figures "
                     "and every total are sums of the figures printed, so a total may differ by a few hundredths "
                     "from the exact unrounded sum.",
    "inputs": "Input files",
    "file": "File",
    "rows": "Rows",
    "reference_tables": "Reference tables",
    "table": "Table",
    "price_year": "Price year",
    "models": "Valuation models",
    "model": "Model",
    "version": "Version",
    "parameters": "Run parameters",
    "parameter": "Parameter",
    "value": "Value",
    "reconciliation": "Row reconciliation (read = valid + excluded + rejected)",
    "check": "Check",
    "balanced": "balanced",
    "unbalanced": "NOT balanced",
    "rows_read": "Read",
    "rows_valid": "Valid",
    "rows_excluded": "Excluded",
    "rows_rejected": "Rejected",
    "rows_unpriced": "of which unpriced",
    "memo_of": "of which:\n{m}",
    "memo_group_value": "Of which (10⁴ yuan)",
    "memo_note": "\"Of which\" columns give the part of the total inside the {ms}, by the share of each parcel's "
                 "area inside it; the zones may overlap and are not to be added; a zone with no figure other than "
                 "zero in this category is left out.",
    "blank_note": "Blank: the region has no parcel or record of the item (no figure); 0.00: parcels or records that "
                  "measure zero (the same in the \"of which\" columns).",
    "see_detail_unit": "units differ, see detail",
    "inputs_sheet": "Input files",
    "inputs_title": "{province} {year}: input files and reference tables",
    "inputs_note": "The SHA-256 of each file, to verify that this workbook rests on the files delivered.",
    "figures": "Key figures (province)",
    "value_wan": "Value (10⁴ yuan)",
    "area_identity": "Area identity (m²): base map read = land + forest + grassland + wetland ledgers + collective "
                     "(excluded) + rejected + withheld by rejected inventory rows − adjusted",
    "term": "Term",
    "area_m2": "Area (m²)",
    "identity_base": "Base map read (every land survey parcel)",
    "identity_ledger": "{c} ledger area",
    "identity_collective": "Collective land (excluded, not in the ledgers)",
    "identity_rejected": "Base parcels rejected (validation)",
    "identity_rejected_consistency": "Base parcels rejected (consistency policy)",
    "identity_withheld": "Base area of rejected forest, grassland and wetland rows (not counted)",
    "identity_adjusted": "Adjusted (base area changed under inventory-wins)",
    "identity_sum": "Sum of the terms",
    "identity_difference": "Difference (base map read − sum of the terms)",
    "closes": "closes",
    "not_closes": "does NOT close",
}
TEXT = {"zh": _ZH, "en": _EN}
_COMPONENT_NAMES = {
    "zh": {"land": "土地", "trees": "林木", "water": "水资源", "mineral": "矿产资源"},
    "en": {"land": "Land", "trees": "Trees", "water": "Water", "mineral": "Mineral"},
}
# The land under a forest is forest land (林地); the component is named so on the forest sheet.
_FOREST_LAND = {"zh": "林地", "en": "Forest land"}


class Text:
    """The workbook's words in one language; names that stay Chinese (regions) are not translated."""

    def __init__(self, lang: str):
        self.lang = lang
        self.words = TEXT[lang]

    def __call__(self, key: str, **kw) -> str:
        return self.words[key].format(**kw)

    @property
    def en(self) -> bool:
        return self.lang == "en"

    def category(self, category: str) -> str:
        return CATEGORY_NAMES_EN[category] if self.en else CATEGORY_NAMES_ZH.get(category, category)

    def resource(self, category: str) -> str:
        return RESOURCE_NAMES[self.lang].get(category, category)

    def component(self, category: str, component: str) -> str:
        if category == "forest" and component == "land":
            return _FOREST_LAND[self.lang]
        return _COMPONENT_NAMES[self.lang].get(component, component)

    def subject(self, subject: str, name_zh: str | None) -> str:
        if self.en:
            return SUBJECT_NAMES_EN.get(subject, subject)
        return name_zh or subject

    def unit(self, zh: str, en: str) -> str:
        return _pretty_unit(en) if self.en else zh

    def join(self, sentences: list[str]) -> str:
        """Sentences one after the other: Chinese puts no space after 。"""
        return " ".join(sentences) if self.en else "".join(sentences)

    def paren(self, name: str, unit: str) -> str:
        return f"{name} ({unit})" if self.en else f"{name}（{unit}）"

    def memo(self, memo: str) -> str:
        name = MEMO_NAMES[self.lang][memo]
        return name[0].upper() + name[1:] if self.en else name

    def memo_note(self, memos: list[str]) -> str:
        names = [MEMO_NAMES[self.lang][m] for m in memos]
        joined = (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]) if self.en \
            else "、".join(names)
        return self("memo_note", ms=joined)


def _pretty_unit(unit: str) -> str:
    """'10^4 m3' → '10⁴ m³': the ledger's ASCII units as a reader writes them."""
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    unit = re.sub(r"\^(\d+)", lambda m: m.group(1).translate(superscript), unit)
    return re.sub(r"\bm([23])\b", lambda m: "m" + m.group(1).translate(superscript), unit)


# ---------------------------------------------------------------------------------------------- ledgers


@dataclass(frozen=True)
class LedgerRow:
    region_code: str
    region_name: str
    region_level: str
    parent_code: str | None
    measure: str  # indicator (physical) or component (value)
    item_code: str
    subject: str
    item_name: str | None
    item_name_en: str | None
    subject_name: str | None
    unit: str | None
    unit_en: str | None
    amount: Decimal
    memos: dict[str, Decimal] = field(default_factory=dict)  # the cell's "of which" figures (memos.py), as published


def _read_ledger(path: Path, measure: str, amount: str) -> dict[str, list[LedgerRow]]:
    """A ledger's published cells per category; the ledgers are regions × items, small enough to read whole."""
    table = pq.read_table(path)
    has_unit = "unit" in table.column_names
    memo_columns = {m: c for m in MEMOS if (c := _memo_column(amount, m)) in table.column_names}
    out: dict[str, list[LedgerRow]] = defaultdict(list)
    for r in table.to_pylist():
        if r[amount] is None:
            continue
        out[r["category"]].append(LedgerRow(
            region_code=r["region_code"], region_name=r["region_name"], region_level=r["region_level"],
            parent_code=r["parent_code"], measure=r[measure], item_code=r["item_code"] or "", subject=r["subject"],
            item_name=r["item_name"], item_name_en=r["item_name_en"], subject_name=r["subject_name"],
            unit=r["unit"] if has_unit else None, unit_en=r["unit_en"] if has_unit else None,
            amount=Decimal(r[amount]),
            memos={m: Decimal(r[c]) for m, c in memo_columns.items() if r[c] is not None},
        ))
    return out


def _memo_column(amount: str, memo: str) -> str:
    """The ledger column of a memo's published figure: quantity_redline, value_redline_wan_yuan (memos.py)."""
    return f"quantity_{memo}" if amount == "quantity" else f"value_{memo}_wan_yuan"


def _memos_shown(category: str, rows: list[LedgerRow]) -> list[str]:
    """The memos a category's sheets print: those of the memo categories with a figure other than zero.

    A base map without a memo's column gives every row a share of 0; a column of zeros would read as "none of it
    lies in the zone", which nobody measured."""
    if category not in MEMO_CATEGORIES:
        return []
    return [m for m in MEMOS if any(r.memos.get(m) for r in rows)]


def _cells(rows: list[LedgerRow]) -> dict[tuple, Decimal]:
    """(region, measure, item, subject) → published cell, and (region, measure, item, subject, memo) → its
    published "of which" figure; the ledgers hold one row per key."""
    cells: dict[tuple, Decimal] = {}
    for r in rows:
        key = (r.region_code, r.measure, r.item_code, r.subject)
        if key in cells:
            raise LedgerError(f"ledger holds two rows for {key}")
        cells[key] = r.amount
        for memo, figure in r.memos.items():
            cells[(*key, memo)] = figure
    return cells


class LedgerError(ValueError):
    """The ledgers cannot be printed as tables that add up (DOMAIN §5)."""


# ---------------------------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent: str | None

    def label(self) -> str:
        return f"{self.code} {self.name}"


def _regions(rows: list[LedgerRow], cover: CoverInfo) -> dict[str, Region]:
    """The regions a category's ledgers name, and the province even when the category is empty."""
    regions = {cover.province_code: Region(cover.province_code, cover.province_name, "province", None)}
    for r in rows:
        if r.region_level == "province" and r.region_code != cover.province_code:
            raise LedgerError(f"the ledger's province is {r.region_code}, the cover's {cover.province_code}")
        regions[r.region_code] = Region(r.region_code, r.region_name, r.region_level, r.parent_code)
    return regions


def _ordered_regions(regions: dict[str, Region]) -> list[Region]:
    """Province first, then each city followed by its counties: a city row is the subtotal beneath it."""
    children: dict[str | None, list[Region]] = defaultdict(list)
    for region in regions.values():
        parent = region.parent if region.parent in regions else None
        children[parent].append(region)
    out: list[Region] = []

    def walk(region: Region) -> None:
        out.append(region)
        for child in sorted(children[region.code], key=lambda r: (LEVEL_RANK.get(r.level, 9), r.code)):
            walk(child)

    for root in sorted(children[None], key=lambda r: (LEVEL_RANK.get(r.level, 9), r.code)):
        walk(root)
    return out


# ---------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A printed column: a ledger cell (``key``) or the sum of other columns (``parts``)."""

    group: str  # upper header row
    label: str | None  # lower header row; None when the group spans both rows
    key: tuple[str, str, str] | None = None  # measure, item_code, subject
    parts: tuple[int, ...] = ()
    total: bool = False
    memo: str | None = None  # an "of which" column: the memo's figures of the ledger cells of ``parts``, summed

    @property
    def header(self) -> str:
        return self.group if self.label is None else f"{self.group} / {self.label}"


@dataclass
class Table:
    """One category sheet: regions down, columns across, figures as printed."""

    category: str
    kind: str  # physical or value
    sheet: str
    title: str
    notes: list[str]
    columns: list[Column]
    regions: list[Region]
    values: list[list[Decimal | None]]

    @property
    def total_index(self) -> int:
        """A value sheet's 合计 column: its last one but the "of which" columns that follow it."""
        return max(i for i, c in enumerate(self.columns) if c.memo is None)

    def grand_total(self) -> Decimal:
        """The province row's 合计 (a value sheet's 合计 column); 0.00 when nothing was valued."""
        total = self.values[0][self.total_index]
        return Decimal("0.00") if total is None else total

    def province_sum(self, measure: str) -> Decimal | None:
        """Sum of the province row's printed ledger cells of one indicator or component."""
        present = [v for c, v in zip(self.columns, self.values[0]) if c.key and c.key[0] == measure and v is not None]
        return sum(present, Decimal("0.00")) if present else None


@dataclass(frozen=True)
class Item:
    code: str
    subject: str
    name: str
    subject_name: str


def _items(rows: list[LedgerRow], category: str, text: Text) -> dict[tuple[str, str], Item]:
    items: dict[tuple[str, str], Item] = {}
    for r in rows:
        name = (r.item_name_en if text.en else r.item_name) or r.item_code
        items[(r.item_code, r.subject)] = Item(r.item_code, r.subject, name, text.subject(r.subject, r.subject_name))
    return items


def _item_key(category: str, item: Item) -> tuple:
    order = ITEM_ORDER.get(category, ())
    subject = SUBJECT_ORDER.index(item.subject) if item.subject in SUBJECT_ORDER else len(SUBJECT_ORDER)
    if category == "minerals":
        mineral, _, klass = item.code.partition("|")
        rank = RESOURCE_CLASS_ORDER.index(klass) if klass in RESOURCE_CLASS_ORDER else len(RESOURCE_CLASS_ORDER)
        return (mineral, subject, rank, klass)
    return (order.index(item.code) if item.code in order else len(order), item.code, subject)


def _item_label(category: str, item: Item, text: Text, several_subjects: bool) -> str:
    name = text("overlap", name=item.name) if (category, item.code) == ("water", "overlap") else item.name
    return f"{name}\n{item.subject_name}" if several_subjects else name


def _mineral_names(item: Item) -> tuple[str, str]:
    """'煤炭 证实储量' / 'Coal, Proved mineral reserve' → mineral and resource class (ledger ITEM_NAMES)."""
    sep = ", " if ", " in item.name else " "
    mineral, found, klass = item.name.rpartition(sep) if sep == " " else item.name.partition(sep)
    if not found:
        code_mineral, _, code_class = item.code.partition("|")
        return code_mineral, code_class
    return mineral, klass


def _subject_note(items: dict[tuple[str, str], Item], text: Text) -> list[str]:
    names = {i.subject_name for i in items.values()}
    return [text("subject", s=next(iter(names)))] if len(names) == 1 else []


def _physical_columns(category: str, rows: list[LedgerRow], text: Text) -> list[Column]:
    """Per indicator (and unit) its items, then their 合计 and its "of which" columns; minerals per mineral ×
    class, never added."""
    items = _items(rows, category, text)
    several = len({s for _, s in items}) > 1
    units = {(r.measure, r.item_code): (r.unit or "", r.unit_en or "") for r in rows}
    present = {(r.measure, r.item_code, r.subject) for r in rows}
    ordered = sorted(items.values(), key=lambda i: _item_key(category, i))
    if category == "minerals":
        return [_mineral_column(item, units[("quantity", item.code)], text, several)
                for item in ordered if ("quantity", item.code, item.subject) in present]
    columns: list[Column] = []
    for indicator in INDICATORS:
        for unit in sorted({units[(m, c)] for m, c in units if m == indicator}):
            cells = [i for i in ordered
                     if (indicator, i.code, i.subject) in present and units[(indicator, i.code)] == unit]
            if not cells:
                continue
            group = text.paren(INDICATORS[indicator][1 if text.en else 0], text.unit(*unit))
            first = len(columns)
            columns += [Column(group, _item_label(category, i, text, several), key=(indicator, i.code, i.subject))
                        for i in cells]
            items = tuple(range(first, len(columns)))
            if len(cells) > 1:
                columns.append(Column(group, text("total"), parts=items, total=True))
            columns += [Column(group, text("memo_of", m=MEMO_NAMES[text.lang][m]), parts=items, memo=m)
                        for m in _memos_shown(category, rows)]
    return columns


def _mineral_column(item: Item, unit: tuple[str, str], text: Text, several_subjects: bool) -> Column:
    mineral, klass = _mineral_names(item)
    group = text.paren(mineral, text.unit(*unit))
    if several_subjects:
        group = f"{group}\n{item.subject_name}"
    return Column(group, klass, key=("quantity", item.code, item.subject))


def _value_columns(category: str, rows: list[LedgerRow], text: Text) -> list[Column]:
    """Items per component (小计 each when there are several components), then the 合计 in 万元."""
    items = _items(rows, category, text)
    several = len({s for _, s in items}) > 1
    present = {(r.measure, r.item_code, r.subject) for r in rows}
    ordered = sorted(items.values(), key=lambda i: _item_key(category, i))
    components = [c for c in COMPONENTS if any(m == c for m, _, _ in present)]
    components += sorted({m for m, _, _ in present} - set(COMPONENTS))
    columns: list[Column] = []
    leaves: list[int] = []
    for component in components:
        cells = [i for i in ordered if (component, i.code, i.subject) in present]
        first = len(columns)
        for item in cells:
            columns.append(_value_column(category, component, item, text, several, len(components) > 1))
        leaves += range(first, len(columns))
        if len(components) > 1 and len(cells) > 1:
            group = columns[first].group
            columns.append(Column(group, text("subtotal"), parts=tuple(range(first, len(columns))), total=True))
    columns.append(Column(text("total_wan"), None, parts=tuple(leaves), total=True))
    columns += [Column(text("memo_group_value"), text.memo(m), parts=tuple(leaves), memo=m)
                for m in _memos_shown(category, rows)]
    return columns


def _value_column(category: str, component: str, item: Item, text: Text, several_subjects: bool,
                  several_components: bool) -> Column:
    key = (component, item.code, item.subject)
    if several_components:
        group = text.paren(text.component(category, component), "10⁴ yuan" if text.en else "万元")
        return Column(group, _item_label(category, item, text, several_subjects), key=key)
    if category == "minerals":
        mineral, klass = _mineral_names(item)
        group = f"{mineral}\n{item.subject_name}" if several_subjects else mineral
        return Column(group, klass, key=key)
    return Column(text("value_group"), _item_label(category, item, text, several_subjects), key=key)


def _physical_table(category: str, rows: list[LedgerRow], regions: list[Region], cover: CoverInfo,
                    text: Text) -> Table:
    columns = _physical_columns(category, rows, text)
    notes = [text("unit_physical")] + _subject_note(_items(rows, category, text), text) + _memo_note(columns, text)
    notes.append(text("blank_note"))
    if category == "water":
        _check_overlap_negative(rows)
        notes.append(text("water_total"))
    if category == "minerals" and rows:
        notes.append(text("minerals_no_total"))
    return _table(category, "physical", rows, regions, columns, notes, cover, text)


def _value_table(category: str, rows: list[LedgerRow], regions: list[Region], cover: CoverInfo,
                 text: Text) -> Table:
    columns = _value_columns(category, rows, text)
    notes = [text("unit_wan")] + _subject_note(_items(rows, category, text), text) + _memo_note(columns, text)
    notes.append(text("blank_note"))
    if category == "water":
        _check_overlap_negative(rows)
        notes.append(text("water_total"))
    return _table(category, "value", rows, regions, columns, notes, cover, text)


def _memo_note(columns: list[Column], text: Text) -> list[str]:
    memos = [m for m in MEMOS if any(c.memo == m for c in columns)]
    return [text.memo_note(memos)] if memos else []


def _table(category: str, kind: str, rows: list[LedgerRow], regions: list[Region], columns: list[Column],
           notes: list[str], cover: CoverInfo, text: Text) -> Table:
    if not rows:
        notes = notes[:1] + [text("no_data")]
    cells = _cells(rows)
    _check_roll_up(category, kind, regions, columns, cells)
    sheet = sheet_title(text(f"{kind}_sheet", c=text.category(category)))
    title = text(f"{kind}_title", province=cover.province_name, year=cover.year, resource=text.resource(category))
    values = [_row_values(region, columns, cells) for region in regions]
    return Table(category, kind, sheet, title, notes, columns, regions, values)


def _row_values(region: Region, columns: list[Column], cells: dict) -> list[Decimal | None]:
    """The printed cells of one region; each total is the Decimal sum of the printed cells it adds up, and each
    "of which" figure the Decimal sum of the published memo figures of those cells."""
    row = [cells.get((region.code, *c.key)) if c.key else None for c in columns]
    for i, column in enumerate(columns):
        if column.memo:
            # blank where the cells it qualifies are all blank (no parcels); else a figure, 0.00 when measured zero
            present = [cells.get((region.code, *columns[j].key, column.memo), Decimal("0.00")) for j in column.parts
                       if (region.code, *columns[j].key) in cells]
            row[i] = sum(present, Decimal("0.00")) if present else None
        elif column.parts:
            present = [row[j] for j in column.parts if row[j] is not None]
            row[i] = sum(present, Decimal("0.00")) if present else None
    return row


def _check_roll_up(category: str, kind: str, regions: list[Region], columns: list[Column], cells: dict) -> None:
    """Each city cell must equal the sum of its counties' and the province the sum of its cities' (DOMAIN §5)."""
    codes = {r.code for r in regions}
    children: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        if region.parent in codes:
            children[region.parent].append(region.code)
    level = {r.code: LEVEL_RANK.get(r.level, 9) for r in regions}
    for parent, kids in sorted(children.items(), key=lambda pk: -level[pk[0]]):  # cities first: name the lowest
        for column in columns:
            if column.key is None:
                continue
            for key in [column.key] + [(*column.key, m) for m in MEMOS]:
                printed = cells.get((parent, *key), Decimal(0))
                below = sum((cells.get((k, *key), Decimal(0)) for k in kids), Decimal(0))
                if printed != below:
                    raise LedgerError(
                        f"{kind} ledger, {category} {key}: region {parent} holds {printed}, "
                        f"its {len(kids)} sub-regions sum to {below}; the table would not add up as printed"
                    )


def _check_overlap_negative(rows: list[LedgerRow]) -> None:
    """The overlap enters the ledgers negative (valuation_models/water.sql), so the total is a plain sum."""
    positive = [r for r in rows if r.item_code == "overlap" and r.amount > 0]
    if positive:
        first = positive[0]
        raise LedgerError(f"water overlap must be negative in the ledger; {first.region_code} holds {first.amount}")


# ---------------------------------------------------------------------------------------------- styling

NUMBER = "#,##0.00"
COUNT = "#,##0"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Fonts name their face: a font without one prints in the viewer's default face (a serif in LibreOffice).
FONT = "Calibri"
TITLE_FONT = Font(name=FONT, bold=True, size=14)
SECTION_FONT = Font(name=FONT, bold=True, size=12)
BOLD = Font(name=FONT, bold=True, size=11)
HEADER_FONT = Font(name=FONT, bold=True, size=10)
NOTE_FONT = Font(name=FONT, size=9, color="404040")
HASH_FONT = Font(name="Courier New", size=8)
PROVINCE_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP = Alignment(vertical="top", wrap_text=True)
MIDDLE = Alignment(vertical="center")
MIDDLE_WRAP = Alignment(vertical="center", wrap_text=True)
LINE_HEIGHT = 15.0  # points per line of 11-pt text
NOTE_LINE_HEIGHT = 12.0  # and of 9-pt notes
FIRST_DATA_ROW = 5  # title, notes, two header rows
# Printable width (mm) of an A4 and an A3 landscape page with 0.4" margins, less a little for rounding.
A4_MM, A3_MM = 270.0, 390.0
MIN_SCALE = 0.75  # below this on A4 a printed figure is too small to read (11 pt → 8 pt): print on A3
PAPER_A4, PAPER_A3 = 9, 8


def _display_width(text: str) -> int:
    """Width in column units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped header needs in a column ``width`` units wide (words break at spaces, Chinese anywhere)."""
    usable = max(width - 1.5, 1)
    lines = 0
    for paragraph in text.split("\n"):
        line = 0
        for word in re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+|[\u3000-\u9fff\uff00-\uffef]", paragraph):
            w = _display_width(word)
            if line and line + 1 + w > usable:
                lines += 1
                line = 0
            line += w + (1 if line else 0)
        lines += max(1, math.ceil(line / usable))
    return lines


def _styled(ws, value, *, font=None, fill=None, number_format=None, alignment=None, border=BORDER):
    c = cell(ws, value, font=font, fill=fill, number_format=number_format, alignment=alignment)
    if border is not None:
        c.border = border
    return c


def _page_setup(ws, widths: list[float], cover: CoverInfo, text: Text, title_rows: str | None,
                pages: list[tuple[int, int]] | None = None) -> None:
    """Landscape, fit to width on A4 or A3, page numbers in the footer.

    Every sheet is fitted to its page's width, its header rows repeated as print titles; ``pages`` (column
    ranges printed at one scale over several pages across, the region column repeated) is kept for a caller
    that wants such breaks, and the ledger sheets pass none.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4 if _printed_mm(widths) * MIN_SCALE <= A4_MM else PAPER_A3
    if pages:
        widest = max(_printed_mm(widths[a:b + 1]) for a, b in pages) + _printed_mm(widths[:1])
        ws.page_setup.scale = min(100, int(100 * A3_MM / widest))
        for first, _ in pages[1:]:
            ws.col_breaks.append(Break(id=first, max=1048575))
        ws.print_title_cols = "A:A"
    else:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    _footer(ws, cover, text)


def _printed_mm(widths: list[float]) -> float:
    """Printed width at 100 %: a column of width w is w × 7 + 5 pixels of 1/96 inch (11-pt Calibri)."""
    return sum(w * 7 + 5 for w in widths) * 25.4 / 96


def _footer(ws, cover: CoverInfo, text: Text) -> None:
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = text("footer_page")
    ws.oddFooter.right.text = text("footer_run", run=cover.run_id).replace("&", "&&")
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 8
        part.font = FONT


# ---------------------------------------------------------------------------------------------- category sheets


def _column_widths(table: Table) -> list[float]:
    """Region column wide enough for the longest name; figure columns for their widest figure and header."""
    region = max([_display_width(r.label()) + 2 * LEVEL_RANK.get(r.level, 2) for r in table.regions]
                 + [_display_width(text) for text in ("行政区划", "Region")]) + 3
    widths = [float(max(region, 16))]
    # a narrow table can afford its headers on one line; a wide one wraps them to stay on the page
    header_cap = 22 if len(table.columns) <= 8 else 16
    for i, column in enumerate(table.columns):
        figures = max((len(f"{row[i]:,.2f}") for row in table.values if row[i] is not None), default=4) + 1
        label = column.label if column.label is not None else column.group
        longest_line = max(_display_width(line) for line in label.split("\n"))
        widths.append(float(max(figures + 3, min(longest_line + 2, header_cap), 11)))
    _fit_groups(table.columns, widths, header_cap)
    return widths


def _fit_groups(columns: list[Column], widths: list[float], header_cap: int) -> None:
    """Widen a group's columns so its upper header reads on one line where that costs little width."""
    for start, end in _group_spans(columns):
        group = columns[start].group
        if columns[start].label is None:
            continue
        need = min(max(_display_width(line) for line in group.split("\n")) + 2, header_cap * (end - start + 1))
        have = sum(widths[start + 1:end + 2])
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
        span_width = sum(widths[start + 1:end + 2])
        if column.label is None:
            upper = max(upper, math.ceil(_wrapped_lines(column.group, span_width) / 2))
        else:
            upper = max(upper, _wrapped_lines(column.group, span_width))
    for i, column in enumerate(table.columns):
        if column.label is not None:
            lower = max(lower, _wrapped_lines(column.label, widths[i + 1]))
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


def _write_table(wb: Workbook, table: Table, cover: CoverInfo, text: Text) -> dict[tuple[str, str], Decimal]:
    ws = wb.create_sheet(table.sheet)
    widths = _column_widths(table)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    ws.row_dimensions[3].height, ws.row_dimensions[4].height = _header_heights(table, widths)
    ws.freeze_panes = f"B{FIRST_DATA_ROW}"
    pages: list[tuple[int, int]] = []  # every sheet prints fitted to its page's width (A3 when wide)
    _page_setup(ws, widths, cover, text, title_rows="3:4", pages=pages)
    _write_title(ws, table, pages, widths, text)
    _write_header(ws, table, text)
    for region, row in zip(table.regions, table.values):
        ws.append(_region_row(ws, table, region, row))
    if table.kind == "value":
        _name_total(wb, table)
    return {(table.sheet, c.header): v for c, v in zip(table.columns, table.values[0]) if v is not None}


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
        lines = max(lines, _wrapped_lines(note, sum(widths[first:last + 1]) * 11 / 9))  # 9-pt notes
    ws.row_dimensions[2].height = lines * NOTE_LINE_HEIGHT + 3
    ws.append(titles)
    ws.append(notes)


def _write_header(ws, table: Table, text: Text) -> None:
    """Two header rows: groups (merged across their items) over items; a total spans both rows."""
    upper = [_styled(ws, text("region"), font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)]
    lower = [_styled(ws, None, fill=HEADER_FILL)]
    ws.merged_cells.add("A3:A4")
    for start, end in _group_spans(table.columns):
        first = table.columns[start]
        upper.append(_styled(ws, first.group, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN))
        upper += [_styled(ws, None, fill=HEADER_FILL) for _ in range(start, end)]
        letter_a, letter_b = get_column_letter(start + 2), get_column_letter(end + 2)
        if first.label is None:
            ws.merged_cells.add(f"{letter_a}3:{letter_a}4")
        elif end > start:
            ws.merged_cells.add(f"{letter_a}3:{letter_b}3")
    for column in table.columns:
        lower.append(_styled(ws, column.label, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN))
    ws.append(upper)
    ws.append(lower)


def _region_row(ws, table: Table, region: Region, row: list[Decimal | None]) -> list:
    """County names indented under their city; province and city rows (subtotals) in bold."""
    level = LEVEL_RANK.get(region.level, 2)
    font = BOLD if level < 2 else None
    fill = PROVINCE_FILL if level == 0 else None
    out = [_styled(ws, region.label(), font=font, fill=fill, alignment=Alignment(horizontal="left", indent=level))]
    for column, value in zip(table.columns, row):
        out.append(_styled(ws, None if value is None else float(value), number_format=NUMBER,
                           font=BOLD if (font or column.total) else None, fill=fill))
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


# ---------------------------------------------------------------------------------------------- summary


def _summary_rows(tables: list[Table], text: Text) -> list[tuple[str, list[Decimal | None], Decimal | None, str]]:
    """Per category: value by component and total (sums of the printed province cells), main quantity and unit."""
    by_key = {(t.category, t.kind): t for t in tables}
    rows = []
    for category in CATEGORIES:
        value, physical = by_key[(category, "value")], by_key[(category, "physical")]
        components = [value.province_sum(c) for c in COMPONENTS]
        present = [v for v in components if v is not None]
        total = sum(present, Decimal("0.00"))
        quantity, unit = _main_quantity(category, physical, text)
        rows.append((text.category(category), components, total, quantity, unit))
    return rows


def _main_quantity(category: str, physical: Table, text: Text) -> tuple[Decimal | str | None, str]:
    indicator = MAIN_INDICATOR.get(category)
    if indicator is None:  # minerals: no figure (units differ); the unit column says where to look
        return None, text("see_detail_unit")
    quantity = physical.province_sum(indicator)
    unit = next((c.group for c in physical.columns if c.key and c.key[0] == indicator), "")
    unit = re.search(r"[（(]([^）)]*)[）)]\s*$", unit)
    return quantity, unit.group(1) if unit else ""


def _write_summary(wb: Workbook, tables: list[Table], cover: CoverInfo, text: Text) -> dict[tuple[str, str], Decimal]:
    """One row per category (province level) and their 合计, which adds up the rows as printed; a chart."""
    ws = wb.create_sheet(sheet_title(text("summary")))
    rows = _summary_rows(tables, text)
    grand = [_sum_present(r[1][i] for r in rows) for i in range(len(COMPONENTS))]
    grand_total = sum((r[2] for r in rows), Decimal("0.00"))
    widths = _summary_widths(rows, grand + [grand_total], text)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "B5"
    _page_setup(ws, widths, cover, text, title_rows="3:4")
    ws.append([cell(ws, text("summary_title", province=cover.province_name, year=cover.year), font=TITLE_FONT)])
    ws.append([cell(ws, text("summary_note"), font=NOTE_FONT)])
    component_labels = [_COMPONENT_NAMES[text.lang][c] for c in COMPONENTS]
    _summary_header(ws, component_labels, text)
    for name, components, total, quantity, unit in rows:
        ws.append(_summary_line(ws, name, components, total, quantity, unit))
    ws.append(_summary_line(ws, text("total"), grand, grand_total, None, "", bold=True))
    _summary_chart(ws, len(rows), text)
    headers = [f"{text('value_group')} / {label}" for label in component_labels + [text("total")]]
    return {(ws.title, h): v for h, v in zip(headers, grand + [grand_total]) if v is not None}


def _summary_widths(rows, grand: list[Decimal | None], text: Text) -> list[float]:
    figures = [[*r[1], r[2]] for r in rows] + [grand]
    value_widths = [max([len(f"{line[i]:,.2f}") + 4 for line in figures if line[i] is not None] + [12])
                    for i in range(len(COMPONENTS) + 1)]
    quantities = [len(f"{r[3]:,.2f}") + 3 for r in rows if isinstance(r[3], Decimal)]
    name = max(_display_width(r[0]) for r in rows) + 4
    return [float(max(name, 14)), *map(float, value_widths), float(max(quantities + [14])), 20.0]


def _summary_header(ws, component_labels: list[str], text: Text) -> None:
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    blank = dict(fill=HEADER_FILL)
    ws.row_dimensions[3].height = ws.row_dimensions[4].height = LINE_HEIGHT + 6
    ws.append([_styled(ws, text("category"), **h), _styled(ws, text("value_group"), **h)]
              + [_styled(ws, None, **blank) for _ in COMPONENTS]
              + [_styled(ws, text("physical_main"), **h), _styled(ws, None, **blank)])
    ws.append([_styled(ws, None, **blank)] + [_styled(ws, label, **h) for label in component_labels]
              + [_styled(ws, text("total"), **h), _styled(ws, text("quantity"), **h), _styled(ws, text("unit"), **h)])
    n = len(COMPONENTS)
    ws.merged_cells.add("A3:A4")
    ws.merged_cells.add(f"B3:{get_column_letter(n + 2)}3")
    ws.merged_cells.add(f"{get_column_letter(n + 3)}3:{get_column_letter(n + 4)}3")


def _sum_present(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal("0.00")) if present else None


def _summary_line(ws, name, components, total, quantity, unit, bold=False) -> list:
    font = BOLD if bold else None
    fill = PROVINCE_FILL if bold else None
    out = [_styled(ws, name, font=font, fill=fill)]
    for value in [*components, total]:
        out.append(_styled(ws, None if value is None else float(value), number_format=NUMBER, font=font, fill=fill))
    if isinstance(quantity, str):
        out.append(_styled(ws, quantity, fill=fill, alignment=Alignment(horizontal="right")))
    else:
        out.append(_styled(ws, None if quantity is None else float(quantity), number_format=NUMBER, fill=fill))
    out.append(_styled(ws, unit or None, fill=fill, alignment=Alignment(horizontal="center", vertical="center",
                                                                       wrap_text=True)))
    return out


def _summary_chart(ws, n: int, text: Text) -> None:
    """Value by category, a column per category (the total column of the rows above)."""
    chart = BarChart()
    chart.type = "col"
    chart.title = text("chart_title")
    chart.legend = None
    total_col = len(COMPONENTS) + 2
    data = Reference(ws, min_col=total_col, min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + n - 1)
    labels = Reference(ws, min_col=1, min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + n - 1)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(labels)
    chart.y_axis.title = "10⁴ yuan" if text.en else "万元"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False,
                                     showPercent=False, numFmt=NUMBER)
    chart.width, chart.height = 24, 10
    ws.add_chart(chart, f"A{FIRST_DATA_ROW + n + 3}")


# ---------------------------------------------------------------------------------------------- cover

COVER_WIDTHS = [26, 38, 18, 12, 12, 12, 12, 12]


def _write_cover(wb: Workbook, cover: CoverInfo, text: Text, tables: list[Table] | None = None) -> None:
    """Title and the run, then the figures: the province's value and main quantity per category, the row
    reconciliation and the area identity; then the models and parameters. The files' hashes are on their own
    sheet (输入文件), so the cover's first page is the accounts, not a list of hashes."""
    ws = wb.create_sheet(sheet_title(text("cover")))
    for i, width in enumerate(COVER_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30
    ws.row_dimensions[7].height = 48
    _page_setup(ws, COVER_WIDTHS, cover, text, title_rows=None)
    title = text("cover_title", province=cover.province_name, year=cover.year)
    ws.append([cell(ws, title, font=Font(name=FONT, bold=True, size=16))])
    ws.append([])
    facts = ((text("year"), str(cover.year)), (text("province"), text.paren(cover.province_name, cover.province_code)),
             (text("run_time"), local_time(cover.run_time, cover.time_zone)), (text("run_id"), cover.run_id),
             (text("note"), text("rounding_note")))
    for label, value in facts:
        ws.append([cell(ws, label, font=BOLD, alignment=TOP), cell(ws, value, alignment=TOP)])
    ws.merged_cells.add(f"B7:{get_column_letter(len(COVER_WIDTHS))}7")
    row = 7
    if tables:
        row = _cover_figures(ws, row, tables, text)
    row = _reconciliation(ws, row, cover, text)
    if cover.area_identity:
        row = _area_identity(ws, row, cover.area_identity, text)
    row = _cover_section(ws, row, text("models"), [text("category"), text("model"), text("version")],
                         [(_category_name(c, text), m, v) for c, m, v in cover.models])
    row = _cover_section(ws, row, text("parameters"), [text("parameter"), text("value")],
                         [(k, str(v)) for k, v in cover.parameters.items()], span_last=True)


def _cover_figures(ws, row: int, tables: list[Table], text: Text) -> int:
    """Per category the province's value (万元) and main physical quantity, as the summary prints them."""
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, text("figures"), font=SECTION_FONT)])
    ws.append([_styled(ws, x, **h) for x in (text("category"), text("value_wan"), text("physical_main"), text("unit"))]
              + [_styled(ws, None, fill=HEADER_FILL)])
    ws.merged_cells.add(f"D{row + 3}:E{row + 3}")
    rows = _summary_rows(tables, text)
    for i, (name, _, total, quantity, unit) in enumerate(rows, start=row + 4):
        ws.append([_styled(ws, name), _styled(ws, float(total), number_format=NUMBER),
                   _styled(ws, None if quantity is None else float(quantity), number_format=NUMBER),
                   _styled(ws, unit or None), _styled(ws, None)])
        ws.merged_cells.add(f"D{i}:E{i}")
    grand = sum((r[2] for r in rows), Decimal("0.00"))
    ws.append([_styled(ws, text("total"), font=BOLD, fill=PROVINCE_FILL),
               _styled(ws, float(grand), number_format=NUMBER, font=BOLD, fill=PROVINCE_FILL),
               _styled(ws, None, fill=PROVINCE_FILL), _styled(ws, None, fill=PROVINCE_FILL),
               _styled(ws, None, fill=PROVINCE_FILL)])
    ws.merged_cells.add(f"D{row + 4 + len(rows)}:E{row + 4 + len(rows)}")
    return row + 3 + len(rows) + 1


def _write_inputs(wb: Workbook, cover: CoverInfo, text: Text) -> None:
    """The input files and reference tables with their SHA-256, on a sheet of their own."""
    ws = wb.create_sheet(sheet_title(text("inputs_sheet")))
    for i, width in enumerate(COVER_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    _page_setup(ws, COVER_WIDTHS, cover, text, title_rows=None)
    ws.append([cell(ws, text("inputs_title", province=cover.province_name, year=cover.year), font=TITLE_FONT)])
    ws.append([cell(ws, text("inputs_note"), font=NOTE_FONT)])
    row = 2
    row = _cover_section(ws, row, text("inputs"), [text("category"), text("file"), text("rows"), "SHA-256"],
                         [(_category_name(c, text), f, int(n), h) for c, f, h, n in cover.inputs], span_last=True)
    _cover_section(ws, row, text("reference_tables"), [text("table"), text("file"), text("price_year"), "SHA-256"],
                   [(t, f, str(y), h) for t, f, h, y in cover.reference_tables], span_last=True)
    ws.freeze_panes = "A2"


def local_time(iso: str, zone: str = "Asia/Shanghai") -> str:
    """A run's time in the province's local time with its offset: ``2026-12-06 21:30:00 +08:00``.

    The run records the machine's time (often UTC on a server); the accountant reads the province's clock.
    Text that is not a time is shown as it is."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is the machine's
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # a system without the time-zone database: China's offset
        tz = dt.timezone(dt.timedelta(hours=8))
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


IDENTITY_TERMS = ("identity_base", "ledger_land", "ledger_forest", "ledger_grassland", "ledger_wetland",
                  "identity_collective", "identity_rejected", "identity_rejected_consistency", "identity_withheld",
                  "identity_adjusted")


def area_identity(layout: YearLayout, policy: str = "base-map-wins") -> dict[str, Decimal]:
    """The terms of the area identity in m² (DOMAIN §2, §5): the land survey's area as read equals the area
    over the land, forest, grassland and wetland ledgers, plus collective land (excluded), plus the base parcels
    rejected (by validation and by the consistency policy), plus the base area withheld by rejected inventory
    rows, less the inventory-wins adjustments.

    The base map, collective and rejected areas are summed from the stage files themselves (ingested,
    validated and rejected land rows); the ledgers' from ``ledger_physical.parquet`` (unrounded 公顷 × 10,000);
    the withheld and adjusted areas are the consistency step's. Empty when the stages are not there."""
    ingested = part_files(layout.ingested("land"))
    if not ingested or not layout.ledger_physical.exists():
        return {}
    from assets_pipeline.consistency.base_map_checks import county_areas

    def total(files: list[Path], where: str = "true") -> Decimal:
        if not files:
            return Decimal("0.00")
        value = con.execute(f"SELECT sum(CAST(area_m2 AS DECIMAL(38, 2))) FROM read_parquet($f) WHERE {where}",
                            {"f": [str(f) for f in files]}).fetchone()[0]
        return Decimal("0.00") if value is None else Decimal(value).quantize(Decimal("0.01"))

    with connect() as con:
        terms = {"identity_base": total(ingested)}
        ledgers = dict(con.execute(
            "SELECT category, CAST(sum(quantity_unrounded) * 10000 AS DECIMAL(38, 2)) FROM read_parquet($p) "
            "WHERE region_level = 'province' AND indicator = 'area' GROUP BY ALL", {"p": str(layout.ledger_physical)}
        ).fetchall())
        for category in ("land", "forest", "grassland", "wetland"):
            terms[f"ledger_{category}"] = Decimal(ledgers.get(category) or 0).quantize(Decimal("0.01"))
        terms["identity_collective"] = total(part_files(layout.validated("land")), "exclusion_reason IS NOT NULL")
        terms["identity_rejected"] = total(part_files(layout.rejected_rows("land")))
        terms["identity_rejected_consistency"] = total(part_files(layout.consistency_rejected_rows("land")))
    try:
        by_county = county_areas(layout, policy)
    except duckdb.Error:  # no consistency step was run (a partial run): nothing withheld or adjusted
        by_county = []
    terms["identity_withheld"] = sum((Decimal(c.withheld_m2 or 0) for c in by_county), Decimal("0.00"))
    terms["identity_adjusted"] = sum((Decimal(c.adjusted_m2 or 0) for c in by_county), Decimal("0.00"))
    return terms


def identity_closes(terms: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
    """(sum of the right-hand terms, difference from the base map read); the identity closes when the
    difference rounds to 0.00 m² (the ledger areas are unrounded 公顷, so a cent of m² of float noise is allowed)."""
    right = sum((v for k, v in terms.items() if k not in ("identity_base", "identity_adjusted")), Decimal("0.00"))
    right -= terms.get("identity_adjusted", Decimal("0.00"))
    return right, terms.get("identity_base", Decimal("0.00")) - right


def _area_identity(ws, row: int, terms: dict[str, Decimal], text: Text) -> int:
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    right, difference = identity_closes(terms)
    closes = abs(difference) <= Decimal("0.01")
    ws.row_dimensions[row + 2].height = 34  # two lines of the section's title (set before the row: write-only)
    ws.append([])
    ws.append([cell(ws, text("area_identity"), font=SECTION_FONT, alignment=TOP)])
    ws.merged_cells.add(f"A{row + 2}:{get_column_letter(len(COVER_WIDTHS))}{row + 2}")
    # the terms' names span two columns (A:B), their figures and the check follow
    ws.append([_styled(ws, text("term"), **h), _styled(ws, None, fill=HEADER_FILL), _styled(ws, text("area_m2"), **h),
               _styled(ws, text("check"), **h)])
    ws.merged_cells.add(f"A{row + 3}:B{row + 3}")
    lines = []
    for key in IDENTITY_TERMS:
        if key.startswith("ledger_"):
            label = text("identity_ledger", c=text.category(key[len("ledger_"):]))
        else:
            label = text(key)
        lines.append((label, terms.get(key, Decimal("0.00")), False))
    lines += [(text("identity_sum"), right, True), (text("identity_difference"), difference, True)]
    for i, (label, value, bold) in enumerate(lines):
        check = None
        if i == len(lines) - 1:
            check = _styled(ws, text("closes") if closes else text("not_closes"), font=None if closes else BOLD,
                            fill=None if closes else BAD_FILL, alignment=Alignment(horizontal="center"))
        ws.append([_styled(ws, label, font=BOLD if bold else None, alignment=MIDDLE_WRAP), _styled(ws, None),
                   _styled(ws, float(value), number_format=NUMBER, font=BOLD if bold else None), check])
        ws.merged_cells.add(f"A{row + 4 + i}:B{row + 4 + i}")
    return row + 3 + len(lines)


def _category_name(category: str, text: Text) -> str:
    return text.category(category) if category in CATEGORY_NAMES_EN else category


def _cover_section(ws, row: int, title: str, headers: list[str], lines: list[tuple], span_last: bool = False) -> int:
    """A titled table on the cover, starting after ``row``; returns its last row.

    With ``span_last`` the last column spans to the sheet's last column (hashes, long values).
    """
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, title, font=SECTION_FONT)])
    ws.append(_spanned(ws, [_styled(ws, x, **h) for x in headers], span_last, HEADER_FILL))
    row += 3
    _merge_last(ws, row, len(headers), span_last)
    for line in lines:
        cells = []
        for i, value in enumerate(line):
            if isinstance(value, int) and not isinstance(value, bool):
                cells.append(_styled(ws, value, number_format=COUNT, alignment=MIDDLE))
            else:
                font = HASH_FONT if headers[i] == "SHA-256" else None
                cells.append(_styled(ws, value, font=font, alignment=MIDDLE_WRAP))
        ws.append(_spanned(ws, cells, span_last, None))
        row += 1
        _merge_last(ws, row, len(headers), span_last)
    return row


def _merge_last(ws, row: int, n: int, span_last: bool) -> None:
    last = len(COVER_WIDTHS)
    if span_last and n < last:
        ws.merged_cells.add(f"{get_column_letter(n)}{row}:{get_column_letter(last)}{row}")


def _spanned(ws, cells: list, span_last: bool, fill) -> list:
    """Pad a merged last cell with bordered blanks so the merge prints its frame."""
    if not span_last:
        return cells
    return cells + [_styled(ws, None, fill=fill) for _ in range(len(COVER_WIDTHS) - len(cells))]


def _reconciliation(ws, row: int, cover: CoverInfo, text: Text) -> int:
    """Rows per category: read = valid + excluded + rejected (DOMAIN §5, Nothing lost); unpriced shown."""
    headers = [text("category"), text("check"), text("rows_read"), text("rows_valid"), text("rows_excluded"),
               text("rows_rejected"), text("rows_unpriced")]
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, text("reconciliation"), font=SECTION_FONT)])
    ws.append([_styled(ws, x, **h) for x in headers])
    for category, read, valid, excluded, rejected, unpriced in cover.reconciliation:
        balanced = read == valid + excluded + rejected
        ws.append([_styled(ws, _category_name(category, text)),
                   _styled(ws, text("balanced") if balanced else text("unbalanced"),
                           font=None if balanced else BOLD, fill=None if balanced else BAD_FILL,
                           alignment=Alignment(horizontal="center"))]
                  + [_styled(ws, int(n), number_format=COUNT) for n in (read, valid, excluded, rejected, unpriced)])
    return row + 3 + len(cover.reconciliation)


# ---------------------------------------------------------------------------------------------- helpers


def _cents(raw) -> Decimal:
    """A figure read back from a cell, as the 2-decimal Decimal it was written from."""
    if raw is None or raw == "":
        return Decimal("0.00")
    return Decimal(str(raw)).quantize(Decimal("0.01"))


"""The report workbook's words in Chinese and English, and the physical indicators' names.

Regions keep their Chinese names in both languages; units are printed as the reader writes them (10⁴ m³).
"""

from __future__ import annotations

import re

from assets_pipeline.schema.categories import CATEGORY_NAMES_ZH
from assets_pipeline.schema.labels import (
    CATEGORY_NAMES_EN,
    MEMO_NAMES,
    RESOURCE_NAMES,
    SUBJECT_NAMES_EN,
    component_name,
)

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
    "memo_note": '"Of which" columns give the part of the total inside the {ms}, by the share of each parcel\'s '
    "area inside it; the zones may overlap and are not to be added; a zone with no figure other than "
    "zero in this category is left out.",
    "blank_note": "Blank: the region has no parcel or record of the item (no figure); 0.00: parcels or records that "
    'measure zero (the same in the "of which" columns).',
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
        return component_name(category, component, self.lang)

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
        joined = (
            (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])
            if self.en
            else "、".join(names)
        )
        return self("memo_note", ms=joined)


def _pretty_unit(unit: str) -> str:
    """'10^4 m3' → '10⁴ m³': the ledger's ASCII units as a reader writes them."""
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    unit = re.sub(r"\^(\d+)", lambda m: m.group(1).translate(superscript), unit)
    return re.sub(r"\bm([23])\b", lambda m: "m" + m.group(1).translate(superscript), unit)

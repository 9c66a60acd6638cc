"""The report workbook read back: its sheets, totals that add up as printed, English, hostile names, print.

The ledgers are built by hand for two cities and three counties with the roll-up of DOMAIN §5: a county
cell is its exact sum rounded half-up, a city the sum of its counties' published cells, the province the
sum of its cities'. The amounts are chosen so the published province cell differs from the exact sum
rounded (three counties of 0.335 print 0.34 each: the province prints 1.02, not round(1.005) = 1.01).
"""

from __future__ import annotations

import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.report import read_report_memo_totals, read_report_totals, write_report
from assets_pipeline.publish.report_cover import CoverInfo
from assets_pipeline.publish.report_ledger_rows import LedgerError

YEAR = 2023
HOSTILE = "=cmd|' /C calc'!A0"
PROVINCE = ("140000", "山西省")
CITIES = {"140100": "太原市", "140200": "大同市"}
COUNTIES = {"140105": ("小店区", "140100"), "140106": ("迎泽区", "140100"), "140212": ("新荣区", "140200")}
SUBJECTS = {"central": "中央直接行使", "provincial": "省级代理行使", "municipal": "市地级代理行使"}

D = Decimal
XD, YZ, XR = "140105", "140106", "140212"  # 小店区, 迎泽区 (太原市); 新荣区 (大同市)


def at(**exact: str) -> dict[str, Decimal]:
    """Exact (unrounded) amounts per county: at(XD="0.335") → {"140105": Decimal("0.335")}."""
    return {globals()[county]: Decimal(amount) for county, amount in exact.items()}


HA, MU, M3, STEMS, T = ("公顷", "ha"), ("亩", "mu"), ("立方米", "m3"), ("株", "stems"), ("吨", "t")
WAN_M3, WAN_T, YI_M3 = ("万立方米", "10^4 m3"), ("万吨", "10^4 t"), ("亿立方米", "10^8 m3")
CROPLAND, ARBOR, BAMBOO = ("耕地", "Cropland"), ("乔木林地", "Arbor forest land"), ("竹林地", "Bamboo forest land")
STEPPE, RIVER = ("温性草原类", "Temperate steppe"), ("河流湿地", "River wetland")
SURFACE, GROUND = ("地表水", "Surface water"), ("地下水", "Groundwater")
OVERLAP = ("重复计算量", "Overlap between surface water and groundwater")
COAL_PROVED = ("煤炭 证实储量", "Coal, Proved mineral reserve")
COAL_INFERRED = ("煤炭 推断资源量", "Coal, Inferred mineral resource")
CBM_MEASURED = ("煤层气 探明资源量", "Coalbed methane, Measured mineral resource")

# category, item, subject, indicator, (unit, unit_en), (name, name_en), exact per county
PHYSICAL = [
    ("land", "01", "municipal", "area", HA, CROPLAND, at(XD="0.335", YZ="0.335", XR="0.335")),
    ("land", "01", "municipal", "area_mu", MU, CROPLAND, at(XD="5.025", YZ="5.025", XR="5.025")),
    ("land", "07", "municipal", "area", HA, (HOSTILE, HOSTILE), at(XD="12.5", XR="0.004")),
    ("land", "07", "municipal", "area_mu", MU, (HOSTILE, HOSTILE), at(XD="187.5", XR="0.06")),
    ("forest", "0301", "provincial", "area", HA, ARBOR, at(XD="2", XR="7.125")),
    ("forest", "0301", "provincial", "area_mu", MU, ARBOR, at(XD="30", XR="106.875")),
    ("forest", "0301", "provincial", "stock", M3, ARBOR, at(XD="190.5", XR="400.005")),
    ("forest", "0302", "provincial", "area", HA, BAMBOO, at(YZ="1.115")),
    ("forest", "0302", "provincial", "area_mu", MU, BAMBOO, at(YZ="16.725")),
    ("forest", "0302", "provincial", "bamboo_stems", STEMS, BAMBOO, at(YZ="1200")),
    ("grassland", "02", "provincial", "area", HA, STEPPE, at(YZ="5")),
    ("grassland", "02", "provincial", "area_mu", MU, STEPPE, at(YZ="75")),
    ("grassland", "02", "provincial", "hay_yield", T, STEPPE, at(YZ="6")),
    ("wetland", "river", "provincial", "area", HA, RIVER, at(XD="0.255", XR="1.005")),
    ("wetland", "river", "provincial", "area_mu", MU, RIVER, at(XD="3.825", XR="15.075")),
    ("water", "surface", "provincial", "volume", WAN_M3, SURFACE, at(XD="120", XR="55.555")),
    ("water", "groundwater", "provincial", "volume", WAN_M3, GROUND, at(XD="80", XR="30.125")),
    ("water", "overlap", "provincial", "volume", WAN_M3, OVERLAP, at(XD="-30", XR="-10.005")),
    ("minerals", "coal|proved_reserve", "provincial", "quantity", WAN_T, COAL_PROVED, at(XD="100", XR="0.125")),
    ("minerals", "coal|inferred", "provincial", "quantity", WAN_T, COAL_INFERRED, at(XD="50")),
    ("minerals", "coalbed_methane|measured", "central", "quantity", YI_M3, CBM_MEASURED, at(XR="3.335")),
]
# category, item, subject, component, -, (name, name_en), exact per county (万元)
VALUE = [
    ("land", "01", "municipal", "land", None, CROPLAND, at(XD="0.335", YZ="0.335", XR="0.335")),
    ("land", "07", "municipal", "land", None, (HOSTILE, HOSTILE), at(XD="5.343820540651", XR="0.125")),
    ("forest", "0301", "provincial", "land", None, ARBOR, at(XD="7.344", XR="1.115")),
    ("forest", "0301", "provincial", "trees", None, ARBOR, at(XD="12.0666", XR="2.225")),
    ("forest", "0302", "provincial", "land", None, BAMBOO, at(YZ="0.445")),
    ("forest", "0302", "provincial", "trees", None, BAMBOO, at(YZ="0.555")),
    ("grassland", "02", "provincial", "land", None, STEPPE, at(YZ="5.7375")),
    ("wetland", "river", "provincial", "land", None, RIVER, at(XD="1.1475", XR="0.005")),
    ("water", "surface", "provincial", "water", None, SURFACE, at(XD="120", XR="61.115")),
    ("water", "groundwater", "provincial", "water", None, GROUND, at(XD="176", XR="45.335")),
    ("water", "overlap", "provincial", "water", None, OVERLAP, at(XD="-30", XR="-11.005")),
    ("minerals", "coal|proved_reserve", "provincial", "mineral", None, COAL_PROVED, at(XD="0.0386086746", XR="1.005")),
    ("minerals", "coal|inferred", "provincial", "mineral", None, COAL_INFERRED, at(XD="252")),
    ("minerals", "coalbed_methane|measured", "central", "mineral", None, CBM_MEASURED, at(XR="33.335")),
]

# "of which" figures (memos.py): category, item, indicator or component, memo → exact per county. Land's red
# line is chosen so the printed province figure (0.13 × 3 = 0.39) is not the exact sum rounded (0.375 → 0.38);
# the other memos are zero throughout and must not be printed.
MEMO = {
    ("land", "01", "area", "redline"): at(XD="0.125", YZ="0.125", XR="0.125"),
    ("land", "07", "area", "redline"): at(XD="1.004"),
    ("land", "01", "area_mu", "redline"): at(XD="1.875", YZ="1.875", XR="1.875"),
    ("land", "01", "land", "redline"): at(XD="0.105", YZ="0.105", XR="0.105"),
}
MEMOS = ("redline", "farmland", "protected")
MEMO_CATEGORIES = ("land", "forest", "grassland", "wetland")

ZH_SHEETS = [
    "封面",
    "汇总",
    "土地实物量",
    "土地价值量",
    "森林实物量",
    "森林价值量",
    "草原实物量",
    "草原价值量",
    "湿地实物量",
    "湿地价值量",
    "水实物量",
    "水价值量",
    "矿产实物量",
    "矿产价值量",
    "输入文件",
]
EN_SHEETS = [
    "Cover",
    "Summary",
    "Land physical",
    "Land value",
    "Forest physical",
    "Forest value",
    "Grassland physical",
    "Grassland value",
    "Wetland physical",
    "Wetland value",
    "Water physical",
    "Water value",
    "Minerals physical",
    "Minerals value",
    "Input files",
]
FIRST_DATA_ROW = 5


# ------------------------------------------------------------------------------------------ ledgers by hand


def _published(exact: Decimal) -> Decimal:
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _rolled_up(exact_by_county: dict[str, Decimal]) -> list[tuple[str, str, str, str | None, Decimal, Decimal]]:
    """(code, name, level, parent, published, exact) for the counties given, their cities and the province."""
    rows = []
    cities: dict[str, list[tuple[Decimal, Decimal]]] = {}
    for county, exact in exact_by_county.items():
        name, city = COUNTIES[county]
        rows.append((county, name, "county", city, _published(exact), exact))
        cities.setdefault(city, []).append((_published(exact), exact))
    for city, cells in cities.items():
        rows.append((city, CITIES[city], "city", PROVINCE[0], sum(p for p, _ in cells), sum(e for _, e in cells)))
    city_rows = [r for r in rows if r[2] == "city"]
    published, exact = sum(r[4] for r in city_rows), sum(r[5] for r in city_rows)
    rows.append((PROVINCE[0], PROVINCE[1], "province", None, published, exact))
    return rows


def _memo_cells(category: str, item: str, measure: str, amount: str, code: str) -> dict:
    """The memo columns of one ledger row as the ledgers hold them: MEMO's figures rolled up like the cell's own,
    0.00 where MEMO gives none, empty (None) in water and minerals."""
    out = {}
    for memo in MEMOS:
        column = f"quantity_{memo}" if amount == "quantity" else f"value_{memo}_wan_yuan"
        rolled = {r[0]: (r[4], r[5]) for r in _rolled_up(MEMO.get((category, item, measure, memo), {}))}
        published, exact = rolled.get(code, (D("0.00"), D("0")))
        memo_category = category in MEMO_CATEGORIES
        out[column] = D(published).quantize(D("0.01")) if memo_category else None
        out[f"{column}_unrounded"] = D(exact).quantize(D("1e-12")) if memo_category else None
    return out


def _ledger_rows(specs, physical: bool) -> list[dict]:
    rows = []
    amount = "quantity" if physical else "value_wan_yuan"
    for category, item, subject, measure, unit, (name, name_en), exact in specs:
        for code, region_name, level, parent, published, unrounded in _rolled_up(exact):
            row = {
                "year": YEAR,
                "region_code": code,
                "region_name": region_name,
                "region_level": level,
                "parent_code": parent,
                "category": category,
                "item_code": item,
                "subject": subject,
            }
            if physical:
                row |= {"indicator": measure, "unit": unit[0], "unit_en": unit[1]}
            else:
                row |= {"component": measure}
            row |= {"item_name": name, "item_name_en": name_en, "subject_name": SUBJECTS[subject]}
            row |= {amount: published, f"{amount}_unrounded": unrounded.quantize(Decimal("1e-12"))}
            row |= _memo_cells(category, item, measure, amount, code)
            rows.append(row)
    return rows


def _schema(physical: bool) -> pa.Schema:
    head = [
        ("year", pa.int32()),
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("region_level", pa.string()),
        ("parent_code", pa.string()),
        ("category", pa.string()),
        ("item_code", pa.string()),
        ("subject", pa.string()),
    ]
    if physical:
        middle = [("indicator", pa.string()), ("unit", pa.string()), ("unit_en", pa.string())]
        amount = "quantity"
    else:
        middle = [("component", pa.string())]
        amount = "value_wan_yuan"
    tail = [
        ("item_name", pa.string()),
        ("item_name_en", pa.string()),
        ("subject_name", pa.string()),
        (amount, pa.decimal128(38, 2)),
        (f"{amount}_unrounded", pa.decimal128(38, 12)),
    ]
    for memo in MEMOS:
        column = f"quantity_{memo}" if physical else f"value_{memo}_wan_yuan"
        tail += [(column, pa.decimal128(38, 2)), (f"{column}_unrounded", pa.decimal128(38, 12))]
    return pa.schema(head + middle + tail)


def write_ledgers(layout: YearLayout, physical=PHYSICAL, value=VALUE) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(_ledger_rows(physical, True), schema=_schema(True)), layout.ledger_physical)
    pq.write_table(pa.Table.from_pylist(_ledger_rows(value, False), schema=_schema(False)), layout.ledger_value)


def cover_info() -> CoverInfo:
    return CoverInfo(
        year=YEAR,
        province_code=PROVINCE[0],
        province_name=PROVINCE[1],
        run_time="2024-03-31 10:15:02+08:00",
        run_id="run-0001",
        inputs=[("land", "land/140105_小店区.csv", "ab" * 32, 9), ("water", "water.csv", "cd" * 32, 3)],
        reference_tables=[
            ("land_base_prices", "prices/land_base_prices.csv", "ef" * 32, "2023"),
            ("land_classes", "land_classes.csv", "01" * 32, ""),
        ],
        models=[("land", "land", "1.0.0"), ("minerals", "minerals_benchmark", "1.0.0")],
        parameters={"mineral_model": "benchmark", "discount_rate": "0.08"},
        reconciliation=[("land", 13, 5, 2, 6, 0), ("water", 3, 2, 0, 0, 0)],
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The same ledgers written as a Chinese and an English workbook."""
    out = {}
    for lang in ("zh", "en"):
        layout = YearLayout(tmp_path_factory.mktemp(lang), YEAR)
        write_ledgers(layout)
        totals = write_report(layout, cover_info(), lang=lang)
        out[lang] = (layout, totals)
    return out


# ------------------------------------------------------------------------------------------ reading back


def _grid(ws):
    """Header labels (upper / lower, merged cells filled in) and the region rows: (label, [Decimal | None])."""
    upper = [c.value for c in ws[3]]
    lower = [c.value for c in ws[4]]
    for rng in ws.merged_cells.ranges:
        if rng.min_row == 3 and rng.max_row == 3:
            for col in range(rng.min_col, rng.max_col + 1):
                upper[col - 1] = upper[rng.min_col - 1]
    headers = [(u, low) for u, low in zip(upper, lower, strict=False)][1:]
    rows = []
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        if row[0] is None:
            continue
        rows.append((row[0], [None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in row[1:]]))
    return headers, rows


def _is_memo(upper: str, lower: str | None) -> bool:
    """An "of which" column: 其中：… under its indicator, or under 其中（万元） on a value sheet."""
    return upper.startswith(("其中", "Of which")) or (lower or "").startswith(("其中", "of which"))


def _code(label: str) -> str:
    return label.split(" ", 1)[0]


def _sum(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal("0.00"))


def _category_sheets(wb):
    return [ws for ws in wb.worksheets[2:] if ws.title not in ("输入文件", "Input files")]


# ------------------------------------------------------------------------------------------ tests


def test_sheet_names_in_both_languages(reports):
    for lang, names in (("zh", ZH_SHEETS), ("en", EN_SHEETS)):
        wb = load_workbook(reports[lang][0].report())
        assert wb.sheetnames == names
        assert all(len(n) <= 31 for n in wb.sheetnames)


def test_report_written_atomically_at_the_layout_path(reports):
    layout, totals = reports["zh"]
    assert totals.path == layout.report() == layout.root / f"report_{YEAR}.xlsx"
    assert not list(layout.root.glob("*.part"))


def test_regions_run_province_then_each_city_and_its_counties(reports):
    wb = load_workbook(reports["zh"][0].report())
    _, rows = _grid(wb["土地价值量"])
    assert [_code(label) for label, _ in rows] == ["140000", "140100", "140105", "140106", "140200", "140212"]
    ws = wb["土地价值量"]
    assert ws.cell(FIRST_DATA_ROW + 2, 1).alignment.indent > ws.cell(FIRST_DATA_ROW + 1, 1).alignment.indent


def test_every_region_total_is_the_sum_of_the_rows_printed_beneath_it(reports):
    for lang in ("zh", "en"):
        wb = load_workbook(reports[lang][0].report())
        for ws in _category_sheets(wb):
            _, rows = _grid(ws)
            by_code = {_code(label): values for label, values in rows}
            for column in range(len(rows[0][1])):
                for city, counties in (("140100", ["140105", "140106"]), ("140200", ["140212"])):
                    if city in by_code:
                        below = [by_code[c][column] for c in counties if c in by_code]
                        assert (by_code[city][column] or Decimal("0.00")) == _sum(below), (ws.title, column, city)
                cities = [by_code[c][column] for c in ("140100", "140200") if c in by_code]
                assert (by_code["140000"][column] or Decimal("0.00")) == _sum(cities), (ws.title, column)


def test_every_total_column_is_the_sum_of_the_cells_printed_beside_it(reports):
    wb = load_workbook(reports["zh"][0].report())
    checked = 0
    for ws in _category_sheets(wb):
        headers, rows = _grid(ws)
        items = [j for j, (u, low) in enumerate(headers) if low not in (None, "小计", "合计") and not _is_memo(u, low)]
        for i, (upper, lower) in enumerate(headers):
            if lower is None and upper == "合计（万元）":  # the value sheets' grand total: every item cell
                parts = items
            elif lower in ("合计", "小计"):  # a group total: the items of its group
                parts = [j for j in items if headers[j][0] == upper]
            else:
                continue
            for label, values in rows:
                assert values[i] == _sum(values[j] for j in parts), (ws.title, upper, lower, label)
                checked += 1
    assert checked > 50


def test_published_province_total_is_the_sum_of_printed_cells_not_the_rounded_exact_sum(reports):
    wb = load_workbook(reports["zh"][0].report())
    headers, rows = _grid(wb["土地价值量"])
    cropland = headers.index(("价值量（万元）", "耕地"))
    assert rows[0][1][cropland] == Decimal("1.02")  # 0.34 + 0.34 + 0.34 as printed
    assert _published(D("0.335") * 3) == Decimal("1.01")  # what rounding the exact sum would have printed


def test_province_totals_read_back_equal_the_parquet_published_values(reports):
    for lang in ("zh", "en"):
        layout, totals = reports[lang]
        ledger = pq.read_table(layout.ledger_value).to_pylist()
        expected = {}
        for row in ledger:
            if row["region_level"] == "province":
                expected[row["category"]] = expected.get(row["category"], Decimal("0.00")) + row["value_wan_yuan"]
        assert read_report_totals(layout.report()) == expected
        assert totals.values == expected


def test_report_totals_name_each_sheet_and_column(reports):
    _, totals = reports["zh"]
    assert totals.totals[("土地价值量", "合计（万元）")] == totals.values["land"]
    assert totals.totals[("土地实物量", "面积（公顷） / 耕地")] == Decimal("1.02")
    assert totals.totals[("汇总", "价值量（万元） / 合计")] == sum(totals.values.values())
    assert totals.totals[("水实物量", "水资源量（万立方米） / 合计")] == Decimal("120.00") + Decimal("55.56") + Decimal(
        "80.00"
    ) + Decimal("30.13") - Decimal("30.00") - Decimal("10.01")


def test_summary_rows_add_up_to_the_printed_grand_total(reports):
    layout, totals = reports["zh"]
    ws = load_workbook(layout.report())["汇总"]
    rows = list(ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + 6, values_only=True))
    names = [r[0] for r in rows]
    assert names == ["土地", "森林", "草原", "湿地", "水", "矿产", "合计"]
    cents = lambda v: Decimal("0.00") if v is None else Decimal(str(v)).quantize(Decimal("0.01"))  # noqa: E731
    for column in range(1, 6):
        assert cents(rows[-1][column]) == sum(cents(r[column]) for r in rows[:-1])
    for row in rows[:-1]:
        assert cents(row[5]) == sum(cents(v) for v in row[1:5])
    categories = ["land", "forest", "grassland", "wetland", "water", "minerals"]
    category_totals = dict(zip(categories, (cents(r[5]) for r in rows), strict=False))
    assert category_totals == read_report_totals(layout.report())
    # minerals: no quantity (units differ) and no text in the number column; the unit column says why
    assert rows[5][6] is None and rows[5][7] == "单位不一，见明细表"
    assert all(isinstance(r[c], (int, float)) or r[c] is None for r in rows for c in range(1, 7))
    assert rows[0][7] == "公顷" and rows[4][7] == "万立方米"
    assert ws._charts, "the summary carries a bar chart of value by category"


def test_english_workbook_has_english_headers_and_the_same_numbers(reports):
    zh = load_workbook(reports["zh"][0].report())
    en = load_workbook(reports["en"][0].report())
    headers, _ = _grid(en["Land physical"])
    assert ("Area (ha)", "Cropland") in headers and ("Area (mu)", "Total") in headers
    assert _grid(en["Land value"])[0][-2:] == [
        ("Total (10⁴ yuan)", None),
        ("Of which (10⁴ yuan)", "Ecological red line"),
    ]
    assert ("Area (ha)", "of which:\necological red line") in headers
    overlap = ("Water volume (10⁴ m³)", "Overlap between surface water and groundwater (deducted)")
    assert overlap in _grid(en["Water physical"])[0]
    assert en["Land value"]["A5"].value == zh["土地价值量"]["A5"].value == "140000 山西省"  # region names stay Chinese
    for ws_zh, ws_en in zip(zh.worksheets[1:], en.worksheets[1:], strict=False):
        numbers_zh = [[c.value for c in row if isinstance(c.value, float)] for row in ws_zh.iter_rows()]
        numbers_en = [[c.value for c in row if isinstance(c.value, float)] for row in ws_en.iter_rows()]
        assert numbers_zh == numbers_en, ws_zh.title
    assert read_report_totals(reports["zh"][0].report()) == read_report_totals(reports["en"][0].report())


def test_units_in_headers_and_minerals_never_added(reports):
    wb = load_workbook(reports["zh"][0].report())
    forest = _grid(wb["森林实物量"])[0]
    assert {u for u, _ in forest} == {"面积（公顷）", "面积（亩）", "林木蓄积量（立方米）", "竹子株数（株）"}
    minerals, _ = _grid(wb["矿产实物量"])
    assert minerals == [
        ("煤炭（万吨）\n省级代理行使", "证实储量"),
        ("煤炭（万吨）\n省级代理行使", "推断资源量"),
        ("煤层气（亿立方米）\n中央直接行使", "探明资源量"),
    ]
    value = _grid(wb["矿产价值量"])[0]
    assert value[-1] == ("合计（万元）", None)


def test_water_total_is_surface_plus_groundwater_less_the_negative_overlap(reports):
    wb = load_workbook(reports["zh"][0].report())
    headers, rows = _grid(wb["水实物量"])
    assert [low for _, low in headers] == ["地表水", "地下水", "重复计算量（扣减）", "合计"]
    for _, (surface, ground, overlap, total) in rows:
        assert overlap < 0 and total == surface + ground + overlap


def test_hostile_names_stay_text(reports):
    for lang in ("zh", "en"):
        wb = load_workbook(reports[lang][0].report())
        hits = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == HOSTILE]
        assert len(hits) == 3  # land physical (ha and mu headers) and land value
        assert all(c.data_type == "s" for c in hits)
        assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_cover_states_the_run_and_flags_an_unbalanced_category(reports):
    wb = load_workbook(reports["zh"][0].report())
    ws = wb["封面"]
    text = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert ws["A1"].value == "山西省 全民所有自然资源资产清查 2023 年度账户"
    assert "run-0001" in text and "minerals_benchmark" in text
    assert "平衡" in text and "不平衡" in text  # land 13 = 5 + 2 + 6; water 3 ≠ 2 + 0 + 0
    # the figures come first, the hashes are on their own sheet
    assert (
        text.index("主要数字（省级）") < text.index("数据行核对（读入 = 有效 + 排除 + 退回）") < text.index("估价模型")
    )
    assert "ab" * 32 not in text
    inputs = [c.value for row in wb["输入文件"].iter_rows() for c in row if c.value is not None]
    assert "ab" * 32 in inputs and "ef" * 32 in inputs
    en = load_workbook(reports["en"][0].report())["Cover"]
    assert en["A1"].value == "山西省 state-owned natural resource asset accounts 2023"


def test_print_setup_a_finance_officer_expects(reports):
    wb = load_workbook(reports["zh"][0].report())
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) in (int(ws.PAPERSIZE_A4), int(ws.PAPERSIZE_A3))
        assert "&P" in ws.oddFooter.center.text
    for ws in _category_sheets(wb):
        assert ws.freeze_panes == "B5"
        assert ws.print_title_rows == "$3:$4"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        for row in ws.iter_rows(min_row=FIRST_DATA_ROW, min_col=2):
            assert all(c.number_format == "#,##0.00" for c in row if c.value is not None)
        assert ws["A3"].font.b and ws["A3"].fill.fgColor.rgb.endswith("DDEBF7")


def test_a_ledger_that_does_not_add_up_is_refused(tmp_path):
    layout = YearLayout(tmp_path, YEAR)
    write_ledgers(layout)
    table = pq.read_table(layout.ledger_value).to_pylist()
    for row in table:
        if row["region_code"] == "140100" and row["item_code"] == "01":
            row["value_wan_yuan"] += Decimal("0.01")
    pq.write_table(pa.Table.from_pylist(table, schema=_schema(False)), layout.ledger_value)
    with pytest.raises(LedgerError, match="140100"):
        write_report(layout, cover_info())
    assert not layout.report().exists() and not list(layout.root.glob("*.part"))


def test_an_empty_category_still_gets_its_sheets_with_the_province_row(tmp_path):
    layout = YearLayout(tmp_path, YEAR)
    write_ledgers(layout, [r for r in PHYSICAL if r[0] != "wetland"], [r for r in VALUE if r[0] != "wetland"])
    totals = write_report(layout, cover_info())
    wb = load_workbook(layout.report())
    assert wb["湿地价值量"]["A5"].value == "140000 山西省"
    assert "本年度无数据" in wb["湿地价值量"]["A2"].value
    assert read_report_totals(layout.report())["wetland"] == totals.values["wetland"] == Decimal("0.00")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_the_workbook_to_pdf(reports, tmp_path):
    report = reports["zh"][0].report()
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(report)],
        check=True,
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    pdf = tmp_path / f"{report.stem}.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_sheet_too_wide_for_one_page_prints_fitted_to_the_width_of_an_a3_page(tmp_path):
    """Ten minerals × five classes: one A3 page wide, the header rows repeated on every page down."""
    classes = [
        ("proved_reserve", "证实储量"),
        ("probable_reserve", "可信储量"),
        ("measured", "探明资源量"),
        ("indicated", "控制资源量"),
        ("inferred", "推断资源量"),
    ]
    minerals = [(f"m{i:02d}", f"矿种{i:02d}") for i in range(10)]
    physical = [
        (
            "minerals",
            f"{m}|{k}",
            "provincial",
            "quantity",
            WAN_T,
            (f"{name} {kname}", f"M{m}, {k}"),
            at(XD="123456.785", XR="7.005"),
        )
        for m, name in minerals
        for k, kname in classes
    ]
    value = [(c, i, s, "mineral", None, names, exact) for c, i, s, _, _, names, exact in physical]
    layout = YearLayout(tmp_path, YEAR)
    write_ledgers(layout, physical, value)
    write_report(layout, cover_info())
    ws = load_workbook(layout.report())["矿产实物量"]
    assert not ws.col_breaks.brk
    assert int(ws.page_setup.paperSize) == 8
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$3:$4"
    assert ws["A1"].value == "山西省2023年全民所有矿产资源实物量表"


def test_of_which_columns_print_the_published_memo_figures_of_their_total(reports):
    """Red line of land area: cropland 0.13 in each county, residential 1.00 in 小店区 (DOMAIN §5 rounding, memos.py)."""
    wb = load_workbook(reports["zh"][0].report())
    headers, rows = _grid(wb["土地实物量"])
    by_code = {_code(label): values for label, values in rows}
    redline_ha = headers.index(("面积（公顷）", "其中：\n生态保护红线"))
    assert {c: v[redline_ha] for c, v in by_code.items()} == {
        "140000": D("1.39"),
        "140100": D("1.26"),
        "140105": D("1.13"),
        "140106": D("0.13"),
        "140200": D("0.13"),
        "140212": D("0.13"),
    }
    assert by_code["140000"][headers.index(("面积（亩）", "其中：\n生态保护红线"))] == D("5.64")  # 1.88 × 3
    assert redline_ha == headers.index(("面积（公顷）", "合计")) + 1  # beside the total it qualifies
    value_headers, value_rows = _grid(wb["土地价值量"])
    assert value_headers[-2:] == [("合计（万元）", None), ("其中（万元）", "生态保护红线")]
    assert value_rows[0][1][-1] == D("0.33")  # 0.11 × 3 as printed; the exact 0.315 rounds to 0.32
    note = wb["土地实物量"]["A2"]  # the note says what the column holds, wrapped over the table's width
    assert "生态保护红线" in note.value and "永久基本农田" not in note.value and note.alignment.wrap_text
    assert "A2:" + get_column_letter(len(headers) + 1) + "2" in {str(r) for r in wb["土地实物量"].merged_cells.ranges}
    # memos that are zero throughout, and categories without memos, print no "of which" column
    for ws in _category_sheets(wb):
        memo_columns = [(u, low) for u, low in _grid(ws)[0] if _is_memo(u, low)]
        if ws.title in ("土地实物量", "土地价值量"):
            assert memo_columns and all("生态保护红线" in (low or "") for _, low in memo_columns), ws.title
        else:
            assert memo_columns == [], ws.title


def test_of_which_totals_read_back_equal_the_parquet(reports):
    for lang in ("zh", "en"):
        layout, totals = reports[lang]
        ledger = pq.read_table(layout.ledger_value).to_pylist()
        expected = {}
        for row in ledger:
            for memo in MEMOS:
                if row["region_level"] == "province" and row[f"value_{memo}_wan_yuan"]:
                    key = (row["category"], memo)
                    expected[key] = expected.get(key, D("0.00")) + row[f"value_{memo}_wan_yuan"]
        assert read_report_memo_totals(layout.report()) == expected == {("land", "redline"): D("0.33")}
        assert read_report_totals(layout.report()) == totals.values  # the memo names are not category totals


def test_an_of_which_figure_that_does_not_add_up_is_refused(tmp_path):
    layout = YearLayout(tmp_path, YEAR)
    write_ledgers(layout)
    table = pq.read_table(layout.ledger_physical).to_pylist()
    for row in table:
        if row["region_code"] == "140200" and (row["item_code"], row["indicator"]) == ("01", "area"):
            row["quantity_redline"] += Decimal("0.01")  # 大同市 0.14 over its one county's 0.13
    pq.write_table(pa.Table.from_pylist(table, schema=_schema(True)), layout.ledger_physical)
    with pytest.raises(LedgerError, match="140200.*redline|redline.*140200"):
        write_report(layout, cover_info())
    assert not layout.report().exists()


def test_blank_means_no_parcels_and_an_of_which_figure_is_blank_exactly_where_its_total_is(reports):
    """One convention on every sheet, stated in its note: blank = no figure, 0.00 = a figure that is zero."""
    wb = load_workbook(reports["zh"][0].report())
    for ws in _category_sheets(wb):
        assert "空白表示该地区没有此项图斑或记录" in ws["A2"].value
    en = load_workbook(reports["en"][0].report())
    assert "Blank: the region has no parcel or record" in en["Land physical"]["A2"].value
    headers, rows = _grid(wb["土地实物量"])
    totals = [i for i, (u, lo) in enumerate(headers) if lo == "合计"]
    memos = [i for i, (u, lo) in enumerate(headers) if _is_memo(u, lo)]
    assert totals and memos
    for _, values in rows:
        for m in memos:
            total = max(t for t in totals if t < m)
            assert (values[m] is None) == (values[total] is None)


@pytest.mark.parametrize("lang, sheet", [("zh", "地图"), ("en", "Maps")])
def test_the_maps_drawn_for_the_year_get_a_sheet_before_the_input_files(tmp_path, lang, sheet):
    from PIL import Image

    from assets_pipeline.publish.maps import MAPS, map_path

    layout = YearLayout(tmp_path, YEAR)
    write_ledgers(layout)
    for name in MAPS:
        map_path(layout, name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (300, 240), "white").save(map_path(layout, name))
    write_report(layout, cover_info(), lang=lang)
    wb = load_workbook(layout.report())
    names = ZH_SHEETS if lang == "zh" else EN_SHEETS
    assert wb.sheetnames == names[:-1] + [sheet, names[-1]]
    assert len(wb[sheet]._images) == 2

"""The report's cover, balance sheets and data-quality sheet read back from a real two-year compilation.

The two-year province (two_year_province.py) is compiled through ingest, validation, the consistency step,
valuation, ledgers and balance accounts; the report is then written for the first year (no accounts of the year
before) and the second, in Chinese and in English, and read back with openpyxl.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook

from assets_pipeline.ledgers.balance import build_balance
from assets_pipeline.ledgers.ledger import build_ledgers, write_unpriced
from assets_pipeline.ledgers.transitions import build_land_transitions
from assets_pipeline.publish.area_identity import area_identity
from assets_pipeline.publish.quality import build_scorecard
from assets_pipeline.publish.rejects import combine_rejects
from assets_pipeline.publish.report import write_report
from assets_pipeline.publish.report_balance import read_balance_sheet
from assets_pipeline.publish.report_cover import CoverInfo, local_time
from stages import compile_stages
from two_year_province import write_two_year_province

D = Decimal
RUN_TIME = "2026-12-06T13:30:00+00:00"  # 21:30 in China


def _cover(year: int) -> CoverInfo:
    return CoverInfo(
        year=year,
        province_code="140000",
        province_name="山西省",
        run_time=RUN_TIME,
        run_id="run-7",
        reconciliation=[("land", 10, 8, 1, 1, 0)],
    )


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_sheets")
    write_two_year_province(root / "inputs")
    layouts = []
    for year in (2022, 2023):
        layout = compile_stages(root / "inputs", root / "out", year, consistency_policy="base-map-wins")
        build_ledgers(layout, layout.ledger_physical, layout.ledger_value)
        write_unpriced(layout, layout.unpriced)
        build_balance(layout, layout.balance_physical, layout.balance_value)
        build_land_transitions(layout, layout.land_transitions)
        combine_rejects(layout)
        build_scorecard(layout)
        write_report(layout, _cover(year))
        layouts.append(layout)
    return {"first": layouts[0], "second": layouts[1], "root": root}


@pytest.fixture(scope="module")
def mini(tmp_path_factory, mini_province_shared):
    """The mini province (mini_province.py): one year with planted rejects, for the data-quality sheet."""
    root = tmp_path_factory.mktemp("report_mini")
    layout = compile_stages(mini_province_shared, root / "out", 2023, consistency_policy="base-map-wins")
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value)
    write_unpriced(layout, layout.unpriced)
    combine_rejects(layout)
    build_scorecard(layout)
    return layout


def _values(ws):
    return [c.value for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_run_time_is_the_provinces_local_time_with_its_offset(years):
    assert local_time(RUN_TIME) == "2026-12-06 21:30:00 +08:00"
    assert local_time("2026-12-06T21:30:00+08:00") == "2026-12-06 21:30:00 +08:00"
    ws = load_workbook(years["second"].report())["封面"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "运行时间")
    assert row[1] == "2026-12-06 21:30:00 +08:00"


def test_the_cover_shows_the_area_identity_and_that_it_closes(years):
    layout = years["second"]
    terms = area_identity(layout)
    # the land survey as read, from the delivered rows the ingest wrote (m², to the cent)
    with duckdb.connect() as con:
        read = con.execute(
            "SELECT CAST(sum(CAST(area_m2 AS DECIMAL(38, 2))) AS DECIMAL(38, 2)) "
            f"FROM read_parquet('{layout.ingested('land')}/part-*.parquet')"
        ).fetchone()[0]
        ledger = con.execute(
            "SELECT CAST(sum(quantity_unrounded) * 10000 AS DECIMAL(38, 2)) FROM read_parquet($p) "
            "WHERE region_level = 'province' AND indicator = 'area' AND category = 'forest'",
            {"p": str(layout.ledger_physical)},
        ).fetchone()[0]
    assert terms["identity_base"] == read and terms["ledger_forest"] == ledger
    assert terms["identity_base"] == (
        terms["ledger_land"]
        + terms["ledger_forest"]
        + terms["ledger_grassland"]
        + terms["ledger_wetland"]
        + terms["identity_collective"]
        + terms["identity_rejected"]
        + terms["identity_rejected_consistency"]
        + terms["identity_withheld"]
        - terms["identity_adjusted"]
    )
    assert terms["identity_collective"] > 0  # the province delivers collective parcels
    ws = load_workbook(layout.report())["封面"]
    rows = list(ws.iter_rows(values_only=True))
    base = next(r for r in rows if r[0] == "底图读入面积（国土调查全部图斑）")
    assert D(str(base[2])).quantize(D("0.01")) == read
    difference = next(r for r in rows if r[0] == "差额（底图读入面积 − 右侧合计）")
    assert difference[2] == 0 and difference[3] == "闭合"
    # the figures and the reconciliation come before the models; the hashes are on 输入文件
    labels = [r[0] for r in rows]
    assert labels.index("主要数字（省级）") < labels.index("估价模型")
    assert "输入文件" in load_workbook(layout.report()).sheetnames


def test_balance_sheets_run_province_city_county_frozen_under_their_header(years):
    wb = load_workbook(years["second"].report())
    for name in ("平衡表-土地实物量", "平衡表-土地价值量", "平衡表-矿产实物量"):
        ws = wb[name]
        assert ws.freeze_panes == "C4" and ws.print_title_rows == "$3:$3"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        regions = [r[0] for r in ws.iter_rows(min_row=4, values_only=True)]
        codes = list(dict.fromkeys(c.split(" ")[0] for c in regions))
        assert codes[0] == "140000" and codes[1].endswith("00") and len(codes) > 2
        # each city is followed by its own counties (codes sharing its first four digits)
        for i, code in enumerate(codes[1:], 1):
            if not code.endswith("00"):
                city = max(c for c in codes[:i] if c.endswith("00") and c != "140000")
                assert code[:4] == city[:4]
        indent = {r[0].value: r[0].alignment.indent for r in ws.iter_rows(min_row=4)}
        assert indent[regions[0]] == 0 and {indent[r] for r in regions} == {0, 1, 2}
        # no text in a number column
        assert all(
            isinstance(v, (int, float)) or v is None
            for r in ws.iter_rows(min_row=4, min_col=3, values_only=True)
            for v in r
        )


def test_each_balance_sheet_lists_only_the_flows_its_category_can_have(years):
    wb = load_workbook(years["second"].report())
    land = [c.value for c in wb["平衡表-土地实物量"][3]]
    minerals = [c.value for c in wb["平衡表-矿产实物量"][3]]
    assert land[:2] == ["行政区划", "项目（计量单位）"]
    assert "其中：新发现" not in land and "其中：开采" not in land and "其中：新增" in land
    assert "其中：新发现" in minerals and "其中：开采" in minerals and "其中：新增" not in minerals
    value = [c.value for c in wb["平衡表-土地价值量"][3]]
    assert value == ["行政区划", "项目", "期初（万元）", "物量变化（万元）", "重估价（万元）", "期末（万元）"]


def test_the_province_rows_of_a_balance_sheet_add_up_and_equal_the_parquet(years):
    layout = years["second"]
    sheet = read_balance_sheet(layout.report(), "land")
    for column in sheet["physical"].values():
        assert column["opening"] + column["additions"] - column["reductions"] == column["closing"]
    total = sheet["value"]["合计"]
    with duckdb.connect() as con:
        parquet = con.execute(
            "SELECT sum(opening), sum(volume_change), sum(revaluation), sum(closing) "
            "FROM read_parquet($p) WHERE region_level = 'province' AND category = 'land'",
            {"p": str(layout.balance_value)},
        ).fetchone()
    assert (total["opening"], total["volume_change"], total["revaluation"], total["closing"]) == parquet


def test_a_first_year_says_why_opening_flows_and_transitions_are_empty(years):
    wb = load_workbook(years["first"].report())
    assert "首个编制年度" in wb["平衡表-土地实物量"]["A2"].value
    assert "首个编制年度" in wb["平衡表-土地价值量"]["A2"].value
    assert "无法编制土地利用转移矩阵" in wb["土地利用转移矩阵"]["A2"].value
    second = load_workbook(years["second"].report())
    assert "首个编制年度" not in second["平衡表-土地实物量"]["A2"].value


def test_the_data_quality_sheet_has_a_title_a_frozen_header_and_rules_by_name(mini):
    write_report(mini, _cover(2023))
    ws = load_workbook(mini.report())["数据质量"]
    assert ws["A1"].value == "2023年各县报送数据质量" and "未能确定所属县" in ws["A2"].value
    assert ws.freeze_panes == "C4" and ws.print_title_rows == "$3:$3"
    header = [c.value for c in ws[3]]
    assert header[:3] == ["行政区代码", "县级单位", "报送行数"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    listed = " ".join(str(v) for r in rows for v in r[8:] if v)
    assert listed and "_" not in listed  # code_list, missing_base … by name
    # 小店区: code_list twice (land line 5, forest row 5), range, required, type and unique once each
    # (mini_province.PLANTED); the three with most rows, ties by rule code
    xd = next(r for r in rows if r[0] == "140105")
    assert xd[8] == "代码不在代码表中（2）、数值超出允许范围（1）、必填项为空（1）"
    # a city's row comes before its counties, which follow in code order
    codes = [r[0] for r in rows if r[0]]
    assert codes[0].endswith("00")
    counties = [c for c in codes if not c.endswith("00")]
    assert counties == sorted(counties)


def test_english_workbook_names_the_balance_and_quality_sheets_in_english(years, mini):
    layout = years["second"]
    write_report(layout, _cover(2023), lang="en")
    write_report(mini, _cover(2023), lang="en")
    wb = load_workbook(layout.report())
    assert "Balance-Land physical" in wb.sheetnames and "Data quality" in wb.sheetnames
    ws = wb["Balance-Land physical"]
    assert ws["A1"].value.startswith("山西省 2023: balance account")
    assert [c.value for c in ws[3]][:3] == ["Region", "Item (unit)", "Opening stock"]
    quality = load_workbook(mini.report())["Data quality"]
    assert quality["A1"].value == "2023: quality of the counties' deliveries"
    listed = " ".join(str(v) for r in quality.iter_rows(min_row=4, values_only=True) for v in r[8:] if v)
    assert listed and not any("\u4e00" <= ch <= "\u9fff" for ch in listed)
    cover = wb["Cover"]
    assert any(
        r[0] == "Area identity (m²): base map read = land + forest + grassland + wetland ledgers + collective "
        "(excluded) + rejected + withheld by rejected inventory rows − adjusted"
        for r in cover.iter_rows(values_only=True)
    )

"""``nrledger explain``: a ledger cell traced to its valued rows, with figures worked by hand (DOMAIN §4, §5).

The hand-made province is compiled once through the real Dagster job (npv mineral model at r = 5 %, the DOMAIN
oracle's rate); each explained cell's rows, read back from the workbook explain writes, add up to the
unrounded cell of the Parquet ledger exactly, as Decimal.
"""

from decimal import Decimal as D

import duckdb
import pytest
from openpyxl import load_workbook

from assets_pipeline.cli import main
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.publish.explain import explain_cell
from assets_pipeline.publish.explain_cells import CellQuery
from stages import snapshot_reference
from unit.test_ledger import _valued_land

YEAR = 2023


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from mini_province import write_mini_province

    root = tmp_path_factory.mktemp("explain")
    write_mini_province(root / "inputs")
    code = main(
        [
            "run",
            "--year",
            str(YEAR),
            "--input-dir",
            str(root / "inputs"),
            "--output-dir",
            str(root / "out"),
            "--mineral-model",
            "npv",
            "--discount-rate",
            "0.05",
        ]
    )
    assert code == 0
    return root / "out"


def unrounded_cell(out, ledger: str, where: str):
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT sum({'quantity' if ledger == 'physical' else 'value_wan_yuan'}_unrounded) "
            f"FROM read_parquet($p) WHERE {where}",
            {"p": str(out / str(YEAR) / f"ledger_{ledger}.parquet")},
        ).fetchone()[0]


def workbook_rows(path) -> list[dict]:
    """Every contributing row of the workbook, read back, with its exact amount as Decimal."""
    wb = load_workbook(path, read_only=True)
    rows = [r for sheet in wb.sheetnames if sheet.startswith("rows") for r in wb[sheet].iter_rows(values_only=True)]
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if r[0] is not None]


@pytest.mark.slow
def test_land_county_cell_is_its_parcel(compiled):
    # line 2 of 140105's CSV: 3 亩 = 2000.00 m² of 0103 dry land, grade 7, province price 38,522 元/亩 × date 1.005:
    # 2000 × 0.0015 × 38522 × 1.005 = 116,143.83 元 = 11.614383 万元, published 11.61
    e = explain_cell(compiled, CellQuery(YEAR, "land", "140105", "01"))
    assert (
        e.unrounded
        == D("11.614383")
        == unrounded_cell(compiled, "value", "region_code = '140105' AND item_code = '01'")
    )
    assert e.published == D("11.61") and e.rows == 1 and e.rows_sum == e.unrounded and e.ok
    row = e.top[0]
    assert (row["_source_file"], row["_source_row"], row["parcel_id"], row["base_parcel_id"]) == (
        "land/140105_小店区.csv",
        2,
        "1401050000000001",
        "1401050000000001",  # a land parcel is its own base parcel
    )
    assert (row["price_table"], row["price_level"], row["unit_price"], row["factor_date"]) == (
        "ref_land_base_prices",
        "province",
        D("38522"),
        D("1.005"),
    )
    rows = workbook_rows(e.workbook)
    assert e.workbook.name == "land_140105_01_value.xlsx" and e.workbook.parent == compiled / str(YEAR) / "explain"
    assert [(r["source_file"], r["source_row"], D(r["amount_exact"])) for r in rows] == [
        ("land/140105_小店区.csv", 2, D("11.614383"))
    ]


@pytest.mark.slow
def test_forest_trees_of_a_city_are_its_counties_rows(compiled):
    # Excel row 2 of forest.xlsx: 150.5 m³ of state pine trees at 663 元/m³ = 99,781.5 元 = 9.97815 万元
    e = explain_cell(compiled, CellQuery(YEAR, "forest", "140100", "0301", component="trees"))
    assert e.region_level == "city"
    assert (
        e.unrounded
        == D("9.97815")
        == unrounded_cell(compiled, "value", "region_code = '140100' AND item_code = '0301' AND component = 'trees'")
    )
    assert e.rows_sum == e.unrounded and e.published == D("9.98") == e.county_published_sum and e.ok
    rows = workbook_rows(e.workbook)
    assert sum(D(r["amount_exact"]) for r in rows) == e.unrounded
    assert [(r["source_file"], r["source_row"], r["price_table"], r["priced_on"]) for r in rows] == [
        ("forest.xlsx", 2, "ref_timber_prices", "stock")
    ]
    assert rows[0]["base_parcel_id"] == "1401050000000008"  # the base parcel it stands on, as the balance matches it


@pytest.mark.slow
def test_forest_stock_of_the_province(compiled):
    e = explain_cell(compiled, CellQuery(YEAR, "forest", "140000", "0301", indicator="stock"))
    assert e.unit == "立方米" and e.unrounded == D("150.5") == e.rows_sum and e.published == D("150.50") and e.ok


@pytest.mark.slow
def test_minerals_npv_province_cell(compiled):
    # D001 coal: proved reserve 100, extraction 10, rent 5 at r = 5 % → 386.086746459300 元 (DOMAIN §4 oracle 386.0867);
    # inferred 50 万吨 × 126,000 元/万吨 × recovery 0.4 = 2,520,000 元 (not producing: benchmark)
    e = explain_cell(compiled, CellQuery(YEAR, "minerals", "140000", "coal", mineral_model="npv"))
    assert (
        e.unrounded
        == D("252.03860867464593")
        == unrounded_cell(compiled, "value", "item_code LIKE 'coal|%' AND region_level = 'province'")
    )
    # published: 252.00 + 0.04, the sums of the published county cells
    assert e.published == D("252.04") == e.county_published_sum and e.rows == 2 and e.ok
    rows = workbook_rows(e.workbook)
    assert {(r["resource_class"], r["method"], D(r["amount_exact"])) for r in rows} == {
        ("proved_reserve", "npv", D("0.03860867464593")),
        ("inferred", "benchmark", D("252")),
    }
    assert sum(D(r["amount_exact"]) for r in rows) == e.unrounded


def test_city_published_cell_is_the_sum_of_published_counties(tmp_path):
    layout = YearLayout(tmp_path, YEAR)
    snapshot_reference(layout)
    # three Taiyuan counties at 0.005 万元 each publish 0.01; Taiyuan publishes 0.03, not round(0.015) = 0.02
    _valued_land(
        layout,
        [
            ("140105", "50", "100.00"),
            ("140106", "30", "50.00"),
            ("140106", "20", "50.00"),
            ("140107", "50", "33.33"),
            ("140213", "40", "10.00"),
        ],
    )
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    e = explain_cell(tmp_path, CellQuery(YEAR, "land", "140100", "01"))
    assert (e.unrounded, e.rows_sum, e.published, e.county_published_sum, e.county_cells, e.rows) == (
        D("0.015"),
        D("0.015"),
        D("0.03"),
        D("0.03"),
        3,
        4,
    )
    assert e.ok
    assert sorted(r["source_row"] for r in workbook_rows(e.workbook)) == [2, 3, 4, 5]
    province = explain_cell(tmp_path, CellQuery(YEAR, "land", "140000", "01", indicator="area_mu"), workbook=False)
    # 243.33 m² × 0.0015 = 0.364995 亩; counties publish 0.15 + 0.15 + 0.05 + 0.02 = 0.37
    assert (province.unrounded, province.rows_sum, province.published) == (D("0.364995"), D("0.364995"), D("0.37"))


def test_a_tampered_cell_fails_its_checks(tmp_path):
    layout = YearLayout(tmp_path, YEAR)
    snapshot_reference(layout)
    _valued_land(layout, [("140105", "50", "100.00"), ("140106", "30", "50.00")])
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    with duckdb.connect() as con:  # a county cell published 0.02 where its rows make 0.005 (→ 0.01)
        con.execute(
            "COPY (SELECT * REPLACE (CASE WHEN region_code = '140105' THEN 0.02 ELSE value_wan_yuan END "
            f"::DECIMAL(38, 2) AS value_wan_yuan) FROM read_parquet('{layout.ledger_value}')) TO '{tmp_path / 'tampered.parquet'}'"
        )
    (tmp_path / "tampered.parquet").replace(layout.ledger_value)
    e = explain_cell(tmp_path, CellQuery(YEAR, "land", "140105", "01"), workbook=False)
    assert e.sum_ok and not e.published_ok and not e.ok


@pytest.mark.slow
def test_cli_prints_the_cell_and_names_what_it_cannot_find(compiled, capsys):
    out = str(compiled)
    assert (
        main(
            [
                "explain",
                "--year",
                str(YEAR),
                "--output-dir",
                out,
                "--category",
                "land",
                "--region",
                "140105",
                "--item",
                "01",
                "--physical",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "published  0.20 公顷" in printed and "unrounded  0.2000000000000000 公顷" in printed
    assert "land/140105_小店区.csv" in printed and "= the unrounded cell, ok" in printed
    cases = [
        (["--category", "land", "--region", "999999", "--item", "01"], "unknown region '999999'"),
        (["--category", "lnd", "--region", "140105", "--item", "01"], "unknown category 'lnd'"),
        (
            ["--category", "land", "--region", "140105", "--item", "99"],
            "no land cell for region 140105, item 99; the region's land cells: item 01",
        ),
        (
            ["--category", "minerals", "--region", "140105", "--item", "coal", "--mineral-model", "benchmark"],
            "valued with minerals_npv, not minerals_benchmark",
        ),
    ]
    for args, message in cases:
        assert main(["explain", "--year", str(YEAR), "--output-dir", out, *args]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert (
        main(
            [
                "explain",
                "--year",
                "2022",
                "--output-dir",
                out,
                "--category",
                "land",
                "--region",
                "140105",
                "--item",
                "01",
            ]
        )
        == 2
    )
    assert "no outputs of 2022" in capsys.readouterr().err


@pytest.mark.slow
def test_forest_0301_by_age_group_through_dagster(compiled):
    """The breakdown files of the run, and their blocking check as Dagster recorded it. Forest.xlsx row 2 (F0001,
    age group 4 成熟林) is the only 0301 row valued: row 3's base parcel is not on the base map (set aside), row 5
    is rejected. Its 20,000 m² = 2.00 公顷 = 30.00 亩 of state forest land, 150.5 m³ of state trees."""
    import dagster as dg

    out = compiled / str(YEAR)
    with duckdb.connect() as con:
        physical = con.execute(
            "SELECT region_code, indicator, member, member_name, quantity, quantity_unrounded FROM read_parquet($p) "
            "WHERE breakdown = 'age_group' ORDER BY ALL",
            {"p": str(out / "breakdown_physical.parquet")},
        ).fetchall()
        value = con.execute(
            "SELECT region_code, component, member, value_wan_yuan, value_wan_yuan_unrounded FROM read_parquet($p) "
            "WHERE breakdown = 'age_group' ORDER BY ALL",
            {"p": str(out / "breakdown_value.parquet")},
        ).fetchall()
    assert [r for r in physical if r[0] == "140105"] == [
        ("140105", "area", "4", "成熟林", D("2.00"), D("2")),
        ("140105", "area_mu", "4", "成熟林", D("30.00"), D("30")),
        ("140105", "stock", "4", "成熟林", D("150.50"), D("150.5")),
    ]
    # land part 2 公顷 at the forest-land price, trees 150.5 m³ × 663 元/m³ = 9.97815 万元 (as explained above)
    assert [r for r in value if r[0] == "140105"] == [
        ("140105", "land", "4", D("7.34"), D("7.344")),
        ("140105", "trees", "4", D("9.98"), D("9.97815")),
    ]
    assert {r[0] for r in physical} == {"140105", "140100", "140000"}
    key = dg.AssetCheckKey(dg.AssetKey(["ledger", "breakdowns"]), "breakdowns_add_up")
    record = dg.DagsterInstance.get().event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed and evaluation.metadata["ledger_cells_compared"].value > 0


@pytest.mark.slow
def test_item_by_its_printed_name_or_all_and_a_workbook_elsewhere(compiled, tmp_path):
    by_name = explain_cell(compiled, CellQuery(YEAR, "land", "140105", "耕地"), workbook=tmp_path / "cell.xlsx")
    assert by_name.unrounded == D("11.614383") and by_name.workbook == tmp_path / "cell.xlsx"
    assert [D(r["amount_exact"]) for r in workbook_rows(tmp_path / "cell.xlsx")] == [D("11.614383")]
    # 合计 of the province's land value sheet: 11.61 + 5.11 + 118.38 printed
    total = explain_cell(compiled, CellQuery(YEAR, "land", "140000", "all"), workbook=False)
    assert total.published == D("135.10") == total.county_published_sum and total.rows == 3 and total.ok
    assert (
        total.unrounded
        == total.rows_sum
        == unrounded_cell(compiled, "value", "category = 'land' AND region_level = 'province'")
    )


@pytest.mark.slow
def test_damaged_outputs_are_named_not_a_traceback(compiled, tmp_path, capsys):
    import shutil

    shutil.copytree(compiled / str(YEAR), tmp_path / str(YEAR), ignore=shutil.ignore_patterns("_stages", "explain"))
    shutil.copytree(compiled / str(YEAR) / "_stages" / "reference", tmp_path / str(YEAR) / "_stages" / "reference")
    valued = tmp_path / str(YEAR) / "valued" / "land.parquet"
    valued.write_bytes(valued.read_bytes()[:1000])
    assert (
        main(
            [
                "explain",
                "--year",
                str(YEAR),
                "--output-dir",
                str(tmp_path),
                "--category",
                "land",
                "--region",
                "140105",
                "--item",
                "01",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"the outputs of {YEAR} in {tmp_path / str(YEAR)} cannot be read" in err and "Traceback" not in err

"""The whole year through the real Dagster definitions on a small sample province.

Reads back every Parquet output and the .xlsx, and asserts the identities the product promises:
nothing lost (DOMAIN §5), every planted defect rejected where it was planted, detail = ledger,
published totals = sums of published cells, Excel totals = Parquet totals.
"""

import json
from decimal import Decimal

import dagster as dg
import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from assets_pipeline.cli import main
from assets_pipeline.publish.report import read_report_memo_totals, read_report_totals
from assets_pipeline.sample.generate import generate_sample
from assets_pipeline.schema.categories import CATEGORIES

YEAR = 2023

# every test here reads one run of a generated province through Dagster (minutes)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    generate_sample(root / "inputs", [YEAR], parcels=6000, seed=7, layers="none")
    code = main(["run", "--year", str(YEAR), "--input-dir", str(root / "inputs"), "--output-dir", str(root / "out")])
    assert code == 0
    return root


def q(sql: str, **params):
    with duckdb.connect() as con:
        return con.execute(sql, params).fetchall()


def test_every_row_is_valued_excluded_or_rejected(run):
    out = run / "out" / str(YEAR)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for category in CATEGORIES:
        rows = manifest["rows"][category]
        assert rows["read"] == rows["valid"] + rows["excluded"] + rows["rejected"]
        # every valid row is valued, unpriced or out of the category's scope (valued in another category);
        # a forest row appears once per component (land, trees), so rows are counted by id
        valued_rows = q(
            "SELECT count(DISTINCT _row_id) FROM read_parquet($p)", p=str(out / "valued" / f"{category}.parquet")
        )[0][0]
        assert valued_rows == rows["valid"]
        ingested = q(
            "SELECT count(*) FROM read_parquet($p)", p=str(out / "_stages" / "ingested" / category / "part-*.parquet")
        )[0][0]
        assert ingested == rows["read"]


def test_planted_defects_are_all_rejected_at_their_file_and_row(run):
    planted = pd.read_csv(run / "inputs" / "_sample" / f"planted_{YEAR}.csv")
    rejects = pd.read_parquet(run / "out" / str(YEAR) / "rejects.parquet")
    expected = set(
        planted[["category", "source_file", "source_row", "column", "rule"]].itertuples(index=False, name=None)
    )
    found = set(rejects[["category", "source_file", "source_row", "column", "rule"]].itertuples(index=False, name=None))
    assert expected == found and len(expected) > 50


def test_ledgers_add_up_and_match_the_detail(run):
    out = run / "out" / str(YEAR)
    value = str(out / "ledger_value.parquet")
    # province published = sum of city published = sum of county published, per category
    levels = q("""SELECT category, region_level, sum(value_wan_yuan) FROM read_parquet($p) GROUP BY ALL""", p=value)
    by = {(c, level): v for c, level, v in levels}
    for category in CATEGORIES:
        assert by[(category, "province")] == by[(category, "city")] == by[(category, "county")]
    # detail rows (exact) = county cells (exact), per category
    detail = dict(
        q(
            """SELECT category, sum(value_yuan) * 0.0001 FROM read_parquet($p, union_by_name = true)
                       WHERE status = 'valued' GROUP BY ALL""",
            p=[str(out / "valued" / f"{c}.parquet") for c in CATEGORIES],
        )
    )
    county = dict(
        q(
            """SELECT category, sum(value_wan_yuan_unrounded) FROM read_parquet($p)
                       WHERE region_level = 'county' GROUP BY ALL""",
            p=value,
        )
    )
    assert detail == county
    # each county cell is its exact value rounded half-up to the cent
    bad = q(
        """SELECT count(*) FROM read_parquet($p) WHERE region_level = 'county'
               AND value_wan_yuan <> round(value_wan_yuan_unrounded, 2)""",
        p=value,
    )[0][0]
    assert bad == 0
    # no different units added: one unit per physical indicator of a category and item
    assert (
        q(
            """SELECT count(*) FROM (SELECT category, item_code, indicator FROM read_parquet($p)
                GROUP BY ALL HAVING count(DISTINCT unit) > 1)""",
            p=str(out / "ledger_physical.parquet"),
        )[0][0]
        == 0
    )


def test_excel_totals_equal_parquet_totals(run):
    out = run / "out" / str(YEAR)
    printed = read_report_totals(out / f"report_{YEAR}.xlsx")
    parquet = dict(
        q(
            """SELECT category, sum(value_wan_yuan) FROM read_parquet($p)
                        WHERE region_level = 'province' GROUP BY ALL""",
            p=str(out / "ledger_value.parquet"),
        )
    )
    assert printed == {c: parquet[c] for c in CATEGORIES}
    assert sum(printed.values()) > Decimal("1000")
    # the "of which" figures printed beside each total (memos.py): those not zero throughout, to the cent
    memos = q(
        """SELECT category, sum(value_redline_wan_yuan), sum(value_farmland_wan_yuan),
                        sum(value_protected_wan_yuan) FROM read_parquet($p) WHERE region_level = 'province'
                 GROUP BY ALL""",
        p=str(out / "ledger_value.parquet"),
    )
    expected = {
        (c, m): v
        for c, *figures in memos
        for m, v in zip(("redline", "farmland", "protected"), figures, strict=False)
        if v
    }
    assert read_report_memo_totals(out / f"report_{YEAR}.xlsx") == expected
    assert ("forest", "redline") in expected  # the sample base map gives red-line areas
    wb = load_workbook(out / f"report_{YEAR}.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["封面", "汇总"] and "土地价值量" in wb.sheetnames


def test_dagster_recorded_materializations_and_passing_checks(run):
    instance = dg.DagsterInstance.get()
    key = dg.AssetKey(["ledger", "value"])
    event = instance.get_latest_materialization_event(key)
    assert event is not None and event.asset_materialization.partition == f"140000|{YEAR}"
    checks = [
        dg.AssetCheckKey(dg.AssetKey(["ledger", "value"]), "detail_sums_equal_ledger"),
        dg.AssetCheckKey(dg.AssetKey(["report"]), "excel_totals_equal_parquet"),
        dg.AssetCheckKey(dg.AssetKey(["land", "valued"]), "unpriced_share"),
        dg.AssetCheckKey(dg.AssetKey(["water", "valued"]), "no_negative_values"),
        dg.AssetCheckKey(dg.AssetKey(["minerals", "validated"]), "rows_reconcile"),
    ]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    for check in checks:
        assert latest[check].event.dagster_event.event_specific_data.passed, check


def test_manifest_names_inputs_models_and_packages(run):
    manifest = json.loads((run / "out" / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["models_used"]["minerals"]["model"] == "minerals_benchmark"
    assert all(len(f["sha256"]) == 64 for files in manifest["inputs"].values() for f in files)
    assert manifest["reference_tables"]["land_base_prices"]["price_year"] == 2023
    assert manifest["packages"]["dagster"] and len(manifest["content_sha256"]) == 64


def test_lineage_names_the_code_and_the_bytes_of_each_published_file(run):
    """ledger/value's code version is its code's (not the run's id), its data version the file's SHA-256 as the
    manifest lists it; the minerals materialization says which model ran."""
    from assets_pipeline.defs.definitions import COMPUTED_BY
    from assets_pipeline.defs.metadata import source_version

    instance = dg.DagsterInstance.get()
    manifest = json.loads((run / "out" / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    for key, name in (
        (["ledger", "value"], "ledger_value.parquet"),
        (["ledger", "physical"], "ledger_physical.parquet"),
        (["balance", "value"], "balance_value.parquet"),
    ):
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        tags = event.asset_materialization.tags
        assert tags["dagster/code_version"] == source_version(*COMPUTED_BY[key[0]]) != event.run_id
        assert tags["dagster/data_version"] == manifest["outputs"][name]["sha256"]
    minerals = instance.get_latest_materialization_event(dg.AssetKey(["minerals", "valued"])).asset_materialization
    assert minerals.tags["nrledger/model"] == f"minerals_benchmark-{manifest['models_used']['minerals']['version']}"
    report = instance.get_latest_materialization_event(dg.AssetKey(["report"]))
    assert (
        report.asset_materialization.tags["dagster/data_version"]
        == manifest["outputs"][f"report_{YEAR}.xlsx"]["sha256"]
    )
    schema = (
        instance.get_latest_materialization_event(dg.AssetKey(["ledger", "value"]))
        .asset_materialization.metadata["dagster/column_schema"]
        .value
    )
    described = {c.name: c.description for c in schema.columns}
    assert described["value_wan_yuan"] == "published value in 万元, rounded half-up to 2 decimals per county"
    assert all(described.values()), [n for n, d in described.items() if not d]

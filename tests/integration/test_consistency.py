"""One base map, no double counting (DOMAIN §2): every finding type on a hand-made province, under each policy.

County 140105 小店区 holds ten base parcels and the inventory rows that describe them; every figure below is
worked out by hand in the comments. State base area of 140105 = 82,000 m² (L04 is collective).
"""

from decimal import Decimal as D

import dagster as dg
import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from assets_pipeline.consistency.base_map_checks import county_areas, parcels_over_their_area
from assets_pipeline.consistency.policies import POLICIES
from assets_pipeline.consistency.resolve import run_consistency
from assets_pipeline.defs.consistency import area_balance_check, parcel_area_check
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.publish.inconsistencies import write_inconsistency_workbook
from assets_pipeline.publish.rejects import combine_rejects, write_rejects_workbook
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from assets_pipeline.valuation.models import value_category
from stages import snapshot_reference

YEAR = 2023
FOUR = ("land", "forest", "grassland", "wetland")

LAND = pd.DataFrame(
    [
        # parcel_id, class, area m², ownership
        ("L01", "0301", 10000.0, "10"),  # forest F01 describes it exactly
        ("L02", "0301", 10000.0, "10"),  # F02a 6,000 + F02b 5,000 = 11,000 → area_exceeds_base, excess 1,000
        ("L03", "0103", 4000.0, "10"),  # 旱地 under forest F03 (乔木林地) → class_mismatch, 4,000
        ("L04", "0305", 8000.0, "30"),  # collective; F04 says state land → ownership_mismatch, 8,000
        ("L05", "0401", 20000.0, "10"),  # grassland G05 says county 140106 → county_mismatch, 20,000
        ("L06", "0404", 30000.0, "10"),  # no grassland row → missing_inventory, 30,000
        ("L07", "1106", 5000.0, "10"),  # wetland W07 describes it exactly
        ("L08", "0101", 1000.0, "10"),  # plain cropland
        ("L10", "0301", 2000.0, "10"),  # F10 2,001: 0.05 % over, within the 0.1 % tolerance → no finding
    ],
    columns=["parcel_id", "land_class", "area_m2", "ownership"],
).assign(region_code="140105")
# protected-area memos: half of L01 inside the red line, all of L08 permanent basic farmland, half of L07 protected
LAND["redline_area_m2"] = LAND["parcel_id"].map({"L01": 5000.0})
LAND["basic_farmland_area_m2"] = LAND["parcel_id"].map({"L08": 1000.0})
LAND["protected_area_m2"] = LAND["parcel_id"].map({"L07": 2500.0})

FOREST_COMMON = {"forest_type": "1", "origin": "1", "species_code": "200", "age_group": "4", "stock_m3": 10.0}
FOREST = pd.DataFrame(
    [
        ("F01", "L01", "140105", "0301", 10000.0, "10", "1"),
        ("F02a", "L02", "140105", "0301", 6000.0, "10", "1"),
        ("F02b", "L02", "140105", "0301", 5000.0, "10", "1"),
        ("F03", "L03", "140105", "0301", 4000.0, "10", "1"),
        ("F04", "L04", "140105", "0305", 8000.0, "10", "1"),
        ("F10", "L10", "140105", "0301", 2001.0, "10", "1"),
    ],
    columns=["parcel_id", "base_parcel_id", "region_code", "land_class", "area_m2", "land_ownership", "tree_ownership"],
).assign(**FOREST_COMMON)
GRASSLAND = pd.DataFrame(
    [("G05", "L05", "140106", "0401", 20000.0, "10")],
    columns=["parcel_id", "base_parcel_id", "region_code", "land_class", "area_m2", "ownership"],
).assign(grassland_type="02", grade=5, hay_yield_kg_per_ha=1200.0, vegetation_cover_pct=60.0)
WETLAND = pd.DataFrame(
    [
        ("W07", "L07", "140105", "1106", 5000.0, "10"),
        ("W09", "L99", "140105", "1106", 700.0, "10"),  # base parcel L99 does not exist → missing_base, 700
    ],
    columns=["parcel_id", "base_parcel_id", "region_code", "land_class", "area_m2", "ownership"],
).assign(wetland_type="1106", basin="黄河流域", protection_status="")

FINDINGS = {  # (category, finding) -> (count, area m²), the same under every policy
    ("forest", "area_exceeds_base"): (1, D("1000.00")),
    ("forest", "class_mismatch"): (1, D("4000.00")),
    ("forest", "ownership_mismatch"): (1, D("8000.00")),
    ("grassland", "county_mismatch"): (1, D("20000.00")),
    ("grassland", "missing_inventory"): (1, D("30000.00")),
    ("wetland", "missing_base"): (1, D("700.00")),
}


def compile_province(root, policy: str) -> YearLayout:
    inputs = root / "inputs" / str(YEAR)
    inputs.mkdir(parents=True)
    for name, frame in (("land", LAND), ("forest", FOREST), ("grassland", GRASSLAND), ("wetland", WETLAND)):
        frame.to_parquet(inputs / f"{name}.parquet", index=False)
    layout = YearLayout(root / "out", YEAR)
    snapshot_reference(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in FOUR:
        ingest_category(category, root / "inputs", YEAR, layout.ingested(category), parallel=False)
        validate_category(category, layout, codes, parallel=False)
    run_consistency(layout, policy)
    for category in FOUR:
        value_category(category, layout, layout.valued(category))
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=FOUR)
    return layout


def q(sql: str, **params):
    with duckdb.connect() as con:
        return con.execute(sql, params).fetchall()


def ledger_area_m2(layout: YearLayout) -> dict[str, D]:
    rows = q(
        """SELECT category, sum(quantity_unrounded) * 10000 FROM read_parquet($p)
                WHERE region_level = 'county' AND indicator = 'area' AND region_code = '140105' GROUP BY ALL""",
        p=str(layout.ledger_physical),
    )
    return {c: D(v).quantize(D("0.01")) for c, v in rows}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, YearLayout]:
    return {policy: compile_province(tmp_path_factory.mktemp(policy), policy) for policy in POLICIES}


every_policy = pytest.mark.parametrize("policy", POLICIES)


@every_policy
def test_every_finding_type_is_found_with_its_area_under_every_policy(layouts, policy):
    layout = layouts[policy]
    found = pd.read_parquet(layout.inconsistencies)
    got = {(c, t): (len(g), sum(g["area_m2"], D(0))) for (c, t), g in found.groupby(["category", "finding_type"])}
    assert got == FINDINGS
    assert set(found["region_code"]) == {"140105"}  # the base map's county, even for G05 which says 140106
    f02 = found[found.finding_type == "area_exceeds_base"].iloc[0]
    assert (f02.base_parcel_id, f02.base_area_m2, f02.inventory_area_m2) == ("L02", D("10000.00"), D("11000.00"))
    f03 = found[found.finding_type == "class_mismatch"].iloc[0]
    assert (f03.parcel_id, f03.base_land_class, f03.inventory_land_class) == ("F03", "0103", "0301")
    g05 = found[found.finding_type == "county_mismatch"].iloc[0]
    assert (g05.base_region_code, g05.inventory_region_code) == ("140105", "140106")
    f04 = found[found.finding_type == "ownership_mismatch"].iloc[0]
    assert (f04.base_ownership, f04.inventory_ownership) == ("30", "10")


EXPECTED_LEDGER_AREA = {
    # base-map-wins: land = L03 4,000 (0103, the base map's class) + L08 1,000; forest = F01 10,000 + F02 conformed
    # to 10,000 + F10 conformed to 2,000 (F03 set aside, F04's land is the base map's collective land);
    # grassland = G05 20,000 (in 140105) + L06 30,000 from the base map; wetland = W07 5,000 (W09 set aside).
    "base-map-wins": {
        "land": D("5000.00"),
        "forest": D("22000.00"),
        "grassland": D("50000.00"),
        "wetland": D("5000.00"),
    },
    # inventory-wins: F02 11,000 and F10 2,001 stand; F03 stands and L03 leaves the land ledger; W09 adds its parcel.
    "inventory-wins": {
        "land": D("1000.00"),
        "forest": D("27001.00"),
        "grassland": D("50000.00"),
        "wetland": D("5700.00"),
    },
    # reject: L02 (+F02a/b), L04 (+F04), L05 (+G05), L06 rejected, F03 and W09 rejected; F10 conformed to 2,000.
    "reject": {"land": D("5000.00"), "forest": D("12000.00"), "wetland": D("5000.00")},
}
EXPECTED_TOTAL = {"base-map-wins": D("82000.00"), "inventory-wins": D("83701.00"), "reject": D("22000.00")}


@every_policy
def test_ledgers_hold_the_base_map_area_once_under_every_policy(layouts, policy):
    layout = layouts[policy]
    areas = ledger_area_m2(layout)
    assert {c: a for c, a in areas.items() if a} == EXPECTED_LEDGER_AREA[policy]
    assert sum(areas.values()) == EXPECTED_TOTAL[policy]
    (county,) = county_areas(layout, policy)
    # recomputed from the validated files: 90,000 surveyed, L04's 8,000 collective; reject: L02, L05, L06 rejected;
    # inventory-wins: F02 +1,000, F10 +1, L03 4,000 for 4,000 (its forest row stands), L99 added with 700
    assert (county.region_code, county.base_m2, county.collective_m2, county.state_m2) == (
        "140105",
        D("90000.00"),
        D("8000.00"),
        D("82000.00"),
    )
    assert (county.rejected_m2, county.withheld_m2, county.adjusted_m2) == {
        "base-map-wins": (D(0), D(0), D(0)),
        "inventory-wins": (D(0), D(0), D("1701.00")),
        "reject": (D("60000.00"), D(0), D(0)),
    }[policy]
    assert county.expected_m2 == county.ledger_m2 == EXPECTED_TOTAL[policy]
    assert area_balance_check(layout, _key(), policy).passed
    assert parcel_area_check(layout, _key(), policy).passed


def _key():
    return dg.AssetKey(["ledger", "physical"])


def test_base_map_wins_conforms_areas_and_sets_rows_aside(layouts):
    layout = layouts["base-map-wins"]
    forest = pd.read_parquet(layout.valued("forest"))
    land = forest[forest.component == "land"].set_index("_row_id")
    ids = dict(
        zip(
            pd.read_parquet(part_files(layout.validated("forest"))[0])["parcel_id"],
            pd.read_parquet(part_files(layout.validated("forest"))[0])["_row_id"],
            strict=False,
        )
    )
    # F02a: 6,000 × 10,000 / 11,000 = 5,454.545… → 5,454.55; F02b takes the rest: 4,545.45
    assert land.loc[ids["F02a"], "area_m2"] == D("5454.55") and land.loc[ids["F02b"], "area_m2"] == D("4545.45")
    assert land.loc[ids["F10"], "area_m2"] == D("2000.00")
    f03 = forest[forest._row_id == ids["F03"]]
    assert list(f03.status) == ["excluded"] and "class_mismatch" in f03.status_reason.iloc[0]
    # F04: collective land by the base map: trees only (state trees on collective land are valued, DOMAIN §2)
    assert set(forest[forest._row_id == ids["F04"]].component) == {"trees"}
    grass = pd.read_parquet(layout.valued("grassland"))
    from_base = grass[grass.consistency_findings == "missing_inventory"]
    assert list(from_base.status) == ["unpriced"] and from_base.area_m2.iloc[0] == D("30000.00")
    assert grass[grass.consistency_findings == "county_mismatch"].region_code.tolist() == ["140105"]


def test_reject_policy_lists_rows_and_base_parcels_in_the_rejects(layouts):
    layout = layouts["reject"]
    rejects = combine_rejects(layout).to_pandas()
    consistency = rejects[rejects.rule == "consistency"]
    got = sorted(zip(consistency.category, consistency.value, consistency.check, strict=False))
    assert got == sorted(
        [
            ("land", "L02", "area_exceeds_base"),
            ("land", "L04", "ownership_mismatch"),
            ("land", "L05", "county_mismatch"),
            ("land", "L06", "missing_inventory"),
            ("forest", "L02", "area_exceeds_base"),
            ("forest", "L02", "area_exceeds_base"),
            ("forest", "L03", "class_mismatch"),
            ("forest", "L04", "ownership_mismatch"),
            ("grassland", "L05", "county_mismatch"),
            ("wetland", "L99", "missing_base"),
        ]
    )
    assert consistency.source_file.notna().all() and consistency.source_row.notna().all()
    assert consistency.message_zh.str.startswith("与统一底图不一致").all()
    # the county-fix workbook lists them like any other reject: whole rows, canonical headers
    assert write_rejects_workbook(layout, FOUR) == {"land": 4, "forest": 4, "grassland": 1, "wetland": 1}
    wb = load_workbook(layout.rejects_workbook, read_only=True)
    land = list(wb["土地 land"].values)
    assert sorted(r[land[0].index("parcel_id")] for r in land[1:]) == ["L02", "L04", "L05", "L06"]
    wb.close()


def test_a_crafted_double_count_fails_the_check(tmp_path):
    layout = compile_province(tmp_path, "base-map-wins")
    # the land model counts L01 (乔木林地) although the forest inventory already does
    land = pd.read_parquet(layout.valued("land"))
    land.loc[land.item_code == "03", ["status", "status_reason"]] = ["valued", None]
    land.to_parquet(layout.valued("land"), index=False)
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=FOUR)
    result = area_balance_check(layout, _key(), "base-map-wins")
    assert not result.passed
    assert result.metadata["counties_differing"].value == 1
    # L01 10,000 + L02 10,000 + L10 2,000 are the forest-class parcels now counted twice
    assert D(result.metadata["largest_difference_m2"].value) == D("22000.00")
    over = parcels_over_their_area(layout, "base-map-wins")
    assert [(p.parcel_id, p.allowed_m2, p.counted_m2) for p in over] == [
        ("L01", D("10000.00"), D("20000.00")),
        ("L02", D("10000.00"), D("20000.00")),
        ("L10", D("2000.00"), D("4000.00")),
    ]
    assert not parcel_area_check(layout, _key(), "base-map-wins").passed


def test_workbook_counts_and_areas_by_county_and_type(layouts):
    from assets_pipeline.consistency.findings import FINDINGS as NAMES
    from assets_pipeline.schema.categories import CATEGORY_NAMES_ZH

    layout = layouts["base-map-wins"]
    write_inconsistency_workbook(layout)
    wb = load_workbook(layout.inconsistencies_workbook)
    rows = list(wb["按县汇总"].iter_rows())
    header, body = [c.value for c in rows[0]], rows[1:]
    assert header == [
        "市",
        "县（市、区）",
        "资源类别",
        "问题类型",
        "图斑数（个）",
        "涉及面积（亩）",
        "涉及面积（公顷）",
    ]
    county_rows = [r for r in body if r[1].value not in ("小计", "合计")]
    at = {(r[2].value, r[3].value): (r[4].value, D(str(r[5].value))) for r in county_rows}
    assert at == {
        (CATEGORY_NAMES_ZH[k[0]], NAMES[k[1]][0]): (n, (a * D("0.0015")).quantize(D("0.01")))
        for k, (n, a) in FINDINGS.items()
    }
    assert all(r[5].number_format == "#,##0.00" and r[6].number_format == "#,##0.00" for r in body)
    # each city's 小计 is the sum of its counties' printed rows; the 合计 the sum of the cities'
    subtotals = [r for r in body if r[1].value == "小计"]
    for sub in subtotals:
        mine = [r for r in county_rows if r[0].value == sub[0].value]
        assert sub[4].value == sum(r[4].value for r in mine) and sub[5].font.b
        assert D(str(sub[5].value)) == sum(D(str(r[5].value)) for r in mine)
    total = body[-1]
    assert total[1].value == "合计" and total[4].value == sum(r[4].value for r in subtotals)
    parcels = list(wb["图斑清单"].values)
    assert parcels[0][:3] == ("行政区代码", "资源类别", "问题类型") and len(parcels) == 1 + len(FINDINGS)
    wb.close()


# --- a generated province through the real Dagster definitions ------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from assets_pipeline.cli import main
    from assets_pipeline.sample.generate import generate_sample

    root = tmp_path_factory.mktemp("sample")
    generate_sample(root / "inputs", [YEAR], parcels=6000, seed=7, inconsistency_share=0.01, layers="none")
    code = main(["run", "--year", str(YEAR), "--input-dir", str(root / "inputs"), "--output-dir", str(root / "out")])
    assert code == 0
    return root


def planted(root) -> pd.DataFrame:
    return pd.read_csv(
        root / "inputs" / "_sample" / f"planted_inconsistencies_{YEAR}.csv",
        dtype={"region_code": str, "base_parcel_id": str, "parcel_id": str},
    )


@pytest.mark.slow
def test_the_report_finds_exactly_what_the_generator_planted(sample_run):
    expected = planted(sample_run)
    assert set(expected["finding_type"]) == {
        "missing_base",
        "class_mismatch",
        "area_exceeds_base",
        "ownership_mismatch",
        "county_mismatch",
        "missing_inventory",
    }
    found = pd.read_parquet(sample_run / "out" / str(YEAR) / "inconsistencies.parquet")
    key = ["category", "finding_type", "base_parcel_id", "parcel_id"]
    assert set(found[key].fillna("").itertuples(index=False, name=None)) == set(
        expected[key].fillna("").itertuples(index=False, name=None)
    )
    by = ["region_code", "category", "finding_type"]
    want = expected.groupby(by)["area_m2"].agg(["size", "sum"])
    got = found.assign(area=found["area_m2"].astype(float)).groupby(by)["area"].agg(["size", "sum"])
    assert got["size"].to_dict() == want["size"].to_dict()
    # planted areas are converted from 亩 in float by the generator, the pipeline converts in decimals
    assert ((got["sum"] - want["sum"]).abs() <= 0.01 * got["size"]).all()


@pytest.mark.slow
def test_the_workbook_counts_per_county_equal_the_planted(sample_run):
    expected = planted(sample_run)
    wb = load_workbook(sample_run / "out" / str(YEAR) / f"inconsistencies_{YEAR}.xlsx", read_only=True)
    rows = list(wb["按县汇总"].values)
    wb.close()
    from assets_pipeline.consistency.findings import FINDINGS as NAMES
    from assets_pipeline.schema.categories import CATEGORY_NAMES_ZH

    printed = {(r[1].split(" ")[0], r[2], r[3]): (r[4], D(str(r[5]))) for r in rows[1:] if r[1] not in ("小计", "合计")}
    expected = expected.assign(
        category=expected["category"].map(CATEGORY_NAMES_ZH),
        finding_type=expected["finding_type"].map(lambda f: NAMES[f][0]),
    )
    want = expected.groupby(["region_code", "category", "finding_type"])["area_m2"].agg(["size", "sum"])
    assert set(printed) == set(want.index)
    for k, (n, area_mu) in printed.items():
        assert n == want.loc[k, "size"]
        assert abs(area_mu - D(str(round(want.loc[k, "sum"] * 0.0015, 2)))) <= D("0.01")


@pytest.mark.slow
def test_the_run_records_the_policy_and_passes_the_area_balance(sample_run):
    import json

    out = sample_run / "out" / str(YEAR)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["consistency_policy"] == "base-map-wins"
    counts = manifest["consistency"]["findings"]
    assert sum(n for by in counts.values() for n in by.values()) == len(planted(sample_run))
    instance = dg.DagsterInstance.get()
    checks = [
        dg.AssetCheckKey(dg.AssetKey(["ledger", "physical"]), name)
        for name in ("no_double_counting", "area_within_base_parcel")
    ]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    assert all(latest[c].event.dagster_event.event_specific_data.passed for c in checks)
    # the scorecard: one line per county that delivered, in the report as the 数据质量 sheet
    card = pd.read_parquet(out / "scorecard.parquet")
    # worst first, the rows whose county could not be determined (000000) last
    counties_only = card[card["region_code"] != "000000"]
    assert card["region_code"].is_unique and counties_only["problem_share"].is_monotonic_decreasing
    assert "000000" not in card["region_code"].tolist()[:-1]
    inconsistent = (card["inconsistent_share"] * card["rows_delivered"]).round().sum()
    assert inconsistent == len(planted(sample_run))
    wb = load_workbook(out / f"report_{YEAR}.xlsx", read_only=True)
    rows = list(wb["数据质量"].values)[3:]  # under the title, the note and the header: cities and their counties
    wb.close()
    counties = [r for r in rows if not str(r[1]).endswith("市级小计")]
    assert len(counties) == len(card) and len(rows) > len(counties)


def test_scorecard_shares_per_county(layouts):
    from assets_pipeline.ledgers.ledger import write_unpriced
    from assets_pipeline.publish.quality import build_scorecard

    layout = layouts["reject"]
    write_unpriced(layout, layout.unpriced, categories=FOUR)
    rows = build_scorecard(layout)
    # 140106: G05 was delivered under 140106 and rejected (county_mismatch): 1 of 1 row
    assert rows[0][:4] == ("140106", "迎泽区", 1, 1.0)
    # 140105: 17 rows delivered (9 land, 6 forest, 2 wetland); 9 rejected by consistency (L02, L04, L05, L06, F02a,
    # F02b, F03, F04, W09), 6 findings, nothing unpriced or excluded
    assert rows[1] == (
        "140105",
        "小店区",
        17,
        round(9 / 17, 6),
        round(6 / 17, 6),
        0.0,
        0.0,
        round(15 / 17, 6),
        "consistency (9)",
        "area_exceeds_base (1), class_mismatch (1), county_mismatch (1)",
    )
    assert pd.read_parquet(layout.scorecard)["region_code"].tolist() == ["140106", "140105"]


def test_protected_area_memos_in_both_ledgers(layouts):
    layout = layouts["base-map-wins"]
    memo = dict(
        ((c, m), v)
        for c, m, v in [
            (c, m, v)
            for c, r, f, p in q(
                """SELECT category, sum(quantity_redline), sum(quantity_farmland), sum(quantity_protected)
                                        FROM read_parquet($p) WHERE region_level = 'county' AND indicator = 'area'
                                        GROUP BY ALL""",
                p=str(layout.ledger_physical),
            )
            for m, v in (("redline", r), ("farmland", f), ("protected", p))
        ]
    )
    # 公顷: F01 10,000 m² × 1/2 inside the red line; L08 1,000 m² basic farmland; W07 5,000 m² × 1/2 protected
    assert {k: v for k, v in memo.items() if v} == {
        ("forest", "redline"): D("0.50"),
        ("land", "farmland"): D("0.10"),
        ("wetland", "protected"): D("0.25"),
    }
    forest = pd.read_parquet(layout.valued("forest"))
    f01 = forest[(forest.redline_share == D("0.5")) & (forest.status == "valued")]
    assert set(f01.component) == {"land", "trees"}
    value = q(
        """SELECT sum(value_redline_wan_yuan_unrounded), sum(value_wan_yuan_unrounded) FROM read_parquet($p)
                 WHERE region_level = 'county' AND category = 'forest'""",
        p=str(layout.ledger_value),
    )[0]
    assert value[0] == sum(f01.value_yuan, D(0)) * D("0.5") * D("0.0001") and value[0] < value[1]
    # province "of which" = sum of the county's published cells, as every published figure (DOMAIN §5)
    levels = dict(
        q(
            """SELECT region_level, sum(value_redline_wan_yuan) FROM read_parquet($p)
                       WHERE category = 'forest' GROUP BY ALL""",
            p=str(layout.ledger_value),
        )
    )
    assert levels["province"] == levels["city"] == levels["county"]


@pytest.mark.slow
def test_the_blocking_check_stops_publication_in_dagster(mini_province, tmp_path, monkeypatch):
    """A resolution that counts the forest twice (its resolved rows written twice) fails the check, and the report
    is not written."""
    import shutil

    from assets_pipeline.cli import main
    from assets_pipeline.defs import consistency as consistency_assets

    clean = tmp_path / "clean"
    assert main(["run", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(clean)]) == 0
    real = consistency_assets.run_consistency

    def counting_twice(layout, *args, **kwargs):
        result = real(layout, *args, **kwargs)
        folder = layout.resolved("forest")
        shutil.copy(folder / "part-0.parquet", folder / "part-1.parquet")
        return result

    monkeypatch.setattr(consistency_assets, "run_consistency", counting_twice)
    out = tmp_path / "out"
    assert main(["run", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(out)]) == 1
    check = dg.AssetCheckKey(dg.AssetKey(["ledger", "physical"]), "no_double_counting")
    per_parcel = dg.AssetCheckKey(dg.AssetKey(["ledger", "physical"]), "area_within_base_parcel")
    latest = dg.DagsterInstance.get().event_log_storage.get_latest_asset_check_execution_by_key([check, per_parcel])
    data = latest[check].event.dagster_event.event_specific_data
    assert not data.passed
    # F0001 (20,000 m² of state forest land in 140105) counted twice
    assert D(data.metadata["largest_difference_m2"].value) == D("20000.00")
    data = latest[per_parcel].event.dagster_event.event_specific_data
    assert not data.passed
    # on its base parcel 1401050000000008, surveyed at 30 亩 = 20,000.00 m²: 40,000 m² counted
    assert (data.metadata["parcels_over"].value, data.metadata["largest_excess_m2"].value) == (1, "20000.00")
    assert (
        "| 1401050000000008 | 140105 | 20000.00 | 20000.00 | 40000.00 | 20000.00 |"
        in data.metadata["worst_parcels"].value
    )
    assert not (out / str(YEAR) / f"report_{YEAR}.xlsx").exists()

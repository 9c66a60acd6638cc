"""Rejected sibling rows take no part in another row's area, and the two base-map checks recompute the area from
the validated files (DOMAIN §2). Every figure is worked by hand below.

County 140105 小店区, all parcels state-owned, forest class 0301 unless said otherwise:

parcel  base m²      valid forest rows         rejected sibling (why)          base-map-wins    withheld
S01     119,695.19   FS1 119,695.19            FS2 −5,000 (range)               119,695.19       0
Z01     10,000       FZ1 6,000                 FZ2 0 (range)                     6,000            4,000
M01     10,000       FM1 6,000                 FM2 empty (required)              6,000            4,000
O01     10,000       FO1 6,000                 FO2 1,000,000, species 999        6,000            4,000
V01     10,000       FV1 8,000 + FV2 4,000     FV3 −1 (range)                    10,000 (scaled)  0
R01     10,000       none                      FR1 −3 (range)                    0                10,000
N01     5,000        FN1 4,000                 none                              5,000 (scaled)   0
A01     1,000        (0101 旱地, land)          —                                 1,000 land       0

State base area 175,695.19 m². Three more valid forest rows of 4,000 m² name no base parcel: base_parcel_id
"NaN", blank and null (written straight into the validated rows, as a reader may deliver them).
"""

from decimal import Decimal as D

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from assets_pipeline.consistency.base_map_checks import county_areas, parcels_over_their_area
from assets_pipeline.consistency.policies import POLICIES
from assets_pipeline.consistency.resolve import run_consistency
from assets_pipeline.defs.consistency import area_balance_check, parcel_area_check
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.publish.inconsistencies import LIST_COLUMNS_ZH, write_inconsistency_workbook
from assets_pipeline.publish.rejects import combine_rejects
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from assets_pipeline.valuation.models import value_category
from stages import snapshot_reference

YEAR = 2023
FOUR = ("land", "forest", "grassland", "wetland")
KEY = dg.AssetKey(["ledger", "physical"])

LAND = pd.DataFrame(
    [
        ("S01", "0301", 119695.19),
        ("Z01", "0301", 10000.0),
        ("M01", "0301", 10000.0),
        ("O01", "0301", 10000.0),
        ("V01", "0301", 10000.0),
        ("R01", "0301", 10000.0),
        ("N01", "0301", 5000.0),
        ("A01", "0101", 1000.0),
    ],
    columns=["parcel_id", "land_class", "area_m2"],
).assign(region_code="140105", ownership="10")

FOREST = pd.DataFrame(
    [
        ("FS1", "S01", 119695.19, "200"),
        ("FS2", "S01", -5000.0, "200"),
        ("FZ1", "Z01", 6000.0, "200"),
        ("FZ2", "Z01", 0.0, "200"),
        ("FM1", "M01", 6000.0, "200"),
        ("FM2", "M01", None, "200"),
        ("FO1", "O01", 6000.0, "200"),
        ("FO2", "O01", 1000000.0, "999"),
        ("FV1", "V01", 8000.0, "200"),
        ("FV2", "V01", 4000.0, "200"),
        ("FV3", "V01", -1.0, "200"),
        ("FR1", "R01", -3.0, "200"),
        ("FN1", "N01", 4000.0, "200"),
    ],
    columns=["parcel_id", "base_parcel_id", "area_m2", "species_code"],
).assign(
    region_code="140105",
    land_class="0301",
    land_ownership="10",
    tree_ownership="1",
    forest_type="1",
    origin="1",
    age_group="4",
    stock_m3=10.0,
)
EMPTY_IDS = {"FX1": "NaN", "FX2": "  ", "FX3": None}
EMPTY_ID_ROWS = [
    10**15 + n for n in (1, 2, 3)
]  # their _row_id (the forest model keeps no parcel id on a row set aside)

STATE_BASE = D("175695.19")
# forest ledger area, m², by policy
FOREST_AREA = {
    # S01 + Z01, M01, O01 at their delivered 6,000 + V01 scaled down to 10,000 + N01 scaled up to 5,000
    "base-map-wins": D("119695.19") + 3 * D("6000") + D("10000") + D("5000"),  # 152,695.19
    # every valid row stands as delivered: V01 12,000, N01 4,000
    "inventory-wins": D("119695.19") + 3 * D("6000") + D("12000") + D("4000"),  # 153,695.19
    # V01 (12,000 > 10,000 × 1.001) is rejected with its rows; the rest as under base-map-wins
    "reject": D("119695.19") + 3 * D("6000") + D("5000"),  # 142,695.19
}
WITHHELD = 3 * D("4000") + D("10000")  # Z01, M01, O01 and R01: the base area no valid row covers
TERMS = {  # policy -> (rejected by consistency, withheld, inventory-wins adjustment)
    "base-map-wins": (D(0), WITHHELD, D(0)),
    "inventory-wins": (D(0), WITHHELD, D("2000") - D("1000")),  # V01 +2,000, N01 −1,000
    "reject": (D("10000"), WITHHELD, D(0)),  # V01
}


def _add_rows_with_empty_base_ids(layout: YearLayout) -> None:
    """Three valid forest rows (copies of FN1, 4,000 m²) whose base_parcel_id is "NaN", blank or null."""
    parts = part_files(layout.validated("forest"))
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    fn1 = table.filter(pa.compute.equal(table["parcel_id"], "FN1"))
    assert fn1.num_rows == 1
    rows = []
    for n, (parcel_id, base) in enumerate(EMPTY_IDS.items(), start=1):
        row = fn1.set_column(fn1.schema.get_field_index("parcel_id"), "parcel_id", pa.array([parcel_id], pa.string()))
        i = row.schema.get_field_index("base_parcel_id")
        row = row.set_column(i, row.schema.field(i), pa.array([base], row.schema.field(i).type))
        i = row.schema.get_field_index("_row_id")
        row = row.set_column(i, row.schema.field(i), pa.array([EMPTY_ID_ROWS[n - 1]], pa.int64()))
        i = row.schema.get_field_index("_source_row")
        row = row.set_column(i, row.schema.field(i), pa.array([1000 + n], row.schema.field(i).type))
        rows.append(row)
    pq.write_table(pa.concat_tables(rows), layout.validated("forest") / "part-zz-empty-ids.parquet")


def compile_province(root, policy: str) -> YearLayout:
    inputs = root / "inputs" / str(YEAR)
    inputs.mkdir(parents=True)
    LAND.to_parquet(inputs / "land.parquet", index=False)
    FOREST.to_parquet(inputs / "forest.parquet", index=False)
    (inputs / "grassland.csv").write_text(  # header only: no rows
        "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,grassland_type,grade,hay_yield_kg_per_ha,"
        "vegetation_cover_pct\n",
        encoding="utf-8",
    )
    (inputs / "wetland.csv").write_text(
        "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,wetland_type,basin,protection_status\n",
        encoding="utf-8",
    )
    layout = YearLayout(root / "out", YEAR)
    snapshot_reference(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in FOUR:
        ingest_category(category, root / "inputs", YEAR, layout.ingested(category), parallel=False)
        validate_category(category, layout, codes, parallel=False)
    _add_rows_with_empty_base_ids(layout)
    run_consistency(layout, policy)
    for category in FOUR:
        value_category(category, layout, layout.valued(category))
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=FOUR)
    return layout


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, YearLayout]:
    return {policy: compile_province(tmp_path_factory.mktemp(policy), policy) for policy in POLICIES}


def forest_land_areas(layout: YearLayout) -> dict[str, D]:
    """Per forest row (by parcel id): the area its land component counts, valued or unpriced."""
    forest = pd.read_parquet(layout.valued("forest"))
    counted = forest[(forest.component == "land") & forest.status.isin(["valued", "unpriced"])]
    return dict(zip(counted.parcel_id, counted.area_m2, strict=False))


def test_rejected_siblings_are_the_ones_planted(layouts):
    rejects = combine_rejects(layouts["base-map-wins"]).to_pandas()
    forest = rejects[(rejects.category == "forest") & (rejects.rule != "consistency")]
    rows = pd.read_parquet(part_files(layouts["base-map-wins"].rejected_rows("forest")))
    assert sorted(rows.parcel_id) == ["FM2", "FO2", "FR1", "FS2", "FV3", "FZ2"]
    assert set(forest.source_row) == {2, 4, 6, 8, 11, 12}  # Parquet records, 1-based


def test_a_negative_sibling_leaves_the_valid_row_at_its_delivered_area(layouts):
    for policy in POLICIES:
        areas = forest_land_areas(layouts[policy])
        assert areas["FS1"] == D("119695.19"), policy
        forest = pd.read_parquet(layouts[policy].valued("forest"))
        assert set(forest[forest.parcel_id == "FS1"].area_m2) == {D("119695.19")}  # land and trees alike


def test_base_map_wins_areas_by_row(layouts):
    areas = forest_land_areas(layouts["base-map-wins"])
    assert {k: v for k, v in areas.items()} == {
        "FS1": D("119695.19"),
        "FZ1": D("6000.00"),
        "FM1": D("6000.00"),
        "FO1": D("6000.00"),  # zero, empty, oversize sibling: kept
        # 8,000 × 10,000 / 12,000 = 6,666.666… → 6,666.67; FV2, the last by id, takes the rest
        "FV1": D("6666.67"),
        "FV2": D("3333.33"),
        "FN1": D("5000.00"),  # no rejected sibling: conformed up
    }


def test_inventory_wins_rows_stand(layouts):
    areas = forest_land_areas(layouts["inventory-wins"])
    assert areas == {
        "FS1": D("119695.19"),
        "FZ1": D("6000.00"),
        "FM1": D("6000.00"),
        "FO1": D("6000.00"),
        "FV1": D("8000.00"),
        "FV2": D("4000.00"),
        "FN1": D("4000.00"),
    }
    changes = pd.read_parquet(layouts["inventory-wins"].resolved("land") / "changes.parquet").set_index("parcel_id")
    # S01: the base area, not 119,695.19 + (−5,000); Z01: keeps its base area, 6,000 counted, 4,000 withheld
    assert "S01" not in changes.index or changes.loc["S01", "area_m2"] == D("119695.19")
    assert (changes.loc["Z01", "area_m2"], changes.loc["Z01", "counted_m2"]) == (D("10000.00"), D("6000.00"))
    assert (changes.loc["V01", "area_m2"], changes.loc["N01", "area_m2"]) == (D("12000.00"), D("4000.00"))


@pytest.mark.parametrize("policy", POLICIES)
def test_ledgers_and_the_independent_county_figures(layouts, policy):
    layout = layouts[policy]
    (county,) = county_areas(layout, policy)
    rejected, withheld, adjusted = TERMS[policy]
    assert (county.region_code, county.base_m2, county.collective_m2, county.state_m2) == (
        "140105",
        STATE_BASE,
        D(0),
        STATE_BASE,
    )
    assert (county.rejected_m2, county.withheld_m2, county.adjusted_m2) == (rejected, withheld, adjusted)
    assert county.expected_m2 == STATE_BASE - rejected - withheld + adjusted
    assert county.ledger_m2 == FOREST_AREA[policy] + D("1000")  # + A01 in the land ledger
    assert county.ledger_m2 == county.expected_m2
    assert area_balance_check(layout, KEY, policy).passed
    assert parcel_area_check(layout, KEY, policy).passed


@pytest.mark.parametrize("policy", POLICIES)
def test_an_empty_base_parcel_id_is_missing_base_and_counted_nowhere(layouts, policy):
    layout = layouts[policy]
    found = pd.read_parquet(layout.inconsistencies)
    missing = found[found.finding_type == "missing_base"]
    assert sorted(missing.parcel_id) == ["FX1", "FX2", "FX3"]
    assert missing.base_parcel_id.isna().all() and (missing.area_m2 == D("4000.00")).all()
    # the counties' workbook lists them with the base parcel id empty
    write_inconsistency_workbook(layout)
    wb = load_workbook(layout.inconsistencies_workbook, read_only=True)
    listed = list(wb["图斑清单"].values)
    wb.close()
    at = {name: listed[0].index(LIST_COLUMNS_ZH[name]) for name in ("finding_type", "base_parcel_id", "parcel_id")}
    assert sorted(
        (r[at["parcel_id"]], r[at["base_parcel_id"]]) for r in listed[1:] if r[at["finding_type"]] == "missing_base"
    ) == [("FX1", None), ("FX2", None), ("FX3", None)]
    forest = pd.read_parquet(layout.valued("forest"))
    if policy == "reject":
        rejects = combine_rejects(layout).to_pandas()
        assert (
            sorted(rejects[(rejects.rule == "consistency") & (rejects.category == "forest")].check)
            == ["area_exceeds_base"] * 2 + ["missing_base"] * 3
        )
        assert not forest._row_id.isin(EMPTY_ID_ROWS).any()
    else:
        fx = forest[forest._row_id.isin(EMPTY_ID_ROWS)]
        assert len(fx) == 3
        assert set(fx.status) == {"excluded"} and fx.status_reason.str.contains("no base parcel id").all()
        # inventory-wins adds no base parcel for an id that names none
        assert pd.read_parquet(layout.resolved("land") / "added.parquet").empty


def _rewrite(path, frame: pd.DataFrame) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def test_the_parcel_check_fails_on_a_crafted_double_count(tmp_path):
    """The valued rows are crafted after the fact: the check reads them, not the step's figures, and fails."""
    layout = compile_province(tmp_path, "base-map-wins")
    forest = pd.read_parquet(layout.valued("forest"))
    # the defect as it was: FS1 conformed to 119,695.19 − (−5,000) = 124,695.19
    forest.loc[forest.parcel_id == "FS1", "area_m2"] = D("124695.19")
    # a row without a base parcel counted after all
    forest.loc[forest._row_id == EMPTY_ID_ROWS[0], ["status", "status_reason"]] = ["valued", None]
    _rewrite(layout.valued("forest"), forest)
    # the land model counts N01 (乔木林地) too
    land = pd.read_parquet(layout.valued("land"))
    land.loc[land.parcel_id == "N01", ["status", "status_reason"]] = ["valued", None]
    _rewrite(layout.valued("land"), land)

    over = parcels_over_their_area(layout, "base-map-wins")
    assert [(p.parcel_id, p.base_m2, p.allowed_m2, p.counted_m2, p.excess_m2) for p in over] == [
        ("N01", D("5000.00"), D("5000.00"), D("10000.00"), D("5000.00")),  # largest excess first, then by id
        ("S01", D("119695.19"), D("119695.19"), D("124695.19"), D("5000.00")),
        (None, None, D("0.00"), D("4000.00"), D("4000.00")),
    ]
    assert (over[0].land_rows, over[0].forest_rows) == (1, 1)
    result = parcel_area_check(layout, KEY, "base-map-wins")
    assert not result.passed
    assert (result.metadata["parcels_over"].value, result.metadata["excess_m2"].value) == (3, "14000.00")
    assert "| S01 | 140105 | 119695.19 | 119695.19 | 124695.19 | 5000.00 |" in result.metadata["worst_parcels"].value

    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=FOUR)
    county = area_balance_check(layout, KEY, "base-map-wins")
    assert not county.passed
    # expected stays 152,695.19 + 1,000: the ledgers hold 5,000 + 5,000 + 4,000 more
    assert county.metadata["largest_difference_m2"].value == "14000.00"


def test_inventory_wins_bound_is_the_standing_inventory(tmp_path):
    """Under inventory-wins V01 may count its forest rows' 12,000 m², no more: a second copy of FV2 exceeds it."""
    layout = compile_province(tmp_path, "inventory-wins")
    assert parcel_area_check(layout, KEY, "inventory-wins").passed
    forest = pd.read_parquet(layout.valued("forest"))
    _rewrite(layout.valued("forest"), pd.concat([forest, forest[forest.parcel_id == "FV2"]]))
    (v01,) = parcels_over_their_area(layout, "inventory-wins")
    assert (v01.parcel_id, v01.base_m2, v01.allowed_m2, v01.counted_m2, v01.excess_m2) == (
        "V01",
        D("10000.00"),
        D("12000.00"),
        D("16000.00"),
        D("4000.00"),
    )
    # the same rows under base-map-wins' bound: the survey's 10,000
    (v01,) = parcels_over_their_area(layout, "base-map-wins")
    assert (v01.allowed_m2, v01.excess_m2) == (D("10000.00"), D("6000.00"))

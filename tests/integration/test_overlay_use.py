"""The tabular steps using the overlay's outputs (DOMAIN §6): adjusted zone areas in the memos, price levels in the
land model, base parcels linked by overlay, and the overlay's findings in the inconsistency workbook.

The overlay's files (``_stages/overlay/``) are written here by hand, as the overlay writes them, after validation
(they name validated rows by ``_row_id``); every figure is worked out in the comments. County 140105 小店区, 2023.
"""

from decimal import Decimal as D

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from assets_pipeline.consistency.base_map_checks import county_areas, parcels_over_their_area
from assets_pipeline.consistency.resolve import run_consistency
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.publish.inconsistencies import write_inconsistency_workbook
from assets_pipeline.publish.report import read_report_memo_totals, write_report
from assets_pipeline.publish.report_cover import CoverInfo
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from assets_pipeline.valuation.models import value_category
from stages import snapshot_reference

YEAR = 2023
FOUR = ("land", "forest", "grassland", "wetland")
ZONES = ("redline", "farmland", "protected", "core", "urban")
DATE_CONSTRUCTION = D("1.0080")  # land_date_corrections.csv, 2023, construction

LAND = pd.DataFrame(
    [
        # parcel_id, class, area m², price_zone, delivered red line, delivered protected area
        (
            "P1",
            "0103",
            10000.0,
            None,
            2000.0,
            None,
        ),  # overlay: red line 5,000 (delivered 2,000), core 2,500, urban 1,000
        ("P7", "0101", 2000.0, None, None, 1000.0),  # no geometry: keeps its delivered protected area, share 0.5
        ("P6", "0103", 3000.0, None, None, None),  # forest F3 is linked onto it by overlay → class_mismatch
        ("C1", "05H1", 1000.0, None, None, None),  # weighted: 0.6 on level T-1 (1,000 元/m²), 0.4 on T-2 (2,000)
        ("C2", "05H1", 1000.0, "140105-Z03", None, None),  # dominant level T-2, whatever its delivered zone
        ("C3", "05H1", 500.0, "140105-Z01", None, None),  # outside every commercial polygon
        ("C4", "05H1", 800.0, None, None, None),  # weighted, half on T-1 and half on T-9, a level the table lacks
        ("PF", "0301", 10000.0, None, None, None),  # forest parcel: F1 linked onto it by overlay
        ("PG", "0301", 5000.0, None, None, None),  # forest parcel: F2 names it itself
    ],
    columns=["parcel_id", "land_class", "area_m2", "price_zone", "redline_area_m2", "protected_area_m2"],
).assign(region_code="140105", ownership="10")

FOREST = pd.DataFrame(
    [
        ("F1", "X", 10000.0),  # delivered with geometry and no base id: linked to PF
        ("F2", "PG", 5000.0),  # its own base id
        ("F3", "X", 3000.0),  # linked to P6 (0103): 2,000 on P6 (class_mismatch), 1,000 outside every base parcel
    ],
    columns=["parcel_id", "base_parcel_id", "area_m2"],
).assign(
    region_code="140105",
    land_class="0301",
    land_ownership="10",
    tree_ownership="1",
    forest_type="1",
    origin="1",
    species_code="200",
    age_group="4",
    stock_m3=10.0,
)
# one row each so that every category has its validated rows (the consistency step reads all four); their base
# parcels are not in the survey (missing_base), which these tests leave aside
GRASSLAND = pd.DataFrame(
    [("G1", "PX", "140105", "0401", 100.0, "10")],
    columns=["parcel_id", "base_parcel_id", "region_code", "land_class", "area_m2", "ownership"],
).assign(grassland_type="02", grade=5, hay_yield_kg_per_ha=1200.0, vegetation_cover_pct=60.0)
WETLAND = pd.DataFrame(
    [("W1", "PY", "140105", "1106", 100.0, "10")],
    columns=["parcel_id", "base_parcel_id", "region_code", "land_class", "area_m2", "ownership"],
).assign(wetland_type="1106", basin="黄河流域", protection_status="")


def _row_ids(layout: YearLayout, category: str) -> dict[str, int]:
    frame = pd.concat(pd.read_parquet(p) for p in part_files(layout.validated(category)))
    return dict(zip(frame["parcel_id"], frame["_row_id"], strict=True))


def _write(table: pa.Table, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _dec(values, scale=2):
    return pa.array([None if v is None else D(v) for v in values], pa.decimal128(18, scale))


def blank_base_ids(layout: YearLayout, parcels: set[str]) -> None:
    """F1 and F3 as a layer delivers them: geometry and no base_parcel_id (the overlay links them)."""
    for path in part_files(layout.validated("forest")):
        frame = pd.read_parquet(path)
        frame.loc[frame.parcel_id.isin(parcels), "base_parcel_id"] = None
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table.cast(pq.read_schema(path)), path)


def write_overlay(layout: YearLayout) -> None:
    """The overlay's outputs, as spatial/ writes them (SPATIAL contract, DOMAIN §6)."""
    land, forest = _row_ids(layout, "land"), _row_ids(layout, "forest")
    overlay = layout.overlay
    # P1 measured inside every zone's layer: red line 5,000.00 of 10,000.00 (share 0.5), core 2,500.00, urban 1,000.00;
    # PF wholly inside the red line and the protected area, its forest row F1 with it
    areas = {
        "P1": {"redline": "5000.00", "farmland": "0.00", "protected": "0.00", "core": "2500.00", "urban": "1000.00"},
        "PF": {"redline": "10000.00", "farmland": "0.00", "protected": "10000.00", "core": "0.00", "urban": "0.00"},
    }
    columns = {
        "parcel_id": pa.array(["P1", "PF"]),
        "region_code": pa.array(["140105", "140105"]),
        "_row_id": pa.array([land["P1"], land["PF"]], pa.int64()),
        "area_m2": _dec(["10000.00", "10000.00"]),
    }
    for z in ZONES:
        columns[f"{z}_area_m2"] = _dec([areas[p][z] for p in ("P1", "PF")])
        columns[f"{z}_share"] = _dec([str(D(areas[p][z]) / D("10000.00")) for p in ("P1", "PF")], 10)
        columns[f"{z}_delivered_m2"] = _dec(["2000.00" if z == "redline" else None, None])
    _write(pa.table(columns), overlay / "zone_areas" / "part-00000.parquet")
    _write(
        pa.table(
            {
                "parcel_id": ["C1", "C1", "C2", "C3", "C4", "C4"],
                "region_code": ["140105"] * 6,
                "_row_id": pa.array([land[p] for p in ("C1", "C1", "C2", "C3", "C4", "C4")], pa.int64()),
                "price_zone": ["T-1", "T-2", "T-2", None, "T-1", "T-9"],
                "weight": _dec(["0.6", "0.4", "1", None, "0.5", "0.5"], 10),
                "rule": ["weighted", "weighted", "dominant", "outside", "weighted", "weighted"],
            }
        ),
        overlay / "price_weights" / "part-00000.parquet",
    )
    _write(
        pa.table(
            {
                "_row_id": pa.array([forest["F1"], forest["F3"]], pa.int64()),
                "base_parcel_id": ["PF", "P6"],
                "pieces": pa.array([1, 2], pa.int32()),
            }
        ),
        overlay / "links" / "forest" / "part-00000.parquet",
    )
    _write(
        pa.table(
            {
                "category": ["forest"] * 3,
                "region_code": ["140105"] * 3,
                "_row_id": pa.array([forest["F1"], forest["F3"], forest["F3"]], pa.int64()),
                "parcel_id": ["F1", "F3", "F3"],
                "base_parcel_id": ["PF", "P6", None],
                "piece_area_m2": _dec(["10000.00", "2000.00", "1000.00"]),
                "base_land_class": ["0301", "0103", None],
                "inventory_land_class": ["0301", "0301", "0301"],
                "finding_type": [None, "class_mismatch", "missing_base"],
                "source_file": ["forest.parquet"] * 3,
                "source_row": pa.array([2, 4, 4], pa.int64()),
            }
        ),
        overlay / "pieces.parquet",
    )
    _write(
        pa.table(
            {
                "region_code": ["140105"],
                "parcel_id": ["P1"],
                "zone": ["redline"],
                "delivered_m2": _dec(["2000.00"]),
                "computed_m2": _dec(["5000.00"]),
                "difference_m2": _dec(["3000.00"]),
                "source_file": ["land.parquet"],
                "source_row": pa.array([2], pa.int64()),
            }
        ),
        overlay / "zone_findings.parquet",
    )
    _write(
        pa.table(
            {
                "region_code": ["140105"],
                "parcel_id_a": ["P1"],
                "parcel_id_b": ["P6"],
                "overlap_m2": _dec(["250.00"]),
                "source_file_a": ["land.parquet"],
                "source_row_a": pa.array([2], pa.int64()),
                "source_file_b": ["land.parquet"],
                "source_row_b": pa.array([4], pa.int64()),
            }
        ),
        overlay / "overlaps.parquet",
    )


def add_test_levels(layout: YearLayout) -> None:
    """Two commercial land-price levels of 140105 in the year's snapshot: T-1 at 1,000 元/m², T-2 at 2,000."""
    path = layout.reference("land_base_prices")
    table = pq.read_table(path)
    extra = pa.table(
        {
            "year": [YEAR, YEAR],
            "region_code": ["140105", "140105"],
            "price_zone": ["T-1", "T-2"],
            "land_class": ["05H1", "05H1"],
            "cropland_grade": [None, None],
            "price": [D("1000"), D("2000")],
            "unit": ["元/平方米", "元/平方米"],
        }
    ).cast(table.schema)
    pq.write_table(pa.concat_tables([table, extra]), path)


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> YearLayout:
    root = tmp_path_factory.mktemp("overlay_use")
    inputs = root / "inputs" / str(YEAR)
    inputs.mkdir(parents=True)
    for name, frame in (("land", LAND), ("forest", FOREST), ("grassland", GRASSLAND), ("wetland", WETLAND)):
        frame.to_parquet(inputs / f"{name}.parquet", index=False)
    layout = YearLayout(root / "out", YEAR)
    snapshot_reference(layout)
    add_test_levels(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in FOUR:
        ingest_category(category, root / "inputs", YEAR, layout.ingested(category), parallel=False)
        validate_category(category, layout, codes, parallel=False)
    blank_base_ids(layout, {"F1", "F3"})
    write_overlay(layout)
    run_consistency(layout, "base-map-wins")
    for category in FOUR:
        value_category(category, layout, layout.valued(category))
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=FOUR)
    return layout


def q(sql: str, **params):
    with duckdb.connect() as con:
        return con.execute(sql, params).fetchall()


def land_rows(layout: YearLayout) -> pd.DataFrame:
    return pd.read_parquet(layout.valued("land")).set_index("parcel_id")


def test_adjusted_zone_areas_make_the_shares(layout):
    land = land_rows(layout)
    # P1: the overlay's 5,000.00 of 10,000.00 in place of the delivered 2,000.00; core 2,500, urban 1,000
    p1 = land.loc["P1"]
    assert (p1.redline_share, p1.core_share, p1.urban_share) == (D("0.5"), D("0.25"), D("0.1"))
    assert (p1.farmland_share, p1.protected_share) == (D(0), D(0))
    # P7 has no geometry: its delivered protected area stands (1,000 of 2,000)
    assert land.loc["P7"].protected_share == D("0.5")


def test_the_red_line_memo_is_half_the_parcel(layout):
    # item 01 of 140105 holds P1, P7 and P6; only P1 lies in the red line, half of it
    ((q_all, q_red, q_core, q_urban),) = q(
        "SELECT quantity_unrounded, quantity_redline_unrounded, quantity_core_unrounded, quantity_urban_unrounded "
        "FROM read_parquet($p) WHERE region_code = '140105' AND category = 'land' AND item_code = '01' "
        "AND indicator = 'area'",
        p=str(layout.ledger_physical),
    )
    assert (D(q_red) * 10000, D(q_core) * 10000, D(q_urban) * 10000) == (D("5000"), D("2500"), D("1000"))
    p1_value = land_rows(layout).loc["P1"].value_yuan
    ((v_red, v_core, v_urban, v_red_published),) = q(
        "SELECT value_redline_wan_yuan_unrounded, value_core_wan_yuan_unrounded, value_urban_wan_yuan_unrounded, "
        "value_redline_wan_yuan FROM read_parquet($p) WHERE region_code = '140105' AND category = 'land' "
        "AND item_code = '01' AND component = 'land'",
        p=str(layout.ledger_value),
    )
    assert D(v_red) * 10000 == p1_value / 2
    assert D(v_core) * 10000 == p1_value / 4 and D(v_urban) * 10000 == p1_value / 10
    assert v_red_published == (p1_value / 2 / 10000).quantize(D("0.01"))


def test_weighted_dominant_and_outside_prices(layout):
    land = land_rows(layout)
    c1, c2, c3 = land.loc["C1"], land.loc["C2"], land.loc["C3"]
    # weighted: 0.6 × 1,000 + 0.4 × 2,000 = 1,400 元/m²; 1,000.00 m² × 1,400 × 1.0080 (date) × 1 × 1 = 1,411,200.00
    assert c1.status == "valued"
    assert c1.value_yuan == D("1000.00") * D("1400") * DATE_CONSTRUCTION
    assert c1.value_yuan == D("1411200")
    assert (c1.price_level, c1.price_key) == ("price_zone_weighted", "T-1×0.6000000000;T-2×0.4000000000")
    assert c1.unit_price == D("1400")
    # dominant: priced as level T-2 (its delivered zone 140105-Z03 is not used): 1,000.00 × 2,000 × 1.0080
    assert c2.value_yuan == D("2016000")
    assert (c2.price_level, c2.price_key) == ("price_zone_dominant", "zone=T-2 region=140105 class=05H1 grade=")
    # outside: unpriced, no fallback on its delivered zone or the county's price
    assert (c3.status, c3.value_yuan) == ("unpriced", None)
    assert c3.status_reason == "outside every price_zones polygon for land use commercial / 不在任何基准地价级别范围内"
    # a level the price table lacks leaves the weighted parcel unpriced with that level's reason
    c4 = land.loc["C4"]
    assert (c4.status, c4.status_reason, c4.value_yuan) == (
        "unpriced",
        "price_zone 'T-9' not in land_base_prices",
        None,
    )


def test_a_forest_row_is_valued_on_the_parcel_the_overlay_linked(layout):
    forest = pd.read_parquet(layout.valued("forest"))
    assert list(forest.columns)[-7:-6] == ["base_link"]  # last of the model's columns; valued_rows adds six after it
    f1 = forest[forest.parcel_id == "F1"]
    assert set(f1.status) == {"valued"} and set(f1.base_parcel_id) == {"PF"} and set(f1.base_link) == {"overlay"}
    assert set(f1.area_m2) == {D("10000.00")} and f1.consistency_findings.isna().all()
    # PF's adjusted zone areas reach its inventory row: wholly in the red line and the protected area
    assert set(f1.redline_share) == set(f1.protected_share) == {D(1)} and set(f1.core_share) == {D(0)}
    f2 = forest[forest.parcel_id == "F2"]
    assert set(f2.base_link) == {"delivered"} and set(f2.base_parcel_id) == {"PG"}
    # F3 linked onto P6, a cropland parcel: class_mismatch, set aside (base map wins); P6 stays in the land ledger
    f3 = forest[forest.parcel_id == "F3"]
    assert set(f3.status) == {"excluded"} and set(f3.base_link) == {"overlay"}
    found = pd.read_parquet(layout.inconsistencies).query("category == 'forest'")
    assert found[["parcel_id", "finding_type", "base_parcel_id"]].values.tolist() == [["F3", "class_mismatch", "P6"]]
    assert land_rows(layout).loc["P6"].status == "valued"
    # the blocking checks count F1 on PF too (from the overlay's links, not from the resolved rows): PF holds its
    # 10,000.00 once, and 140105's ledgers hold its state base map once
    assert parcels_over_their_area(layout, "base-map-wins") == []
    (county,) = county_areas(layout, "base-map-wins")
    assert county.expected_m2 == county.ledger_m2 == D("33300.00")


def test_overlay_findings_in_their_parquet_and_the_workbook(layout):
    spatial = pd.read_parquet(layout.spatial_findings)
    got = sorted(zip(spatial.category, spatial.finding_type, spatial.area_m2, strict=True))
    assert got == [
        ("forest", "piece_class_mismatch", D("2000.00")),
        ("forest", "piece_missing_base", D("1000.00")),
        ("land", "parcel_overlap", D("250.00")),
        ("land", "zone_redline", D("3000.00")),
    ]
    write_inconsistency_workbook(layout)
    wb = load_workbook(layout.inconsistencies_workbook)
    assert wb.sheetnames[-2:] == ["落图分析按县", "落图分析清单"]
    rows = list(wb["落图分析按县"].values)
    body = {(r[2], r[3]): (r[4], D(str(r[5])), D(str(r[6]))) for r in rows[1:] if r[1] not in ("小计", "合计")}
    # 亩 = m² × 0.0015, 公顷 = m² × 0.0001, rounded half-up to 2 decimals
    assert body == {
        ("森林", "落图地类不一致"): (1, D("3.00"), D("0.20")),
        ("森林", "落图不在底图图斑内"): (1, D("1.50"), D("0.10")),
        ("土地", "生态保护红线面积与落图计算不一致"): (1, D("4.50"), D("0.30")),
        ("土地", "底图图斑相互重叠"): (1, D("0.38"), D("0.03")),
    }
    total = [r for r in rows if r[1] == "合计"][0]
    assert (total[4], D(str(total[5]))) == (4, D("9.38"))
    listed = list(wb["落图分析清单"].values)
    overlap = [r for r in listed if r[2] == "底图图斑相互重叠"][0]
    assert (overlap[3], overlap[5], overlap[13], overlap[14]) == ("P1", "P6", "land.parquet", 4)


def test_core_and_urban_memos_in_the_report(layout):
    cover = CoverInfo(
        year=YEAR,
        province_code="140000",
        province_name="山西省",
        run_time="2024-03-31 10:15:02+08:00",
        run_id="run-0001",
        inputs=[],
        reference_tables=[],
        models=[],
        parameters={},
        reconciliation=[],
    )
    write_report(layout, cover)
    printed = read_report_memo_totals(layout.report())
    ((core, urban, red),) = q(
        "SELECT sum(value_core_wan_yuan), sum(value_urban_wan_yuan), sum(value_redline_wan_yuan) FROM read_parquet($p) "
        "WHERE region_level = 'province' AND category = 'land'",
        p=str(layout.ledger_value),
    )
    assert printed[("land", "core")] == core and printed[("land", "urban")] == urban
    assert printed[("land", "redline")] == red and core > 0 and urban > 0
    ledger = pq.read_schema(layout.ledger_value).names
    assert {"value_core_wan_yuan", "value_urban_wan_yuan"} <= set(ledger)

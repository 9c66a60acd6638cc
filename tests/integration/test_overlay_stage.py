"""The overlay stage end to end on a hand-drawn county (DOMAIN §6): validated rows and their geometry side files
written by hand, zone and price layers in GeoParquet and GeoPackage (one in geographic CGCS2000), every output read
back with its exact figures, and the checks recounted from the written files."""

from decimal import Decimal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import read_json
from assets_pipeline.spatial.overlay import run_overlay
from assets_pipeline.spatial.overlay_checks import overlay_figures
from overlay_inputs import EPSG, square, to_geographic, write_geoparquet, write_gpkg, write_rows
from stages import snapshot_reference

YEAR = 2023
COUNTY = "140105"


def land(parcel_id, land_class, area_m2, **more):
    return {
        "parcel_id": parcel_id,
        "region_code": COUNTY,
        "land_class": land_class,
        "area_m2": area_m2,
        "ownership": "10",
        **more,
    }


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """P1 0103 旱地 half in the red line (x 50…110); P6 0301 beside it, in farmland; P2 05H1 commercial across levels C1/C2
    (60/40); P3 commercial outside every level; P4/P5 0301 overlapping by 10 m × 10 m; F1 a forest polygon
    without a base parcel id, half on P1 and half on P6; F2 a forest row already linked by the table."""
    root = tmp_path_factory.mktemp("overlay")
    layout = YearLayout(root / "out", YEAR)
    snapshot_reference(layout)
    write_rows(
        layout,
        "land",
        [
            land("P1", "0103", 10_000.00, redline_area_m2=5_000.00, basic_farmland_area_m2=9_000.00),
            land("P6", "0301", 10_000.00, basic_farmland_area_m2=10_000.00),
            land("P2", "05H1", 10_000.00),
            land("P3", "05H1", 10_000.00),
            land("P4", "0301", 10_000.00),
            land("P5", "0301", 10_000.00),
        ],
        [
            square(0, 0, 100),
            square(100, 0, 100),
            square(200, 0, 100),
            square(600, 0, 100),
            square(0, 300, 100),
            square(90, 390, 100),
        ],
    )
    forest = {
        "region_code": COUNTY,
        "land_class": "0301",
        "area_m2": 10_000.00,
        "land_ownership": "10",
        "tree_ownership": "1",
    }
    write_rows(
        layout,
        "forest",
        [{"parcel_id": "F1", **forest}, {"parcel_id": "F2", "base_parcel_id": "P4", **forest}],
        [square(50, 0, 100), square(0, 300, 100)],
    )
    inputs = root / "in"
    # the red line in geographic CGCS2000 (degrees): projected to the parcels' zone before any area is taken
    write_geoparquet(
        inputs / str(YEAR) / "zones" / "redline.parquet", to_geographic([square(50, -50, 60, 200)]), epsg=4490
    )
    write_gpkg(inputs / str(YEAR) / "zones" / "永久基本农田.gpkg", [square(100, 0, 100)])
    write_gpkg(
        inputs / str(YEAR) / "price_zones" / "levels.gpkg",
        [square(150, -50, 110, 300), square(260, -50, 200, 300), square(0, 0, 100)],
        {"JBDM": ["C1", "C2", "A1"], "用途": ["商服", "商服", "农用地"]},
    )
    result = run_overlay(layout, inputs, YEAR, 0.01)
    return layout, inputs, result


def rows(path, where=""):
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}') {where}").fetchall()


def test_half_inside_the_red_line_is_exactly_5000_m2_and_a_share_of_one_half(county):
    layout, _, _ = county
    got = duckdb.sql(
        f"SELECT parcel_id, area_m2, redline_area_m2, redline_share, redline_delivered_m2, farmland_area_m2 "
        f"FROM read_parquet('{layout.overlay}/zone_areas/*.parquet') ORDER BY parcel_id"
    ).fetchall()
    assert got[0] == (
        "P1",
        Decimal("10000.00"),
        Decimal("5000.00"),
        Decimal("0.5000000000"),
        Decimal("5000.00"),
        Decimal("0.00"),
    )
    assert got[5][0] == "P6" and got[5][5] == Decimal("10000.00")
    assert [r[0] for r in got] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert {"core_area_m2", "urban_share"}.isdisjoint(
        pq.read_schema(next((layout.overlay / "zone_areas").iterdir())).names
    )


def test_a_delivered_zone_area_beyond_tolerance_is_a_finding(county):
    layout, _, result = county
    assert rows(layout.overlay / "zone_findings.parquet") == [
        (COUNTY, "P1", "farmland", Decimal("9000.00"), Decimal("0.00"), Decimal("9000.00"), "land.gpkg", 1)
    ]
    assert result.zone_findings == 1


def test_price_levels_weighted_dominant_and_outside(county):
    layout, _, result = county
    got = duckdb.sql(
        f"SELECT parcel_id, land_use, price_zone, weight, rule FROM read_parquet('{layout.overlay}/price_weights/*') "
        "ORDER BY parcel_id, price_zone"
    ).fetchall()
    assert got == [
        ("P1", "agricultural", "A1", Decimal("1.0000000000"), "dominant"),
        ("P2", "commercial", "C1", Decimal("0.6000000000"), "weighted"),
        ("P2", "commercial", "C2", Decimal("0.4000000000"), "weighted"),
        ("P3", "commercial", None, None, "outside"),
        # agricultural land has level polygons too (A1 only): the forest-land parcels lie outside every one
        ("P4", "agricultural", None, None, "outside"),
        ("P5", "agricultural", None, None, "outside"),
        ("P6", "agricultural", None, None, "outside"),
    ]
    assert result.price_rules == {"dominant": 1, "weighted": 2, "outside": 4}


def test_a_forest_polygon_half_on_dry_land_is_a_class_mismatch_piece_of_half_its_area(county):
    layout, _, result = county
    got = duckdb.sql(
        f"SELECT parcel_id, base_parcel_id, piece_area_m2, base_land_class, finding_type "
        f"FROM read_parquet('{layout.overlay}/pieces.parquet') ORDER BY base_parcel_id"
    ).fetchall()
    assert got == [
        ("F1", "P1", Decimal("5000.00"), "0103", "class_mismatch"),
        ("F1", "P6", Decimal("5000.00"), "0301", None),
    ]
    # equal pieces: linked to the parcel of its own class (tie rule), F2 keeps its table link and is not overlaid
    assert rows(layout.overlay / "links" / "forest" / f"part-{COUNTY}-{EPSG}.parquet") == [(0, "P6", 2)]
    assert result.inconsistent_pieces == {"class_mismatch": 1}
    assert result.inconsistent_m2 == {"class_mismatch": Decimal("5000.00")}


def test_overlapping_base_parcels_share_exactly_100_m2(county):
    layout, _, result = county
    assert rows(layout.overlay / "overlaps.parquet") == [
        (COUNTY, "P4", "P5", Decimal("100.00"), "land.gpkg", 5, "land.gpkg", 6)
    ]
    assert (result.overlaps, result.overlap_m2) == (1, Decimal("100.00"))


def test_the_checks_recount_the_written_files_and_the_record_lists_the_layers(county):
    layout, _, result = county
    figures = overlay_figures(layout)
    assert (figures.rows_not_adding_up, figures.parcels_not_adding_up, figures.weights_not_adding_up) == (0, 0, 0)
    assert (figures.share_min, figures.share_max) == (Decimal("0E-10"), Decimal("1.0000000000"))
    assert (figures.overlaps, figures.overlap_m2) == (1, Decimal("100.00"))
    assert result.parcels_not_adding_up == 0 and result.counties == [COUNTY] and result.parcels == 6
    record = read_json(layout.record("overlay", "overlay"))
    assert set(record["zone_files"]) == {"redline", "farmland"}
    assert record["zone_files"]["redline"]["file"] == "zones/redline.parquet"
    assert len(record["zone_files"]["redline"]["sha256"]) == 64
    assert [f["file"] for f in record["price_files"]] == ["price_zones/levels.gpkg"]
    assert (record["share_min"], record["share_max"]) == ("0.0000000000", "1.0000000000")


def test_a_year_without_geometry_writes_nothing_but_its_record(tmp_path):
    layout = YearLayout(tmp_path / "out", YEAR)
    (tmp_path / "in" / str(YEAR) / "zones").mkdir(parents=True)
    (tmp_path / "in" / str(YEAR) / "zones" / "not_a_zone.gpkg").write_bytes(b"never read")
    result = run_overlay(layout, tmp_path / "in", YEAR, 0.01)
    assert not layout.overlay.exists() and result.parcels == 0 and result.counties == []
    assert read_json(layout.record("overlay", "overlay"))["parcels"] == 0


def test_a_zone_layer_of_another_name_or_datum_is_refused(tmp_path):
    layout = YearLayout(tmp_path / "out", YEAR)
    snapshot_reference(layout)
    write_rows(layout, "land", [land("P1", "0103", 10_000.00)], [square(0, 0, 100)])
    zones = tmp_path / "in" / str(YEAR) / "zones"
    write_gpkg(zones / "wetlands.gpkg", [square(0, 0, 10)])
    with pytest.raises(InputFileError, match="not a zone layer"):
        run_overlay(layout, tmp_path / "in", YEAR, 0.01)
    (zones / "wetlands.gpkg").unlink()
    write_gpkg(zones / "redline.gpkg", [square(0, 0, 10)], epsg=32649)
    with pytest.raises(InputFileError, match="not CGCS2000"):
        run_overlay(layout, tmp_path / "in", YEAR, 0.01)


@pytest.mark.slow  # starts worker processes
def test_counties_in_worker_processes_give_the_same_files(tmp_path):
    """Two counties overlaid by two worker processes: a part each, the single files gathered in county order."""
    inputs = tmp_path / "in"
    write_gpkg(inputs / str(YEAR) / "zones" / "redline.gpkg", [square(50, -50, 100, 200), square(1050, -50, 100, 200)])
    found = {}
    for parallel in (False, True):
        layout = YearLayout(tmp_path / f"out_{parallel}", YEAR)
        snapshot_reference(layout)
        write_rows(
            layout,
            "land",
            [land("P1", "0301", 10_000.00), {**land("Q1", "0301", 10_000.00), "region_code": "140106"}],
            [square(0, 0, 100), square(1000, 0, 100)],
        )
        forest = {"land_class": "0301", "area_m2": 5_000.00, "land_ownership": "10", "tree_ownership": "1"}
        write_rows(
            layout,
            "forest",
            [
                {"parcel_id": "F9", "region_code": "140106", **forest},
                {"parcel_id": "F1", "region_code": COUNTY, **forest},
            ],
            [square(1000, 0, 50, 100), square(50, 0, 50, 100)],
        )
        result = run_overlay(layout, inputs, YEAR, 0.01, parallel=parallel)
        assert result.counties == [COUNTY, "140106"] and result.parcels == 2 and result.linked_rows == {"forest": 2}
        found[parallel] = [
            duckdb.sql(f"SELECT * FROM read_parquet('{layout.overlay}/{name}') ORDER BY ALL").fetchall()
            for name in ("zone_areas/*.parquet", "pieces.parquet", "links/forest/*.parquet")
        ]
    assert found[True] == found[False]
    zone_areas, pieces, _ = found[True]
    assert [(r[0], r[4]) for r in zone_areas] == [("P1", Decimal("5000.00")), ("Q1", Decimal("5000.00"))]
    assert [(r[3], r[4], r[5], r[8]) for r in pieces] == [
        ("F1", "P1", Decimal("5000.00"), None),
        ("F9", "Q1", Decimal("5000.00"), None),
    ]


def test_a_price_shapefile_with_gbk_text_and_no_cpg_reads_its_chinese_fields(tmp_path):
    from assets_pipeline.spatial.control_layers import price_levels, read_polygons

    path = tmp_path / "价格级别.shp"
    wkb = pa.array(shapely.to_wkb(np.array([square(0, 0, 10), square(10, 0, 10)], dtype=object)), pa.binary())
    table = pa.table({"级别代码": ["商一", "工二"], "用途": ["商服", "工业"], "geometry": wkb})
    pyogrio.write_arrow(
        table,
        path,
        driver="ESRI Shapefile",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=f"EPSG:{EPSG}",
        encoding="GBK",
    )
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as many counties deliver it: GBK text, no .cpg
    assert "商服".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    layer = read_polygons(path)
    zones, uses = price_levels(layer)
    assert zones.tolist() == ["商一", "工二"] and uses.tolist() == ["commercial", "industrial"]
    assert len(layer.sha256) == 64 and layer.crs.to_epsg() == EPSG


def test_zone_layers_are_found_by_content_a_filegdb_folder_and_a_shapefile_set_one_delivery_each(tmp_path):
    from assets_pipeline.spatial.control_layers import read_polygons, zone_files

    zones = tmp_path / str(YEAR) / "zones"
    zones.mkdir(parents=True)
    wkb = pa.array(shapely.to_wkb(np.array([square(0, 0, 10)], dtype=object)), pa.binary())
    pyogrio.write_arrow(
        pa.table({"name": ["核心区"], "geometry": wkb}),
        zones / "自然保护地核心区.gdb",
        driver="OpenFileGDB",
        layer="core",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=f"EPSG:{EPSG}",
    )
    pyogrio.write_arrow(
        pa.table({"name": ["城镇"], "geometry": wkb}),
        zones / "urban_boundary.shp",
        driver="ESRI Shapefile",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=f"EPSG:{EPSG}",
    )
    (zones / "README.txt").write_text("notes beside the layers are no layers")
    found = zone_files(tmp_path, YEAR)
    assert {z: p.name for z, p in found.items()} == {"core": "自然保护地核心区.gdb", "urban": "urban_boundary.shp"}
    assert shapely.area(read_polygons(found["core"]).geometry).tolist() == [100.0]


def test_the_checks_see_a_written_file_that_does_not_add_up(county, tmp_path):
    """The checks read the files, not the run's figures: a piece altered on disk is caught."""
    import shutil

    layout, _, _ = county
    copy = YearLayout(tmp_path / "out", YEAR)
    shutil.copytree(layout.stages, copy.stages)
    pieces = pq.read_table(copy.overlay / "pieces.parquet")
    area = pieces.column("piece_area_m2").to_pylist()
    area[0] += Decimal("0.01")
    pq.write_table(
        pieces.set_column(5, "piece_area_m2", pa.array(area, pieces.schema.field(5).type)),
        copy.overlay / "pieces.parquet",
    )
    assert overlay_figures(copy).rows_not_adding_up == 1


def test_the_checks_see_rows_the_overlay_did_not_write(county, tmp_path):
    """The checks start from the rows the overlay had to measure: a row whose pieces, or a parcel whose zone areas,
    are missing from the written files is caught (a lost part would otherwise pass unseen)."""
    import shutil

    layout, _, _ = county
    copy = YearLayout(tmp_path / "out", YEAR)
    shutil.copytree(layout.stages, copy.stages)
    pieces = pq.read_table(copy.overlay / "pieces.parquet")
    first = pieces.column("_row_id")[0].as_py()
    kept = pieces.filter(pa.compute.not_equal(pieces.column("_row_id"), first))
    pq.write_table(kept, copy.overlay / "pieces.parquet")
    for part in (copy.overlay / "zone_areas").glob("*.parquet"):
        areas = pq.read_table(part)
        pq.write_table(areas.slice(1), part)
    figures = overlay_figures(copy)
    assert figures.rows_not_adding_up == 1 and figures.parcels_not_adding_up >= 1

"""A county's land survey or inventory delivered as a layer (DOMAIN §6): read wherever a table is, into the same
ingested columns, its polygons beside the rows, its faults rejected or repaired, its coordinate system checked;
tables read exactly as before."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyproj
import pytest
import shapely
from openpyxl import load_workbook

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json
from assets_pipeline.ingest.canonical import ingest_category, ingested_schema
from assets_pipeline.ingest.delivered import discover_files
from assets_pipeline.publish.county_packs import PROBLEM_HEADER, ROW_HEADER, write_county_packs
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.schema.categories import CATEGORIES, SPECS
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from layer_builders import bowtie, square, write_layer
from mini_province import write_mini_province
from stages import snapshot_reference

YEAR = 2023
# 50 km west of the 114°E meridian at about 37.8°N (Taiyuan's latitude): zone 38 of CGCS2000, EPSG:4547
X0, Y0 = 450000.0, 4190000.0
LAND = {
    "BSM": ["1401050000000001", "1401050000000002", "1401050000000003"],
    "XZQDM": ["140105", "140105", "140105"],
    "DLBM": ["0103", "0301", "0701"],
    "QSXZ": ["10", "10", "20"],
}
PARCELS = [square(X0, Y0), square(X0 + 200, Y0, 60), square(X0 + 300, Y0, 20)]  # 10,000, 3,600 and 400 m²


@pytest.fixture(scope="module")
def codes():
    return CodeLists.from_reference(load_reference())


def land_file(root: Path, name: str) -> Path:
    return root / "in" / str(YEAR) / "land" / name


def ingest(root: Path, category: str = "land", **options):
    layout = YearLayout(root / "out", YEAR)
    result = ingest_category(category, root / "in", YEAR, layout.ingested(category), parallel=False, **options)
    return result, layout


def rows_of(layout: YearLayout, category: str = "land") -> pd.DataFrame:
    return pq.read_table(layout.ingested(category)).to_pandas()


def test_a_geopackage_survey_is_ingested_in_the_tables_columns_with_its_polygons_beside(tmp_path):
    write_layer(land_file(tmp_path, "140105.gpkg"), {**LAND, "TBMJ": [10000.5, 3600.0, 400.0]}, PARCELS)
    result, layout = ingest(tmp_path)
    assert pq.read_schema(layout.ingested("land") / "part-00000.parquet").remove_metadata() == ingested_schema(
        SPECS["land"]
    )
    rows = rows_of(layout)
    assert rows["parcel_id"].tolist() == LAND["BSM"]
    assert rows["area_m2"].tolist() == [10000.5, 3600.0, 400.0]  # the delivered TBMJ, not the polygon's area
    assert rows["_source_row"].tolist() == [1, 2, 3]  # feature numbers in the layer
    assert rows["_source_file"].tolist() == ["land/140105.gpkg"] * 3
    geometry = pq.read_table(layout.geometry("land") / "part-00000.parquet").to_pandas()
    assert geometry["_row_id"].tolist() == rows["_row_id"].tolist()
    assert geometry["epsg"].tolist() == [4547] * 3
    assert geometry["geometry_area_m2"].tolist() == [10000.0, 3600.0, 400.0]
    assert shapely.equals(shapely.from_wkb(geometry["geometry"]), PARCELS).all()
    record = result.files_metadata()[0]
    assert (record["format"], record["layer"], record["crs"], record["projected_epsg"]) == (
        "gpkg",
        "DLTB",
        "EPSG:4547",
        4547,
    )
    assert "area_source" not in record or record["area_source"] is None
    assert not (layout.geometry("land") / "repairs-00000.parquet").exists()


def test_a_geographic_cgcs2000_layer_is_measured_in_its_gauss_kruger_zone(tmp_path):
    """The same parcels delivered in EPSG:4547 and in geographic CGCS2000 (EPSG:4490), without an area field:
    their areas agree within 0.01 %, and the projected delivery's are the squares' own, to the cent."""
    to_degrees = pyproj.Transformer.from_crs(4547, 4490, always_xy=True)
    in_degrees = shapely.transform(
        np.array(PARCELS), lambda xy: np.column_stack(to_degrees.transform(xy[:, 0], xy[:, 1]))
    )
    write_layer(tmp_path / "a" / "in" / str(YEAR) / "land.gpkg", LAND, PARCELS, crs="EPSG:4547")
    write_layer(tmp_path / "b" / "in" / str(YEAR) / "land.gpkg", LAND, list(in_degrees), crs="EPSG:4490")
    projected, layout_a = ingest(tmp_path / "a")
    geographic, layout_b = ingest(tmp_path / "b")
    assert rows_of(layout_a)["area_m2"].tolist() == [10000.0, 3600.0, 400.0]
    areas = np.array(rows_of(layout_b)["area_m2"])
    assert (np.abs(areas - [10000.0, 3600.0, 400.0]) / [10000.0, 3600.0, 400.0] < 1e-4).all()
    record = geographic.files_metadata()[0]
    assert (record["crs"], record["projected_epsg"], record["area_source"]) == ("EPSG:4490", 4547, "geometry")
    assert projected.files_metadata()[0]["area_source"] == "geometry"
    assert pq.read_table(layout_b.geometry("land"))["epsg"].to_pylist() == [4547] * 3


def test_a_layer_without_coordinate_system_is_refused_unless_declared(tmp_path):
    write_layer(land_file(tmp_path, "140105.shp"), LAND, PARCELS, "shapefile", crs=None, encoding="GBK")
    with pytest.raises(InputFileError) as refused:
        ingest(tmp_path)
    assert "has no coordinate system (.prj missing or empty)" in str(refused.value) and "缺少坐标系" in str(
        refused.value
    )
    result, layout = ingest(tmp_path, crs="EPSG:4547")
    assert result.files_metadata()[0]["crs"] == "EPSG:4547 (declared, --crs)"
    assert rows_of(layout)["area_m2"].tolist() == [10000.0, 3600.0, 400.0]


def test_a_wgs84_layer_is_refused_naming_its_datum(tmp_path):
    write_layer(land_file(tmp_path, "140105.gpkg"), LAND, [square(113.4, 37.8, 0.001)] * 3, crs="EPSG:4326")
    with pytest.raises(InputFileError, match="WGS 84.*not CGCS2000"):
        ingest(tmp_path, crs="EPSG:4547")  # a declared system never overrides the layer's own


def test_a_geopackage_of_two_layers_is_refused_listing_them_or_read_with_layer(tmp_path):
    path = write_layer(land_file(tmp_path, "140105.gpkg"), LAND, PARCELS, layer="survey_2023")
    write_layer(path, {k: v[:1] for k, v in LAND.items()}, PARCELS[:1], layer="survey_2022", append=True)
    with pytest.raises(InputFileError, match=r"holds 2 layers \(survey_2023, survey_2022\)"):
        ingest(tmp_path)
    result, layout = ingest(tmp_path, layer="survey_2023")
    assert len(rows_of(layout)) == 3 and result.files_metadata()[0]["layer"] == "survey_2023"


def test_a_filegdb_folder_and_a_geoparquet_are_each_one_delivery(tmp_path):
    gdb = write_layer(land_file(tmp_path, "140105.gdb"), {k: v[:2] for k, v in LAND.items()}, PARCELS[:2], "filegdb")
    more = {"BSM": ["1401060000000001"], "XZQDM": ["140106"], "DLBM": ["0103"], "QSXZ": ["10"]}
    write_layer(land_file(tmp_path, "140106.parquet"), more, [square(X0, Y0 + 500, 30)], "geoparquet")
    assert discover_files(tmp_path / "in", YEAR, "land") == [gdb, land_file(tmp_path, "140106.parquet")]
    result, layout = ingest(tmp_path)
    assert [(f["relative"], f["format"], f["rows"]) for f in result.files_metadata()] == [
        ("land/140105.gdb", "filegdb", 2),
        ("land/140106.parquet", "geoparquet", 1),
    ]
    assert rows_of(layout)["area_m2"].tolist() == [10000.0, 3600.0, 900.0]
    # the folder's hash is that of the sha256sum listing of its files, in name order
    listing = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(gdb.iterdir(), key=lambda p: p.name)
    )
    assert result.files_metadata()[0]["sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    assert result.files_metadata()[0]["size_bytes"] == sum(p.stat().st_size for p in gdb.iterdir())


def test_a_gbk_shapefile_without_cpg_maps_its_chinese_fields(tmp_path):
    chinese = {"标识码": LAND["BSM"], "行政区代码": LAND["XZQDM"], "地类编码": LAND["DLBM"], "权属性质": LAND["QSXZ"]}
    path = write_layer(land_file(tmp_path, "140105_小店区.shp"), chinese, PARCELS, "shapefile", encoding="GBK")
    path.with_suffix(".cpg").unlink()
    assert discover_files(tmp_path / "in", YEAR, "land") == [path]  # the .dbf, .shx, .prj are part of it
    result, layout = ingest(tmp_path)
    record = result.files_metadata()[0]
    assert record["encoding"] == "GBK" and record["format"] == "shapefile"
    assert record["header_map"] == {
        "标识码": "parcel_id",
        "行政区代码": "region_code",
        "地类编码": "land_class",
        "权属性质": "ownership",
        "area_m2(m2)": "area_m2",
    }
    assert rows_of(layout)["ownership"].tolist() == ["10", "10", "20"]


def test_a_shapefile_without_its_dbf_is_refused_naming_it(tmp_path):
    path = write_layer(land_file(tmp_path, "140105.shp"), LAND, PARCELS, "shapefile", encoding="GBK")
    path.with_suffix(".dbf").unlink()
    with pytest.raises(InputFileError, match=r"land/140105\.shp: a Shapefile without 140105\.dbf beside it"):
        ingest(tmp_path)


def test_an_empty_geometry_is_rejected_with_file_and_feature_and_a_bowtie_repaired(tmp_path, codes):
    shapes = [square(X0, Y0), shapely.Polygon(), bowtie(X0 + 200, Y0)]
    write_layer(land_file(tmp_path, "140105.gpkg"), {**LAND, "TBMJ": [10000.0, 50.0, 5000.0]}, shapes)
    result, layout = ingest(tmp_path)
    assert (result.files[0].geometry_faults, result.files[0].geometry_repaired) == (1, 1)
    validate_category("land", layout, codes)
    lines = pd.read_parquet(layout.reject_lines("land"))
    line = lines.iloc[0]
    assert len(lines) == 1
    assert (line.source_file, line.source_row, line.column, line.rule, line.check) == (
        "land/140105.gpkg",
        2,
        "geometry",
        "geometry",
        "geometry_empty",
    )
    assert (
        line.message
        == "图形：图斑没有可用的面图形，请补绘图形（图形为空） / geometry: the feature has no usable polygon; draw it again (empty geometry)"
    )
    assert sorted(pd.read_parquet(layout.validated("land"))["parcel_id"]) == [LAND["BSM"][0], LAND["BSM"][2]]
    repairs = pd.read_parquet(layout.geometry("land") / "repairs-00000.parquet")
    assert repairs[["_source_file", "_source_row", "area_before_m2", "area_after_m2"]].values.tolist() == [
        ["land/140105.gpkg", 3, 0.0, 5000.0]
    ]
    assert repairs["problem"][0].startswith("Self-intersection")
    geometry = pq.read_table(layout.geometry("land") / "part-00000.parquet").to_pandas()
    assert geometry["geometry_area_m2"].tolist() == [10000.0, 5000.0]  # the empty feature has no polygon row


def test_a_layer_with_no_polygon_and_no_area_field_is_rejected_for_its_geometry(tmp_path, codes):
    write_layer(land_file(tmp_path, "140105.gpkg"), LAND, [None, PARCELS[1], PARCELS[2]])
    _, layout = ingest(tmp_path)
    validate_category("land", layout, codes)
    lines = pd.read_parquet(layout.reject_lines("land"))
    assert set(zip(lines["source_row"], lines["column"], lines["check"], strict=True)) == {
        (1, "geometry", "geometry_missing"),
        (1, "area_m2", "not_nullable"),  # no polygon, no area to take from it
    }


def test_an_inventory_layer_is_read_from_its_named_layer(tmp_path):
    forest = {
        "标识码": ["F0001"],
        "国土调查图斑标识码": ["1401050000000002"],
        "行政区代码": ["140105"],
        "地类编码": ["0301"],
        "权属性质": ["10"],
        "林木所有权": ["1"],
        "林种": ["1"],
        "起源": ["1"],
        "优势树种": ["200"],
        "龄组": ["4"],
        "蓄积": [150.5],
    }
    path = write_layer(tmp_path / "in" / str(YEAR) / "forest.gpkg", forest, PARCELS[1:2], layer="SLZYZC")
    write_layer(path, LAND, PARCELS, layer="DLTB", append=True)
    result, layout = ingest(tmp_path, "forest")
    assert result.files_metadata()[0]["layer"] == "SLZYZC"
    assert rows_of(layout, "forest")[["parcel_id", "area_m2"]].values.tolist() == [["F0001", 3600.0]]


def test_a_category_delivered_again_as_tables_loses_its_old_polygons(tmp_path):
    path = write_layer(land_file(tmp_path, "140105.gpkg"), LAND, PARCELS)
    _, layout = ingest(tmp_path)
    assert layout.geometry("land").is_dir()
    path.unlink()
    land_file(tmp_path, "140105.csv").write_text("BSM,XZQDM,DLBM,TBMJ,QSXZ\n1401050000000001,140105,0103,10,10\n")
    ingest(tmp_path)
    assert not layout.geometry("land").exists()


# The mini province's ingested parts as ingest wrote them before layer deliveries were read (SHA-256); the land
# parts since they gained the core-zone and urban-boundary areas (two columns, empty in this delivery).
TABLE_PARTS = {
    "forest/part-00000.parquet": "9fc161762ee09ccec9c99e87ca8449a1a86109579a89bb50364c2b6e2c2112df",
    "grassland/part-00000.parquet": "96074224ce01805b2a4a74ce9058922bf1f2ccecdedc8abbe7972e978511165e",
    "land/part-00000.parquet": "92dcc94ff456618df69d96238155040bab48f70801c89b7f449a3c9c786bdfa9",
    "land/part-00001.parquet": "9529c371c93ecd25ba81b0c194cb9f3fadc520cae2740841608d763bea8d8980",
    "land/unparsed-00000.parquet": "1b49b2fce10700007c88e9e9e228a160dae2c59e816acc7a60f6311d549bcdd6",
    "minerals/part-00000.parquet": "d3a6602e3fb26275d8f040e0895dd7c50d043b16388d247600bdd43b36bafa76",
    "water/part-00000.parquet": "0c0589c6139ca0e698a0bd1306b5ebee4e5b67096a8774262b13aa9e0b11745c",
    "wetland/part-00000.parquet": "6e707dd2d92ea0b73e773cff3e11fd4ed2b18a79ef3c905371cd057f19ead2e9",
}


def test_table_deliveries_are_ingested_byte_for_byte_as_before(tmp_path):
    inputs = write_mini_province(tmp_path / "in")
    layout = YearLayout(tmp_path / "out", YEAR)
    records = {}
    for category in CATEGORIES:
        result = ingest_category(category, inputs, YEAR, layout.ingested(category), parallel=False)
        records[category] = json.dumps(result.files_metadata(), ensure_ascii=False)
    stage = layout.stages / "ingested"
    written = {
        p.relative_to(stage).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in stage.rglob("*")
        if p.is_file()
    }
    assert written == TABLE_PARTS
    assert not (layout.stages / "geometry").exists()
    assert all(f'"{name}"' not in text for text in records.values() for name in ("layer", "crs", "projected_epsg"))
    shutil.rmtree(tmp_path / "out")


def test_the_county_pack_shows_a_layers_features_by_number_with_the_geometry_reason(tmp_path, codes):
    fields = {**LAND, "DLBM": ["0103", "0199", "0701"]}  # feature 2: a land class not in the code list
    write_layer(land_file(tmp_path, "140105.gpkg"), fields, [PARCELS[0], PARCELS[1], None])
    result, layout = ingest(tmp_path)
    snapshot_reference(layout)
    write_json({"files": result.files_metadata(), "rows": result.rows}, layout.record("ingested", "land"))
    validate_category("land", layout, codes)
    pack = write_county_packs(layout, tmp_path / "in")["140105"]
    ws = load_workbook(pack)["土地 140105.gpkg"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["BSM", "XZQDM", "DLBM", "QSXZ", ROW_HEADER, PROBLEM_HEADER]
    assert [r[:5] for r in rows[1:]] == [
        ["1401050000000002", "140105", "0199", "10", 2],
        ["1401050000000003", "140105", "0701", "20", 3],
    ]
    assert "图形：图斑没有可用的面图形，请补绘图形后重新报送" in rows[2][5]

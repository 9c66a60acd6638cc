"""Layer deliveries read by content (DOMAIN §6): each format, the layer chosen, the Shapefile's text encoding,
coordinate systems as delivered, and the geometry faults repaired or marked."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.delivered import sha256_of
from assets_pipeline.spatial.layers import (
    choose_layer,
    delivery_members,
    is_layer_delivery,
    layer_crs,
    layer_names,
    read_layer,
    shapefile_encoding,
)
from assets_pipeline.spatial.repair import clean_polygons
from layer_builders import bowtie, square, write_layer

FIELDS = {"BSM": ["1401050000000001", "1401050000000002", "1401050000000003"], "TBMJ": [10000.0, 2500.0, 400.0]}
SHAPES = [square(500000, 4000000), square(500200, 4000000, 50), square(500300, 4000000, 20)]


@pytest.mark.parametrize("fmt", ["gpkg", "shapefile", "filegdb", "geoparquet"])
def test_each_format_is_read_in_batches_numbered_from_one(tmp_path, fmt):
    suffix = {"gpkg": ".gpkg", "shapefile": ".shp", "filegdb": ".gdb", "geoparquet": ".parquet"}[fmt]
    path = write_layer(tmp_path / f"140105{suffix}", FIELDS, SHAPES, fmt=fmt)
    assert is_layer_delivery(path)
    [name] = layer_names(path)
    assert layer_crs(path, name).to_epsg() == 4547
    chunks = list(read_layer(path, name, batch_rows=2))
    assert [c.first_row for c in chunks] == [1, 3]
    assert pa.concat_tables([c.attributes for c in chunks]).to_pydict() == FIELDS
    # 100 m × 100 m, 50 m × 50 m, 20 m × 20 m squares, whichever way round the format stores their rings
    assert shapely.area(np.concatenate([c.geometry for c in chunks])).tolist() == [10000.0, 2500.0, 400.0]


def test_a_shapefile_dbf_without_cpg_is_read_as_gbk(tmp_path):
    path = write_layer(
        tmp_path / "140105.shp", {"权属性质": ["10"], "ZLDWMC": ["小店区"]}, SHAPES[:1], "shapefile", encoding="GBK"
    )
    (tmp_path / "140105.cpg").unlink()
    assert "权属性质".encode("gbk") in (tmp_path / "140105.dbf").read_bytes()  # the bytes are GBK, nothing says so
    assert shapefile_encoding(path) == "GBK"
    [chunk] = read_layer(path)
    assert chunk.attributes.to_pydict() == {"权属性质": ["10"], "ZLDWMC": ["小店区"]}


@pytest.mark.parametrize("written, said, read_as", [("UTF-8", "UTF-8", "UTF-8"), ("GBK", "ANSI 936", "GBK")])
def test_a_cpg_naming_the_encoding_is_honoured(tmp_path, written, said, read_as):
    path = write_layer(tmp_path / "140105.shp", {"ZLDWMC": ["迎泽区"]}, SHAPES[:1], "shapefile", encoding=written)
    (tmp_path / "140105.cpg").write_text(said)
    assert shapefile_encoding(path) == read_as
    assert next(read_layer(path)).attributes.column("ZLDWMC").to_pylist() == ["迎泽区"]


def test_a_geopackage_with_two_layers_none_named_for_the_category_is_refused_listing_both(tmp_path):
    path = write_layer(tmp_path / "140105.gpkg", FIELDS, SHAPES, layer="parcels_a")
    write_layer(path, FIELDS, SHAPES, layer="parcels_b", append=True)
    with pytest.raises(InputFileError) as refused:
        choose_layer(path, "land", None)
    assert "holds 2 layers (parcels_a, parcels_b)" in str(refused.value)
    assert "DLTB / 地类图斑 / LAND" in str(refused.value) and "--layer" in str(refused.value)
    assert choose_layer(path, "land", "PARCELS_B") == "parcels_b"  # the run's --layer, in any case
    with pytest.raises(InputFileError, match="it has no layer 'dltb'"):
        choose_layer(path, "land", "dltb")
    write_layer(path, FIELDS, SHAPES, layer="dltb", append=True)
    assert choose_layer(path, "land", "parcels_b") == "dltb"  # the layer named for the category comes first
    assert choose_layer(path, "forest", "parcels_b") == "parcels_b"


def test_layers_are_recognised_by_content_not_name(tmp_path):
    with sqlite3.connect(tmp_path / "plain.gpkg") as con:  # a SQLite database that is no GeoPackage
        con.execute("CREATE TABLE dltb (BSM TEXT)")
    assert not is_layer_delivery(tmp_path / "plain.gpkg")
    renamed = write_layer(tmp_path / "140105.gpkg", FIELDS, SHAPES).rename(tmp_path / "140105.csv")
    assert is_layer_delivery(renamed)
    (tmp_path / "empty.gdb").mkdir()
    assert not is_layer_delivery(tmp_path / "empty.gdb")
    table = write_layer(tmp_path / "t.parquet", FIELDS, SHAPES, "geoparquet")
    pq.write_table(pa.table(FIELDS), tmp_path / "plain.parquet")
    assert is_layer_delivery(table) and not is_layer_delivery(tmp_path / "plain.parquet")


def test_a_geoparquet_without_crs_carries_no_coordinate_system(tmp_path):
    path = write_layer(tmp_path / "140105.parquet", FIELDS, SHAPES, "geoparquet", crs=None)
    assert layer_crs(path, "140105") is None


def test_a_shapefile_set_is_hashed_as_sha256sum_lists_its_files(tmp_path):
    path = write_layer(tmp_path / "140105.shp", FIELDS, SHAPES, "shapefile", encoding="GBK")
    (tmp_path / "other.csv").write_text("not part of the set")
    members = delivery_members(path)
    assert [m.name for m in members] == ["140105.cpg", "140105.dbf", "140105.prj", "140105.shp", "140105.shx"]
    listing = "".join(f"{hashlib.sha256(m.read_bytes()).hexdigest()}  {m.name}\n" for m in members)
    assert sha256_of(path) == hashlib.sha256(listing.encode()).hexdigest()


def test_missing_and_empty_geometries_are_marked_and_a_bowtie_repaired():
    shapes = np.array([square(0, 0), None, shapely.Polygon(), bowtie(0, 0), shapely.Point(5, 5)], dtype=object)
    clean = clean_polygons(shapes)
    assert clean.fault.tolist() == [None, "geometry_missing", "geometry_empty", None, "geometry_not_polygon"]
    assert clean.repaired.tolist() == [False, False, False, True, False]
    assert clean.problem[3].startswith("Self-intersection")
    # the bow-tie's two triangles of 100 × 50 / 2 = 2,500 m² each: 0 m² as drawn (they cancel), 5,000 m² repaired
    assert clean.area_before[3] == 0.0
    assert shapely.area(clean.geometry[3]) == 5000.0
    assert shapely.get_type_id(clean.geometry[3]) == 6  # a MultiPolygon of the two triangles
    assert [g is None for g in clean.geometry] == [False, True, True, False, True]


def test_a_layer_of_arcs_is_refused_with_what_to_do(tmp_path):
    import struct

    arc = b"\x01" + struct.pack("<II", 8, 3) + struct.pack("<6d", 0, 0, 1, 1, 2, 0)  # a CircularString as WKB
    column = {"encoding": "WKB"}
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
    table = pa.table({"BSM": ["1"], "geometry": pa.array([arc], pa.binary())})
    pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), tmp_path / "arcs.parquet")
    with pytest.raises(InputFileError, match="curved geometries"):
        list(read_layer(tmp_path / "arcs.parquet"))

"""Layers handed back (DOMAIN §6): the counties' GeoPackages and FileGDBs and the province's GeoParquet, read back
with pyogrio and pyarrow against the valued rows and the hand-made shapes of ``spatial_year.py``."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import pytest
import shapely

from assets_pipeline.publish.layer_geometry import province_epsg
from assets_pipeline.publish.layers import PARCELS_LAYER, PIECES_LAYER, geoparquet_path, write_layers
from spatial_year import EPSG, F1, F2, L1, L2, L3, XD, YZ, write_spatial_year

D = Decimal


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    layout = write_spatial_year(tmp_path_factory.mktemp("layers") / "out")
    return layout, write_layers(layout, None)


def _read(path, layer):
    meta, table = pyogrio.read_arrow(path, layer=layer)
    shapes = shapely.from_wkb(table.column(meta["geometry_name"] or "wkb_geometry").to_numpy(zero_copy_only=False))
    rows = table.drop_columns([meta["geometry_name"] or "wkb_geometry"]).to_pylist()
    return meta, rows, shapes


def _by_parcel(rows, shapes):
    return {(r["category"], r["parcel_id"]): (r, s) for r, s in zip(rows, shapes, strict=True)}


def _valued_rows(layout):
    """The valued rows of the mapped categories, as Parquet holds them, by (category, parcel)."""
    out = {}
    for category in ("land", "forest", "grassland"):
        for row in pq.read_table(layout.valued(category)).to_pylist():
            out.setdefault((category, row["parcel_id"]), []).append(row)
    return out


def test_one_geopackage_and_one_filegdb_per_county_beside_the_packs(written):
    layout, result = written
    folder = layout.root / "to_counties"
    assert [p.name for p in result.geopackages] == ["140105_小店区_图层_2023.gpkg", "140106_迎泽区_图层_2023.gpkg"]
    assert [p.name for p in result.filegdbs] == ["140105_小店区_图层_2023.gdb", "140106_迎泽区_图层_2023.gdb"]
    assert all(p.parent == folder and p.is_file() for p in result.geopackages)
    assert all(p.is_dir() and (p / "gdb").exists() for p in result.filegdbs)
    assert result.counties == [XD, YZ] and result.parcels == 5 and result.pieces == 3
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left
    for path in result.geopackages + result.filegdbs:
        assert sorted(pyogrio.list_layers(path)[:, 0].tolist()) == sorted([PARCELS_LAYER, PIECES_LAYER])


@pytest.mark.parametrize("kind", ["geopackages", "filegdbs"])
def test_valued_parcels_carry_the_valued_rows_figures_and_their_shapes(written, kind):
    layout, result = written
    valued = _valued_rows(layout)
    for path, county in zip(getattr(result, kind), (XD, YZ), strict=True):
        meta, rows, shapes = _read(path, PARCELS_LAYER)
        assert meta["crs"] == f"EPSG:{EPSG}"
        for (category, parcel), (row, shape) in _by_parcel(rows, shapes).items():
            parts = [r for r in valued[(category, parcel)] if r["status"] in ("valued", "unpriced")]
            assert all(r["region_code"] == county for r in parts)
            exact = sum((r["value_yuan"] for r in parts if r["status"] == "valued"), D(0))
            if any(r["status"] == "valued" for r in parts):
                assert D(str(row["value_yuan"])) == exact.quantize(D("0.01"))
                assert D(str(row["value_wan_yuan"])) == (exact / 10000).quantize(D("0.000001"))
            else:
                assert row["value_yuan"] is None and row["value_wan_yuan"] is None
            keys = [r["price_key"] for r in sorted(parts, key=lambda r: r["component"]) if r["price_key"]]
            assert (row["price_key"] or None) == (" | ".join(keys) or None)
            assert row["status"] == ";".join(sorted({r["status"] for r in parts}))
            assert row["base_parcel_id"] == parts[0]["base_parcel_id"]
            assert D(str(row["area_m2"])) == parts[0]["area_m2"]
            assert row["consistency_findings"] == parts[0]["consistency_findings"]
            assert shapely.area(shape) == pytest.approx(row["geometry_area_m2"], abs=1e-6)
    # by hand: the forest parcel's two components, the row added from the base map on L3's shape, the shares
    _, rows, shapes = _read(getattr(result, kind)[0], PARCELS_LAYER)
    f1, f1_shape = _by_parcel(rows, shapes)[("forest", "F0001")]
    assert (f1["value_yuan"], f1["components"]) == (173221.5, "land;trees")
    assert f1["price_key"] == "region=140000 class=0301 grade= | region=140000 group=pine origin=1 age=4"
    assert shapely.equals(f1_shape, F1)
    l1, l1_shape = _by_parcel(rows, shapes)[("land", "L1")]
    assert (l1["redline_share"], l1["farmland_share"], l1["core_share"], l1["urban_share"]) == (0.5, 1.0, 0.25, None)
    assert (l1["value_yuan"], l1["value_wan_yuan"], l1["source_file"], l1["source_row"]) == (
        116143.83,
        11.614383,
        "land/140105.gpkg",
        1,
    )
    assert shapely.equals(l1_shape, L1)
    assert ("land", "L2") not in _by_parcel(rows, shapes)  # excluded: valued through the forest row
    _, rows, shapes = _read(getattr(result, kind)[1], PARCELS_LAYER)
    grass, grass_shape = _by_parcel(rows, shapes)[("grassland", "L3-G")]
    assert grass["value_yuan"] == 57375.0 and grass["row_id"] is None and shapely.equals(grass_shape, L3)
    assert _by_parcel(rows, shapes)[("land", "L3")][0]["row_id"] == 4294967296


@pytest.mark.parametrize("kind", ["geopackages", "filegdbs"])
def test_inconsistent_pieces_are_cut_from_the_inventory_and_base_shapes(written, kind):
    _, result = written
    _, rows, shapes = _read(getattr(result, kind)[0], PIECES_LAYER)
    got = {(r["parcel_id"], r["base_parcel_id"], r["finding_type"]): (r, s) for r, s in zip(rows, shapes, strict=True)}
    assert set(got) == {
        ("F0001", None, "missing_base"),
        ("F0002", "L1", "class_mismatch"),
        ("F0002", None, "missing_base"),
    }
    expected = {
        ("F0001", None, "missing_base"): shapely.difference(F1, L2),  # the east half, outside every base parcel
        ("F0002", "L1", "class_mismatch"): shapely.intersection(F2, L1),  # the half on 0103 cropland
        ("F0002", None, "missing_base"): shapely.difference(F2, L1),
    }
    for key, (row, shape) in got.items():
        assert shapely.equals(shape, expected[key])
        assert shapely.area(shape) == row["geometry_area_m2"] == row["piece_area_m2"] == 5000.0
        assert row["category"] == "forest" and row["inventory_land_class"] == "0301"
    assert got[("F0002", "L1", "class_mismatch")][0]["finding_zh"] == "地类不一致"
    assert got[("F0002", "L1", "class_mismatch")][0]["base_land_class"] == "0103"
    _, rows, _ = _read(getattr(result, kind)[1], PIECES_LAYER)
    assert rows == []


def test_geoparquet_of_every_valued_parcel_with_valid_geo_metadata(written):
    layout, result = written
    assert result.geoparquet == geoparquet_path(layout) == layout.root / "layers" / "valued_parcels.parquet"
    table = pq.read_table(result.geoparquet)
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["MultiPolygon"]
    assert pyproj.CRS.from_json_dict(column["crs"]).to_epsg() == EPSG == result.geoparquet_epsg
    shapes = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    assert shapely.get_type_id(shapes).tolist() == [6] * 5 and shapely.is_valid(shapes).all()
    rows = table.drop_columns(["geometry"]).to_pylist()
    assert sorted((r["region_code"], r["category"], r["parcel_id"]) for r in rows) == [
        (XD, "forest", "F0001"),
        (XD, "forest", "F0002"),
        (XD, "land", "L1"),
        (YZ, "grassland", "L3-G"),
        (YZ, "land", "L3"),
    ]
    assert np.allclose(shapely.area(shapes), table.column("geometry_area_m2").to_numpy())
    assert sum(r["value_yuan"] or 0 for r in rows) == pytest.approx(116143.83 + 173221.5 + 57375 + 1183790.87)


def test_counties_in_different_zones_share_a_geographic_geoparquet(tmp_path):
    """A province across two Gauss-Krüger zones: the province-wide file is in EPSG:4490, each feature keeps its
    zone and measured area, and its shape projected back to the zone is the delivered one."""
    assert province_epsg([4547, 4547]) == 4547 and province_epsg([4546, 4547]) == 4490
    layout = write_spatial_year(tmp_path / "out")
    part = layout.geometry("land") / "part-00001.parquet"
    table = pq.read_table(part)
    moved = shapely.transform(
        shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False)),
        lambda xy: np.column_stack(
            pyproj.Transformer.from_crs(4547, 4546, always_xy=True).transform(xy[:, 0], xy[:, 1])
        ),
    )
    table = table.set_column(1, "geometry", pa.array(shapely.to_wkb(moved), pa.binary()))
    table = table.set_column(2, "epsg", pa.array([4546], pa.int32()))
    pq.write_table(table, part)
    result = write_layers(layout, None)
    geo = json.loads(pq.read_schema(result.geoparquet).metadata[b"geo"])
    assert pyproj.CRS.from_json_dict(geo["columns"]["geometry"]["crs"]).to_epsg() == 4490 == result.geoparquet_epsg
    back = pq.read_table(result.geoparquet).to_pylist()
    l3 = next(r for r in back if r["parcel_id"] == "L3")
    assert l3["epsg"] == 4546 and l3["geometry_area_m2"] == pytest.approx(10000.0)
    to_zone = pyproj.Transformer.from_crs(4490, 4547, always_xy=True)
    shape = shapely.transform(
        shapely.from_wkb(l3["geometry"]), lambda xy: np.column_stack(to_zone.transform(xy[:, 0], xy[:, 1]))
    )
    assert shapely.area(shapely.symmetric_difference(shape, L3)) < 0.01


def test_a_year_of_tables_writes_no_layers_and_removes_old_ones(tmp_path):
    layout = write_spatial_year(tmp_path / "out")
    first = write_layers(layout, None)
    assert first.geopackages and first.geoparquet.exists()
    tables = write_spatial_year(tmp_path / "out", geometry=False)
    for category in ("land", "forest"):
        for part in layout.geometry(category).glob("*.parquet"):
            part.unlink()
    again = write_layers(tables, None)
    assert again.geopackages == [] and again.geoparquet is None
    assert not list((layout.root / "to_counties").glob("*图层*")) and not geoparquet_path(layout).exists()


def test_layers_without_overlay_pieces_hold_an_empty_pieces_layer(tmp_path):
    layout = write_spatial_year(tmp_path / "out", pieces=False)
    result = write_layers(layout, None)
    assert result.pieces == 0 and result.parcels == 5
    for path in result.geopackages + result.filegdbs:
        assert _read(path, PIECES_LAYER)[1] == []


def test_the_manifest_hashes_the_layers_and_maps_handed_back(tmp_path):
    from assets_pipeline.publish.manifest import published_files
    from assets_pipeline.publish.maps import draw_maps

    layout = write_spatial_year(tmp_path / "out")
    write_layers(layout, None)
    draw_maps(layout, None, "en")
    files = published_files(layout)
    assert "to_counties/140105_小店区_图层_2023.gpkg" in files
    assert "to_counties/140105_小店区_图层_2023.gdb/gdb" in files
    assert {"layers/valued_parcels.parquet", "maps/value_per_ha.png", "maps/inconsistent_area.png"} <= set(files)


def test_counties_written_in_worker_processes_give_the_same_files(tmp_path, monkeypatch):
    """The two counties written by two worker processes: the same GeoParquet, byte for byte, and the same layers
    in every GeoPackage and FileGDB as when one process writes them."""
    monkeypatch.setenv("NRLEDGER_WORKERS", "2")
    found = {}
    for parallel in (False, True):
        layout = write_spatial_year(tmp_path / f"out_{parallel}")
        result = write_layers(layout, None, parallel=parallel)
        assert result.counties == [XD, YZ] and result.parcels == 5 and result.pieces == 3
        layers = {
            (path.name, layer): pyogrio.read_arrow(path, layer=layer)[1]
            for path in result.geopackages + result.filegdbs
            for layer in (PARCELS_LAYER, PIECES_LAYER)
        }
        found[parallel] = (geoparquet_path(layout).read_bytes(), layers)
        assert not [p for p in layout.stages.iterdir() if p.name.startswith(".layers.")]  # the work folder removed
    assert found[True][0] == found[False][0]
    assert found[True][1].keys() == found[False][1].keys() and len(found[True][1]) == 8
    for key, table in found[False][1].items():
        assert found[True][1][key].equals(table), key

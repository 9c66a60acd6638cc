"""A year of layer deliveries through the real Dagster definitions (DOMAIN §6): the sample province with every
county delivering polygons (GeoPackage, Shapefile, FileGDB, GeoParquet), its zone and price layers, its planted
geometry faults; then the layers, GeoParquet and maps handed back, read back against the valued Parquet."""

import json
import zipfile
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from assets_pipeline.cli import main
from assets_pipeline.sample.generate import generate_sample

YEAR = 2023

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("spatial_e2e")
    generate_sample(root / "inputs", [YEAR], parcels=3000, seed=5, layers="all")
    code = main(["run", "--year", str(YEAR), "--input-dir", str(root / "inputs"), "--output-dir", str(root / "out")])
    assert code == 0
    return root


def planted(run) -> pd.DataFrame:
    return pd.read_csv(run / "inputs" / "_sample" / f"planted_geometry_{YEAR}.csv", dtype=str, keep_default_na=False)


def q(sql: str, **params):
    with duckdb.connect() as con:
        return con.execute(sql, params).fetchall()


def test_every_county_delivered_layers_and_the_overlay_wrote_its_tables(run):
    out = run / "out" / str(YEAR)
    record = json.loads((out / "_stages" / "records" / "ingested_land.json").read_text(encoding="utf-8"))
    formats = {f["format"] for f in record["files"]}
    assert formats == {"gpkg", "shapefile", "filegdb", "geoparquet"}
    overlay = out / "_stages" / "overlay"
    zones = q(
        "SELECT count(*), min(redline_share), max(redline_share), "
        "count(*) FILTER (WHERE redline_area_m2 > area_m2 OR redline_area_m2 < 0) FROM read_parquet($p)",
        p=str(overlay / "zone_areas" / "*.parquet"),
    )[0]
    assert zones[0] > 2000 and zones[1] >= 0 and zones[2] <= 1 and zones[3] == 0
    assert q("SELECT count(*) FROM read_parquet($p)", p=str(overlay / "overlaps.parquet"))[0][0] == 0
    # every row the overlay linked has its pieces, in every category of every county
    for category in ("forest", "grassland", "wetland"):
        linked = q("SELECT count(*) FROM read_parquet($p)", p=str(overlay / "links" / category / "*.parquet"))[0][0]
        pieced = q(
            "SELECT count(DISTINCT _row_id) FROM read_parquet($p) WHERE category = $c",
            p=str(overlay / "pieces.parquet"),
            c=category,
        )[0][0]
        assert linked > 0 and pieced == linked, category


def test_planted_geometry_faults_end_where_they_should(run):
    out = run / "out" / str(YEAR)
    faults = planted(run)
    empty = faults[faults["kind"] == "empty_geometry"].iloc[0]
    rejected = q(
        "SELECT rule, message_en FROM read_parquet($p) WHERE source_file = $f AND source_row = $r",
        p=str(out / "rejects.parquet"),
        f=empty["source_file"],
        r=int(empty["source_row"]),
    )
    assert rejected and rejected[0][0] == "geometry", rejected
    invalid = faults[faults["kind"] == "invalid_geometry"].iloc[0]
    repairs = q(
        "SELECT problem, area_after_m2 FROM read_parquet($p) WHERE _source_file = $f AND _source_row = $r",
        p=str(out / "_stages" / "geometry" / "land" / "repairs-*.parquet"),
        f=invalid["source_file"],
        r=int(invalid["source_row"]),
    )
    assert len(repairs) == 1 and "Self-intersection" in repairs[0][0] and repairs[0][1] > 0


def test_inventory_polygons_half_on_cropland_are_inconsistent_pieces_of_their_own_area(run):
    out = run / "out" / str(YEAR)
    faults = planted(run)
    # the sample delivers these polygons without their base parcel's id: the overlay cuts them
    on_cropland = faults[faults["kind"] == "inventory_on_0103"].drop_duplicates()
    assert len(on_cropland)
    pieces = pd.read_parquet(out / "_stages" / "overlay" / "pieces.parquet")
    kinds = []
    for _, fault in on_cropland.iterrows():
        rows = pieces[
            (pieces["category"] == fault["category"])
            & (pieces["source_file"] == fault["source_file"])
            & (pieces["source_row"] == int(fault["source_row"]))
        ]
        inconsistent = rows[rows["finding_type"].notna()]
        assert len(inconsistent) == 1
        found = inconsistent["finding_type"].iloc[0]
        # the half beside its own parcel lies on the 旱地 neighbour (or, where the polygon was pushed past the edge
        # of its county's block of parcels, on no base parcel at all: the geometry says which)
        assert found in ("class_mismatch", "missing_base")
        if found == "class_mismatch":
            assert inconsistent["base_land_class"].iloc[0].startswith("0103")
        kinds.append(found)
        # the pieces of the row add up to its area exactly (平差), and the one on its own parcel is what was drawn
        total = sum((Decimal(str(v)) for v in rows["piece_area_m2"]), Decimal(0))
        own = rows[rows["finding_type"].isna()]["piece_area_m2"].map(lambda v: Decimal(str(v))).sum()
        assert abs(float(own) - float(fault["computed_m2"])) <= 0.01 * float(total)
    assert kinds.count("class_mismatch") >= 0.9 * len(kinds)


def test_zone_figures_stated_off_are_findings(run):
    out = run / "out" / str(YEAR)
    off = planted(run)
    off = off[off["kind"] == "zone_figure_off"]
    tbmj = pq.read_table(out / "_stages" / "overlay" / "zone_areas").to_pandas().set_index("parcel_id")["area_m2"]
    # a stated figure is a finding when it is off by more than the tolerance, 1 % of the parcel's TBMJ
    beyond = off[
        (off["stated_m2"].astype(float) - off["computed_m2"].astype(float)).abs()
        > 0.01 * off["parcel_id"].map(tbmj).astype(float)
    ]
    found = pq.read_table(out / "_stages" / "overlay" / "zone_findings.parquet").to_pandas()
    assert len(beyond) and set(beyond["parcel_id"]) <= set(found["parcel_id"])


def test_county_layers_read_back_equal_the_valued_parquet(run):
    out = run / "out" / str(YEAR)
    packs = sorted((out / "to_counties").glob("*_图层_*.gpkg"))
    assert packs
    gpkg = packs[0]
    county = gpkg.name[:6]
    meta, table = pyogrio.read_arrow(gpkg, layer="valued_parcels")
    parcels = table.drop_columns([meta["geometry_name"]]).to_pandas()
    expected = q(
        "SELECT category, parcel_id, sum(value_yuan) FILTER (WHERE status = 'valued') FROM read_parquet($p, "
        "union_by_name = true) WHERE region_code = $c AND status IN ('valued', 'unpriced') GROUP BY ALL",
        p=[str(out / "valued" / f"{c}.parquet") for c in ("land", "forest", "grassland", "wetland")],
        c=county,
    )
    expected = {(c, p): (Decimal(0) if v is None else Decimal(v)).quantize(Decimal("0.01")) for c, p, v in expected}
    got = {
        (r.category, r.parcel_id): Decimal(str(0 if pd.isna(r.value_yuan) else r.value_yuan)).quantize(Decimal("0.01"))
        for r in parcels.itertuples()
    }
    assert got == expected
    # the FileGDB holds the same features with the same attributes
    gdb = gpkg.with_suffix(".gdb")
    gmeta, gtable = pyogrio.read_arrow(gdb, layer="valued_parcels")
    in_gdb = gtable.drop_columns([gmeta["geometry_name"]]).to_pandas()
    assert sorted(zip(in_gdb["category"], in_gdb["parcel_id"], strict=True)) == sorted(got)
    assert in_gdb["value_yuan"].fillna(0).sum() == pytest.approx(parcels["value_yuan"].fillna(0).sum(), abs=0.01)
    shapes = shapely.from_wkb(table.column(meta["geometry_name"]).to_numpy(zero_copy_only=False))
    assert shapely.is_valid(shapes).all() and (shapely.area(shapes) > 0).all()


def test_geoparquet_and_maps_are_there_and_in_the_report(run):
    out = run / "out" / str(YEAR)
    geo = pq.read_schema(out / "layers" / "valued_parcels.parquet").metadata[b"geo"]
    assert json.loads(geo)["columns"]["geometry"]["encoding"] == "WKB"
    for name in ("value_per_ha", "inconsistent_area"):
        png = (out / "maps" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    with zipfile.ZipFile(out / f"report_{YEAR}.xlsx") as book:
        images = [n for n in book.namelist() if n.startswith("xl/media/")]
    assert len(images) == 2

"""Benchmark of the overlay's zone shares (DOMAIN §6) against a bare floor and, optionally, GeoPandas.

N square parcels (50 m × 50 m, a grid) against one zone layer of 600 discs (seeded, overlapping, dissolved):

(a) floor: a bare shapely 2 STRtree query of the dissolved zone's parts + vectorised intersection area, summed
    per parcel — the least work that computes the shares, one thread;
(b) the pipeline: ``spatial.zones.zone_index`` (dissolve) and ``zone_shares`` (pieces, 平差 to each parcel's TBMJ
    in cents, shares at 10 decimals, delivered figures against the tolerance) and the output columns as decimals;
(s) with ``--stage``: the whole stage, ``spatial.overlay.run_overlay``, on the N parcels written as one county's
    validated rows and geometry side file, against five zone layers (the discs, shifted) and commercial price
    levels (four vertical bands): reading, zone shares, prices, overlaps and writing;
(c) with ``--geopandas``: ``geopandas.overlay(how="intersection")`` and a group-by, at ``--geopandas-parcels``
    (the plain way; slow, so at a smaller N by default).

    uv run --frozen python benchmarks/overlay_bench.py --parcels 1000000
    uv run --frozen python benchmarks/overlay_bench.py --parcels 1000000 --stage
    uv run --frozen --group bench python benchmarks/overlay_bench.py --parcels 100000 --geopandas

Prints the figures and the ratio (b)/(a); asserts nothing but that (a) and (b) agree on the area in the zone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import shapely

from assets_pipeline.spatial.adjust import to_cents, unscaled_decimal
from assets_pipeline.spatial.zones import union_parts, zone_index, zone_shares

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' reference snapshot helper

SIDE = 50.0
DISCS = 600


def parcels_grid(n: int) -> np.ndarray:
    """n squares of SIDE metres in a grid of ceil(√n) columns, in a Gauss-Krüger-like frame."""
    columns = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 500_000 + (i % columns) * SIDE
    y0 = 4_000_000 + (i // columns) * SIDE
    return shapely.box(x0, y0, x0 + SIDE, y0 + SIDE)


def discs(n: int, extent: float, seed: int = 16) -> np.ndarray:
    """600 discs (64-vertex polygons) scattered over the grid, radii 0.3 % … 1.2 % of its side (150 … 600 m at a
    million parcels), covering about a tenth of it, a few overlapping."""
    rng = np.random.default_rng(seed)
    centres = shapely.points(500_000 + rng.uniform(0, extent, DISCS), 4_000_000 + rng.uniform(0, extent, DISCS))
    return shapely.buffer(centres, rng.uniform(0.003, 0.012, DISCS) * extent, quad_segs=16)


def floor(parcels: np.ndarray, parts: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(parcels)
    part_i, parcel_i = tree.query(parts, predicate="intersects")
    area = shapely.area(shapely.intersection(parcels[parcel_i], parts[part_i]))
    return np.bincount(parcel_i, weights=area, minlength=len(parcels))


def pipeline(parcels: np.ndarray, area: np.ndarray, official: np.ndarray, zone: np.ndarray) -> np.ndarray:
    index = zone_index(zone)
    delivered = np.where(np.arange(len(parcels)) % 1000 == 0, 0.0, np.nan)  # a few delivered figures, some off
    shares = zone_shares(parcels, area, official, index, delivered, 0.01)
    unscaled_decimal(shares.area_cents, 2)
    unscaled_decimal(shares.share_units, 10)
    unscaled_decimal(shares.delivered_cents, 2, shares.delivered)
    return shares.area_cents


def geopandas_overlay(parcels: np.ndarray, zone: np.ndarray) -> float:
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"parcel": np.arange(len(parcels))}, geometry=parcels, crs="EPSG:4545")
    zones = gpd.GeoDataFrame({"zone": ["redline"]}, geometry=[shapely.union_all(zone)], crs="EPSG:4545")
    started = time.perf_counter()
    pieces = gpd.overlay(frame, zones, how="intersection")
    pieces.geometry.area.groupby(pieces["parcel"]).sum()
    return time.perf_counter() - started


def timed(work, *args):
    """The result, wall seconds and CPU seconds of the process (on a shared machine CPU time is the steadier)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def whole_stage(parcels: np.ndarray, zone: np.ndarray, work: Path) -> tuple[float, float, object]:
    """run_overlay over the parcels written as county 140105's validated land rows (class 05H1, TBMJ the drawn
    area) with their geometry, five zone layers and four commercial price levels as GeoParquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyproj

    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.schema.categories import SPECS
    from assets_pipeline.spatial.overlay import run_overlay
    from assets_pipeline.validate.rows import validated_schema
    from stages import snapshot_reference

    shutil.rmtree(work, ignore_errors=True)
    layout = YearLayout(work / "out", 2023)
    snapshot_reference(layout)
    n, schema = len(parcels), validated_schema(SPECS["land"])
    given = {
        "parcel_id": pa.array(np.char.add("P", np.arange(n).astype(str)).astype(object)),
        "region_code": pa.array(np.full(n, "140105", dtype=object)),
        "land_class": pa.array(np.full(n, "05H1", dtype=object)),
        "area_m2": pa.array(np.round(shapely.area(parcels), 2)),
        "ownership": pa.array(np.full(n, "10", dtype=object)),
        "_row_id": pa.array(np.arange(n, dtype=np.int64)),
        "_source_file": pa.array(np.full(n, "land.gpkg", dtype=object)),
        "_source_row": pa.array(np.arange(1, n + 1, dtype=np.int64)),
    }
    table = pa.table({f.name: given.get(f.name, pa.nulls(n, f.type)).cast(f.type) for f in schema}, schema=schema)
    layout.validated("land").mkdir(parents=True)
    pq.write_table(table, layout.validated("land") / "part-00000.parquet")
    layout.geometry("land").mkdir(parents=True)
    side = {
        "_row_id": given["_row_id"],
        "geometry": pa.array(shapely.to_wkb(parcels)),
        "epsg": pa.array(np.full(n, 4545, dtype=np.int32)),
        "geometry_area_m2": pa.array(shapely.area(parcels)),
    }
    pq.write_table(pa.table(side), layout.geometry("land") / "part-00000.parquet")
    inputs = work / "in" / "2023"
    crs = pyproj.CRS.from_epsg(4545).to_json_dict()
    for k, name in enumerate(("redline", "basic_farmland", "protected_area", "protected_core", "urban_boundary")):
        write_layer(
            inputs / "zones" / f"{name}.parquet", shapely.transform(zone, lambda xy, k=k: xy + 97.0 * k), {}, crs
        )
    x0, y0, x1, y1 = shapely.total_bounds(parcels)
    edges = np.linspace(x0, x1, 5)
    bands = shapely.box(edges[:-1], y0, edges[1:], y1)
    write_layer(
        inputs / "price_zones" / "levels.parquet", bands, {"JBDM": ["C1", "C2", "C3", "C4"], "YT": ["商服"] * 4}, crs
    )
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_overlay(layout, work / "in", 2023, 0.01)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def province_stage(n: int, counties: int, work: Path) -> tuple[float, float, int]:
    """The whole stage at province size: n squares in ``counties`` counties (one validated part and one geometry part
    per county, written county by county so this process never holds the province), the same five zones and four
    price levels over the whole extent; ``run_overlay`` then runs in a fresh process whose peak RSS (with its worker
    processes) is sampled. Returns wall seconds, CPU seconds of the tree, peak RSS in bytes."""

    import psutil
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyproj

    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.schema.categories import SPECS
    from assets_pipeline.validate.rows import validated_schema
    from stages import snapshot_reference

    shutil.rmtree(work, ignore_errors=True)
    layout = YearLayout(work / "out", 2023)
    snapshot_reference(layout)
    schema = validated_schema(SPECS["land"])
    layout.validated("land").mkdir(parents=True)
    layout.geometry("land").mkdir(parents=True)
    columns = int(np.ceil(np.sqrt(n)))
    bounds = np.linspace(0, n, counties + 1).astype(np.int64)
    for k in range(counties):  # a loop over the counties: each writes its own parts
        i = np.arange(bounds[k], bounds[k + 1])
        x0 = 500_000 + (i % columns) * SIDE
        y0 = 4_000_000 + (i // columns) * SIDE
        parcels = shapely.box(x0, y0, x0 + SIDE, y0 + SIDE)
        m = len(i)
        given = {
            "parcel_id": pa.array(np.char.add("P", i.astype(str)).astype(object)),
            "region_code": pa.array(np.full(m, f"14{k // 100 + 1:02d}{k % 100:02d}", dtype=object)),
            "land_class": pa.array(np.full(m, "05H1", dtype=object)),
            "area_m2": pa.array(np.round(shapely.area(parcels), 2)),
            "ownership": pa.array(np.full(m, "10", dtype=object)),
            "_row_id": pa.array(i.astype(np.int64)),
            "_source_file": pa.array(np.full(m, f"land/{k}.gpkg", dtype=object)),
            "_source_row": pa.array(i - bounds[k] + 1),
        }
        table = pa.table({f.name: given.get(f.name, pa.nulls(m, f.type)).cast(f.type) for f in schema}, schema=schema)
        pq.write_table(table, layout.validated("land") / f"part-{k:05d}.parquet")
        side = {
            "_row_id": given["_row_id"],
            "geometry": pa.array(shapely.to_wkb(parcels)),
            "epsg": pa.array(np.full(m, 4545, dtype=np.int32)),
            "geometry_area_m2": pa.array(shapely.area(parcels)),
        }
        pq.write_table(pa.table(side), layout.geometry("land") / f"part-{k:05d}.parquet")
    extent = columns * SIDE
    zone = discs(n, extent)
    inputs = work / "in" / "2023"
    crs = pyproj.CRS.from_epsg(4545).to_json_dict()
    for k, name in enumerate(("redline", "basic_farmland", "protected_area", "protected_core", "urban_boundary")):
        write_layer(
            inputs / "zones" / f"{name}.parquet", shapely.transform(zone, lambda xy, k=k: xy + 97.0 * k), {}, crs
        )
    edges = np.linspace(500_000, 500_000 + extent, 5)
    bands = shapely.box(edges[:-1], 4_000_000, edges[1:], 4_000_000 + extent)
    write_layer(
        inputs / "price_zones" / "levels.parquet", bands, {"JBDM": ["C1", "C2", "C3", "C4"], "YT": ["商服"] * 4}, crs
    )
    code = (
        "from pathlib import Path; from assets_pipeline.infra.layout import YearLayout; "
        "from assets_pipeline.spatial.overlay import run_overlay; "
        f"r = run_overlay(YearLayout(Path({str(work / 'out')!r}), 2023), Path({str(work / 'in')!r}), 2023, 0.01); "
        "print(r.parcels, r.share_min, r.share_max, r.price_rules, r.overlaps)"
    )
    started = time.perf_counter()
    process = psutil.Popen([sys.executable, "-c", code])
    peak, cpu = 0, {}
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, max(p.memory_info().rss for p in tree))  # the largest single process
            for p in tree:
                cpu[p.pid] = sum(p.cpu_times()[:2])
        except psutil.Error:
            pass
        time.sleep(0.2)
    return time.perf_counter() - started, sum(cpu.values()), peak


def write_layer(path: Path, geometry: np.ndarray, fields: dict, crs: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({**fields, "geometry": pa.array(shapely.to_wkb(geometry))})
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB", "crs": crs}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--geopandas", action="store_true", help="also time geopandas.overlay (bench group)")
    parser.add_argument("--geopandas-parcels", type=int, default=100_000)
    parser.add_argument("--stage", action="store_true", help="also time the whole overlay stage (run_overlay)")
    parser.add_argument(
        "--province",
        type=int,
        default=0,
        help="only the whole stage at this many parcels in --counties counties, run in its own process: wall, CPU, "
        "peak RSS of its largest process",
    )
    parser.add_argument("--counties", type=int, default=117)
    parser.add_argument("--work-dir", type=Path, default=Path(__file__).resolve().parent / "work" / "overlay")
    args = parser.parse_args()
    if args.province:
        wall, cpu, peak = province_stage(args.province, args.counties, args.work_dir)
        print(
            f"(p) run_overlay, {args.province:,} parcels in {args.counties} counties, 5 zones + 4 price levels, "
            f"overlaps, read and written: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak / 2**30:.2f} GiB"
        )
        return

    parcels = parcels_grid(args.parcels)
    extent = np.ceil(np.sqrt(args.parcels)) * SIDE
    zone = discs(args.parcels, extent)
    area = shapely.area(parcels)
    official = to_cents(area)

    started = time.perf_counter()
    parts = union_parts(zone)
    dissolve = time.perf_counter() - started
    (bare, floor_s, floor_cpu) = timed(floor, parcels, parts)
    (cents, pipeline_s, pipeline_cpu) = timed(pipeline, parcels, area, official, zone)

    in_zone = int((bare > 0).sum())
    assert abs(cents.sum() / 100 - bare.sum()) < 0.01 * len(parcels), "floor and pipeline disagree"
    print(f"parcels {args.parcels:,}, discs {DISCS} dissolved into {len(parts)} parts ({dissolve:.2f} s)")
    print(f"parcels meeting the zone {in_zone:,}; area inside {bare.sum() / 1e6:,.3f} km²")
    print(f"(a) floor: STRtree query + vectorised intersection area, 1 thread: {floor_s:.2f} s (CPU {floor_cpu:.2f} s)")
    print(
        f"(b) zone_index + zone_shares (平差, shares, findings, decimals): {pipeline_s:.2f} s (CPU {pipeline_cpu:.2f} s)"
    )
    print(f"ratio (b)/(a): wall {pipeline_s / floor_s:.2f}, CPU {pipeline_cpu / floor_cpu:.2f}")
    if args.stage:
        stage_s, stage_cpu, result = whole_stage(parcels, zone, args.work_dir)
        print(
            f"(s) run_overlay, 5 zones + 4 price levels, overlaps, read and written: {stage_s:.2f} s "
            f"(CPU {stage_cpu:.2f} s); shares {result.share_min}…{result.share_max}, prices {result.price_rules}"
        )
    if args.geopandas:
        n = min(args.geopandas_parcels, args.parcels)
        small = parcels_grid(n)
        small_zone = discs(n, np.ceil(np.sqrt(n)) * SIDE)
        print(f"(c) geopandas.overlay at {n:,} parcels: {geopandas_overlay(small, small_zone):.2f} s")


if __name__ == "__main__":
    main()

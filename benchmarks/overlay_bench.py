"""Benchmark of the overlay's zone shares (DOMAIN §6) against a bare floor and, optionally, GeoPandas.

N square parcels (50 m × 50 m, a grid) against one zone layer of 600 discs (seeded, overlapping, dissolved):

(a) floor: a bare shapely 2 STRtree query of the dissolved zone's parts + vectorised intersection area, summed
    per parcel — the least work that computes the shares, one thread;
(b) the pipeline: ``spatial.zones.zone_index`` (dissolve) and ``zone_shares`` (pieces, 平差 to each parcel's TBMJ
    in cents, shares at 10 decimals, delivered figures against the tolerance) and the output columns as decimals;
(c) with ``--geopandas``: ``geopandas.overlay(how="intersection")`` and a group-by, at ``--geopandas-parcels``
    (the plain way; slow, so at a smaller N by default).

    uv run --frozen python benchmarks/overlay_bench.py --parcels 1000000
    uv run --frozen --group bench python benchmarks/overlay_bench.py --parcels 100000 --geopandas

Prints the figures and the ratio (b)/(a); asserts nothing but that (a) and (b) agree on the area in the zone.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from assets_pipeline.spatial.adjust import to_cents, unscaled_decimal
from assets_pipeline.spatial.zones import union_parts, zone_index, zone_shares

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--geopandas", action="store_true", help="also time geopandas.overlay (bench group)")
    parser.add_argument("--geopandas-parcels", type=int, default=100_000)
    args = parser.parse_args()

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
    if args.geopandas:
        n = min(args.geopandas_parcels, args.parcels)
        small = parcels_grid(n)
        small_zone = discs(n, np.ceil(np.sqrt(n)) * SIDE)
        print(f"(c) geopandas.overlay at {n:,} parcels: {geopandas_overlay(small, small_zone):.2f} s")


if __name__ == "__main__":
    main()

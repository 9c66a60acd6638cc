"""The overlay stage (DOMAIN §6): the base parcels against the control and price layers, the inventory polygons
delivered without a base-parcel id against the base map, and the base parcels against each other.

County by county (and Gauss-Krüger zone), from the validated rows that have geometry (``overlay_counties``):

- ``zone_areas/``: each base parcel's adjusted (平差) area and share inside each delivered zone, beside the
  delivered figure; ``zone_findings.parquet``: the delivered figures beyond the run's ``zone_tolerance``;
- ``price_weights/``: the 基准地价 level of each parcel of a land use that has level polygons (90 % rule);
- ``links/<category>/`` and ``pieces.parquet``: the inventory rows' base parcels and their pieces, with findings;
- ``overlaps.parquet``: base parcels sharing ground.

Counties are independent, so a large province's run them in worker processes (both cores), each writing its own
parts; the single-file outputs are gathered from them in county order. A year without geometry (a province
delivering tables) writes nothing but its record and returns at once. The outputs replace the previous run's as a
whole (one folder moved into place), so a reader never mixes runs.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.parallel import PARALLEL_GEOMETRY_ROWS, run_tasks
from assets_pipeline.infra.storage import atomic_folder, parquet_options, write_json
from assets_pipeline.spatial import overlay_tables as tables
from assets_pipeline.spatial.overlay_counties import (
    OVERLAPS_PARTS,
    PIECES_PARTS,
    ZONE_FINDINGS_PARTS,
    Job,
    OverlayResult,
    base_task,
    inputs_key,
    inventory_task,
    year_layers,
)
from assets_pipeline.spatial.overlay_inputs import counties, has_geometry
from assets_pipeline.spatial.pieces import INVENTORY_CATEGORIES

__all__ = ["OverlayResult", "run_overlay"]


def run_overlay(
    layout: YearLayout,
    input_dir: Path,
    year: int,
    zone_tolerance: float,
    declared_crs: str | None = None,
    parallel: bool | None = None,
) -> OverlayResult:
    """The overlay of the year (DOMAIN §6); see the module's docstring for what it writes."""
    started = time.perf_counter()
    result = OverlayResult(year)
    if not any(has_geometry(layout, c) for c in ("land",) + INVENTORY_CATEGORIES):
        if layout.overlay.exists():
            shutil.rmtree(layout.overlay)
        write_json(record(result, started), layout.record("overlay", "overlay"))
        return result
    # read here first: a refused layer stops the run before any worker starts, and the record lists the files
    key = inputs_key(layout, Path(input_dir), year)
    layers = year_layers(Path(input_dir), year, declared_crs or None, key)
    result.zone_files, result.price_files = layers.files_record()
    con = connect(threads=1)
    land = counties(con, layout, "land")
    inventories = [(c, county) for c in INVENTORY_CATEGORIES for county in counties(con, layout, c)]
    con.close()
    if parallel is None:
        parallel = sum(c.rows for c in land) + sum(c.rows for _, c in inventories) >= PARALLEL_GEOMETRY_ROWS
    with atomic_folder(layout.overlay) as folder:
        job = Job(layout, Path(input_dir), year, zone_tolerance, declared_crs or None, folder, key)
        bounds = {}
        for county, (found, box) in zip(land, run_tasks(base_task, [(job, c) for c in land], parallel), strict=True):
            result.merge(found)
            bounds[(county.region_code, county.epsg)] = box
        tasks = [(job, category, county, land, bounds) for category, county in inventories]
        for found in run_tasks(inventory_task, tasks, parallel):
            result.merge(found)
        gather(folder, ZONE_FINDINGS_PARTS, "zone_findings.parquet", tables.ZONE_FINDINGS_SCHEMA)
        gather(folder, PIECES_PARTS, "pieces.parquet", tables.PIECES_SCHEMA)
        gather(folder, OVERLAPS_PARTS, "overlaps.parquet", tables.OVERLAPS_SCHEMA)
    result.counties = sorted({c.region_code for c in land})
    write_json(record(result, started), layout.record("overlay", "overlay"))
    return result


def gather(folder: Path, parts: str, name: str, schema: pa.Schema) -> None:
    """One file from the counties' parts, in county order (part by part: memory holds one county's)."""
    with pq.ParquetWriter(folder / name, schema, **parquet_options(schema)) as writer:
        for part in part_files(folder / parts):
            writer.write_table(pq.read_table(part, schema=schema))
    shutil.rmtree(folder / parts, ignore_errors=True)


def record(result: OverlayResult, started: float) -> dict:
    """The result as JSON values, decimals written out in full (0.0000000000, never 0E-10)."""
    result.seconds = round(time.perf_counter() - started, 3)
    return plain(asdict(result))


def plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

"""A synthetic Shanxi-like province for trying the pipeline end to end.

``generate_sample`` writes, for every requested year, what a provincial compilation receives (DOMAIN §1, §3):
one file per county for the land survey (the base map) and for the forest, grassland and wetland
inventories, one province file for water and one for minerals. Counties deliver the way real counties
do: GBK or UTF-8 CSV, XLSX or Parquet, with canonical, survey (``BSM``, ``DLBM`` …) or Chinese headers,
sometimes a 12-digit 坐落单位代码 instead of the county code, sometimes areas in 亩. A share of rows is
made dirty on purpose and every planted defect is recorded in ``_sample/planted_<year>.csv``, so a
pipeline run can be checked against exactly what was put in.

The figures imitate Shanxi (140000): its 117 county-level units, the composition of its land survey by
area, its forest species, grassland types, basins, water resources and minerals. All rows are
synthetic: no row describes a real parcel, deposit or measurement.

Output layout (``<year>`` for each year asked)::

    <out_dir>/<year>/land/<region_code>_<county name>.<csv|xlsx|parquet|gpkg|shp (+.shx .dbf .prj [.cpg])|gdb/>
    <out_dir>/<year>/forest/…   <out_dir>/<year>/grassland/…   <out_dir>/<year>/wetland/…
    <out_dir>/<year>/zones/<zone>.<shp|gpkg|gdb|parquet>, zones/admin.gpkg   (with layers)
    <out_dir>/<year>/price_zones/基准地价级别.gpkg                             (with layers)
    <out_dir>/<year>/water.<xlsx|csv|parquet>
    <out_dir>/<year>/minerals.<csv|parquet>
    <out_dir>/_sample/planted_<year>.csv     <out_dir>/_sample/README.txt
    <out_dir>/_sample/planted_inconsistencies_<year>.csv   <out_dir>/_sample/planted_geometry_<year>.csv

Everything is drawn from numpy Generators seeded from ``seed`` and the county, year and purpose, so the
same seed gives the same files (byte for byte, XLSX and GeoPackage included; a FileGDB by content, GDAL stamping
its tables with the time) whatever else changes. Work is done one
county at a time and written at once, so memory stays bounded by the largest county.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from assets_pipeline.sample.base_map import CountyState
from assets_pipeline.sample.counties import County, Delivery, plan_counties, plan_layers, province_delivery
from assets_pipeline.sample.county_layers import FAULTS, county_layers
from assets_pipeline.sample.county_years import evolve_county_state, first_county_state
from assets_pipeline.sample.defects import (
    MINERAL_DEFECTS,
    WATER_DEFECTS,
    Planted,
    plant_county_defects,
    plant_province_defects,
)
from assets_pipeline.sample.delivered_tables import forest_table, grassland_table, land_table, wetland_table
from assets_pipeline.sample.geometry import CountyFrame, county_frames
from assets_pipeline.sample.inconsistencies import DEFAULT_INCONSISTENCY_SHARE, plant_inconsistencies
from assets_pipeline.sample.layer_writers import write_layer
from assets_pipeline.sample.minerals import evolve_minerals, first_minerals, minerals_table
from assets_pipeline.sample.province_figures import COUNTY_CATEGORIES, PROVINCE_CODE
from assets_pipeline.sample.province_layers import ProvinceLayers
from assets_pipeline.sample.reference import REFERENCE_DIR, Reference, SampleSource, load_reference
from assets_pipeline.sample.sample_book import SampleBook
from assets_pipeline.sample.streams import stream
from assets_pipeline.sample.water import water_rows
from assets_pipeline.spatial.crs import CGCS2000

FORMATS = ("mixed", "parquet", "csv")


@dataclass
class SampleSummary:
    """What a call to ``generate_sample`` wrote."""

    out_dir: Path
    years: list[int]
    files: dict[int, list[str]]  # per year, paths relative to <out_dir>/<year>/ with "/"
    rows: dict[int, dict[str, int]]  # per year and category, data rows written (dirty rows included)
    planted: dict[int, int]  # per year, planted defects (= dirty rows)
    seconds: float
    deliveries: dict[str, str] = field(default_factory=dict)  # county code -> how it delivers its files


def generate_sample(
    out_dir: Path,
    years: Sequence[int],
    parcels: int = 50_000,
    seed: int = 2023,
    formats: str = "mixed",
    dirty_share: float = 0.02,
    inconsistency_share: float = DEFAULT_INCONSISTENCY_SHARE,
    layers: str = "mixed",
    overlap: bool = False,
    province: str = PROVINCE_CODE,
    reference_dir: Path | None = None,
) -> SampleSummary:
    """Write a synthetic province for ``years`` under ``out_dir`` and return what was written.

    ``parcels`` is the number of base-map parcels of the first year, spread over the 117 counties;
    ``formats`` is "mixed" (counties deliver as real counties do), "parquet" or "csv" (every file in that
    format with canonical headers); ``dirty_share`` is the share of county rows made dirty (a few rows of
    the water and mineral tables too). Later years evolve from the first one (same parcel ids, a few
    reclassified, split, merged, new or gone parcels), so balance accounts can be derived (DOMAIN §5).
    ``inconsistency_share`` is, per county and inventory, the share of base parcels given each kind of
    inconsistency between the base map and the inventory (DOMAIN §2; see ``plant_inconsistencies``), listed in
    ``_sample/planted_inconsistencies_<year>.csv``; 0 keeps the inventories in exact agreement with the base map.
    ``layers`` says which counties deliver their land survey and inventories as layers with polygons (DOMAIN §6):
    "mixed" (about half, in GeoPackage, Shapefile, FileGDB and GeoParquet), "all" or "none" (every county a
    table, the files exactly as before layers existed). With layers come ``<year>/zones/`` and
    ``<year>/price_zones/``, and what was planted in the geometry in ``_sample/planted_geometry_<year>.csv``.
    State grassland base parcels without an inventory row, which a run finds unpriced, stay within
    UNPRICED_PLANTED_SHARE of the year's state grassland rows (see ``UnpricedBudget``), so any sample compiles
    with the run's default unpriced threshold. Files a previous sample left for these years are removed first.
    ``province`` is the province whose counties deliver (its county codes from the admin divisions of
    ``reference_dir``, by default the shipped reference tables; a province's own tables,
    ``<reference_dir>/<province>/…``, are read where it has them, as a run reads them); the figures imitated stay
    Shanxi's whatever the province.
    """
    started = time.perf_counter()
    if formats not in FORMATS:
        raise ValueError(f"formats must be one of {FORMATS}, not {formats!r}")
    if parcels < 1:
        raise ValueError("parcels must be at least 1")
    if not 0.0 <= dirty_share < 1.0:
        raise ValueError("dirty_share must be in [0, 1)")
    if not 0.0 <= inconsistency_share <= 0.1:
        raise ValueError("inconsistency_share must be in [0, 0.1]")
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("at least one year is needed")
    out_dir = Path(out_dir)
    ref = load_reference(SampleSource(province, Path(reference_dir) if reference_dir else REFERENCE_DIR))
    counties = plan_layers(plan_counties(ref, parcels, seed, formats), layers, set(ref.zones), stream(seed, "layers"))
    layered = [c for c in counties if c.delivery.is_layer]
    frames: dict[str, CountyFrame] = {}
    province_layers = {year: ProvinceLayers() for year in years}
    faults: dict[str, tuple[str, ...]] = {}
    if layered:
        mean_m2 = float((ref.classes.parcel_share * ref.classes.mean_m2).sum())
        frames = county_frames(
            [c.code for c in counties], np.array([c.parcels * mean_m2 for c in counties]), seed, ref.source
        )
        # each geometry fault in one layer county (all in the first when there are fewer than three)
        # an overlap of base parcels blocks publication (DOMAIN §6): planted only when asked for
        for k, fault in enumerate(f for f in FAULTS if overlap or f != "overlap"):
            code = layered[k % len(layered)].code
            faults[code] = faults.get(code, ()) + (fault,)
    book = SampleBook(out_dir, years)
    for year in years:
        book.clear_year(year)

    for county in counties:
        state: CountyState | None = None
        for year in years:
            state = (
                first_county_state(county, ref, seed, year)
                if state is None
                else evolve_county_state(state, county, ref, seed, year)
            )
            layer_context = (
                (frames[county.code], province_layers[year], faults.get(county.code, ())) if frames else None
            )
            write_county_year(book, county, state, ref, seed, year, dirty_share, inconsistency_share, layer_context)

    for year in years:
        if not province_layers[year].empty:
            book.files[year].extend(province_layers[year].write(out_dir / str(year), frames))
    province = province_delivery(formats)
    minerals: pd.DataFrame | None = None
    for year in years:
        write_province_table(
            book,
            "water",
            water_rows(counties, ref, seed, year),
            province["water"],
            seed,
            year,
            dirty_share,
            WATER_DEFECTS,
        )
        minerals = (
            first_minerals(counties, ref, seed)
            if minerals is None
            else evolve_minerals(minerals, counties, ref, seed, year)
        )
        write_province_table(
            book, "minerals", minerals_table(minerals), province["minerals"], seed, year, dirty_share, MINERAL_DEFECTS
        )
    book.write_records()
    return SampleSummary(
        out_dir=out_dir,
        years=years,
        files=book.files,
        rows=book.rows,
        planted={y: int(sum(len(f) for f in book.planted[y])) for y in years},
        seconds=time.perf_counter() - started,
        deliveries={c.code: c.delivery.describe() for c in counties},
    )


def write_county_year(
    book: SampleBook,
    county: County,
    state: CountyState,
    ref: Reference,
    seed: int,
    year: int,
    dirty_share: float,
    inconsistency_share: float = 0.0,
    layer_context: tuple[CountyFrame, ProvinceLayers, tuple[str, ...]] | None = None,
) -> None:
    """The county's four files for the year, each with its share of dirty rows, then the inconsistencies between
    the base map and the inventories, planted on clean rows only (so each is found as planted).

    Dirty land rows are taken among parcels no inventory describes, so every inventory row keeps a valid base.
    A county delivering layers gets its polygons last (``county_layers``), on the finished tables."""
    rng = stream(seed, "defects", int(county.code), year)
    category = ref.classes.categories[state.parcels["land_class"]]
    builders = {
        "land": (state.parcels, land_table),
        "forest": (state.forest, forest_table),
        "grassland": (state.grassland, grassland_table),
        "wetland": (state.wetland, wetland_table),
    }
    tables: dict[str, tuple[pa.Table, Planted]] = {}
    for name in COUNTY_CATEGORIES:
        rows, build = builders[name]
        if not len(rows):
            continue
        table = build(rows, county, ref)
        eligible = category == "land" if name == "land" else np.ones(len(rows), dtype=bool)
        tables[name] = plant_county_defects(table, name, eligible, rng, dirty_share, county.delivery)
    found = pd.DataFrame(columns=["base_parcel_id", "parcel_id"])
    if inconsistency_share > 0 and "land" in tables:
        found = plant_inconsistencies(
            tables,
            category,
            county,
            inconsistency_share,
            stream(seed, "inconsistencies", int(county.code), year),
            book.budgets[year],
        )
        book.inconsistencies[year].append(found)
    if county.delivery.is_layer and layer_context is not None and "land" in tables:
        frame, province_layers, faults = layer_context
        drawn = county_layers(tables, found, state, county, frame, ref, seed, year, faults)
        province_layers.add(county.code, drawn.zones, drawn.prices)
        relatives = {name: f"{name}/{county.file_stem}.{county.delivery.extension}" for name in tables}
        planted_geometry = drawn.planted.assign(source_file=drawn.planted["category"].map(relatives))
        book.geometry[year].append(planted_geometry)
        for name, (table, geometry) in drawn.layers.items():
            empty = drawn.empty_rows if name == "land" else np.zeros(0, dtype=np.int64)
            book.write_layer(
                year, relatives[name], name, table, geometry, drawn.epsg, tables[name][1], county.delivery, empty
            )
        if county.delivery.file_format == "gpkg":  # a second layer in the file: the reader picks DLTB by its name
            boundary = frame.boundary_geographic if drawn.epsg == CGCS2000 else frame.boundary
            outline = pa.table({"XZQDM": [county.code], "XZQMC": [county.name]})
            write_layer(
                book.out_dir / str(year) / relatives["land"], outline, np.array([boundary]), drawn.epsg, "gpkg", "XZQ"
            )
        return
    for name, (table, planted) in tables.items():
        relative = f"{name}/{county.file_stem}.{county.delivery.extension}"
        book.write(year, relative, name, table, planted, county.delivery)


def write_province_table(
    book: SampleBook,
    category: str,
    table: pa.Table,
    delivery: Delivery,
    seed: int,
    year: int,
    dirty_share: float,
    defects: dict[str, str],
) -> None:
    table, planted = plant_province_defects(
        table, defects, stream(seed, "defects", category, year), dirty_share, delivery
    )
    book.write(year, f"{category}.{delivery.extension}", category, table, planted, delivery)

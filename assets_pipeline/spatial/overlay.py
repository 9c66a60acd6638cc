"""The overlay stage (DOMAIN §6): the base parcels against the control and price layers, the inventory polygons
delivered without a base-parcel id against the base map, and the base parcels against each other.

County by county (and Gauss-Krüger zone), from the validated rows that have geometry:

- ``zone_areas/``: each base parcel's adjusted (平差) area and share inside each delivered zone, beside the
  delivered figure; ``zone_findings.parquet``: the delivered figures beyond the run's ``zone_tolerance``;
- ``price_weights/``: the 基准地价 level of each parcel of a land use that has level polygons (90 % rule);
- ``links/<category>/`` and ``pieces.parquet``: the inventory rows' base parcels and their pieces, with findings;
- ``overlaps.parquet``: base parcels sharing ground.

A year without geometry (a province delivering tables) writes nothing but its record and returns at once. The
outputs replace the previous run's as a whole (one folder moved into place), so a reader never mixes runs.
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_folder, parquet_options, write_json, write_parquet
from assets_pipeline.spatial import overlay_tables as tables
from assets_pipeline.spatial.adjust import SHARE_UNITS, to_cents
from assets_pipeline.spatial.control_layers import DELIVERED_COLUMNS
from assets_pipeline.spatial.crs import reproject
from assets_pipeline.spatial.overlaps import overlapping_pairs
from assets_pipeline.spatial.overlay_inputs import (
    ControlLayers,
    County,
    counties,
    county_rows,
    has_geometry,
    reference_table,
)
from assets_pipeline.spatial.pieces import (
    INVENTORY_CATEGORIES,
    OWNERSHIP_COLUMN,
    base_categories,
    cut_pieces,
    links,
    lookup,
    piece_findings,
)
from assets_pipeline.spatial.prices import land_use_of_classes, parcel_land_use, price_weights
from assets_pipeline.spatial.zones import zone_shares


@dataclass
class OverlayResult:
    """What the overlay did, for the asset's metadata and its blocking checks (which recompute their own figures
    from the written files, ``overlay_checks``)."""

    year: int
    counties: list[str] = field(default_factory=list)
    parcels: int = 0
    zone_files: dict[str, dict] = field(default_factory=dict)
    price_files: list[dict] = field(default_factory=list)
    parcels_not_adding_up: int = 0  # zone pieces or inventory pieces whose adjusted areas miss the official area
    share_min: Decimal | None = None
    share_max: Decimal | None = None
    zone_findings: int = 0
    price_rules: dict[str, int] = field(default_factory=dict)
    overlaps: int = 0
    overlap_m2: Decimal = Decimal("0.00")
    pieces: int = 0
    inconsistent_pieces: dict[str, int] = field(default_factory=dict)
    inconsistent_m2: dict[str, Decimal] = field(default_factory=dict)
    linked_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add_share_range(self, units: np.ndarray) -> None:
        if not len(units):
            return
        low, high = Decimal(int(units.min())) / SHARE_UNITS, Decimal(int(units.max())) / SHARE_UNITS
        self.share_min = low if self.share_min is None else min(self.share_min, low)
        self.share_max = high if self.share_max is None else max(self.share_max, high)


class Writers:
    """The single-file outputs, written county after county into the stage's temporary folder."""

    def __init__(self, folder: Path, stack: ExitStack):
        self.folder = folder
        self.zone_findings = self.open(stack, "zone_findings.parquet", tables.ZONE_FINDINGS_SCHEMA)
        self.pieces = self.open(stack, "pieces.parquet", tables.PIECES_SCHEMA)
        self.overlaps = self.open(stack, "overlaps.parquet", tables.OVERLAPS_SCHEMA)

    def open(self, stack: ExitStack, name: str, schema: pa.Schema) -> pq.ParquetWriter:
        return stack.enter_context(pq.ParquetWriter(self.folder / name, schema, **parquet_options(schema)))

    def part(self, table: pa.Table, folder: str, county: County) -> None:
        write_parquet(table, self.folder / folder / f"part-{county.region_code}-{county.epsg}.parquet")


def run_overlay(
    layout: YearLayout, input_dir: Path, year: int, zone_tolerance: float, declared_crs: str | None = None
) -> OverlayResult:
    """The overlay of the year (DOMAIN §6); see the module's docstring for what it writes."""
    started = time.perf_counter()
    result = OverlayResult(year)
    if not any(has_geometry(layout, c) for c in ("land",) + INVENTORY_CATEGORIES):
        if layout.overlay.exists():
            shutil.rmtree(layout.overlay)
        write_json(record(result, started), layout.record("overlay", "overlay"))
        return result
    layers = ControlLayers.read(Path(input_dir), year, declared_crs or None)
    result.zone_files, result.price_files = layers.files_record()
    land_classes = reference_table(layout, "land_classes")
    ownership = reference_table(layout, "ownership_codes")
    state = dict(zip(ownership.column("code").to_pylist(), ownership.column("is_state").to_pylist(), strict=True))
    con = connect(threads=1)
    with atomic_folder(layout.overlay) as folder, ExitStack() as stack:
        writers = Writers(folder, stack)
        land = counties(con, layout, "land")
        uses = land_use_of_classes(land_classes)
        bounds = {}
        for county in land:
            rows = county_rows(con, "land", [county], [county.region_code], county.epsg)
            bounds[(county.region_code, county.epsg)] = overlay_base_county(
                rows, county, layers, uses, zone_tolerance, writers, result
            )
        categories_of = base_categories(land_classes)
        for category in INVENTORY_CATEGORIES:
            for county in counties(con, layout, category):
                rows = county_rows(con, category, [county], [county.region_code], county.epsg)
                base = base_around(con, rows, county, land, bounds)
                overlay_inventory_county(category, rows, base, county, categories_of, state, writers, result)
    con.close()
    result.counties = sorted({c.region_code for c in land})
    write_json(record(result, started), layout.record("overlay", "overlay"))
    return result


def record(result: OverlayResult, started: float) -> dict:
    result.seconds = round(time.perf_counter() - started, 3)
    return asdict(result)


def overlay_base_county(
    rows: pa.Table,
    county: County,
    layers: ControlLayers,
    uses: dict[str, str],
    tolerance: float,
    writers: Writers,
    result: OverlayResult,
) -> tuple[float, float, float, float]:
    """A county's base parcels: zone shares and findings, price levels, overlaps. Returns the county's bounding
    box, where the inventory rows around it look for their base parcels."""
    geometry = shapely.from_wkb(rows.column("geometry").to_numpy(zero_copy_only=False))
    area = rows.column("geometry_area_m2").to_numpy(zero_copy_only=False).astype(np.float64)
    official = to_cents(rows.column("area_m2").to_numpy(zero_copy_only=False))
    shares = {}
    for zone, index in layers.zone_indexes(county.epsg).items():  # a loop over the (at most five) zones
        column = DELIVERED_COLUMNS[zone]
        delivered = (
            rows.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
            if column in rows.column_names
            else None
        )
        shares[zone] = zone_shares(geometry, area, official, index, delivered, tolerance)
        result.add_share_range(shares[zone].share_units)
        result.parcels_not_adding_up += int(
            ((shares[zone].area_cents < 0) | (shares[zone].area_cents > official)).sum()
        )
    writers.part(tables.zone_areas(rows, official, shares), "zone_areas", county)
    found = tables.zone_findings(rows, shares)
    writers.zone_findings.write_table(found)
    result.zone_findings += found.num_rows

    use_of = parcel_land_use(rows.column("land_class"), uses)
    priced = []
    for use, index in layers.price_indexes(county.epsg).items():  # a loop over the land uses with level polygons
        at = np.flatnonzero(use_of == use)
        weights = price_weights(geometry[at], area[at], official[at], index)
        priced.append(tables.price_weights(rows, at, use, weights))
        for rule, n in zip(*np.unique(weights["rule"].astype(str), return_counts=True), strict=True):
            result.price_rules[str(rule)] = result.price_rules.get(str(rule), 0) + int(n)
    if priced:
        writers.part(pa.concat_tables(priced), "price_weights", county)

    a, b, cents = overlapping_pairs(geometry)
    writers.overlaps.write_table(tables.overlaps_table(rows, a, b, cents))
    result.overlaps += len(a)
    result.overlap_m2 += Decimal(int(cents.sum())) / 100
    result.parcels += rows.num_rows
    return tuple(shapely.total_bounds(geometry))


def base_around(con, rows: pa.Table, county: County, land: list[County], bounds: dict) -> tuple[pa.Table, np.ndarray]:
    """The base parcels of every county whose box meets the inventory rows' box, in the rows' zone, id order."""
    geometry = shapely.from_wkb(rows.column("geometry").to_numpy(zero_copy_only=False))
    box = shapely.total_bounds(geometry)
    near = []
    for other in land:  # a loop over the base counties
        own = box
        if other.epsg != county.epsg:
            own = pyproj.Transformer.from_crs(county.epsg, other.epsg, always_xy=True).transform_bounds(*box)
        x0, y0, x1, y1 = bounds[(other.region_code, other.epsg)]
        if own[0] <= x1 and x0 <= own[2] and own[1] <= y1 and y0 <= own[3]:
            near.append(other)
    if not near:
        return rows.schema.empty_table().slice(0, 0), np.zeros(0, dtype=object)
    base = county_rows(con, "land", near, sorted({c.region_code for c in near}), None)
    base_geometry = shapely.from_wkb(base.column("geometry").to_numpy(zero_copy_only=False))
    epsg = base.column("epsg").to_numpy(zero_copy_only=False)
    target = pyproj.CRS.from_epsg(county.epsg)
    for other in np.unique(epsg[epsg != county.epsg]):  # a loop over the other zones, if any
        at = epsg == other
        base_geometry[at] = reproject(base_geometry[at], pyproj.CRS.from_epsg(int(other)), target)
    return base, base_geometry


def overlay_inventory_county(
    category: str,
    rows: pa.Table,
    base_rows: tuple[pa.Table, np.ndarray],
    county: County,
    categories_of: dict[str, str],
    state: dict[str, bool],
    writers: Writers,
    result: OverlayResult,
) -> None:
    """A county's inventory rows without a base parcel id: their pieces on the base map and their links."""
    base, base_geometry = base_rows
    geometry = shapely.from_wkb(rows.column("geometry").to_numpy(zero_copy_only=False))
    area = rows.column("geometry_area_m2").to_numpy(zero_copy_only=False).astype(np.float64)
    official = to_cents(rows.column("area_m2").to_numpy(zero_copy_only=False))
    pieces = cut_pieces(geometry, area, official, base_geometry)
    if base.num_rows:
        base_category = lookup(base.column("land_class"), categories_of, "land")
        base_state = lookup(base.column("ownership"), state, False).astype(bool)
        base_region = base.column("region_code").to_numpy(zero_copy_only=False)
    else:
        base_category = base_state = base_region = np.zeros(0, dtype=object)
    row_state = lookup(rows.column(OWNERSHIP_COLUMN[category]), state, False).astype(bool)
    row_region = rows.column("region_code").to_numpy(zero_copy_only=False)
    findings = piece_findings(pieces, category, base_category, base_state, base_region, row_state, row_region)
    link, counts = links(pieces, findings, rows.num_rows)
    writers.pieces.write_table(tables.pieces_table(category, rows, base, pieces, findings))
    writers.part(tables.links_table(rows, base, link, counts), f"links/{category}", county)

    sums = np.bincount(pieces.row, weights=pieces.cents, minlength=rows.num_rows)
    result.parcels_not_adding_up += int((sums != official).sum())
    result.pieces += len(pieces.row)
    result.linked_rows[category] = result.linked_rows.get(category, 0) + int((link >= 0).sum())
    kinds, at = np.unique(findings[findings != None].astype(str), return_inverse=True)  # noqa: E711
    inconsistent = pieces.cents[findings != None]  # noqa: E711
    for k, kind in enumerate(kinds):  # a loop over the four finding types
        result.inconsistent_pieces[kind] = result.inconsistent_pieces.get(kind, 0) + int((at == k).sum())
        area_m2 = Decimal(int(inconsistent[at == k].sum())) / 100
        result.inconsistent_m2[kind] = result.inconsistent_m2.get(kind, Decimal("0.00")) + area_m2

"""The overlay's work for one county (DOMAIN §6), as a task a worker process can run: its base parcels against the
zone and price layers and against each other, or its inventory rows without a base-parcel id against the base map.

A task reads what it needs itself (its county's rows from the stage files, the year's layers once per process),
writes its county's parts into the stage's temporary folder and returns its figures; ``overlay`` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyproj
import shapely

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_parquet
from assets_pipeline.spatial import overlay_tables as tables
from assets_pipeline.spatial.adjust import SHARE_UNITS, to_cents
from assets_pipeline.spatial.control_layers import DELIVERED_COLUMNS
from assets_pipeline.spatial.crs import reproject, transformer
from assets_pipeline.spatial.overlaps import overlapping_pairs
from assets_pipeline.spatial.overlay_inputs import ControlLayers, County, county_rows, reference_table
from assets_pipeline.spatial.pieces import OWNERSHIP_COLUMN, base_categories, cut_pieces, links, lookup, piece_findings
from assets_pipeline.spatial.prices import land_use_of_classes, parcel_land_use, price_weights
from assets_pipeline.spatial.zones import zone_shares

# the single-file outputs are written per county first, into these folders of the temporary stage folder
ZONE_FINDINGS_PARTS, PIECES_PARTS, OVERLAPS_PARTS = ".zone_findings", ".pieces", ".overlaps"


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
        low, high = share_decimal(int(units.min())), share_decimal(int(units.max()))
        self.share_min = low if self.share_min is None else min(self.share_min, low)
        self.share_max = high if self.share_max is None else max(self.share_max, high)

    def merge(self, other: OverlayResult) -> None:
        """Add a county's figures to these."""
        for name in ("parcels", "parcels_not_adding_up", "zone_findings", "overlaps", "overlap_m2", "pieces"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("price_rules", "inconsistent_pieces", "inconsistent_m2", "linked_rows"):
            mine = getattr(self, name)
            for key, value in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + value
        for bound in (other.share_min, other.share_max):
            if bound is not None:
                self.add_share_range(np.array([int(bound * SHARE_UNITS)]))


def share_decimal(units: int) -> Decimal:
    """A share in units of 1e-10 (non-negative) as a decimal of 10 places, printed as such (0.0000000000, not 0E-10)."""
    return Decimal(f"{units // SHARE_UNITS}.{units % SHARE_UNITS:010d}")


@dataclass(frozen=True)
class Job:
    """What every county task of a run shares (all picklable: tasks may run in worker processes)."""

    layout: YearLayout
    input_dir: Path
    year: int
    zone_tolerance: float
    declared_crs: str | None
    folder: Path  # the stage's temporary folder
    inputs_key: tuple  # the layers' and snapshots' names, sizes and times: a changed file is read afresh


def inputs_key(layout: YearLayout, input_dir: Path, year: int) -> tuple:
    """What the per-process caches of layers and reference are keyed by, so a fixed layer is never served stale."""
    folders = [Path(input_dir) / str(year) / "zones", Path(input_dir) / str(year) / "price_zones"]
    files = [p for f in folders if f.is_dir() for p in sorted(f.rglob("*")) if p.is_file()]
    files += [layout.reference(name) for name in ("land_classes", "ownership_codes")]
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists())


@dataclass(frozen=True)
class CountyOutputs:
    folder: Path
    county: County

    def part(self, table: pa.Table, name: str, category: str = "") -> None:
        """The county's part of an output (``name``: a folder of the stage, e.g. ``zone_areas``); an output several
        categories write (the pieces) names the category too, so one county's forest and grassland parts both stay."""
        tag = f"-{category}" if category else ""
        write_parquet(table, self.folder / name / f"part-{self.county.region_code}-{self.county.epsg}{tag}.parquet")


@lru_cache(maxsize=1)
def year_layers(input_dir: Path, year: int, declared_crs: str | None, key: tuple) -> ControlLayers:
    """The year's control and price layers, read once per process and run (their indexes built per zone, lazily)."""
    return ControlLayers.read(input_dir, year, declared_crs)


@lru_cache(maxsize=1)
def year_reference(layout: YearLayout, key: tuple) -> tuple[dict, dict, dict]:
    """Land use and category of each land class, state ownership of each code, from the year's snapshots."""
    land_classes = reference_table(layout, "land_classes")
    ownership = reference_table(layout, "ownership_codes")
    state = dict(zip(ownership.column("code").to_pylist(), ownership.column("is_state").to_pylist(), strict=True))
    return land_use_of_classes(land_classes), base_categories(land_classes), state


@lru_cache(maxsize=1)
def task_connection():
    """One DuckDB connection per process for the county tasks it runs (opening one costs more than a small county's
    query); a task only reads through it, into Arrow."""
    return connect(threads=1, memory_limit="500MB")


def base_task(job: Job, county: County) -> tuple[OverlayResult, tuple]:
    """A county's base parcels overlaid (zones, prices, overlaps); its figures and bounding box."""
    rows = county_rows(task_connection(), "land", [county], [county.region_code], county.epsg)
    result = OverlayResult(job.year)
    layers = year_layers(job.input_dir, job.year, job.declared_crs, job.inputs_key)
    uses = year_reference(job.layout, job.inputs_key)[0]
    out = CountyOutputs(job.folder, county)
    bounds = overlay_base_county(rows, county, layers, uses, job.zone_tolerance, out, result)
    return result, bounds


def inventory_task(job: Job, category: str, county: County, land: list[County], bounds: dict) -> OverlayResult:
    """A county's inventory rows without a base-parcel id on the base map around them; its figures."""
    con = task_connection()
    rows = county_rows(con, category, [county], [county.region_code], county.epsg)
    base = base_around(con, rows, county, land, bounds)
    result = OverlayResult(job.year)
    _, categories_of, state = year_reference(job.layout, job.inputs_key)
    overlay_inventory_county(
        category, rows, base, county, categories_of, state, CountyOutputs(job.folder, county), result
    )
    return result


def overlay_base_county(
    rows: pa.Table,
    county: County,
    layers: ControlLayers,
    uses: dict[str, str],
    tolerance: float,
    out: CountyOutputs,
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
    out.part(tables.zone_areas(rows, official, shares), "zone_areas")
    found = tables.zone_findings(rows, shares)
    out.part(found, ZONE_FINDINGS_PARTS)
    result.zone_findings += found.num_rows

    use_of = parcel_land_use(rows.column("land_class"), uses)
    priced = []
    for use, index in layers.price_indexes(county.epsg).items():  # a loop over the land uses with level polygons
        at = np.flatnonzero(use_of == use)
        weights = price_weights(geometry[at], area[at], official[at], index)
        if (weights["rule"].astype(str) == "outside").all():
            # no level polygon of this land use touches the county: its levels were not delivered, and its parcels
            # are priced from the tables (DOMAIN §6); one parcel on a level makes the others "outside"
            continue
        priced.append(tables.price_weights(rows, at, use, weights))
        for rule, n in zip(*np.unique(weights["rule"].astype(str), return_counts=True), strict=True):
            result.price_rules[str(rule)] = result.price_rules.get(str(rule), 0) + int(n)
    if priced:
        out.part(pa.concat_tables(priced), "price_weights")

    a, b, cents = overlapping_pairs(geometry)
    out.part(tables.overlaps_table(rows, a, b, cents), OVERLAPS_PARTS)
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
            own = transformer(county.epsg, other.epsg).transform_bounds(*box)
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
    out: CountyOutputs,
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
    out.part(tables.pieces_table(category, rows, base, pieces, findings), PIECES_PARTS, category)
    out.part(tables.links_table(rows, base, link, counts), f"links/{category}")

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

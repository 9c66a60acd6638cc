"""What the overlay reads (DOMAIN §6): a category's rows with geometry county by county, the year's reference
snapshots, and the control and price layers projected into each county's Gauss-Krüger zone.

The validated rows and their geometry side files are joined by ``_row_id`` in DuckDB, one county at a time and only
from the parts that hold the county, so memory holds one county's parcels (and, for the inventories, the base
parcels around them), never the province's. The control and price layers are province-wide: each is read once,
and indexed once per zone (EPSG) the counties use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyproj

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.spatial.control_layers import PolygonLayer, price_files, price_levels, read_polygons, zone_files
from assets_pipeline.spatial.crs import reproject
from assets_pipeline.spatial.prices import level_index
from assets_pipeline.spatial.zones import PolygonIndex, zone_index

VALIDATED_VIEW = "CREATE OR REPLACE TEMP VIEW validated AS SELECT * FROM read_parquet({files}, filename = true)"
# the land survey has no base parcel id: the same queries serve it with the column empty
VALIDATED_LAND_VIEW = (
    "CREATE OR REPLACE TEMP VIEW validated AS SELECT *, CAST(NULL AS VARCHAR) AS base_parcel_id "
    "FROM read_parquet({files}, filename = true)"
)
GEOMETRY_VIEW = "CREATE OR REPLACE TEMP VIEW geometry AS SELECT * FROM read_parquet({files}, filename = true)"


@dataclass
class County:
    """A county's rows of a category in one Gauss-Krüger zone, and the parts that hold them."""

    region_code: str
    epsg: int
    rows: int
    validated_files: list[str]
    geometry_files: list[str]


def has_geometry(layout: YearLayout, category: str) -> bool:
    return bool(part_files(layout.geometry(category)))


def register_views(con: duckdb.DuckDBPyConnection, category: str, validated: list, geometry: list) -> None:
    view = VALIDATED_LAND_VIEW if category == "land" else VALIDATED_VIEW
    con.execute(sql.render(view, files=sql.paths_literal(validated)))
    con.execute(sql.render(GEOMETRY_VIEW, files=sql.paths_literal(geometry)))


def counties(con: duckdb.DuckDBPyConnection, layout: YearLayout, category: str) -> list[County]:
    """The category's counties with geometry (inventories: those with rows lacking a base parcel id)."""
    validated, geometry = part_files(layout.validated(category)), part_files(layout.geometry(category))
    if not validated or not geometry:
        return []
    register_views(con, category, validated, geometry)
    found = con.execute(sql.load(__file__, "county_index"), {"unlinked_only": category != "land"}).fetchall()
    return [County(r, int(e), int(n), list(v), list(g)) for r, e, n, v, g in found]


# A category whose validated and geometry parts are smaller than this is read whole once per process and run, and
# each county's rows are taken from it: a query per county would cost more than the county's work (a 50,000-parcel
# province has a few hundred county tasks of a few hundred rows each). Larger ones are read county by county.
WHOLE_CATEGORY_BYTES = 32 << 20


def county_rows(
    con: duckdb.DuckDBPyConnection, category: str, parts: list[County], regions: list[str], epsg: int | None
) -> pa.Table:
    """The rows of ``regions`` with their geometry, read only from the parts of ``parts``, in parcel id order."""
    validated = sorted({f for c in parts for f in c.validated_files})
    geometry = sorted({f for c in parts for f in c.geometry_files})
    whole = _small_category(category, validated, geometry)
    if whole is not None:
        keep = pc.is_in(whole.column("region_code"), value_set=pa.array(regions, pa.string()))
        if epsg is not None:
            keep = pc.and_(keep, pc.equal(whole.column("epsg"), epsg))
        return whole.filter(keep)  # a filter keeps the order: parcel id, then row id, as the query gives
    register_views(con, category, validated, geometry)
    params = {"regions": regions, "epsg": epsg, "unlinked_only": category != "land"}
    return con.sql(sql.load(__file__, "county_rows"), params=params).to_arrow_table()


def _small_category(category: str, validated: list[str], geometry: list[str]) -> pa.Table | None:
    """All the category's rows with geometry, in parcel id order, when its parts are small (else None)."""
    if not validated or not geometry:
        return None
    return _whole_category(category, _folder_key(Path(validated[0]).parent), _folder_key(Path(geometry[0]).parent))


def _folder_key(folder: Path) -> tuple[str, int, int]:
    """A stage folder as it stands: its parts are swapped in whole (a new folder) or renamed into it (a new time)."""
    stat = folder.stat()
    return str(folder), stat.st_ino, stat.st_mtime_ns


@lru_cache(maxsize=4)
def _whole_category(category: str, validated: tuple, geometry: tuple) -> pa.Table | None:
    files = [part_files(Path(validated[0])), part_files(Path(geometry[0]))]
    if sum(p.stat().st_size for parts in files for p in parts) > WHOLE_CATEGORY_BYTES:
        return None
    with connect(threads=1, memory_limit="500MB") as con:
        register_views(con, category, *files)
        params = {"regions": None, "epsg": None, "unlinked_only": category != "land"}
        return con.sql(sql.load(__file__, "county_rows"), params=params).to_arrow_table()


def reference_table(layout: YearLayout, name: str) -> pa.Table:
    """The year's snapshot of a reference table (written by the reference step before the overlay runs)."""
    path = layout.reference(name)
    if not path.exists():
        raise FileNotFoundError(f"reference snapshot {name} missing: {path}")
    return pq.read_table(path)


@dataclass
class ControlLayers:
    """The year's zone and price layers as read, and their indexes per Gauss-Krüger zone."""

    zones: dict[str, PolygonLayer]
    prices: list[PolygonLayer]
    levels: list[tuple[np.ndarray, np.ndarray]]  # per price layer: level code and land use per polygon
    zone_cache: dict[int, dict[str, PolygonIndex]] = field(default_factory=dict)
    price_cache: dict[int, dict[str, PolygonIndex]] = field(default_factory=dict)

    @classmethod
    def read(cls, input_dir: Path, year: int, declared_crs: str | None) -> ControlLayers:
        zones = {z: read_polygons(p, declared_crs) for z, p in zone_files(input_dir, year).items()}
        prices = [read_polygons(p, declared_crs) for p in price_files(input_dir, year)]
        return cls(zones, prices, [price_levels(layer) for layer in prices])

    @property
    def land_uses(self) -> set[str]:
        """The land uses that have level polygons (the others are priced by the tables' price_zone)."""
        return {str(u) for _, uses in self.levels for u in np.unique(uses.astype(str))}

    def zone_indexes(self, epsg: int) -> dict[str, PolygonIndex]:
        if epsg not in self.zone_cache:
            target = pyproj.CRS.from_epsg(epsg)
            self.zone_cache[epsg] = {
                z: zone_index(reproject(layer.geometry, layer.crs, target)) for z, layer in self.zones.items()
            }
        return self.zone_cache[epsg]

    def price_indexes(self, epsg: int) -> dict[str, PolygonIndex]:
        """Per land use, the index of its level polygons (all price layers together) in zone ``epsg``."""
        if epsg not in self.price_cache:
            target = pyproj.CRS.from_epsg(epsg)
            geometry = [reproject(layer.geometry, layer.crs, target) for layer in self.prices]
            geometry = np.concatenate(geometry) if geometry else np.zeros(0, dtype=object)
            codes = np.concatenate([c for c, _ in self.levels]) if self.levels else np.zeros(0, dtype=object)
            uses = np.concatenate([u for _, u in self.levels]) if self.levels else np.zeros(0, dtype=object)
            self.price_cache[epsg] = {
                use: level_index(geometry[uses == use], codes[uses == use]) for use in sorted(self.land_uses)
            }
        return self.price_cache[epsg]

    def files_record(self) -> tuple[dict[str, dict], list[dict]]:
        zones = {z: {"file": f"zones/{layer.path.name}", "sha256": layer.sha256} for z, layer in self.zones.items()}
        prices = [{"file": f"price_zones/{layer.path.name}", "sha256": layer.sha256} for layer in self.prices]
        return zones, prices

"""A category delivered as a layer (DOMAIN §6): its features as rows, its polygons beside them.

The layer's fields go through the same header mapping, cleaning and units as a table's, so its ingested part has
exactly the columns a table's has, and ``_source_row`` is the feature's number in the layer (1-based). Its
geometry goes to a side file of the same part number (``YearLayout.geometry``):

- ``part-NNNNN.parquet``: ``_row_id``, ``geometry`` (WKB, 2D, polygonal, in the county's Gauss-Krüger zone),
  ``epsg`` and ``geometry_area_m2`` (the projected, repaired polygon's area), for every feature with a geometry;
- ``repairs-NNNNN.parquet``: the invalid polygons repaired (``_row_id``, ``_source_file``, ``_source_row``,
  ``problem``, ``area_before_m2``, ``area_after_m2``).

A feature without a usable geometry (missing, empty, no polygon) keeps its row, and the ingested part's
``unparsed-NNNNN.parquet`` lists it (column ``geometry``, check ``geometry_missing`` / ``geometry_empty`` /
``geometry_not_polygon``), so validation rejects it naming file and feature like any unreadable cell.

Areas are taken in a projected system only: a layer in geographic CGCS2000 is projected to the 3-degree
Gauss-Krüger zone of its bounding box's centre (the layer is one county's: the seat's zone, to within the rare
county astride a zone boundary), a projected one is kept in its own system. A layer with no area field is given
one: its polygons' projected area to 0.01 m².
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely

from assets_pipeline.infra.storage import atomic_parquet_writer, write_parquet
from assets_pipeline.ingest.delivered import UNPARSED_SCHEMA, DeliveredFile, with_source_rows
from assets_pipeline.ingest.headers import canonical_of, header_lookup
from assets_pipeline.schema.columns import CategorySpec
from assets_pipeline.spatial.crs import CGCS2000, accept_crs, gk_zone_epsg, reproject
from assets_pipeline.spatial.layers import choose_layer, describe_layer, layer_encoding, read_layer
from assets_pipeline.spatial.repair import CleanPolygons, clean_polygons

GEOMETRY_SCHEMA = pa.schema(
    [("_row_id", pa.int64()), ("geometry", pa.binary()), ("epsg", pa.int32()), ("geometry_area_m2", pa.float64())]
)
REPAIRS_SCHEMA = pa.schema(
    [
        ("_row_id", pa.int64()),
        ("_source_file", pa.string()),
        ("_source_row", pa.int64()),
        ("problem", pa.string()),
        ("area_before_m2", pa.float64()),
        ("area_after_m2", pa.float64()),
    ]
)
LAYER_BATCH_ROWS = 200_000


class LayerSource:
    """One layer file being ingested: the layer chosen, its coordinate system accepted, its zone fixed for the
    whole layer, and its geometry side files open (``with LayerSource(...) as source``)."""

    def __init__(
        self,
        path: Path,
        delivered: DeliveredFile,
        spec: CategorySpec,
        layer: str | None,
        declared_crs: str | None,
        geometry_dir: Path,
        index: int,
    ) -> None:
        self.path, self.delivered, self.spec = path, delivered, spec
        self.layer = delivered.layer = choose_layer(path, spec.name, layer or None)
        delivered.encoding = layer_encoding(path)
        described = describe_layer(path, self.layer)
        carried = described.crs
        self.crs = accept_crs(carried, path, declared_crs or None)
        delivered.crs = describe_crs(carried) if carried is not None else f"{declared_crs} (declared, --crs)"
        self.target, self.epsg = projected_target(self.crs, described.bounds)
        delivered.projected_epsg = self.epsg
        self.computed_area = spec.area_column is not None and not _has_area_field(described.fields, spec)
        if self.computed_area:
            delivered.area_source = "geometry"
        delivered.geometry_faults = delivered.geometry_repaired = 0
        self.geometry_dir, self.index = geometry_dir, index
        self._repairs: list[pa.Table] = []
        self._stack = ExitStack()

    def __enter__(self) -> LayerSource:
        part = self.geometry_dir / f"part-{self.index:05d}.parquet"
        self._writer = self._stack.enter_context(atomic_parquet_writer(part, GEOMETRY_SCHEMA))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.__exit__(*exc)
        if exc[0] is None and self._repairs:
            write_parquet(pa.concat_tables(self._repairs), self.geometry_dir / f"repairs-{self.index:05d}.parquet")

    def batches(self) -> Iterator[tuple[pa.RecordBatch, CleanPolygons]]:
        """The features as record batches of their own fields plus ``_source_row`` (and the computed area when
        the layer has no area field), each with its polygons in the projected system, cleaned."""
        for chunk in read_layer(self.path, self.layer, LAYER_BATCH_ROWS):
            clean = clean_polygons(self._projected(chunk.geometry))
            batch = _one_batch(chunk.attributes)
            if self.computed_area:
                area = pa.array(shapely.area(clean.geometry), from_pandas=True)  # no polygon: no area (NaN → null)
                area = pc.round(area, 2, round_mode="half_up")
                batch = batch.append_column(f"{self.spec.area_column}(m2)", area)
            yield with_source_rows(batch, chunk.first_row), clean

    def write(self, rows: pa.Table, clean: CleanPolygons) -> pa.Table | None:
        """The batch's polygons and repairs written beside its ingested ``rows``; returns the unparsed-cell lines
        of its features without a usable geometry (None when every feature has one)."""
        row_ids = rows.column("_row_id").to_numpy()
        has = ~shapely.is_missing(clean.geometry)
        area = shapely.area(clean.geometry)
        self._writer.write_table(
            pa.table(
                {
                    "_row_id": pa.array(row_ids[has], pa.int64()),
                    "geometry": pa.array(shapely.to_wkb(clean.geometry[has], output_dimension=2), pa.binary()),
                    "epsg": pa.array(np.full(int(has.sum()), self.epsg), pa.int32()),
                    "geometry_area_m2": pa.array(area[has], pa.float64()),
                },
                schema=GEOMETRY_SCHEMA,
            )
        )
        if clean.repaired.any():
            fixed = clean.repaired
            self._repairs.append(
                pa.table(
                    {
                        "_row_id": pa.array(row_ids[fixed], pa.int64()),
                        "_source_file": pa.array([self.delivered.relative] * int(fixed.sum()), pa.string()),
                        "_source_row": rows.column("_source_row").to_numpy()[fixed],
                        "problem": pa.array(clean.problem[fixed], pa.string()),
                        "area_before_m2": pa.array(clean.area_before[fixed], pa.float64()),
                        "area_after_m2": pa.array(np.nan_to_num(area[fixed], nan=0.0), pa.float64()),
                    },
                    schema=REPAIRS_SCHEMA,
                )
            )
            self.delivered.geometry_repaired += int(fixed.sum())
        faulty = np.not_equal(clean.fault, None)
        if not faulty.any():
            return None
        n = int(faulty.sum())
        self.delivered.geometry_faults += n
        return pa.table(
            {
                "_row_id": pa.array(row_ids[faulty], pa.int64()),
                "column": pa.array(["geometry"] * n, pa.string()),
                "value": pa.array([""] * n, pa.string()),
                "check": pa.array(clean.fault[faulty], pa.string()),
            },
            schema=UNPARSED_SCHEMA,
        )

    def _projected(self, geometries: np.ndarray) -> np.ndarray:
        if self.target is None:
            return geometries
        return reproject(geometries, self.crs, self.target)


def describe_crs(crs: pyproj.CRS) -> str:
    """A coordinate system as an auditor looks it up: its EPSG code when it has one, else its name."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name


def projected_target(crs: pyproj.CRS, bounds: tuple[float, float, float, float]) -> tuple[pyproj.CRS | None, int]:
    """Where the layer's areas are taken (DOMAIN §6): None (its own projected system, known by an EPSG code)
    or the 3-degree Gauss-Krüger zone of its bounding box's centre; and that system's EPSG code."""
    if not crs.is_geographic:
        code = crs.to_epsg()
        if code:
            return None, code
    xmin, ymin, xmax, ymax = bounds
    longitude = 111.0  # a layer without features: no area is taken, any zone will do
    if np.isfinite([xmin, ymin, xmax, ymax]).all():
        centre = shapely.points([(xmin + xmax) / 2], [(ymin + ymax) / 2])
        longitude = float(shapely.get_x(reproject(centre, crs, pyproj.CRS.from_epsg(CGCS2000)))[0])
    epsg = gk_zone_epsg(longitude)
    return pyproj.CRS.from_epsg(epsg), epsg


def _has_area_field(names: list[str], spec: CategorySpec) -> bool:
    """Whether one of the layer's fields names the category's area column (TBMJ, 图斑面积 …)."""
    lookup = header_lookup(spec)
    return any(canonical_of(name, lookup)[0] == spec.area_column for name in names)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], schema=table.schema)

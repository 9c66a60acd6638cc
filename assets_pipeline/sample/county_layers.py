"""A county's deliveries as layers (DOMAIN §6): its land survey and inventories with polygons, the control and price
polygons over them, and the geometry faults and overlay findings planted in them and recorded.

The tables are the ones the tabular generator made (ids, classes, ownership, TBMJ, planted dirty rows and
inconsistencies); this module only adds geometry and what geometry changes: the stated zone areas, inventory rows
delivered without their base parcel (the overlay links them), a few inventory polygons across two base parcels or
half on a 0103 旱地 parcel, and, in the counties chosen for them, an empty geometry, a self-intersecting polygon and
two overlapping base parcels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from assets_pipeline.sample.base_map import CountyState
from assets_pipeline.sample.control_layers import price_polygons, stated_zone_figures, zone_areas, zone_polygons
from assets_pipeline.sample.counties import County
from assets_pipeline.sample.defects import Planted
from assets_pipeline.sample.delivered_tables import number
from assets_pipeline.sample.geometry import (
    OUTSIDE_GAP_M,
    Block,
    CountyFrame,
    bowtie,
    boxes_to_polygons,
    lay_out,
    outside_boxes,
    place,
)
from assets_pipeline.sample.inconsistencies import MISMATCHED_CLASS
from assets_pipeline.sample.province_figures import INVENTORIES
from assets_pipeline.sample.reference import Reference, read_reference_csv
from assets_pipeline.sample.streams import stream
from assets_pipeline.spatial.crs import CGCS2000

UNLINKED_SHARE = 0.3  # inventory rows of a layer county delivered without base_parcel_id
ACROSS_PER_CATEGORY = 2  # inventory polygons drawn across two base parcels, per county and inventory
ON_DRYLAND_PER_CATEGORY = 2  # … and half on a 0103 旱地 parcel
ACROSS_OWN_SHARE = 0.6
ON_DRYLAND_OWN_SHARE = 0.52  # "half" on the 旱地 parcel, the larger piece still on its own base parcel
OVERLAP_SHARE = 0.1  # the overlapping base parcel reaches this share of its width into its neighbour
FAULTS = ("empty_geometry", "invalid_geometry", "overlap")
PLANTED_GEOMETRY_COLUMNS = [
    "kind",
    "region_code",
    "category",
    "source_file",
    "source_row",
    "parcel_id",
    "base_parcel_id",
    "other_parcel_id",
    "zone",
    "stated_m2",
    "computed_m2",
]


@dataclass
class CountyLayers:
    """What a layer county delivers for a year: per category its attributes and polygons (in ``epsg``), the
    county's zone and price polygons (EPSG:4490), and what was planted in the geometry."""

    layers: dict[str, tuple[pa.Table, np.ndarray]]
    epsg: int
    zones: dict[str, np.ndarray]
    prices: pd.DataFrame
    planted: pd.DataFrame
    empty_rows: np.ndarray  # land rows (0-based) delivered with an empty geometry: rejected rows


def county_layers(
    tables: dict[str, tuple[pa.Table, Planted]],
    found: pd.DataFrame,
    state: CountyState,
    county: County,
    frame: CountyFrame,
    ref: Reference,
    seed: int,
    year: int,
    faults: tuple[str, ...] = (),
) -> CountyLayers:
    rng = stream(seed, "layers", int(county.code), year)
    land, land_planted = tables["land"]
    parcels = state.parcels
    n = len(parcels)
    block = lay_out(parcels["area"], rng)
    land_classes = np.asarray(land.column("land_class").to_pylist(), dtype=object)
    land_ids = np.asarray(land.column("parcel_id").to_pylist(), dtype=object)
    involved = set(found["base_parcel_id"].dropna()) | set(found["parcel_id"].dropna())
    clean = np.ones(land.num_rows, dtype=bool)
    clean[land_planted.rows] = False
    clean[n:] = False
    clean &= ~np.isin(land_ids, list(involved))
    extra = outside_boxes(land.column("area_m2").to_numpy(zero_copy_only=False)[n:], -OUTSIDE_GAP_M)
    boxes = np.vstack([block.boxes, extra]) if len(extra) else block.boxes.copy()
    left_edge = float(extra[:, 0].min()) if len(extra) else -OUTSIDE_GAP_M
    records: list[dict] = []

    def record(kind: str, category: str, rows: np.ndarray, **columns) -> None:
        records.append({"kind": kind, "category": category, "source_row": rows + 1, **columns})

    layers: dict[str, tuple[pa.Table, np.ndarray]] = {}
    for name in INVENTORIES:
        if name not in tables:
            continue
        table, geometry, left_edge = inventory_layer(
            name, tables[name], state, block, boxes, land_classes, land_ids, involved, left_edge, rng, record
        )
        layers[name] = (table, place(geometry, block, frame))

    land_geometry = boxes_to_polygons(boxes)
    base_land = ref.classes.categories[parcels["land_class"]] == "land"
    plain = np.flatnonzero(clean[:n] & base_land)
    empty_rows = np.zeros(0, dtype=np.int64)
    taken = rng.permutation(plain)
    if "empty_geometry" in faults and len(taken):
        empty_rows = taken[:1]
        land_geometry[empty_rows] = shapely.Polygon()
        record("empty_geometry", "land", empty_rows, parcel_id=land_ids[empty_rows])
    if "invalid_geometry" in faults and len(taken) > 1:
        at = taken[1]
        land_geometry[at] = bowtie(boxes[at])
        record("invalid_geometry", "land", np.array([at]), parcel_id=land_ids[[at]])
    if "overlap" in faults:
        right = block.right[:n]
        width = boxes[:n, 2] - boxes[:n, 0]
        pairs = np.flatnonzero(clean[:n] & (right >= 0))
        pairs = pairs[clean[right[pairs]] & (width[right[pairs]] > OVERLAP_SHARE * width[pairs])]
        pairs = pairs[~np.isin(pairs, taken[:2]) & ~np.isin(right[pairs], taken[:2])]
        if len(pairs):
            at = pairs[0]
            grown = boxes[at].copy()
            grown[2] += OVERLAP_SHARE * width[at]
            land_geometry[at] = boxes_to_polygons(grown[None, :])[0]
            overlap = OVERLAP_SHARE * width[at] * (boxes[at, 3] - boxes[at, 1])
            record(
                "overlap",
                "land",
                np.array([at]),
                parcel_id=land_ids[[at]],
                other_parcel_id=land_ids[[right[at]]],
                computed_m2=np.round([overlap], 2),
            )
    land_geometry = place(land_geometry, block, frame)

    # the county's zones and price levels keep their shapes from year to year (their own streams, without the year)
    zones = zone_polygons(block, frame, stream(seed, "zone shapes", int(county.code)))
    inside = zone_areas(land_geometry, zones)
    official = land.column("area_m2").to_numpy(zero_copy_only=False).astype(float)
    geometry_area = shapely.area(shapely.make_valid(land_geometry))
    official = np.where(np.isfinite(official) & (official > 0), official, geometry_area)
    stated, off = stated_zone_figures(
        inside, geometry_area, official, clean & ~np.isin(np.arange(len(clean)), taken[:2]), rng
    )
    for column, values in stated.items():
        index = land.schema.get_field_index(column)
        if index >= 0:
            land = land.set_column(index, column, number(values))
        else:
            land = land.append_column(column, number(values))
    if len(off):
        at = off["position"].to_numpy()
        record(
            "zone_figure_off",
            "land",
            at,
            parcel_id=land_ids[at],
            zone=off["zone"].to_numpy(),
            stated_m2=off["stated"].to_numpy(),
            computed_m2=off["computed"].to_numpy(),
        )
    at = land.schema.get_field_index("land_class") + 1
    land = land.add_column(at, "land_class_name", class_names(land.column("land_class")))
    layers = {"land": (land, land_geometry), **layers}

    classes = ref.classes.codes[parcels["land_class"]]
    prices = price_polygons(
        block, frame, classes, ref.zones.get(county.code, {}), stream(seed, "price levels", int(county.code))
    )
    epsg = frame.epsg
    if county.delivery.crs == "geographic":
        layers = {k: (t, frame.to_geographic(g)) for k, (t, g) in layers.items()}
        epsg = CGCS2000
    planted = planted_frame(records, county.code)
    return CountyLayers(
        layers=layers,
        epsg=epsg,
        zones={zone: frame.to_geographic(shapes) for zone, shapes in zones.items()},
        prices=prices,
        planted=planted,
        empty_rows=empty_rows,
    )


@functools.lru_cache(maxsize=1)
def land_class_names() -> dict[str, str]:
    table = read_reference_csv("land_classes.csv")
    return dict(zip(table["land_class"], table["name_zh"], strict=True))


def class_names(codes: pa.ChunkedArray) -> pa.Array:
    """地类名称 (DLMC) of each 地类编码, as the survey layer carries it beside the code; blank for a code the list
    does not know (a planted dirty row)."""
    stems = pd.Series(codes.to_pandas(), dtype=object).str.rstrip("K")
    return pa.array(stems.map(land_class_names()).to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def planted_frame(records: list[dict], code: str) -> pd.DataFrame:
    """The county's planted geometry records as one frame (columns built with numpy, one frame per county)."""
    size = [len(r["source_row"]) for r in records]
    columns = {}
    for name in PLANTED_GEOMETRY_COLUMNS:
        parts = []
        for r, k in zip(records, size, strict=True):
            value = r.get(name)
            if value is None:
                parts.append(np.full(k, None, dtype=object))
            elif np.ndim(value) == 0:
                parts.append(np.full(k, value, dtype=object))
            else:
                parts.append(np.asarray(value, dtype=object))
        columns[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    columns["region_code"] = np.full(sum(size), code, dtype=object)
    return pd.DataFrame(columns)


def inventory_layer(
    name: str,
    delivered: tuple[pa.Table, Planted],
    state: CountyState,
    block: Block,
    land_boxes: np.ndarray,
    land_classes: np.ndarray,
    land_ids: np.ndarray,
    involved: set,
    left_edge: float,
    rng: np.random.Generator,
    record,
) -> tuple[pa.Table, np.ndarray, float]:
    """An inventory's polygons in block coordinates: each row on its base parcel (sub-compartments side by side
    by area), rows whose base parcel does not exist beside the block; a share of clean rows without their base
    parcel id, a few of them across two base parcels or half on a 0103 旱地 neighbour. Returns the table, the
    polygons and the new left edge of the ground beside the block."""
    table, planted = delivered
    rows = getattr(state, name)
    m = len(rows)
    base = pd.Index(state.parcels["serial"]).get_indexer(rows["serial"])
    area = rows["area"].astype(float)
    new_base = np.r_[True, base[1:] != base[:-1]] if m else np.zeros(0, dtype=bool)
    group = np.cumsum(new_base) - 1
    before = np.cumsum(area) - area
    before = before - before[np.flatnonzero(new_base)][group]
    base_area = state.parcels["area"].astype(float)[base]
    box = land_boxes[base]
    width = box[:, 2] - box[:, 0]
    x0 = box[:, 0] + width * before / base_area
    x1 = box[:, 0] + width * (before + area) / base_area
    boxes = np.column_stack([x0, box[:, 1], x1, box[:, 3]])
    extra_area = table.column("area_m2").to_numpy(zero_copy_only=False)[m:].astype(float)
    extra = outside_boxes(np.abs(np.nan_to_num(extra_area, nan=100.0)), left_edge - OUTSIDE_GAP_M)
    if len(extra):
        left_edge = float(extra[:, 0].min())
    boxes = np.vstack([boxes, extra]) if len(extra) else boxes

    ids = np.asarray(table.column("parcel_id").to_pylist(), dtype=object)
    bases = np.asarray(table.column("base_parcel_id").to_pylist(), dtype=object)
    clean = np.zeros(table.num_rows, dtype=bool)
    clean[:m] = True
    clean[planted.rows] = False
    clean &= ~np.isin(bases, list(involved))
    single = np.zeros(table.num_rows, dtype=bool)  # the only row on its base parcel
    single[:m] = new_base & np.r_[new_base[1:], True]
    right = np.full(table.num_rows, -1, dtype=np.int64)
    right[:m] = block.right[base]
    neighbour_width = np.where(right >= 0, land_boxes[np.maximum(right, 0), 2] - land_boxes[np.maximum(right, 0), 0], 0)
    own_width = boxes[:, 2] - boxes[:, 0]
    neighbour_clean = np.zeros(table.num_rows, dtype=bool)
    neighbour_clean[:m] = (right[:m] >= 0) & ~np.isin(land_ids[np.maximum(right[:m], 0)], list(involved))
    neighbour_class = np.where(right >= 0, land_classes[np.maximum(right, 0)], "")
    shifted = np.zeros(table.num_rows, dtype=bool)
    for kind, count, own_share, wanted in (
        ("inventory_on_0103", ON_DRYLAND_PER_CATEGORY, ON_DRYLAND_OWN_SHARE, True),
        ("inventory_across_parcels", ACROSS_PER_CATEGORY, ACROSS_OWN_SHARE, False),
    ):
        fits = neighbour_width >= (1 - own_share) * own_width
        on_dryland = neighbour_class == MISMATCHED_CLASS
        candidates = np.flatnonzero(clean & single & neighbour_clean & fits & (on_dryland == wanted) & ~shifted)
        picks = np.sort(rng.permutation(candidates)[:count])
        if not len(picks):
            continue
        shifted[picks] = True
        edge = boxes[picks, 2]
        boxes[picks, 0] = edge - own_share * own_width[picks]
        boxes[picks, 2] = edge + (1 - own_share) * own_width[picks]
        record(
            kind,
            name,
            picks,
            parcel_id=ids[picks],
            base_parcel_id=bases[picks],
            other_parcel_id=land_ids[right[picks]],
            computed_m2=np.round(own_share * area[picks], 2),
        )
    unlinked = shifted | (clean & (rng.random(table.num_rows) < UNLINKED_SHARE))
    at = np.flatnonzero(unlinked & ~shifted)
    record("unlinked", name, at, parcel_id=ids[at], base_parcel_id=bases[at])
    column = table.schema.get_field_index("base_parcel_id")
    table = table.set_column(
        column,
        "base_parcel_id",
        pc.if_else(pa.array(unlinked), pa.scalar(None, pa.string()), table.column(column).combine_chunks()),
    )
    return table, boxes_to_polygons(boxes), left_edge

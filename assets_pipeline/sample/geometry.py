"""Plausible shapes for the synthetic province (DOMAIN §6 "Sample geometry"): county polygons from a Voronoi
tessellation of the county seats, and each county's parcels laid out as near-square rectangles inside its polygon.

The shapes are not survey data and do not pretend to be: they are there so the spatial path (layers, zones, price
levels, 平差, overlaps) has real polygons to work on. Everything is vectorised over parcels (shapely 2, numpy); the
only loops run over counties.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
import shapely

from assets_pipeline.sample.reference import SHANXI, SampleSource, read_reference_csv
from assets_pipeline.sample.streams import stream
from assets_pipeline.spatial.crs import CGCS2000, gk_zone_epsg

HULL_BUFFER_M = 15_000.0  # the province's outline: the seats' convex hull, buffered a little
GEOMETRY_JITTER = 0.004  # a parcel's drawn area is within ±0.4 % of its TBMJ, so 平差 has something to adjust
FIT_SLACK = 1.6  # the parcels' block must fit this many times over in the county's inscribed circle
OUTSIDE_GAP_M = 60.0
ROW_GAP_M = 0.05  # between shelves of parcels (see lay_out)
MISSING_SEAT_OFFSET_DEG = 0.12  # a county with no seat in the divisions table sits this far from its city's  # parcels drawn beside the block (rows of a base map that has no such parcel) keep this gap


@dataclass(frozen=True)
class CountyFrame:
    """Where a county's layers are drawn: its own 3-degree Gauss-Krüger zone (DOMAIN §6), its polygon in that
    zone and in geographic CGCS2000, and the point and angle its parcels' block is laid at."""

    code: str
    name: str
    epsg: int
    boundary: shapely.Geometry  # in the county's zone
    boundary_geographic: shapely.Geometry  # EPSG:4490
    anchor: tuple[float, float]
    angle: float  # radians

    def to_geographic(self, geometries: np.ndarray) -> np.ndarray:
        return transform_crs(geometries, self.epsg, CGCS2000)


@functools.lru_cache(maxsize=64)
def transformer(source: int, target: int) -> pyproj.Transformer:
    """Built once per pair of systems: building one costs more than transforming a county."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def transform_crs(geometries: np.ndarray, source: int, target: int) -> np.ndarray:
    """Every coordinate transformed at once."""
    transformer_ = transformer(source, target)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer_.transform(xy[:, 0], xy[:, 1])))


def county_seats(source: SampleSource = SHANXI) -> pd.DataFrame:
    """Seat longitude and latitude of the province and its counties, from admin_divisions.csv."""
    admin = read_reference_csv("admin_divisions.csv", source)
    admin = admin[admin["region_code"].str.startswith(source.province[:2])].set_index("region_code")
    lon = pd.to_numeric(admin["longitude"].replace("", None)).to_numpy(dtype=float)
    lat = pd.to_numeric(admin["latitude"].replace("", None)).to_numpy(dtype=float)
    # A county without a seat in the table (a district created recently) sits beside its city's seat, in a direction
    # its code decides, so no two seats coincide.
    missing = np.isnan(lon)
    parent = admin.index.get_indexer(admin["parent_code"].where(admin["parent_code"] != "", source.province))
    turn = (admin.index.to_numpy(dtype=np.int64) % 97) / 97 * 2 * np.pi
    lon = np.where(missing, lon[parent] + MISSING_SEAT_OFFSET_DEG * np.cos(turn), lon)
    lat = np.where(missing, lat[parent] + MISSING_SEAT_OFFSET_DEG * np.sin(turn), lat)
    return admin.assign(longitude=lon, latitude=lat)


def county_frames(
    codes: list[str], block_area_m2: np.ndarray, seed: int, source: SampleSource = SHANXI
) -> dict[str, CountyFrame]:
    """County polygons: the Voronoi cells of the seats, built in the province seat's zone and clipped to the
    seats' hull buffered by HULL_BUFFER_M, then carried to each county's own zone.

    ``block_area_m2`` is the expected area of each county's parcels, laid around its seat: seats too close for
    their blocks (the urban districts of a city) are pushed apart first (``push_apart``), so parcels never leave
    their county."""
    seats = county_seats(source)
    province = seats.loc[source.province]
    work_epsg = gk_zone_epsg(province["longitude"])
    to_work = transformer(CGCS2000, work_epsg)
    x, y = to_work.transform(seats.loc[codes, "longitude"].to_numpy(), seats.loc[codes, "latitude"].to_numpy())
    need = FIT_SLACK * np.sqrt(np.asarray(block_area_m2, dtype=float)) / np.sqrt(2)
    xy = push_apart(np.column_stack([x, y]), need)
    cells = voronoi_cells(xy, max(HULL_BUFFER_M, float(need.max())))
    geographic = transform_crs(cells, work_epsg, CGCS2000)
    rng = stream(seed, "county frames")
    angles = rng.uniform(-0.5, 0.5, len(codes))
    frames = {}
    for i, code in enumerate(codes):
        epsg = gk_zone_epsg(seats.loc[code, "longitude"])
        own = transform_crs(np.array([geographic[i]]), CGCS2000, epsg)[0]
        anchor = transformer(work_epsg, epsg).transform(*xy[i])
        frames[code] = CountyFrame(
            code, seats.loc[code, "name"], epsg, own, geographic[i], (float(anchor[0]), float(anchor[1])), angles[i]
        )
    return frames


def push_apart(xy: np.ndarray, radius: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Points moved apart until any two are at least twice the larger of their radii apart, so each point's
    Voronoi cell holds the disc of its radius around it. Each round moves every pair still too close by half their
    shortfall each, along the line joining them (all pairs at once: a province has a hundred-odd counties)."""
    xy = xy.astype(float).copy()
    wanted = 2 * np.maximum(radius[:, None], radius[None, :])
    np.fill_diagonal(wanted, 0.0)
    for _ in range(iterations):
        delta = xy[:, None, :] - xy[None, :, :]
        distance = np.hypot(delta[..., 0], delta[..., 1])
        shortfall = np.clip(wanted * 1.02 - distance, 0.0, None)
        if not shortfall.any():
            break
        unit = delta / np.where(distance > 0, distance, 1.0)[..., None]
        xy += (shortfall[..., None] / 2 * unit).sum(axis=1)
    return xy


def voronoi_cells(xy: np.ndarray, buffer_m: float = HULL_BUFFER_M) -> np.ndarray:
    """One Voronoi cell per point (in point order), clipped to the points' hull buffered by ``buffer_m``."""
    points = shapely.multipoints(xy)
    hull = shapely.buffer(shapely.convex_hull(points), buffer_m)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=hull, ordered=True))
    return shapely.intersection(cells, hull)


@dataclass
class Block:
    """A county's parcels laid out as axis-aligned boxes in the block's own coordinates (metres), before the block
    is turned and moved into the county: ``boxes`` (n, 4) x0, y0, x1, y1; ``right`` the parcel beside each one in
    its row (-1 at a row's end), so neighbours can be chosen without a search."""

    boxes: np.ndarray
    right: np.ndarray
    width: float
    height: float


def lay_out(areas_m2: np.ndarray, rng: np.random.Generator, jitter: float = GEOMETRY_JITTER) -> Block:
    """Parcels as near-square boxes in shelves: each parcel's side is the power of two nearest the root of its
    area (so a box is at most twice as long as high), parcels of one side fill rows of one length one after the
    other, and the shelves of each side are stacked. Boxes share edges and never overlap. A parcel's box holds its
    area within ±``jitter``."""
    areas = np.asarray(areas_m2, dtype=float) * (1 + rng.uniform(-jitter, jitter, len(areas_m2)))
    n = len(areas)
    if n == 0:
        return Block(np.zeros((0, 4)), np.zeros(0, dtype=np.int64), 0.0, 0.0)
    side = 2.0 ** np.round(np.log2(np.sqrt(areas)))
    width = areas / side
    order = np.lexsort((np.arange(n), -side))
    side_s, width_s = side[order], width[order]
    new_group = np.r_[True, side_s[1:] != side_s[:-1]]
    group = np.cumsum(new_group) - 1
    row_length = max(float(np.sqrt(areas.sum())), float(width.max()))
    ends = np.cumsum(width_s)
    group_first = np.flatnonzero(new_group)
    start = ends - width_s - (ends - width_s)[group_first][group]
    row = np.floor(start / row_length)
    x0 = start - row * row_length
    rows_per_group = np.maximum.reduceat(row, group_first) + 1
    group_height = rows_per_group * (side_s[group_first] + ROW_GAP_M)
    group_y = np.cumsum(group_height) - group_height
    y0 = group_y[group] + row * (side_s + ROW_GAP_M)
    boxes = np.empty((n, 4))
    boxes[order] = np.column_stack([x0, y0, x0 + width_s, y0 + side_s])
    same_row = (group[1:] == group[:-1]) & (row[1:] == row[:-1])
    right = np.full(n, -1, dtype=np.int64)
    right[order[:-1][same_row]] = order[1:][same_row]
    return Block(boxes, right, float((x0 + width_s).max()), float(group_height.sum()))


def outside_boxes(areas_m2: np.ndarray, right_edge: float) -> np.ndarray:
    """Square boxes beside the block (their right edges at ``right_edge``), stacked upwards with a gap: ground the
    county's base map does not cover."""
    side = np.sqrt(np.asarray(areas_m2, dtype=float))
    y1 = np.cumsum(side + OUTSIDE_GAP_M) - OUTSIDE_GAP_M
    return np.column_stack([right_edge - side, y1 - side, np.full(len(side), right_edge), y1])


def boxes_to_polygons(boxes: np.ndarray) -> np.ndarray:
    return shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])


def place(geometries: np.ndarray, block: Block, frame: CountyFrame) -> np.ndarray:
    """Geometries drawn in block coordinates, turned by the county's angle about the block's centre and moved to
    its anchor: coordinates in the county's own zone."""
    cx, cy = block.width / 2, block.height / 2
    cos, sin = np.cos(frame.angle), np.sin(frame.angle)
    ax, ay = frame.anchor

    def move(xy: np.ndarray) -> np.ndarray:
        dx, dy = xy[:, 0] - cx, xy[:, 1] - cy
        return np.column_stack([ax + cos * dx - sin * dy, ay + sin * dx + cos * dy])

    return shapely.transform(geometries, move)


def ellipses(cx: np.ndarray, cy: np.ndarray, a: np.ndarray, b: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Ellipses (72-gons) with centres, semi-axes and orientation, all at once."""
    t = np.linspace(0.0, 2 * np.pi, 73)
    t[-1] = 0.0
    ct, st = np.cos(t)[None, :], np.sin(t)[None, :]
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x = cx[:, None] + a[:, None] * ct * cos - b[:, None] * st * sin
    y = cy[:, None] + a[:, None] * ct * sin + b[:, None] * st * cos
    return shapely.polygons(np.stack([x, y], axis=-1))


def bowtie(box: np.ndarray, notch_m: float = 0.5) -> shapely.Geometry:
    """A box whose ring crosses itself near one corner (the corner vertex moved along the bottom edge and the first
    vertex up the left one, so the first and last edges cross), as digitising slips leave them: invalid, repaired by
    make_valid into the box less two slivers along its corner edges (about notch_m × side), inside the box."""
    x0, y0, x1, y1 = box
    return shapely.Polygon([(x0, y0 + notch_m), (x1, y0), (x1, y1), (x0, y1), (x0 + notch_m, y0)])

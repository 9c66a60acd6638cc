"""Control and price polygons of the synthetic province (DOMAIN §6): the red line, basic farmland, protected
areas with their core zones and the urban development boundary as ellipses cutting across a county's parcels, and
the 基准地价 级别 of commercial and residential land as rings around where that land lies.

A county that delivers its land survey as a layer also states each parcel's area inside each zone (STBHHXMJ …),
computed here from the same geometry as the overlay will (adjusted to TBMJ), except a few figures planted off by
more than the tolerance, which a run must report as zone findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from assets_pipeline.sample.geometry import Block, CountyFrame, ellipses, place

# Canonical zone keys (SPATIAL contract), the land column stating each, and the file stem of its layer.
ZONE_COLUMNS = {
    "redline": "redline_area_m2",
    "farmland": "basic_farmland_area_m2",
    "protected": "protected_area_m2",
    "core": "protected_core_area_m2",
    "urban": "urban_boundary_area_m2",
}
# Ellipses per zone and their semi-major axis as shares of the block's half-diagonal.
ZONE_SHAPES = {
    "redline": (2, 0.15, 0.35),
    "farmland": (3, 0.15, 0.3),
    "protected": (1, 0.3, 0.45),
    "urban": (1, 0.2, 0.3),
}
CORE_SHARE = 0.5  # the core zone: the protected area's ellipse at half its axes, same centre
ZONE_FIGURES_OFF = 2  # parcels per county whose stated zone area is planted 5 % off
OFF_FACTOR = 1.05
LAND_USE_OF_CLASS = {"05": "commercial", "06": "industrial", "07": "residential"}
PRICE_COVER_QUANTILE = 0.97  # the outer level reaches this share of its land use's parcels; the rest are outside


def zone_polygons(block: Block, frame: CountyFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The county's polygons of each zone, in its own zone's coordinates."""
    half = np.hypot(block.width, block.height) / 2
    cx, cy = block.width / 2, block.height / 2
    shapes = {}
    for zone, (count, low, high) in ZONE_SHAPES.items():
        a = half * rng.uniform(low, high, count)
        b = a * rng.uniform(0.45, 1.0, count)
        x = cx + half * rng.uniform(-0.55, 0.55, count)
        y = cy + half * rng.uniform(-0.55, 0.55, count)
        theta = rng.uniform(0, np.pi, count)
        shapes[zone] = place(ellipses(x, y, a, b, theta), block, frame)
        if zone == "protected":
            core = ellipses(x, y, a * CORE_SHARE, b * CORE_SHARE, theta)
            shapes["core"] = place(core, block, frame)
    return {zone: shapes[zone] for zone in ZONE_COLUMNS}


def zone_areas(parcels: np.ndarray, zones: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each parcel's computed area inside the union of each zone's polygons (m², unadjusted): the whole parcel when
    the zone holds it, the intersection only for parcels across the zone's edge."""
    valid = shapely.make_valid(parcels)
    full = shapely.area(valid)
    result = {}
    for zone, shapes in zones.items():
        union = shapely.union_all(shapes)
        shapely.prepare(union)
        inside = shapely.contains_properly(union, valid)
        across = shapely.intersects(union, valid) & ~inside
        area = np.where(inside, full, 0.0)
        area[across] = shapely.area(shapely.intersection(valid[across], union))
        result[zone] = area
    return result


def stated_zone_figures(
    inside: dict[str, np.ndarray],
    geometry_area: np.ndarray,
    official_area: np.ndarray,
    plantable: np.ndarray,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """The zone areas a county states for its parcels: the computed area adjusted to TBMJ (平差 of DOMAIN §6), blank
    where a parcel lies outside the zone; ZONE_FIGURES_OFF parcels among ``plantable`` get a red-line or farmland
    figure OFF_FACTOR times too large. Returns the figures per zone column and the planted ones (position, zone,
    stated, computed)."""
    scale = np.divide(official_area, geometry_area, out=np.zeros(len(official_area)), where=geometry_area > 0)
    stated = {}
    for zone, area in inside.items():
        adjusted = np.round(area * scale, 2)
        stated[zone] = np.where(adjusted > 0, adjusted, np.nan)
    planted = []
    for zone in ("redline", "farmland"):
        candidates = np.flatnonzero(plantable & (stated[zone] > 1000.0) & (stated[zone] < official_area * 0.9))
        picks = rng.permutation(candidates)[:ZONE_FIGURES_OFF]
        computed = stated[zone][picks]
        stated[zone][picks] = np.round(computed * OFF_FACTOR, 2)
        planted.append(
            pd.DataFrame({"position": picks, "zone": zone, "stated": stated[zone][picks], "computed": computed})
        )
    return {ZONE_COLUMNS[z]: v for z, v in stated.items()}, pd.concat(planted, ignore_index=True)


def price_polygons(
    block: Block,
    frame: CountyFrame,
    class_codes: np.ndarray,
    zones_by_class: dict[str, list[str]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """基准地价 级别 rings of each land use the county has level codes for (reference price table): centred where
    that land use's parcels lie, the first level a disc, the others rings, the outermost reaching
    PRICE_COVER_QUANTILE of those parcels. Parcels across a ring's edge straddle two levels."""
    frames = []
    centres = (block.boxes[:, :2] + block.boxes[:, 2:]) / 2
    for land_class, codes in sorted(zones_by_class.items()):
        land_use = LAND_USE_OF_CLASS.get(land_class[:2])
        if land_use is None or not codes:
            continue
        mine = np.char.startswith(class_codes.astype(str), land_class[:2])
        if not mine.any():
            continue
        points = centres[mine]
        centre = points.mean(axis=0) + rng.normal(0, 0.05, 2) * np.hypot(block.width, block.height)
        reach = np.quantile(np.hypot(*(points - centre).T), PRICE_COVER_QUANTILE) + 1.0
        k = len(codes)
        radii = reach * np.arange(1, k + 1) / k * rng.uniform(0.9, 1.0, k)
        radii[-1] = reach
        discs = ellipses(np.full(k, centre[0]), np.full(k, centre[1]), radii, radii, np.zeros(k))
        rings = shapely.difference(discs, np.r_[[shapely.Polygon()], discs[:-1]])
        frames.append(
            pd.DataFrame(
                {
                    "price_zone": codes,
                    "land_use": land_use,
                    "region_code": frame.code,
                    "geometry": frame.to_geographic(place(rings, block, frame)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

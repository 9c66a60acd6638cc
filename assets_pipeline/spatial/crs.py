"""Coordinate systems of layer deliveries (DOMAIN §6): CGCS2000 only, areas taken in a Gauss-Krüger zone.

A layer in geographic CGCS2000 (EPSG:4490, degrees) is projected to the 3-degree Gauss-Krüger zone of its county
before any area is taken: an area in square degrees means nothing, and one taken in another zone or another datum
differs from the survey's by more than the 0.01 m² the accounts are kept to. A layer in another datum (WGS 84,
Xi'an 1980, Beijing 1954) is refused rather than converted: a datum change moves parcels by metres to hundreds of
metres, which is the survey's call, not the pipeline's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pyproj
import shapely

from assets_pipeline.infra.errors import InputFileError

CGCS2000 = 4490
# "CGCS2000 / 3-degree Gauss-Kruger CM 75E" … "CM 135E": the zones without a zone number in the easting
FIRST_GK3_EPSG, FIRST_GK3_ZONE, LAST_GK3_ZONE = 4534, 25, 45


def gk_zone_epsg(longitude: float) -> int:
    """The EPSG code of the 3-degree Gauss-Krüger zone whose central meridian is nearest ``longitude``:
    zone = round(longitude / 3), central meridian 3 × zone (75°E … 135°E cover China)."""
    zone = int(np.floor(longitude / 3 + 0.5))
    zone = min(max(zone, FIRST_GK3_ZONE), LAST_GK3_ZONE)
    return FIRST_GK3_EPSG + zone - FIRST_GK3_ZONE


def is_cgcs2000(crs: pyproj.CRS) -> bool:
    geodetic = crs.geodetic_crs
    return geodetic is not None and (geodetic.to_epsg() == CGCS2000 or geodetic.datum.name == "China 2000")


def accept_crs(crs: pyproj.CRS | None, path: Path, declared: str | None = None) -> pyproj.CRS:
    """The layer's coordinate system if it is CGCS2000, else the declared one for a layer that carries none;
    anything else is refused with a sentence that says what the layer carries and what to do."""
    if crs is None:
        if not declared:
            raise InputFileError(
                path,
                "the layer has no coordinate system (.prj missing or empty): deliver it with its CGCS2000 coordinate "
                "system, or declare it with --crs (e.g. --crs EPSG:4545) / 图层缺少坐标系",
            )
        try:
            crs = pyproj.CRS.from_user_input(declared)
        except pyproj.exceptions.CRSError:
            raise InputFileError(path, f"--crs {declared!r} is not a coordinate system / 坐标系无法识别") from None
        if not is_cgcs2000(crs):
            raise InputFileError(
                path, f"--crs {declared!r} is {crs.name}, not CGCS2000: declare a CGCS2000 system / 坐标系须为CGCS2000"
            )
        return crs
    if not is_cgcs2000(crs):
        datum = crs.geodetic_crs.datum.name if crs.geodetic_crs is not None else "an unknown datum"
        raise InputFileError(
            path,
            f"the layer is in {crs.name} ({datum}), not CGCS2000 (DOMAIN §6): reproject it to CGCS2000 in the "
            "survey's tools before delivery / 图层坐标系不是CGCS2000",
        )
    return crs


def to_projected(
    geometries: np.ndarray, crs: pyproj.CRS, longitude: float | None = None
) -> tuple[np.ndarray, int | None]:
    """The geometries in a projected CGCS2000 system, and that system's EPSG code.

    A projected layer is kept as delivered (a county measures in its own zone). A geographic one goes to the
    3-degree zone of ``longitude`` (the county seat's), else of the layer's own bounding-box centre.
    """
    if not crs.is_geographic:
        return geometries, crs.to_epsg()
    if longitude is None:
        xmin, _, xmax, _ = shapely.total_bounds(geometries)
        longitude = (xmin + xmax) / 2 if np.isfinite(xmin) else 111.0
    epsg = gk_zone_epsg(longitude)
    return reproject(geometries, crs, pyproj.CRS.from_epsg(epsg)), epsg


@lru_cache(maxsize=256)
def transformer(source: pyproj.CRS | int, target: pyproj.CRS | int) -> pyproj.Transformer:
    """One transformer per pair of systems and process: building one costs milliseconds, and the overlay asks for
    the same few pairs county after county."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def reproject(geometries: np.ndarray, source: pyproj.CRS, target: pyproj.CRS) -> np.ndarray:
    """Every coordinate of the geometries transformed at once (no loop over features)."""
    if source == target:
        return geometries
    transformer_ = transformer(source, target)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer_.transform(xy[:, 0], xy[:, 1])))

"""The province's control and price layers for a year (DOMAIN §6), one file per zone in ``<year>/zones/`` (its stem
names the zone), the county boundaries as ``zones/admin``, and the land-price levels in ``<year>/price_zones/``, in
geographic CGCS2000 (they span several Gauss-Krüger zones) and in the mix of formats counties use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from assets_pipeline.sample.geometry import CountyFrame
from assets_pipeline.sample.layer_writers import write_layer
from assets_pipeline.spatial.crs import CGCS2000

# zone key -> (file relative to the year folder, layer format)
ZONE_FILES = {
    "redline": ("zones/生态保护红线.shp", "shp"),
    "farmland": ("zones/basic_farmland.gpkg", "gpkg"),
    "protected": ("zones/protected_area.gdb", "gdb"),
    "core": ("zones/自然保护地核心区.parquet", "geoparquet"),
    "urban": ("zones/urban_boundary.gpkg", "gpkg"),
}
ZONE_NAMES = {
    "redline": "生态保护红线",
    "farmland": "永久基本农田",
    "protected": "自然保护地",
    "core": "自然保护地核心区",
    "urban": "城镇开发边界",
}
ADMIN_FILE = "zones/admin.gpkg"
PRICE_FILE = "price_zones/基准地价级别.gpkg"


class ProvinceLayers:
    """The zone and price polygons of one year, gathered county by county (a few polygons each)."""

    def __init__(self) -> None:
        self.zones: dict[str, list[tuple[str, np.ndarray]]] = {zone: [] for zone in ZONE_FILES}
        self.prices: list[pd.DataFrame] = []

    def add(self, code: str, zones: dict[str, np.ndarray], prices: pd.DataFrame) -> None:
        for zone, shapes in zones.items():
            self.zones[zone].append((code, shapes))
        if len(prices):
            self.prices.append(prices)

    @property
    def empty(self) -> bool:
        return not any(self.zones.values())

    def write(self, year_dir: Path, frames: dict[str, CountyFrame]) -> list[str]:
        """Write the year's zone, admin and price layers; return their paths relative to the year folder."""
        written = []
        for zone, (relative, layer_format) in ZONE_FILES.items():
            parts = self.zones[zone]
            codes = np.concatenate([np.full(len(shapes), code, dtype=object) for code, shapes in parts])
            shapes = np.concatenate([shapes for _, shapes in parts])
            fields = ("行政区代码", "名称") if layer_format == "shp" else ("region_code", "name")
            table = pa.table({fields[0]: pa.array(codes, pa.string()), fields[1]: [ZONE_NAMES[zone]] * len(codes)})
            write_layer(year_dir / relative, table, shapes, CGCS2000, layer_format, Path(relative).stem)
            written.append(relative)
        counties = sorted(frames)
        admin = pa.table({"region_code": counties, "name": [frames[c].name for c in counties]})
        boundaries = np.array([frames[c].boundary_geographic for c in counties], dtype=object)
        write_layer(year_dir / ADMIN_FILE, admin, boundaries, CGCS2000, "gpkg", "admin")
        written.append(ADMIN_FILE)
        if self.prices:
            prices = pd.concat(self.prices, ignore_index=True)
            table = pa.table(
                {
                    name: pa.array(prices[name].to_numpy(dtype=object), pa.string())
                    for name in ("price_zone", "land_use", "region_code")
                }
            )
            write_layer(year_dir / PRICE_FILE, table, prices["geometry"].to_numpy(), CGCS2000, "gpkg", "基准地价级别")
            written.append(PRICE_FILE)
        return written

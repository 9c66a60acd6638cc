"""The counties of the province, their share of its parcels and basins, and how each delivers its files."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from assets_pipeline.sample.province_figures import BASINS, HAIHE_SHARE_BY_CITY, TWO_BASIN_SHARE
from assets_pipeline.sample.reference import Reference
from assets_pipeline.sample.streams import stream

LAYER_FORMATS = ("gpkg", "shp", "gdb", "geoparquet")
LAYER_EXTENSIONS = {"gpkg": "gpkg", "shp": "shp", "gdb": "gdb", "geoparquet": "parquet"}
LAYER_FORMAT_NAMES = {"gpkg": "GeoPackage", "shp": "Shapefile", "gdb": "FileGDB", "geoparquet": "GeoParquet"}
LAYER_FORMAT_SHARES = (0.4, 0.25, 0.15, 0.2)  # among the counties delivering layers, in LAYER_FORMATS order
LAYER_COUNTY_SHARE = 0.5  # "mixed": counties delivering layers rather than tables
LAYERS = ("mixed", "none", "all")


@dataclass(frozen=True)
class Delivery:
    """How one county (or the province) sends its files."""

    file_format: str = "parquet"  # csv, xlsx, parquet, or a layer format (LAYER_FORMATS)
    encoding: str = "utf-8"  # CSV only: utf-8, utf-8-sig (with BOM) or gbk
    headers: str = "canonical"  # canonical, survey (BSM, XZQDM, DLBM …) or chinese (标识码, 行政区代码 …)
    long_region_code: bool = False  # 12-digit 坐落单位代码 instead of the county code
    area_unit: str = "m2"  # m2 or mu (header 图斑面积(亩))
    crs: str = ""  # layers: "zone" (the county's Gauss-Krüger zone) or "geographic" (EPSG:4490)
    cpg: bool = True  # Shapefile: a .cpg names the .dbf's encoding (GBK); without it a reader must assume GBK

    @property
    def extension(self) -> str:
        return LAYER_EXTENSIONS.get(self.file_format, self.file_format)

    @property
    def is_layer(self) -> bool:
        return self.file_format in LAYER_FORMATS

    def describe(self) -> str:
        if self.is_layer:
            parts = [LAYER_FORMAT_NAMES[self.file_format], f"{self.headers} field names"]
            parts.append("geographic CGCS2000" if self.crs == "geographic" else "CGCS2000 Gauss-Krüger zone")
            if self.file_format == "shp":
                parts.append("GBK .dbf" + ("" if self.cpg else " without .cpg"))
            if self.long_region_code:
                parts.append("12-digit 坐落单位代码")
            return ", ".join(parts)
        parts = [self.file_format]
        if self.file_format == "csv":
            parts.append(self.encoding)
        parts.append(f"{self.headers} headers")
        if self.long_region_code:
            parts.append("12-digit 坐落单位代码")
        if self.area_unit == "mu":
            parts.append("areas in 亩")
        return ", ".join(parts)


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city: str
    parcels: int  # base-map parcels of the first year
    weight: float  # share of the province (drives water volumes too)
    delivery: Delivery
    basins: tuple[str, ...]

    @property
    def file_stem(self) -> str:
        return f"{self.code}_{self.name}"


def plan_counties(ref: Reference, parcels: int, seed: int, formats: str) -> list[County]:
    """Counties with their (uneven, Dirichlet) share of parcels, their delivery and their basins."""
    rng = stream(seed, "counties")
    table = ref.counties
    n = len(table)
    weights = rng.dirichlet(np.full(n, 2.0))
    floor = min(10, parcels // n)
    counts = rng.multinomial(parcels - floor * n, weights) + floor
    deliveries = plan_deliveries(n, formats, stream(seed, "deliveries"))
    haihe = np.array([HAIHE_SHARE_BY_CITY.get(city, 0.5) for city in table["parent_code"]])
    primary_haihe = rng.random(n) < haihe
    both = rng.random(n) < TWO_BASIN_SHARE
    basins = [BASINS if b else ((BASINS[1],) if h else (BASINS[0],)) for h, b in zip(primary_haihe, both, strict=False)]
    return [
        County(code=code, name=name, city=city, parcels=int(k), weight=float(w), delivery=d, basins=b)
        for code, name, city, k, w, d, b in zip(
            table["region_code"], table["name"], table["parent_code"], counts, weights, deliveries, basins, strict=False
        )
    ]


def plan_deliveries(n: int, formats: str, rng: np.random.Generator) -> list[Delivery]:
    """Delivery per county. "mixed": ~35 % GBK CSV (half survey, half Chinese headers; a quarter of them with
    坐落单位代码), ~20 % UTF-8 CSV (a third with BOM), ~20 % XLSX with Chinese headers, the rest Parquet; one
    GBK and one XLSX county with Chinese headers give areas in 亩."""
    if formats != "mixed":
        return [Delivery(file_format=formats)] * n
    order = rng.permutation(n)
    n_gbk, n_utf8, n_xlsx = round(0.35 * n), round(0.20 * n), round(0.20 * n)
    gbk, utf8 = order[:n_gbk], order[n_gbk : n_gbk + n_utf8]
    xlsx = order[n_gbk + n_utf8 : n_gbk + n_utf8 + n_xlsx]
    survey, chinese = gbk[: (n_gbk + 1) // 2], gbk[(n_gbk + 1) // 2 :]
    result = [Delivery(file_format="parquet")] * n
    for position, i in enumerate(gbk):
        result[i] = Delivery("csv", "gbk", "survey" if i in survey else "chinese", long_region_code=position % 4 == 0)
    for position, i in enumerate(utf8):
        result[i] = Delivery("csv", "utf-8-sig" if position % 3 == 0 else "utf-8", "canonical")
    for i in xlsx:
        result[i] = Delivery("xlsx", headers="chinese")
    for group in (chinese, xlsx):
        if len(group):
            i = group[0]
            result[i] = Delivery(result[i].file_format, result[i].encoding, "chinese", result[i].long_region_code, "mu")
    return result


def plan_layers(counties: list[County], layers: str, zoned: set[str], rng: np.random.Generator) -> list[County]:
    """Counties delivering layers instead of tables (DOMAIN §6): none, all, or ("mixed") about LAYER_COUNTY_SHARE
    of them, always including the counties with land-price levels (``zoned``) so their price polygons are used.
    Formats by LAYER_FORMAT_SHARES; half of them in their Gauss-Krüger zone, half in geographic CGCS2000;
    Shapefiles with Chinese field names, every other one without its .cpg."""
    if layers not in LAYERS:
        raise ValueError(f"layers must be one of {LAYERS}, not {layers!r}")
    if layers == "none":
        return counties
    n = len(counties)
    chosen = np.ones(n, dtype=bool) if layers == "all" else rng.random(n) < LAYER_COUNTY_SHARE
    chosen |= np.array([c.code in zoned for c in counties]) if layers == "mixed" else chosen
    at = np.flatnonzero(chosen)
    formats = np.array(LAYER_FORMATS)[rng.choice(len(LAYER_FORMATS), len(at), p=LAYER_FORMAT_SHARES)]
    geographic = rng.random(len(at)) < 0.5
    long_code = rng.random(len(at)) < 0.5
    result = list(counties)
    for k, (i, layer_format) in enumerate(zip(at, formats, strict=True)):
        delivery = Delivery(
            file_format=str(layer_format),
            headers="chinese" if layer_format == "shp" else "survey",
            long_region_code=bool(long_code[k]),
            crs="geographic" if geographic[k] else "zone",
            cpg=bool(k % 2),
        )
        result[i] = replace(counties[i], delivery=delivery)
    return result


def province_delivery(formats: str) -> dict[str, Delivery]:
    """The province tables: in "mixed", water as XLSX and minerals as UTF-8 (BOM) CSV, both with Chinese headers."""
    if formats == "mixed":
        return {"water": Delivery("xlsx", headers="chinese"), "minerals": Delivery("csv", "utf-8-sig", "chinese")}
    return {"water": Delivery(formats), "minerals": Delivery(formats)}

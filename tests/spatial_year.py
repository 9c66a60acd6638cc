"""A year's stage files with geometry, made by hand so every figure of the layers and maps handed back is known.

Two counties in the Gauss-Krüger zone CM 114°E (EPSG:4547), all squares on a 50 m grid:

- 140105 小店区: base parcels L1 = [500000, 500100] × [4180000, 4180100] (0103 cropland, valued 116143.83 元, its
  red-line share 0.5 stated by the row, its core-zone share 0.25 by the overlay) and L2 = [500100, 500200] × same
  (0301, excluded from land: its value comes through the forest row); forest F0001 = [500150, 500250] × same,
  on L2 for its west half and outside every base parcel for its east half (land 73440 元 + trees 99781.5 元);
  forest F0002 = [499950, 500050] × same, half on L1 (class mismatch) and half outside (unpriced).
  Inconsistent pieces: F0001 outside 5000 m², F0002 on L1 5000 m², F0002 outside 5000 m².
- 140106 迎泽区: base parcel L3 = [510000, 510200] × [4190000, 4190050] (10000 m², valued 1183790.8656 元) and a
  grassland row a model added from the base map alone (no ``_row_id``, on L3, 57375 元).

Base map areas: 140105 2 ha, 140106 1 ha. Value per ha: 140105 (116143.83 + 73440 + 99781.5) / 10⁴ / 2 =
14.4682665 万元; 140106 (1183790.8656 + 57375) / 10⁴ / 1 = 124.11658656 万元. Inconsistent area: 140105 F0002 as the
consistency report lists it (10000 m², its two pieces not added again), F0001's piece outside (5000 m²) and a wetland
parcel of the report (2500 m²) = 17500 m² = 26.25 亩; 140106 none.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra.layout import YearLayout

YEAR = 2023
EPSG = 4547
XD, YZ = "140105", "140106"
L1 = shapely.box(500000, 4180000, 500100, 4180100)
L2 = shapely.box(500100, 4180000, 500200, 4180100)
L3 = shapely.box(510000, 4190000, 510200, 4190050)
F1 = shapely.box(500150, 4180000, 500250, 4180100)
F2 = shapely.box(499950, 4180000, 500050, 4180100)
ROW_L3 = 4294967296  # the first row of the land survey's second part

D = Decimal
SHARE = pa.decimal128(18, 10)


def _valued(rows: list[dict]) -> pa.Table:
    schema = pa.schema(
        [
            ("_row_id", pa.int64()), ("_source_file", pa.string()), ("_source_row", pa.int64()),
            ("category", pa.string()), ("region_code", pa.string()), ("parcel_id", pa.string()),
            ("base_parcel_id", pa.string()), ("item_code", pa.string()), ("component", pa.string()),
            ("status", pa.string()), ("status_reason", pa.string()), ("area_m2", pa.decimal128(18, 2)),
            ("consistency_findings", pa.string()), ("consistency_resolution", pa.string()),
            ("redline_share", SHARE), ("farmland_share", SHARE), ("protected_share", SHARE),
            ("price_key", pa.string()), ("price_level", pa.string()), ("value_yuan", pa.decimal128(38, 12)),
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def _row(category, row_id, file, line, county, parcel, base, item, component, status, area, value, key, **more):
    return {
        "_row_id": row_id, "_source_file": file, "_source_row": line, "category": category, "region_code": county,
        "parcel_id": parcel, "base_parcel_id": base, "item_code": item, "component": component, "status": status,
        "area_m2": D(area), "value_yuan": None if value is None else D(value), "price_key": key,
        "price_level": "province" if key else None, **more,
    }  # fmt: skip


LAND = [
    _row("land", 0, "land/140105.gpkg", 1, XD, "L1", "L1", "01", "land", "valued", "10000.00", "116143.83",
         "zone= region=140000 class=0103 grade=7", redline_share=D("0.5"), farmland_share=D("1"),
         protected_share=D("0")),
    _row("land", 1, "land/140105.gpkg", 2, XD, "L2", "L2", "03", "land", "excluded", "10000.00", None, None),
    _row("land", ROW_L3, "land/140106.gpkg", 1, YZ, "L3", "L3", "10", "land", "valued", "10000.00",
         "1183790.8656", "zone= region=140100 class=10 grade="),
]  # fmt: skip
FOREST = [
    _row("forest", 0, "forest.gpkg", 1, XD, "F0001", "L2", "0301", "land", "valued", "10000.00", "73440",
         "region=140000 class=0301 grade=", consistency_findings="missing_base"),
    _row("forest", 0, "forest.gpkg", 1, XD, "F0001", "L2", "0301", "trees", "valued", "10000.00", "99781.5",
         "region=140000 group=pine origin=1 age=4", consistency_findings="missing_base"),
    _row("forest", 1, "forest.gpkg", 2, XD, "F0002", "L1", "0301", "land", "unpriced", "10000.00", None, None,
         consistency_findings="class_mismatch;missing_base"),
]  # fmt: skip
GRASSLAND = [
    _row("grassland", None, None, None, YZ, "L3-G", "L3", "02", "land", "valued", "10000.00", "57375",
         "region=140000 type=02 grade=5"),
]  # fmt: skip
PIECES = [
    # category, county, _row_id, parcel, base, area, base class, inventory class, finding
    ("forest", XD, 0, "F0001", "L2", "5000.00", "0301", "0301", None),
    ("forest", XD, 0, "F0001", None, "5000.00", None, "0301", "missing_base"),
    ("forest", XD, 1, "F0002", "L1", "5000.00", "0103", "0301", "class_mismatch"),
    ("forest", XD, 1, "F0002", None, "5000.00", None, "0301", "missing_base"),
]


def _geometry(path: Path, row_ids: list[int], shapes: list, epsg: int = EPSG) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    geoms = np.array(shapes, dtype=object)
    pq.write_table(
        pa.table(
            {
                "_row_id": pa.array(row_ids, pa.int64()),
                "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
                "epsg": pa.array([epsg] * len(shapes), pa.int32()),
                "geometry_area_m2": pa.array(shapely.area(geoms), pa.float64()),
            }
        ),
        path,
    )


def write_spatial_year(out: Path, pieces: bool = True, geometry: bool = True) -> YearLayout:
    """The stage files of the year above under ``out``; without ``geometry`` the same year delivered as tables."""
    layout = YearLayout(out, YEAR)
    layout.reference("admin_divisions").parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "region_code": ["140000", "140100", XD, YZ],
                "name": ["山西省", "太原市", "小店区", "迎泽区"],
                "level": ["province", "city", "county", "county"],
                "parent_code": [None, "140000", "140100", "140100"],
                "longitude": [112.56, 112.55, 112.57, 112.56],
                "latitude": [37.87, 37.87, 37.74, 37.86],
            }
        ),
        layout.reference("admin_divisions"),
    )
    for category, rows in (("land", LAND), ("forest", FOREST), ("grassland", GRASSLAND)):
        layout.valued(category).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(_valued(rows), layout.valued(category))
    layout.validated("land").mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"parcel_id": ["L1", "L2", "L3"], "region_code": [XD, XD, YZ], "_row_id": [0, 1, ROW_L3]}),
        layout.validated("land") / "part-00000.parquet",
    )
    if geometry:
        _geometry(layout.geometry("land") / "part-00000.parquet", [0, 1], [L1, L2])
        _geometry(layout.geometry("land") / "part-00001.parquet", [ROW_L3], [L3])
        _geometry(layout.geometry("forest") / "part-00000.parquet", [0, 1], [F1, F2])
    layout.overlay.mkdir(parents=True, exist_ok=True)
    (layout.overlay / "zone_areas").mkdir(exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "parcel_id": ["L1", "L2", "L3"],
                "region_code": [XD, XD, YZ],
                "_row_id": [0, 1, ROW_L3],
                "area_m2": pa.array([D("10000.00")] * 3, pa.decimal128(18, 2)),
                "redline_share": pa.array([D("0.5"), D("0"), D("0")], SHARE),
                "core_share": pa.array([D("0.25"), D("0"), D("0.1")], SHARE),
            }
        ),
        layout.overlay / "zone_areas" / "part-00000.parquet",
    )
    if pieces:
        columns = list(zip(*PIECES, strict=True))
        pq.write_table(
            pa.table(
                {
                    "category": pa.array(columns[0]), "region_code": pa.array(columns[1]),
                    "_row_id": pa.array(columns[2], pa.int64()), "parcel_id": pa.array(columns[3]),
                    "base_parcel_id": pa.array(columns[4], pa.string()),
                    "piece_area_m2": pa.array([D(a) for a in columns[5]], pa.decimal128(18, 2)),
                    "base_land_class": pa.array(columns[6], pa.string()),
                    "inventory_land_class": pa.array(columns[7], pa.string()),
                    "finding_type": pa.array(columns[8], pa.string()),
                    "source_file": pa.array(["forest.gpkg"] * len(PIECES)),
                    "source_row": pa.array([r[2] + 1 for r in PIECES], pa.int64()),
                }
            ),
            layout.overlay / "pieces.parquet",
        )  # fmt: skip
    pq.write_table(
        pa.table(
            {
                "year": pa.array([YEAR, YEAR], pa.int32()),
                "region_code": [XD, XD],
                "category": ["forest", "wetland"],
                "finding_type": ["class_mismatch", "missing_base"],
                "base_parcel_id": ["L1", "W-BASE"],
                "parcel_id": ["F0002", "W0001"],
                # the consistency report lists the linked row F0002 (on L1 0103) with its whole area
                "area_m2": pa.array([D("10000.00"), D("2500.00")], pa.decimal128(38, 2)),
            }
        ),
        layout.inconsistencies,
    )
    return layout


def write_admin_layer(input_dir: Path, name: str = "admin.gpkg", field: str = "XZQDM") -> Path:
    """County boundaries as a province delivers them: ``<input>/<year>/zones/admin.gpkg`` (or a Shapefile set, a
    FileGDB), 12-digit codes."""
    path = input_dir / str(YEAR) / "zones" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shapes = np.array([shapely.box(499000, 4179000, 505000, 4185000), shapely.box(505000, 4185000, 512000, 4192000)])
    table = pa.table({field: [XD + "000000", YZ + "000000"], "geometry": pa.array(shapely.to_wkb(shapes), pa.binary())})
    driver = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".gdb": "OpenFileGDB"}[path.suffix]
    pyogrio.write_arrow(
        table, path, layer="XZQ", driver=driver, geometry_name="geometry", geometry_type="Polygon",
        crs=pyproj.CRS.from_epsg(EPSG).to_wkt(),
    )  # fmt: skip
    return path

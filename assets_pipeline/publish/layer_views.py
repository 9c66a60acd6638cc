"""The stage files the layers and maps handed back are drawn from, as DuckDB views (DOMAIN §6): the geometry beside
the ingested rows, the valued rows of the mapped categories, the base parcels' ids, the overlay's zone shares and
pieces. A file or column a year did not produce becomes an empty view or a NULL column, so one query serves a
year of tables and layers alike.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from assets_pipeline.consistency.findings import BASE_CATEGORIES, FINDINGS
from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout, part_files

# the categories delivered as polygons (DOMAIN §6): the land survey and the inventories drawn on it
MAPPED = BASE_CATEGORIES
# the control zones in their canonical order (DOMAIN §6); a parcel's share inside each is ``<zone>_share``
ZONES = ("redline", "farmland", "protected", "core", "urban")
SHARES = tuple(f"{zone}_share" for zone in ZONES)
# the valued rows' columns the layers and maps read, for a year in which none of the mapped categories was valued
EMPTY_VALUED = pa.schema(
    [(name, pa.string()) for name in ("category", "region_code", "parcel_id", "base_parcel_id", "item_code")]
    + [(name, pa.string()) for name in ("status", "component", "price_key", "price_level", "_source_file")]
    + [(name, pa.string()) for name in ("consistency_findings", "consistency_resolution")]
    + [("_row_id", pa.int64()), ("_source_row", pa.int64()), ("area_m2", pa.decimal128(18, 2))]
    + [("value_yuan", pa.decimal128(38, 12))]
    + [(share, pa.decimal128(18, 10)) for share in SHARES]
).empty_table()


def has_geometry(layout: YearLayout) -> bool:
    """Whether any category of the year was delivered as a layer (its geometry side files exist)."""
    return any(part_files(layout.geometry(category)) for category in MAPPED)


def register_views(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> dict[str, bool]:
    """Create the views ``geometry``, ``valued`` (only when a mapped category was valued), ``land_ids``,
    ``zone_shares``, ``pieces`` and ``finding_words``; returns which of them hold a stage file (``valued``,
    ``pieces``, ``geometry``)."""
    selects = [
        f"SELECT {sql.path_literal(c)} AS category, _row_id, geometry, CAST(epsg AS INTEGER) AS epsg, "
        f"geometry_area_m2 FROM read_parquet({sql.paths_literal(part_files(layout.geometry(c)))})"
        for c in MAPPED
        if part_files(layout.geometry(c))
    ] or [
        "SELECT NULL::VARCHAR AS category, NULL::BIGINT AS _row_id, NULL::BLOB AS geometry, "
        "NULL::INTEGER AS epsg, NULL::DOUBLE AS geometry_area_m2 WHERE false"
    ]
    con.execute("CREATE OR REPLACE TEMP VIEW geometry AS " + " UNION ALL ".join(selects))

    valued = [layout.valued(c) for c in MAPPED if layout.valued(c).exists()]
    if valued:
        source = f"read_parquet({sql.paths_literal(valued)}, union_by_name = true)"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        missing = "".join(f", NULL::DECIMAL(18, 10) AS {sql.identifier(s)}" for s in SHARES if s not in present)
        con.execute(f"CREATE OR REPLACE TEMP VIEW valued AS SELECT *{missing} FROM {source}")
    else:
        con.register("valued", EMPTY_VALUED)

    land = part_files(layout.validated("land"))
    con.execute(
        "CREATE OR REPLACE TEMP VIEW land_ids AS "
        + (
            f"SELECT parcel_id, min(_row_id) AS _row_id, any_value(region_code) AS region_code "
            f"FROM read_parquet({sql.paths_literal(land)}, union_by_name = true) GROUP BY parcel_id"
            if land
            else "SELECT NULL::VARCHAR AS parcel_id, NULL::BIGINT AS _row_id, NULL::VARCHAR AS region_code WHERE false"
        )
    )

    zone_areas = part_files(layout.overlay / "zone_areas")
    if zone_areas:
        source = f"read_parquet({sql.paths_literal(zone_areas)}, union_by_name = true)"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        shares = ", ".join(
            sql.identifier(s) if s in present else f"NULL::DECIMAL(18, 10) AS {sql.identifier(s)}" for s in SHARES
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW zone_shares AS SELECT parcel_id, {shares} FROM {source}")
    else:
        shares = ", ".join(f"NULL::DECIMAL(18, 10) AS {sql.identifier(s)}" for s in SHARES)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW zone_shares AS SELECT NULL::VARCHAR AS parcel_id, {shares} WHERE false"
        )

    pieces = layout.overlay / "pieces.parquet"
    con.execute(
        "CREATE OR REPLACE TEMP VIEW pieces AS "
        + (
            f"SELECT * FROM read_parquet({sql.path_literal(pieces)})"
            if pieces.exists()
            else "SELECT NULL::VARCHAR AS category, NULL::VARCHAR AS region_code, NULL::BIGINT AS _row_id, "
            "NULL::VARCHAR AS parcel_id, NULL::VARCHAR AS base_parcel_id, NULL::DECIMAL(18, 2) AS piece_area_m2, "
            "NULL::VARCHAR AS finding_type WHERE false"
        )
    )
    con.register(
        "finding_words",
        pa.table(
            {
                "finding_type": list(FINDINGS),
                "finding_zh": [zh for zh, _ in FINDINGS.values()],
                "finding_en": [en for _, en in FINDINGS.values()],
            }
        ),
    )
    return {"valued": bool(valued), "pieces": pieces.exists(), "geometry": has_geometry(layout)}

"""The overlay's output tables (DOMAIN §6) built from a county's arrays: areas as decimal(18,2) from integer cents,
shares and weights as decimal(18,10) from integer units of 1e-10, so what is written is exactly what was computed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from assets_pipeline.spatial.adjust import unscaled_decimal
from assets_pipeline.spatial.control_layers import ZONES
from assets_pipeline.spatial.pieces import Pieces
from assets_pipeline.spatial.zones import ZoneShares

AREA = pa.decimal128(18, 2)
SHARE = pa.decimal128(18, 10)

ZONE_FINDINGS_SCHEMA = pa.schema(
    [
        ("region_code", pa.string()),
        ("parcel_id", pa.string()),
        ("zone", pa.string()),
        ("delivered_m2", AREA),
        ("computed_m2", AREA),
        ("difference_m2", AREA),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)
PRICE_WEIGHTS_SCHEMA = pa.schema(
    [
        ("parcel_id", pa.string()),
        ("region_code", pa.string()),
        ("_row_id", pa.int64()),
        ("land_use", pa.string()),
        ("price_zone", pa.string()),
        ("weight", SHARE),
        ("rule", pa.string()),
    ]
)
LINKS_SCHEMA = pa.schema([("_row_id", pa.int64()), ("base_parcel_id", pa.string()), ("pieces", pa.int64())])
PIECES_SCHEMA = pa.schema(
    [
        ("category", pa.string()),
        ("region_code", pa.string()),
        ("_row_id", pa.int64()),
        ("parcel_id", pa.string()),
        ("base_parcel_id", pa.string()),
        ("piece_area_m2", AREA),
        ("base_land_class", pa.string()),
        ("inventory_land_class", pa.string()),
        ("finding_type", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)
OVERLAPS_SCHEMA = pa.schema(
    [
        ("region_code", pa.string()),
        ("parcel_id_a", pa.string()),
        ("parcel_id_b", pa.string()),
        ("overlap_m2", AREA),
        ("source_file_a", pa.string()),
        ("source_row_a", pa.int64()),
        ("source_file_b", pa.string()),
        ("source_row_b", pa.int64()),
    ]
)


def zone_areas_schema(zones: list[str]) -> pa.Schema:
    fields = [("parcel_id", pa.string()), ("region_code", pa.string()), ("_row_id", pa.int64()), ("area_m2", AREA)]
    for z in (z for z in ZONES if z in zones):
        fields += [(f"{z}_area_m2", AREA), (f"{z}_share", SHARE), (f"{z}_delivered_m2", AREA)]
    return pa.schema(fields)


def zone_areas(rows: pa.Table, official: np.ndarray, shares: dict[str, ZoneShares]) -> pa.Table:
    """One row per base parcel: its TBMJ and, per delivered zone, adjusted area, share and the delivered figure."""
    columns = {
        "parcel_id": rows.column("parcel_id"),
        "region_code": rows.column("region_code"),
        "_row_id": rows.column("_row_id"),
        "area_m2": unscaled_decimal(official, 2),
    }
    for z in (z for z in ZONES if z in shares):
        s = shares[z]
        columns[f"{z}_area_m2"] = unscaled_decimal(s.area_cents, 2)
        columns[f"{z}_share"] = unscaled_decimal(s.share_units, 10)
        columns[f"{z}_delivered_m2"] = unscaled_decimal(s.delivered_cents, 2, s.delivered)
    return pa.table(columns, schema=zone_areas_schema(list(shares)))


def zone_findings(rows: pa.Table, shares: dict[str, ZoneShares]) -> pa.Table:
    """The parcels whose delivered zone area differs from the computed one beyond the tolerance, zone by zone."""
    tables = []
    for z in (z for z in ZONES if z in shares):
        s = shares[z]
        at = np.flatnonzero(s.finding)
        if not len(at):
            continue
        taken = rows.take(at)
        tables.append(
            pa.table(
                {
                    "region_code": taken.column("region_code"),
                    "parcel_id": taken.column("parcel_id"),
                    "zone": pa.array(np.full(len(at), z, dtype=object), pa.string()),
                    "delivered_m2": unscaled_decimal(s.delivered_cents[at], 2),
                    "computed_m2": unscaled_decimal(s.area_cents[at], 2),
                    "difference_m2": unscaled_decimal(s.delivered_cents[at] - s.area_cents[at], 2),
                    "source_file": taken.column("_source_file"),
                    "source_row": taken.column("_source_row"),
                },
                schema=ZONE_FINDINGS_SCHEMA,
            )
        )
    return pa.concat_tables(tables) if tables else ZONE_FINDINGS_SCHEMA.empty_table()


def price_weights(rows: pa.Table, at: np.ndarray, use: str, found: dict[str, np.ndarray]) -> pa.Table:
    """``found`` (from ``prices.price_weights``) for the parcels ``rows.take(at)`` of land use ``use``."""
    index = at[found["parcel_index"]]
    taken = rows.take(index)
    units = found["weight_units"]
    return pa.table(
        {
            "parcel_id": taken.column("parcel_id"),
            "region_code": taken.column("region_code"),
            "_row_id": taken.column("_row_id"),
            "land_use": pa.array(np.full(len(index), use, dtype=object), pa.string()),
            "price_zone": pa.array(found["level"], pa.string()),
            "weight": unscaled_decimal(np.maximum(units, 0), 10, units >= 0),
            "rule": pa.array(found["rule"], pa.string()),
        },
        schema=PRICE_WEIGHTS_SCHEMA,
    )


def pieces_table(category: str, rows: pa.Table, base: pa.Table, pieces: Pieces, findings: np.ndarray) -> pa.Table:
    """Every piece of the county's overlay-linked inventory rows, with both sides' classes and its finding."""
    taken = rows.take(pieces.row)
    on_base = pieces.base >= 0
    base_at = pa.array(np.where(on_base, pieces.base, 0), pa.int64())
    if base.num_rows:
        base_id = base.column("parcel_id").take(base_at).combine_chunks()
        base_class = base.column("land_class").take(base_at).combine_chunks()
        base_id = pa.array(np.where(on_base, base_id.to_numpy(zero_copy_only=False), None), pa.string())
        base_class = pa.array(np.where(on_base, base_class.to_numpy(zero_copy_only=False), None), pa.string())
    else:
        base_id = base_class = pa.nulls(len(pieces.row), pa.string())
    return pa.table(
        {
            "category": pa.array(np.full(len(pieces.row), category, dtype=object), pa.string()),
            "region_code": taken.column("region_code"),
            "_row_id": taken.column("_row_id"),
            "parcel_id": taken.column("parcel_id"),
            "base_parcel_id": base_id,
            "piece_area_m2": unscaled_decimal(pieces.cents, 2),
            "base_land_class": base_class,
            "inventory_land_class": taken.column("land_class"),
            "finding_type": pa.array(findings, pa.string()),
            "source_file": taken.column("_source_file"),
            "source_row": taken.column("_source_row"),
        },
        schema=PIECES_SCHEMA,
    )


def links_table(rows: pa.Table, base: pa.Table, link: np.ndarray, counts: np.ndarray) -> pa.Table:
    linked = link >= 0
    ids = base.column("parcel_id").to_numpy(zero_copy_only=False) if base.num_rows else np.zeros(1, dtype=object)
    return pa.table(
        {
            "_row_id": rows.column("_row_id"),
            "base_parcel_id": pa.array(np.where(linked, ids[np.maximum(link, 0)], None), pa.string()),
            "pieces": pa.array(counts, pa.int64()),
        },
        schema=LINKS_SCHEMA,
    )


def overlaps_table(rows: pa.Table, a: np.ndarray, b: np.ndarray, cents: np.ndarray) -> pa.Table:
    left, right = rows.take(a), rows.take(b)
    return pa.table(
        {
            "region_code": left.column("region_code"),
            "parcel_id_a": left.column("parcel_id"),
            "parcel_id_b": right.column("parcel_id"),
            "overlap_m2": unscaled_decimal(cents, 2),
            "source_file_a": left.column("_source_file"),
            "source_row_a": left.column("_source_row"),
            "source_file_b": right.column("_source_file"),
            "source_row_b": right.column("_source_row"),
        },
        schema=OVERLAPS_SCHEMA,
    )

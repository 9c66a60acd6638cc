"""The overlay's outputs as the tabular steps read them (DOMAIN §6), when the year has an overlay stage.

The overlay (spatial/) writes under ``_stages/overlay/``: each base parcel's adjusted (平差) area inside each
delivered zone (``zone_areas/``), the base parcel each inventory row without an id was linked to (``links/``),
the land-price levels of each parcel (``price_weights/``) and its findings (``zone_findings.parquet``,
``pieces.parquet``, ``overlaps.parquet``). A year whose deliveries are all tables has none of these, and every view
made here is then the delivered rows unchanged, so its figures are those of the tables alone.

- zone areas: for each zone whose layer was delivered (the parts carry ``<zone>_area_m2``), a land parcel the
  overlay measured takes the adjusted area in place of the delivered figure (STBHHXMJ …), so its memo share is
  exactly adjusted area / TBMJ; a parcel without geometry keeps its delivered figure.
- links: an inventory row with a link takes the linked base parcel where it delivered none; ``base_link`` says
  which ('delivered' or 'overlay'), so the valued row's audit trail shows where its base parcel came from.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.schema.land import MEMO_AREA_COLUMNS

# the price levels of a parcel, as the land model reads them (an empty table when no price layer was overlaid)
PRICE_WEIGHT_COLUMNS = {
    "parcel_id": "VARCHAR",
    "region_code": "VARCHAR",
    "_row_id": "BIGINT",
    "price_zone": "VARCHAR",
    "weight": "DECIMAL(18, 10)",
    "rule": "VARCHAR",
}


def overlay_parts(layout: YearLayout, name: str) -> list[str]:
    """The Parquet parts of one of the overlay's outputs (a folder of parts), as paths; none when absent."""
    return [str(p) for p in part_files(layout.overlay / name)]


def zone_area_columns(con: duckdb.DuckDBPyConnection, parts: list[str]) -> dict[str, str]:
    """memo → ``<zone>_area_m2`` of the zones whose layer the overlay measured (columns of the parts)."""
    if not parts:
        return {}
    names = set(con.read_parquet(parts, union_by_name=True).columns)
    return {zone: f"{zone}_area_m2" for zone in MEMO_AREA_COLUMNS if f"{zone}_area_m2" in names}


def register_zone_areas(con: duckdb.DuckDBPyConnection, layout: YearLayout, source: str, name: str) -> None:
    """A view ``name`` of the land rows ``source`` with each measured zone's memo area the overlay's adjusted area
    (DOMAIN §6), for the parcels it measured; the delivered figure elsewhere. The column keeps its type."""
    parts = overlay_parts(layout, "zone_areas")
    measured = zone_area_columns(con, parts)
    if not measured:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {sql.identifier(name)} AS SELECT * FROM {sql.identifier(source)}")
        return
    zones = f"{name}_zone_areas"
    con.register(zones, con.read_parquet(parts, union_by_name=True))
    replaced = ", ".join(
        f"coalesce(CAST(z.{column} AS DOUBLE), s.{MEMO_AREA_COLUMNS[zone]}) AS {MEMO_AREA_COLUMNS[zone]}"
        for zone, column in measured.items()
    )
    con.execute(
        sql.load(
            __file__,
            "zone_area_view",
            view=sql.identifier(name),
            source=sql.identifier(source),
            zones=sql.identifier(zones),
            replaced=sql.Literal(replaced),
        )
    )


def register_links(con: duckdb.DuckDBPyConnection, layout: YearLayout, category: str, source: str, name: str) -> None:
    """A view ``name`` of the inventory rows ``source`` with the overlay's base parcel where the row delivered
    none, and ``base_link`` ('delivered' or 'overlay'). Needs the macro ``id_or_null`` (base_map.EMPTY_ID_MACRO)."""
    parts = overlay_parts(layout, f"links/{category}")
    links = f"{name}_links"
    if parts:
        con.register(links, con.read_parquet(parts, union_by_name=True))
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {sql.identifier(links)} AS "
            "SELECT NULL::BIGINT AS _row_id, NULL::VARCHAR AS base_parcel_id LIMIT 0"
        )
    con.execute(
        sql.load(
            __file__,
            "linked_view",
            view=sql.identifier(name),
            source=sql.identifier(source),
            links=sql.identifier(links),
        )
    )


def register_price_weights(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """The view ``price_weights`` (DOMAIN §6 price rule): the overlay's price levels of each land parcel, or an
    empty view with the same columns when no price layer was overlaid (the land model prices by the table)."""
    parts = overlay_parts(layout, "price_weights")
    cast = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in PRICE_WEIGHT_COLUMNS.items())
    if parts:
        con.register("price_weights_parts", con.read_parquet(parts, union_by_name=True))
        con.execute(f"CREATE OR REPLACE TEMP VIEW price_weights AS SELECT {cast} FROM price_weights_parts")
    else:
        empty = ", ".join(f"NULL::{t} AS {c}" for c, t in PRICE_WEIGHT_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TEMP VIEW price_weights AS SELECT {empty} LIMIT 0")


# The overlay's findings (DOMAIN §6) as spatial_findings.parquet names them: code → (中文, English), in report order.
SPATIAL_FINDINGS: dict[str, tuple[str, str]] = {
    "piece_class_mismatch": ("落图地类不一致", "piece on a base parcel of another category"),
    "piece_missing_base": ("落图不在底图图斑内", "piece outside every base parcel"),
    "piece_ownership_mismatch": ("落图权属不一致", "piece whose ownership disagrees with the base parcel"),
    "piece_county_mismatch": ("落图行政区不一致", "piece whose county disagrees with the base parcel"),
    **{
        f"zone_{zone}": (f"{zh}面积与落图计算不一致", f"stated {en} area differs from the overlay's")
        for zone, zh, en in (
            ("redline", "生态保护红线", "red line"),
            ("farmland", "永久基本农田", "basic farmland"),
            ("protected", "自然保护地", "protected area"),
            ("core", "自然保护地核心区", "protected-area core zone"),
            ("urban", "城镇开发边界", "urban development boundary"),
        )
    },
    "parcel_overlap": ("底图图斑相互重叠", "base parcels overlap (ground counted twice)"),
}
# the overlay's findings files and the columns the report reads of each (an absent file reads as no rows)
FINDING_FILES = {
    "pieces": {
        "category": "VARCHAR",
        "region_code": "VARCHAR",
        "_row_id": "BIGINT",
        "parcel_id": "VARCHAR",
        "base_parcel_id": "VARCHAR",
        "piece_area_m2": "DECIMAL(18, 2)",
        "base_land_class": "VARCHAR",
        "inventory_land_class": "VARCHAR",
        "finding_type": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "BIGINT",
    },
    "zone_findings": {
        "region_code": "VARCHAR",
        "parcel_id": "VARCHAR",
        "zone": "VARCHAR",
        "delivered_m2": "DECIMAL(18, 2)",
        "computed_m2": "DECIMAL(18, 2)",
        "difference_m2": "DECIMAL(18, 2)",
        "source_file": "VARCHAR",
        "source_row": "BIGINT",
    },
    "overlaps": {
        "region_code": "VARCHAR",
        "parcel_id_a": "VARCHAR",
        "parcel_id_b": "VARCHAR",
        "overlap_m2": "DECIMAL(18, 2)",
        "source_file_a": "VARCHAR",
        "source_row_a": "BIGINT",
        "source_file_b": "VARCHAR",
        "source_row_b": "BIGINT",
    },
}


def has_overlay_findings(layout: YearLayout) -> bool:
    return any((layout.overlay / f"{name}.parquet").is_file() for name in FINDING_FILES)


def register_overlay_findings(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """Views ``overlay_<name>`` of the overlay's findings files (empty, with their columns, when absent) and
    ``spatial_labels`` of SPATIAL_FINDINGS."""
    for name, columns in FINDING_FILES.items():
        path = layout.overlay / f"{name}.parquet"
        if path.is_file():
            select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns.items())
            source = f"read_parquet({sql.path_literal(path)})"
        else:
            select = ", ".join(f"NULL::{t} AS {c}" for c, t in columns.items())
            source = "(SELECT 1 LIMIT 0)"
        con.execute(f"CREATE OR REPLACE TEMP VIEW overlay_{name} AS SELECT {select} FROM {source}")
    con.register("spatial_labels", spatial_labels())


def spatial_labels() -> pa.Table:
    """SPATIAL_FINDINGS as a table: finding_type, finding_zh, finding_en, finding_order."""
    return pa.table(
        {
            "finding_type": list(SPATIAL_FINDINGS),
            "finding_zh": [v[0] for v in SPATIAL_FINDINGS.values()],
            "finding_en": [v[1] for v in SPATIAL_FINDINGS.values()],
            "finding_order": list(range(len(SPATIAL_FINDINGS))),
        }
    )

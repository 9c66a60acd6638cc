"""Reading both years for the balance accounts (DOMAIN §5): this year's and last year's valued rows, each year's
base-parcel links of inventory rows and each year's state base map (DOMAIN §2) — all from the published valued
files, which the manifest covers (last year's are verified against it before they are read)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from assets_pipeline.infra.duck import sql_path
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.ledger import valued_view
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.valuation.models import prepare

INVENTORIES = ("forest", "grassland", "wetland")


def previous_layout(layout: YearLayout) -> YearLayout | None:
    """Last year's outputs, if its valued rows exist (else this is the first year of the accounts)."""
    previous = YearLayout(layout.output_dir, layout.year - 1)
    return previous if any(previous.valued(c).exists() for c in CATEGORIES) else None


def open_both_years(
    con: duckdb.DuckDBPyConnection, layout: YearLayout, previous: YearLayout | None, categories
) -> None:
    """``valued1`` (this year's valued rows) and, when there is a last year, ``valued0``, ``links0``/``links1`` and
    ``base_map0``/``base_map1``."""
    prepare(con, layout, {})
    valued_view(con, layout, categories, name="valued1")
    if previous is not None:
        valued_view(con, previous, categories, name="valued0")
        links_view(con, previous, "links0")
        links_view(con, layout, "links1")
        for name, year in (("base_map0", previous), ("base_map1", layout)):
            base_map_view(con, year, name)


def link_sources(layout: YearLayout) -> str:
    """Where each year's base-parcel links come from, for the step's metadata: the ``base_parcel_id`` column of
    the year's published valued files (last year's verified against its manifest); a file written before the
    column was published has none, and its rows without a partner by id are new or removed."""
    years = [YearLayout(layout.output_dir, layout.year - 1), layout]
    return "; ".join(
        f"{y.year}: "
        + ", ".join(
            f"{c} {'valued/' + c + '.parquet' if has_base_parcels(y.valued(c)) else 'none'}"
            for c in INVENTORIES
            if y.valued(c).exists()
        )
        for y in years
        if any(y.valued(c).exists() for c in INVENTORIES)
    )


def has_base_parcels(path: Path) -> bool:
    """Whether a valued file carries its rows' ``base_parcel_id``."""
    return path.exists() and "base_parcel_id" in pq.read_schema(path).names


def base_map_view(con: duckdb.DuckDBPyConnection, layout: YearLayout, name: str) -> None:
    """``<name>``: the parcel ids of the year's state base map — every row of the land file, whatever the parcel's
    category (collective parcels are not in it, DOMAIN §2)."""
    path = layout.valued("land")
    source = (
        f"SELECT CAST(parcel_id AS VARCHAR) AS parcel_id FROM read_parquet('{sql_path(path)}') WHERE parcel_id IS NOT NULL"
        if path.exists()
        else "SELECT NULL::VARCHAR AS parcel_id WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {source}")


def links_view(con: duckdb.DuckDBPyConnection, layout: YearLayout, name: str) -> None:
    """``<name>``: category, _row_id, base_parcel_id of the year's forest, grassland and wetland rows (DOMAIN §2),
    from the year's published valued files, the files its manifest lists (a forest row's two components point at
    the same base parcel). Only the rows without a partner by id are looked up in it."""
    arms = [
        f"SELECT DISTINCT '{c}' AS category, CAST(_row_id AS BIGINT) AS _row_id, "
        f"CAST(base_parcel_id AS VARCHAR) AS base_parcel_id FROM read_parquet('{sql_path(path)}') "
        "WHERE _row_id IS NOT NULL"
        for c in INVENTORIES
        if has_base_parcels(path := layout.valued(c))
    ]
    arms.append("SELECT NULL::VARCHAR, NULL::BIGINT, NULL::VARCHAR WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {' UNION ALL '.join(arms)}")

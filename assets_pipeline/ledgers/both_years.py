"""Reading both years for the balance accounts (DOMAIN §5): this year's and last year's valued rows, each year's
base-parcel links of inventory rows and each year's state base map (DOMAIN §2)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets_pipeline.infra.duck import sql_path
from assets_pipeline.infra.layout import YearLayout, part_files, parts
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


def link_folder(layout: YearLayout, category: str) -> Path | None:
    """The stage rows that hold an inventory row's ``base_parcel_id`` (by ``_row_id``): the consistency step's
    resolved rows where it ran, else the validated rows; None when the year kept neither."""
    for folder in (layout.resolved(category), layout.validated(category)):
        if part_files(folder):
            return folder
    return None


def link_sources(layout: YearLayout) -> str:
    """Where each year's base-parcel links come from, for the step's metadata: an inventory whose stage rows are
    gone (the year's ``_stages`` removed) has none, and its rows without a partner by id are new or removed."""
    years = [YearLayout(layout.output_dir, layout.year - 1), layout]
    return "; ".join(
        f"{y.year}: "
        + ", ".join(
            f"{c} {folder.parent.name if (folder := link_folder(y, c)) else 'none'}"
            for c in INVENTORIES
            if y.valued(c).exists()
        )
        for y in years
        if any(y.valued(c).exists() for c in INVENTORIES)
    )


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
    """``<name>``: category, _row_id, base_parcel_id of the year's forest, grassland and wetland rows (DOMAIN §2).
    Only the rows without a partner by id are looked up in it."""
    arms = [
        f"SELECT '{c}' AS category, CAST(_row_id AS BIGINT) AS _row_id, CAST(base_parcel_id AS VARCHAR) AS base_parcel_id "
        f"FROM read_parquet('{sql_path(Path(parts(folder)))}')"
        for c in INVENTORIES
        if (folder := link_folder(layout, c)) is not None
    ]
    arms.append("SELECT NULL::VARCHAR, NULL::BIGINT, NULL::VARCHAR WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {' UNION ALL '.join(arms)}")

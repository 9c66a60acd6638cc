"""Balance accounts (平衡表, DOMAIN §5; SEEA CF Table 5.1): opening, additions, reductions, revaluation, closing.

Derived by comparing this year's valued rows with last year's, row by row, by id (DOMAIN §5):

* **ids** — land, forest, grassland and wetland rows by ``parcel_id``; mineral rows by deposit × mineral ×
  resource class; water by county × basin × source type (``valued_rows.sql``). A row's **cell** is the
  ledger's: county × category × item × exercising subject (× indicator for quantities, × component for values).

* **physical flows** of a row (one indicator: area, stock, hay yield, volume, mineral quantity):

  - id in both years, same cell: the difference is ``additions_increase`` (area increase, forest growth,
    upward reappraisal) or ``reductions_decrease`` (area decrease, harvest, downward reappraisal);
  - id in both years, another cell (class, item, subject or county changed): the smaller of its two quantities
    is ``reductions_reclassified_out`` of the old cell and ``additions_reclassified_in`` of the new one (the same
    figure on both sides), the rest a decrease of the old cell or an increase of the new one (minerals: out by
    last year's quantity after extraction, in by this year's);
  - parcels (land, forest, grassland, wetland) without a partner by id are matched through their **base parcel**
    (DOMAIN §2: the base map is a parcel's one identity; a land row is its base parcel, an inventory row points
    at one by ``base_parcel_id``, a column of the year's published valued rows). On one base parcel:
    rows of the same category and cell in both years are the same asset re-identified, their change an
    increase or decrease; of what is left, the area found only last year (in any category) and the area found
    only this year moved between those cells: the smaller of the two is reclassified out of the old cells and
    in to the new ones — handed out to the cells in a fixed order, so out = in exactly. What remains is
    ``reductions_removed`` only when the base parcel is not on this year's state base map (it became collective
    or is gone from the base map: a split parcel's old id), ``additions_new`` only when it was not on last
    year's (new parcels, split and merge products); on a base parcel still (already) on the state base map it is
    a ``reductions_decrease`` (``additions_increase``): the parcel counted smaller (larger), e.g. its inventory
    row rejected this year. So a forest row gone because its base parcel turned into mining land is reclassified
    out of forest and in to land, consistent with the land transition matrix; its stock, which the land
    ledger does not measure, is a decrease;
  - minerals and water, id only last year: ``reductions_reclassified_out`` when the asset is still there under
    another item (a deposit × mineral still reported in another resource class), else ``reductions_removed``;
    id only this year: ``additions_reclassified_in`` when it was there last year under another item, else
    ``additions_discovered`` for minerals (new deposits) and ``additions_new`` for water;
  - minerals: ``reductions_extracted`` is the declared ``annual_extraction`` of the row (this year's
    declaration, else last year's when the row is gone), capped at the opening quantity; it is taken before
    any other flow of the row, the rest of the row's change is classified as above.

  ``other_changes_in_volume`` is the gap between the flows and the observed difference of the cell; it is
  zero at the row level (the flows above exhaust the observed change) and in published cells it is what
  makes the printed account add up after rounding. It is signed and counted in ``additions`` (a negative
  value lowers them), so **opening + additions − reductions = closing** holds exactly in every cell.

* **value** (万元), per row with quantity q (the quantity its price applies to: area, stock, stems, volume,
  mineral quantity) and value v: opening v0, closing v1, revaluation q0·p1 − q0·p0 = v1·q0/q1 − v0 and
  volume change (q1 − q0)·p1 = v1 − v0 − revaluation, so opening + volume change + revaluation = closing
  exactly, row by row. The only division, v1·q0/q1, is done in 128-bit integers on the exact scaled
  figures (value at 10⁻¹⁰ 元, quantity at 10⁻⁶), rounded half away from zero at 10⁻¹⁰ 元: the revaluation is
  exact to 10⁻¹⁰ 元 and the volume change takes the remainder, so the identity is exact by construction.
  Rows without a comparable price (new, removed, moved to another cell, priced on another basis — e.g. a
  stand priced per 亩 last year and per m³ this year — or with no quantity this year) have no revaluation:
  their whole change is volume change (a removed row: −opening, at last year's price). As in the value
  ledger, only valued rows carry a value: a row priced last year and unpriced this year leaves the value
  account as a volume change (and is listed in ``unpriced.parquet``).

* **publication** (DOMAIN §5, "tables must add up as printed"): a county cell's opening, closing and each
  flow are its exact sums rounded half-up to 2 decimals; ``other_changes_in_volume`` (physical) and
  ``revaluation`` (value) are the published residuals, so opening + additions − reductions = closing and
  opening + volume change + revaluation = closing hold exactly as printed. A city's cell is the sum of its
  counties' published cells and the province's the sum of its cities', for every column, so the identities
  hold there too. Opening is last year's rows summed and rounded exactly as last year's ledger did, so the
  published opening equals last year's published closing of the same cell. Unrounded figures are kept in the
  ``*_unrounded`` columns.

* **first year** — with no valued rows of the previous year, ``has_opening`` is false and opening and the
  flows are null (not zero): the account starts with the closing stock.

The steps: both years' rows are read (``both_years.py``), each row's flows computed (``physical_flows.sql``,
``value_flows.sql``) and the cells published here. The land-use transition matrix (土地利用转移矩阵) is derived the
same way over the base map (every state land-survey row, whatever its category), see ``transitions.py``.

Guards: last year's files are the ones its ``manifest.json`` lists before they are used as opening balances
(``last_year_files.py``); the published accounts add up (``identity_failures``) and open with last year's closing
(``opening_mismatches``); over the province the area reclassified out of all categories equals
the area reclassified in, and both the area that moved recomputed from the valued rows
(``reclassifications.py``, blocking); removed and new are the area of the rows whose base parcel left or
joined the state base map (``removed_and_new_check``, a warning).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.both_years import open_both_years, previous_layout
from assets_pipeline.ledgers.ledger import (
    PHYSICAL_DIMS,
    VALUE_DIMS,
    cell_names,
    column_list,
    physical_indicators,
    publish_kind,
    roll_up_levels,
)
from assets_pipeline.schema.categories import CATEGORIES

ADDITIONS = ["additions_new", "additions_reclassified_in", "additions_increase", "additions_discovered"]
REDUCTIONS = ["reductions_removed", "reductions_reclassified_out", "reductions_decrease", "reductions_extracted"]
FLOWS = ADDITIONS + REDUCTIONS
PHYSICAL_MEASURES = ["opening", "closing", *FLOWS, "other_changes_in_volume"]
VALUE_MEASURES = ["opening", "closing", "volume_change", "revaluation"]
# what a row carries into the physical flows besides its cell: its ids, extraction and stage row
PHYSICAL_ROW_IDS = ("balance_id", "lineage_key", "annual_extraction", "_row_id")


def flows_views(con: duckdb.DuckDBPyConnection, has_previous: bool) -> None:
    """``physical_flows`` and ``value_flows``: each row's opening, closing and flows in its cell, compared with last
    year's rows, or a first year's (closing only)."""
    for side in "01" if has_previous else "1":
        # the '_mu' indicator is the Excel view of the area (DOMAIN §5): the balance keeps hectares only
        indicators = physical_indicators(f"valued{side}", PHYSICAL_ROW_IDS)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW physical_rows{side} AS SELECT * FROM ({indicators}) "
            "WHERE indicator <> 'area_mu'"
        )
        con.execute(
            sql.load(
                __file__,
                "priced_rows",
                priced=sql.identifier(f"priced_rows{side}"),
                valued=sql.identifier(f"valued{side}"),
            )
        )
    for account in ("physical", "value"):
        con.execute(sql.query(__file__, f"{account}_flows" if has_previous else f"{account}_first_year"))


def build_balance(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> bool:
    """Write the year's ``balance_physical.parquet`` and ``balance_value.parquet`` (atomically).

    Returns whether the accounts have an opening (last year's valued rows were there)."""
    previous = previous_layout(layout)
    measures = {"physical": PHYSICAL_MEASURES, "value": VALUE_MEASURES}
    dims = {"physical": PHYSICAL_DIMS, "value": VALUE_DIMS}
    with connect(layout.stages / "duckdb_tmp") as con:
        open_both_years(con, layout, previous, categories)
        flows_views(con, previous is not None)
        for account, path in (("physical", physical_path), ("value", value_path)):
            levels = roll_up_levels(dims[account], [*measures[account], *(m + "_x" for m in measures[account])])
            query = sql.load(__file__, f"balance_{account}", levels=levels, named=cell_names())
            with atomic_path(path) as tmp:
                con.execute(
                    f"COPY ({query}) TO {sql.path_literal(tmp)} (FORMAT parquet, COMPRESSION zstd)",
                    {"year": layout.year, "has_opening": previous is not None},
                )
    return previous is not None


def identity_failures(path: Path, kind: str) -> tuple[int, int]:
    """Cells (county, city, province) where the published account does not add up, and the cell count."""
    with connect() as con:
        broken, kinds, total = con.execute(sql.query(__file__, f"identity_{kind}"), {"p": str(path)}).fetchone()
    return broken + kinds, total


def opening_mismatches(balance_path: Path, previous_ledger: Path, kind: str) -> list[tuple]:
    """Cells whose published opening differs from last year's published closing of the same cell
    (last year's ledger; a cell absent on one side counts as 0). Empty in the first year."""
    keys = ["region_code", *(PHYSICAL_DIMS if kind == "physical" else VALUE_DIMS)]
    pieces = publish_kind(kind)
    query = sql.load(
        __file__,
        "opening_mismatches",
        keys=column_list(keys),
        amount=pieces["published"],
        measure=pieces["order"],
        either=column_list(keys, "coalesce(b.{0}, l.{0}) AS {0}"),
        matched=column_list(keys, "b.{0} IS NOT DISTINCT FROM l.{0}", " AND "),
    )
    with connect() as con:
        has_opening = con.execute(
            "SELECT bool_or(has_opening) FROM read_parquet($b)", {"b": str(balance_path)}
        ).fetchone()[0]
        if not has_opening:
            return []
        if not Path(previous_ledger).exists():
            return [(f"last year's ledger {previous_ledger} is missing", None, None)]
        return con.execute(query, {"b": str(balance_path), "l": str(previous_ledger)}).fetchall()

"""Breakdowns of ledger items (DOMAIN §5, §2): forest 乔木林 (0301) by age group (幼龄林 … 过熟林), the land items by
land group (农用地 / 建设用地 / 未利用地) with the groups' subtotals. They are written to files of their own,
``breakdown_physical.parquet`` and ``breakdown_value.parquet``, keyed like the ledgers plus ``breakdown`` and
``member``, so that no sum over the ledgers meets them twice and the ledgers' rows stay as they were.

- ``age_group``: the cell forest × 0301 × subject × indicator (area, area_mu, stock) or component (land, trees)
  split by the inventory row's age group (rows the base map added without an inventory row: ``unknown``).
- ``land_group``: each land ledger cell split by the group of its rows' land classes (a level-1 item such as 10
  交通运输用地 straddles groups: 1006 农村道路 is agricultural, the rest construction).
- ``land_group_total``: per region × subject × indicator or component, each group over all land items
  (``item_code`` empty): the subtotals, sums of the published ``land_group`` parts.

Publication: the parts of a county cell are its exact parts to the cent, the cell's published figure
(round(exact, 2), as the ledger rounds it) shared out by largest remainder (each part is its exact figure cut to
the cent, plus 0.01 for as many parts, largest remainder first, as the cell's published cents need), so the parts
add up as printed to the ledger's cell; cities and the province are sums of published county parts, as in the
ledgers. The blocking check ``breakdowns_add_up`` compares the files with the ledgers (``breakdown_mismatches``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect, sql_path
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.ledger import (
    PHYSICAL_DIMS,
    VALUE_CELLS,
    VALUE_DIMS,
    column_list,
    county_sums,
    physical_cells,
    publish_kind,
    roll_up_levels,
    valued_view,
)
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.valuation.models import prepare

BREAKDOWNS = ("age_group", "land_group")
PARTS = ("breakdown", "member")


def forest_ages_view(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """``forest_ages``: each forest inventory row's age group, by row id, from the year's published valued forest
    rows (a row's land and trees parts have the same); empty when there are none."""
    path = layout.valued("forest")
    if path.exists():
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW forest_ages AS SELECT DISTINCT _row_id, age_group "
            f"FROM read_parquet('{sql_path(path)}') WHERE _row_id IS NOT NULL"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW forest_ages AS SELECT NULL::BIGINT AS _row_id, NULL::VARCHAR AS age_group "
            "WHERE false"
        )


def build_breakdowns(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> None:
    """Write ``breakdown_physical.parquet`` and ``breakdown_value.parquet`` (atomically): see above."""
    queries = {
        kind: sql.load(
            __file__,
            "breakdown_roll_up",
            dims=column_list(dims),
            total_dims=column_list(d for d in dims if d != "item_code"),
            dims_a=column_list(dims, "a.{}"),
            levels=roll_up_levels([*dims, *PARTS], ["exact", "published"]),
            **publish_kind(kind),
        )
        for kind, dims in (("physical", PHYSICAL_DIMS), ("value", VALUE_DIMS))
    }
    cells = {"physical": physical_cells("sums", PARTS), "value": VALUE_CELLS.format(ids="breakdown, member, ")}
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        valued_view(con, layout, [c for c in categories if c in ("land", "forest")])
        forest_ages_view(con, layout)
        con.execute(sql.query(__file__, "breakdown_rows"))
        con.execute(sql.query(__file__, "member_names"))
        con.execute(f"CREATE TEMP TABLE sums AS {county_sums('breakdown_rows', PARTS)}")
        for kind, path in (("physical", physical_path), ("value", value_path)):
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {cells[kind]}")
            with atomic_path(path) as tmp:
                con.execute(
                    f"COPY ({queries[kind]}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)",
                    {"year": layout.year},
                )


def breakdown_mismatches(layout: YearLayout, physical_path: Path, value_path: Path) -> tuple[list[tuple], int]:
    """Every ledger cell the breakdowns split whose parts do not add up to it, published or unrounded, and every
    part without its cell (empty when all is well), with how many cells were compared. Read from the files:
    the ledgers' cells come from the valued rows' county sums, the parts from the same rows joined to their
    inventory rows and groups, so a row lost or counted twice in that join shows here."""
    found, compared = [], 0
    with connect() as con:
        for kind, path, ledger in (
            ("physical", physical_path, layout.ledger_physical),
            ("value", value_path, layout.ledger_value),
        ):
            pieces = publish_kind(kind)
            query = sql.load(
                __file__,
                "breakdown_check",
                measure=pieces["order"],
                published=pieces["published"],
                exact=pieces["exact"],
            )
            found += con.execute(query, {"breakdown": str(path), "ledger": str(ledger), "kind": kind}).fetchall()
            compared += con.execute(
                "SELECT count(*) FROM read_parquet($ledger) WHERE category = 'land' OR "
                "(category = 'forest' AND item_code = '0301')",
                {"ledger": str(ledger)},
            ).fetchone()[0]
    return found, compared

"""Ledgers: the row-level values and quantities summed per region × category × item × subject (DOMAIN §5).

Publication rule (DOMAIN §5, "tables must add up as printed"): a county cell is its exact sum rounded
half-up to 2 decimals; a city cell is the sum of its counties' published cells, the province cell the
sum of its cities'. The unrounded figures are kept beside the published ones.

Physical quantities follow ownership (DOMAIN §2): the area of forest is the state forest land (land
component), its stock and bamboo stems the state trees (trees component). Quantities in different
units are separate indicators and are never added.

Breakdowns of ledger items (forest 0301 by age group, land items by land group) are written apart from the
ledgers, in files of their own with their own check (``breakdowns.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect, sql_path
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.memos import MEMOS, SHARES, memo_columns, memo_sums, memo_view
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.valuation.models import prepare

# The physical indicators of a relation with the valued rows' columns ({valued}) — the rows themselves (the balance
# accounts, with their ids in {ids}/{ids_v}) or their county sums (the ledgers): a template for str.format.
PHYSICAL_INDICATORS_TEMPLATE = sql.query(__file__, "physical_indicators")
# the dimensions of a ledger's cell besides the region: per indicator (physical) or component (value)
PHYSICAL_DIMS = ["category", "item_code", "subject", "indicator", "unit", "unit_en"]
VALUE_DIMS = ["category", "item_code", "subject", "component"]
# values are published in 万元; unpriced rows carry no value and are reported apart (unpriced.parquet)
VALUE_CELLS = (
    "SELECT {ids}category, ledger_item AS item_code, subject, component, region_code, "
    "value_yuan * 0.0001 AS amount FROM sums WHERE rows_valued > 0"
)
ROW_COLUMNS = (
    "area_m2",
    "stock_m3",
    "bamboo_stems",
    "hay_t",
    "volume_m3",
    "quantity",
    "resource_class",
    "parcel_id",
    "deposit_id",
    "basin",
    "annual_extraction",
    "land_class",
    "priced_on",
    *SHARES,
)


def column_list(names: Iterable[str], pattern: str = "{}", separator: str = ", ") -> sql.Literal:
    """``pattern`` filled with each of our own column names, comma-separated: a generated select list."""
    return sql.Literal(separator.join(pattern.format(sql.identifier(n)) for n in names))


def column_prefix(names: Iterable[str], pattern: str = "{}") -> sql.Literal:
    """:func:`column_list` followed by a comma, to go before a select list's own columns (empty for no names)."""
    return sql.Literal("".join(pattern.format(sql.identifier(n)) + ", " for n in names))


def physical_indicators(valued: str, carried: Iterable[str] = ()) -> str:
    """The physical indicators of the view ``valued``, each row carrying the columns ``carried`` along."""
    carried = list(carried)
    return sql.load(
        __file__,
        "physical_indicators",
        valued=sql.identifier(valued),
        ids=column_prefix(carried),
        ids_v=column_prefix(carried, "v.{}"),
    )


def physical_cells(valued: str, carried: Iterable[str] = ()) -> str:
    """The physical indicators as ledger cells to be published (``amount``)."""
    return f"SELECT *, quantity AS amount FROM ({physical_indicators(valued, carried)})"


def county_sums(rows: str, dims: Iterable[str] = (), memos: bool = False) -> str:
    """The county sums of the view ``rows`` per cell and ``dims`` (``county_sums.sql``), with the memos' parts or not."""
    return sql.load(
        __file__,
        "county_sums",
        rows=sql.identifier(rows),
        dims=column_prefix(dims),
        memos=sql.Literal(",\n       " + memo_sums() if memos else ""),
    )


def roll_up_levels(dims: Iterable[str], measures: Iterable[str], county: str = "county_pub") -> sql.Literal:
    """CTEs ``city_pub``, ``province_pub`` and ``all_levels`` over a CTE of county cells: a city's cell is
    the sum of its counties' cells, the province's the sum of its cities' — for every measure, so a total
    of published cells is the sum of published cells (DOMAIN §5, "tables must add up as printed")."""
    return sql.Literal(
        sql.load(
            __file__,
            "roll_up_levels",
            dims=column_list(dims),
            county=sql.identifier(county),
            sums=column_list(measures, "sum(c.{0}) AS {0}"),
        )
    )


def cell_names() -> sql.Literal:
    """CTE ``named_levels``: the cells of ``all_levels`` with their region's, item's and subject's names."""
    return sql.Literal(sql.query(__file__, "cell_names"))


def publish_kind(kind: str) -> dict[str, sql.Literal]:
    """The pieces of a roll-up that depend on the ledger's kind: the published and unrounded columns' names and
    the dimension its rows are ordered by last."""
    published = "quantity" if kind == "physical" else "value_wan_yuan"
    return {
        "published": sql.identifier(published),
        "exact": sql.identifier(f"{published}_unrounded"),
        "order": sql.identifier("indicator" if kind == "physical" else "component"),
    }


def valued_view(con: duckdb.DuckDBPyConnection, layout: YearLayout, categories, name: str = "valued") -> None:
    """``<name>``: the year's in-scope valued rows (valued or unpriced); ``<name>_rows``: every row of the
    valued files, excluded ones too (the land file's rows of other categories complete the base map)."""
    paths = [str(layout.valued(c)) for c in categories if layout.valued(c).exists()]
    con.register(f"{name}_all", con.read_parquet(paths, union_by_name=True))
    columns = {row[0] for row in con.execute(f"DESCRIBE {name}_all").fetchall()}
    # minerals are itemised by mineral × resource class (DOMAIN §5)
    ledger_item = "item_code || coalesce('|' || resource_class, '')" if "resource_class" in columns else "item_code"
    extra = ", ".join(f"NULL AS {c}" for c in ROW_COLUMNS if c not in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name}_filled AS SELECT *, {ledger_item} AS ledger_item{', ' + extra if extra else ''} "
        f"FROM {name}_all"
    )
    con.execute(
        sql.load(__file__, "valued_rows", rows=sql.identifier(f"{name}_rows"), filled=sql.identifier(f"{name}_filled"))
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_rows WHERE status IN ('valued', 'unpriced')"
    )
    con.execute(sql.query(__file__, "item_names"))


def build_ledgers(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> None:
    """Write ``ledger_physical.parquet`` and ``ledger_value.parquet`` for the year (atomically).

    The valued rows are read once, into county sums (``county_sums.sql``, with the memos' parts); every ledger and
    "of which" column is rolled up from those sums."""
    queries = {
        kind: sql.load(
            __file__,
            "ledger_roll_up",
            dims=column_list(dims),
            dims_a=column_list(dims, "a.{}"),
            levels=roll_up_levels(dims, ["exact", "published"]),
            named=cell_names(),
            **publish_kind(kind),
        )
        for kind, dims in (("physical", PHYSICAL_DIMS), ("value", VALUE_DIMS))
    }
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        valued_view(con, layout, categories)
        con.execute(f"CREATE TEMP TABLE county_sums AS {county_sums('valued', memos=True)}")
        # the ledgers, then the "of which" columns: inside the red line, permanent basic farmland, protected areas
        for part, sums in [("ledger", "SELECT * FROM county_sums")] + [(m, memo_view(m)) for m in MEMOS]:
            con.execute(f"CREATE OR REPLACE TEMP VIEW sums AS {sums}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {physical_cells('sums')}")
            con.execute(f"CREATE TEMP TABLE physical_{part} AS {queries['physical']}", {"year": layout.year})
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {VALUE_CELLS.format(ids='')}")
            con.execute(f"CREATE TEMP TABLE value_{part} AS {queries['value']}", {"year": layout.year})
        for kind, path, order in (("physical", physical_path, "indicator"), ("value", value_path, "component")):
            select, joins = memo_columns(kind)
            query = (
                f"SELECT l.*, {select} FROM {kind}_ledger l {joins} "
                f"ORDER BY l.category, l.region_level, l.region_code, l.item_code, l.subject, l.{order}"
            )
            with atomic_path(path) as tmp:
                con.execute(f"COPY ({query}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")


def write_unpriced(layout: YearLayout, out_path: Path, categories=CATEGORIES) -> int:
    """Every in-scope row without a price, with its key and the reason (never valued 0)."""
    with connect() as con:
        prepare(con, layout, {})
        valued_view(con, layout, categories)
        with atomic_path(out_path) as tmp:
            con.execute(sql.load(__file__, "unpriced", out=sql.path_literal(tmp)))
        return con.execute("SELECT count(*) FROM valued WHERE status = 'unpriced'").fetchone()[0]

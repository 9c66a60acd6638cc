"""Protected-area memos: the "of which" columns of the ledgers (其中：生态保护红线 / 永久基本农田 / 自然保护地).

The base map may give, per parcel, the area inside the ecological red line (``redline_area_m2``), permanent basic
farmland (``basic_farmland_area_m2``) and protected areas (``protected_area_m2``). Each valued row carries its
parcel's share inside each zone (the memo area over the parcel area, at most 1; inventory rows take their base
parcel's, DOMAIN §2). The "of which" figure of a ledger cell is the ledger itself computed over the rows'
quantities and values × share, with the same publication rule (county cells rounded half-up, cities and the
province sums of published cells, DOMAIN §5), so it never exceeds its cell by more than rounding. Water and
minerals have no memo (empty).

Columns added: physical ``quantity_<memo>`` and ``quantity_<memo>_unrounded``; value ``value_<memo>_wan_yuan`` and
``value_<memo>_wan_yuan_unrounded``, for memo in redline, farmland, protected.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .duck import sql_path
from .layout import YearLayout
from .storage import atomic_path

MEMOS = ("redline", "farmland", "protected")
MEMO_CATEGORIES = ("land", "forest", "grassland", "wetland")
SCALED = ("area_m2", "stock_m3", "bamboo_stems", "hay_t")


def add_memo_columns(con: duckdb.DuckDBPyConnection, layout: YearLayout, physical_path: Path, value_path: Path,
                     physical_sql: str, value_sql: str) -> None:
    """Rewrite the two ledgers with their memo columns. ``con`` holds the ledger's ``valued`` view; the ledger
    queries are re-run over rows scaled by each share (``physical_sql`` and ``value_sql`` read the view ``cells``,
    defined here from ``ledger.PHYSICAL_CELLS`` and ``ledger.VALUE_CELLS``)."""
    from .ledger import PHYSICAL_CELLS, VALUE_CELLS

    con.execute("ALTER VIEW valued RENAME TO valued_whole")
    columns = {r[0] for r in con.execute("DESCRIBE valued_whole").fetchall()}
    keys = {"physical": ["region_code", "category", "item_code", "subject", "indicator", "unit"],
            "value": ["region_code", "category", "item_code", "subject", "component"]}
    measure = {"physical": ("quantity", "quantity_unrounded"), "value": ("value_wan_yuan", "value_wan_yuan_unrounded")}
    for memo in MEMOS:
        share = f"{memo}_share"
        factor = (f"CASE WHEN category IN {MEMO_CATEGORIES} THEN coalesce({share}, 0) END" if share in columns
                  else f"CASE WHEN category IN {MEMO_CATEGORIES} THEN 0 END")
        scaled = ", ".join(f"dec_mul({c}, {factor}) AS {c}" for c in SCALED + ("value_yuan",) if c in columns)
        con.execute(f"CREATE OR REPLACE TEMP VIEW valued AS SELECT * REPLACE ({scaled}) FROM valued_whole")
        for kind, cells, sql in (("physical", PHYSICAL_CELLS, physical_sql), ("value", VALUE_CELLS, value_sql)):
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {cells}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE memo_{kind}_{memo} AS {sql}", {"year": layout.year})
    con.execute("DROP VIEW valued")
    con.execute("ALTER VIEW valued_whole RENAME TO valued")
    for kind, path in (("physical", physical_path), ("value", value_path)):
        published, exact = measure[kind]
        name = (lambda m: f"quantity_{m}") if kind == "physical" else (lambda m: f"value_{m}_wan_yuan")
        select = ", ".join(f"m_{m}.{published} AS {name(m)}, m_{m}.{exact} AS {name(m)}_unrounded" for m in MEMOS)
        joins = " ".join(
            f"LEFT JOIN memo_{kind}_{m} m_{m} ON " + " AND ".join(f"m_{m}.{k} IS NOT DISTINCT FROM l.{k}" for k in keys[kind])
            for m in MEMOS
        )
        con.register("ledger_rows", con.read_parquet(str(path)))
        order = "indicator" if kind == "physical" else "component"  # the ledger's own order (ledger.ROLL_UP)
        query = (f"SELECT l.*, {select} FROM ledger_rows l {joins} ORDER BY l.category, l.region_level, l.region_code, "
                 f"l.item_code, l.subject, l.{order}")
        with atomic_path(path) as tmp:
            con.execute(f"COPY ({query}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
        con.unregister("ledger_rows")


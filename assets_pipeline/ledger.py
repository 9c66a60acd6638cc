"""Ledgers: the row-level values and quantities summed per region × category × item × subject (DOMAIN §5).

Publication rule (DOMAIN §5, "tables must add up as printed"): a county cell is its exact sum rounded
half-up to 2 decimals; a city cell is the sum of its counties' published cells, the province cell the
sum of its cities'. The unrounded figures are kept beside the published ones.

Physical quantities follow ownership (DOMAIN §2): the area of forest is the state forest land (land
component), its stock and bamboo stems the state trees (trees component). Quantities in different
units are separate indicators and are never added.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .categories import CATEGORIES
from .layout import YearLayout
from .memos import MEMOS, SHARES, memo_columns, memo_sums, memo_view
from .storage import atomic_path
from .duck import connect, sql_path
from .valuation import prepare

# indicator, unit (zh), unit (en), the quantity, the category and component it comes from. {valued}: a relation
# with the valued rows' columns — the rows themselves (the balance accounts, with their ids in {ids}/{ids_v})
# or their county sums (the ledgers). Every arm casts to one type: DuckDB unifies DECIMAL(38,6) with
# DECIMAL(38,0) as DECIMAL(38,0), dropping decimals.
PHYSICAL_INDICATORS_TEMPLATE = """
    SELECT {ids}category, region_code, item_code, subject, 'area' AS indicator, '公顷' AS unit, 'ha' AS unit_en,
           CAST(area_m2 * 0.0001 AS DECIMAL(38, 12)) AS quantity
    FROM {valued} WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
    UNION ALL
    SELECT {ids}category, region_code, item_code, subject, 'area_mu', '亩', 'mu', CAST(area_m2 * 0.0015 AS DECIMAL(38, 12))
    FROM {valued} WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
    UNION ALL
    SELECT {ids}category, region_code, item_code, subject, 'stock', '立方米', 'm3', CAST(stock_m3 AS DECIMAL(38, 12))
    FROM {valued} WHERE category = 'forest' AND component = 'trees' AND stock_m3 IS NOT NULL
    UNION ALL
    SELECT {ids}category, region_code, item_code, subject, 'bamboo_stems', '株', 'stems', CAST(bamboo_stems AS DECIMAL(38, 12))
    FROM {valued} WHERE category = 'forest' AND component = 'trees' AND bamboo_stems IS NOT NULL
    UNION ALL
    SELECT {ids}category, region_code, item_code, subject, 'hay_yield', '吨', 't', CAST(hay_t AS DECIMAL(38, 12))
    FROM {valued} WHERE category = 'grassland' AND hay_t IS NOT NULL
    UNION ALL
    SELECT {ids}category, region_code, item_code, subject, 'volume', '万立方米', '10^4 m3', CAST(volume_m3 * 0.0001 AS DECIMAL(38, 12))
    FROM {valued} WHERE category = 'water'
    UNION ALL
    SELECT {ids_v}v.category, v.region_code, v.ledger_item, v.subject, 'quantity', m.unit, m.unit_en,
           CAST(v.quantity AS DECIMAL(38, 12))
    FROM {valued} v JOIN ref_minerals m ON m.mineral_code = v.item_code WHERE v.category = 'minerals'
"""

# One pass over the valued rows: per county × category × item × subject × component, the sums of every
# quantity and of the value. The ledgers read their indicators off these sums; scaling a sum (m² → 公顷) is
# exact, so it equals the sum of the scaled rows, and the rows are scanned once however many indicators there are.
COUNTY_SUMS = """
    SELECT category, region_code, item_code, ledger_item, subject, component,
           CAST(sum(area_m2) AS DECIMAL(38, 2)) AS area_m2,
           CAST(sum(stock_m3) AS DECIMAL(38, 4)) AS stock_m3,
           CAST(sum(bamboo_stems) AS DECIMAL(38, 0)) AS bamboo_stems,
           CAST(sum(hay_t) AS DECIMAL(38, 12)) AS hay_t,
           CAST(sum(volume_m3) AS DECIMAL(38, 2)) AS volume_m3,
           CAST(sum(quantity) AS DECIMAL(38, 6)) AS quantity,
           CAST(sum(value_yuan) FILTER (WHERE status = 'valued') AS DECIMAL(38, 12)) AS value_yuan,
           count(*) FILTER (WHERE status = 'valued') AS rows_valued,
           {memos}
    FROM valued GROUP BY ALL
""".format(memos=memo_sums())
# Over ``sums``: the county sums, or their memo part (memos.py).
PHYSICAL_INDICATORS = PHYSICAL_INDICATORS_TEMPLATE.format(valued="sums", ids="", ids_v="")
# values are published in 万元; unpriced rows carry no value and are reported apart (unpriced.parquet)
VALUE_CELLS = ("SELECT category, ledger_item AS item_code, subject, component, region_code, value_yuan * 0.0001 AS amount "
               "FROM sums WHERE rows_valued > 0")

ITEM_NAMES = """
    SELECT 'land' AS category, land_class AS item_code, name_zh, name_en FROM ref_land_classes
    UNION ALL SELECT 'forest', land_class, name_zh, name_en FROM ref_land_classes
    UNION ALL SELECT 'grassland', grassland_type, name_zh, name_en FROM ref_grassland_types
    UNION ALL SELECT 'wetland', wetland_class, name_zh, name_en FROM ref_wetland_classes
    UNION ALL SELECT 'water', source_type, name_zh, name_en FROM ref_water_source_types
    UNION ALL SELECT 'minerals', m.mineral_code || '|' || r.resource_class, m.name_zh || ' ' || r.name_zh,
                     m.name_en || ', ' || r.name_en
              FROM ref_minerals m CROSS JOIN ref_resource_classes r
"""



def roll_up_levels(dims: str, measures: list[str], county: str = "county_pub") -> str:
    """CTEs ``city_pub``, ``province_pub`` and ``all_levels`` over a CTE of county cells: a city's cell is
    the sum of its counties' cells, the province's the sum of its cities' — for every measure, so a total
    of published cells is the sum of published cells (DOMAIN §5, "tables must add up as printed")."""
    sums = ", ".join(f"sum(c.{m}) AS {m}" for m in measures)
    return f"""city_pub AS (
        SELECT {dims}, r.parent_code AS region_code, {sums}
        FROM {county} c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
    ),
    province_pub AS (
        SELECT {dims}, r.parent_code AS region_code, {sums}
        FROM city_pub c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
    ),
    all_levels AS (
        SELECT * FROM {county} UNION ALL BY NAME SELECT * FROM city_pub UNION ALL BY NAME SELECT * FROM province_pub
    )"""


# County cells published by rounding; cities and the province are sums of published cells.
ROLL_UP = """
    WITH county AS (
        SELECT {dims}, region_code, sum(amount) AS exact
        FROM cells GROUP BY ALL
    ),
    county_pub AS (SELECT *, round(exact, 2) AS published FROM county),
    {levels}
    SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
           d.parent_code, {dims_a}, n.name_zh AS item_name, n.name_en AS item_name_en, s.name_zh AS subject_name,
           CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 16)) AS {exact}
    FROM all_levels a
    JOIN ref_admin_divisions d USING (region_code)
    LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
    LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
    ORDER BY a.category, d.level, a.region_code, a.item_code, a.subject{order_extra}
"""


# Row identity across years (DOMAIN §5 balance accounts): parcels by parcel_id, mineral rows by
# deposit × mineral × resource class, water by county × basin × source. The lineage key says which rows
# are "the same asset" under another item: a parcel id (land: also outside the land category, see
# balance.py), a deposit × mineral whatever its resource class.
BALANCE_COLUMNS = """
    CASE category WHEN 'minerals' THEN deposit_id || '|' || item_code || '|' || resource_class
                  WHEN 'water' THEN region_code || '|' || coalesce(basin, '') || '|' || item_code
                  ELSE parcel_id END AS balance_id,
    CASE category WHEN 'minerals' THEN deposit_id || '|' || item_code
                  WHEN 'water' THEN region_code || '|' || coalesce(basin, '') || '|' || item_code
                  ELSE parcel_id END AS lineage_key
"""
ROW_COLUMNS = ("area_m2", "stock_m3", "bamboo_stems", "hay_t", "volume_m3", "quantity", "resource_class",
               "parcel_id", "deposit_id", "basin", "annual_extraction", "land_class", "priced_on", *SHARES)


def _valued_view(con: duckdb.DuckDBPyConnection, layout: YearLayout, categories, name: str = "valued") -> None:
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
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_rows AS SELECT *, {BALANCE_COLUMNS} FROM {name}_filled")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_rows WHERE status IN ('valued', 'unpriced')")
    con.execute(f"CREATE OR REPLACE TEMP VIEW item_names AS {ITEM_NAMES}")


def build_ledgers(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> None:
    """Write ``ledger_physical.parquet`` and ``ledger_value.parquet`` for the year (atomically).

    The valued rows are read once, into county sums (COUNTY_SUMS, with the memos' parts); every ledger and
    "of which" column is rolled up from those sums."""
    physical = ROLL_UP.format(
        dims="category, item_code, subject, indicator, unit, unit_en",
        dims_a="a.category, a.item_code, a.subject, a.indicator, a.unit, a.unit_en",
        published="quantity", exact="quantity_unrounded", order_extra=", a.indicator",
        levels=roll_up_levels("category, item_code, subject, indicator, unit, unit_en", ["exact", "published"]),
    )
    value = ROLL_UP.format(
        dims="category, item_code, subject, component",
        dims_a="a.category, a.item_code, a.subject, a.component",
        published="value_wan_yuan", exact="value_wan_yuan_unrounded", order_extra=", a.component",
        levels=roll_up_levels("category, item_code, subject, component", ["exact", "published"]),
    )
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        _valued_view(con, layout, categories)
        con.execute(f"CREATE TEMP TABLE county_sums AS {COUNTY_SUMS}")
        # the ledgers, then the "of which" columns: inside the red line, permanent basic farmland, protected areas
        for part, sums in [("ledger", "SELECT * FROM county_sums")] + [(m, memo_view(m)) for m in MEMOS]:
            con.execute(f"CREATE OR REPLACE TEMP VIEW sums AS {sums}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS SELECT *, quantity AS amount FROM ({PHYSICAL_INDICATORS})")
            con.execute(f"CREATE TEMP TABLE physical_{part} AS {physical}", {"year": layout.year})
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {VALUE_CELLS}")
            con.execute(f"CREATE TEMP TABLE value_{part} AS {value}", {"year": layout.year})
        for kind, path, order in (("physical", physical_path, "indicator"), ("value", value_path, "component")):
            select, joins = memo_columns(kind)
            query = (f"SELECT l.*, {select} FROM {kind}_ledger l {joins} "
                     f"ORDER BY l.category, l.region_level, l.region_code, l.item_code, l.subject, l.{order}")
            with atomic_path(path) as tmp:
                con.execute(f"COPY ({query}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")


def write_unpriced(layout: YearLayout, out_path: Path, categories=CATEGORIES) -> int:
    """Every in-scope row without a price, with its key and the reason (never valued 0)."""
    with connect() as con:
        prepare(con, layout, {})
        _valued_view(con, layout, categories)
        query = """
            SELECT category, region_code, item_code, component, _source_file AS source_file, _source_row AS source_row,
                   price_table, price_key, status_reason AS reason
            FROM valued WHERE status = 'unpriced' ORDER BY category, source_file, source_row, component
        """
        with atomic_path(out_path) as tmp:
            con.execute(f"COPY ({query}) TO '{sql_path(tmp)}' (FORMAT parquet)")
        return con.execute("SELECT count(*) FROM valued WHERE status = 'unpriced'").fetchone()[0]

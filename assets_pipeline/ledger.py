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
from .storage import atomic_path
from .duck import connect, sql_path
from .valuation import prepare

# indicator, unit (zh), unit (en), the expression over valued rows, the category and component it comes from.
PHYSICAL_INDICATORS = """
    SELECT category, region_code, item_code, subject, 'area' AS indicator, '公顷' AS unit, 'ha' AS unit_en,
           CAST(area_m2 AS DECIMAL(38, 10)) * 0.0001 AS quantity
    FROM valued WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
    UNION ALL
    SELECT category, region_code, item_code, subject, 'area_mu', '亩', 'mu',
           CAST(area_m2 AS DECIMAL(38, 10)) * 0.0015
    FROM valued WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
    UNION ALL
    SELECT category, region_code, item_code, subject, 'stock', '立方米', 'm3', CAST(stock_m3 AS DECIMAL(38, 10))
    FROM valued WHERE category = 'forest' AND component = 'trees' AND stock_m3 IS NOT NULL
    UNION ALL
    SELECT category, region_code, item_code, subject, 'bamboo_stems', '株', 'stems', CAST(bamboo_stems AS DECIMAL(38, 10))
    FROM valued WHERE category = 'forest' AND component = 'trees' AND bamboo_stems IS NOT NULL
    UNION ALL
    SELECT category, region_code, item_code, subject, 'hay_yield', '吨', 't', CAST(hay_t AS DECIMAL(38, 10))
    FROM valued WHERE category = 'grassland'
    UNION ALL
    SELECT category, region_code, item_code, subject, 'volume', '万立方米', '10^4 m3', CAST(volume_m3 AS DECIMAL(38, 10)) * 0.0001
    FROM valued WHERE category = 'water'
    UNION ALL
    SELECT v.category, v.region_code, v.ledger_item, v.subject, 'quantity', m.unit, m.unit_en,
           CAST(v.quantity AS DECIMAL(38, 10))
    FROM valued v JOIN ref_minerals m ON m.mineral_code = v.item_code WHERE v.category = 'minerals'
"""

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

# County cells published by rounding; cities and the province are sums of published cells.
ROLL_UP = """
    WITH county AS (
        SELECT {dims}, region_code, sum(amount) AS exact
        FROM cells GROUP BY ALL
    ),
    county_pub AS (SELECT *, round(exact, 2) AS published FROM county),
    city_pub AS (
        SELECT {dims}, r.parent_code AS region_code, sum(c.exact) AS exact, sum(c.published) AS published
        FROM county_pub c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
    ),
    province_pub AS (
        SELECT {dims}, r.parent_code AS region_code, sum(c.exact) AS exact, sum(c.published) AS published
        FROM city_pub c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
    ),
    all_levels AS (
        SELECT * FROM county_pub UNION ALL BY NAME SELECT * FROM city_pub UNION ALL BY NAME SELECT * FROM province_pub
    )
    SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
           d.parent_code, {dims_a}, n.name_zh AS item_name, n.name_en AS item_name_en, s.name_zh AS subject_name,
           CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 14)) AS {exact}
    FROM all_levels a
    JOIN ref_admin_divisions d USING (region_code)
    LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
    LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
    ORDER BY a.category, d.level, a.region_code, a.item_code, a.subject{order_extra}
"""


def _valued_view(con: duckdb.DuckDBPyConnection, layout: YearLayout, categories) -> None:
    paths = [str(layout.valued(c)) for c in categories if layout.valued(c).exists()]
    con.register("valued_all", con.read_parquet(paths, union_by_name=True))
    columns = {row[0] for row in con.execute("DESCRIBE valued_all").fetchall()}
    # minerals are itemised by mineral × resource class (DOMAIN §5)
    ledger_item = "item_code || coalesce('|' || resource_class, '')" if "resource_class" in columns else "item_code"
    extra = ", ".join(f"NULL AS {c}" for c in ("area_m2", "stock_m3", "bamboo_stems", "hay_t", "volume_m3", "quantity", "resource_class") if c not in columns)
    con.execute(
        f"CREATE TEMP VIEW valued AS SELECT *, {ledger_item} AS ledger_item{', ' + extra if extra else ''} "
        "FROM valued_all WHERE status IN ('valued', 'unpriced')"
    )
    con.execute(f"CREATE TEMP VIEW item_names AS {ITEM_NAMES}")


def build_ledgers(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> None:
    """Write ``ledger_physical.parquet`` and ``ledger_value.parquet`` for the year (atomically)."""
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        _valued_view(con, layout, categories)
        con.execute(f"CREATE TEMP VIEW physical_cells AS SELECT *, quantity AS amount FROM ({PHYSICAL_INDICATORS})")
        con.execute("CREATE TEMP VIEW cells AS SELECT category, item_code, subject, indicator, unit, unit_en, region_code, amount FROM physical_cells")
        physical = ROLL_UP.format(
            dims="category, item_code, subject, indicator, unit, unit_en",
            dims_a="a.category, a.item_code, a.subject, a.indicator, a.unit, a.unit_en",
            published="quantity", exact="quantity_unrounded", order_extra=", a.indicator",
        )
        with atomic_path(physical_path) as tmp:
            con.execute(f"COPY ({physical}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", {"year": layout.year})
        con.execute("DROP VIEW cells")
        # values are published in 万元; unpriced rows carry no value and are reported apart (unpriced.parquet)
        con.execute(
            "CREATE TEMP VIEW cells AS SELECT category, ledger_item AS item_code, subject, component, region_code, "
            "CAST(value_yuan AS DECIMAL(38, 10)) * 0.0001 AS amount FROM valued WHERE status = 'valued'"
        )
        value = ROLL_UP.format(
            dims="category, item_code, subject, component",
            dims_a="a.category, a.item_code, a.subject, a.component",
            published="value_wan_yuan", exact="value_wan_yuan_unrounded", order_extra=", a.component",
        )
        with atomic_path(value_path) as tmp:
            con.execute(f"COPY ({value}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", {"year": layout.year})


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

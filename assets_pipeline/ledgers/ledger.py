"""Ledgers: the row-level values and quantities summed per region × category × item × subject (DOMAIN §5).

Publication rule (DOMAIN §5, "tables must add up as printed"): a county cell is its exact sum rounded
half-up to 2 decimals; a city cell is the sum of its counties' published cells, the province cell the
sum of its cities'. The unrounded figures are kept beside the published ones.

Physical quantities follow ownership (DOMAIN §2): the area of forest is the state forest land (land
component), its stock and bamboo stems the state trees (trees component). Quantities in different
units are separate indicators and are never added.

Breakdowns of ledger items (forest 0301 by age group, land items by land group) are written apart from the
ledgers, in files of their own with their own check (``build_breakdowns``, at the end of this module).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.ledgers.memos import MEMOS, SHARES, memo_columns, memo_sums, memo_view
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.infra.duck import connect, sql_path
from assets_pipeline.valuation.models import prepare

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
SUMS_TEMPLATE = """
    SELECT {dims}category, region_code, item_code, ledger_item, subject, component,
           CAST(sum(area_m2) AS DECIMAL(38, 2)) AS area_m2,
           CAST(sum(stock_m3) AS DECIMAL(38, 4)) AS stock_m3,
           CAST(sum(bamboo_stems) AS DECIMAL(38, 0)) AS bamboo_stems,
           CAST(sum(hay_t) AS DECIMAL(38, 12)) AS hay_t,
           CAST(sum(volume_m3) AS DECIMAL(38, 2)) AS volume_m3,
           CAST(sum(quantity) AS DECIMAL(38, 6)) AS quantity,
           CAST(sum(value_yuan) FILTER (WHERE status = 'valued') AS DECIMAL(38, 12)) AS value_yuan,
           count(*) FILTER (WHERE status = 'valued') AS rows_valued{memos}
    FROM {rows} GROUP BY ALL
"""
COUNTY_SUMS = SUMS_TEMPLATE.format(dims="", memos=",\n           " + memo_sums(), rows="valued")
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


# ---------------------------------------------------------------------------------------------------------------
# Breakdowns of ledger items (DOMAIN §5, §2): forest 乔木林 (0301) by age group (幼龄林 … 过熟林), the land items by
# land group (农用地 / 建设用地 / 未利用地) with the groups' subtotals. They are written to files of their own,
# ``breakdown_physical.parquet`` and ``breakdown_value.parquet``, keyed like the ledgers plus ``breakdown`` and
# ``member``, so that no sum over the ledgers meets them twice and the ledgers' rows stay as they were.
#
# - ``age_group``: the cell forest × 0301 × subject × indicator (area, area_mu, stock) or component (land, trees)
#   split by the inventory row's age group (rows the base map added without an inventory row: ``unknown``).
# - ``land_group``: each land ledger cell split by the group of its rows' land classes (a level-1 item such as 10
#   交通运输用地 straddles groups: 1006 农村道路 is agricultural, the rest construction).
# - ``land_group_total``: per region × subject × indicator or component, each group over all land items
#   (``item_code`` empty): the subtotals, sums of the published ``land_group`` parts.
#
# Publication: the parts of a county cell are its exact parts to the cent, the cell's published figure
# (round(exact, 2), as the ledger rounds it) shared out by largest remainder (each part is its exact figure cut to
# the cent, plus 0.01 for as many parts, largest remainder first, as the cell's published cents need), so the parts
# add up as printed to the ledger's cell; cities and the province are sums of published county parts, as in the
# ledgers. The blocking check ``breakdowns_add_up`` compares the files with the ledgers (``breakdown_mismatches``).

BREAKDOWNS = ("age_group", "land_group")
BREAKDOWN_ROWS = """
    SELECT v.*, 'age_group' AS breakdown, coalesce(i.age_group, 'unknown') AS member
    FROM valued v LEFT JOIN forest_ages i ON i._row_id = v._row_id
    WHERE v.category = 'forest' AND v.item_code = '0301'
    UNION ALL BY NAME
    SELECT v.*, 'land_group' AS breakdown, coalesce(g.land_group, 'unknown') AS member
    FROM valued v LEFT JOIN ref_land_classes g ON g.land_class = v.land_class
    WHERE v.category = 'land'
"""
MEMBER_NAMES = """
    SELECT 'age_group' AS breakdown, age_group AS member, name_zh, name_en FROM ref_forest_age_groups
    UNION ALL SELECT 'land_group', land_group, name_zh, name_en FROM ref_land_groups
    UNION ALL SELECT breakdown, 'unknown', '未记载', 'not stated' FROM (VALUES ('age_group'), ('land_group')) t(breakdown)
"""

BREAKDOWN_ROLL_UP = """
    WITH county AS (
        SELECT {dims}, breakdown, member, region_code, sum(amount) AS exact FROM cells GROUP BY ALL
    ),
    ranked AS (
        SELECT *, floor(exact * 100) AS cents,
               round(sum(exact) OVER cell, 2) * 100 - sum(floor(exact * 100)) OVER cell AS spare,
               row_number() OVER (PARTITION BY {dims}, breakdown, region_code
                                  ORDER BY exact * 100 - floor(exact * 100) DESC, member) AS remainder_rank
        FROM county WINDOW cell AS (PARTITION BY {dims}, breakdown, region_code)
    ),
    county_pub AS (
        SELECT {dims}, breakdown, member, region_code, exact,
               CAST((cents + CASE WHEN remainder_rank <= spare THEN 1 ELSE 0 END) * 0.01 AS DECIMAL(38, 2)) AS published
        FROM ranked
    ),
    {levels},
    parts AS (
        SELECT * FROM all_levels
        UNION ALL BY NAME
        SELECT * REPLACE ('land_group_total' AS breakdown), NULL::VARCHAR AS item_code
        FROM (SELECT {total_dims}, breakdown, member, region_code, sum(exact) AS exact, sum(published) AS published
              FROM all_levels WHERE breakdown = 'land_group' GROUP BY ALL)
    )
    SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
           d.parent_code, {dims_a}, a.breakdown, a.member, m.name_zh AS member_name, m.name_en AS member_name_en,
           n.name_zh AS item_name, n.name_en AS item_name_en, s.name_zh AS subject_name,
           CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 16)) AS {exact}
    FROM parts a
    JOIN ref_admin_divisions d USING (region_code)
    LEFT JOIN member_names m ON m.breakdown = replace(a.breakdown, '_total', '') AND m.member = a.member
    LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
    LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
    ORDER BY a.category, d.level, a.region_code, a.breakdown, a.item_code NULLS FIRST, a.subject{order_extra}, a.member
"""


def _forest_ages(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """``forest_ages``: each forest inventory row's age group, by row id, from the rows the model valued (the
    consistency step's resolved rows where it ran, else the validated ones); empty when there are none."""
    folder = layout.resolved("forest") if part_files(layout.resolved("forest")) else layout.validated("forest")
    if part_files(folder):
        con.execute(f"CREATE OR REPLACE TEMP VIEW forest_ages AS SELECT _row_id, CAST(age_group AS VARCHAR) AS age_group "
                    f"FROM read_parquet('{sql_path(Path(parts(folder)))}', union_by_name = true)")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW forest_ages AS SELECT NULL::BIGINT AS _row_id, NULL::VARCHAR AS age_group "
                    "WHERE false")


def build_breakdowns(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> None:
    """Write ``breakdown_physical.parquet`` and ``breakdown_value.parquet`` (atomically): see above."""
    physical_dims = "category, item_code, subject, indicator, unit, unit_en"
    value_dims = "category, item_code, subject, component"
    queries = {
        "physical": BREAKDOWN_ROLL_UP.format(
            dims=physical_dims, total_dims=physical_dims.replace("item_code, ", ""), dims_a="a.category, a.item_code, a.subject, a.indicator, a.unit, a.unit_en",
            published="quantity", exact="quantity_unrounded", order_extra=", a.indicator",
            levels=roll_up_levels(f"{physical_dims}, breakdown, member", ["exact", "published"])),
        "value": BREAKDOWN_ROLL_UP.format(
            dims=value_dims, total_dims=value_dims.replace("item_code, ", ""), dims_a="a.category, a.item_code, a.subject, a.component",
            published="value_wan_yuan", exact="value_wan_yuan_unrounded", order_extra=", a.component",
            levels=roll_up_levels(f"{value_dims}, breakdown, member", ["exact", "published"])),
    }
    cells = {
        "physical": "SELECT *, quantity AS amount FROM ({})".format(PHYSICAL_INDICATORS_TEMPLATE.format(
            valued="sums", ids="breakdown, member, ", ids_v="v.breakdown, v.member, ")),
        "value": ("SELECT breakdown, member, category, ledger_item AS item_code, subject, component, region_code, "
                  "value_yuan * 0.0001 AS amount FROM sums WHERE rows_valued > 0"),
    }
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        _valued_view(con, layout, [c for c in categories if c in ("land", "forest")])
        _forest_ages(con, layout)
        con.execute(f"CREATE OR REPLACE TEMP VIEW breakdown_rows AS {BREAKDOWN_ROWS}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW member_names AS {MEMBER_NAMES}")
        con.execute("CREATE TEMP TABLE sums AS " + SUMS_TEMPLATE.format(dims="breakdown, member, ", memos="", rows="breakdown_rows"))
        for kind, path in (("physical", physical_path), ("value", value_path)):
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS {cells[kind]}")
            with atomic_path(path) as tmp:
                con.execute(f"COPY ({queries[kind]}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)",
                            {"year": layout.year})


BREAKDOWN_CHECK = """
    WITH parts AS (
        SELECT region_code, category, item_code, subject, {m} AS measure, breakdown,
               sum({published}) AS published, sum({exact}) AS exact
        FROM read_parquet($breakdown) WHERE breakdown IN ('age_group', 'land_group') GROUP BY ALL
        UNION ALL
        SELECT region_code, category, '*', subject, {m}, 'land_group_total', sum({published}), sum({exact})
        FROM read_parquet($breakdown) WHERE breakdown = 'land_group_total' GROUP BY ALL
    ),
    -- a group's subtotal is one row, the sum of its published and unrounded parts over the land items
    subtotals AS (
        SELECT t.region_code, t.subject, t.{m}, t.member, count(*) AS n, any_value(t.{published}) AS published,
               any_value(t.{exact}) AS exact
        FROM read_parquet($breakdown) t WHERE t.breakdown = 'land_group_total' GROUP BY ALL
    ),
    group_parts AS (
        SELECT region_code, subject, {m}, member, sum({published}) AS published, sum({exact}) AS exact
        FROM read_parquet($breakdown) WHERE breakdown = 'land_group' GROUP BY ALL
    ),
    bad_subtotals AS (
        SELECT '{kind}', coalesce(t.region_code, g.region_code), 'land', 'subtotal ' || coalesce(t.member, g.member),
               coalesce(t.subject, g.subject), coalesce(t.{m}, g.{m}), 'land_group_total', g.published, t.published,
               g.exact, t.exact
        FROM subtotals t FULL JOIN group_parts g ON g.region_code = t.region_code AND g.member = t.member
             AND g.subject IS NOT DISTINCT FROM t.subject AND g.{m} = t.{m}
        WHERE t.n IS DISTINCT FROM 1 OR g.published IS DISTINCT FROM t.published OR g.exact IS DISTINCT FROM t.exact
    ),
    ledger AS (
        SELECT region_code, category, item_code, subject, {m} AS measure,
               CASE category WHEN 'forest' THEN 'age_group' ELSE 'land_group' END AS breakdown,
               {published} AS published, {exact} AS exact
        FROM read_parquet($ledger) WHERE category = 'land' OR (category = 'forest' AND item_code = '0301')
        UNION ALL
        SELECT region_code, category, '*', subject, {m}, 'land_group_total', sum({published}), sum({exact})
        FROM read_parquet($ledger) WHERE category = 'land' GROUP BY ALL
    )
    SELECT '{kind}', coalesce(l.region_code, p.region_code), coalesce(l.category, p.category),
           coalesce(l.item_code, p.item_code), coalesce(l.subject, p.subject), coalesce(l.measure, p.measure),
           coalesce(l.breakdown, p.breakdown), l.published, p.published, l.exact, p.exact
    FROM ledger l FULL JOIN parts p
      ON p.region_code = l.region_code AND p.category = l.category AND p.item_code = l.item_code
     AND p.subject IS NOT DISTINCT FROM l.subject AND p.measure = l.measure AND p.breakdown = l.breakdown
    WHERE l.published IS DISTINCT FROM p.published OR l.exact IS DISTINCT FROM p.exact
    UNION ALL SELECT * FROM bad_subtotals
    ORDER BY ALL
"""


def breakdown_mismatches(layout: YearLayout, physical_path: Path, value_path: Path) -> tuple[list[tuple], int]:
    """Every ledger cell the breakdowns split whose parts do not add up to it, published or unrounded, and every
    part without its cell (empty when all is well), with how many cells were compared. Read from the files:
    the ledgers' cells come from the valued rows' county sums, the parts from the same rows joined to their
    inventory rows and groups, so a row lost or counted twice in that join shows here."""
    found, compared = [], 0
    with connect() as con:
        for kind, path, ledger, m, published, exact in (
                ("physical", physical_path, layout.ledger_physical, "indicator", "quantity", "quantity_unrounded"),
                ("value", value_path, layout.ledger_value, "component", "value_wan_yuan", "value_wan_yuan_unrounded")):
            params = {"breakdown": str(path), "ledger": str(ledger)}
            found += con.execute(BREAKDOWN_CHECK.format(kind=kind, m=m, published=published, exact=exact), params).fetchall()
            compared += con.execute(f"SELECT count(*) FROM read_parquet($ledger) WHERE category = 'land' OR "
                                    f"(category = 'forest' AND item_code = '0301')", {"ledger": str(ledger)}).fetchone()[0]
    return found, compared

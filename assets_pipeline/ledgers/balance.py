"""Balance accounts (平衡表, DOMAIN §5; SEEA CF Table 5.1): opening, additions, reductions, revaluation, closing.

Derived by comparing this year's valued rows with last year's, row by row, by id (DOMAIN §5):

* **ids** — land, forest, grassland and wetland rows by ``parcel_id``; mineral rows by deposit × mineral ×
  resource class; water by county × basin × source type (``ledger.BALANCE_COLUMNS``). A row's **cell** is the
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
    at one by ``base_parcel_id``, read from the year's stage rows by ``_row_id``). On one base parcel:
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

The land-use transition matrix (土地利用转移矩阵) is derived the same way over the base map (every state
land-survey row, whatever its category), see ``build_land_transitions``.

Guards (balance_assets.py): last year's files are the ones its ``manifest.json`` lists before they are used as
opening balances (``verify_last_year``); over the province the area reclassified out of all categories equals
the area reclassified in, and both the area that moved recomputed from the valued rows
(``reclassification_check``, blocking); removed and new are the area of the rows whose base parcel left or
joined the state base map (``removed_and_new_check``, a warning).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.infra.duck import connect, sql_path
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.ledgers.ledger import PHYSICAL_INDICATORS_TEMPLATE, _valued_view, roll_up_levels
from assets_pipeline.ingest.readers import sha256_of
from assets_pipeline.infra.storage import atomic_path, read_json
from assets_pipeline.valuation.models import prepare

ADDITIONS = ["additions_new", "additions_reclassified_in", "additions_increase", "additions_discovered"]
REDUCTIONS = ["reductions_removed", "reductions_reclassified_out", "reductions_decrease", "reductions_extracted"]
FLOWS = ADDITIONS + REDUCTIONS
PHYSICAL_DIMS = ["category", "item_code", "subject", "indicator", "unit", "unit_en"]
VALUE_DIMS = ["category", "item_code", "subject", "component"]
NEW_MARKER, REMOVED_MARKER = "(new)", "(removed)"


def previous_layout(layout: YearLayout) -> YearLayout | None:
    """Last year's outputs, if its valued rows exist (else this is the first year of the accounts)."""
    previous = YearLayout(layout.output_dir, layout.year - 1)
    return previous if any(previous.valued(c).exists() for c in CATEGORIES) else None


def _open(con, layout: YearLayout, previous: YearLayout | None, categories) -> None:
    prepare(con, layout, {})
    _valued_view(con, layout, categories, name="valued1")
    if previous is not None:
        _valued_view(con, previous, categories, name="valued0")
        _links_view(con, previous, "links0")
        _links_view(con, layout, "links1")
        for name, year in (("base_map0", previous), ("base_map1", layout)):
            _base_map_view(con, year, name)


INVENTORIES = ("forest", "grassland", "wetland")


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
        f"{y.year}: " + ", ".join(f"{c} {folder.parent.name if (folder := link_folder(y, c)) else 'none'}"
                                  for c in INVENTORIES if y.valued(c).exists())
        for y in years if any(y.valued(c).exists() for c in INVENTORIES))


def _base_map_view(con, layout: YearLayout, name: str) -> None:
    """``<name>``: the parcel ids of the year's state base map — every row of the land file, whatever the parcel's
    category (collective parcels are not in it, DOMAIN §2)."""
    path = layout.valued("land")
    source = (f"SELECT CAST(parcel_id AS VARCHAR) AS parcel_id FROM read_parquet('{sql_path(path)}') WHERE parcel_id IS NOT NULL"
              if path.exists() else "SELECT NULL::VARCHAR AS parcel_id WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {source}")


def _links_view(con, layout: YearLayout, name: str) -> None:
    """``<name>``: category, _row_id, base_parcel_id of the year's forest, grassland and wetland rows (DOMAIN §2).
    Only the rows without a partner by id are looked up in it."""
    arms = [f"SELECT '{c}' AS category, CAST(_row_id AS BIGINT) AS _row_id, CAST(base_parcel_id AS VARCHAR) AS base_parcel_id "
            f"FROM read_parquet('{sql_path(Path(parts(folder)))}')"
            for c in INVENTORIES if (folder := link_folder(layout, c)) is not None]
    arms.append("SELECT NULL::VARCHAR, NULL::BIGINT, NULL::VARCHAR WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {' UNION ALL '.join(arms)}")


# One row per id × indicator of either year, with both years' cells and quantities side by side.
PHYSICAL_ROWS = """
    WITH r0 AS ({rows0}), r1 AS ({rows1}),
    paired AS (
        SELECT coalesce(r0.category, r1.category) AS category, r0.lineage_key AS lineage0, r1.lineage_key AS lineage1,
               r0.balance_id AS id0, r1.balance_id AS id1, r0._row_id AS row0, r1._row_id AS row1,
               r0.region_code AS region0, r0.item_code AS item0, r0.subject AS subject0, r0.unit AS unit0,
               r0.unit_en AS unit_en0, r0.quantity AS q0,
               r1.region_code AS region1, r1.item_code AS item1, r1.subject AS subject1, r1.unit AS unit1,
               r1.unit_en AS unit_en1, r1.quantity AS q1,
               coalesce(r0.indicator, r1.indicator) AS indicator,
               r0.balance_id IS NOT NULL AS had, r1.balance_id IS NOT NULL AS has,
               r0.balance_id IS NOT NULL AND r1.balance_id IS NOT NULL AND r0.region_code = r1.region_code
                   AND r0.item_code IS NOT DISTINCT FROM r1.item_code AND r0.subject IS NOT DISTINCT FROM r1.subject AS same_cell,
               CASE WHEN r0.balance_id IS NOT NULL AND coalesce(r0.category, r1.category) = 'minerals'
                    THEN least(coalesce(r1.annual_extraction, r0.annual_extraction, 0), r0.quantity)
                    ELSE 0 END AS extracted
        FROM r0 FULL JOIN r1 ON r0.category = r1.category AND r0.balance_id = r1.balance_id
                            AND r0.indicator = r1.indicator
    ),
    -- The rows without a partner by id, once (a small share of the rows): the join above is not computed again
    -- for each use below.
    unmatched AS MATERIALIZED (SELECT * FROM paired WHERE NOT (had AND has)),
    -- Minerals and water: a row without a partner in the other year, is its asset still there (or already there)
    -- under another item (lineage)? Only those rows are looked up among the other year's rows (small hash tables).
    gone AS (SELECT DISTINCT category, lineage0 AS lineage_key FROM unmatched
             WHERE had AND category IN ('minerals', 'water')),
    arrived AS (SELECT DISTINCT category, lineage1 AS lineage_key FROM unmatched
                WHERE has AND category IN ('minerals', 'water')),
    lineage1 AS (SELECT DISTINCT v.category, v.lineage_key FROM valued1_rows v
                 SEMI JOIN gone g ON g.category = v.category AND g.lineage_key = v.lineage_key),
    lineage0 AS (SELECT DISTINCT v.category, v.lineage_key FROM valued0_rows v
                 SEMI JOIN arrived a ON a.category = v.category AND a.lineage_key = v.lineage_key),
    kept AS (
        SELECT *, false AS continues, false AS continued FROM paired WHERE had AND has
        UNION ALL
        SELECT p.*, l1.lineage_key IS NOT NULL, l0.lineage_key IS NOT NULL
        FROM unmatched p
        LEFT JOIN lineage1 l1 ON NOT p.has AND l1.category = p.category AND l1.lineage_key = p.lineage0
        LEFT JOIN lineage0 l0 ON NOT p.had AND l0.category = p.category AND l0.lineage_key = p.lineage1
        WHERE p.category IN ('minerals', 'water')
    ),
    -- Parcels (land, forest, grassland, wetland) without a partner by id, on their base parcel (DOMAIN §2: the base
    -- map is a parcel's one identity): a land row is its base parcel; an inventory row points at one
    -- (``base_parcel_id`` of its stage row; a row counted from the base map alone has the base parcel's id).
    loose AS (
        SELECT p.category, 0 AS side, CASE WHEN p.category = 'land' OR p.row0 IS NULL THEN p.id0 ELSE l.base_parcel_id END AS base,
               p.indicator, p.region0 AS region_code, p.item0 AS item_code, p.subject0 AS subject,
               p.unit0 AS unit, p.unit_en0 AS unit_en, p.q0 AS q
        FROM unmatched p LEFT JOIN links0 l ON l.category = p.category AND l._row_id = p.row0
        WHERE p.had AND p.category NOT IN ('minerals', 'water')
        UNION ALL
        SELECT p.category, 1, CASE WHEN p.category = 'land' OR p.row1 IS NULL THEN p.id1 ELSE l.base_parcel_id END,
               p.indicator, p.region1, p.item1, p.subject1, p.unit1, p.unit_en1, p.q1
        FROM unmatched p LEFT JOIN links1 l ON l.category = p.category AND l._row_id = p.row1
        WHERE p.has AND p.category NOT IN ('minerals', 'water')
    ),
    -- per base parcel, category and cell: rows re-identified on the same base parcel in the same cell are the
    -- same asset (netted: an increase or decrease); a row without a base parcel stands alone
    loose_cells AS (
        SELECT category, base, indicator, region_code, item_code, subject, unit, unit_en,
               sum(q) FILTER (WHERE side = 0) AS q0, sum(q) FILTER (WHERE side = 1) AS q1
        FROM loose WHERE base IS NOT NULL GROUP BY ALL
    ),
    -- what is left moved between cells on its base parcel (another category, item, subject or county): per base
    -- parcel and indicator the smaller of the two sides, ``moved``, is reclassified out and in, handed out to the
    -- cells in a fixed order, so out = in exactly; the rest left the state base map (removed) or joined it (new)
    leftover AS (
        SELECT *, coalesce(q0, q1) AS q, q0 IS NOT NULL AS old_side,
               sum(coalesce(q0, q1)) OVER (PARTITION BY base, indicator, q0 IS NOT NULL
                                           ORDER BY category, region_code, item_code, subject
                                           ROWS UNBOUNDED PRECEDING) AS running
        FROM loose_cells WHERE q0 IS NULL OR q1 IS NULL
    ),
    moved_per_base AS (
        SELECT base, indicator, least(sum(q) FILTER (WHERE old_side), sum(q) FILTER (WHERE NOT old_side)) AS moved
        FROM leftover GROUP BY ALL HAVING bool_or(old_side) AND bool_or(NOT old_side)
    ),
    -- is the base parcel on the state base map of the other year (the land file holds every state parcel,
    -- whatever its category)? Only the bases of the rows left over are looked up.
    leftover_bases AS (SELECT DISTINCT base FROM leftover),
    on_map0 AS (SELECT DISTINCT m.parcel_id AS base FROM base_map0 m SEMI JOIN leftover_bases b ON b.base = m.parcel_id),
    on_map1 AS (SELECT DISTINCT m.parcel_id AS base FROM base_map1 m SEMI JOIN leftover_bases b ON b.base = m.parcel_id),
    allotted AS (
        SELECT l.*, greatest(0, least(l.q, coalesce(m.moved, 0) - (l.running - l.q))) AS part,
               CASE WHEN l.old_side THEN m1.base IS NOT NULL ELSE m0.base IS NOT NULL END AS on_other_map
        FROM leftover l LEFT JOIN moved_per_base m USING (base, indicator)
        LEFT JOIN on_map1 m1 ON l.old_side AND m1.base = l.base
        LEFT JOIN on_map0 m0 ON NOT l.old_side AND m0.base = l.base
    ),
    -- the same-cell change left after extraction
    moved AS (SELECT *, CASE WHEN same_cell THEN q1 - q0 + extracted END AS change,
                      -- a parcel moved to another cell: the smaller area moves, the difference is its change
                      CASE WHEN had AND has AND NOT same_cell AND category <> 'minerals' THEN least(q0, q1) END AS shifted
              FROM kept)
    -- side of last year's cell: opening and reductions (and the change when the cell is the same)
    SELECT category, region0 AS region_code, item0 AS item_code, subject0 AS subject, indicator, unit0 AS unit,
           unit_en0 AS unit_en, q0 AS opening, 0 AS closing,
           0 AS additions_new, 0 AS additions_reclassified_in,
           CASE WHEN change > 0 THEN change ELSE 0 END AS additions_increase, 0 AS additions_discovered,
           CASE WHEN NOT has AND NOT continues THEN q0 - extracted ELSE 0 END AS reductions_removed,
           CASE WHEN shifted IS NOT NULL THEN shifted
                WHEN (has AND NOT same_cell) OR (NOT has AND continues) THEN q0 - extracted ELSE 0 END
               AS reductions_reclassified_out,
           CASE WHEN change < 0 THEN -change WHEN shifted IS NOT NULL THEN q0 - shifted ELSE 0 END AS reductions_decrease,
           extracted AS reductions_extracted
    FROM moved WHERE had
    UNION ALL
    -- side of this year's cell: closing and the additions into it
    SELECT category, region1, item1, subject1, indicator, unit1, unit_en1, 0, q1,
           CASE WHEN NOT had AND NOT continued AND category <> 'minerals' THEN q1 ELSE 0 END,
           CASE WHEN shifted IS NOT NULL THEN shifted
                WHEN (had AND NOT same_cell) OR (NOT had AND continued) THEN q1 ELSE 0 END,
           CASE WHEN shifted IS NOT NULL THEN q1 - shifted ELSE 0 END,
           CASE WHEN NOT had AND NOT continued AND category = 'minerals' THEN q1 ELSE 0 END,
           0, 0, 0, 0
    FROM moved WHERE has
    UNION ALL
    -- re-identified on the same base parcel, same cell: one asset, its change an increase or a decrease
    SELECT category, region_code, item_code, subject, indicator, unit, unit_en, q0, q1, 0, 0,
           greatest(q1 - q0, 0), 0, 0, 0, greatest(q0 - q1, 0), 0
    FROM loose_cells WHERE q0 IS NOT NULL AND q1 IS NOT NULL
    UNION ALL
    -- moved to another cell on the same base parcel; the rest left (joined) the state base map, or, on a base parcel
    -- still (already) on it, is counted smaller (larger): e.g. a row withheld as rejected, its base parcel unchanged
    SELECT category, region_code, item_code, subject, indicator, unit, unit_en,
           CASE WHEN old_side THEN q ELSE 0 END, CASE WHEN old_side THEN 0 ELSE q END,
           CASE WHEN NOT old_side AND NOT on_other_map THEN q - part ELSE 0 END, CASE WHEN old_side THEN 0 ELSE part END,
           CASE WHEN NOT old_side AND on_other_map THEN q - part ELSE 0 END, 0,
           CASE WHEN old_side AND NOT on_other_map THEN q - part ELSE 0 END, CASE WHEN old_side THEN part ELSE 0 END,
           CASE WHEN old_side AND on_other_map THEN q - part ELSE 0 END, 0
    FROM allotted
    UNION ALL
    -- rows without a base parcel (an inventory row whose stage row is not there): removed or new
    SELECT category, region_code, item_code, subject, indicator, unit, unit_en,
           CASE side WHEN 0 THEN q ELSE 0 END, CASE side WHEN 1 THEN q ELSE 0 END,
           CASE side WHEN 1 THEN q ELSE 0 END, 0, 0, 0, CASE side WHEN 0 THEN q ELSE 0 END, 0, 0, 0
    FROM loose WHERE base IS NULL
"""


def _physical_rows(year_view: str) -> str:
    inner = PHYSICAL_INDICATORS_TEMPLATE.format(
        valued=year_view, ids="balance_id, lineage_key, annual_extraction, _row_id, ",
        ids_v="v.balance_id, v.lineage_key, v.annual_extraction, v._row_id, ",
    )
    # the '_mu' indicator is the Excel view of the area (DOMAIN §5): the balance keeps hectares only
    return f"SELECT * FROM ({inner}) WHERE indicator <> 'area_mu'"


def _physical_sql(has_previous: bool) -> str:
    dims = ", ".join(PHYSICAL_DIMS)
    measures = ["opening", "closing", *FLOWS]
    if has_previous:
        rows = PHYSICAL_ROWS.format(rows0=_physical_rows("valued0"), rows1=_physical_rows("valued1"))
    else:
        nulls = ", ".join(f"CAST(NULL AS DECIMAL(38, 10)) AS {m}" for m in ["opening", *FLOWS])
        rows = f"SELECT *, {nulls}, quantity AS closing FROM ({_physical_rows('valued1')})"
    exact = ", ".join(f"CAST(sum({m}) AS DECIMAL(38, 10)) AS {m}_x" for m in measures)
    published = ", ".join(f"round({m}_x, 2) AS {m}" for m in measures)
    additions = " + ".join(ADDITIONS)
    reductions = " + ".join(REDUCTIONS)
    return f"""
        WITH flows AS ({rows}),
        county AS (SELECT {dims}, region_code, {exact} FROM flows GROUP BY ALL),
        county_pub AS (
            SELECT *, closing - opening - ({additions}) + ({reductions}) AS other_changes_in_volume,
                   closing_x - opening_x - ({" + ".join(m + "_x" for m in ADDITIONS)})
                       + ({" + ".join(m + "_x" for m in REDUCTIONS)}) AS other_changes_in_volume_x
            FROM (SELECT *, {published} FROM county)
        ),
        {roll_up_levels(dims, [*measures, "other_changes_in_volume", *(m + "_x" for m in measures), "other_changes_in_volume_x"])}
        SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
               d.parent_code, {", ".join("a." + c for c in PHYSICAL_DIMS)}, n.name_zh AS item_name,
               n.name_en AS item_name_en, s.name_zh AS subject_name, {str(has_previous).upper()} AS has_opening,
               CAST(a.opening AS DECIMAL(38, 2)) AS opening,
               CAST({additions.replace("additions", "a.additions")} + a.other_changes_in_volume AS DECIMAL(38, 2)) AS additions,
               CAST({reductions.replace("reductions", "a.reductions")} AS DECIMAL(38, 2)) AS reductions,
               CAST(a.closing AS DECIMAL(38, 2)) AS closing,
               {", ".join(f"CAST(a.{m} AS DECIMAL(38, 2)) AS {m}" for m in FLOWS)},
               CAST(a.other_changes_in_volume AS DECIMAL(38, 2)) AS other_changes_in_volume,
               CAST(a.opening_x AS DECIMAL(38, 10)) AS opening_unrounded,
               CAST(a.closing_x AS DECIMAL(38, 10)) AS closing_unrounded,
               {", ".join(f"CAST(a.{m}_x AS DECIMAL(38, 10)) AS {m}_unrounded" for m in FLOWS)},
               CAST(a.other_changes_in_volume_x AS DECIMAL(38, 10)) AS other_changes_in_volume_unrounded
        FROM all_levels a
        JOIN ref_admin_divisions d USING (region_code)
        LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
        LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
        ORDER BY a.category, d.level, a.region_code, a.item_code, a.subject, a.indicator
    """


# The quantity a row's price applies to (DOMAIN §4), and what it is (revaluation needs the same basis).
PRICED_ROWS = """
    SELECT category, balance_id, _row_id, component, region_code, ledger_item AS item_code, subject,
           CAST(value_yuan AS DECIMAL(38, 10)) AS v,
           CASE WHEN category = 'minerals' THEN quantity WHEN category = 'water' THEN volume_m3
                WHEN category = 'forest' AND priced_on = 'stock' THEN stock_m3
                WHEN category = 'forest' AND priced_on = 'stems' THEN bamboo_stems
                ELSE area_m2 END AS q,
           CASE WHEN category = 'forest' THEN priced_on ELSE 'quantity' END AS basis
    FROM {view} WHERE status = 'valued'
"""

VALUE_ROWS = """
    WITH r0 AS ({rows0}), r1 AS ({rows1}),
    pairs AS (
        SELECT coalesce(r0.category, r1.category) AS category, coalesce(r0.component, r1.component) AS component,
               r0.balance_id AS id0, r1.balance_id AS id1, r0._row_id AS row0, r1._row_id AS row1,
               r0.basis AS basis0, r1.basis AS basis1,
               r0.region_code AS region0, r0.item_code AS item0, r0.subject AS subject0, r0.v AS v0,
               r1.region_code AS region1, r1.item_code AS item1, r1.subject AS subject1, r1.v AS v1,
               r0.balance_id IS NOT NULL AS had, r1.balance_id IS NOT NULL AS has,
               r0.balance_id IS NOT NULL AND r1.balance_id IS NOT NULL AND r0.region_code = r1.region_code
                   AND r0.item_code IS NOT DISTINCT FROM r1.item_code AND r0.subject IS NOT DISTINCT FROM r1.subject AS same_cell,
               CAST(r0.q AS DECIMAL(38, 6)) AS q0, CAST(r1.q AS DECIMAL(38, 6)) AS q1,
               r0.basis = r1.basis AS same_basis
        FROM r0 FULL JOIN r1 ON r0.category = r1.category AND r0.balance_id = r1.balance_id
                            AND r0.component = r1.component
    ),
    unmatched AS MATERIALIZED (SELECT * FROM pairs WHERE NOT (had AND has)),
    -- parcels without a partner by id, on their base parcel (as in the physical account): rows re-identified on
    -- the same base parcel in the same cell, priced on the same basis, are one asset and are revalued as one
    loose AS (
        SELECT p.category, p.component, 0 AS side,
               CASE WHEN p.category = 'land' OR p.row0 IS NULL THEN p.id0 ELSE l.base_parcel_id END AS base,
               p.region0 AS region_code, p.item0 AS item_code, p.subject0 AS subject, p.basis0 AS basis, p.q0 AS q, p.v0 AS v
        FROM unmatched p LEFT JOIN links0 l ON l.category = p.category AND l._row_id = p.row0
        WHERE p.had AND p.category NOT IN ('minerals', 'water')
        UNION ALL
        SELECT p.category, p.component, 1, CASE WHEN p.category = 'land' OR p.row1 IS NULL THEN p.id1 ELSE l.base_parcel_id END,
               p.region1, p.item1, p.subject1, p.basis1, p.q1, p.v1
        FROM unmatched p LEFT JOIN links1 l ON l.category = p.category AND l._row_id = p.row1
        WHERE p.has AND p.category NOT IN ('minerals', 'water')
    ),
    loose_cells AS (
        SELECT category, component, region_code, item_code, subject,
               sum(q) FILTER (WHERE side = 0) AS q0, sum(v) FILTER (WHERE side = 0) AS v0,
               sum(q) FILTER (WHERE side = 1) AS q1, sum(v) FILTER (WHERE side = 1) AS v1,
               bool_or(side = 0) AS had, bool_or(side = 1) AS has
        FROM loose WHERE base IS NOT NULL GROUP BY category, component, base, region_code, item_code, subject, basis
    ),
    joined AS (
        SELECT category, component, region0, item0, subject0, v0, region1, item1, subject1, v1, had, has, same_cell,
               q0, q1, same_basis
        FROM pairs WHERE had AND has
        UNION ALL
        SELECT category, component, region0, item0, subject0, v0, region1, item1, subject1, v1, had, has, same_cell,
               q0, q1, same_basis
        FROM unmatched WHERE category IN ('minerals', 'water')
        UNION ALL
        SELECT category, component, region_code, item_code, subject, v0, region_code, item_code, subject, v1, had, has,
               had AND has, CAST(q0 AS DECIMAL(38, 6)), CAST(q1 AS DECIMAL(38, 6)), true
        FROM loose_cells
        UNION ALL
        SELECT category, component, region_code, item_code, subject, CASE side WHEN 0 THEN v END, region_code, item_code,
               subject, CASE side WHEN 1 THEN v END, side = 0, side = 1, false, CASE side WHEN 0 THEN q END,
               CASE side WHEN 1 THEN q END, false
        FROM loose WHERE base IS NULL
    ),
    revalued AS (
        SELECT *,
               CASE WHEN same_cell AND same_basis AND q1 > 0 AND q0 IS NOT NULL
                    -- quantity unchanged (most rows): v1·q0/q1 is v1, the whole change is revaluation
                    THEN CASE WHEN q0 = q1 THEN v1 - v0
                    -- else v1·q0/q1 − v0 in exact scaled integers (value at 1e-10 元, quantity at 1e-6 of its
                    -- unit), rounded half away from zero; only these rows pay for the 128-bit arithmetic
                              ELSE CAST(sign(CAST(v1 * 10000000000 AS HUGEINT) * CAST(q0 * 1000000 AS HUGEINT))
                                        * ((2 * abs(CAST(v1 * 10000000000 AS HUGEINT) * CAST(q0 * 1000000 AS HUGEINT))
                                            + CAST(q1 * 1000000 AS HUGEINT))
                                           // (2 * CAST(q1 * 1000000 AS HUGEINT)))
                                        - CAST(v0 * 10000000000 AS HUGEINT) AS DECIMAL(38, 0))
                                   * CAST(0.0000000001 AS DECIMAL(38, 10)) END
                    ELSE CAST(0 AS DECIMAL(38, 10)) END AS revaluation_yuan
        FROM joined
    )
    SELECT category, component, region0 AS region_code, item0 AS item_code, subject0 AS subject,
           v0 AS opening, CASE WHEN same_cell THEN v1 ELSE 0 END AS closing,
           CASE WHEN same_cell THEN v1 - v0 - revaluation_yuan ELSE -v0 END AS volume_change,
           revaluation_yuan AS revaluation
    FROM revalued WHERE had
    UNION ALL
    SELECT category, component, region1, item1, subject1, 0, v1, v1, 0
    FROM revalued WHERE has AND NOT same_cell
"""


def _value_sql(has_previous: bool) -> str:
    dims = ", ".join(VALUE_DIMS)
    measures = ["opening", "closing", "volume_change", "revaluation"]
    if has_previous:
        rows = VALUE_ROWS.format(rows0=PRICED_ROWS.format(view="valued0"), rows1=PRICED_ROWS.format(view="valued1"))
    else:
        rows = (f"SELECT category, component, region_code, item_code, subject, CAST(NULL AS DECIMAL(38, 10)) AS opening, "
                f"v AS closing, CAST(NULL AS DECIMAL(38, 10)) AS volume_change, "
                f"CAST(NULL AS DECIMAL(38, 10)) AS revaluation FROM ({PRICED_ROWS.format(view='valued1')})")
    # 元 → 万元 is an exact decimal shift
    exact = ", ".join(f"CAST(sum({m}) AS DECIMAL(38, 10)) * CAST(0.0001 AS DECIMAL(10, 4)) AS {m}_x" for m in measures)
    return f"""
        WITH flows AS ({rows}),
        county AS (SELECT {dims}, region_code, {exact} FROM flows GROUP BY ALL),
        county_pub AS (
            SELECT *, round(opening_x, 2) AS opening, round(closing_x, 2) AS closing,
                   round(volume_change_x, 2) AS volume_change,
                   round(closing_x, 2) - round(opening_x, 2) - round(volume_change_x, 2) AS revaluation
            FROM county
        ),
        {roll_up_levels(dims, [*measures, *(m + "_x" for m in measures)])}
        SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
               d.parent_code, {", ".join("a." + c for c in VALUE_DIMS)}, n.name_zh AS item_name,
               n.name_en AS item_name_en, s.name_zh AS subject_name, {str(has_previous).upper()} AS has_opening,
               {", ".join(f"CAST(a.{m} AS DECIMAL(38, 2)) AS {m}" for m in measures)},
               {", ".join(f"CAST(a.{m}_x AS DECIMAL(38, 14)) AS {m}_unrounded" for m in measures)}
        FROM all_levels a
        JOIN ref_admin_divisions d USING (region_code)
        LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
        LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
        ORDER BY a.category, d.level, a.region_code, a.item_code, a.subject, a.component
    """


def build_balance(layout: YearLayout, physical_path: Path, value_path: Path, categories=CATEGORIES) -> bool:
    """Write the year's ``balance_physical.parquet`` and ``balance_value.parquet`` (atomically).

    Returns whether the accounts have an opening (last year's valued rows were there)."""
    previous = previous_layout(layout)
    with connect(layout.stages / "duckdb_tmp") as con:
        _open(con, layout, previous, categories)
        for sql, path in ((_physical_sql(previous is not None), physical_path), (_value_sql(previous is not None), value_path)):
            with atomic_path(path) as tmp:
                con.execute(f"COPY ({sql}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", {"year": layout.year})
    return previous is not None


# Base-map rows of both years side by side. A parcel keeps its id and county: the smaller of its two
# areas moves from its old class to its new one; an area gained comes from "(new)", an area lost goes to
# "(removed)", so each class's row adds up to last year's area and each column to this year's.
TRANSITION_ROWS = """
    WITH b0 AS (SELECT parcel_id, region_code, land_class, CAST(area_m2 AS DECIMAL(38, 2)) AS area FROM valued0_rows
                WHERE category = 'land' AND parcel_id IS NOT NULL),
         b1 AS (SELECT parcel_id, region_code, land_class, CAST(area_m2 AS DECIMAL(38, 2)) AS area FROM valued1_rows
                WHERE category = 'land' AND parcel_id IS NOT NULL),
    joined AS (
        SELECT b0.region_code AS region0, b0.land_class AS class0, b0.area AS a0,
               b1.region_code AS region1, b1.land_class AS class1, b1.area AS a1,
               b0.parcel_id IS NOT NULL AND b1.parcel_id IS NOT NULL AND b0.region_code = b1.region_code AS kept
        FROM b0 FULL JOIN b1 USING (parcel_id)
    )
    SELECT region1 AS region_code, class0 AS from_class, class1 AS to_class, least(a0, a1) AS area_m2 FROM joined WHERE kept
    UNION ALL SELECT region1, '(new)', class1, a1 - a0 FROM joined WHERE kept AND a1 > a0
    UNION ALL SELECT region0, class0, '(removed)', a0 - a1 FROM joined WHERE kept AND a0 > a1
    UNION ALL SELECT region0, class0, '(removed)', a0 FROM joined WHERE region0 IS NOT NULL AND NOT kept
    UNION ALL SELECT region1, '(new)', class1, a1 FROM joined WHERE region1 IS NOT NULL AND NOT kept
"""


def _transitions_sql() -> str:
    return f"""
        WITH moves AS ({TRANSITION_ROWS}),
        classes AS (
            SELECT land_class, land_group FROM ref_land_classes
            UNION ALL SELECT '(new)', '(new)' UNION ALL SELECT '(removed)', '(removed)'
        ),
        both_levels AS (
            SELECT 'class' AS classification, region_code, from_class, to_class, area_m2 FROM moves
            UNION ALL
            SELECT 'group', m.region_code, f.land_group, t.land_group, m.area_m2
            FROM moves m JOIN classes f ON f.land_class = m.from_class JOIN classes t ON t.land_class = m.to_class
        ),
        county AS (
            SELECT classification, region_code, from_class, to_class, sum(area_m2) AS area_m2
            FROM both_levels GROUP BY ALL
        ),
        county_pub AS (SELECT *, round(area_m2 * CAST(0.0001 AS DECIMAL(10, 4)), 2) AS area_ha FROM county),
        {roll_up_levels("classification, from_class, to_class", ["area_m2", "area_ha"])}
        SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
               d.parent_code, a.classification, a.from_class, a.to_class,
               coalesce(fn.name_zh, a.from_class) AS from_name, coalesce(tn.name_zh, a.to_class) AS to_name,
               CAST(a.area_m2 AS DECIMAL(38, 2)) AS area_m2, CAST(a.area_ha AS DECIMAL(38, 2)) AS area_ha
        FROM all_levels a
        JOIN ref_admin_divisions d USING (region_code)
        LEFT JOIN ref_land_classes fn ON fn.land_class = a.from_class
        LEFT JOIN ref_land_classes tn ON tn.land_class = a.to_class
        ORDER BY d.level, a.region_code, a.classification, a.from_class, a.to_class
    """


TRANSITIONS_EMPTY = """
    SELECT CAST($year AS INTEGER) AS year, ''::VARCHAR AS region_code, ''::VARCHAR AS region_name,
           ''::VARCHAR AS region_level, ''::VARCHAR AS parent_code, ''::VARCHAR AS classification,
           ''::VARCHAR AS from_class, ''::VARCHAR AS to_class, ''::VARCHAR AS from_name, ''::VARCHAR AS to_name,
           CAST(0 AS DECIMAL(38, 2)) AS area_m2, CAST(0 AS DECIMAL(38, 2)) AS area_ha
    LIMIT 0
"""


def build_land_transitions(layout: YearLayout, out_path: Path) -> bool:
    """Write ``land_transitions.parquet``: area from each land class (and land group) last year to each this
    year, per county rolled up to city and province (m² exact, 公顷 published). No rows in the first year."""
    previous = previous_layout(layout)
    has_previous = previous is not None and previous.valued("land").exists() and layout.valued("land").exists()
    with connect(layout.stages / "duckdb_tmp") as con:
        if has_previous:
            _open(con, layout, previous, ["land"])
        with atomic_path(out_path) as tmp:
            con.execute(f"COPY ({_transitions_sql() if has_previous else TRANSITIONS_EMPTY}) TO '{sql_path(tmp)}' "
                        "(FORMAT parquet, COMPRESSION zstd)", {"year": layout.year})
    return has_previous


IDENTITY_CHECKS = {
    "physical": """
        SELECT count(*) FILTER (WHERE has_opening AND opening + additions - reductions <> closing),
               count(*) FILTER (WHERE has_opening AND (additions <> additions_new + additions_reclassified_in
                                + additions_increase + additions_discovered + other_changes_in_volume
                                OR reductions <> reductions_removed + reductions_reclassified_out
                                + reductions_decrease + reductions_extracted
                                -- a county's residual is rounding only: 10 rounded figures, ≤ 0.005 each
                                OR (region_level = 'county' AND abs(other_changes_in_volume
                                    - other_changes_in_volume_unrounded) > 0.05))),
               count(*)
        FROM read_parquet($p)
    """,
    "value": """
        SELECT count(*) FILTER (WHERE has_opening AND opening + volume_change + revaluation <> closing),
               -- the exact accounts add up too, and a county's published revaluation differs from its exact
               -- figure by rounding only (three rounded figures, ≤ 0.005 each)
               count(*) FILTER (WHERE has_opening AND (opening_unrounded + volume_change_unrounded
                                + revaluation_unrounded <> closing_unrounded
                                OR (region_level = 'county' AND abs(revaluation - revaluation_unrounded) > 0.015))),
               count(*)
        FROM read_parquet($p)
    """,
}


def identity_failures(path: Path, kind: str) -> tuple[int, int]:
    """Cells (county, city, province) where the published account does not add up, and the cell count."""
    with connect() as con:
        broken, kinds, total = con.execute(IDENTITY_CHECKS[kind], {"p": str(path)}).fetchone()
    return broken + kinds, total


def opening_mismatches(balance_path: Path, previous_ledger: Path, kind: str) -> list[tuple]:
    """Cells whose published opening differs from last year's published closing of the same cell
    (last year's ledger; a cell absent on one side counts as 0). Empty in the first year."""
    if kind == "physical":
        dims, amount = PHYSICAL_DIMS, "quantity"
    else:
        dims, amount = VALUE_DIMS, "value_wan_yuan"
    keys = ", ".join(["region_code", *dims])
    # cells are matched null-safely: a base parcel counted without its inventory row has no item (DOMAIN §2)
    on = " AND ".join(f"b.{k} IS NOT DISTINCT FROM l.{k}" for k in ["region_code", *dims])
    either = ", ".join(f"coalesce(b.{k}, l.{k}) AS {k}" for k in ["region_code", *dims])
    query = f"""
        WITH b AS (SELECT {keys}, opening FROM read_parquet($b) WHERE has_opening),
             l AS (SELECT {keys}, {amount} AS closing FROM read_parquet($l) WHERE indicator_ok)
        SELECT {either}, coalesce(b.opening, 0) AS opening, coalesce(l.closing, 0) AS last_closing
        FROM b FULL JOIN l ON {on}
        WHERE coalesce(b.opening, 0) <> coalesce(l.closing, 0)
        ORDER BY ALL LIMIT 20
    """
    with connect() as con:
        has_opening = con.execute("SELECT bool_or(has_opening) FROM read_parquet($b)", {"b": str(balance_path)}).fetchone()[0]
        if not has_opening:
            return []
        if not Path(previous_ledger).exists():
            return [(f"last year's ledger {previous_ledger} is missing", None, None)]
        # the ledger's '亩' rows are the Excel view of the area; the balance keeps hectares
        indicator_ok = "indicator <> 'area_mu'" if kind == "physical" else "true"
        return con.execute(query.replace("indicator_ok", indicator_ok), {"b": str(balance_path), "l": str(previous_ledger)}).fetchall()


def transition_mismatches(layout: YearLayout) -> list[tuple]:
    """County × land class where the matrix's row (from) differs from last year's base-map area, or its
    column (to) from this year's (exact m²). Empty when the matrix adds up."""
    query = """
        WITH m AS (SELECT * FROM read_parquet($m) WHERE region_level = 'county' AND classification = 'class'),
        rows_ AS (SELECT region_code, from_class AS land_class, sum(area_m2) AS area FROM m
                  WHERE from_class <> '(new)' GROUP BY ALL),
        cols AS (SELECT region_code, to_class AS land_class, sum(area_m2) AS area FROM m
                 WHERE to_class <> '(removed)' GROUP BY ALL),
        s0 AS (SELECT region_code, land_class, sum(area_m2) AS area FROM read_parquet($l0)
               WHERE parcel_id IS NOT NULL GROUP BY ALL),
        s1 AS (SELECT region_code, land_class, sum(area_m2) AS area FROM read_parquet($l1)
               WHERE parcel_id IS NOT NULL GROUP BY ALL)
        SELECT region_code, 'from', land_class, r.area, s0.area FROM rows_ r FULL JOIN s0 USING (region_code, land_class)
        WHERE r.area IS DISTINCT FROM s0.area
        UNION ALL
        SELECT region_code, 'to', land_class, c.area, s1.area FROM cols c FULL JOIN s1 USING (region_code, land_class)
        WHERE c.area IS DISTINCT FROM s1.area
        ORDER BY ALL LIMIT 20
    """
    previous = YearLayout(layout.output_dir, layout.year - 1)
    with connect() as con:
        return con.execute(query, {"m": str(layout.land_transitions), "l0": str(previous.valued("land")),
                                   "l1": str(layout.valued("land"))}).fetchall()


# ------------------------------------------------------------------ reclassifications in = out (DOMAIN §2, §5)

# The balance's area reclassified, per category, in and out: county cells (unrounded, exact) and the province's
# published figures.
BALANCE_RECLASSIFIED = """
    SELECT category,
           sum(reductions_reclassified_out_unrounded) FILTER (WHERE region_level = 'county') AS out_ha,
           sum(additions_reclassified_in_unrounded) FILTER (WHERE region_level = 'county') AS in_ha,
           sum(reductions_reclassified_out) FILTER (WHERE region_level = 'province') AS out_published,
           sum(additions_reclassified_in) FILTER (WHERE region_level = 'province') AS in_published
    FROM read_parquet($p) WHERE indicator = 'area' AND has_opening GROUP BY ALL ORDER BY ALL
"""

# The area that moved, recomputed from the valued rows of both years in m² without the balance's flows: a parcel
# that kept its id in another cell moves the smaller of its two areas; of the rest, per base parcel, the cells
# (category × county × item × subject) found only last year hold what left them, those found only this year what
# arrived, and the smaller of the two moved between them.
RECOMPUTED_MOVED = """
    WITH a0 AS (SELECT category, balance_id AS id, _row_id, region_code, item_code, subject, area_m2 FROM valued0
                WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')),
         a1 AS (SELECT category, balance_id AS id, _row_id, region_code, item_code, subject, area_m2 FROM valued1
                WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')),
    kept_id AS (
        SELECT sum(least(a0.area_m2, a1.area_m2)) AS m2 FROM a0 JOIN a1 USING (category, id)
        WHERE a0.region_code <> a1.region_code OR a0.item_code IS DISTINCT FROM a1.item_code
              OR a0.subject IS DISTINCT FROM a1.subject
    ),
    alone AS (
        SELECT 0 AS side, a.*, CASE WHEN a.category = 'land' OR a._row_id IS NULL THEN a.id ELSE l.base_parcel_id END AS base
        FROM (SELECT * FROM a0 ANTI JOIN a1 USING (category, id)) a
        LEFT JOIN links0 l ON l.category = a.category AND l._row_id = a._row_id
        UNION ALL
        SELECT 1, a.*, CASE WHEN a.category = 'land' OR a._row_id IS NULL THEN a.id ELSE l.base_parcel_id END
        FROM (SELECT * FROM a1 ANTI JOIN a0 USING (category, id)) a
        LEFT JOIN links1 l ON l.category = a.category AND l._row_id = a._row_id
    ),
    cells AS (
        SELECT base, bool_or(side = 0) AS last_year, bool_or(side = 1) AS this_year, sum(area_m2) AS m2
        FROM alone WHERE base IS NOT NULL GROUP BY base, category, region_code, item_code, subject
    ),
    per_base AS (
        SELECT least(sum(m2) FILTER (WHERE last_year AND NOT this_year), sum(m2) FILTER (WHERE this_year AND NOT last_year)) AS m2
        FROM cells GROUP BY base HAVING bool_or(last_year AND NOT this_year) AND bool_or(this_year AND NOT last_year)
    )
    SELECT (SELECT coalesce(sum(m2), 0) FROM kept_id), (SELECT coalesce(sum(m2), 0) FROM per_base)
"""


def reclassification_check(layout: YearLayout, balance_path: Path | None = None) -> dict:
    """Over the province, area reclassified out of all categories = area reclassified in (DOMAIN §2: what leaves a
    category on a base parcel still on the state base map arrives in another; §5). Both are compared with the area
    that moved recomputed from the valued rows of both years (``RECOMPUTED_MOVED``), to 0.01 m².

    Returns ``passed``, the per-category figures (公顷: exact and as published at the province) and the totals."""
    balance_path = balance_path or layout.balance_physical
    previous = previous_layout(layout)
    with connect(layout.stages / "duckdb_tmp") as con:
        per_category = con.execute(BALANCE_RECLASSIFIED, {"p": str(balance_path)}).fetchall()
        if previous is None:
            return {"passed": True, "has_opening": False, "categories": [], "note": "first year: no reclassifications"}
        _open(con, layout, previous, CATEGORIES)
        kept_id, on_base = con.execute(RECOMPUTED_MOVED).fetchone()
    total_out = sum((r[1] or 0 for r in per_category), Decimal(0)) * 10000
    total_in = sum((r[2] or 0 for r in per_category), Decimal(0)) * 10000
    recomputed = Decimal(kept_id) + Decimal(on_base)
    tolerance = Decimal("0.01")
    passed = abs(total_out - total_in) < tolerance and abs(total_out - recomputed) < tolerance \
        and abs(total_in - recomputed) < tolerance
    return {"passed": passed, "has_opening": True, "categories": per_category, "out_m2": total_out, "in_m2": total_in,
            "recomputed_m2": recomputed, "recomputed_same_id_m2": Decimal(kept_id), "recomputed_on_base_m2": Decimal(on_base),
            "published_out_ha": sum((r[3] or 0 for r in per_category), Decimal(0)),
            "published_in_ha": sum((r[4] or 0 for r in per_category), Decimal(0))}


# Area removed and new, recomputed from the valued rows in m²: the rows without a partner by id whose base
# parcel is not on the other year's state base map (the land file), or that have none. The balance's own
# removed and new areas should be these (DOMAIN §2: only area leaving the state base map is removed).
RECOMPUTED_REMOVED_AND_NEW = """
    WITH a0 AS (SELECT category, balance_id AS id, _row_id, area_m2 FROM valued0
                WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')),
         a1 AS (SELECT category, balance_id AS id, _row_id, area_m2 FROM valued1
                WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')),
    gone AS (
        SELECT a.category, a.area_m2, CASE WHEN a.category = 'land' OR a._row_id IS NULL THEN a.id ELSE l.base_parcel_id END AS base
        FROM (SELECT * FROM a0 ANTI JOIN a1 USING (category, id)) a
        LEFT JOIN links0 l ON l.category = a.category AND l._row_id = a._row_id
    ),
    came AS (
        SELECT a.category, a.area_m2, CASE WHEN a.category = 'land' OR a._row_id IS NULL THEN a.id ELSE l.base_parcel_id END AS base
        FROM (SELECT * FROM a1 ANTI JOIN a0 USING (category, id)) a
        LEFT JOIN links1 l ON l.category = a.category AND l._row_id = a._row_id
    )
    SELECT 'removed' AS flow, category, sum(area_m2) FROM gone g
    WHERE base IS NULL OR NOT EXISTS (SELECT 1 FROM base_map1 m WHERE m.parcel_id = g.base)
    GROUP BY ALL
    UNION ALL
    SELECT 'new', category, sum(area_m2) FROM came c
    WHERE base IS NULL OR NOT EXISTS (SELECT 1 FROM base_map0 m WHERE m.parcel_id = c.base)
    GROUP BY ALL
"""

BALANCE_REMOVED_AND_NEW = """
    SELECT category, sum(reductions_removed_unrounded) * 10000, sum(additions_new_unrounded) * 10000
    FROM read_parquet($p) WHERE indicator = 'area' AND has_opening AND region_level = 'county' GROUP BY ALL ORDER BY ALL
"""


def removed_and_new_check(layout: YearLayout, balance_path: Path | None = None) -> dict:
    """Per land, forest, grassland and wetland: the balance's area removed (new) against the area of last (this)
    year's rows without a partner by id whose base parcel is not on this (last) year's state base map, recomputed
    from the valued rows (``RECOMPUTED_REMOVED_AND_NEW``), m², to 0.01 m². ``rows``: category, balance removed,
    recomputed removed, balance new, recomputed new."""
    balance_path = balance_path or layout.balance_physical
    previous = previous_layout(layout)
    if previous is None:
        return {"passed": True, "has_opening": False, "rows": []}
    with connect(layout.stages / "duckdb_tmp") as con:
        booked = {c: (r, n) for c, r, n in con.execute(BALANCE_REMOVED_AND_NEW, {"p": str(balance_path)}).fetchall()}
        _open(con, layout, previous, CATEGORIES)
        found = {(flow, c): m2 for flow, c, m2 in con.execute(RECOMPUTED_REMOVED_AND_NEW).fetchall()}
    zero, rows = Decimal(0), []
    for category in sorted({c for c in booked if c in ("land", *INVENTORIES)} | {c for _, c in found}):
        removed, new = booked.get(category, (zero, zero))
        rows.append((category, removed or zero, found.get(("removed", category)) or zero,
                     new or zero, found.get(("new", category)) or zero))
    passed = all(abs(r[1] - r[2]) < Decimal("0.01") and abs(r[3] - r[4]) < Decimal("0.01") for r in rows)
    return {"passed": passed, "has_opening": True, "rows": rows}


# ------------------------------------------------------------------ last year's files against its manifest

class LastYearFileError(Exception):
    """A file of last year the balance would open with differs from what last year's manifest.json lists."""

    def __init__(self, path: Path | str, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


def last_year_inputs(previous: YearLayout) -> list[Path]:
    """The files of last year the balance accounts read: its valued rows (the opening) and its ledgers (the
    published closing the opening must equal)."""
    paths = [*(previous.valued(c) for c in CATEGORIES), previous.ledger_physical, previous.ledger_value]
    return [p for p in paths if p.exists()]


def verify_last_year(layout: YearLayout) -> str:
    """Check last year's files against last year's ``manifest.json`` (its ``outputs``' SHA-256) before they are used
    as opening balances; raise ``LastYearFileError`` naming the first file that differs, is missing or is not listed.

    Returns a note for the step's metadata: what was verified, or why nothing was (a first year; a year
    compiled without a manifest)."""
    previous = YearLayout(layout.output_dir, layout.year - 1)
    files = last_year_inputs(previous)
    if not files:
        return f"no outputs of {previous.year}: first year of the accounts, nothing to verify"
    if not previous.manifest.exists():
        return (f"{previous.manifest} is missing: last year's {len(files)} files were used without verification "
                "(a year compiled without a manifest)")
    try:
        described = read_json(previous.manifest).get("outputs", {})
    except ValueError as exc:
        raise LastYearFileError(previous.manifest, f"cannot be read ({exc}); last year's files cannot be verified") from None
    for path in files:
        name = path.relative_to(previous.root).as_posix()
        if name not in described:
            raise LastYearFileError(path, f"is not listed in {previous.manifest}: it was written after last year's run; "
                                          f"run {previous.year} again")
        if sha256_of(path) != described[name]["sha256"]:
            raise LastYearFileError(path, f"differs from {previous.manifest} (sha256): it was changed after last "
                                          f"year's run; run {previous.year} again or restore the file")
    return f"{len(files)} files of {previous.year} match {previous.manifest.name}: " + \
        ", ".join(p.relative_to(previous.root).as_posix() for p in files)

-- The physical flows of every row of either year (DOMAIN §5), per id × indicator: last year's rows (physical_rows0)
-- and this year's (physical_rows1) paired by id, then minerals and water without a partner by lineage, parcels
-- without a partner on their base parcel (links0/links1, base_map0/base_map1); each row's opening or closing and
-- its additions and reductions in its cell (see balance.py for the rules).
CREATE OR REPLACE TEMP VIEW physical_flows AS
WITH r0 AS (SELECT * FROM physical_rows0), r1 AS (SELECT * FROM physical_rows1),
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
-- (``base_parcel_id`` of its valued row; a row counted from the base map alone has the base parcel's id).
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

-- The value flows of every valued row of either year (DOMAIN §5), in 元: last year's priced rows (priced_rows0) and
-- this year's (priced_rows1) paired by id, parcels without a partner on their base parcel (links0/links1); per row
-- opening, closing, revaluation v1·q0/q1 − v0 (exact to 1e-10 元, only for the same cell and pricing basis) and
-- volume change, the rest, so that opening + volume change + revaluation = closing row by row.
CREATE OR REPLACE TEMP VIEW value_flows AS
WITH r0 AS (SELECT * FROM priced_rows0), r1 AS (SELECT * FROM priced_rows1),
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

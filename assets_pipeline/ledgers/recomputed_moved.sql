-- The area that moved, recomputed from the valued rows of both years (valued0, valued1, links0, links1) in m²
-- without the balance's flows: a parcel that kept its id in another cell moves the smaller of its two areas; of
-- the rest, per base parcel, the cells (category × county × item × subject) found only last year hold what left
-- them, those found only this year what arrived, and the smaller of the two moved between them.
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

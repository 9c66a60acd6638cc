-- Area removed and new per category, recomputed from the valued rows in m²: the rows without a partner by id
-- whose base parcel is not on the other year's state base map (base_map0, base_map1: the land file), or that have
-- none. DOMAIN §2: only area leaving the state base map is removed.
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

-- The base parcels on which the counted rows (view counted) hold more area than the survey gives the parcel
-- (survey; inventory-wins, variable policy: than the valid total of the inventory standing on it, claims), with
-- the rows of each category counted on it, the largest excess first.
WITH per_key AS (   -- one hash aggregate over the counted rows and the survey: counted and surveyed area per parcel
    SELECT key, sum(counted_m2) AS counted_m2, sum(base_m2) AS base_m2, bool_or(surveyed) AS surveyed,
           coalesce(max(region_code) FILTER (WHERE surveyed), max(region_code)) AS region_code,
           max(base_category) AS base_category,
           count(*) FILTER (WHERE category = 'land') AS land_rows,
           count(*) FILTER (WHERE category = 'forest') AS forest_rows,
           count(*) FILTER (WHERE category = 'grassland') AS grassland_rows,
           count(*) FILTER (WHERE category = 'wetland') AS wetland_rows
    FROM (SELECT key, region_code, category, area_m2 AS counted_m2, CAST(0 AS DECIMAL(18, 2)) AS base_m2,
                 false AS surveyed, NULL::VARCHAR AS base_category
          FROM counted
          UNION ALL
          SELECT parcel_id, region_code, NULL, CAST(0 AS DECIMAL(18, 2)), base_m2, true, category FROM survey)
    GROUP BY key
    HAVING sum(counted_m2) > sum(base_m2)
),
standing AS (  -- inventory-wins: how far a parcel may grow, the valid total of the inventory that may stand on it
    SELECT p.key, max(c.valid_m2) FILTER (WHERE p.base_category IS NULL OR p.base_category IN ('land', c.category))
               AS standing_m2
    FROM per_key p JOIN claims c ON c.key = p.key
    WHERE getvariable('policy') = 'inventory-wins'
    GROUP BY p.key
)
SELECT p.key, p.region_code, CASE WHEN p.surveyed THEN p.base_m2 END AS base_m2,
       greatest(p.base_m2, coalesce(s.standing_m2, 0)) AS allowed_m2, p.counted_m2,
       p.counted_m2 - greatest(p.base_m2, coalesce(s.standing_m2, 0)) AS excess_m2,
       p.land_rows, p.forest_rows, p.grassland_rows, p.wetland_rows
FROM per_key p LEFT JOIN standing s USING (key)
WHERE p.counted_m2 > greatest(p.base_m2, coalesce(s.standing_m2, 0))
ORDER BY excess_m2 DESC, p.key NULLS FIRST

-- The base parcels on which the counted rows (view counted) hold more area than the survey gives the parcel
-- (survey; inventory-wins, variable policy: than the valid total of the inventory standing on it, claims), with
-- the rows of each category counted on it, the largest excess first.
--
-- Only a parcel with counted rows can hold too much, so the counted rows are summed per parcel first and the survey
-- is read for those parcels alone: one aggregate over every surveyed parcel and every counted row together held
-- more state than the step's memory at ten million parcels.
WITH per_counted AS (   -- counted area and rows per parcel (a NULL key: rows on no base parcel)
    SELECT key, sum(area_m2) AS counted_m2, max(region_code) AS region_code,
           count(*) FILTER (WHERE category = 'land') AS land_rows,
           count(*) FILTER (WHERE category = 'forest') AS forest_rows,
           count(*) FILTER (WHERE category = 'grassland') AS grassland_rows,
           count(*) FILTER (WHERE category = 'wetland') AS wetland_rows
    FROM counted
    GROUP BY key
),
per_survey AS (         -- the surveyed area of those parcels
    SELECT s.parcel_id AS key, sum(s.base_m2) AS base_m2, max(s.region_code) AS region_code,
           max(s.category) AS base_category, true AS surveyed
    FROM survey s SEMI JOIN per_counted c ON c.key IS NOT DISTINCT FROM s.parcel_id
    GROUP BY s.parcel_id
),
per_key AS (
    SELECT c.key, c.counted_m2, coalesce(s.base_m2, CAST(0 AS DECIMAL(18, 2))) AS base_m2,
           coalesce(s.surveyed, false) AS surveyed,
           coalesce(s.region_code, c.region_code) AS region_code, s.base_category,
           c.land_rows, c.forest_rows, c.grassland_rows, c.wetland_rows
    FROM per_counted c LEFT JOIN per_survey s ON s.key IS NOT DISTINCT FROM c.key
    WHERE c.counted_m2 > coalesce(s.base_m2, 0)
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

-- County × land class where the transition matrix ($m) does not add up: its row (from) against last year's
-- base-map area ($l0), its column (to) against this year's ($l1), exact m².
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

-- The inconsistent parcels' count and area (亩, 公顷) per county, category and finding type, the counties under
-- their city, a subtotal row per city (level 1) and the province's total (level 2) last.
-- From inconsistencies.parquet ($p), the finding_labels view and the year's admin_divisions ($divisions).
-- 1 公顷 = 10,000 m² = 15 亩 (DOMAIN §4); county figures rounded half-up to 2 decimals, subtotals their sums.
WITH county AS (
    SELECT coalesce(d.parent_code, '') AS city_code, coalesce(c.name, '') AS city_name, f.region_code,
           coalesce(d.name, '') AS region_name, f.category, min(l.finding_order) AS finding_order,
           any_value(l.finding_zh) AS finding_zh, count(*) AS parcels,
           round(CAST(sum(f.area_m2) AS DECIMAL(38, 6)) * 0.0015, 2) AS area_mu,
           round(CAST(sum(f.area_m2) AS DECIMAL(38, 6)) * 0.0001, 2) AS area_ha
    FROM read_parquet($p) f
    JOIN finding_labels l USING (finding_type)
    LEFT JOIN read_parquet($divisions) d ON d.region_code = f.region_code
    LEFT JOIN read_parquet($divisions) c ON c.region_code = d.parent_code
    GROUP BY f.region_code, d.parent_code, c.name, d.name, f.category, f.finding_type
)
SELECT city_code, city_name, region_code, region_name, category, finding_order, finding_zh, parcels, area_mu,
       area_ha, 0 AS level FROM county
UNION ALL
SELECT city_code, any_value(city_name), NULL, NULL, NULL, NULL, NULL, sum(parcels), sum(area_mu), sum(area_ha), 1
FROM county GROUP BY city_code
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, sum(parcels), sum(area_mu), sum(area_ha), 2 FROM county
ORDER BY level = 2, city_code, level, region_code, category, finding_order

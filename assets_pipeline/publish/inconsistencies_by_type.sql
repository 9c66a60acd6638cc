-- The inconsistent parcels' count and area (亩, 公顷) per category and finding type for the province, and their
-- total (level 1). From inconsistencies.parquet ($p) and the finding_labels view; areas rounded as by county.
WITH t AS (
    SELECT f.category, min(l.finding_order) AS finding_order, any_value(l.finding_zh) AS finding_zh,
           count(*) AS parcels, round(CAST(sum(f.area_m2) AS DECIMAL(38, 6)) * 0.0015, 2) AS area_mu,
           round(CAST(sum(f.area_m2) AS DECIMAL(38, 6)) * 0.0001, 2) AS area_ha
    FROM read_parquet($p) f JOIN finding_labels l USING (finding_type)
    GROUP BY f.category, f.finding_type
)
SELECT category, finding_order, finding_zh, parcels, area_mu, area_ha, 0 AS level FROM t
UNION ALL SELECT NULL, NULL, NULL, sum(parcels), sum(area_mu), sum(area_ha), 1 FROM t
ORDER BY level, category, finding_order

-- Per county the inconsistent area (不一致图斑, DOMAIN §2, §6) in m² and 亩 (1 亩 = 10000/15 m²): the consistency
-- report's findings, and the overlay's inconsistent pieces of the inventory rows the report does not already list (a
-- row the report lists counts there with its whole area, so its pieces are not added: ground counted once).
-- Views: findings (inconsistencies.parquet), pieces.
WITH counted AS (
    SELECT region_code, area_m2 FROM findings
    UNION ALL
    SELECT p.region_code, p.piece_area_m2 AS area_m2
    FROM pieces p
    WHERE p.finding_type IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM findings f
                      WHERE f.category = p.category AND f.parcel_id = p.parcel_id)
)
SELECT region_code, CAST(sum(area_m2) AS DECIMAL(18, 2)) AS area_m2,
       CAST(sum(area_m2) * 15 / 10000 AS DECIMAL(18, 4)) AS area_mu
FROM counted
WHERE region_code IS NOT NULL
GROUP BY region_code
ORDER BY region_code

-- Per county (from survey, claims, inventory, rejected_by_consistency and the ledger $ledger): the base map's area,
-- collective and state, the state area consistency rejected, the area withheld by rejected inventory rows, the
-- inventory-wins adjustment (variable policy), the expected state area and the ledgers' (land, forest, grassland
-- and wetland, the unrounded area indicator in 公顷 × 10,000).
WITH base AS (
    SELECT region_code, sum(base_m2) AS base_m2, coalesce(sum(base_m2) FILTER (WHERE NOT is_state), 0) AS collective_m2,
           coalesce(sum(base_m2) FILTER (WHERE is_state), 0) AS state_m2
    FROM survey GROUP BY ALL
),
rejected AS (
    SELECT s.region_code, sum(s.base_m2) AS rejected_m2
    FROM survey s SEMI JOIN rejected_by_consistency r ON r.parcel_id = s.parcel_id
    WHERE s.is_state GROUP BY ALL
),
named AS (     -- the state base parcels an inventory names, less those consistency rejected
    SELECT s.parcel_id, s.region_code, s.base_m2, s.category,
           coalesce(max(c.valid_m2) FILTER (WHERE c.category = s.category), 0) AS own_m2,
           coalesce(max(c.valid_rows) FILTER (WHERE c.category = s.category), 0) AS own_rows,
           coalesce(max(c.rejected_rows) FILTER (WHERE c.category = s.category), 0) AS own_rejected,
           arg_min(c.valid_m2, c.rank) FILTER (WHERE c.valid_rows > 0) AS first_claim_m2
    FROM survey s JOIN claims c ON c.key = s.parcel_id
    WHERE s.is_state AND s.parcel_id NOT IN (SELECT parcel_id FROM rejected_by_consistency)
    GROUP BY s.parcel_id, s.region_code, s.base_m2, s.category
),
terms AS (
    SELECT region_code,
           CASE WHEN category <> 'land' AND own_rejected > 0 THEN base_m2 - least(own_m2, base_m2) ELSE 0 END
               AS withheld_m2,
           CASE WHEN getvariable('policy') <> 'inventory-wins' THEN 0
                WHEN category = 'land' THEN coalesce(first_claim_m2 - base_m2, 0)
                WHEN own_rows > 0 AND own_rejected > 0 THEN greatest(own_m2 - base_m2, 0)
                WHEN own_rows > 0 THEN own_m2 - base_m2
                ELSE 0 END AS adjusted_m2
    FROM named
),
terms_by_county AS (
    SELECT region_code, sum(withheld_m2) AS withheld_m2, sum(adjusted_m2) AS adjusted_m2 FROM terms GROUP BY ALL
),
missing AS (   -- inventory-wins: parcels the base map lacks, to the first inventory naming them
    SELECT key, min(rank) AS rank FROM claims
    WHERE getvariable('policy') = 'inventory-wins' AND valid_rows > 0 AND key NOT IN (SELECT parcel_id FROM survey_parts)
    GROUP BY key
),
added AS (
    SELECT i.region_code, sum(i.area_m2) AS added_m2
    FROM inventory i JOIN missing m ON m.key = i.key AND m.rank = i.rank
    WHERE i.is_state GROUP BY ALL
),
ledger AS (
    SELECT region_code, CAST(sum(quantity_unrounded) * 10000 AS DECIMAL(38, 2)) AS ledger_m2
    FROM read_parquet($ledger)
    WHERE region_level = 'county' AND indicator = 'area' AND category IN ('land', 'forest', 'grassland', 'wetland')
    GROUP BY ALL
),
counties AS (
    SELECT region_code FROM base UNION SELECT region_code FROM ledger UNION SELECT region_code FROM added
)
SELECT k.region_code,
       coalesce(b.base_m2, 0) AS base_m2, coalesce(b.collective_m2, 0) AS collective_m2,
       coalesce(b.state_m2, 0) AS state_m2, coalesce(r.rejected_m2, 0) AS rejected_m2,
       coalesce(t.withheld_m2, 0) AS withheld_m2, coalesce(t.adjusted_m2, 0) + coalesce(a.added_m2, 0) AS adjusted_m2,
       CAST(coalesce(b.state_m2, 0) - coalesce(r.rejected_m2, 0) - coalesce(t.withheld_m2, 0)
            + coalesce(t.adjusted_m2, 0) + coalesce(a.added_m2, 0) AS DECIMAL(38, 2)) AS expected_m2,
       coalesce(l.ledger_m2, 0) AS ledger_m2
FROM counties k
LEFT JOIN base b USING (region_code)
LEFT JOIN rejected r USING (region_code)
LEFT JOIN terms_by_county t USING (region_code)
LEFT JOIN added a USING (region_code)
LEFT JOIN ledger l USING (region_code)
ORDER BY k.region_code

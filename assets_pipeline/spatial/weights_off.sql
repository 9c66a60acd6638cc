-- The parcels of price_weights (view price_weights) priced by level polygons whose weights do not add up to exactly
-- 1 at 10 decimals, or whose rule disagrees with its rows (dominant: one row of weight 1; outside: one row, no level).
SELECT count(*) AS parcels_off
FROM (SELECT _row_id, any_value(rule) AS rule, count(*) AS levels, count(DISTINCT rule) AS rules,
             sum(weight) AS total, count(price_zone) AS priced
      FROM price_weights GROUP BY _row_id)
WHERE rules <> 1
   OR (rule = 'outside' AND (levels <> 1 OR priced <> 0))
   OR (rule = 'dominant' AND (levels <> 1 OR total <> 1))
   OR (rule = 'weighted' AND total <> 1)

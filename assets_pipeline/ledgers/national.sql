-- The nation's ledger of a year (DOMAIN §7): view provinces holds each compiled province's own row of every cell
-- (region_level 'province', as published); the nation's cell is the sum of the provinces' published cells, and its
-- unrounded figure the sum of theirs, never re-rounded (a published total is the sum of its published rows).
-- {dims}: the ledger's cell dimensions; {names}: their names, taken from any province; {sums}: each measure summed.
SELECT year, '000000' AS region_code, '全国' AS region_name, 'national' AS region_level,
       CAST(NULL AS VARCHAR) AS parent_code, {dims}, {names}, {sums}
FROM provinces
GROUP BY ALL
UNION ALL BY NAME
SELECT * REPLACE ('000000' AS parent_code) FROM provinces
ORDER BY category, region_level DESC, region_code, item_code, subject, {order}

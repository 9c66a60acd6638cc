-- The counties with the largest share of their in-scope rows (valued or unpriced) left without a price, from
-- valued/<category>.parquet, named from the admin_divisions snapshot; the first $limit.
SELECT v.region_code, any_value(a.name), count(*) FILTER (WHERE v.status = 'unpriced') AS unpriced,
       count(*) AS in_scope
FROM read_parquet($valued) v LEFT JOIN read_parquet($regions) a ON a.region_code = v.region_code
WHERE v.status IN ('valued', 'unpriced')
GROUP BY v.region_code
HAVING unpriced > 0
ORDER BY unpriced / in_scope DESC, unpriced DESC, v.region_code
LIMIT $limit

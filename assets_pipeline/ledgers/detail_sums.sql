-- Per category: the exact value of the valued rows (万元) against the ledger's county cells (unrounded and
-- published) and the province's published total, from valued/<category>.parquet and ledger_value.parquet.
WITH detail AS (
    SELECT category, coalesce(sum(value_yuan) FILTER (WHERE status = 'valued'), 0) * 0.0001 AS detail
    FROM read_parquet($valued, union_by_name = true) GROUP BY ALL
),
ledger AS (
    SELECT category,
           sum(value_wan_yuan_unrounded) FILTER (WHERE region_level = 'county') AS county_exact,
           sum(value_wan_yuan) FILTER (WHERE region_level = 'county') AS county_published,
           sum(value_wan_yuan) FILTER (WHERE region_level = 'province') AS province_published
    FROM read_parquet($ledger) GROUP BY ALL
)
SELECT d.category, CAST(d.detail AS DECIMAL(38, 16)), coalesce(l.county_exact, 0),
       coalesce(l.county_published, 0), coalesce(l.province_published, 0)
FROM detail d LEFT JOIN ledger l USING (category) ORDER BY 1

-- Cells whose published opening (the balance account, $b) differs from last year's published closing of the same
-- cell (last year's ledger, $l, without its 亩 rows: the balance keeps hectares); a cell absent on one side counts
-- as 0. Cells are matched null-safely: a base parcel counted without its inventory row has no item (DOMAIN §2).
WITH b AS (SELECT {keys}, opening FROM read_parquet($b) WHERE has_opening),
     l AS (SELECT {keys}, {amount} AS closing FROM read_parquet($l) WHERE {measure} IS DISTINCT FROM 'area_mu')
SELECT {either}, coalesce(b.opening, 0) AS opening, coalesce(l.closing, 0) AS last_closing
FROM b FULL JOIN l ON {matched}
WHERE coalesce(b.opening, 0) <> coalesce(l.closing, 0)
ORDER BY ALL LIMIT 20

-- One pass over the valued rows: per county × category × item × subject × component (× breakdown and member),
-- the sums of every quantity and of the value, and the memos' parts (memos.py) for the ledgers. The ledgers read
-- their indicators off these sums; scaling a sum (m² → 公顷) is exact, so it equals the sum of the scaled rows.
SELECT {dims}category, region_code, item_code, ledger_item, subject, component,
       CAST(sum(area_m2) AS DECIMAL(38, 2)) AS area_m2,
       CAST(sum(stock_m3) AS DECIMAL(38, 4)) AS stock_m3,
       CAST(sum(bamboo_stems) AS DECIMAL(38, 0)) AS bamboo_stems,
       CAST(sum(hay_t) AS DECIMAL(38, 12)) AS hay_t,
       CAST(sum(volume_m3) AS DECIMAL(38, 2)) AS volume_m3,
       CAST(sum(quantity) AS DECIMAL(38, 6)) AS quantity,
       CAST(sum(value_yuan) FILTER (WHERE status = 'valued') AS DECIMAL(38, 12)) AS value_yuan,
       count(*) FILTER (WHERE status = 'valued') AS rows_valued{memos}
FROM {rows} GROUP BY ALL

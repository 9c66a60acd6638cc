-- The valued rows of a year with the quantity their price applies to (DOMAIN §4: area, stock, stems, volume,
-- mineral quantity) and what it is (revaluation needs the same basis in both years), for the value account.
CREATE OR REPLACE TEMP VIEW {priced} AS
SELECT category, balance_id, _row_id, component, region_code, ledger_item AS item_code, subject,
       CAST(value_yuan AS DECIMAL(38, 10)) AS v,
       CASE WHEN category = 'minerals' THEN quantity WHEN category = 'water' THEN volume_m3
            WHEN category = 'forest' AND priced_on = 'stock' THEN stock_m3
            WHEN category = 'forest' AND priced_on = 'stems' THEN bamboo_stems
            ELSE area_m2 END AS q,
       CASE WHEN category = 'forest' THEN priced_on ELSE 'quantity' END AS basis
FROM {valued} WHERE status = 'valued'

-- The view cell_rows of a value ledger cell: each chosen valued row (table chosen) of the cell's items, subjects
-- and components (table cell_keys) with amount, its exact part of the cell in 万元 (value_yuan × 0.0001).
CREATE OR REPLACE TEMP VIEW cell_rows AS
SELECT c.*, CAST(c.value_yuan * 0.0001 AS DECIMAL(38, 16)) AS amount FROM chosen c
SEMI JOIN cell_keys k ON k.item_code = c.ledger_item AND k.subject IS NOT DISTINCT FROM c.subject
                     AND k.k = c.component
WHERE c.status = 'valued'

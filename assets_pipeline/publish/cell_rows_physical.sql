-- The view cell_rows of a physical ledger cell: each chosen valued row (table chosen, numbered _n) with amount,
-- its part of the cell's indicator as the ledger defines it (view chosen_parts, one row per row and indicator),
-- kept where its item, subject and indicator are the cell's (table cell_keys).
CREATE OR REPLACE TEMP VIEW cell_rows AS
SELECT c.*, p.quantity AS amount FROM chosen_parts p JOIN chosen c USING (_n)
SEMI JOIN cell_keys k ON k.item_code = p.item_code AND k.subject IS NOT DISTINCT FROM p.subject
                     AND k.k = p.indicator

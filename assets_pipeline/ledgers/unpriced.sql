-- Every in-scope valued row without a price (status unpriced), with its key, source row and the reason.
COPY (
    SELECT category, region_code, item_code, component, _source_file AS source_file, _source_row AS source_row,
           price_table, price_key, status_reason AS reason
    FROM valued WHERE status = 'unpriced' ORDER BY category, source_file, source_row, component
) TO {out} (FORMAT parquet)

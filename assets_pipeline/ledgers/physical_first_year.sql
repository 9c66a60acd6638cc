-- The physical flows of a first year (no valued rows of the year before): every row's quantity is closing,
-- opening and the flows are null, not zero (the account starts with the closing stock).
CREATE OR REPLACE TEMP VIEW physical_flows AS
SELECT *, CAST(NULL AS DECIMAL(38, 10)) AS opening,
       CAST(NULL AS DECIMAL(38, 10)) AS additions_new, CAST(NULL AS DECIMAL(38, 10)) AS additions_reclassified_in,
       CAST(NULL AS DECIMAL(38, 10)) AS additions_increase, CAST(NULL AS DECIMAL(38, 10)) AS additions_discovered,
       CAST(NULL AS DECIMAL(38, 10)) AS reductions_removed, CAST(NULL AS DECIMAL(38, 10)) AS reductions_reclassified_out,
       CAST(NULL AS DECIMAL(38, 10)) AS reductions_decrease, CAST(NULL AS DECIMAL(38, 10)) AS reductions_extracted,
       quantity AS closing
FROM physical_rows1

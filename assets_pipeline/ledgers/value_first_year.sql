-- The value flows of a first year (no valued rows of the year before): every valued row's value is closing,
-- opening, volume change and revaluation are null, not zero.
CREATE OR REPLACE TEMP VIEW value_flows AS
SELECT category, component, region_code, item_code, subject, CAST(NULL AS DECIMAL(38, 10)) AS opening,
       v AS closing, CAST(NULL AS DECIMAL(38, 10)) AS volume_change, CAST(NULL AS DECIMAL(38, 10)) AS revaluation
FROM priced_rows1

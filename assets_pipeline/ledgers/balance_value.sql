-- The value balance account (DOMAIN §5), 万元: per region × category × item × subject × component, opening,
-- volume change, revaluation and closing, from the rows' flows in 元 (view value_flows). A county cell's opening,
-- closing and volume change are its exact sums rounded half-up to 2 decimals and revaluation the published
-- residual, so opening + volume change + revaluation = closing as printed; cities and the province are sums of
-- published cells.
WITH county AS (
    -- 元 → 万元 is an exact decimal shift
    SELECT category, item_code, subject, component, region_code,
           CAST(sum(opening) AS DECIMAL(38, 10)) * CAST(0.0001 AS DECIMAL(10, 4)) AS opening_x,
           CAST(sum(closing) AS DECIMAL(38, 10)) * CAST(0.0001 AS DECIMAL(10, 4)) AS closing_x,
           CAST(sum(volume_change) AS DECIMAL(38, 10)) * CAST(0.0001 AS DECIMAL(10, 4)) AS volume_change_x,
           CAST(sum(revaluation) AS DECIMAL(38, 10)) * CAST(0.0001 AS DECIMAL(10, 4)) AS revaluation_x
    FROM value_flows GROUP BY ALL
),
county_pub AS (
    SELECT *, round(opening_x, 2) AS opening, round(closing_x, 2) AS closing,
           round(volume_change_x, 2) AS volume_change,
           round(closing_x, 2) - round(opening_x, 2) - round(volume_change_x, 2) AS revaluation
    FROM county
),
{levels},
{named}
SELECT CAST($year AS INTEGER) AS year, a.region_code, a.region_name, a.region_level, a.parent_code,
       a.category, a.item_code, a.subject, a.component, a.item_name, a.item_name_en, a.subject_name,
       $has_opening AS has_opening,
       CAST(a.opening AS DECIMAL(38, 2)) AS opening, CAST(a.closing AS DECIMAL(38, 2)) AS closing,
       CAST(a.volume_change AS DECIMAL(38, 2)) AS volume_change, CAST(a.revaluation AS DECIMAL(38, 2)) AS revaluation,
       CAST(a.opening_x AS DECIMAL(38, 14)) AS opening_unrounded,
       CAST(a.closing_x AS DECIMAL(38, 14)) AS closing_unrounded,
       CAST(a.volume_change_x AS DECIMAL(38, 14)) AS volume_change_unrounded,
       CAST(a.revaluation_x AS DECIMAL(38, 14)) AS revaluation_unrounded
FROM named_levels a
ORDER BY a.category, a.region_level, a.region_code, a.item_code, a.subject, a.component

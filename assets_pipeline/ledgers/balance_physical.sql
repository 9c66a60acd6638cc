-- The physical balance account (DOMAIN §5): per region × category × item × subject × indicator, opening, the
-- flows and closing, from the rows' flows (view physical_flows). A county cell's opening, closing and flows are
-- its exact sums rounded half-up to 2 decimals and other_changes_in_volume the published residual, so
-- opening + additions − reductions = closing as printed; cities and the province are sums of published cells.
WITH county AS (
    SELECT category, item_code, subject, indicator, unit, unit_en, region_code,
           CAST(sum(opening) AS DECIMAL(38, 10)) AS opening_x,
           CAST(sum(closing) AS DECIMAL(38, 10)) AS closing_x,
           CAST(sum(additions_new) AS DECIMAL(38, 10)) AS additions_new_x,
           CAST(sum(additions_reclassified_in) AS DECIMAL(38, 10)) AS additions_reclassified_in_x,
           CAST(sum(additions_increase) AS DECIMAL(38, 10)) AS additions_increase_x,
           CAST(sum(additions_discovered) AS DECIMAL(38, 10)) AS additions_discovered_x,
           CAST(sum(reductions_removed) AS DECIMAL(38, 10)) AS reductions_removed_x,
           CAST(sum(reductions_reclassified_out) AS DECIMAL(38, 10)) AS reductions_reclassified_out_x,
           CAST(sum(reductions_decrease) AS DECIMAL(38, 10)) AS reductions_decrease_x,
           CAST(sum(reductions_extracted) AS DECIMAL(38, 10)) AS reductions_extracted_x
    FROM physical_flows GROUP BY ALL
),
county_pub AS (
    SELECT *, closing - opening
              - (additions_new + additions_reclassified_in + additions_increase + additions_discovered)
              + (reductions_removed + reductions_reclassified_out + reductions_decrease + reductions_extracted)
              AS other_changes_in_volume,
           closing_x - opening_x
              - (additions_new_x + additions_reclassified_in_x + additions_increase_x + additions_discovered_x)
              + (reductions_removed_x + reductions_reclassified_out_x + reductions_decrease_x + reductions_extracted_x)
              AS other_changes_in_volume_x
    FROM (
        SELECT *, round(opening_x, 2) AS opening, round(closing_x, 2) AS closing,
               round(additions_new_x, 2) AS additions_new,
               round(additions_reclassified_in_x, 2) AS additions_reclassified_in,
               round(additions_increase_x, 2) AS additions_increase,
               round(additions_discovered_x, 2) AS additions_discovered,
               round(reductions_removed_x, 2) AS reductions_removed,
               round(reductions_reclassified_out_x, 2) AS reductions_reclassified_out,
               round(reductions_decrease_x, 2) AS reductions_decrease,
               round(reductions_extracted_x, 2) AS reductions_extracted
        FROM county
    )
),
{levels},
{named}
SELECT CAST($year AS INTEGER) AS year, a.region_code, a.region_name, a.region_level, a.parent_code,
       a.category, a.item_code, a.subject, a.indicator, a.unit, a.unit_en, a.item_name, a.item_name_en, a.subject_name,
       $has_opening AS has_opening,
       CAST(a.opening AS DECIMAL(38, 2)) AS opening,
       CAST(a.additions_new + a.additions_reclassified_in + a.additions_increase + a.additions_discovered
            + a.other_changes_in_volume AS DECIMAL(38, 2)) AS additions,
       CAST(a.reductions_removed + a.reductions_reclassified_out + a.reductions_decrease + a.reductions_extracted
            AS DECIMAL(38, 2)) AS reductions,
       CAST(a.closing AS DECIMAL(38, 2)) AS closing,
       CAST(a.additions_new AS DECIMAL(38, 2)) AS additions_new,
       CAST(a.additions_reclassified_in AS DECIMAL(38, 2)) AS additions_reclassified_in,
       CAST(a.additions_increase AS DECIMAL(38, 2)) AS additions_increase,
       CAST(a.additions_discovered AS DECIMAL(38, 2)) AS additions_discovered,
       CAST(a.reductions_removed AS DECIMAL(38, 2)) AS reductions_removed,
       CAST(a.reductions_reclassified_out AS DECIMAL(38, 2)) AS reductions_reclassified_out,
       CAST(a.reductions_decrease AS DECIMAL(38, 2)) AS reductions_decrease,
       CAST(a.reductions_extracted AS DECIMAL(38, 2)) AS reductions_extracted,
       CAST(a.other_changes_in_volume AS DECIMAL(38, 2)) AS other_changes_in_volume,
       CAST(a.opening_x AS DECIMAL(38, 10)) AS opening_unrounded,
       CAST(a.closing_x AS DECIMAL(38, 10)) AS closing_unrounded,
       CAST(a.additions_new_x AS DECIMAL(38, 10)) AS additions_new_unrounded,
       CAST(a.additions_reclassified_in_x AS DECIMAL(38, 10)) AS additions_reclassified_in_unrounded,
       CAST(a.additions_increase_x AS DECIMAL(38, 10)) AS additions_increase_unrounded,
       CAST(a.additions_discovered_x AS DECIMAL(38, 10)) AS additions_discovered_unrounded,
       CAST(a.reductions_removed_x AS DECIMAL(38, 10)) AS reductions_removed_unrounded,
       CAST(a.reductions_reclassified_out_x AS DECIMAL(38, 10)) AS reductions_reclassified_out_unrounded,
       CAST(a.reductions_decrease_x AS DECIMAL(38, 10)) AS reductions_decrease_unrounded,
       CAST(a.reductions_extracted_x AS DECIMAL(38, 10)) AS reductions_extracted_unrounded,
       CAST(a.other_changes_in_volume_x AS DECIMAL(38, 10)) AS other_changes_in_volume_unrounded
FROM named_levels a
ORDER BY a.category, a.region_level, a.region_code, a.item_code, a.subject, a.indicator

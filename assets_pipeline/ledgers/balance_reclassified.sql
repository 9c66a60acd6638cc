-- The balance's area reclassified out and in, per category ($p, the physical balance): county cells unrounded,
-- and the province's published figures.
SELECT category,
       sum(reductions_reclassified_out_unrounded) FILTER (WHERE region_level = 'county') AS out_ha,
       sum(additions_reclassified_in_unrounded) FILTER (WHERE region_level = 'county') AS in_ha,
       sum(reductions_reclassified_out) FILTER (WHERE region_level = 'province') AS out_published,
       sum(additions_reclassified_in) FILTER (WHERE region_level = 'province') AS in_published
FROM read_parquet($p) WHERE indicator = 'area' AND has_opening GROUP BY ALL ORDER BY ALL

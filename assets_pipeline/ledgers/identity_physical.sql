-- Cells of a published physical balance account ($p) that do not add up: opening + additions − reductions ≠
-- closing; additions or reductions not the sum of their flows; a county residual larger than rounding; and the
-- cell count.
SELECT count(*) FILTER (WHERE has_opening AND opening + additions - reductions <> closing),
       count(*) FILTER (WHERE has_opening AND (additions <> additions_new + additions_reclassified_in
                        + additions_increase + additions_discovered + other_changes_in_volume
                        OR reductions <> reductions_removed + reductions_reclassified_out
                        + reductions_decrease + reductions_extracted
                        -- a county's residual is rounding only: 10 rounded figures, ≤ 0.005 each
                        OR (region_level = 'county' AND abs(other_changes_in_volume
                            - other_changes_in_volume_unrounded) > 0.05))),
       count(*)
FROM read_parquet($p)

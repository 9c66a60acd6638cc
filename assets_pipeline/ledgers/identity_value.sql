-- Cells of a published value balance account ($p) that do not add up: opening + volume change + revaluation ≠
-- closing, published or unrounded; a county revaluation off its exact figure by more than rounding; and the cell
-- count.
SELECT count(*) FILTER (WHERE has_opening AND opening + volume_change + revaluation <> closing),
       -- the exact accounts add up too, and a county's published revaluation differs from its exact
       -- figure by rounding only (three rounded figures, ≤ 0.005 each)
       count(*) FILTER (WHERE has_opening AND (opening_unrounded + volume_change_unrounded
                        + revaluation_unrounded <> closing_unrounded
                        OR (region_level = 'county' AND abs(revaluation - revaluation_unrounded) > 0.015))),
       count(*)
FROM read_parquet($p)

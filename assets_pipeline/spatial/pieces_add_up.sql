-- The inventory rows whose pieces do not add up (DOMAIN §6 平差): per row of pieces.parquet (view pieces), the sum
-- of its pieces' adjusted areas against the row's own area in the validated rows (view validated_areas), at 0.01 m²;
-- a row the validated rows do not hold counts as not adding up.
SELECT count(*) AS rows_off
FROM (SELECT p.category, p._row_id, sum(p.piece_area_m2) AS pieces_m2 FROM pieces p GROUP BY ALL) p
LEFT JOIN validated_areas v ON v.category = p.category AND v._row_id = p._row_id
WHERE v._row_id IS NULL OR p.pieces_m2 <> CAST(v.area_m2 AS DECIMAL(18, 2))

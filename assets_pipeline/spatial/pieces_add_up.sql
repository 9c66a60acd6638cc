-- The inventory rows whose pieces do not add up (DOMAIN §6 平差), driven from the rows the overlay had to cut (view
-- validated_areas: validated inventory rows with geometry and no base parcel's id): a row without pieces in
-- pieces.parquet (view pieces), or whose pieces' adjusted areas do not sum to its area at 0.01 m², is off; and so is
-- a piece of a row the validated rows do not hold.
SELECT count(*) AS rows_off
FROM (SELECT * FROM validated_areas WHERE category <> 'land') v
FULL OUTER JOIN (SELECT category, _row_id, sum(piece_area_m2) AS pieces_m2 FROM pieces GROUP BY ALL) p
  ON p.category = v.category AND p._row_id = v._row_id
WHERE v._row_id IS NULL OR p._row_id IS NULL OR p.pieces_m2 <> CAST(v.area_m2 AS DECIMAL(18, 2))

-- The area of each conformed row (table conformed_areas, from rows, actions and cover): the rows of one base parcel
-- scaled to its target area, the last row (by id) taking the remainder, so they add up to the target exactly.
-- Only parcels whose rows do not already add up to the target are scaled (the conformed rows of a parcel are all
-- its valid rows, so their total is the cover's valid_m2): the rows of every other parcel keep their area, and
-- the window runs over the few parcels that need it.
CREATE TEMP TABLE conformed_areas AS
WITH conformed AS (
    SELECT r.category, r._row_id, r.base_parcel_id, r.parcel_id, r.area_m2, c.target_m2,
           sum(r.area_m2) OVER w AS total_m2,
           row_number() OVER (w ORDER BY r.parcel_id DESC, r._row_id DESC) = 1 AS is_last
    FROM rows r JOIN actions a USING (category, _row_id)
    JOIN (SELECT * FROM cover WHERE valid_m2 <> target_m2) c
      ON c.category = r.category AND c.parcel_id = r.base_parcel_id
    WHERE a.action = 'conformed'
    WINDOW w AS (PARTITION BY r.category, r.base_parcel_id)
),
scaled AS (
    SELECT *, CASE WHEN total_m2 = target_m2 THEN area_m2
                   WHEN total_m2 = 0 THEN CAST(0 AS DECIMAL(18, 2))
                   ELSE CAST(round(CAST(area_m2 AS DECIMAL(38, 10)) * target_m2 / total_m2, 2) AS DECIMAL(18, 2))
              END AS scaled_m2
    FROM conformed
)
SELECT category, _row_id,
       CASE WHEN is_last THEN CAST(target_m2 - (sum(scaled_m2) OVER (PARTITION BY category, base_parcel_id) - scaled_m2)
                                   AS DECIMAL(18, 2))
            ELSE scaled_m2 END AS resolved_m2
FROM scaled

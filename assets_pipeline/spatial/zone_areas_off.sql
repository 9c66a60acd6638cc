-- The base parcels the overlay measured wrongly, driven from the land rows it had to measure (view validated_areas,
-- category land: validated land rows with geometry): a parcel missing from zone_areas (view zone_areas), one whose
-- official area is not its validated TBMJ at 0.01 m², or whose adjusted area inside zone {area} lies outside
-- [0, TBMJ] is off; and so is a zone_areas row of a parcel the validated rows do not hold. With the zone's smallest
-- and largest share ({share}).
SELECT count(*) FILTER (WHERE v._row_id IS NULL OR z._row_id IS NULL OR z.area_m2 <> CAST(v.area_m2 AS DECIMAL(18, 2))
                              OR z.{area} < 0 OR z.{area} > z.area_m2) AS parcels_off,
       min(z.{share}) AS share_min, max(z.{share}) AS share_max
FROM (SELECT * FROM validated_areas WHERE category = 'land') v
FULL OUTER JOIN zone_areas z ON z._row_id = v._row_id

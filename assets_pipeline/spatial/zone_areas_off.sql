-- The base parcels of zone_areas (view zone_areas) whose official area is not the validated TBMJ (view
-- validated_areas, category land) at 0.01 m², or whose adjusted area inside zone {area} lies outside [0, TBMJ]; with
-- the zone's smallest and largest share ({share}).
SELECT count(*) FILTER (WHERE v._row_id IS NULL OR z.area_m2 <> CAST(v.area_m2 AS DECIMAL(18, 2))
                              OR z.{area} < 0 OR z.{area} > z.area_m2) AS parcels_off,
       min(z.{share}) AS share_min, max(z.{share}) AS share_max
FROM zone_areas z
LEFT JOIN validated_areas v ON v.category = 'land' AND v._row_id = z._row_id

-- The validated rows of some counties ($regions) beside their geometry (WKB, its zone's epsg, its computed area),
-- from the parts that hold them (views validated, geometry), in parcel id order (the order overlaps and links are
-- told in); every county when $regions is NULL; only the zone $epsg unless it is NULL, and only rows without a base
-- parcel id when $unlinked_only.
SELECT v.* EXCLUDE (filename), g.geometry, g.epsg, g.geometry_area_m2
FROM validated v
JOIN geometry g ON g._row_id = v._row_id
WHERE ($regions IS NULL OR list_contains($regions, v.region_code))
  AND ($epsg IS NULL OR g.epsg = $epsg)
  AND (NOT $unlinked_only OR lower(trim(coalesce(v.base_parcel_id, ''))) IN ('', 'nan', 'null', 'none'))
ORDER BY v.parcel_id, v._row_id

-- The counties of a category that have geometry: per county (region_code) and Gauss-Krüger zone (epsg), how many
-- rows, and which validated parts and geometry parts hold them, from the validated rows (view validated) joined by
-- _row_id to their geometry side files (view geometry); inventories only their rows without a base parcel id
-- when $unlinked_only.
SELECT v.region_code, g.epsg, count(*) AS rows,
       list(DISTINCT v.filename ORDER BY v.filename) AS validated_files,
       list(DISTINCT g.filename ORDER BY g.filename) AS geometry_files
FROM validated v
JOIN geometry g ON g._row_id = v._row_id
WHERE NOT $unlinked_only OR lower(trim(coalesce(v.base_parcel_id, ''))) IN ('', 'nan', 'null', 'none')
GROUP BY ALL
ORDER BY v.region_code, g.epsg

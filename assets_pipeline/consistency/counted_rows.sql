-- The valued rows the ledgers count in area (view counted, from valued_<category>): status valued or unpriced,
-- forest its land component only, each with the base parcel it lies on (key): a land row its own parcel, an
-- inventory row the base parcel it was delivered with (valid_<category>), a row the model added from the base map
-- alone (no row id) its own id.
CREATE TEMP VIEW counted AS
SELECT parcel_id AS key, region_code, 'land' AS category, CAST(area_m2 AS DECIMAL(18, 2)) AS area_m2
FROM valued_land WHERE status IN ('valued', 'unpriced')
UNION ALL
SELECT CASE WHEN v._row_id IS NULL THEN v.parcel_id ELSE id_or_null(x.base_parcel_id) END AS key,
       v.region_code, 'forest' AS category, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2
FROM valued_forest v LEFT JOIN valid_forest x ON x._row_id = v._row_id
WHERE v.status IN ('valued', 'unpriced') AND v.component = 'land'
UNION ALL
SELECT CASE WHEN v._row_id IS NULL THEN v.parcel_id ELSE id_or_null(x.base_parcel_id) END AS key,
       v.region_code, 'grassland' AS category, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2
FROM valued_grassland v LEFT JOIN valid_grassland x ON x._row_id = v._row_id
WHERE v.status IN ('valued', 'unpriced')
UNION ALL
SELECT CASE WHEN v._row_id IS NULL THEN v.parcel_id ELSE id_or_null(x.base_parcel_id) END AS key,
       v.region_code, 'wetland' AS category, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2
FROM valued_wetland v LEFT JOIN valid_wetland x ON x._row_id = v._row_id
WHERE v.status IN ('valued', 'unpriced')

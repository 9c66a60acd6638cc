-- The parcels' shapes per county (PARTITION_BY region_code), to draw the counties when no boundary layer was
-- delivered (DOMAIN §6 maps): the base map's parcels, or when no land layer was delivered the inventories' polygons.
-- Views: geometry, land_ids (a base parcel's county), valued (an inventory row's county).
COPY (
    SELECT b.region_code, g.geometry, g.epsg
    FROM geometry g JOIN land_ids b ON b._row_id = g._row_id
    WHERE g.category = 'land'
    UNION ALL
    SELECT v.region_code, g.geometry, g.epsg
    FROM geometry g
    JOIN (SELECT DISTINCT category, _row_id, region_code FROM valued) v
      ON v.category = g.category AND v._row_id = g._row_id
    WHERE g.category <> 'land' AND NOT EXISTS (SELECT 1 FROM geometry WHERE category = 'land')
) TO {target} (FORMAT parquet, PARTITION_BY (region_code), OVERWRITE_OR_IGNORE true)

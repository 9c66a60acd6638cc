-- The valued parcels of the mapped categories (land, forest, grassland, wetland) with their geometry, one feature
-- per parcel: its components' values summed (元 to the fen, and 万元), their price keys and levels listed in
-- component order (land, trees), its consistency findings, and its share inside each control zone (the row's own share, else
-- its base parcel's from the overlay's zone_areas), for the counties' layers (DOMAIN §6 deliverables back).
-- Rows counted in the accounts only (status valued or unpriced); a row a model added from the base map alone
-- (no _row_id) takes its base parcel's geometry. Written per county (PARTITION_BY region_code).
-- Views: valued (valued rows, every zone share column present), geometry (category, _row_id, WKB, epsg, area),
-- land_ids (base parcel id → land _row_id), zone_shares (parcel_id and a share per zone).
COPY (
    WITH parcels AS (
        SELECT category, region_code, parcel_id, _row_id,
               any_value(base_parcel_id) AS base_parcel_id,
               any_value(item_code) AS item_code,
               concat_ws(';', CASE WHEN bool_or(status = 'unpriced') THEN 'unpriced' END,
                              CASE WHEN bool_or(status = 'valued') THEN 'valued' END) AS status,
               -- the mapped categories' components are land and trees (plain aggregates: no sort per parcel)
               concat_ws(';', CASE WHEN bool_or(component = 'land') THEN 'land' END,
                              CASE WHEN bool_or(component = 'trees') THEN 'trees' END,
                              string_agg(component, ';') FILTER (WHERE component NOT IN ('land', 'trees'))) AS components,
               any_value(area_m2) AS area_m2,
               sum(value_yuan) FILTER (WHERE status = 'valued') AS value_yuan,
               nullif(concat_ws(' | ', any_value(price_key) FILTER (WHERE component = 'land'),
                                       any_value(price_key) FILTER (WHERE component = 'trees'),
                                       string_agg(price_key, ' | ') FILTER (WHERE component NOT IN ('land', 'trees'))),
                      '') AS price_key,
               nullif(concat_ws(' | ', any_value(price_level) FILTER (WHERE component = 'land'),
                                       any_value(price_level) FILTER (WHERE component = 'trees'),
                                       string_agg(price_level, ' | ') FILTER (WHERE component NOT IN ('land', 'trees'))),
                      '') AS price_level,
               any_value(consistency_findings) AS consistency_findings,
               any_value(consistency_resolution) AS consistency_resolution,
               any_value(_source_file) AS source_file,
               any_value(_source_row) AS source_row,
               any_value(redline_share) AS redline_share, any_value(farmland_share) AS farmland_share,
               any_value(protected_share) AS protected_share, any_value(core_share) AS core_share,
               any_value(urban_share) AS urban_share
        FROM valued
        WHERE status IN ('valued', 'unpriced') AND region_code IS NOT NULL
        GROUP BY category, region_code, parcel_id, _row_id
    )
    SELECT p.region_code, p.category, p.parcel_id, p.base_parcel_id, p.item_code, p.status, p.components,
           CAST(p.area_m2 AS DOUBLE) AS area_m2,
           CAST(round(p.value_yuan, 2) AS DOUBLE) AS value_yuan,
           CAST(round(p.value_yuan / 10000, 6) AS DOUBLE) AS value_wan_yuan,
           p.price_key, p.price_level, p.consistency_findings, p.consistency_resolution,
           CAST(coalesce(p.redline_share, z.redline_share) AS DOUBLE) AS redline_share,
           CAST(coalesce(p.farmland_share, z.farmland_share) AS DOUBLE) AS farmland_share,
           CAST(coalesce(p.protected_share, z.protected_share) AS DOUBLE) AS protected_share,
           CAST(coalesce(p.core_share, z.core_share) AS DOUBLE) AS core_share,
           CAST(coalesce(p.urban_share, z.urban_share) AS DOUBLE) AS urban_share,
           p.source_file, CAST(p.source_row AS INTEGER) AS source_row, p._row_id AS row_id,
           coalesce(g.geometry, gb.geometry) AS geometry,
           coalesce(g.epsg, gb.epsg) AS epsg,
           coalesce(g.geometry_area_m2, gb.geometry_area_m2) AS geometry_area_m2
    FROM parcels p
    LEFT JOIN geometry g ON g.category = p.category AND g._row_id = p._row_id
    LEFT JOIN land_ids b ON p._row_id IS NULL AND b.parcel_id = p.base_parcel_id
    LEFT JOIN geometry gb ON gb.category = 'land' AND gb._row_id = b._row_id
    LEFT JOIN zone_shares z ON z.parcel_id = p.base_parcel_id
    WHERE coalesce(g.geometry, gb.geometry) IS NOT NULL
) TO {target} (FORMAT parquet, PARTITION_BY (region_code), OVERWRITE_OR_IGNORE true)

-- Every valid inventory row (view inventory, from valid_forest, valid_grassland, valid_wetland) with the base
-- parcel it names (key), the rank of its inventory's claim under inventory-wins (forest 1, grassland 2, wetland 3),
-- its area and whether its land is the state's (ref_ownership_codes).
CREATE TEMP VIEW inventory AS
SELECT id_or_null(v.base_parcel_id) AS key, 'forest' AS category, 1 AS rank, v._row_id,
       v.region_code, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2, coalesce(o.is_state, false) AS is_state
FROM valid_forest v LEFT JOIN ref_ownership_codes o ON o.code = v.land_ownership
UNION ALL
SELECT id_or_null(v.base_parcel_id) AS key, 'grassland' AS category, 2 AS rank, v._row_id,
       v.region_code, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2, coalesce(o.is_state, false) AS is_state
FROM valid_grassland v LEFT JOIN ref_ownership_codes o ON o.code = v.ownership
UNION ALL
SELECT id_or_null(v.base_parcel_id) AS key, 'wetland' AS category, 3 AS rank, v._row_id,
       v.region_code, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2, coalesce(o.is_state, false) AS is_state
FROM valid_wetland v LEFT JOIN ref_ownership_codes o ON o.code = v.ownership

-- Every valid row of the forest, grassland and wetland inventories (valid_<category>) beside its base parcel
-- (table base), as table rows: the row's own class, area, county and ownership, whether its land (ref_ownership_codes)
-- and, for forest, its trees (ref_tree_ownership_codes) are the state's, and the base parcel's side. An empty
-- base parcel id links to none (missing_base).
CREATE TEMP TABLE rows AS
SELECT i.*, coalesce(o.is_state, false) AS is_state, coalesce(t.is_state, false) AS tree_is_state,
       b.parcel_id IS NOT NULL AS has_base, b.category AS base_category, b.land_class AS base_land_class,
       b.area_m2 AS base_area_m2, b.ownership AS base_ownership, b.is_state AS base_is_state,
       b.region_code AS base_region_code,
       b.redline_share, b.farmland_share, b.protected_share, b.core_share, b.urban_share
FROM (SELECT 'forest' AS category, parcel_id, id_or_null(base_parcel_id) AS base_parcel_id, region_code, land_class,
             CAST(area_m2 AS DECIMAL(18, 2)) AS area_m2, land_ownership AS ownership, tree_ownership,
             _row_id, _source_file, _source_row
      FROM valid_forest
      UNION ALL
      SELECT 'grassland', parcel_id, id_or_null(base_parcel_id), region_code, land_class,
             CAST(area_m2 AS DECIMAL(18, 2)), ownership, NULL, _row_id, _source_file, _source_row
      FROM valid_grassland
      UNION ALL
      SELECT 'wetland', parcel_id, id_or_null(base_parcel_id), region_code, land_class,
             CAST(area_m2 AS DECIMAL(18, 2)), ownership, NULL, _row_id, _source_file, _source_row
      FROM valid_wetland) i
LEFT JOIN base b ON b.parcel_id = i.base_parcel_id
LEFT JOIN ref_ownership_codes o ON o.code = i.ownership
LEFT JOIN ref_tree_ownership_codes t ON t.code = i.tree_ownership

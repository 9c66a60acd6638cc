-- The base map the checks concern (table base): the parcels of the validated land survey (valid_land) of a
-- forest, grassland or wetland class, and those an inventory row names (valid_forest, valid_grassland,
-- valid_wetland); every other parcel leaves the step as it came (base_map.py). Each with its category by the
-- stem of its class (ref_land_classes; a trailing K keeps its stem's category), state or collective
-- (ref_ownership_codes) and the share of the parcel inside each protected zone, carried to its inventory rows.
CREATE TEMP TABLE base AS
SELECT l.parcel_id, l.region_code, l.land_class, CAST(l.area_m2 AS DECIMAL(18, 2)) AS area_m2, l.ownership,
       coalesce(o.is_state, false) AS is_state,
       CASE WHEN lc.category IN ('forest', 'grassland', 'wetland') THEN lc.category ELSE 'land' END AS category,
       l._row_id, l._source_file, l._source_row,
       -- protected-area memos: the share of the parcel inside each zone, carried to its inventory rows
       CAST(least(coalesce(CAST(l.redline_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
            AS DECIMAL(18, 10)) AS redline_share,
       CAST(least(coalesce(CAST(l.basic_farmland_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
            AS DECIMAL(18, 10)) AS farmland_share,
       CAST(least(coalesce(CAST(l.protected_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
            AS DECIMAL(18, 10)) AS protected_share,
       CAST(least(coalesce(CAST(l.protected_core_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
            AS DECIMAL(18, 10)) AS core_share,
       CAST(least(coalesce(CAST(l.urban_boundary_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
            AS DECIMAL(18, 10)) AS urban_share
FROM valid_land l
-- each class and its K form (a class with a trailing K keeps its stem's category): a join on the code as
-- delivered, not a regular expression per parcel
LEFT JOIN (SELECT land_class, category FROM ref_land_classes
           UNION ALL SELECT land_class || 'K', category FROM ref_land_classes) lc ON lc.land_class = l.land_class
LEFT JOIN ref_ownership_codes o ON o.code = l.ownership
WHERE lc.category IN ('forest', 'grassland', 'wetland')
   OR l.parcel_id IN (SELECT base_parcel_id
                      FROM (SELECT id_or_null(base_parcel_id) AS base_parcel_id FROM valid_forest
                            UNION ALL SELECT id_or_null(base_parcel_id) AS base_parcel_id FROM valid_grassland
                            UNION ALL SELECT id_or_null(base_parcel_id) AS base_parcel_id FROM valid_wetland)
                      WHERE base_parcel_id IS NOT NULL)

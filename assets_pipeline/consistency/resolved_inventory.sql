-- The rows one inventory's model values ($category; its valid rows {inventory}, its ownership column {own}),
-- written to _stages/resolved/<category>/: every valid row the policy did not reject (actions), conformed (the
-- base parcel's class, county and ownership; the area of conformed_areas), standing or set aside, with the reason
-- a row is set aside or out of scope and the findings that name it (findings), and the area it was delivered with
-- (delivered_area_m2, which the valued rows show beside a conformed area); then the rows from the base map alone
-- ({from_base_map}). Ordered, as the valued rows are, so that a re-run writes the same bytes (a connection keeps no
-- order): by row id, then the base-map rows (no row id) by their file and row.
COPY (
WITH base_side AS (
    SELECT v.*, a.action, a.row_problem, ca.resolved_m2,
           a.base_land_class, a.base_region_code, a.base_ownership, a.has_base, a.base_category,
           a.redline_share, a.farmland_share, a.protected_share, a.core_share, a.urban_share,
           a.is_state, a.base_is_state, a.tree_is_state
    FROM {inventory} v
    JOIN actions a ON a.category = $category AND a._row_id = v._row_id
    LEFT JOIN conformed_areas ca ON ca.category = $category AND ca._row_id = v._row_id
    WHERE a.action <> 'rejected'
),
resolved AS (
    SELECT * EXCLUDE (area_m2, land_class, region_code, {own}, exclusion_reason, action, row_problem, resolved_m2,
                      base_land_class, base_region_code, base_ownership, has_base, base_category,
                      redline_share, farmland_share, protected_share, core_share, urban_share,
                      is_state, base_is_state, tree_is_state),
           coalesce(resolved_m2, CAST(area_m2 AS DECIMAL(18, 2))) AS area_m2,  -- resolved_m2: conformed and scaled
           CAST(area_m2 AS DECIMAL(18, 2)) AS delivered_area_m2,
           CASE WHEN action = 'conformed' THEN base_land_class ELSE land_class END AS land_class,
           CASE WHEN action IN ('conformed', 'stands') THEN base_region_code ELSE region_code END AS region_code,
           CASE WHEN action IN ('conformed', 'stands') THEN base_ownership ELSE {own} END AS {own},
           exclusion_reason AS validated_exclusion, action, row_problem, base_category,
           redline_share, farmland_share, protected_share, core_share, urban_share,
           -- out of scope: the land as resolved is not the state's (nor, for forest, the trees)
           NOT CASE WHEN action IN ('conformed', 'stands') THEN base_is_state ELSE is_state END AND NOT tree_is_state
               AS out_of_scope
    FROM base_side v
),
scoped AS (
    -- scope follows the base map's ownership; a row validation had in scope that the base map puts out
    -- of scope stays among the valued rows as 'excluded', with the reason
    SELECT v.* EXCLUDE (action, row_problem, validated_exclusion, base_category, out_of_scope),
           CASE WHEN v.validated_exclusion IS NOT NULL AND v.out_of_scope THEN v.validated_exclusion END
               AS exclusion_reason,
           CASE WHEN v.action = 'set_aside'
                THEN 'inconsistent with the base map (' || v.row_problem || '): ' ||
                     CASE WHEN id_or_null(v.base_parcel_id) IS NULL THEN 'no base parcel id; nothing to count it on'
                          WHEN getvariable('policy') = 'inventory-wins' AND v.row_problem = 'missing_base'
                          THEN 'no such base parcel; another inventory claims it first (forest, grassland, wetland)'
                          WHEN getvariable('policy') = 'inventory-wins' AND v.base_category = 'land'
                          THEN 'another inventory claims the base parcel first (forest, grassland, wetland)'
                          WHEN v.row_problem = 'missing_base' THEN 'no such base parcel; base map wins'
                          ELSE 'the base map counts it as its own class; base map wins' END
                WHEN v.validated_exclusion IS NULL AND v.out_of_scope
                THEN 'inconsistent with the base map (ownership_mismatch): the base map records collective '
                     || 'land; base map wins'
           END AS consistency_exclusion,
           f.findings AS consistency_findings,
           v.action AS consistency_action
    FROM resolved v
    LEFT JOIN (SELECT parcel_id, base_parcel_id, string_agg(DISTINCT finding_type, ',' ORDER BY finding_type) AS findings
               FROM findings WHERE category = $category GROUP BY ALL) f
           ON f.base_parcel_id IS NOT DISTINCT FROM id_or_null(v.base_parcel_id)
          AND (f.parcel_id = v.parcel_id OR f.parcel_id IS NULL)
)
SELECT * FROM scoped
UNION ALL BY NAME
SELECT * EXCLUDE (category, ownership), ownership AS {own} FROM {from_base_map} WHERE category = $category
ORDER BY _row_id, _source_file, _source_row, parcel_id, consistency_findings
) TO {path} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)

-- The rows a model values from the base map alone (view from_base_map, from findings and base): a state base parcel
-- of an inventory's category that no inventory row describes (missing_inventory), valued on its land part, under
-- every policy but reject. Only the columns such a row knows; the others stay empty.
CREATE TEMP VIEW from_base_map AS
SELECT f.category, b.parcel_id, b.parcel_id AS base_parcel_id, b.region_code, b.land_class, b.area_m2, b.ownership,
       b._source_file, b._source_row, 'missing_inventory' AS consistency_findings,
       'from_base_map' AS consistency_action, CAST(b.redline_share AS DECIMAL(18, 10)) AS redline_share,
       CAST(b.farmland_share AS DECIMAL(18, 10)) AS farmland_share,
       CAST(b.protected_share AS DECIMAL(18, 10)) AS protected_share,
       CAST(b.core_share AS DECIMAL(18, 10)) AS core_share, CAST(b.urban_share AS DECIMAL(18, 10)) AS urban_share
FROM findings f JOIN base b ON b.parcel_id = f.base_parcel_id
WHERE f.finding_type = 'missing_inventory' AND b.is_state AND getvariable('policy') <> 'reject'

-- The base map as the consistency policy leaves it (view {view}), one row per parcel: the validated land survey
-- ({validated}) with the step's changes laid over it ({changes}: class, area and counted area as resolved; the
-- parcels it rejected left out) and the parcels inventory-wins added ({added}), with the surveyed area beside.
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT v.* REPLACE (coalesce(c.land_class, v.land_class) AS land_class,
                    coalesce(c.area_m2, CAST(v.area_m2 AS DECIMAL(18, 2))) AS area_m2),
       CAST(v.area_m2 AS DECIMAL(18, 2)) AS base_area_m2,
       coalesce(c.counted_m2, CAST(v.area_m2 AS DECIMAL(18, 2))) AS counted_m2,
       false AS added, c.consistency_findings
FROM {validated} v
LEFT JOIN {changes} c ON c.parcel_id = v.parcel_id
WHERE c.rejected IS NOT TRUE
UNION ALL BY NAME
SELECT * FROM {added}

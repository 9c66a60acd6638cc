-- The base map as the checks read it (view survey): every parcel of the validated land survey (survey_parts) at
-- its surveyed area, state or collective (ref_ownership_codes), its category by the stem of its class
-- (ref_land_classes; a trailing K keeps its stem's category).
CREATE TEMP VIEW survey AS
SELECT l.parcel_id, l.region_code, CAST(l.area_m2 AS DECIMAL(18, 2)) AS base_m2,
       coalesce(o.is_state, false) AS is_state,
       CASE WHEN c.category IN ('forest', 'grassland', 'wetland') THEN c.category ELSE 'land' END AS category
FROM survey_parts l
LEFT JOIN ref_land_classes c ON c.land_class = rtrim(l.land_class, 'K')
LEFT JOIN ref_ownership_codes o ON o.code = l.ownership

-- The land-use transition matrix (土地利用转移矩阵): area from each land class (and land group) last year to each
-- this year, from the base-map rows of both years side by side (valued0_rows, valued1_rows: every land-file row,
-- whatever its category). A parcel keeps its id and county: the smaller of its two areas moves from its old class to
-- its new one; an area gained comes from "(new)", an area lost goes to "(removed)", so each class's row adds up to
-- last year's area and each column to this year's. Per county (m² exact, 公顷 rounded), cities and the province
-- sums of published cells.
WITH moves AS (
    WITH b0 AS (SELECT parcel_id, region_code, land_class, CAST(area_m2 AS DECIMAL(38, 2)) AS area FROM valued0_rows
                WHERE category = 'land' AND parcel_id IS NOT NULL),
         b1 AS (SELECT parcel_id, region_code, land_class, CAST(area_m2 AS DECIMAL(38, 2)) AS area FROM valued1_rows
                WHERE category = 'land' AND parcel_id IS NOT NULL),
    joined AS (
        SELECT b0.region_code AS region0, b0.land_class AS class0, b0.area AS a0,
               b1.region_code AS region1, b1.land_class AS class1, b1.area AS a1,
               b0.parcel_id IS NOT NULL AND b1.parcel_id IS NOT NULL AND b0.region_code = b1.region_code AS kept
        FROM b0 FULL JOIN b1 USING (parcel_id)
    )
    SELECT region1 AS region_code, class0 AS from_class, class1 AS to_class, least(a0, a1) AS area_m2 FROM joined WHERE kept
    UNION ALL SELECT region1, '(new)', class1, a1 - a0 FROM joined WHERE kept AND a1 > a0
    UNION ALL SELECT region0, class0, '(removed)', a0 - a1 FROM joined WHERE kept AND a0 > a1
    UNION ALL SELECT region0, class0, '(removed)', a0 FROM joined WHERE region0 IS NOT NULL AND NOT kept
    UNION ALL SELECT region1, '(new)', class1, a1 FROM joined WHERE region1 IS NOT NULL AND NOT kept
),
classes AS (
    SELECT land_class, land_group FROM ref_land_classes
    UNION ALL SELECT '(new)', '(new)' UNION ALL SELECT '(removed)', '(removed)'
),
both_levels AS (
    SELECT 'class' AS classification, region_code, from_class, to_class, area_m2 FROM moves
    UNION ALL
    SELECT 'group', m.region_code, f.land_group, t.land_group, m.area_m2
    FROM moves m JOIN classes f ON f.land_class = m.from_class JOIN classes t ON t.land_class = m.to_class
),
county AS (
    SELECT classification, region_code, from_class, to_class, sum(area_m2) AS area_m2
    FROM both_levels GROUP BY ALL
),
county_pub AS (SELECT *, round(area_m2 * CAST(0.0001 AS DECIMAL(10, 4)), 2) AS area_ha FROM county),
{levels}
SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
       d.parent_code, a.classification, a.from_class, a.to_class,
       coalesce(fn.name_zh, a.from_class) AS from_name, coalesce(tn.name_zh, a.to_class) AS to_name,
       CAST(a.area_m2 AS DECIMAL(38, 2)) AS area_m2, CAST(a.area_ha AS DECIMAL(38, 2)) AS area_ha
FROM all_levels a
JOIN ref_admin_divisions d USING (region_code)
LEFT JOIN ref_land_classes fn ON fn.land_class = a.from_class
LEFT JOIN ref_land_classes tn ON tn.land_class = a.to_class
ORDER BY d.level, a.region_code, a.classification, a.from_class, a.to_class

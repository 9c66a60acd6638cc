-- A breakdown file from its county parts (view cells: the ledger's dimensions, breakdown, member, region_code,
-- amount): a county cell's parts are its exact parts cut to the cent plus 0.01 for as many parts, largest remainder
-- first, as the cell's published cents need; cities and the province are sums of published parts; land groups'
-- subtotals (land_group_total, no item) are sums of the published land_group parts.
WITH county AS (
    SELECT {dims}, breakdown, member, region_code, sum(amount) AS exact FROM cells GROUP BY ALL
),
ranked AS (
    SELECT *, floor(exact * 100) AS cents,
           round(sum(exact) OVER cell, 2) * 100 - sum(floor(exact * 100)) OVER cell AS spare,
           row_number() OVER (PARTITION BY {dims}, breakdown, region_code
                              ORDER BY exact * 100 - floor(exact * 100) DESC, member) AS remainder_rank
    FROM county WINDOW cell AS (PARTITION BY {dims}, breakdown, region_code)
),
county_pub AS (
    SELECT {dims}, breakdown, member, region_code, exact,
           CAST((cents + CASE WHEN remainder_rank <= spare THEN 1 ELSE 0 END) * 0.01 AS DECIMAL(38, 2)) AS published
    FROM ranked
),
{levels},
parts AS (
    SELECT * FROM all_levels
    UNION ALL BY NAME
    SELECT * REPLACE ('land_group_total' AS breakdown), NULL::VARCHAR AS item_code
    FROM (SELECT {total_dims}, breakdown, member, region_code, sum(exact) AS exact, sum(published) AS published
          FROM all_levels WHERE breakdown = 'land_group' GROUP BY ALL)
)
SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
       d.parent_code, {dims_a}, a.breakdown, a.member, m.name_zh AS member_name, m.name_en AS member_name_en,
       n.name_zh AS item_name, n.name_en AS item_name_en, s.name_zh AS subject_name,
       CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 16)) AS {exact}
FROM parts a
JOIN ref_admin_divisions d USING (region_code)
LEFT JOIN member_names m ON m.breakdown = replace(a.breakdown, '_total', '') AND m.member = a.member
LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
ORDER BY a.category, d.level, a.region_code, a.breakdown, a.item_code NULLS FIRST, a.subject, a.{order}, a.member

-- A ledger from its county cells (view cells: the ledger's dimensions, region_code, amount): county cells published by rounding
-- half-up to 2 decimals, cities and the province sums of published cells, with region, item and subject names.
WITH county AS (
    SELECT {dims}, region_code, sum(amount) AS exact
    FROM cells GROUP BY ALL
),
county_pub AS (SELECT *, round(exact, 2) AS published FROM county),
{levels}
SELECT CAST($year AS INTEGER) AS year, a.region_code, d.name AS region_name, d.level AS region_level,
       d.parent_code, {dims_a}, n.name_zh AS item_name, n.name_en AS item_name_en, s.name_zh AS subject_name,
       CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 16)) AS {exact}
FROM all_levels a
JOIN ref_admin_divisions d USING (region_code)
LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
ORDER BY a.category, d.level, a.region_code, a.item_code, a.subject, a.{order}

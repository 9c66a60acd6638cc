-- A ledger from its county cells (view cells: the ledger's dimensions, region_code, amount): county cells
-- published by rounding half-up to 2 decimals, cities and the province sums of published cells, with region, item
-- and subject names.
WITH county AS (
    SELECT {dims}, region_code, sum(amount) AS exact
    FROM cells GROUP BY ALL
),
county_pub AS (SELECT *, round(exact, 2) AS published FROM county),
{levels},
{named}
SELECT CAST($year AS INTEGER) AS year, a.region_code, a.region_name, a.region_level, a.parent_code, {dims_a},
       a.item_name, a.item_name_en, a.subject_name,
       CAST(a.published AS DECIMAL(38, 2)) AS {published}, CAST(a.exact AS DECIMAL(38, 16)) AS {exact}
FROM named_levels a
ORDER BY a.category, a.region_level, a.region_code, a.item_code, a.subject, a.{order}

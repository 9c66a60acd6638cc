-- CTEs city_pub, province_pub and all_levels over the county cells (county_pub): a city's cell is the sum of its
-- counties' cells, the province's the sum of its cities', for every measure, so a total of published cells is
-- the sum of published cells (DOMAIN §5, "tables must add up as printed").
city_pub AS (
    SELECT {dims}, r.parent_code AS region_code, {sums}
    FROM {county} c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
),
province_pub AS (
    SELECT {dims}, r.parent_code AS region_code, {sums}
    FROM city_pub c JOIN ref_admin_divisions r USING (region_code) GROUP BY ALL
),
all_levels AS (
    SELECT * FROM {county} UNION ALL BY NAME SELECT * FROM city_pub UNION ALL BY NAME SELECT * FROM province_pub
)

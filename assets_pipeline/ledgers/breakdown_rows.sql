-- The valued rows the breakdowns split, each with its breakdown and member: forest 0301 rows by their inventory
-- row's age group (forest_ages), land rows by the land group of their class; 'unknown' where none is stated.
CREATE OR REPLACE TEMP VIEW breakdown_rows AS
SELECT v.*, 'age_group' AS breakdown, coalesce(i.age_group, 'unknown') AS member
FROM valued v LEFT JOIN forest_ages i ON i._row_id = v._row_id
WHERE v.category = 'forest' AND v.item_code = '0301'
UNION ALL BY NAME
SELECT v.*, 'land_group' AS breakdown, coalesce(g.land_group, 'unknown') AS member
FROM valued v LEFT JOIN ref_land_classes g ON g.land_class = v.land_class
WHERE v.category = 'land'

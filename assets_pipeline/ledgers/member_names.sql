-- The names of the breakdowns' members: age groups and land groups from the reference tables, and 'unknown'.
CREATE OR REPLACE TEMP VIEW member_names AS
SELECT 'age_group' AS breakdown, age_group AS member, name_zh, name_en FROM ref_forest_age_groups
UNION ALL SELECT 'land_group', land_group, name_zh, name_en FROM ref_land_groups
UNION ALL SELECT breakdown, 'unknown', '未记载', 'not stated' FROM (VALUES ('age_group'), ('land_group')) t(breakdown)

-- Baseline g: the region hierarchy the valuation models read (regions), from the administrative divisions
-- snapshot: each division with its city (a county's parent, a city itself) and the province's code, as
-- assets_pipeline/reference/regions.sql defines it for the pipeline.
CREATE TEMP VIEW regions AS
SELECT d.region_code, d.name, d.level,
       CASE d.level WHEN 'county' THEN d.parent_code WHEN 'city' THEN d.region_code END AS city_code,
       p.region_code AS province_code
FROM ref_admin_divisions d CROSS JOIN (SELECT region_code FROM ref_admin_divisions WHERE level = 'province') p

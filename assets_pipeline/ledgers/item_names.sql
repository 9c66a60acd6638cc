-- The name of every ledger item, per category, from the reference tables (minerals: mineral × resource class).
CREATE OR REPLACE TEMP VIEW item_names AS
SELECT 'land' AS category, land_class AS item_code, name_zh, name_en FROM ref_land_classes
UNION ALL SELECT 'forest', land_class, name_zh, name_en FROM ref_land_classes
UNION ALL SELECT 'grassland', grassland_type, name_zh, name_en FROM ref_grassland_types
UNION ALL SELECT 'wetland', wetland_class, name_zh, name_en FROM ref_wetland_classes
UNION ALL SELECT 'water', source_type, name_zh, name_en FROM ref_water_source_types
UNION ALL SELECT 'minerals', m.mineral_code || '|' || r.resource_class, m.name_zh || ' ' || r.name_zh,
                 m.name_en || ', ' || r.name_en
          FROM ref_minerals m CROSS JOIN ref_resource_classes r

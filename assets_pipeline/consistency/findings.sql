-- The findings (table findings), one line each, from rows, cover and base: the row findings missing_base,
-- class_mismatch, ownership_mismatch and county_mismatch, then per base parcel area_exceeds_base (its valid rows
-- over the base area by more than the tolerance, variable tolerance) and missing_inventory, with both sides' values.
CREATE TEMP TABLE findings AS
WITH flagged AS MATERIALIZED (   -- the few rows with any row finding, so the four tests below scan only them
    SELECT * FROM rows
    WHERE NOT has_base OR base_category <> category OR is_state <> base_is_state OR region_code <> base_region_code
),
row_findings AS (
    SELECT category, 'missing_base' AS finding_type, * EXCLUDE (category) FROM flagged WHERE NOT has_base
    UNION ALL BY NAME
    SELECT category, 'class_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged WHERE has_base AND base_category <> category
    UNION ALL BY NAME
    SELECT category, 'ownership_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged
    WHERE has_base AND base_category = category AND is_state <> base_is_state
    UNION ALL BY NAME
    SELECT category, 'county_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged
    WHERE has_base AND base_category = category AND region_code <> base_region_code
),
exceeding AS (
    SELECT c.category, c.parcel_id, c.valid_m2, c.base_m2
    FROM cover c
    WHERE c.valid_rows > 0 AND c.valid_m2 > c.base_m2 * (1 + CAST(getvariable('tolerance') AS DECIMAL(9, 6)))
),
exceeding_classes AS (   -- the inventory classes of those parcels, gathered over their rows only
    SELECT r.category, r.base_parcel_id, string_agg(DISTINCT r.land_class, ',' ORDER BY r.land_class) AS classes
    FROM rows r SEMI JOIN exceeding e ON e.category = r.category AND e.parcel_id = r.base_parcel_id
    GROUP BY ALL
)
SELECT coalesce(f.base_region_code, f.region_code) AS region_code, f.category, f.finding_type,
       f.base_parcel_id, f.parcel_id, f.area_m2 AS area_m2,
       f.base_land_class, f.land_class AS inventory_land_class, f.base_area_m2, f.area_m2 AS inventory_area_m2,
       f.base_ownership, f.ownership AS inventory_ownership, f.base_region_code, f.region_code AS inventory_region_code,
       f._source_file AS source_file, f._source_row AS source_row, f._row_id AS inventory_row_id
FROM row_findings f
UNION ALL
SELECT b.region_code, e.category, 'area_exceeds_base', e.parcel_id, NULL, e.valid_m2 - e.base_m2,
       b.land_class, x.classes,
       e.base_m2, e.valid_m2, b.ownership, NULL, b.region_code, NULL, b._source_file, b._source_row, NULL
FROM exceeding e JOIN base b ON b.parcel_id = e.parcel_id
LEFT JOIN exceeding_classes x ON x.category = e.category AND x.base_parcel_id = e.parcel_id
UNION ALL
SELECT b.region_code, c.category, 'missing_inventory', c.parcel_id, NULL, c.base_m2,
       b.land_class, NULL, c.base_m2, NULL, b.ownership, NULL, b.region_code, NULL, b._source_file, b._source_row, NULL
FROM cover c JOIN base b ON b.parcel_id = c.parcel_id
WHERE c.valid_rows = 0 AND c.rejected_rows = 0

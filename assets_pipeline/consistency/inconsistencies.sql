-- inconsistencies.parquet: one line per finding (table findings) with its labels (finding_labels), both sides'
-- values and what the run's policy (variable policy; the row's action in table actions) did about it.
COPY (
    SELECT CAST($year AS INTEGER) AS year, f.region_code, f.category, f.finding_type, l.finding_zh, l.finding_en,
           f.base_parcel_id, f.parcel_id, f.area_m2, f.base_land_class, f.inventory_land_class, f.base_area_m2,
           f.inventory_area_m2, f.base_ownership, f.inventory_ownership, f.base_region_code,
           f.inventory_region_code, f.source_file, f.source_row,
           CASE
               WHEN getvariable('policy') = 'reject' THEN 'rejected'
               WHEN f.finding_type = 'missing_inventory' THEN 'counted from the base map, land part only'
               WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'missing_base'
                   THEN coalesce((SELECT CASE a.action WHEN 'added' THEN 'inventory row stands; base parcel added'
                                                       ELSE 'inventory row set aside' END
                                  FROM actions a WHERE a.category = f.category AND a._row_id = f.inventory_row_id), '')
               WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'class_mismatch'
                   THEN coalesce((SELECT CASE a.action WHEN 'stands' THEN 'inventory class stands; base parcel reclassified'
                                                       ELSE 'inventory row set aside' END
                                  FROM actions a WHERE a.category = f.category AND a._row_id = f.inventory_row_id), '')
               WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'area_exceeds_base'
                   THEN 'inventory area stands; base parcel area adjusted'
               WHEN f.finding_type IN ('missing_base', 'class_mismatch') THEN 'inventory row set aside'
               WHEN f.finding_type = 'area_exceeds_base' THEN 'inventory area conformed to the base parcel'
               ELSE 'base map value used'
           END AS action
    FROM findings f
    JOIN finding_labels l USING (finding_type)
    ORDER BY f.region_code, f.category, l.finding_order, f.base_parcel_id, f.parcel_id
) TO {path} (FORMAT parquet, COMPRESSION zstd)

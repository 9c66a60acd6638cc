-- The table findings: each inconsistent parcel of inconsistencies.parquet ($p) that names its delivered file and
-- row, with the sentence a county reads about it (Chinese / English), naming the base map's and its file's values.
CREATE TEMP TABLE findings AS
SELECT source_file AS file, source_row AS row, category, region_code, finding_type,
       '不一致图斑 ' || finding_zh || CASE finding_type
           WHEN 'class_mismatch' THEN '：底图地类 ' || coalesce(base_land_class, '') || '，本表地类 ' || coalesce(inventory_land_class, '')
           WHEN 'area_exceeds_base' THEN '：底图面积 ' || coalesce(CAST(base_area_m2 AS VARCHAR), '') || ' 平方米，调查面积合计 '
                                         || coalesce(CAST(inventory_area_m2 AS VARCHAR), '') || ' 平方米'
           WHEN 'ownership_mismatch' THEN '：底图权属 ' || coalesce(base_ownership, '') || '，本表 ' || coalesce(inventory_ownership, '')
           WHEN 'county_mismatch' THEN '：底图行政区 ' || coalesce(base_region_code, '') || '，本表 ' || coalesce(inventory_region_code, '')
           ELSE '：底图图斑 ' || coalesce(base_parcel_id, '') END
       || ' / inconsistent parcel, ' || finding_en || CASE finding_type
           WHEN 'class_mismatch' THEN ': base map class ' || coalesce(base_land_class, '') || ', this file ' || coalesce(inventory_land_class, '')
           WHEN 'area_exceeds_base' THEN ': base area ' || coalesce(CAST(base_area_m2 AS VARCHAR), '') || ' m², inventory total '
                                         || coalesce(CAST(inventory_area_m2 AS VARCHAR), '') || ' m²'
           WHEN 'ownership_mismatch' THEN ': base map ' || coalesce(base_ownership, '') || ', this file ' || coalesce(inventory_ownership, '')
           WHEN 'county_mismatch' THEN ': base map ' || coalesce(base_region_code, '') || ', this file ' || coalesce(inventory_region_code, '')
           ELSE ': base parcel ' || coalesce(base_parcel_id, '') END AS sentence
FROM read_parquet($p) WHERE source_file IS NOT NULL AND source_row IS NOT NULL

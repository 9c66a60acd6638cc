-- The valued rows of a category as written to Parquet: the model's rows (model_rows) with the exercising subject
-- (the row's own subject from inventory, else ref_exercising_subject_rules by category × item, then the
-- category's '*' rule), the city (ref_admin_divisions), the model's name and version and the year. Ordered, so
-- the same inputs give the same file byte for byte (connections do not keep insertion order); rows a model adds
-- from the base map alone have no row id and are ordered by their base-map file and row.
COPY (
    SELECT m.* REPLACE (CAST(m._source_file AS source_file) AS _source_file),
           coalesce(o.subject, ri.subject, ra.subject) AS subject,
           CASE WHEN o.subject IS NOT NULL THEN 'input' ELSE 'rule' END AS subject_source,
           r.parent_code                      AS city_code,
           $model                             AS model,
           $version                           AS model_version,
           CAST($year AS INTEGER)             AS year
    FROM model_rows m
    LEFT JOIN (SELECT _row_id, subject FROM inventory WHERE subject IS NOT NULL) o ON o._row_id = m._row_id
    LEFT JOIN ref_exercising_subject_rules ri ON ri.category = m.category AND ri.item_code = m.item_code
    LEFT JOIN ref_exercising_subject_rules ra ON ra.category = m.category AND ra.item_code = '*'
    LEFT JOIN ref_admin_divisions r ON r.region_code = m.region_code
    ORDER BY _row_id, component, _source_file, _source_row
) TO {path} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)

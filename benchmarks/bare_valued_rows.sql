-- Baseline g's valued rows of one category: the model's rows (model_rows, a view over valuation_models/<model>.sql)
-- with the exercising subject (the row's own, else the rule by category × item, else the category's '*' rule), the
-- city, the model's name and version and the year, ordered by row id so a re-run writes the same bytes: the
-- pipeline's assets_pipeline/valuation/valued_rows.sql, on a default connection (no memory limit, no spilling
-- folder), the delivered file name kept as text rather than an ENUM. {path}: the Parquet file written.
COPY (
    SELECT m.*,
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
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)

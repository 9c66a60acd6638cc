-- The reject lines of the rows rejected by consistency (rejected_now, $category): file, row, column and value,
-- rule 'consistency', the finding as the check and a message in Chinese and English (finding_labels).
SELECT $category AS category, _source_file AS source_file, CAST(_source_row AS BIGINT) AS source_row,
       column_name AS "column", CAST(value AS VARCHAR) AS value, 'consistency' AS rule,
       check_code AS "check",
       '与统一底图不一致：' || l.finding_zh || '（' || check_code || '）' AS message_zh,
       'inconsistent with the base map: ' || l.finding_en || ' (' || check_code || ')' AS message_en,
       message_zh || ' / ' || message_en AS message,
       CAST(_row_id AS BIGINT) AS _row_id
FROM rejected_now JOIN finding_labels l ON l.finding_type = check_code ORDER BY _row_id

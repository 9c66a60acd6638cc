-- The table raw_problems: each line of the view problem_lines (a reject line or an inconsistent parcel, by file
-- and row) with the county whose pack it goes in: its own county code when that is a county of the province
-- (the view counties), else the county its file is named after (<county code>_<name>.<ext>), else $unknown.
CREATE TEMP TABLE raw_problems AS
SELECT file, row, category, col, rule, chk, sentence,
       CASE WHEN region_code IN (SELECT region_code FROM counties) THEN region_code
            WHEN regexp_extract(file, '(^|/)([0-9]{6})_', 2) IN (SELECT region_code FROM counties)
            THEN regexp_extract(file, '(^|/)([0-9]{6})_', 2)
            ELSE $unknown END AS county
FROM problem_lines

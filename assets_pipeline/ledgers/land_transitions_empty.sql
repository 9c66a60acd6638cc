-- The land-use transition matrix of a first year: its columns, no rows.
SELECT CAST($year AS INTEGER) AS year, ''::VARCHAR AS region_code, ''::VARCHAR AS region_name,
       ''::VARCHAR AS region_level, ''::VARCHAR AS parent_code, ''::VARCHAR AS classification,
       ''::VARCHAR AS from_class, ''::VARCHAR AS to_class, ''::VARCHAR AS from_name, ''::VARCHAR AS to_name,
       CAST(0 AS DECIMAL(38, 2)) AS area_m2, CAST(0 AS DECIMAL(38, 2)) AS area_ha
LIMIT 0

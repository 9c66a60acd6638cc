-- The rows whose id (the category's id columns, {{keys}}) is delivered more than once in the year, each with why it is
-- rejected (check): ids grouped by hash, then each id's own county (from the id, else its file's) decides which
-- row is kept. Reads the ingested parts ($path) and the province's counties ($counties).
WITH hashed AS (SELECT hash({keys}) AS h FROM read_parquet($path) WHERE {not_null}),
repeated_hashes AS (SELECT h FROM hashed GROUP BY h HAVING count(*) > 1),
candidates AS (
    SELECT {keys}{region}, _row_id, _source_file, _source_row FROM read_parquet($path)
    WHERE {not_null} AND hash({keys}) IN (SELECT h FROM repeated_hashes)
),
files AS (SELECT DISTINCT _source_file FROM candidates),
counts AS (
    SELECT _source_file, region_code, count(*) AS n FROM read_parquet($path)
    WHERE region_code IS NOT NULL AND _source_file IN (SELECT _source_file FROM files) GROUP BY ALL
),
majority AS (
    SELECT _source_file, CASE WHEN max(n) * 2 > sum(n) THEN arg_max(region_code, n) END AS county
    FROM counts GROUP BY _source_file
),
file_counties AS (
    SELECT f._source_file,
           coalesce(nullif(regexp_extract(parse_filename(f._source_file), '^([0-9]{{6}})([^0-9]|$)', 1), ''),
                    m.county) AS file_county
    FROM files f LEFT JOIN majority m USING (_source_file)
),
judged AS (
    SELECT c.*, fc.file_county,
           coalesce(list_extract(list_intersect([regexp_extract(c.{first}::VARCHAR, '^[A-Za-z]*([0-9]{{6}})', 1)],
                                                $counties), 1),
                    fc.file_county) AS own_county
    FROM candidates c JOIN file_counties fc USING (_source_file)
),
agreed AS (
    SELECT *, coalesce(region_code = own_county AND coalesce(file_county = own_county, TRUE), FALSE) AS agrees
    FROM judged
),
grouped AS (
    SELECT *,
           count(*) FILTER (WHERE agrees) OVER ids AS agreeing,
           min(_source_file) OVER ids = max(_source_file) OVER ids AS one_file,
           arg_min(_source_file || ' row ' || _source_row, _row_id) FILTER (WHERE agrees) OVER ids AS kept_at,
           arg_min(_source_file || ' row ' || _source_row, _row_id) OVER ids AS first_at,
           row_number() OVER (PARTITION BY {keys} ORDER BY _row_id) AS occurrence,
           count(*) OVER ids AS copies
    FROM agreed
    WINDOW ids AS (PARTITION BY {keys})
),
-- the first six places of each id, once per id (a list per row would grow with the square of the copies)
places AS (
    SELECT {keys}, arg_min(_source_file || ' row ' || _source_row, _row_id, 6) AS every_at
    FROM agreed GROUP BY ALL
)
SELECT _row_id,
       CASE WHEN agreeing = 1
            THEN 'kept ' || kept_at || ', whose county ' || own_county || ' is the id''s and its file''s; this row: county '
                 || coalesce(region_code, '?') || ' in ' || _source_file
            WHEN one_file THEN 'first seen in ' || first_at
            ELSE 'also in ' || array_to_string(list_slice(list_filter(every_at, lambda x: x <> _source_file || ' row ' || _source_row), 1, 5), '; ')
                 || CASE WHEN copies > 6 THEN ' … (' || copies || ' rows)' ELSE '' END
                 || ': no one row''s county is the id''s (' || coalesce(own_county, '?') || ') and its file''s, so none is kept'
       END AS "check"
FROM grouped JOIN places USING ({keys})
WHERE CASE WHEN agreeing = 1 THEN NOT agrees WHEN one_file THEN occurrence > 1 ELSE TRUE END

-- Counties delivered by more than one file of a category: each file's county (the 6-digit code its name starts
-- with, else the code more than half of its rows carry) from the ingested parts ($parts), the counties that two
-- or more files deliver, with those files (at most five counties).
WITH counts AS (
    SELECT _source_file, region_code, count(*) AS n FROM read_parquet($parts)
    WHERE region_code IS NOT NULL GROUP BY ALL
),
delivered AS (
    SELECT _source_file,
           coalesce(nullif(regexp_extract(parse_filename(_source_file), '^([0-9]{6})([^0-9]|$)', 1), ''),
                    CASE WHEN max(n) * 2 > sum(n) THEN arg_max(region_code, n) END) AS county
    FROM counts GROUP BY _source_file
)
SELECT county, list(_source_file ORDER BY _source_file) AS files FROM delivered
WHERE county IS NOT NULL GROUP BY county HAVING count(*) > 1 ORDER BY county LIMIT 5

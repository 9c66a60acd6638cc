-- A category's rows this year per county ($category, from its ingested parts $p): the row's county code when it is
-- a county of the province (table counties), else the county its file is named for (140105_小店区.csv).
INSERT INTO this_year
SELECT $category, county, count(*) FROM (
    SELECT CASE WHEN region_code IN (SELECT region_code FROM counties) THEN region_code
                ELSE nullif(regexp_extract(parse_filename(_source_file), '^([0-9]{6})([^0-9]|$)', 1), '') END AS county
    FROM read_parquet($p)) WHERE county IS NOT NULL GROUP BY ALL

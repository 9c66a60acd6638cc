-- The counties missing from this year's deliveries, with the evidence they were expected: rows of the county in
-- another category this year (for $from_other_categories), parcels of the category's land classes in the land
-- survey (table base_map), rows last year ($last_year, table last_year); less the counties that have rows this
-- year (table this_year). A county whose file holds no rows (table empty_files) is no_rows, else no_file.
WITH evidence AS (
    SELECT k.category, o.county,
           'rows this year in ' || string_agg(o.category || ' ' || format('{:,}', o.n), ', ' ORDER BY o.category) AS said
    FROM categories k JOIN this_year o ON o.category <> k.category
    WHERE k.category IN (SELECT unnest($from_other_categories)) GROUP BY ALL
    UNION ALL
    SELECT category, county, 'the land survey holds ' || format('{:,}', n) || ' ' || category || ' parcel(s) of the county'
    FROM base_map
    UNION ALL
    SELECT category, county, format('{:,}', n) || ' ' || category || ' row(s) last year (' || $last_year || ')'
    FROM last_year
),
expected AS (SELECT category, county, string_agg(said, '; ' ORDER BY said) AS evidence FROM evidence GROUP BY ALL)
SELECT e.category, e.county, c.name_zh,
       CASE WHEN f.file IS NOT NULL THEN 'no_rows' ELSE 'no_file' END,
       CASE WHEN f.file IS NOT NULL THEN 'no rows in ' || f.file || ' (header only)'
            ELSE 'no file delivers the county' END || '; ' || e.evidence
FROM expected e JOIN counties c ON c.region_code = e.county
LEFT JOIN (SELECT category, county, min(file) AS file FROM empty_files GROUP BY ALL) f USING (category, county)
WHERE e.category IN (SELECT category FROM categories)
  AND NOT EXISTS (SELECT 1 FROM this_year t WHERE t.category = e.category AND t.county = e.county)
ORDER BY e.category <> 'land', e.category, e.county

-- The county data-quality scorecard (scorecard.parquet): per county, of every row it delivered, the shares
-- rejected, inconsistent with the base map, unpriced and excluded, and its three commonest reject rules and
-- finding types; worst first.
-- From the views valid, rejected_rows and lines (every category's validated rows, rejected rows and reject
-- lines), inconsistencies.parquet, unpriced.parquet and the year's admin_divisions; $year is the year.
-- Rows whose county could not be determined are scored under $unknown_code $unknown_name, listed last.
COPY (
-- a row the reject policy set aside is both valid (validation) and rejected (consistency): count it once
-- a rejected row whose county code is not a county of the province counts for the county its file is
-- named after (<county code>_<name>.<ext>), else under no county ($unknown_code)
WITH counties AS (SELECT region_code FROM read_parquet($divisions) WHERE level = 'county'),
rejected AS (
    SELECT r.category, r._row_id,
           CASE WHEN r.region_code IN (SELECT region_code FROM counties) THEN r.region_code
                WHEN regexp_extract(r._source_file, '(^|/)([0-9]{{6}})_', 2) IN (SELECT region_code FROM counties)
                THEN regexp_extract(r._source_file, '(^|/)([0-9]{{6}})_', 2) END AS region_code
    FROM rejected_rows r
),
delivered AS (
    SELECT v.category, v.region_code, v.excluded, v._row_id FROM valid v
    ANTI JOIN rejected r ON r.category = v.category AND r._row_id = v._row_id
    UNION ALL SELECT category, region_code, false, _row_id FROM rejected
),
per_county AS (
    SELECT d.region_code, count(*) AS rows_delivered,
           count(*) FILTER (WHERE r._row_id IS NOT NULL) AS rows_rejected,
           count(*) FILTER (WHERE d.excluded) AS rows_excluded
    FROM delivered d LEFT JOIN rejected r ON r.category = d.category AND r._row_id = d._row_id
    GROUP BY ALL
),
rules AS (
    SELECT r.region_code, l.rule, count(DISTINCT l.category || ':' || l._row_id) AS n
    FROM lines l JOIN rejected r ON r.category = l.category AND r._row_id = l._row_id GROUP BY ALL
),
findings AS (
    SELECT region_code, finding_type, count(*) AS n FROM read_parquet($inconsistencies) GROUP BY ALL
),
unpriced AS (
    SELECT region_code, count(DISTINCT category || ':' || source_file || ':' || source_row) AS n
    FROM read_parquet($unpriced)
    GROUP BY ALL
),
scored AS (
    SELECT coalesce(p.region_code, $unknown_code) AS region_code, coalesce(d.name, $unknown_name) AS region_name,
           p.rows_delivered,
           p.rows_rejected / p.rows_delivered AS rejected_share,
           coalesce((SELECT sum(n) FROM findings f WHERE f.region_code = p.region_code), 0) / p.rows_delivered
               AS inconsistent_share,
           coalesce(u.n, 0) / p.rows_delivered AS unpriced_share,
           p.rows_excluded / p.rows_delivered AS excluded_share,
           (SELECT string_agg(rule || ' (' || n || ')', ', ' ORDER BY n DESC, rule)
            FROM (SELECT * FROM rules x WHERE x.region_code IS NOT DISTINCT FROM p.region_code ORDER BY n DESC, rule LIMIT 3))
               AS worst_rules,
           (SELECT string_agg(finding_type || ' (' || n || ')', ', ' ORDER BY n DESC, finding_type)
            FROM (SELECT * FROM findings x WHERE x.region_code IS NOT DISTINCT FROM p.region_code
                  ORDER BY n DESC, finding_type LIMIT 3)) AS worst_findings
    FROM per_county p
    LEFT JOIN read_parquet($divisions) d ON d.region_code = p.region_code
    LEFT JOIN unpriced u ON u.region_code = p.region_code
)
SELECT CAST($year AS INTEGER) AS year, region_code, region_name, rows_delivered,
       round(rejected_share, 6) AS rejected_share, round(inconsistent_share, 6) AS inconsistent_share,
       round(unpriced_share, 6) AS unpriced_share, round(excluded_share, 6) AS excluded_share,
       round(rejected_share + inconsistent_share + unpriced_share, 6) AS problem_share,
       worst_rules, worst_findings
FROM scored
ORDER BY region_code = $unknown_code, problem_share DESC, region_code
) TO {target} (FORMAT parquet)

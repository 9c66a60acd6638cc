-- The table problems: each line of raw_problems with its sentence, the reject lines' reasons in words taken from
-- the view reasons (one per distinct file, column, rule and check), and whether it is an inconsistent parcel.
CREATE TEMP TABLE problems AS
SELECT p.file, p.row, p.category, p.county, p.col, coalesce(p.sentence, r.reason) AS sentence,
       p.sentence IS NOT NULL AS is_finding
FROM raw_problems p LEFT JOIN reasons r
     ON r.file = p.file AND r.col IS NOT DISTINCT FROM p.col AND r.rule IS NOT DISTINCT FROM p.rule
        AND r.chk IS NOT DISTINCT FROM p.chk

-- One category's rows and area (each to the cent of m² before summing) as read, valid, excluded and rejected,
-- from its ingested, validated and rejected parts; ids counts distinct _row_id read, overlap the rows found both
-- valid and rejected. {area} is the category's area column (a NULL decimal for a category without one).
WITH read AS (
    SELECT count(*) AS n, coalesce(sum({area}::DECIMAL(38, 2)), 0) AS a, count(DISTINCT _row_id) AS ids
    FROM read_parquet($ingested)
),
v AS (
    SELECT count(*) FILTER (WHERE exclusion_reason IS NULL) AS valid,
           count(*) FILTER (WHERE exclusion_reason IS NOT NULL) AS excluded,
           coalesce(sum({area}::DECIMAL(38, 2)) FILTER (WHERE exclusion_reason IS NULL), 0) AS a_valid,
           coalesce(sum({area}::DECIMAL(38, 2)) FILTER (WHERE exclusion_reason IS NOT NULL), 0) AS a_excluded
    FROM read_parquet($validated)
),
r AS (
    SELECT count(*) AS rejected, coalesce(sum({area}::DECIMAL(38, 2)), 0) AS a_rejected
    FROM read_parquet($rejected)
),
both_ AS (
    SELECT count(*) AS overlap
    FROM read_parquet($validated) v SEMI JOIN read_parquet($rejected) r USING (_row_id)
)
SELECT * FROM read, v, r, both_

-- Every ledger cell ($ledger) the breakdowns ($breakdown) split whose parts do not add up to it, published or
-- unrounded, every part without its cell, and every land-group subtotal that is not one row equal to the sum of
-- its group's parts. The measure is the indicator (physical) or the component (value).
WITH parts AS (
    SELECT region_code, category, item_code, subject, {measure} AS measure, breakdown,
           sum({published}) AS published, sum({exact}) AS exact
    FROM read_parquet($breakdown) WHERE breakdown IN ('age_group', 'land_group') GROUP BY ALL
    UNION ALL
    SELECT region_code, category, '*', subject, {measure}, 'land_group_total', sum({published}), sum({exact})
    FROM read_parquet($breakdown) WHERE breakdown = 'land_group_total' GROUP BY ALL
),
-- a group's subtotal is one row, the sum of its published and unrounded parts over the land items
subtotals AS (
    SELECT t.region_code, t.subject, t.{measure}, t.member, count(*) AS n, any_value(t.{published}) AS published,
           any_value(t.{exact}) AS exact
    FROM read_parquet($breakdown) t WHERE t.breakdown = 'land_group_total' GROUP BY ALL
),
group_parts AS (
    SELECT region_code, subject, {measure}, member, sum({published}) AS published, sum({exact}) AS exact
    FROM read_parquet($breakdown) WHERE breakdown = 'land_group' GROUP BY ALL
),
bad_subtotals AS (
    SELECT $kind, coalesce(t.region_code, g.region_code), 'land', 'subtotal ' || coalesce(t.member, g.member),
           coalesce(t.subject, g.subject), coalesce(t.{measure}, g.{measure}), 'land_group_total', g.published,
           t.published, g.exact, t.exact
    FROM subtotals t FULL JOIN group_parts g ON g.region_code = t.region_code AND g.member = t.member
         AND g.subject IS NOT DISTINCT FROM t.subject AND g.{measure} = t.{measure}
    WHERE t.n IS DISTINCT FROM 1 OR g.published IS DISTINCT FROM t.published OR g.exact IS DISTINCT FROM t.exact
),
ledger AS (
    SELECT region_code, category, item_code, subject, {measure} AS measure,
           CASE category WHEN 'forest' THEN 'age_group' ELSE 'land_group' END AS breakdown,
           {published} AS published, {exact} AS exact
    FROM read_parquet($ledger) WHERE category = 'land' OR (category = 'forest' AND item_code = '0301')
    UNION ALL
    SELECT region_code, category, '*', subject, {measure}, 'land_group_total', sum({published}), sum({exact})
    FROM read_parquet($ledger) WHERE category = 'land' GROUP BY ALL
)
SELECT $kind, coalesce(l.region_code, p.region_code), coalesce(l.category, p.category),
       coalesce(l.item_code, p.item_code), coalesce(l.subject, p.subject), coalesce(l.measure, p.measure),
       coalesce(l.breakdown, p.breakdown), l.published, p.published, l.exact, p.exact
FROM ledger l FULL JOIN parts p
  ON p.region_code = l.region_code AND p.category = l.category AND p.item_code = l.item_code
 AND p.subject IS NOT DISTINCT FROM l.subject AND p.measure = l.measure AND p.breakdown = l.breakdown
WHERE l.published IS DISTINCT FROM p.published OR l.exact IS DISTINCT FROM p.exact
UNION ALL SELECT * FROM bad_subtotals
ORDER BY ALL

-- Per base parcel of an inventory's category (table cover, from base and rows): what its inventory delivered,
-- the valid rows' total and count, and how many rows validation rejected (rejected_<category>; their areas are
-- not read, a rejected area being no figure to count with), and the area its valid rows are conformed to.
CREATE TEMP TABLE cover AS
WITH valid AS (
    SELECT category, base_parcel_id, sum(area_m2) AS valid_m2, count(*) AS valid_rows
    FROM rows WHERE has_base AND base_category = category GROUP BY ALL
),
withheld AS (
    SELECT category, base_parcel_id, count(*) AS rejected_rows
    FROM (SELECT 'forest' AS category, id_or_null(base_parcel_id) AS base_parcel_id FROM rejected_forest
          UNION ALL SELECT 'grassland', id_or_null(base_parcel_id) FROM rejected_grassland
          UNION ALL SELECT 'wetland', id_or_null(base_parcel_id) FROM rejected_wetland)
    WHERE base_parcel_id IS NOT NULL GROUP BY ALL
)
SELECT b.parcel_id, b.category, b.area_m2 AS base_m2,
       coalesce(v.valid_m2, 0) AS valid_m2, coalesce(v.valid_rows, 0) AS valid_rows,
       coalesce(w.rejected_rows, 0) AS rejected_rows,
       -- the area the inventory's valid rows are conformed to: the base area; where sibling rows were
       -- rejected, the valid rows' own total, capped at the base area (the rest of the parcel waits for
       -- the county's correction: the withheld area, base area - target)
       CASE WHEN coalesce(w.rejected_rows, 0) > 0 THEN least(coalesce(v.valid_m2, 0), b.area_m2)
            ELSE b.area_m2 END AS target_m2
FROM base b
LEFT JOIN valid v ON v.category = b.category AND v.base_parcel_id = b.parcel_id
LEFT JOIN withheld w ON w.category = b.category AND w.base_parcel_id = b.parcel_id
WHERE b.category <> 'land'

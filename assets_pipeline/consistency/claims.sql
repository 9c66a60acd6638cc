-- Per base parcel an inventory names (table claims, from inventory and rejected_<category>): the valid rows' total
-- and count, and how many rows validation rejected (their areas are never read), with the inventory's rank.
CREATE TEMP TABLE claims AS
SELECT key, category, min(rank) AS rank, coalesce(sum(area_m2), 0) AS valid_m2, count(area_m2) AS valid_rows,
       count(*) - count(area_m2) AS rejected_rows
FROM (SELECT key, category, rank, area_m2 FROM inventory
      UNION ALL
      SELECT key, category, CASE category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END, NULL
      FROM (SELECT id_or_null(base_parcel_id) AS key, 'forest' AS category FROM rejected_forest
            UNION ALL SELECT id_or_null(base_parcel_id), 'grassland' FROM rejected_grassland
            UNION ALL SELECT id_or_null(base_parcel_id), 'wetland' FROM rejected_wetland))
WHERE key IS NOT NULL
GROUP BY key, category

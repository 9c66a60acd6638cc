-- The base map as the policy leaves it (table resolved_base, from base, cover, rows, actions and rejected_parcels):
-- each parcel's class and area, and the area the ledgers must hold for it (counted_m2): the standing rows' total
-- under inventory-wins, the conformed target (less the withheld part where sibling rows were rejected), 0 where all
-- its rows were rejected, else its base area; and the parcels inventory-wins adds to the base map.
CREATE TEMP TABLE resolved_base AS
WITH standing AS (   -- inventory-wins: rows whose area and class stand, per base parcel
    SELECT r.base_parcel_id, sum(r.area_m2) AS standing_m2, arg_min(r.land_class, r.parcel_id) AS claimed_class
    FROM rows r JOIN actions a USING (category, _row_id)
    WHERE a.action = 'stands' GROUP BY ALL
),
added AS (      -- inventory-wins: base parcels the inventories name but the base map lacks
    SELECT r.base_parcel_id AS parcel_id, arg_min(r.region_code, r.parcel_id) AS region_code,
           arg_min(r.land_class, r.parcel_id) AS land_class, sum(r.area_m2) AS area_m2,
           arg_min(r.ownership, r.parcel_id) AS ownership,
           arg_min(r._source_file, r.parcel_id) AS _source_file, arg_min(r._source_row, r.parcel_id) AS _source_row
    FROM rows r JOIN actions a USING (category, _row_id)
    WHERE a.action = 'added' GROUP BY ALL
),
adjusted AS (
    -- inventory-wins: the parcel takes its standing rows' total; where sibling rows were rejected it keeps at least
    -- its base area (the part the valid rows do not cover waits for the county's correction)
    SELECT b.parcel_id, b.area_m2 AS base_area_m2, b.land_class AS base_land_class,
           CASE WHEN s.base_parcel_id IS NULL THEN b.area_m2
                WHEN coalesce(c.rejected_rows, 0) > 0 THEN greatest(s.standing_m2, b.area_m2)
                ELSE s.standing_m2 END AS area_m2,
           CASE WHEN s.base_parcel_id IS NOT NULL AND b.category = 'land' THEN s.claimed_class ELSE b.land_class END
               AS land_class,
           c.parcel_id IS NOT NULL AS has_inventory_category, c.valid_rows, c.rejected_rows, c.target_m2,
           s.standing_m2, s.base_parcel_id IS NOT NULL AS stands
    FROM base b
    LEFT JOIN cover c ON c.parcel_id = b.parcel_id
    LEFT JOIN standing s ON s.base_parcel_id = b.parcel_id
    WHERE b.parcel_id NOT IN (SELECT parcel_id FROM rejected_parcels)
)
SELECT a.parcel_id, a.land_class, a.area_m2, a.base_area_m2, a.base_land_class,
       CASE
           WHEN a.stands THEN a.standing_m2                                      -- inventory-wins: the rows' area
           WHEN NOT a.has_inventory_category THEN a.area_m2                      -- land category: the land model
           WHEN a.valid_rows > 0 THEN a.target_m2                                -- conformed rows
           WHEN a.rejected_rows > 0 THEN 0                                       -- withheld: its rows were rejected
           ELSE a.area_m2                                                        -- missing_inventory: from the base map
       END AS counted_m2,
       false AS added
FROM adjusted a
UNION ALL
SELECT parcel_id, land_class, area_m2, CAST(NULL AS DECIMAL(18, 2)), NULL, area_m2, true FROM added

-- Per inventory row (table actions, from rows and findings): what the run's policy (variable policy) does with it.
--   set_aside  counted nowhere in its inventory (the base map counts the parcel elsewhere)
--   conformed  class, county and ownership of the base parcel; area scaled to the parcel's target
--   stands     the inventory's area and class stand (inventory-wins); county and ownership of the base map
--   added      stands, and its missing base parcel is added to the base map (inventory-wins)
--   rejected   rejected with rule 'consistency' (reject)
CREATE TEMP TABLE actions AS
WITH parcel_problems AS (
    SELECT DISTINCT category, base_parcel_id FROM findings
    WHERE finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base')
),
-- inventory-wins: a land-category parcel, or a parcel the base map lacks, claimed by several inventories goes to
-- the first (forest, grassland, wetland): one parcel is counted once, never once per inventory
claims AS (
    SELECT base_parcel_id, min(CASE category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END) AS first_rank
    FROM rows WHERE base_parcel_id IS NOT NULL AND (NOT has_base OR base_category = 'land') GROUP BY ALL
)
SELECT r.category, r._row_id, r.base_parcel_id,
       CASE
           WHEN getvariable('policy') = 'reject' THEN
               CASE WHEN NOT r.has_base OR r.base_category <> r.category OR p.base_parcel_id IS NOT NULL
                    THEN 'rejected' ELSE 'conformed' END
           WHEN getvariable('policy') = 'inventory-wins' THEN
               CASE WHEN NOT r.has_base
                    THEN CASE WHEN CASE r.category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END = c.first_rank
                              THEN 'added' ELSE 'set_aside' END   -- an empty base parcel id names nothing to add
                    WHEN r.base_category = 'land'
                         AND CASE r.category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END = c.first_rank
                    THEN 'stands'
                    WHEN r.base_category <> r.category THEN 'set_aside'
                    ELSE 'stands' END
           ELSE CASE WHEN NOT r.has_base OR r.base_category <> r.category THEN 'set_aside' ELSE 'conformed' END
       END AS action,
       CASE WHEN NOT r.has_base THEN 'missing_base' WHEN r.base_category <> r.category THEN 'class_mismatch' END
           AS row_problem,
       -- the base parcel's side, carried so the resolved rows need one join, not two
       r.has_base, r.base_category, r.base_land_class, r.base_region_code, r.base_ownership,
       r.redline_share, r.farmland_share, r.protected_share, r.core_share, r.urban_share,
       r.is_state, r.base_is_state, r.tree_is_state
FROM rows r
LEFT JOIN parcel_problems p ON p.category = r.category AND p.base_parcel_id = r.base_parcel_id
LEFT JOIN claims c ON c.base_parcel_id = r.base_parcel_id

-- The valued rows with their identity across years (DOMAIN §5 balance accounts): balance_id — parcels by
-- parcel_id, mineral rows by deposit × mineral × resource class, water by county × basin × source; lineage_key —
-- which rows are "the same asset" under another item: a parcel id, a deposit × mineral whatever its resource class.
CREATE OR REPLACE TEMP VIEW {rows} AS
SELECT *,
       CASE category WHEN 'minerals' THEN deposit_id || '|' || item_code || '|' || resource_class
                     WHEN 'water' THEN region_code || '|' || coalesce(basin, '') || '|' || item_code
                     ELSE parcel_id END AS balance_id,
       CASE category WHEN 'minerals' THEN deposit_id || '|' || item_code
                     WHEN 'water' THEN region_code || '|' || coalesce(basin, '') || '|' || item_code
                     ELSE parcel_id END AS lineage_key
FROM {filled}

-- Under the reject policy, the base parcels rejected whole (table rejected_parcels, from findings): those with an
-- ownership, county or area finding in their category, and those no inventory row describes.
CREATE TEMP TABLE rejected_parcels AS
SELECT DISTINCT base_parcel_id AS parcel_id FROM findings
WHERE getvariable('policy') = 'reject' AND base_parcel_id IS NOT NULL
  AND finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base', 'missing_inventory')

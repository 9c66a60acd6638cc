-- Under the reject policy, the base parcels rejected whole (table rejected_now): the validated survey rows
-- (valid_land) with an ownership, county or area finding, or no inventory row (findings), the first finding
-- by code as the check.
CREATE OR REPLACE TEMP TABLE rejected_now AS
SELECT v.*, f.finding_type AS check_code, 'parcel_id' AS column_name, v.parcel_id AS value
FROM valid_land v JOIN findings f ON f.base_parcel_id = v.parcel_id
WHERE getvariable('policy') = 'reject'
  AND f.finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base', 'missing_inventory')
QUALIFY row_number() OVER (PARTITION BY v._row_id ORDER BY f.finding_type) = 1

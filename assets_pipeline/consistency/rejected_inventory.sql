-- Under the reject policy, the inventory rows rejected ($category, its valid rows {inventory}; table rejected_now):
-- those the policy rejected (actions), with the row's own finding, else the first finding of its base parcel.
CREATE OR REPLACE TEMP TABLE rejected_now AS
SELECT v.*, coalesce(a.row_problem, (
           SELECT min(f.finding_type) FROM findings f
           WHERE f.category = $category AND f.base_parcel_id = v.base_parcel_id
             AND f.finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base'))) AS check_code,
       'base_parcel_id' AS column_name, v.base_parcel_id AS value
FROM {inventory} v JOIN actions a ON a.category = $category AND a._row_id = v._row_id
WHERE a.action = 'rejected'

-- _stages/resolved/land/changes.parquet: the base parcels the policy changed (class, area or counted area; table
-- resolved_base), those a finding names (findings) and those it rejected (rejected_parcels), with their resolved
-- class and area, counted_m2 (the area the step means the ledgers to hold), their findings and whether rejected.
COPY (
    WITH changed AS (
        SELECT parcel_id, land_class, area_m2, counted_m2 FROM resolved_base
        WHERE NOT added AND (land_class IS DISTINCT FROM base_land_class OR area_m2 <> base_area_m2
                             OR counted_m2 <> area_m2)
    ),
    found AS (
        SELECT base_parcel_id AS parcel_id, string_agg(DISTINCT finding_type, ',' ORDER BY finding_type) AS findings
        FROM findings WHERE base_parcel_id IS NOT NULL GROUP BY ALL
    ),
    named AS (
        SELECT parcel_id FROM changed UNION SELECT parcel_id FROM found UNION SELECT parcel_id FROM rejected_parcels
    )
    SELECT n.parcel_id, c.land_class, c.area_m2, c.counted_m2, f.findings AS consistency_findings,
           x.parcel_id IS NOT NULL AS rejected
    FROM named n
    LEFT JOIN changed c USING (parcel_id)
    LEFT JOIN found f USING (parcel_id)
    LEFT JOIN rejected_parcels x USING (parcel_id)
    ORDER BY n.parcel_id
) TO {path} (FORMAT parquet, COMPRESSION zstd)

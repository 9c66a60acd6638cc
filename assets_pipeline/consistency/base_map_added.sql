-- _stages/resolved/land/added.parquet: the parcels inventory-wins adds to the base map (resolved_base, added), as
-- land survey rows: county, ownership and source of the first row naming them (rows, actions), out of scope
-- ($exclusion_reason) where the ownership is not the state's (ref_ownership_codes). Columns the survey has and
-- such a parcel does not know are left out: whoever reads the file joins it by name.
COPY (
    SELECT a.region_code, a.ownership, a._source_file, a._source_row,
           CASE WHEN NOT coalesce(o.is_state, false) THEN $exclusion_reason END AS exclusion_reason,
           r.parcel_id, r.land_class, r.area_m2, r.base_area_m2, r.counted_m2, r.added,
           'missing_base' AS consistency_findings
    FROM resolved_base r
    JOIN (SELECT r.base_parcel_id, arg_min(r.region_code, r.parcel_id) AS region_code,
                 arg_min(r.ownership, r.parcel_id) AS ownership, arg_min(r._source_file, r.parcel_id) AS _source_file,
                 arg_min(r._source_row, r.parcel_id) AS _source_row
          FROM rows r JOIN actions x USING (category, _row_id) WHERE x.action = 'added' GROUP BY ALL) a
         ON a.base_parcel_id = r.parcel_id AND r.added
    LEFT JOIN ref_ownership_codes o ON o.code = a.ownership
    ORDER BY r.parcel_id
) TO {path} (FORMAT parquet, COMPRESSION zstd)

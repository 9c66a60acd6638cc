-- spatial_findings.parquet: the overlay's findings (DOMAIN §6), one line each, with their labels (spatial_labels):
-- the inconsistent pieces of the inventory rows it linked (overlay_pieces with a finding_type; area: the piece's
-- adjusted area), the zone areas a delivery states otherwise than the overlay computes (overlay_zone_findings; area:
-- the difference, unsigned) and the base parcels overlapping each other (overlay_overlaps; area: the overlap, the
-- ground counted twice).
COPY (
    WITH found AS (
        SELECT region_code, category, 'piece_' || finding_type AS finding_type, base_parcel_id, parcel_id,
               NULL::VARCHAR AS other_parcel_id, NULL::VARCHAR AS zone, piece_area_m2 AS area_m2,
               NULL::DECIMAL(18, 2) AS delivered_m2, NULL::DECIMAL(18, 2) AS computed_m2, base_land_class,
               inventory_land_class, source_file, source_row, NULL::VARCHAR AS other_source_file,
               NULL::BIGINT AS other_source_row
        FROM overlay_pieces WHERE finding_type IS NOT NULL
        UNION ALL
        SELECT region_code, 'land', 'zone_' || zone, parcel_id, NULL, NULL, zone, abs(difference_m2), delivered_m2,
               computed_m2, NULL, NULL, source_file, source_row, NULL, NULL
        FROM overlay_zone_findings
        UNION ALL
        SELECT region_code, 'land', 'parcel_overlap', parcel_id_a, NULL, parcel_id_b, NULL, overlap_m2, NULL, NULL,
               NULL, NULL, source_file_a, source_row_a, source_file_b, source_row_b
        FROM overlay_overlaps
    )
    SELECT CAST($year AS INTEGER) AS year, f.region_code, f.category, f.finding_type, l.finding_zh, l.finding_en,
           f.* EXCLUDE (region_code, category, finding_type)
    FROM found f
    LEFT JOIN spatial_labels l USING (finding_type)
    ORDER BY f.region_code, f.category, coalesce(l.finding_order, 99), f.finding_type, f.base_parcel_id, f.parcel_id,
             f.other_parcel_id
) TO {path} (FORMAT parquet, COMPRESSION zstd)

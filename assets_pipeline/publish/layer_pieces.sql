-- The inconsistent pieces of the overlay (DOMAIN §6: pieces.parquet rows with a finding_type) with the geometries
-- their shape is cut from: the inventory row's, and the base parcel's for a piece on one (NULL for the piece
-- outside every base parcel), per county (PARTITION_BY region_code) for the counties' layers.
-- Views: pieces (the overlay's pieces), geometry (category, _row_id, WKB, epsg, area), land_ids (parcel id → _row_id),
-- finding_words (finding_type → its words in Chinese and English).
COPY (
    SELECT p.region_code, p.category, p.parcel_id, p.base_parcel_id, p.finding_type, w.finding_zh, w.finding_en,
           p.base_land_class, p.inventory_land_class,
           CAST(p.piece_area_m2 AS DOUBLE) AS piece_area_m2,
           p.source_file, CAST(p.source_row AS INTEGER) AS source_row, p._row_id AS row_id,
           gi.geometry AS inventory_geometry, gi.epsg AS inventory_epsg,
           gb.geometry AS base_geometry, gb.epsg AS base_epsg
    FROM pieces p
    JOIN geometry gi ON gi.category = p.category AND gi._row_id = p._row_id
    LEFT JOIN land_ids b ON b.parcel_id = p.base_parcel_id
    LEFT JOIN geometry gb ON gb.category = 'land' AND gb._row_id = b._row_id
    LEFT JOIN finding_words w ON w.finding_type = p.finding_type
    WHERE p.finding_type IS NOT NULL AND p.region_code IS NOT NULL
) TO {target} (FORMAT parquet, PARTITION_BY (region_code), OVERWRITE_OR_IGNORE true)

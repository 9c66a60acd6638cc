-- For each inventory row with a piece outside every base parcel (DOMAIN §6 'missing_base' piece), the base
-- parcels its other pieces lie on, numbered within the row: the outside piece is the row's geometry less these.
-- Per county (PARTITION_BY region_code). Views: pieces, geometry, land_ids as for layer_pieces.sql.
COPY (
    WITH outside AS (
        SELECT DISTINCT category, _row_id FROM pieces
        WHERE base_parcel_id IS NULL AND finding_type IS NOT NULL
    )
    SELECT p.region_code, p.category, p._row_id AS row_id,
           row_number() OVER (PARTITION BY p.category, p._row_id ORDER BY p.base_parcel_id) AS rank,
           gb.geometry AS base_geometry, gb.epsg AS base_epsg
    FROM pieces p
    JOIN outside o ON o.category = p.category AND o._row_id = p._row_id
    JOIN land_ids b ON b.parcel_id = p.base_parcel_id
    JOIN geometry gb ON gb.category = 'land' AND gb._row_id = b._row_id
    WHERE p.region_code IS NOT NULL
) TO {target} (FORMAT parquet, PARTITION_BY (region_code), OVERWRITE_OR_IGNORE true)

-- The land rows ({source}) with the memo areas of the zones the overlay measured taken from its zone areas
-- ({zones}: the adjusted 平差 area of each base parcel inside each delivered zone, DOMAIN §6), for the parcels it
-- measured (matched on row id and parcel id); the delivered figure for the others ({replaced} lists the columns).
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT s.* REPLACE ({replaced})
FROM {source} s
LEFT JOIN {zones} z ON z._row_id = s._row_id AND CAST(z.parcel_id AS VARCHAR) = CAST(s.parcel_id AS VARCHAR)

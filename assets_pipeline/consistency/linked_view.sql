-- The inventory rows ({source}) with the base parcel the overlay linked them to ({links}: rows delivered with
-- geometry and no base_parcel_id, DOMAIN §6) where they delivered none, coalesce(delivered, link), and base_link:
-- 'overlay' where the overlay's link stands in for an empty id, else 'delivered' (the row as delivered).
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT s.* REPLACE (CASE WHEN id_or_null(s.base_parcel_id) IS NULL AND l._row_id IS NOT NULL
                         THEN CAST(l.base_parcel_id AS VARCHAR) ELSE s.base_parcel_id END AS base_parcel_id),
       CASE WHEN id_or_null(s.base_parcel_id) IS NULL AND l._row_id IS NOT NULL THEN 'overlay' ELSE 'delivered' END
           AS base_link
FROM {source} s
LEFT JOIN (SELECT _row_id, any_value(base_parcel_id) AS base_parcel_id FROM {links} GROUP BY _row_id) l
       ON l._row_id = s._row_id

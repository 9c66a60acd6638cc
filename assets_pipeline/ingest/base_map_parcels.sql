-- Parcels of the land survey ($land, ingested parts) per county whose land class (a trailing K keeps its stem's)
-- belongs to forest, grassland or wetland ($classes, land_classes): where the base map says those inventories
-- have rows.
INSERT INTO base_map
SELECT c.category, l.region_code, count(*) FROM read_parquet($land) l
JOIN read_parquet($classes) c ON c.land_class = regexp_replace(l.land_class, 'K$', '')
WHERE l.region_code IN (SELECT region_code FROM counties) AND c.category IN ('forest', 'grassland', 'wetland')
GROUP BY ALL

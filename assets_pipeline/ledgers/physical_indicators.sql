-- The physical indicators of valued rows or their sums: area (公顷, 亩), stock, bamboo stems, hay yield,
-- water volume, mineral quantity, each with its unit, from the category and component it belongs to (DOMAIN §2:
-- the area of forest is its land component, stock and stems its trees), carrying along the columns a caller asks for.
-- Every arm casts to one type: DuckDB unifies DECIMAL(38,6) with DECIMAL(38,0) as DECIMAL(38,0), dropping decimals.
SELECT {ids}category, region_code, item_code, subject, 'area' AS indicator, '公顷' AS unit, 'ha' AS unit_en,
       CAST(area_m2 * 0.0001 AS DECIMAL(38, 12)) AS quantity
FROM {valued} WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
UNION ALL
SELECT {ids}category, region_code, item_code, subject, 'area_mu', '亩', 'mu', CAST(area_m2 * 0.0015 AS DECIMAL(38, 12))
FROM {valued} WHERE category IN ('land', 'grassland', 'wetland') OR (category = 'forest' AND component = 'land')
UNION ALL
SELECT {ids}category, region_code, item_code, subject, 'stock', '立方米', 'm3', CAST(stock_m3 AS DECIMAL(38, 12))
FROM {valued} WHERE category = 'forest' AND component = 'trees' AND stock_m3 IS NOT NULL
UNION ALL
SELECT {ids}category, region_code, item_code, subject, 'bamboo_stems', '株', 'stems', CAST(bamboo_stems AS DECIMAL(38, 12))
FROM {valued} WHERE category = 'forest' AND component = 'trees' AND bamboo_stems IS NOT NULL
UNION ALL
SELECT {ids}category, region_code, item_code, subject, 'hay_yield', '吨', 't', CAST(hay_t AS DECIMAL(38, 12))
FROM {valued} WHERE category = 'grassland' AND hay_t IS NOT NULL
UNION ALL
SELECT {ids}category, region_code, item_code, subject, 'volume', '万立方米', '10^4 m3', CAST(volume_m3 * 0.0001 AS DECIMAL(38, 12))
FROM {valued} WHERE category = 'water'
UNION ALL
SELECT {ids_v}v.category, v.region_code, v.ledger_item, v.subject, 'quantity', m.unit, m.unit_en,
       CAST(v.quantity AS DECIMAL(38, 12))
FROM {valued} v JOIN ref_minerals m ON m.mineral_code = v.item_code WHERE v.category = 'minerals'

-- Per county the value of its mapped resources (land, forest, grassland, wetland: the rows valued) and the area of
-- its base map (every land-survey row of the year), for the map of value per hectare (DOMAIN §6 maps).
-- 元 per m² is numerically 万元 per 公顷 (10⁴ 元 / 10⁴ m²). View: valued (the valued rows of the mapped categories).
SELECT region_code,
       sum(value_yuan) FILTER (WHERE status = 'valued') AS value_yuan,
       sum(area_m2) FILTER (WHERE category = 'land') AS base_area_m2,
       CAST(sum(value_yuan) FILTER (WHERE status = 'valued')
            / nullif(sum(area_m2) FILTER (WHERE category = 'land'), 0) AS DECIMAL(18, 6)) AS value_wan_yuan_per_ha
FROM valued
WHERE region_code IS NOT NULL
GROUP BY region_code
ORDER BY region_code

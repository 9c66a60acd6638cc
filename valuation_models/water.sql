-- model:   water
-- version: 1.2.0
-- method:  volume × water resource price, DOMAIN §4
--
-- value (元) = volume_m3 × price (元/立方米) for surface water and groundwater;
--              the overlap between them (重复计算量) is deducted — its volume and value enter the ledgers negative,
--              at the county's surface-water price — so no water is counted or valued twice.
-- price:   ref_water_prices by county → city → province × source type
-- inputs:  inventory (validated water resources, region × basin × source type), ref_water_prices, regions
-- arithmetic: exact decimals; the unit value of a key (unit conversion × price, 元/m³) kept to 10 decimals,
--          a row's value = volume (2 decimals) × unit value, exact at 12 decimals (row_value); value in 元.

WITH resources AS (
    SELECT i.*, r.city_code,
           CASE WHEN i.source_type = 'overlap' THEN 'surface' ELSE i.source_type END AS priced_as,
           CASE WHEN i.source_type = 'overlap' THEN -1 ELSE 1 END AS sign
    FROM inventory i JOIN regions r ON r.region_code = i.region_code
    WHERE i.exclusion_reason IS NULL
),
price_keys AS (SELECT DISTINCT region_code, city_code, priced_as FROM resources),
prices AS (
    SELECT k.*, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM price_keys k
    JOIN ref_water_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code')) AND p.source_type = k.priced_as
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.priced_as
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END
    ) = 1
),
-- The unit value of a key (元 per m³) is computed once per key; a row's value is its volume times it.
keyed AS (
    SELECT *, dec_mul(factor_unit, price) AS unit_value
    FROM (SELECT *, CAST(CASE price_unit WHEN '元/立方米' THEN 1.0 WHEN '元/万立方米' THEN 0.0001 END AS DECIMAL(18, 6))
                        AS factor_unit FROM prices)
),
priced AS (
    SELECT w.*, p.price, p.price_unit, p.price_year, p.price_region, p.price_level, p.factor_unit, p.unit_value,
           s.source_type IS NOT NULL AS source_priced
    FROM resources w
    LEFT JOIN keyed p ON p.region_code = w.region_code AND p.priced_as = w.priced_as
    LEFT JOIN (SELECT DISTINCT source_type FROM ref_water_prices) s ON s.source_type = w.priced_as
)
SELECT
    _row_id, _source_file, _source_row,
    'water'                                           AS category,
    region_code,
    source_type                                       AS item_code,
    'water'                                           AS component,
    CASE WHEN price IS NULL OR factor_unit IS NULL THEN 'unpriced' ELSE 'valued' END AS status,
    CASE WHEN NOT source_priced THEN 'source_type ''' || priced_as || ''' not in water_prices'
         WHEN price IS NULL THEN 'no water price for county ' || region_code || ', source ' || priced_as
         WHEN factor_unit IS NULL THEN 'unknown price unit ' || price_unit
         WHEN sign < 0 THEN 'overlap deducted at the surface-water price' END AS status_reason,
    CAST(sign * CAST(volume_m3 AS DECIMAL(18, 2)) AS DECIMAL(18, 2)) AS volume_m3,
    basin,
    'ref_water_prices'                                AS price_table,
    'region=' || coalesce(price_region, '') || ' source=' || priced_as AS price_key,
    price_level, price_region, price_year,
    CAST(price AS DECIMAL(18, 6))                     AS unit_price,
    price_unit,
    factor_unit,
    CASE WHEN price IS NOT NULL AND factor_unit IS NOT NULL
         THEN row_value(sign * CAST(volume_m3 AS DECIMAL(18, 2)), unit_value) END AS value_yuan
FROM priced

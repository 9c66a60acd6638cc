-- model:   minerals_benchmark
-- version: 1.2.0
-- method:  market benchmark price of the mining-right transfer income (矿业权出让收益市场基准价), DOMAIN §4
--
-- value (元) = quantity × recovery coefficient of its resource class × benchmark price (元 per unit of the mineral)
-- price:   ref_mineral_benchmark_prices by county → city → province × mineral; the price's unit must be
--          元/<the mineral's unit in ref_minerals> (never multiply a quantity by a price of another unit)
-- coefficient: ref_mineral_recovery_coefficients by resource class (GB/T 17766-2020)
-- inputs:  inventory (validated deposits × mineral × resource class), ref_minerals, ref_mineral_benchmark_prices,
--          ref_mineral_recovery_coefficients, regions
-- arithmetic: exact decimals (dec_mul), value kept as DECIMAL(38,12) like every model; value in 元.

WITH deposits AS (
    SELECT i.*, r.city_code, m.unit AS mineral_unit
    FROM inventory i
    JOIN regions r ON r.region_code = i.region_code
    JOIN ref_minerals m ON m.mineral_code = i.mineral_code
    WHERE i.exclusion_reason IS NULL
),
price_keys AS (SELECT DISTINCT region_code, city_code, mineral_code FROM deposits),
prices AS (
    SELECT k.*, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM price_keys k
    JOIN ref_mineral_benchmark_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code')) AND p.mineral_code = k.mineral_code
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.mineral_code
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END
    ) = 1
),
priced AS (
    SELECT d.*, p.price, p.price_unit, p.price_year, p.price_region, p.price_level, rc.coefficient,
           m.mineral_code IS NOT NULL AS mineral_priced
    FROM deposits d
    LEFT JOIN (SELECT DISTINCT mineral_code FROM ref_mineral_benchmark_prices) m ON m.mineral_code = d.mineral_code
    LEFT JOIN prices p ON p.region_code = d.region_code AND p.mineral_code = d.mineral_code
    LEFT JOIN ref_mineral_recovery_coefficients rc ON rc.resource_class = d.resource_class
)
SELECT
    _row_id, _source_file, _source_row,
    'minerals'                                        AS category,
    region_code,
    mineral_code                                      AS item_code,
    resource_class,
    deposit_id,
    'mineral'                                         AS component,
    CASE WHEN price IS NULL OR coefficient IS NULL OR price_unit <> '元/' || mineral_unit THEN 'unpriced'
         ELSE 'valued' END                            AS status,
    CASE WHEN NOT mineral_priced THEN 'mineral_code ''' || mineral_code || ''' not in mineral_benchmark_prices'
         WHEN price IS NULL THEN 'no benchmark price for county ' || region_code || ', mineral ' || mineral_code
         WHEN coefficient IS NULL THEN 'resource_class ''' || resource_class || ''' not in mineral_recovery_coefficients'
         WHEN price_unit <> '元/' || mineral_unit THEN 'price unit ' || price_unit || ' does not match ' || mineral_unit
    END                                               AS status_reason,
    CAST(quantity AS DECIMAL(24, 6))                  AS quantity,
    CAST(annual_extraction AS DECIMAL(24, 6))         AS annual_extraction,
    mineral_unit                                      AS quantity_unit,
    'ref_mineral_benchmark_prices'                    AS price_table,
    'region=' || coalesce(price_region, '') || ' mineral=' || mineral_code || ' class=' || resource_class AS price_key,
    price_level, price_region, price_year,
    CAST(price AS DECIMAL(18, 6))                     AS unit_price,
    price_unit,
    CAST(coefficient AS DECIMAL(18, 6))               AS factor_recovery,
    CAST(NULL AS DECIMAL(38, 12))                     AS factor_annuity,
    'benchmark'                                       AS method,
    CASE WHEN price IS NOT NULL AND coefficient IS NOT NULL AND price_unit = '元/' || mineral_unit
         THEN CAST(dec_mul(dec_mul(quantity, coefficient), price) AS DECIMAL(38, 12)) END AS value_yuan
FROM priced

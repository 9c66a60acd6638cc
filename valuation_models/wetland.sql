-- model:   wetland
-- version: 1.6.0
-- method:  area × wetland price, DOMAIN §4
--
-- value (元) = area_m2 × unit conversion (元/亩: 0.0015) × price
-- price:   ref_wetland_prices by county → city → province × wetland class (湿地类, from the wetland type)
--          A price of 0 is an explicit decision ("not valued": the row is valued at 0 and says so);
--          a missing price is unpriced, never a silent 0.
-- keys:    the class is matched exactly at every level; a type without a class in wetland_types, or a class
--          the price table does not know, leaves the row unpriced, its reason naming the column and the value.
-- inputs:  inventory (validated wetland polygons, state-owned in scope), ref_wetland_types, ref_wetland_prices, regions
-- arithmetic: exact decimals; the unit value of a key (unit conversion × price, 元/m²) kept to 10 decimals,
--          a row's value = area (2 decimals) × unit value, exact at 12 decimals (row_value); value in 元.
-- base map (DOMAIN §2): the inventory is the consistency step's resolved rows (assets_pipeline/consistency.py); a
--          row the policy set aside (consistency_exclusion) is kept as 'excluded' with its reason, and the
--          findings of every row are carried in consistency_findings, and the base parcel's protected-area
--          shares (redline_share, farmland_share, protected_share, core_share, urban_share) for the ledgers'
--          "of which" columns.
-- trail:   every row keeps its delivered parcel_id (a row set aside too) and its base_parcel_id, on which the
--          balance accounts match rows across years; delivered_area_m2 is the area as delivered, and a row whose
--          area was conformed to its base parcel (consistency_action 'conformed') says so in consistency_resolution.
-- base link: base_link says where the row's base_parcel_id came from: 'delivered' (the inventory's own column) or
--          'overlay' (the row was delivered with geometry and no id; the overlay linked it to the base parcel
--          holding its largest piece, DOMAIN §6). Added in 1.6.0 (the column is new; no figure changed).

WITH polygons AS (
    SELECT i.*, r.city_code, wt.wetland_class
    FROM inventory i
    JOIN regions r ON r.region_code = i.region_code
    LEFT JOIN ref_wetland_types wt ON wt.wetland_type = i.wetland_type
    WHERE i.exclusion_reason IS NULL
),
price_keys AS (SELECT DISTINCT region_code, city_code, wetland_class FROM polygons),
prices AS (
    SELECT k.*, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM price_keys k
    JOIN ref_wetland_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))
     AND p.wetland_class = k.wetland_class
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.wetland_class
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END
    ) = 1
),
-- The unit value of a key (元 per m²) is computed once per key; a row's value is its area times it.
unit_values AS (
    SELECT *, CAST(CASE price_unit WHEN '元/亩' THEN 0.0015 WHEN '元/平方米' THEN 1.0 WHEN '元/公顷' THEN 0.0001 END
                   AS DECIMAL(18, 6)) AS factor_unit
    FROM prices
),
keyed AS (SELECT *, dec_mul(factor_unit, price) AS unit_value FROM unit_values),
priced AS (
    SELECT w.*, p.price, p.price_unit, p.price_year, p.price_region, p.price_level, p.factor_unit, p.unit_value,
           c.wetland_class IS NOT NULL AS class_priced
    FROM polygons w
    LEFT JOIN keyed p ON p.region_code = w.region_code AND p.wetland_class IS NOT DISTINCT FROM w.wetland_class
    LEFT JOIN (SELECT DISTINCT wetland_class FROM ref_wetland_prices) c ON c.wetland_class = w.wetland_class
)
SELECT
    _row_id, _source_file, _source_row,
    'wetland'                                         AS category,
    region_code,
    parcel_id,
    CAST(base_parcel_id AS VARCHAR)                   AS base_parcel_id,
    wetland_class                                     AS item_code,
    'land'                                            AS component,
    CASE WHEN consistency_exclusion IS NOT NULL THEN 'excluded'
         WHEN price IS NULL OR factor_unit IS NULL THEN 'unpriced' ELSE 'valued' END AS status,
    CASE WHEN consistency_exclusion IS NOT NULL THEN consistency_exclusion
         WHEN wetland_class IS NULL THEN 'wetland_type ''' || coalesce(wetland_type, '') || ''' not in wetland_types'
         WHEN NOT class_priced THEN 'wetland_class ''' || wetland_class || ''' not in wetland_prices'
         WHEN price IS NULL THEN 'no wetland price for county ' || region_code || ', class ' || coalesce(wetland_class, '?')
         WHEN factor_unit IS NULL THEN 'unknown price unit ' || price_unit
         WHEN price = 0 THEN 'not valued (price 0 by decision)' END AS status_reason,
    CAST(area_m2 AS DECIMAL(18, 2))                   AS area_m2,
    'ref_wetland_prices'                              AS price_table,
    'region=' || coalesce(price_region, '') || ' class=' || coalesce(wetland_class, '') AS price_key,
    price_level, price_region, price_year,
    CAST(price AS DECIMAL(18, 6))                     AS unit_price,
    price_unit,
    factor_unit,
    consistency_findings,
    CASE WHEN consistency_action = 'conformed' AND delivered_area_m2 IS DISTINCT FROM CAST(area_m2 AS DECIMAL(18, 2))
         THEN 'area conformed to base parcel ' || base_parcel_id || ': delivered '
              || CAST(delivered_area_m2 AS VARCHAR) || ' m², counted ' || CAST(CAST(area_m2 AS DECIMAL(18, 2)) AS VARCHAR)
              || ' m²' END                            AS consistency_resolution,
    CAST(delivered_area_m2 AS DECIMAL(18, 2))         AS delivered_area_m2,
    redline_share, farmland_share, protected_share, core_share, urban_share,
    CASE WHEN consistency_exclusion IS NULL AND price IS NOT NULL AND factor_unit IS NOT NULL
         THEN row_value(area_m2, unit_value) END AS value_yuan,
    base_link
FROM priced

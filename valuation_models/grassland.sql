-- model:   grassland
-- version: 1.6.0
-- method:  area × grassland price, DOMAIN §4
--
-- value (元) = area_m2 × unit conversion (元/亩: 0.0015) × price
-- price:   ref_grassland_prices by county → city → province × grassland type (草原类) × grade (1–8)
-- keys:    type and grade are matched exactly at every level; a type or grade the table does not know leaves
--          the row unpriced, its reason naming the column and the value (grade '8' not in grassland_prices).
-- inputs:  inventory (validated grassland polygons, state-owned in scope), ref_grassland_prices, regions
-- physical: hay yield (t) = hay_yield_kg_per_ha × area_m2 / 10,000 / 1,000
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
    SELECT i.*, r.city_code
    FROM inventory i JOIN regions r ON r.region_code = i.region_code
    WHERE i.exclusion_reason IS NULL
),
price_keys AS (SELECT DISTINCT region_code, city_code, grassland_type, grade FROM polygons),
key_checks AS (
    SELECT k.*,
           CASE WHEN k.grassland_type IS NULL THEN NULL
                WHEN t.grassland_type IS NULL THEN 'grassland_type ''' || k.grassland_type || ''' not in grassland_prices'
                WHEN g.grade IS NULL THEN 'grade ''' || k.grade || ''' not in grassland_prices'
           END AS key_problem
    FROM price_keys k
    LEFT JOIN (SELECT DISTINCT grassland_type FROM ref_grassland_prices) t ON t.grassland_type = k.grassland_type
    LEFT JOIN (SELECT DISTINCT grade FROM ref_grassland_prices) g ON g.grade = CAST(k.grade AS VARCHAR)
),
prices AS (
    SELECT k.*, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM price_keys k
    JOIN ref_grassland_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))
     AND p.grassland_type = k.grassland_type AND p.grade = CAST(k.grade AS VARCHAR)
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.grassland_type, k.grade
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
    SELECT g.*, p.price, p.price_unit, p.price_year, p.price_region, p.price_level, p.factor_unit, p.unit_value,
           c.key_problem
    FROM polygons g
    LEFT JOIN keyed p ON p.region_code = g.region_code AND p.grassland_type = g.grassland_type AND p.grade = g.grade
    LEFT JOIN key_checks c ON c.region_code = g.region_code AND c.grassland_type = g.grassland_type AND c.grade = g.grade
)
SELECT
    _row_id, _source_file, _source_row,
    'grassland'                                       AS category,
    region_code,
    parcel_id,
    CAST(base_parcel_id AS VARCHAR)                   AS base_parcel_id,
    grassland_type                                    AS item_code,
    'land'                                            AS component,
    CASE WHEN consistency_exclusion IS NOT NULL THEN 'excluded'
         WHEN price IS NULL OR factor_unit IS NULL THEN 'unpriced' ELSE 'valued' END AS status,
    CASE WHEN consistency_exclusion IS NOT NULL THEN consistency_exclusion
         WHEN grassland_type IS NULL THEN 'no grassland inventory row describes this base parcel: type and grade unknown'
         WHEN key_problem IS NOT NULL THEN key_problem
         WHEN price IS NULL THEN 'no grassland price for county ' || region_code || ', type ' || grassland_type
                                 || ', grade ' || grade
         WHEN factor_unit IS NULL THEN 'unknown price unit ' || price_unit END AS status_reason,
    CAST(area_m2 AS DECIMAL(18, 2))                   AS area_m2,
    CAST(CAST(hay_yield_kg_per_ha AS DECIMAL(18, 4)) * CAST(area_m2 AS DECIMAL(18, 2)) * 0.0000001 AS DECIMAL(38, 12))
                                                      AS hay_t,
    'ref_grassland_prices'                            AS price_table,
    'region=' || coalesce(price_region, '') || ' type=' || grassland_type || ' grade=' || grade AS price_key,
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

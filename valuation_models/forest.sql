-- model:   forest
-- version: 1.6.0
-- method:  forest land and standing trees valued separately, DOMAIN §4
--
-- land part  (component 'land',  state land only):  area_m2 × 0.0015 × forest-land price (元/亩)
--            price by county → city → province × land class × land grade (a row with the row's grade before the
--            row with no grade)
-- tree part  (component 'trees', state trees only):
--            元/亩 timber price:     area_m2 × 0.0015 × price           (young and middle-aged stands, shrubs, economic)
--            元/立方米 timber price: stock_m3 × price                   (stumpage, near-mature and older stands)
--            bamboo (species group 'bamboo'): bamboo_stems × bamboo price (元/株)
--            timber price by county → city → province × species group × origin × age group
-- keys:    a blank land_grade takes the class's row with no grade; a class, grade, species group, origin or age
--          group the table does not know is never fallen back on: the row is unpriced, its reason naming the
--          column and the value (land_grade '6' not in forest_land_prices for class 0301). price_key is the row
--          matched (class=0301 for a 0301K stand, DOMAIN §2).
-- inputs:  inventory (validated forest sub-compartments), ref_forest_species (species → group),
--          ref_forest_land_prices, ref_timber_prices, ref_bamboo_prices, ref_ownership_codes,
--          ref_tree_ownership_codes, regions
-- ownership (DOMAIN §2): state trees on collective land are valued, the land under them is not, and vice versa.
-- arithmetic: exact decimals; the unit value of a price key (unit conversion × price) kept to 10 decimals; a
--          row's value = its quantity × unit value, exact (area: 12 decimals, row_value); value in 元.
-- base map (DOMAIN §2): the inventory is the consistency step's resolved rows (assets_pipeline/consistency.py); a
--          row the policy set aside (consistency_exclusion) is kept as 'excluded' with its reason, and the
--          findings of every row are carried in consistency_findings, and the base parcel's protected-area
--          shares (redline_share, farmland_share, protected_share, core_share, urban_share) for the ledgers'
--          "of which" columns.
-- trail:   every row keeps its delivered parcel_id (a row set aside too) and its base_parcel_id, on which the
--          balance accounts match rows across years; delivered_area_m2 is the area as delivered, and a row whose
--          area was conformed to its base parcel (consistency_action 'conformed') says so in consistency_resolution.
--          age_group is the stand's, for the ledgers' breakdown of 乔木林 by age group.
-- base link: base_link says where the row's base_parcel_id came from: 'delivered' (the inventory's own column) or
--          'overlay' (the row was delivered with geometry and no id; the overlay linked it to the base parcel
--          holding its largest piece, DOMAIN §6). Added in 1.6.0 (the column is new; no figure changed).

WITH stands AS (
    SELECT i.*, r.city_code, sp.species_group,
           coalesce(lo.is_state, false) AS land_is_state,
           coalesce(tr.is_state, false) AS trees_are_state
    FROM inventory i
    JOIN regions r ON r.region_code = i.region_code
    LEFT JOIN ref_forest_species sp ON sp.species_code = i.species_code
    LEFT JOIN ref_ownership_codes lo ON lo.code = i.land_ownership
    LEFT JOIN ref_tree_ownership_codes tr ON tr.code = i.tree_ownership
    WHERE i.exclusion_reason IS NULL AND i.consistency_exclusion IS NULL
),
set_aside AS (
    SELECT _row_id, _source_file, _source_row, region_code, parcel_id, base_parcel_id, land_class,
           'land' AS component, area_m2, delivered_area_m2, age_group, consistency_exclusion, consistency_findings,
           consistency_action, base_link
    FROM inventory WHERE exclusion_reason IS NULL AND consistency_exclusion IS NOT NULL
),

land_keys AS (SELECT DISTINCT region_code, city_code, land_class, land_grade FROM stands WHERE land_is_state),
-- A delivered class or grade the table does not know is never fallen back on (a blank grade takes the row with
-- no grade): the row is unpriced, its reason naming the column and the value.
land_key_checks AS (
    SELECT k.*, regexp_replace(k.land_class, 'K$', '') AS class_stem,
           CASE WHEN c.land_class IS NULL
                    THEN 'land_class ''' || regexp_replace(k.land_class, 'K$', '') || ''' not in forest_land_prices'
                WHEN k.land_grade IS NOT NULL AND c.graded AND g.land_grade IS NULL
                    THEN 'land_grade ''' || k.land_grade || ''' not in forest_land_prices for class ' || c.land_class
           END AS key_problem
    FROM land_keys k
    LEFT JOIN (SELECT land_class, bool_or(land_grade IS NOT NULL) AS graded FROM ref_forest_land_prices GROUP BY ALL) c
           ON c.land_class = regexp_replace(k.land_class, 'K$', '')
    LEFT JOIN (SELECT DISTINCT land_class, land_grade FROM ref_forest_land_prices WHERE land_grade IS NOT NULL) g
           ON g.land_class = c.land_class AND g.land_grade = CAST(k.land_grade AS VARCHAR)
),
land_matches AS (
    SELECT k.region_code, k.land_class, k.land_grade, p.price, p.unit AS price_unit, p.year AS price_year,
           p.region_code AS price_region, p.land_class AS price_class, p.land_grade AS price_grade,
           dec_mul(CASE p.unit WHEN '元/亩' THEN 0.0015 WHEN '元/平方米' THEN 1.0 WHEN '元/公顷' THEN 0.0001 END, p.price)
               AS unit_value,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM land_key_checks k
    JOIN ref_forest_land_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))
     AND p.land_class = k.class_stem
     AND (p.land_grade IS NULL OR p.land_grade = CAST(k.land_grade AS VARCHAR))
    WHERE k.key_problem IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.land_class, k.land_grade
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END,
                 (p.land_grade IS NOT NULL) DESC
    ) = 1
),
land_prices AS (
    SELECT k.region_code, k.land_class, k.land_grade, k.class_stem, k.key_problem,
           m.* EXCLUDE (region_code, land_class, land_grade)
    FROM land_key_checks k
    LEFT JOIN land_matches m ON m.region_code = k.region_code AND m.land_class = k.land_class
                            AND m.land_grade IS NOT DISTINCT FROM k.land_grade
),

tree_keys AS (SELECT DISTINCT region_code, city_code, species_group, origin, age_group FROM stands WHERE trees_are_state),
tree_key_checks AS (
    SELECT k.*,
           CASE WHEN k.species_group = 'bamboo' THEN NULL  -- priced per stem in bamboo_prices
                WHEN sg.species_group IS NULL
                    THEN 'species_group ''' || coalesce(k.species_group, '') || ''' not in timber_prices'
                WHEN o.origin IS NULL THEN 'origin ''' || k.origin || ''' not in timber_prices'
                WHEN a.age_group IS NULL THEN 'age_group ''' || k.age_group || ''' not in timber_prices'
           END AS key_problem
    FROM tree_keys k
    LEFT JOIN (SELECT DISTINCT species_group FROM ref_timber_prices) sg ON sg.species_group = k.species_group
    LEFT JOIN (SELECT DISTINCT origin FROM ref_timber_prices) o ON o.origin = k.origin
    LEFT JOIN (SELECT DISTINCT age_group FROM ref_timber_prices) a ON a.age_group = k.age_group
),
tree_matches AS (
    SELECT k.region_code, k.species_group, k.origin, k.age_group,
           p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level,
           dec_mul(CASE p.unit WHEN '元/亩' THEN 0.0015 WHEN '元/立方米' THEN 1.0 END, p.price) AS unit_value
    FROM tree_key_checks k
    JOIN ref_timber_prices p
      ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))
     AND p.species_group = k.species_group AND p.origin = k.origin AND p.age_group = k.age_group
    WHERE k.key_problem IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code, k.species_group, k.origin, k.age_group
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END
    ) = 1
),
tree_prices AS (
    SELECT k.region_code, k.species_group, k.origin, k.age_group, k.key_problem,
           m.* EXCLUDE (region_code, species_group, origin, age_group)
    FROM tree_key_checks k
    LEFT JOIN tree_matches m ON m.region_code = k.region_code AND m.species_group IS NOT DISTINCT FROM k.species_group
                            AND m.origin = k.origin AND m.age_group = k.age_group
),
bamboo_prices AS (
    SELECT k.region_code, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           dec_mul(1.0, p.price) AS unit_value,
           CASE WHEN p.region_code = k.region_code THEN 'county' WHEN p.region_code = k.city_code THEN 'city'
                ELSE 'province' END AS price_level
    FROM (SELECT DISTINCT region_code, city_code FROM stands WHERE species_group = 'bamboo') k
    JOIN ref_bamboo_prices p ON p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))
    QUALIFY row_number() OVER (
        PARTITION BY k.region_code
        ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END
    ) = 1
),

land_part AS (
    SELECT s._row_id, s._source_file, s._source_row, s.region_code, s.parcel_id, s.base_parcel_id, s.land_class, 'land' AS component,
           s.consistency_findings, s.consistency_action, s.delivered_area_m2, s.redline_share, s.farmland_share,
           s.protected_share, s.core_share, s.urban_share, s.base_link,
           s.area_m2, NULL::DOUBLE AS stock_m3, NULL::BIGINT AS bamboo_stems, s.age_group,
           'ref_forest_land_prices' AS price_table,
           CASE WHEN lp.price_region IS NOT NULL  -- the row matched; else the key that found none
                THEN 'region=' || lp.price_region || ' class=' || lp.price_class || ' grade=' || coalesce(lp.price_grade, '')
                ELSE 'region= class=' || lp.class_stem || ' grade=' || coalesce(CAST(s.land_grade AS VARCHAR), '')
           END AS price_key,
           lp.key_problem,
           lp.price_level, lp.price_region, lp.price_year, lp.price, lp.price_unit, lp.unit_value,
           CASE lp.price_unit WHEN '元/亩' THEN 0.0015 WHEN '元/平方米' THEN 1.0 WHEN '元/公顷' THEN 0.0001 END AS factor_unit,
           'area' AS priced_on
    FROM stands s
    LEFT JOIN land_prices lp ON lp.region_code = s.region_code AND lp.land_class = s.land_class
                            AND lp.land_grade IS NOT DISTINCT FROM s.land_grade
    WHERE s.land_is_state
),
tree_part AS (
    SELECT s._row_id, s._source_file, s._source_row, s.region_code, s.parcel_id, s.base_parcel_id, s.land_class, 'trees' AS component,
           s.consistency_findings, s.consistency_action, s.delivered_area_m2, s.redline_share, s.farmland_share,
           s.protected_share, s.core_share, s.urban_share, s.base_link,
           s.area_m2, s.stock_m3, s.bamboo_stems, s.age_group,
           CASE WHEN s.species_group = 'bamboo' THEN 'ref_bamboo_prices' ELSE 'ref_timber_prices' END AS price_table,
           CASE WHEN s.species_group = 'bamboo' THEN 'region=' || coalesce(bp.price_region, '')
                ELSE 'region=' || coalesce(tp.price_region, '') || ' group=' || coalesce(s.species_group, '')
                     || ' origin=' || s.origin || ' age=' || s.age_group END AS price_key,
           coalesce(bp.price_level, tp.price_level) AS price_level,
           coalesce(bp.price_region, tp.price_region) AS price_region,
           coalesce(bp.price_year, tp.price_year) AS price_year,
           CASE WHEN s.species_group = 'bamboo' THEN bp.price ELSE tp.price END AS price,
           CASE WHEN s.species_group = 'bamboo' THEN bp.price_unit ELSE tp.price_unit END AS price_unit,
           CASE WHEN s.species_group = 'bamboo' THEN bp.unit_value ELSE tp.unit_value END AS unit_value,
           tp.key_problem,
           CASE WHEN s.species_group = 'bamboo' THEN 1.0
                WHEN tp.price_unit = '元/亩' THEN 0.0015 WHEN tp.price_unit = '元/立方米' THEN 1.0 END AS factor_unit,
           CASE WHEN s.species_group = 'bamboo' THEN 'stems'
                WHEN tp.price_unit = '元/立方米' THEN 'stock' ELSE 'area' END AS priced_on
    FROM stands s
    LEFT JOIN tree_prices tp ON tp.region_code = s.region_code AND tp.species_group IS NOT DISTINCT FROM s.species_group
                            AND tp.origin = s.origin AND tp.age_group = s.age_group
    LEFT JOIN bamboo_prices bp ON bp.region_code = s.region_code AND s.species_group = 'bamboo'
    WHERE s.trees_are_state
),
parts AS (SELECT * FROM land_part UNION ALL BY NAME SELECT * FROM tree_part UNION ALL BY NAME SELECT * FROM set_aside),
quantified AS (
    SELECT *,
           CASE priced_on WHEN 'area' THEN CAST(area_m2 AS DECIMAL(18, 2))
                          WHEN 'stock' THEN CAST(stock_m3 AS DECIMAL(18, 4))
                          WHEN 'stems' THEN CAST(bamboo_stems AS DECIMAL(18, 0)) END AS priced_quantity
    FROM parts
)

SELECT
    _row_id, _source_file, _source_row,
    'forest'                                          AS category,
    region_code,
    parcel_id,
    CAST(base_parcel_id AS VARCHAR)                   AS base_parcel_id,
    regexp_replace(land_class, 'K$', '')              AS item_code,
    component,
    CASE WHEN consistency_exclusion IS NOT NULL THEN 'excluded'
         WHEN price IS NULL OR factor_unit IS NULL OR priced_quantity IS NULL THEN 'unpriced' ELSE 'valued' END AS status,
    CASE WHEN consistency_exclusion IS NOT NULL THEN consistency_exclusion
         WHEN key_problem IS NOT NULL THEN key_problem
         WHEN price IS NULL THEN 'no ' || price_table || ' row for ' || price_key
         WHEN factor_unit IS NULL THEN 'unknown price unit ' || price_unit
         WHEN priced_quantity IS NULL THEN 'no ' || priced_on || ' to apply the price to' END AS status_reason,
    CAST(area_m2 AS DECIMAL(18, 2))                   AS area_m2,
    CAST(stock_m3 AS DECIMAL(18, 4))                  AS stock_m3,
    bamboo_stems,
    CAST(age_group AS VARCHAR)                        AS age_group,
    priced_on,
    price_table, price_key, price_level, price_region, price_year,
    CAST(price AS DECIMAL(18, 6))                     AS unit_price,
    price_unit,
    CAST(factor_unit AS DECIMAL(18, 6))               AS factor_unit,
    consistency_findings,
    CASE WHEN consistency_action = 'conformed' AND delivered_area_m2 IS DISTINCT FROM CAST(area_m2 AS DECIMAL(18, 2))
         THEN 'area conformed to base parcel ' || base_parcel_id || ': delivered '
              || CAST(delivered_area_m2 AS VARCHAR) || ' m², counted ' || CAST(CAST(area_m2 AS DECIMAL(18, 2)) AS VARCHAR)
              || ' m²' END                            AS consistency_resolution,
    CAST(delivered_area_m2 AS DECIMAL(18, 2))         AS delivered_area_m2,
    redline_share, farmland_share, protected_share, core_share, urban_share,
    CASE WHEN consistency_exclusion IS NULL AND price IS NOT NULL AND factor_unit IS NOT NULL AND priced_quantity IS NOT NULL
         THEN CASE priced_on
                  WHEN 'area' THEN row_value(area_m2, unit_value)
                  ELSE CAST(priced_quantity * unit_value AS DECIMAL(38, 12)) END END AS value_yuan,
    base_link
FROM quantified

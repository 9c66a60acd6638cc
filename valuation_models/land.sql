-- model:   land
-- version: 1.7.0
-- method:  基准地价系数修正法 (base land price coefficient correction), DOMAIN §4
--
-- value (元) = area_m2 × unit conversion × base price × date correction
--              [× plot-ratio correction × owner-equity coefficient, construction land only (classes 05–10)]
--
-- inputs:  inventory                       validated land survey (one row per parcel), areas in m²
--          ref_land_classes                land class → first-level class, land group, category (DOMAIN §2)
--          ref_land_base_prices            base prices (元/平方米 or 元/亩) by price zone / county / city / province,
--                                          4-digit or first-level class, optional cropland grade
--          ref_land_date_corrections       factor to the accounting date, by land group
--          ref_land_plot_ratio_corrections factor by land use and plot ratio, interpolated linearly, clamped at the ends
--          ref_land_parameters             capitalisation_rate r; legal_term_commercial / residential / other (years)
--          ref_supply_methods              supply method → owner equity ('whole' or 'reversion')
--          regions                         county → city → province
--          price_weights                   the overlay's land-price levels of each parcel (DOMAIN §6; empty when no
--                                          price_zones layer was delivered): parcel_id, _row_id, price_zone, weight,
--                                          rule 'dominant' | 'weighted' | 'outside'
-- units:   area m²; 1 亩 = 1/15 × 10,000 m², so a 元/亩 price applies to area_m2 × 0.0015; value in 元.
-- price lookup: the most specific row wins — price zone, then county, city, province; within a level the
--          4-digit class before its first-level class, and a row for the parcel's cropland grade before the
--          row with no grade. The level used is kept in price_level, the row matched in price_key.
-- keys:    a blank price_zone or cropland_grade falls back along that chain, and a zone's rows may leave a class
--          to its county (zones price some classes only). A value the table does not know is never fallen back
--          on: the parcel is unpriced, its reason naming column and value — price_zone 'X' not in land_base_prices;
--          price_zone 'X' is a zone of county C, not of R, in land_base_prices; cropland_grade 'G' not in
--          land_base_prices for class K (for a class the table prices by grade).
-- owner equity (granted land): coefficient = 1 − (1 − (1+r)^−m) / (1 − (1+r)^−n), m = remaining term
--          (granted_term_years − years_used), n = legal term of the land use (40 commercial 05, 70 residential 07,
--          50 other). Allocated, leased and unsupplied land keep the whole value.
-- arithmetic: exact decimals throughout. The key's unit value (unit conversion × base price × date correction,
--          dec_mul, 10 decimals) is computed once per price key; a parcel's value = area (2 decimals) × unit value,
--          exact at 12 decimals. Construction land: × plot-ratio factor × equity coefficient (factors that are not
--          decimal fractions, kept to 12 decimals; products kept to 10 decimals by dec_mul).
-- scope:   parcels of the land category only; parcels of forest, grassland and wetland classes are valued in
--          their own categories from their inventories (DOMAIN §2: one base map, no double counting).
-- base map: the inventory is the consistency step's resolved base map (assets_pipeline/consistency.py): under
--          inventory-wins a parcel an inventory claims carries the inventory's class and is left to it; the
--          findings of every parcel are carried in consistency_findings. A land row is its base parcel:
--          base_parcel_id = parcel_id, on which the balance accounts match rows across years.
-- price polygons (1.7.0, DOMAIN §6 price rule; new in this version, so that the land-price level polygons a county
--          delivers price its parcels; a parcel without price_weights is priced exactly as in 1.6.0):
--          'dominant'  one level holds more than 90 % of the parcel: priced exactly as if its price_zone were that
--                      level (same lookup, same fallback); price_level 'price_zone_dominant', price_key the row used.
--          'weighted'  base price = Σ weight × level price, each level priced by the same lookup (unit conversion
--                      included, so the mean is in 元/平方米, kept to 10 decimals); value = area × that mean × the
--                      same date, plot-ratio and equity corrections. price_level 'price_zone_weighted', price_key the
--                      levels and their weights ('140105-Z01×0.6000000000;140105-Z02×0.4000000000'); a level the
--                      table cannot price leaves the parcel unpriced with that level's reason.
--          'outside'   in no polygon of its land use: unpriced, "outside every price_zones polygon for land use X /
--                      不在任何基准地价级别范围内" — never fallen back on the county price.
-- memos:   redline_share, farmland_share, protected_share, core_share, urban_share = the memo area (生态保护红线,
--          永久基本农田, 自然保护地, 自然保护地核心区, 城镇开发边界; the overlay's adjusted area where the zone's layer
--          was delivered, DOMAIN §6) over the parcel's area, at most 1, kept to 10 decimals; the ledgers' "of which"
--          columns are quantity and value × share.

WITH parcel_rules AS (  -- the overlay's price rule of each parcel, and its level when one dominates
    SELECT _row_id, parcel_id, any_value(rule) AS price_rule,
           any_value(price_zone) FILTER (WHERE rule = 'dominant') AS dominant_zone
    FROM price_weights GROUP BY ALL
),
surveyed AS (
    SELECT
        i.* REPLACE (CAST(i.area_m2 AS DECIMAL(18, 2)) AS area_m2),
        regexp_replace(i.land_class, 'K$', '')                       AS class_stem,
        lc.parent_class                                              AS class_level1,
        lc.land_group,
        lc.category                                                  AS class_category,
        r.city_code,
        CASE WHEN lc.parent_class IN ('05', '06', '07', '08', '09', '10') OR lc.land_class = '09'
             THEN true ELSE false END                                AS is_construction,
        CASE coalesce(lc.parent_class, lc.land_class)
             WHEN '05' THEN 'commercial' WHEN '07' THEN 'residential' WHEN '06' THEN 'industrial'
             ELSE 'other' END                                        AS land_use
    FROM inventory i
    JOIN ref_land_classes lc ON lc.land_class = regexp_replace(i.land_class, 'K$', '')
    JOIN regions r ON r.region_code = i.region_code
    WHERE i.exclusion_reason IS NULL
),
-- A dominant level stands in for the parcel's price_zone; a weighted parcel is looked up under a key of its own
-- (weighted_keys), an outside one under none. Read again by each query that uses it rather than held in memory: at
-- ten million parcels the held copy did not fit the step's memory.
parcels AS NOT MATERIALIZED (
    SELECT s.* REPLACE (CASE WHEN w.price_rule = 'dominant' THEN CAST(w.dominant_zone AS VARCHAR)
                             WHEN w.price_rule IN ('weighted', 'outside')
                             THEN '#' || w.price_rule || ' ' || CAST(s._row_id AS VARCHAR)
                             ELSE s.price_zone END AS price_zone),
           w.price_rule,
           CASE WHEN s.land_group = 'agricultural' THEN 'agricultural' ELSE s.land_use END AS price_land_use
    FROM surveyed s
    LEFT JOIN parcel_rules w ON w._row_id = s._row_id AND w.parcel_id = CAST(s.parcel_id AS VARCHAR)
),
-- the levels of each weighted parcel, each to be priced as a parcel of that level would be
weighted_levels AS (
    SELECT p.region_code, p.city_code, p.price_zone AS parcel_key, w.price_zone, w.weight, p.class_stem,
           p.class_level1, p.cropland_grade, p.land_group
    FROM parcels p
    JOIN price_weights w ON w._row_id = p._row_id AND w.parcel_id = CAST(p.parcel_id AS VARCHAR)
    WHERE p.price_rule = 'weighted' AND p.class_category = 'land'
),

-- Price each distinct key once (a province has far fewer keys than parcels), then join back.
price_keys AS (
    SELECT DISTINCT region_code, city_code, price_zone, class_stem,
           coalesce(class_level1, class_stem) AS class_level1, cropland_grade, land_group
    FROM parcels WHERE class_category = 'land' AND price_rule IS DISTINCT FROM 'weighted'
                   AND price_rule IS DISTINCT FROM 'outside'
    UNION
    SELECT DISTINCT region_code, city_code, price_zone, class_stem,
           coalesce(class_level1, class_stem) AS class_level1, cropland_grade, land_group
    FROM weighted_levels
),
-- A delivered zone must be a zone of the parcel's county in the table, and a delivered grade one the table prices
-- the class by: a value the table does not know is a wrong key, not a blank one, and is never fallen back on.
table_zones AS (
    SELECT price_zone, min(region_code) AS zone_county FROM ref_land_base_prices
    WHERE price_zone IS NOT NULL GROUP BY price_zone
),
zone_counties AS (SELECT DISTINCT price_zone, region_code FROM ref_land_base_prices WHERE price_zone IS NOT NULL),
class_grades AS (SELECT DISTINCT land_class, cropland_grade FROM ref_land_base_prices WHERE cropland_grade IS NOT NULL),
key_grades AS (
    SELECT k.region_code, k.price_zone, k.class_stem, k.cropland_grade,
           count(g.land_class) AS graded_rows,
           count(g.land_class) FILTER (WHERE g.cropland_grade = CAST(k.cropland_grade AS VARCHAR)) AS grade_rows
    FROM price_keys k
    LEFT JOIN class_grades g ON g.land_class IN (k.class_stem, k.class_level1)
    WHERE k.cropland_grade IS NOT NULL
    GROUP BY ALL
),
checked_keys AS (
    SELECT k.*,
           CASE
               WHEN k.price_zone IS NOT NULL AND tz.price_zone IS NULL
                   THEN 'price_zone ''' || k.price_zone || ''' not in land_base_prices'
               WHEN k.price_zone IS NOT NULL AND zc.region_code IS NULL
                   THEN 'price_zone ''' || k.price_zone || ''' is a zone of county ' || tz.zone_county
                        || ', not of ' || k.region_code || ', in land_base_prices'
               WHEN kg.graded_rows > 0 AND kg.grade_rows = 0
                   THEN 'cropland_grade ''' || k.cropland_grade || ''' not in land_base_prices for class ' || k.class_stem
           END AS key_problem
    FROM price_keys k
    LEFT JOIN table_zones tz ON tz.price_zone = k.price_zone
    LEFT JOIN zone_counties zc ON zc.price_zone = k.price_zone AND zc.region_code = k.region_code
    LEFT JOIN key_grades kg ON kg.region_code = k.region_code AND kg.class_stem = k.class_stem
                           AND kg.price_zone IS NOT DISTINCT FROM k.price_zone AND kg.cropland_grade = k.cropland_grade
),
price_candidates AS (
    SELECT k.*, p.price, p.unit AS price_unit, p.year AS price_year, p.region_code AS price_region,
           p.price_zone AS price_zone_used, p.land_class AS price_class, p.cropland_grade AS price_grade,
           CASE WHEN p.price_zone IS NOT NULL THEN 1
                WHEN p.region_code = k.region_code THEN 2
                WHEN p.region_code = k.city_code THEN 3
                ELSE 4 END AS level_rank
    FROM checked_keys k
    JOIN ref_land_base_prices p
      ON ((p.price_zone IS NOT NULL AND p.price_zone = k.price_zone AND p.region_code = k.region_code)
          OR (p.price_zone IS NULL AND p.region_code IN (k.region_code, k.city_code, getvariable('province_code'))))
     AND p.land_class IN (k.class_stem, k.class_level1)
     AND (p.cropland_grade IS NULL OR p.cropland_grade = CAST(k.cropland_grade AS VARCHAR))
    WHERE k.key_problem IS NULL
),
best_prices AS (
    SELECT * FROM price_candidates
    QUALIFY row_number() OVER (
        PARTITION BY region_code, price_zone, class_stem, cropland_grade
        ORDER BY level_rank, (price_class = class_stem) DESC, (price_grade IS NOT NULL) DESC
    ) = 1
),
-- Everything that depends only on the key is computed once per key: unit conversion × base price ×
-- date correction (an exact product) and the audit trail's key.
prices AS (
    SELECT b.*,
           CASE b.level_rank WHEN 1 THEN 'zone' WHEN 2 THEN 'county' WHEN 3 THEN 'city' WHEN 4 THEN 'province' END
                                                                    AS price_level,
           CAST(CASE b.price_unit WHEN '元/平方米' THEN 1.0 WHEN '元/亩' THEN 0.0015 WHEN '元/公顷' THEN 0.0001 END
                AS DECIMAL(18, 6))                                  AS factor_unit,
           CAST(dc.factor AS DECIMAL(18, 6))                        AS factor_date,
           CAST(b.price AS DECIMAL(18, 6))                          AS unit_price,
           'zone=' || coalesce(b.price_zone_used, '') || ' region=' || b.price_region || ' class='
               || b.price_class || ' grade=' || coalesce(b.price_grade, '')
                                                                    AS price_key
    FROM best_prices b
    LEFT JOIN ref_land_date_corrections dc ON dc.land_group = b.land_group
),
level_keys AS (
    SELECT k.region_code, k.price_zone, k.class_stem, k.cropland_grade, k.key_problem,
           p.* EXCLUDE (region_code, city_code, price_zone, class_stem, class_level1, cropland_grade, land_group,
                        key_problem),
           dec_mul(dec_mul(p.factor_unit, p.price), p.factor_date) AS key_factor
    FROM checked_keys k
    LEFT JOIN prices p ON p.region_code = k.region_code AND p.class_stem = k.class_stem
                      AND p.price_zone IS NOT DISTINCT FROM k.price_zone
                      AND p.cropland_grade IS NOT DISTINCT FROM k.cropland_grade
),
-- A weighted parcel's key: base price = Σ weight × (unit conversion × level price), in 元/平方米 to 10 decimals,
-- then × date correction as any key. Unpriced when a level is: the first level's problem (by level code) is kept.
weighted_keys AS (
    SELECT l.region_code, l.parcel_key AS price_zone, l.class_stem, l.cropland_grade,
           arg_min(k.key_problem, l.price_zone) FILTER (WHERE k.key_problem IS NOT NULL) AS key_problem,
           CASE WHEN count(k.price) = count(*) AND count(k.factor_unit) = count(*)
                THEN CAST(sum(CAST(l.weight AS DECIMAL(18, 10)) * dec_mul(k.factor_unit, k.price)) AS DECIMAL(38, 10))
           END AS price,
           CASE WHEN count(k.factor_unit) = count(k.price) THEN '元/平方米'
                ELSE string_agg(DISTINCT k.price_unit, ',') END AS price_unit,
           max(k.price_year) AS price_year, min(k.price_region) AS price_region,
           'price_zone_weighted' AS price_level,
           CASE WHEN count(k.factor_unit) = count(k.price) THEN CAST(1.0 AS DECIMAL(18, 6)) END AS factor_unit,
           any_value(k.factor_date) AS factor_date,
           string_agg(l.price_zone || '×' || CAST(CAST(l.weight AS DECIMAL(18, 10)) AS VARCHAR), ';'
                      ORDER BY l.price_zone) AS price_key
    FROM weighted_levels l
    LEFT JOIN level_keys k ON k.region_code = l.region_code AND k.class_stem = l.class_stem
                          AND k.price_zone = l.price_zone AND k.cropland_grade IS NOT DISTINCT FROM l.cropland_grade
    GROUP BY l.region_code, l.parcel_key, l.class_stem, l.cropland_grade
),
priced_keys AS (
    SELECT * FROM level_keys
    UNION ALL BY NAME
    SELECT *, CAST(price AS DECIMAL(18, 6)) AS unit_price, dec_mul(price, factor_date) AS key_factor
    FROM weighted_keys
),

parameters AS (
    SELECT
        max(value) FILTER (WHERE parameter = 'capitalisation_rate')    AS r,
        max(value) FILTER (WHERE parameter = 'legal_term_commercial')  AS n_commercial,
        max(value) FILTER (WHERE parameter = 'legal_term_residential') AS n_residential,
        max(value) FILTER (WHERE parameter = 'legal_term_other')       AS n_other
    FROM ref_land_parameters
),

-- Plot-ratio correction: linear interpolation between the two nearest table points, clamped at the ends.
plot_ratios AS (
    SELECT DISTINCT land_use, plot_ratio FROM parcels WHERE is_construction AND plot_ratio IS NOT NULL
),
plot_ratio_factors AS (
    SELECT q.land_use, q.plot_ratio,
           CAST(CASE
               WHEN lo.plot_ratio IS NULL THEN hi.factor
               WHEN hi.plot_ratio IS NULL OR hi.plot_ratio = lo.plot_ratio THEN lo.factor
               ELSE lo.factor + (hi.factor - lo.factor)
                    * (CAST(q.plot_ratio AS DECIMAL(18, 6)) - lo.plot_ratio) / (hi.plot_ratio - lo.plot_ratio)
           END AS DECIMAL(38, 12)) AS factor
    FROM plot_ratios q
    LEFT JOIN LATERAL (SELECT plot_ratio, factor FROM ref_land_plot_ratio_corrections c
                       WHERE c.land_use = q.land_use AND c.plot_ratio <= q.plot_ratio
                       ORDER BY c.plot_ratio DESC LIMIT 1) lo ON true
    LEFT JOIN LATERAL (SELECT plot_ratio, factor FROM ref_land_plot_ratio_corrections c
                       WHERE c.land_use = q.land_use AND c.plot_ratio >= q.plot_ratio
                       ORDER BY c.plot_ratio LIMIT 1) hi ON true
),

valued AS (
    SELECT
        p.*,
        pr.price, pr.unit_price, pr.price_unit, pr.price_year, pr.price_region,
        CASE WHEN p.price_rule = 'dominant' THEN 'price_zone_dominant' ELSE pr.price_level END AS price_level,
        pr.price_key,
        pr.factor_unit, pr.factor_date, pr.key_factor, pr.key_problem,
        CASE WHEN NOT p.is_construction THEN NULL
             WHEN p.plot_ratio IS NULL THEN 1
             ELSE prf.factor END                                    AS factor_plot_ratio,
        CASE
            WHEN NOT p.is_construction THEN NULL
            WHEN coalesce(sm.owner_equity, 'whole') = 'whole' THEN 1
            WHEN p.granted_term_years IS NULL OR p.years_used IS NULL THEN NULL
            ELSE CAST(1 - (1 - pow(1 + par.r, -(p.granted_term_years - p.years_used)))
                          / (1 - pow(1 + par.r, -(CASE p.land_use WHEN 'commercial' THEN par.n_commercial
                                                                  WHEN 'residential' THEN par.n_residential
                                                                  ELSE par.n_other END)))
                      AS DECIMAL(38, 12))
        END                                                         AS factor_equity,
        sm.owner_equity
    FROM parcels p
    CROSS JOIN parameters par
    LEFT JOIN priced_keys pr
           ON pr.region_code = p.region_code AND pr.class_stem = p.class_stem
          AND pr.price_zone IS NOT DISTINCT FROM p.price_zone
          AND pr.cropland_grade IS NOT DISTINCT FROM p.cropland_grade
    LEFT JOIN plot_ratio_factors prf ON prf.land_use = p.land_use AND prf.plot_ratio = p.plot_ratio
    LEFT JOIN ref_supply_methods sm ON sm.supply_method = p.supply_method
)

SELECT
    _row_id, _source_file, _source_row,
    'land'                                                          AS category,
    region_code,
    parcel_id,
    parcel_id                                                       AS base_parcel_id,  -- a land row is its base parcel
    class_stem                                                      AS land_class,
    coalesce(class_level1, class_stem)                              AS item_code,
    'land'                                                          AS component,
    CASE
        WHEN class_category <> 'land' THEN 'excluded'
        WHEN price_rule = 'outside' THEN 'unpriced'
        WHEN price IS NULL OR factor_unit IS NULL OR factor_date IS NULL THEN 'unpriced'
        WHEN is_construction AND (factor_plot_ratio IS NULL OR factor_equity IS NULL) THEN 'unpriced'
        ELSE 'valued'
    END                                                             AS status,
    CASE
        WHEN class_category <> 'land' THEN 'valued in the ' || class_category || ' category from its inventory'
        WHEN price_rule = 'outside'
            THEN 'outside every price_zones polygon for land use ' || price_land_use || ' / 不在任何基准地价级别范围内'
        WHEN key_problem IS NOT NULL THEN key_problem
        WHEN price IS NULL THEN 'no base price for county ' || region_code || ', class ' || class_stem
                                || coalesce(', grade ' || cropland_grade, '')
        WHEN factor_unit IS NULL THEN 'unknown price unit ' || price_unit
        WHEN factor_date IS NULL THEN 'no date correction for land group ' || land_group
        WHEN is_construction AND factor_plot_ratio IS NULL THEN 'no plot-ratio correction for ' || land_use
        WHEN is_construction AND factor_equity IS NULL THEN 'granted land without granted_term_years / years_used'
    END                                                             AS status_reason,
    area_m2,
    consistency_findings,
    -- protected-area memos: share of the parcel inside the red line, permanent basic farmland, protected areas
    CASE WHEN redline_area_m2 IS NULL THEN CAST(0 AS DECIMAL(18, 10))
         ELSE CAST(least(CAST(redline_area_m2 AS DECIMAL(18, 2)) / nullif(area_m2, 0), 1) AS DECIMAL(18, 10)) END
                                                                    AS redline_share,
    CASE WHEN basic_farmland_area_m2 IS NULL THEN CAST(0 AS DECIMAL(18, 10))
         ELSE CAST(least(CAST(basic_farmland_area_m2 AS DECIMAL(18, 2)) / nullif(area_m2, 0), 1) AS DECIMAL(18, 10)) END
                                                                    AS farmland_share,
    CASE WHEN protected_area_m2 IS NULL THEN CAST(0 AS DECIMAL(18, 10))
         ELSE CAST(least(CAST(protected_area_m2 AS DECIMAL(18, 2)) / nullif(area_m2, 0), 1) AS DECIMAL(18, 10)) END
                                                                    AS protected_share,
    CASE WHEN protected_core_area_m2 IS NULL THEN CAST(0 AS DECIMAL(18, 10))
         ELSE CAST(least(CAST(protected_core_area_m2 AS DECIMAL(18, 2)) / nullif(area_m2, 0), 1) AS DECIMAL(18, 10)) END
                                                                    AS core_share,
    CASE WHEN urban_boundary_area_m2 IS NULL THEN CAST(0 AS DECIMAL(18, 10))
         ELSE CAST(least(CAST(urban_boundary_area_m2 AS DECIMAL(18, 2)) / nullif(area_m2, 0), 1) AS DECIMAL(18, 10)) END
                                                                    AS urban_share,
    'ref_land_base_prices'                                          AS price_table,
    price_key,
    price_level, price_region, price_year,
    unit_price, price_unit, factor_unit, factor_date,
    factor_plot_ratio, factor_equity,
    CASE WHEN class_category = 'land' AND price_rule IS DISTINCT FROM 'outside'
              AND price IS NOT NULL AND factor_unit IS NOT NULL AND factor_date IS NOT NULL
              AND (NOT is_construction OR (factor_plot_ratio IS NOT NULL AND factor_equity IS NOT NULL))
         THEN CASE WHEN is_construction
                   THEN CAST(dec_mul(dec_mul(area_m2 * key_factor, factor_plot_ratio), factor_equity)
                             AS DECIMAL(38, 12))
                   ELSE area_m2 * key_factor END
    END                                                             AS value_yuan
FROM valued

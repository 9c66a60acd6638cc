-- model:   minerals_npv
-- version: 1.1.0
-- uses:    minerals_benchmark
-- method:  net present value of the resource rent (SEEA CF 2012 §5.5; World Bank CWON), DOMAIN §4
--
-- producing rows (annual_extraction > 0 and unit_rent given):
--     R = annual_extraction × unit_rent                       (元 per year)
--     N = min(quantity / annual_extraction, npv_max_years)    (remaining life, years; npv_max_years = 100)
--     value (元) = R × (1 − (1 + r)^−N) / r                    r = discount_rate_npv of ref_mineral_parameters for
--                                                             the year, or the run's --discount-rate when given
--                                                             (variable discount_rate; discount_rate_source says which)
-- every other row falls back to the benchmark model (rows of model_minerals_benchmark, method 'benchmark').
-- The annuity factor (1 − (1 + r)^−N) / r is not a decimal fraction: it is kept to 12 decimals (factor_annuity);
-- R × factor is exact decimal arithmetic (dec_mul).
-- oracles: quantity 100, extraction 10, unit rent 5, r 5% → 386.0867; R 100, N 100, r 4% → 2450.4999.
-- inputs:  inventory, model_minerals_benchmark, ref_mineral_parameters (npv_max_years; discount_rate_npv through the
--          variable discount_rate, resolved by assets_pipeline/valuation.py)

WITH parameters AS (
    SELECT CAST(getvariable('discount_rate') AS DECIMAL(18, 6)) AS r,
           coalesce((SELECT max(value) FROM ref_mineral_parameters WHERE parameter = 'npv_max_years'), 100) AS max_years
),
producing AS (
    SELECT i._row_id,
           dec_mul(i.annual_extraction, i.unit_rent)                                 AS annual_rent,
           least(CAST(i.quantity AS DOUBLE) / i.annual_extraction, par.max_years)     AS remaining_years,
           par.r
    FROM inventory i CROSS JOIN parameters par
    WHERE i.exclusion_reason IS NULL AND i.annual_extraction > 0 AND i.unit_rent IS NOT NULL
),
annuities AS (
    SELECT *, CAST((1 - pow(1 + CAST(r AS DOUBLE), -remaining_years)) / CAST(r AS DOUBLE) AS DECIMAL(38, 12)) AS factor
    FROM producing
)
SELECT
    b.* EXCLUDE (factor_annuity, method, value_yuan, status, status_reason, price_table, price_key, unit_price, price_unit),
    CASE WHEN a._row_id IS NOT NULL THEN 'valued' ELSE b.status END                 AS status,
    CASE WHEN a._row_id IS NOT NULL THEN NULL ELSE b.status_reason END              AS status_reason,
    CASE WHEN a._row_id IS NOT NULL THEN 'inventory (annual_extraction × unit_rent)' ELSE b.price_table END AS price_table,
    CASE WHEN a._row_id IS NOT NULL THEN 'R=' || a.annual_rent || ' N=' || round(a.remaining_years, 4) || ' r=' || a.r
         ELSE b.price_key END                                                        AS price_key,
    CASE WHEN a._row_id IS NOT NULL THEN CAST(a.annual_rent AS DECIMAL(18, 6)) ELSE b.unit_price END AS unit_price,
    CASE WHEN a._row_id IS NOT NULL THEN '元/年' ELSE b.price_unit END               AS price_unit,
    a.factor                                                                         AS factor_annuity,
    CASE WHEN a._row_id IS NOT NULL THEN getvariable('discount_rate_source') END     AS discount_rate_source,
    CASE WHEN a._row_id IS NOT NULL THEN 'npv' ELSE 'benchmark' END                  AS method,
    CASE WHEN a._row_id IS NOT NULL THEN CAST(dec_mul(a.annual_rent, a.factor) AS DECIMAL(38, 12)) ELSE b.value_yuan END
                                                                                     AS value_yuan
FROM model_minerals_benchmark b
LEFT JOIN annuities a USING (_row_id)

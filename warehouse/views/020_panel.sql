-- indicator_panel: one value per region, year, indicator, metric and basis,
-- for single-year figures (period_start = period_end = year).
-- When several reports state the same figure:
--   actual: the latest report (highest plan_year), then a non-estimate over a
--           预计 estimate, then the most recently loaded document;
--   target: the report whose plan_year = year, else the latest report, then
--           the most recently loaded document.
-- Within one report the first statement (lowest char_start) wins.
CREATE OR REPLACE VIEW indicator_panel AS
WITH candidates AS (
    SELECT
        coalesce(i.region_code, d.region_code) AS region_code,
        i.period_end AS year,
        i.indicator, i.metric, i.basis, i.value, i.value_high, i.qualifier, i.unit,
        i.doc_id,
        coalesce(i.plan_year, d.plan_year) AS plan_year,
        i.is_estimate, i.evidence, i.char_start, d.loaded_at
    FROM indicators AS i
    LEFT JOIN documents AS d ON d.doc_id = i.doc_id
    WHERE i.period_start = i.period_end
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY region_code, year, indicator, metric, basis
        ORDER BY
            CASE WHEN basis = 'target' AND plan_year = year THEN 0 ELSE 1 END,
            plan_year DESC NULLS LAST,
            is_estimate ASC,
            loaded_at DESC NULLS LAST,
            doc_id, char_start
    ) AS pick
    FROM candidates
)
SELECT region_code, year, indicator, metric, basis, value, value_high, qualifier,
       unit, doc_id, plan_year, is_estimate, evidence
FROM ranked
WHERE pick = 1;

-- target_vs_actual: the target a report sets for its plan year t against the
-- actual reported for t afterwards.
--   target: basis 'target', single-year period t, from a report with
--           plan_year = t (several such reports: the most recently loaded).
--           A range (6%-6.5%) gives target = lower bound, target_high = upper.
--   actual: basis 'actual', single-year period t, same unit as the target,
--           from a report whose review covers t (review_start <= t <=
--           review_end; plan_year = t + 1 when the review years are unknown).
--           A non-estimate beats a 预计 estimate, then the report nearest to
--           t + 1, then the most recently loaded document.
--   gap = actual - target.
-- Rows: every target; actual and gap are NULL until an actual is reported.
CREATE OR REPLACE VIEW target_vs_actual AS
WITH facts AS (
    SELECT
        coalesce(i.region_code, d.region_code) AS region_code,
        i.period_end AS year,
        i.indicator, i.metric, i.basis, i.value, i.value_high, i.qualifier, i.unit,
        i.is_estimate, i.doc_id, i.char_start,
        coalesce(i.plan_year, d.plan_year) AS plan_year,
        d.review_start, d.review_end, d.loaded_at
    FROM indicators AS i
    LEFT JOIN documents AS d ON d.doc_id = i.doc_id
    WHERE i.period_start = i.period_end
),
targets AS (
    SELECT *, row_number() OVER (
        PARTITION BY region_code, year, indicator, metric
        ORDER BY loaded_at DESC NULLS LAST, doc_id, char_start
    ) AS pick
    FROM facts
    WHERE basis = 'target' AND plan_year = year
),
actuals AS (
    SELECT *
    FROM facts
    WHERE basis = 'actual'
      AND CASE
              WHEN review_start IS NOT NULL AND review_end IS NOT NULL
                  THEN year BETWEEN review_start AND review_end
              ELSE plan_year = year + 1
          END
),
paired AS (
    SELECT
        t.region_code, t.year, t.indicator, t.metric,
        t.value AS target, t.value_high AS target_high, t.qualifier AS target_qualifier,
        a.value AS actual,
        row_number() OVER (
            PARTITION BY t.region_code, t.year, t.indicator, t.metric
            ORDER BY a.is_estimate ASC NULLS LAST,
                     abs(a.plan_year - (t.year + 1)) NULLS LAST,
                     a.loaded_at DESC NULLS LAST,
                     a.doc_id, a.char_start
        ) AS pick
    FROM targets AS t
    LEFT JOIN actuals AS a
        ON a.region_code = t.region_code AND a.year = t.year
       AND a.indicator = t.indicator AND a.metric = t.metric AND a.unit = t.unit
    WHERE t.pick = 1
)
SELECT region_code, year, indicator, metric, target, target_high, target_qualifier,
       actual, actual - target AS gap
FROM paired
WHERE pick = 1;

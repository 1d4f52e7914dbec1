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

-- plan_targets: the target each report sets for its own plan year t (basis
-- 'target', single-year period t, plan_year = t); several such reports: the most
-- recently loaded, and within one the first statement. A range (6%-6.5%) gives
-- target = lower bound, target_high = upper. target_vs_actual and target_ladder
-- both read their targets here, so they always agree.
CREATE OR REPLACE VIEW plan_targets AS
SELECT
    coalesce(i.region_code, d.region_code) AS region_code,
    i.period_end AS year,
    i.indicator, i.metric, i.unit,
    i.value AS target, i.value_high AS target_high, i.qualifier AS target_qualifier,
    i.doc_id
FROM indicators AS i
LEFT JOIN documents AS d ON d.doc_id = i.doc_id
WHERE i.basis = 'target' AND i.period_start = i.period_end
  AND coalesce(i.plan_year, d.plan_year) = i.period_end
QUALIFY row_number() OVER (
    PARTITION BY coalesce(i.region_code, d.region_code), i.period_end, i.indicator, i.metric
    ORDER BY d.loaded_at DESC NULLS LAST, i.doc_id, i.char_start
) = 1;

-- target_vs_actual: the target a report sets for its plan year t (plan_targets)
-- against the actual reported for t afterwards.
--   actual: basis 'actual', single-year period t, same unit as the target,
--           from a report whose review covers t (review_start <= t <=
--           review_end; plan_year = t + 1 when the review years are unknown).
--           A non-estimate beats a 预计 estimate, then the report nearest to
--           t + 1, then the most recently loaded document.
--   gap = actual - target.
-- Rows: every indicator and metric a region sets a target for in any year, for
-- every year from its first to its last loaded report, so that a year without
-- the target shows why:
--   target_status  'stated' | 'not stated' (the report of plan year t is loaded
--                  and states no such target) | 'no report' (none is loaded);
--   actual_status  'stated' | 'not stated' (a report reviewing t is loaded and
--                  states no such actual) | 'no report'.
-- A year without a stated target compares actuals in the unit of the region's
-- latest target of that indicator and metric.
CREATE OR REPLACE VIEW target_vs_actual AS
WITH facts AS (
    SELECT
        coalesce(i.region_code, d.region_code) AS region_code,
        i.period_end AS year,
        i.indicator, i.metric, i.value, i.unit,
        i.is_estimate, i.doc_id, i.char_start,
        coalesce(i.plan_year, d.plan_year) AS plan_year,
        d.loaded_at
    FROM indicators AS i
    LEFT JOIN documents AS d ON d.doc_id = i.doc_id
    WHERE i.period_start = i.period_end AND i.basis = 'actual'
),
reports AS (
    SELECT DISTINCT region_code, plan_year, review_start, review_end
    FROM documents
    WHERE region_code IS NOT NULL AND plan_year IS NOT NULL
),
reviews AS (  -- the years each loaded report gives actuals for
    SELECT DISTINCT region_code, plan_year,
           unnest(CASE WHEN review_start IS NOT NULL AND review_end IS NOT NULL
                       THEN range(review_start, review_end + 1) ELSE [plan_year - 1] END) AS year
    FROM reports
),
actuals AS (
    SELECT f.*
    FROM facts AS f
    JOIN reviews AS r ON r.region_code = f.region_code AND r.plan_year = f.plan_year AND r.year = f.year
),
series AS (  -- what a region sets targets for, in the unit of its latest target
    SELECT region_code, indicator, metric, unit
    FROM plan_targets
    QUALIFY row_number() OVER (PARTITION BY region_code, indicator, metric ORDER BY year DESC, unit) = 1
),
spans AS (
    SELECT region_code, CAST(unnest(range(min(plan_year), max(plan_year) + 1)) AS INTEGER) AS year
    FROM reports
    GROUP BY region_code
),
grid AS (
    SELECT
        s.region_code, y.year, s.indicator, s.metric,
        coalesce(t.unit, s.unit) AS unit,
        t.target, t.target_high, t.target_qualifier,
        CASE WHEN t.target IS NOT NULL THEN 'stated'
             WHEN y.year IN (SELECT r.plan_year FROM reports AS r WHERE r.region_code = s.region_code)
                 THEN 'not stated'
             ELSE 'no report' END AS target_status,
        y.year IN (SELECT v.year FROM reviews AS v WHERE v.region_code = s.region_code) AS reviewed
    FROM series AS s
    JOIN spans AS y ON y.region_code = s.region_code
    LEFT JOIN plan_targets AS t
        ON t.region_code = s.region_code AND t.year = y.year
       AND t.indicator = s.indicator AND t.metric = s.metric
),
paired AS (
    SELECT
        g.*,
        a.value AS actual,
        row_number() OVER (
            PARTITION BY g.region_code, g.year, g.indicator, g.metric
            ORDER BY a.is_estimate ASC NULLS LAST,
                     abs(a.plan_year - (g.year + 1)) NULLS LAST,
                     a.loaded_at DESC NULLS LAST,
                     a.doc_id, a.char_start
        ) AS pick
    FROM grid AS g
    LEFT JOIN actuals AS a
        ON a.region_code = g.region_code AND a.year = g.year
       AND a.indicator = g.indicator AND a.metric = g.metric AND a.unit = g.unit
)
SELECT region_code, year, indicator, metric, target, target_high, target_qualifier,
       actual, actual - target AS gap,
       target_status,
       CASE WHEN actual IS NOT NULL THEN 'stated'
            WHEN reviewed THEN 'not stated'
            ELSE 'no report' END AS actual_status
FROM paired
WHERE pick = 1;

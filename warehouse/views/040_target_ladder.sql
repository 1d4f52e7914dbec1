-- target_ladder: how a region's target relates to those above it. One row per
-- plan_targets row (the target a report sets for its own plan year), with the
-- same year's, indicator's, metric's and unit's target of
--   the parent    (region_years.parent_code of that year: a county's city, a
--                  municipality's district's municipality, a province's 000000),
--   the province  (the first two digits of the code, GB/T 2260: XX0000),
--   the nation    (000000).
-- A missing rung is NULL (its report is not loaded or states no such target;
-- target_vs_actual.target_status tells which). For a range the lower bound is
-- compared, as in target_vs_actual: gap_to_parent = target - parent_target,
-- gap_to_national = target - national_target (percentage points for growth).
CREATE OR REPLACE VIEW target_ladder AS
WITH placed AS (
    SELECT t.*, y.level, y.parent_code,
           CASE WHEN t.region_code <> '000000' THEN left(t.region_code, 2) || '0000' END AS province_code
    FROM plan_targets AS t
    LEFT JOIN region_years AS y ON y.region_code = t.region_code AND y.year = t.year
)
SELECT
    c.region_code, c.level, c.year, c.indicator, c.metric,
    c.target, c.target_high, c.target_qualifier,
    c.parent_code, p.target AS parent_target,
    c.province_code, v.target AS province_target,
    n.target AS national_target,
    c.target - p.target AS gap_to_parent,
    c.target - n.target AS gap_to_national
FROM placed AS c
LEFT JOIN plan_targets AS p
    ON p.region_code = c.parent_code AND p.year = c.year
   AND p.indicator = c.indicator AND p.metric = c.metric AND p.unit = c.unit
LEFT JOIN plan_targets AS v
    ON v.region_code = c.province_code AND v.year = c.year
   AND v.indicator = c.indicator AND v.metric = c.metric AND v.unit = c.unit
LEFT JOIN plan_targets AS n
    ON n.region_code = '000000' AND n.year = c.year
   AND n.indicator = c.indicator AND n.metric = c.metric AND n.unit = c.unit;

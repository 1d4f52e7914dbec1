-- region_years: every division of the GB/T 2260 tables (`regions`, former ones
-- included) for every plan year from the earliest to the latest loaded (or
-- claimed by a report page that failed, see report_claims), as the
-- yearly table of the year before lists it (a report for plan year Y is
-- delivered around the turn of the year, so the divisions at the end of Y-1
-- are the ones reporting), and the nation as region 000000. A province's
-- parent is 000000. A loaded report of a region that table does not list (a
-- change early in the plan year), or a report page claimed for it
-- (report_claims), adds its region, described by the table row nearest in
-- time, else by the document itself.
CREATE OR REPLACE VIEW region_years AS
WITH bounds AS (
    SELECT min(plan_year) AS first_year, max(plan_year) AS last_year
    FROM (SELECT plan_year FROM documents UNION ALL SELECT plan_year FROM report_claims)
    WHERE plan_year IS NOT NULL
),
years AS (
    SELECT CAST(unnest(range(first_year, last_year + 1)) AS INTEGER) AS year
    FROM bounds
    WHERE first_year IS NOT NULL
),
listed AS (
    SELECT r.code AS region_code, r.name AS region_name, r.level,
           coalesce(r.parent_code, '000000') AS parent_code, y.year
    FROM years AS y
    JOIN regions AS r
      ON (r.since IS NULL OR r.since <= y.year - 1) AND (r.until IS NULL OR y.year - 1 <= r.until)
    UNION ALL
    SELECT '000000', '全国', 'national', NULL, year
    FROM years
),
found AS (  -- region-years with a loaded report or a claimed report page
    SELECT region_code, plan_year AS year, region_name, level
    FROM documents
    WHERE region_code IS NOT NULL AND plan_year IS NOT NULL
    UNION ALL
    SELECT region_code, plan_year, NULL, NULL
    FROM report_claims
),
unlisted AS (
    SELECT f.region_code, f.year, min(f.region_name) AS region_name, min(f.level) AS level
    FROM found AS f
    WHERE NOT EXISTS (SELECT 1 FROM listed AS l WHERE l.region_code = f.region_code AND l.year = f.year)
    GROUP BY f.region_code, f.year
),
described AS (
    SELECT u.region_code, coalesce(r.name, u.region_name) AS region_name, coalesce(r.level, u.level) AS level,
           CASE WHEN r.code IS NOT NULL THEN coalesce(r.parent_code, '000000') END AS parent_code, u.year
    FROM unlisted AS u
    LEFT JOIN regions AS r ON r.code = u.region_code
    QUALIFY row_number() OVER (
        PARTITION BY u.region_code, u.year
        ORDER BY CASE WHEN r.since > u.year THEN r.since - u.year
                      WHEN r.until < u.year THEN u.year - r.until
                      ELSE 0 END NULLS LAST,
                 r.until DESC NULLS FIRST
    ) = 1
)
SELECT * FROM listed
UNION ALL
SELECT * FROM described;

-- coverage: what is known and what is missing, one row per region_years row.
--   status           'loaded' (a document of that region and plan year is loaded)
--                    | 'failed' (report pages were found for it, report_claims, but
--                      none loaded) | 'missing' (nothing found);
--   documents        distinct documents of that region and plan year;
--   sources          distinct copies (document_sources urls) of them; for a
--                    failed row the claimed pages;
--   first_seen, last_seen  over those copies (over the claimed pages' fetches);
--   removed_sources  copies whose latest fetch answered 404 or 410 after an
--                    earlier successful fetch (page_status, pages; times are to the
--                    second, so one in the same second counts as earlier): the page is
--                    gone from its site, the archived copy and the document stay.
CREATE OR REPLACE VIEW coverage AS
WITH removed AS (
    SELECT s.url
    FROM page_status AS s
    WHERE NOT s.ok AND s.http_status IN (404, 410)
      AND EXISTS (SELECT 1 FROM pages AS p
                  WHERE p.url = s.url AND p.raw_sha256 IS NOT NULL AND p.error IS NULL AND p.fetched_at <= s.since)
),
loaded AS (
    SELECT d.region_code, d.plan_year AS year,
           count(DISTINCT d.doc_id) AS documents,
           count(DISTINCT s.url) AS sources,
           min(s.first_seen) AS first_seen,
           max(s.last_seen) AS last_seen,
           count(DISTINCT s.url) FILTER (WHERE s.url IN (SELECT url FROM removed)) AS removed_sources
    FROM documents AS d
    LEFT JOIN document_sources AS s ON s.doc_id = d.doc_id
    WHERE d.region_code IS NOT NULL AND d.plan_year IS NOT NULL
    GROUP BY d.region_code, d.plan_year
),
claimed AS (
    SELECT c.region_code, c.plan_year AS year, count(DISTINCT c.url) AS pages,
           min(p.fetched_at) AS first_seen, max(p.fetched_at) AS last_seen
    FROM report_claims AS c
    LEFT JOIN pages AS p ON p.url = c.url
    GROUP BY c.region_code, c.plan_year
)
SELECT
    y.region_code, y.region_name, y.level, y.parent_code, y.year,
    CASE WHEN l.documents > 0 THEN 'loaded' WHEN c.pages > 0 THEN 'failed' ELSE 'missing' END AS status,
    coalesce(l.documents, 0) AS documents,
    coalesce(l.sources, c.pages, 0) AS sources,
    coalesce(l.first_seen, c.first_seen) AS first_seen,
    coalesce(l.last_seen, c.last_seen) AS last_seen,
    coalesce(l.removed_sources, 0) AS removed_sources
FROM region_years AS y
LEFT JOIN loaded AS l ON l.region_code = y.region_code AND l.year = y.year
LEFT JOIN claimed AS c ON c.region_code = y.region_code AND c.year = y.year;

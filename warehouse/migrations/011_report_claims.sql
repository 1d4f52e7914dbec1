-- 011: report pages that loaded nothing (the fetch failed, the page was no report, the
-- text could not be read), tied to the region and plan year their listing link names
-- (2019年岳阳县政府工作报告), so `coverage` can tell 'failed' from 'missing'. Written by
-- warehouse.claims.record_report_claims at the end of each run; a URL is claimed once.
CREATE TABLE report_claims (
    url          VARCHAR PRIMARY KEY,
    title        VARCHAR NOT NULL,   -- the listing link's text
    region_code  VARCHAR NOT NULL,
    plan_year    INTEGER NOT NULL,
    claimed_at   TIMESTAMP NOT NULL
);

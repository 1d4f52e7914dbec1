-- 010: what the coverage and target_ladder views need beyond the contract's tables.
--
-- regions: the GB/T 2260 tables of tasks/data (docs/regions.md), current and former rows,
-- so SQL can list every division of a plan year and walk its parents. Refilled by
-- warehouse.regions.sync_regions whenever the csv files change (reference_data holds
-- their hash), so a warehouse follows the tables shipped with the code.
CREATE TABLE regions (
    code         VARCHAR NOT NULL,  -- 6-digit GB/T 2260 code
    name         VARCHAR NOT NULL,
    level        VARCHAR NOT NULL,  -- province | city | district | county
    parent_code  VARCHAR,           -- NULL for a province
    since        INTEGER,           -- first yearly table listing code+name; NULL: listed in 2000 (or always)
    until        INTEGER            -- last yearly table listing it; NULL: a current division
);

CREATE TABLE reference_data (
    name       VARCHAR PRIMARY KEY,
    sha256     VARCHAR NOT NULL,
    loaded_at  TIMESTAMP NOT NULL
);

-- page_status: how each URL answered when last fetched, and since when it answers so.
-- `pages` keeps one row per content version, so it cannot tell a page that came back
-- unchanged (304) after a 404 from one still gone; this table can. A fetch with the
-- same outcome as before changes no row (a re-run with nothing new stays a no-op).
CREATE TABLE page_status (
    url          VARCHAR PRIMARY KEY,
    ok           BOOLEAN NOT NULL,  -- a body was received (200, or 304 for the archived copy)
    http_status  INTEGER,           -- of the first fetch in this state
    error        VARCHAR,
    since        TIMESTAMP NOT NULL -- the first fetch in this state
);

INSERT INTO page_status
SELECT url, error IS NULL AND raw_sha256 IS NOT NULL, http_status, error, fetched_at
FROM pages
QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, version_key) = 1;

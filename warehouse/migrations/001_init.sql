-- 001: the contract's tables (../shared/CONTRACT.md). Natural keys are the
-- primary keys the loader upserts on.

CREATE TABLE pages (
    url            VARCHAR NOT NULL,
    final_url      VARCHAR,
    host           VARCHAR,
    source_name    VARCHAR,
    fetched_at     TIMESTAMP NOT NULL,
    http_status    INTEGER,
    content_type   VARCHAR,
    charset        VARCHAR,
    raw_sha256     VARCHAR,          -- NULL when nothing was received (error, 304)
    raw_path       VARCHAR,
    etag           VARCHAR,
    last_modified  VARCHAR,
    error          VARCHAR,
    -- additions beyond the contract: how the page was used
    role           VARCHAR,          -- listing | report | part | attachment | robots | skipped | file
    part_of        VARCHAR,          -- first page of a split report / article of an attachment
    part_index     INTEGER,
    -- one row per URL and content version; a failed fetch is its own version
    version_key    VARCHAR NOT NULL, -- raw_sha256, or 'error:'||error, or 'status:'||http_status
    PRIMARY KEY (url, version_key)
);

CREATE TABLE documents (
    doc_id             VARCHAR PRIMARY KEY,
    title              VARCHAR,
    region_code        VARCHAR,
    region_name        VARCHAR,
    city               VARCHAR,
    province           VARCHAR,
    level              VARCHAR,
    plan_year          INTEGER,
    review_start       INTEGER,
    review_end         INTEGER,
    delivered_on       DATE,
    speaker            VARCHAR,
    body               VARCHAR NOT NULL,
    char_count         INTEGER NOT NULL,
    canonical_url      VARCHAR,
    source_count       INTEGER NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    loaded_at          TIMESTAMP NOT NULL
);

CREATE TABLE document_sources (
    doc_id       VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    source_name  VARCHAR,
    authority    VARCHAR NOT NULL,
    copy_sha256  VARCHAR NOT NULL,
    similarity   DOUBLE NOT NULL,
    first_seen   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    PRIMARY KEY (doc_id, url)
);

-- A document re-based on a better copy gets a new doc_id; the old id stays
-- resolvable through this table.
CREATE TABLE doc_aliases (
    old_doc_id  VARCHAR PRIMARY KEY,
    doc_id      VARCHAR NOT NULL,
    aliased_at  TIMESTAMP NOT NULL
);

CREATE TABLE indicators (
    doc_id             VARCHAR NOT NULL,
    region_code        VARCHAR,
    plan_year          INTEGER,
    indicator          VARCHAR NOT NULL,
    basis              VARCHAR NOT NULL,
    metric             VARCHAR NOT NULL,
    period_start       INTEGER NOT NULL,
    period_end         INTEGER NOT NULL,
    value              DOUBLE NOT NULL,
    value_high         DOUBLE,
    unit               VARCHAR NOT NULL,
    qualifier          VARCHAR NOT NULL,
    is_estimate        BOOLEAN NOT NULL,
    evidence           VARCHAR NOT NULL,
    char_start         INTEGER NOT NULL,
    char_end           INTEGER NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, indicator, basis, metric, period_start, period_end, char_start)
);

CREATE TABLE terms (
    doc_id  VARCHAR NOT NULL,
    term    VARCHAR NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (doc_id, term)
);

CREATE TABLE segmentations (
    doc_id             VARCHAR PRIMARY KEY,
    tokens             INTEGER NOT NULL,
    segmenter          VARCHAR NOT NULL,
    segmenter_version  VARCHAR NOT NULL,
    dict_sha256        VARCHAR NOT NULL
);

CREATE TABLE runs (
    run_id             VARCHAR PRIMARY KEY,
    flow               VARCHAR NOT NULL,
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    pages_seen         INTEGER,
    pages_fetched      INTEGER,
    documents_new      INTEGER,
    documents_changed  INTEGER,
    errors             INTEGER
);

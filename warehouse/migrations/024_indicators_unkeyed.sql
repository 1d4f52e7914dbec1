-- indicators without a primary key on (doc_id, indicator, basis, metric,
-- period_start, period_end, char_start), as terms since 020. Every insert
-- checked the key's index, and DuckDB loaded more of it the larger it was
-- (2 MB of index buffers in a batch's load at 100 documents, 6 MB at 2,000:
-- the one index whose share of a batch's memory grew with the warehouse).
-- Uniqueness holds by construction: the loader writes a document's indicators
-- once, one row a key (warehouse/load.py `_indicator_rows`), after deleting
-- the document's old rows, in the batch's transaction.
CREATE TABLE indicators_unkeyed (
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
    extractor_version  VARCHAR NOT NULL
);
INSERT INTO indicators_unkeyed SELECT * FROM indicators;
DROP TABLE indicators;
ALTER TABLE indicators_unkeyed RENAME TO indicators;

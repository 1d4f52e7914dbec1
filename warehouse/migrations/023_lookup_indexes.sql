-- Indexes for the loader's per-batch lookups by the first column of a
-- composite primary key (pages by url, document_sources by doc_id). DuckDB
-- uses an index only for a lookup on all of its columns, so these lookups
-- scanned the column in every row group: with one row group a batch (vacuum
-- off), a block per loaded batch, a buffer that grew with the warehouse (6 MB
-- a lookup at 2,000 documents). With an index of their own they are point
-- lookups (warehouse/load.py `_in_list`).
CREATE INDEX IF NOT EXISTS pages_url ON pages (url);
CREATE INDEX IF NOT EXISTS document_sources_doc_id ON document_sources (doc_id);

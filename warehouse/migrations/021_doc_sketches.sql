-- A document's dedupe sketch (tasks/dedupe.py `sketch`): the shingle hashes of
-- its canonical body below 2**64 / 64, as little-endian uint64 bytes (2-3 KB a
-- report). Dedupe reads the sketches of the loaded documents a batch may merge
-- with and reads a body only where a sketch does not rule the merge out.
-- Documents loaded before this table have none and are always read.
CREATE TABLE doc_sketches (
    doc_id  VARCHAR PRIMARY KEY,
    sketch  BLOB NOT NULL
);

-- page_freshness: until when a URL's archived version is fresh by HTTP caching's
-- rules (tasks/freshness.py: Cache-Control max-age, Expires, or a tenth of the
-- time since Last-Modified; capped at 12 hours). A run does not request the URL
-- again before then. A cache's bookkeeping, not report data: a URL without a row
-- (a server that gives no freshness) is asked every run, conditionally.
CREATE TABLE page_freshness (
    url          VARCHAR PRIMARY KEY,
    fresh_until  TIMESTAMP NOT NULL
);

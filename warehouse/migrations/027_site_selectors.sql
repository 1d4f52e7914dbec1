-- site_selectors: the content_selector (sources.yaml) each source's pages are parsed
-- with, written by every run that crawls the source, so `govreports reprocess`
-- rebuilds a report from the archive as the crawl read it. A source without a row
-- is parsed with the automatic main-content detection.
CREATE TABLE site_selectors (
    source_name       VARCHAR PRIMARY KEY,
    content_selector  VARCHAR NOT NULL
);

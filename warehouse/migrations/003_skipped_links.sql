-- 003: links and pages the crawler decided not to take as reports, with the reason
-- (look-alikes such as 解读/图解/决议 are never fetched; fetched pages that turn out
-- not to be reports are in `pages` too). Upserted on url: a changed reason replaces
-- the old one; an unchanged one leaves the row alone, so a re-run changes no row.

CREATE TABLE skipped_links (
    url         VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    first_seen  TIMESTAMP NOT NULL
);

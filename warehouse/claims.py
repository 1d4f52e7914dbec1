"""Which region and plan year a report page that loaded nothing was meant to be.

A report link that answers 404, a page that turns out to be a news item, a PDF
that cannot be read: the warehouse records the page, but with no document
there is no region or year, and `coverage` would call the region-year
`missing` although a report was found. The listing that linked the page
usually names both (2019年岳阳县政府工作报告); its archived copy is read again
here, the link's text goes through the metadata stage, and a title naming no
region (2019年政府工作报告 on a county's own site) takes the one region all the
site's loaded reports have. No claim is made on weaker evidence.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from tasks.discover import page_links
from tasks.archive import RawArchive
from tasks.metadata import extract_metadata
from tasks.parse import decode_html
from tasks.records import CleanText


def record_report_claims(con: duckdb.DuckDBPyConnection, archive: RawArchive) -> int:
    """Claim the unloaded, unclaimed report pages the archived listings name; returns rows written."""
    pages = con.execute(
        """
        SELECT url, any_value(source_name), any_value(host) FROM pages
        WHERE role = 'report'
          AND url NOT IN (SELECT url FROM document_sources)
          AND url NOT IN (SELECT url FROM report_claims)
        GROUP BY url
        """
    ).fetchall()
    if not pages:
        return 0
    unloaded = {url: source for url, source, _ in pages}
    titles = _link_titles(con, archive, set(unloaded), {host for _, _, host in pages if host})
    site_regions = dict(con.execute(
        """
        SELECT s.source_name, min(d.region_code) FROM document_sources AS s JOIN documents AS d USING (doc_id)
        WHERE s.source_name IS NOT NULL AND d.region_code IS NOT NULL
        GROUP BY s.source_name HAVING count(DISTINCT d.region_code) = 1
        """
    ).fetchall())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for url, title in titles.items():
        meta = extract_metadata(CleanText(body="", header=title, title=title))
        region = meta.region_code or site_regions.get(unloaded[url])
        if region is not None and meta.plan_year is not None:
            rows.append((url, title, region, meta.plan_year, now))
    if rows:
        con.executemany("INSERT INTO report_claims VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
    return len(rows)


def _link_titles(con: duckdb.DuckDBPyConnection, archive: RawArchive, wanted: set[str],
                 hosts: set[str]) -> dict[str, str]:
    """The text of the links to `wanted` URLs on the latest archived version of the hosts' listing pages."""
    listings = con.execute(
        """
        SELECT coalesce(final_url, url), raw_path, charset FROM pages
        WHERE role = 'listing' AND raw_path IS NOT NULL AND error IS NULL AND host IN (SELECT unnest($hosts))
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
        """,
        {"hosts": sorted(hosts) or [""]},
    ).fetchall()
    titles: dict[str, str] = {}
    for base, raw_path, charset in listings:
        try:
            data = archive.get(raw_path)
        except FileNotFoundError:
            continue  # an archive moved away from its warehouse: nothing to read
        html, _ = decode_html(data, charset)
        for link in page_links(html, base):
            if link.url in wanted and link.text and link.url not in titles:
                titles[link.url] = link.text
    return titles

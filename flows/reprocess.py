"""Rebuild every document from the raw archive with the current code, without network.

The archive and the `pages` table are the source of truth; documents,
document_sources, indicators, terms and segmentations are derived and are
replaced in one transaction, so a failed reprocess leaves the old rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from flows import pipeline
from tasks.dedupe import group_copies
from tasks.fetch import RawArchive, ReportPage
from tasks.parse import ParseError, parse_document
from tasks.records import PageText
from warehouse import db as warehouse_db
from warehouse import load
from warehouse.topics import sync_topic_terms

DERIVED_TABLES = ("indicators", "terms", "segmentations", "document_sources", "documents")


def _latest_pages(con) -> list[tuple]:
    return con.execute(
        """
        SELECT url, role, part_of, coalesce(part_index, 0), source_name, content_type, charset, raw_sha256, raw_path
        FROM pages
        WHERE raw_path IS NOT NULL AND error IS NULL AND role IN ('report', 'part', 'attachment', 'file')
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
        """
    ).fetchall()


def archived_reports(con, archive: RawArchive, authority_of: dict[str, str]) -> tuple[list[ReportPage], list[tuple[str, str]]]:
    """Re-assemble report pages (parts in order) from archived bytes."""
    rows = _latest_pages(con)
    parts: dict[str, list[tuple]] = {}
    for row in rows:
        url, role, part_of = row[0], row[1], row[2]
        parts.setdefault(part_of if role in ("part", "attachment") and part_of else url, []).append(row)
    reports, failures = [], []
    for url, members in parts.items():
        members.sort(key=lambda r: (r[0] != url, r[3]))
        lines: list[str] = []
        title = site_name = None
        try:
            for m_url, _, _, _, _, content_type, charset, _, raw_path in members:
                page = parse_document(archive.get(raw_path), url=m_url, content_type=content_type, charset=charset)
                lines.extend(page.lines)
                title = title or page.title
                site_name = site_name or page.site_name
        except (ParseError, OSError) as error:
            failures.append((url, str(error)))
            continue
        source_name = members[0][4] or ""
        authority = authority_of.get(url) or _default_authority(url)
        reports.append(ReportPage(url=url, source_name=source_name, authority=authority,
                                  page=PageText(url=url, title=title, lines=tuple(lines), site_name=site_name),
                                  raw_sha256s=tuple(m[7] for m in members), changed=True))
    return reports, failures


def _default_authority(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return "official" if host.endswith(".gov.cn") else "mirror"


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reprocess(db_path: Path, runner: pipeline.StageRunner = pipeline.run_inline,
              batch_size: int = 100) -> pipeline.RunSummary:
    """Every document again from archived bytes; old derived rows are replaced in one transaction.

    Steps run per batch of pages (one task run each under Prefect), except the
    grouping of copies into documents, which must see every copy at once.
    """
    summary = pipeline.RunSummary(flow="reprocess")
    archive = RawArchive(warehouse_db.raw_dir_for(db_path))
    with warehouse_db.writer_lock(db_path):
        with warehouse_db.connect_writer(db_path) as con:
            sync_topic_terms(con)
            authority_of = dict(con.execute("SELECT url, authority FROM document_sources").fetchall())
            reports, failures = archived_reports(con, archive, authority_of)
        summary.failures.extend(failures)
        summary.pages_seen = len(reports) + len(failures)
        copies = []
        for chunk in _chunks(reports, batch_size):
            chunk_copies, skips = runner("clean-and-identify", pipeline.make_copies, chunk)
            copies.extend(chunk_copies)
            summary.skipped.extend((s.url, s.reason) for s in skips)
        del reports
        groups = runner("dedupe", group_copies, copies) if copies else []  # all at once: a copy may match any other
        docs = []
        for chunk in _chunks(groups, batch_size):
            docs.extend(runner("extract-and-segment", pipeline.analyse_groups, chunk))
        with warehouse_db.connect_writer(db_path) as con:
            con.execute("BEGIN")
            old_ids = {r[0] for r in con.execute("SELECT doc_id FROM documents").fetchall()}
            for table in DERIVED_TABLES:
                con.execute(f"DELETE FROM {table}")
            counts = load.load_documents(con, docs)
            new_ids = {d.doc_id for d in docs}
            summary.documents_changed = len(new_ids & old_ids)
            summary.documents_new = len(new_ids - old_ids)
            summary.indicators_loaded = counts.indicators_loaded
            con.execute("COMMIT")
        summary.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with warehouse_db.connect_writer(db_path) as con:
            load.record_run(con, summary.run_row())
    return summary

"""Rebuild every document from the raw archive with the current code, without network.

The archive and the `pages` table are the source of truth; documents,
document_sources, indicators, terms and segmentations are derived: they are
rebuilt a plan year a transaction. DuckDB holds a transaction's uncommitted
rows in memory (about 0.45 MB a document), so one transaction for the whole
warehouse would not fit at 85,000 reports. Each plan year's transaction
replaces the old documents that any of its copies belonged to, and a last one
drops the old documents no copy rebuilt (pages that are no longer reports), so
a reprocess that fails part-way loses nothing: the years it did not reach keep
their old rows (their extractor_version says so) until it is run again.

Memory is bounded by one plan year, not the corpus: archived pages are read
and cleaned a batch at a time (in the pipeline's worker processes), each
batch's copies are spilled to a temporary file per plan year, and then one
plan year at a time is grouped into documents, analysed and loaded. Copies
only ever merge within a plan year (tasks/dedupe.py), so the documents are
the same as when every copy is grouped at once.
"""

from __future__ import annotations

import datetime as dt
import pickle
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import duckdb

from flows import pipeline
from tasks.archive import RawArchive
from tasks.assemble import join_report, read_page
from tasks.dedupe import DocumentGroup, fingerprint, group_copies
from tasks.corrections import Correction
from tasks.parse import ParseError
from tasks.records import Copy, PageText, ReportPage, Skip
from warehouse import corrections as stored_corrections
from warehouse import db as warehouse_db
from warehouse import load
from warehouse.topics import sync_topic_terms

def drop_documents(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> None:
    """Every derived row of these documents, sources included (their pages and archived bytes stay)."""
    if doc_ids:
        con.execute("DELETE FROM document_sources WHERE doc_id IN (SELECT unnest(?))", [doc_ids])
        load.delete_documents(con, doc_ids)


def _latest_pages(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """
        SELECT url, role, part_of, coalesce(part_index, 0), source_name, content_type, charset, raw_sha256, raw_path,
               coalesce(final_url, url)
        FROM pages
        WHERE raw_path IS NOT NULL AND error IS NULL AND role IN ('report', 'part', 'attachment', 'file')
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
        """
    ).fetchall()


def report_members(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Each report URL with its archived pages (the report page first, then its parts in order): rows only, no bytes."""
    parts: dict[str, list[tuple]] = {}
    for row in _latest_pages(con):
        url, role, part_of = row[0], row[1], row[2]
        parts.setdefault(part_of if role in ("part", "attachment") and part_of else url, []).append(row)
    for url, members in parts.items():
        members.sort(key=lambda r: (r[0] != url, r[3]))
    return parts


def archived_reports(members_of: dict[str, list[tuple]], archive: RawArchive, authority_of: dict[str, str],
                     selector_of: dict[str, str]) -> Iterator[ReportPage | tuple[str, str]]:
    """Reports re-assembled from archived bytes as the crawl assembled them (tasks/assemble.py: each page
    read with its source's content_selector, the parts joined, an attachment in place of a page that only
    links to it), one at a time; one that cannot be read: (url, error)."""
    for url, members in members_of.items():
        selector = selector_of.get(members[0][4] or "")
        pages: list[tuple[tuple, PageText]] = []
        attachments: list[tuple[tuple, PageText]] = []
        try:
            for member in members:
                m_url, role, _, _, _, content_type, charset, _, raw_path, final_url = member
                page = read_page(archive.get(raw_path), url=final_url, content_type=content_type, charset=charset,
                                 content_selector=selector)
                (attachments if role == "attachment" else pages).append((member, page))
        except (ParseError, OSError, EOFError, zlib.error) as error:
            yield url, str(error) or type(error).__name__
            continue
        if not pages:
            yield url, "the report page is not in the archive (only its attachment)"
            continue
        # a text that is not a report is judged again, and skipped, where every copy is made (tasks/assemble.py
        # make_copy), so a correction of its kind can overrule the recognizer there
        joined = join_report(url, [page for _, page in pages], attachments[0][1] if attachments else None)
        used = pages + (attachments[:1] if joined.attachment_used else [])
        authority = authority_of.get(url) or _default_authority(url)
        yield ReportPage(url=url, source_name=members[0][4] or "", authority=authority, page=joined.page,
                         raw_sha256s=tuple(member[7] for member, _ in used), changed=True)


def _default_authority(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return "official" if host.endswith(".gov.cn") else "mirror"


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class CopiesByYear:
    """Copies spilled to one temporary file per plan year, read back a year at a time in the order they came."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[int | None, BinaryIO] = {}

    def add(self, copies: list[Copy]) -> None:
        by_year: dict[int | None, list[Copy]] = {}
        for copy in copies:
            by_year.setdefault(copy.meta.plan_year, []).append(copy)
        for year, year_copies in by_year.items():
            if year not in self.files:
                self.files[year] = open(self.folder / f"{year}.pickle", "w+b")  # closed in years()
            pickle.dump(year_copies, self.files[year], protocol=pickle.HIGHEST_PROTOCOL)

    def years(self) -> Iterator[list[Copy]]:
        """Every plan year's copies (unknown year last); each file is closed and removed once read."""
        for year in sorted(self.files, key=lambda y: (y is None, y or 0)):
            spill = self.files.pop(year)
            spill.seek(0)
            copies: list[Copy] = []
            with spill:
                while True:
                    try:
                        copies.extend(pickle.load(spill))
                    except EOFError:
                        break
            (self.folder / f"{year}.pickle").unlink()
            yield copies


def _spill(spilled: CopiesByYear, pages: int, made: Iterator, summary: pipeline.RunSummary,
           runner: pipeline.StageRunner) -> None:
    """A chunk's copies, collected from the workers, spilled to their plan years' files."""
    copies, skips = runner("clean-and-identify", pipeline.copies_and_skips, made)
    summary.skipped.extend((s.url, s.reason) for s in skips)
    spilled.add(copies)
    summary.pages_seen += pages
    pipeline._progress(summary)


def group_year(copies: list[Copy]) -> list[DocumentGroup]:
    """One plan year's copies grouped into documents; fingerprints made in the worker processes."""
    return group_copies(copies, pipeline.parallel_map(fingerprint, [c.clean.body for c in copies]))


def reprocess(db_path: Path, runner: pipeline.StageRunner = pipeline.run_inline,
              batch_size: int = 100, corrections: list[Correction] | None = None) -> pipeline.RunSummary:
    """Every document again from archived bytes; old derived rows are replaced, a plan year a transaction.

    Cleaning runs per batch of pages, grouping per plan year (copies of one
    report share it), extraction and segmentation per batch of documents (one
    task run each under Prefect). Pages that are not reports are recorded in
    `skipped_links`, as a backfill does. `corrections` (a corrections file's rows; None: those the
    warehouse stores) are applied to every copy, as in a backfill.
    """
    summary = pipeline.RunSummary(flow="reprocess")
    archive = RawArchive(warehouse_db.raw_dir_for(db_path))
    with warehouse_db.writer_lock(db_path):
        with warehouse_db.connect_writer(db_path) as con:
            sync_topic_terms(con)
            authority_of = dict(con.execute("SELECT url, authority FROM document_sources").fetchall())
            members_of = report_members(con)
            selector_of = load.site_selectors(con)
            old_ids = {r[0] for r in con.execute("SELECT doc_id FROM documents").fetchall()}
            resolved = stored_corrections.resolve(con, corrections)
        lookup = resolved.lookup()
        with tempfile.TemporaryDirectory(prefix=".reprocess-", dir=db_path.parent) as spill_dir:
            spilled = CopiesByYear(Path(spill_dir))
            cleaning: tuple[int, Iterator] | None = None  # a chunk in the workers while the next is read and parsed
            for chunk in _chunks(archived_reports(members_of, archive, authority_of, selector_of), batch_size):
                reports = [r for r in chunk if isinstance(r, ReportPage)]
                summary.failures.extend(r for r in chunk if isinstance(r, tuple))
                started = (len(chunk), pipeline.start_copies(reports, lookup))
                if cleaning is not None:
                    _spill(spilled, *cleaning, summary, runner)
                cleaning = started
            if cleaning is not None:
                _spill(spilled, *cleaning, summary, runner)
            del members_of, authority_of
            with warehouse_db.connect_writer(db_path) as con:
                rebuilt: set[str] = set()
                for copies in spilled.years():
                    con.execute("BEGIN")  # a plan year at a time: see the module's docstring
                    replaced = con.execute("SELECT DISTINCT doc_id FROM document_sources WHERE url IN (SELECT unnest(?))",
                                           [[c.url for c in copies]]).fetchall()
                    drop_documents(con, [doc_id for (doc_id,) in replaced if doc_id not in rebuilt])
                    groups = pipeline.correct_groups(runner("dedupe", group_year, copies), lookup)
                    del copies
                    chunks = list(_chunks(groups, batch_size))
                    analysing = pipeline.submit(pipeline.analysed, [g.canonical for g in chunks[0]]) if chunks else None
                    for n, chunk in enumerate(chunks):  # the next chunk is analysed in the workers while this one loads
                        analyses = analysing
                        if n + 1 < len(chunks):
                            analysing = pipeline.submit(pipeline.analysed, [g.canonical for g in chunks[n + 1]])
                        built = runner("extract-and-segment", pipeline.documents, chunk, analyses)
                        docs = [doc for doc in built if not isinstance(doc, Skip)]
                        summary.skipped.extend((s.url, s.reason) for s in built if isinstance(s, Skip))
                        summary.indicators_loaded += load.load_documents(con, docs).indicators_loaded
                        new_ids = {d.doc_id for d in docs}
                        rebuilt |= new_ids
                        summary.documents_changed += len(new_ids & old_ids)
                        summary.documents_new += len(new_ids - old_ids)
                        pipeline._progress(summary)
                    con.execute("COMMIT")
                con.execute("BEGIN")
                drop_documents(con, sorted(old_ids - rebuilt))
                load.record_skips(con, summary.skipped)
                stored_corrections.save(con, resolved)
                con.execute("COMMIT")
        summary.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with warehouse_db.connect_writer(db_path) as con:
            load.record_run(con, summary.run_row())
    return summary

"""Write dispositions, made explicit.

- pages: append-only, one row per (url, content version); a re-fetch of the
  same bytes or a 304 adds nothing.
- documents and their children (indicators, terms, segmentations, doc_sketches): replaced
  per document, keyed on doc_id, only when the document is new, its sources
  changed or the extractor version changed, so an identical re-run changes no row.
- document_sources: upserted on (doc_id, url).
- doc_aliases: when a better copy re-bases a document, old doc_id -> new doc_id.
- skipped_links: upserted on url; only a changed reason rewrites the row.
Every batch is one transaction: a crash leaves the previous batch intact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import numpy as np

from tasks.dedupe import LoadedSketch
from tasks.records import CleanText, Copy, DocumentMeta, Known, LoadedDocument, PageFetch


@dataclass
class LoadCounts:
    documents_new: int = 0
    documents_changed: int = 0
    indicators_loaded: int = 0
    written: dict[str, str] = field(default_factory=dict)  # doc_id -> "new" | "changed", the documents written


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


POINT_LOOKUPS_MAX = 2048  # DuckDB's index_scan_max_count: past it DuckDB scans the table anyway


def _in_list(values: list) -> tuple[str, list]:
    """`(?, ?, …)` and its parameters, for a lookup by key: DuckDB answers a constant IN list on an indexed
    column from the index (a point lookup a value), where `IN (SELECT unnest(?))` scans the column in every
    row group, a block per loaded batch (one row group a batch: vacuum is off). A longer list (a reprocess
    dropping a whole warehouse's documents) is scanned either way, and parsed 20x faster as one list."""
    if len(values) > POINT_LOOKUPS_MAX:
        return "(SELECT unnest(?))", [list(values)]
    return "(" + ", ".join("?" * len(values)) + ")", list(values)


def version_key(fetch: PageFetch) -> str:
    if fetch.raw_sha256:
        return fetch.raw_sha256
    if fetch.error:
        return "error:" + fetch.error
    return f"status:{fetch.http_status}"


def load_pages(con: duckdb.DuckDBPyConnection, fetches: Iterable[PageFetch]) -> int:
    """Append fetches that are a new content version of their URL. Returns rows added."""
    fetches = list(fetches)
    rows = [
        (
            f.url, f.final_url, f.host, f.source_name, f.fetched_at, f.http_status, f.content_type, f.charset,
            f.raw_sha256, f.raw_path, f.etag, f.last_modified, f.error, f.role, f.part_of, f.part_index, version_key(f),
        )
        for f in fetches
        if not f.not_modified
    ]
    record_page_status(con, fetches)
    record_freshness(con, fetches)
    if rows:  # a version the table holds already (robots.txt answering 404 on every run) adds nothing
        urls = list({row[0] for row in rows})
        in_urls, params = _in_list(urls)
        present = set(con.execute(f"SELECT url, version_key FROM pages WHERE url IN {in_urls}", params).fetchall())
        versions: dict[tuple[str, str], tuple] = {}
        for row in rows:
            versions.setdefault((row[0], row[-1]), row)  # a version fetched twice in a batch: the first fetch
        rows = [row for key, row in versions.items() if key not in present]
    if not rows:
        return 0  # no Arrow table to build: a no-op run does not import pandas for it
    _bulk_insert(con, "pages", PAGE_COLUMNS, rows)  # new keys only: no ON CONFLICT (see `_bulk_insert`)
    return len(rows)


def record_page_status(con: duckdb.DuckDBPyConnection, fetches: Iterable[PageFetch]) -> None:
    """How each URL answered this time, 304s included (`pages` skips them); an unchanged outcome writes nothing."""
    latest = {f.url: f for f in fetches}  # the last fetch of a URL in this batch
    if not latest:
        return
    answers = {url: (f.error is None and (f.raw_sha256 is not None or f.not_modified), f.error)
               for url, f in latest.items()}
    in_urls, params = _in_list(list(latest))
    held = set()  # recorded with another answer
    for url, ok, error in con.execute(f"SELECT url, ok, error FROM page_status WHERE url IN {in_urls}", params).fetchall():
        if answers[url] == (ok, error):
            del latest[url]  # answers as recorded: a no-op run ends here, without building an Arrow table
        else:
            held.add(url)
    rows = [(url, answers[url][0], f.http_status, f.error, f.fetched_at) for url, f in latest.items()]
    _upsert(con, "page_status", PAGE_STATUS_COLUMNS, rows, held, """
        ON CONFLICT (url) DO UPDATE SET ok = excluded.ok, http_status = excluded.http_status,
            error = excluded.error, since = excluded.since""")


def record_freshness(con: duckdb.DuckDBPyConnection, fetches: Iterable[PageFetch]) -> None:
    """Until when each page asked this time is fresh (tasks/freshness.py); an answer that gives no freshness
    drops the page's earlier time (a `--revalidate` run can ask a page before it ran out)."""
    asked = {f.url: f.fresh_until for f in fetches if not f.fresh}
    if not asked:
        return
    in_urls, params = _in_list(list(asked))
    held = {url for (url,) in con.execute(f"SELECT url FROM page_freshness WHERE url IN {in_urls}", params).fetchall()}
    if ended := [url for url in held if asked[url] is None]:
        in_ended, ended_params = _in_list(ended)
        con.execute(f"DELETE FROM page_freshness WHERE url IN {in_ended}", ended_params)
    _upsert(con, "page_freshness", {"url": "string", "fresh_until": "string"},
            [(url, until) for url, until in asked.items() if until], held,
            "ON CONFLICT (url) DO UPDATE SET fresh_until = excluded.fresh_until")


def known_pages(con: duckdb.DuckDBPyConnection) -> dict[str, Known]:
    """The latest good version of every URL, for conditional requests, with a report's parts and how they last answered."""
    rows = con.execute(
        """
        SELECT p.url, p.etag, p.last_modified, p.raw_sha256, p.final_url, p.content_type,
               CASE WHEN coalesce(s.ok, true) THEN f.fresh_until END
        FROM pages p LEFT JOIN page_status s USING (url) LEFT JOIN page_freshness f USING (url)
        WHERE p.raw_sha256 IS NOT NULL AND p.error IS NULL
        QUALIFY row_number() OVER (PARTITION BY p.url ORDER BY p.fetched_at DESC) = 1
        """
    ).fetchall()
    parts: dict[str, list[tuple[str, str, int, bool]]] = {}
    for part_of, url, role, index, ok in con.execute(
        """
        SELECT p.part_of, p.url, p.role, coalesce(p.part_index, 0), coalesce(s.ok, false)
        FROM pages p LEFT JOIN page_status s USING (url)
        WHERE p.part_of IS NOT NULL AND p.role IN ('part', 'attachment')
        QUALIFY row_number() OVER (PARTITION BY p.url ORDER BY p.fetched_at DESC) = 1
        ORDER BY p.part_of, coalesce(p.part_index, 0), p.url
        """
    ).fetchall():
        parts.setdefault(part_of, []).append((url, role, index, ok))
    # Only a page whose document is loaded may skip assembly on a 304: a page committed in one batch
    # whose report (its parts, its document) was in a batch a kill cut short must be assembled again.
    loaded = {url for (url,) in con.execute("SELECT DISTINCT url FROM document_sources").fetchall()}
    judged = {url for (url,) in con.execute("SELECT url FROM skipped_links").fetchall()}
    return {url: Known(etag=etag, last_modified=lm, raw_sha256=sha,
                       parts=tuple(parts.get(url, ())) if url in loaded else None, settled=url in loaded or url in judged,
                       final_url=final_url, content_type=content_type,
                       fresh_until=fresh_until.replace(tzinfo=dt.UTC) if fresh_until else None)
            for url, etag, lm, sha, final_url, content_type, fresh_until in rows}


def loaded_sketches(con: duckdb.DuckDBPyConnection, wanted: set[tuple[int | None, str | None]]) -> list[LoadedSketch]:
    """Loaded documents that new copies, given as (plan_year, region_code), may merge with, by their sketches.

    Only what dedupe could merge: the same plan year and the same region (or
    a region unknown on either side). A real corpus has ~3,000 reports per
    plan year; their bodies are read (`loaded_copies`) only where a sketch
    does not rule the merge out.
    """
    years = sorted({y for y, _ in wanted if y is not None})
    if not years:
        return []
    any_region = sorted({y for y, code in wanted if y is not None and code is None})
    pairs = sorted({f"{y}:{code}" for y, code in wanted if y is not None and code is not None})
    rows = con.execute(
        """
        SELECT d.doc_id, d.plan_year, d.region_code, k.sketch
        FROM documents d LEFT JOIN doc_sketches k ON k.doc_id = d.doc_id
        WHERE d.plan_year IN (SELECT unnest($years))
          AND (d.region_code IS NULL OR d.plan_year IN (SELECT unnest($any_region))
               OR CAST(d.plan_year AS VARCHAR) || ':' || d.region_code IN (SELECT unnest($pairs)))
        ORDER BY d.doc_id
        """,
        {"years": years, "any_region": any_region or [-1], "pairs": pairs or [""]},
    ).fetchall()
    return [LoadedSketch(doc_id, plan_year, code, None if blob is None else np.frombuffer(blob, dtype="<u8"))
            for doc_id, plan_year, code, blob in rows]


def loaded_copies(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list[Copy]:
    """The canonical copies of these loaded documents, as dedupe compares them with new copies."""
    if not doc_ids:
        return []
    in_ids, params = _in_list(doc_ids)
    rows = con.execute(
        f"""
        SELECT d.doc_id, d.title, d.region_code, d.region_name, d.city, d.province, d.level, d.plan_year,
               d.review_start, d.review_end, CAST(d.delivered_on AS VARCHAR), d.speaker, d.body, d.canonical_url,
               coalesce(s.authority, 'mirror'), s.source_name, s.copy_sha256,
               d.region_rule, d.region_evidence, d.plan_year_rule, d.plan_year_evidence, d.kind_rule, d.kind_evidence,
               d.confidence, d.corrected
        FROM documents d LEFT JOIN document_sources s ON s.doc_id = d.doc_id AND s.url = d.canonical_url
        WHERE d.doc_id IN {in_ids}
        ORDER BY d.doc_id
        """,
        params,
    ).fetchall()
    copies = []
    for (doc_id, title, code, name, city, province, level, plan_year, rs, re_, delivered, speaker, body, url,
         authority, source_name, copy_sha, *evidence) in rows:
        meta = DocumentMeta(title, code, name, city, province, level, plan_year, rs, re_, delivered, speaker,
                            **dict(zip(EVIDENCE_FIELDS, evidence)))
        copies.append(
            Copy(url=url, source_name=source_name, authority=authority, clean=CleanText(body=body, header="", title=title),
                 meta=meta, raw_sha256=copy_sha or "", extra={"doc_id": doc_id})
        )
    return copies


def _document_row(doc: LoadedDocument, loaded_at: dt.datetime, source_count: int) -> tuple:
    m, body = doc.canonical.meta, doc.canonical.clean.body
    return (
        doc.doc_id, m.title, m.region_code, m.region_name, m.city, m.province, m.level, m.plan_year,
        m.review_start, m.review_end, m.delivered_on, m.speaker, body, len(body), doc.canonical.url,
        source_count, doc.extractor_version, loaded_at,
        *(getattr(m, name) for name in EVIDENCE_FIELDS),
    )


def delete_documents(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> None:
    """These documents' rows and their children's (their sources are the caller's: moved or dropped)."""
    if doc_ids:
        in_ids, params = _in_list(doc_ids)
        for table in ("indicators", "terms", "segmentations", "doc_sketches", "documents"):
            con.execute(f"DELETE FROM {table} WHERE doc_id IN {in_ids}", params)


def _absorb(con: duckdb.DuckDBPyConnection, doc: LoadedDocument, now: dt.datetime) -> None:
    """Move the sources of documents this one replaces to it, drop their rows, keep their ids as aliases."""
    for old_id in doc.replaces - {doc.doc_id}:
        con.execute(
            "UPDATE document_sources SET doc_id = ? WHERE doc_id = ? AND url NOT IN "
            "(SELECT url FROM document_sources WHERE doc_id = ?)",
            [doc.doc_id, old_id, doc.doc_id],
        )
        con.execute("DELETE FROM document_sources WHERE doc_id = ?", [old_id])
        delete_documents(con, [old_id])
        con.execute("UPDATE doc_aliases SET doc_id = ? WHERE doc_id = ?", [doc.doc_id, old_id])
        con.execute("INSERT OR REPLACE INTO doc_aliases VALUES (?, ?, ?)", [old_id, doc.doc_id, now])


def load_documents(con: duckdb.DuckDBPyConnection, docs: list[LoadedDocument]) -> LoadCounts:
    """Upsert documents with their sources, indicators and terms (caller holds the transaction).

    What is already loaded is read in two queries and everything is written in
    one bulk statement per table: a query per document and table (about ten)
    cost more than all the other loading together.
    """
    counts = LoadCounts()
    if not docs:
        return counts
    now = _now()
    for doc in docs:
        _absorb(con, doc, now)
    ids = [doc.doc_id for doc in docs]
    in_ids, params = _in_list(ids)
    versions = dict(con.execute(f"SELECT doc_id, extractor_version FROM documents WHERE doc_id IN {in_ids}",
                                params).fetchall())
    listed: dict[str, dict[str, tuple]] = {}
    held: set[tuple[str, str]] = set()  # (doc_id, url) rows the table holds: an upsert updates these
    for doc_id, url, sha, similarity in con.execute(
            f"SELECT doc_id, url, copy_sha256, similarity FROM document_sources WHERE doc_id IN {in_ids}",
            params).fetchall():
        listed.setdefault(doc_id, {})[url] = (sha, similarity)
        held.add((doc_id, url))
    source_rows: dict[tuple[str, str], tuple] = {}
    pending: dict[str, LoadedDocument] = {}
    for doc in docs:
        for old_id in doc.replaces - {doc.doc_id}:
            pending.pop(old_id, None)  # absorbed by a later document of this batch
        sources = listed.setdefault(doc.doc_id, {})
        sources_changed = False
        for copy, similarity in doc.sources:
            if sources.get(copy.url) == (copy.raw_sha256, similarity):
                continue
            sources_changed = True
            sources[copy.url] = (copy.raw_sha256, similarity)
            source_rows[(doc.doc_id, copy.url)] = (doc.doc_id, copy.url, copy.source_name, copy.authority,
                                                   copy.raw_sha256, similarity, now, now, local_path(copy.url))
        existing = versions.get(doc.doc_id)
        if existing == doc.extractor_version and not sources_changed and not doc.replaces - {doc.doc_id}:
            continue
        if existing is None:
            counts.documents_new += 1
        else:
            counts.documents_changed += 1
        counts.written[doc.doc_id] = "new" if existing is None else "changed"
        counts.indicators_loaded += len(doc.indicators)
        pending[doc.doc_id] = doc
    _upsert(con, "document_sources", SOURCE_COLUMNS, list(source_rows.values()), held, """
        ON CONFLICT (doc_id, url) DO UPDATE SET copy_sha256 = excluded.copy_sha256,
            similarity = excluded.similarity, authority = excluded.authority, last_seen = excluded.last_seen""",
            key=lambda row: (row[0], row[1]))
    delete_documents(con, [doc_id for doc_id in pending if doc_id in versions])  # a new document has no rows yet
    _bulk_insert(con, "documents", DOCUMENT_COLUMNS,
                 [_document_row(doc, now, len(listed[doc.doc_id])) for doc in pending.values()])
    _bulk_insert(con, "segmentations", SEGMENTATION_COLUMNS,
                 [(d.doc_id, d.tokens, d.segmenter, d.segmenter_version, d.dict_sha256) for d in pending.values()])
    _bulk_insert(con, "indicators", INDICATOR_COLUMNS, [row for doc in pending.values() for row in _indicator_rows(doc)])
    _insert_terms(con, list(pending.values()))
    _bulk_insert(con, "doc_sketches", SKETCH_COLUMNS,
                 [(d.doc_id, d.sketch) for d in pending.values() if d.sketch is not None])
    return counts


def _indicator_rows(doc: LoadedDocument) -> list[tuple]:
    """The first of two indicators with one key wins, as ON CONFLICT DO NOTHING did."""
    meta = doc.canonical.meta
    rows: dict[tuple, tuple] = {}
    for i in doc.indicators:
        rows.setdefault(
            (i.indicator, i.basis, i.metric, i.period_start, i.period_end, i.char_start),
            (doc.doc_id, meta.region_code, meta.plan_year, i.indicator, i.basis, i.metric, i.period_start,
             i.period_end, i.value, i.value_high, i.unit, i.qualifier, i.is_estimate, i.evidence,
             i.char_start, i.char_end, doc.extractor_version),
        )
    return list(rows.values())


PAGE_COLUMNS = {
    "url": "string", "final_url": "string", "host": "string", "source_name": "string", "fetched_at": "string",
    "http_status": "int32", "content_type": "string", "charset": "string", "raw_sha256": "string",
    "raw_path": "string", "etag": "string", "last_modified": "string", "error": "string", "role": "string",
    "part_of": "string", "part_index": "int32", "version_key": "string",
}
DOCUMENT_COLUMNS = {
    "doc_id": "string", "title": "string", "region_code": "string", "region_name": "string", "city": "string",
    "province": "string", "level": "string", "plan_year": "int32", "review_start": "int32", "review_end": "int32",
    "delivered_on": "string", "speaker": "string", "body": "string", "char_count": "int32",
    "canonical_url": "string", "source_count": "int32", "extractor_version": "string", "loaded_at": "timestamp[us]",
    "region_rule": "string", "region_evidence": "string", "plan_year_rule": "string", "plan_year_evidence": "string",
    "kind_rule": "string", "kind_evidence": "string", "confidence": "float64", "corrected": "bool",
}
EVIDENCE_FIELDS = ("region_rule", "region_evidence", "plan_year_rule", "plan_year_evidence", "kind_rule",
                   "kind_evidence", "confidence", "corrected")
PAGE_STATUS_COLUMNS = {"url": "string", "ok": "bool", "http_status": "int32", "error": "string", "since": "string"}
SOURCE_COLUMNS = {
    "doc_id": "string", "url": "string", "source_name": "string", "authority": "string", "copy_sha256": "string",
    "similarity": "float64", "first_seen": "timestamp[us]", "last_seen": "timestamp[us]", "path": "string",
}


def local_path(url: str) -> str | None:
    """A saved file's path as its owner reads it (`file:///…/%E4%B8%B9….txt` -> `/…/丹东市_2014.txt`); None for a web page."""
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else None
SKETCH_COLUMNS = {"doc_id": "string", "sketch": "binary"}
SEGMENTATION_COLUMNS = {"doc_id": "string", "tokens": "int32", "segmenter": "string", "segmenter_version": "string",
                        "dict_sha256": "string"}
INDICATOR_COLUMNS = {
    "doc_id": "string", "region_code": "string", "plan_year": "int32", "indicator": "string", "basis": "string",
    "metric": "string", "period_start": "int32", "period_end": "int32", "value": "float64", "value_high": "float64",
    "unit": "string", "qualifier": "string", "is_estimate": "bool", "evidence": "string", "char_start": "int32",
    "char_end": "int32", "extractor_version": "string",
}


def _upsert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple], held: set,
            conflict: str, key: Callable[[tuple], Any] = lambda row: row[0]) -> None:
    """Rows whose key the table holds (`held`, found by a point lookup) through `conflict`, the others as
    plain inserts (see `_bulk_insert`)."""
    _bulk_insert(con, table, columns, [row for row in rows if key(row) not in held])
    _bulk_insert(con, table, columns, [row for row in rows if key(row) in held], conflict=conflict)


def _bulk_insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple],
                 conflict: str = "") -> None:
    """Insert rows through an Arrow table: DuckDB's executemany manages ~1-3k rows/s, this ~100k.

    An ON CONFLICT clause makes DuckDB read the table's blocks in every row group (a block per loaded batch)
    even when no row conflicts, so callers pass only rows whose keys a point lookup found (`_in_list`)
    through one, and insert new keys without it.
    """
    if not rows:
        return
    import pyarrow as pa

    arrow = pa.table({name: pa.array([row[k] for row in rows], type=pa.type_for_alias(kind))
                      for k, (name, kind) in enumerate(columns.items())})
    con.register("_bulk_rows", arrow)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM _bulk_rows {conflict}")
    finally:
        con.unregister("_bulk_rows")


def _insert_terms(con: duckdb.DuckDBPyConnection, docs: list[LoadedDocument]) -> None:
    """Terms as whole columns: the documents' packed terms joined into one Arrow string array."""
    docs = [doc for doc in docs if len(doc.terms)]
    if not docs:
        return
    import pyarrow as pa

    starts = np.cumsum([0] + [len(doc.terms.text) for doc in docs[:-1]])
    offsets = np.concatenate([np.zeros(1, np.int64)] + [doc.terms.ends + start for doc, start in zip(docs, starts)])
    text = b"".join(doc.terms.text for doc in docs)
    terms = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(text))
    doc_ids = pa.array([doc.doc_id for doc in docs], pa.string()).take(
        pa.array(np.repeat(np.arange(len(docs)), [len(doc.terms) for doc in docs])))
    arrow = pa.table({"doc_id": doc_ids, "term": terms, "count": pa.array(np.concatenate([d.terms.counts for d in docs]))})
    con.register("_term_rows", arrow)
    try:
        con.execute("INSERT INTO terms (doc_id, term, count) SELECT * FROM _term_rows")
    finally:
        con.unregister("_term_rows")


def record_skips(con: duckdb.DuckDBPyConnection, skips: Iterable[tuple[str, str]]) -> None:
    """Remember why a link or page was not taken as a report (look-alike, robots.txt, not a report...)."""
    now = _now()
    rows = [(url, reason, now) for url, reason in dict(skips).items()]
    if rows:
        con.executemany(
            """
            INSERT INTO skipped_links VALUES (?, ?, ?)
            ON CONFLICT (url) DO UPDATE SET reason = excluded.reason WHERE skipped_links.reason <> excluded.reason
            """,
            rows,
        )


def record_selectors(con: duckdb.DuckDBPyConnection, selectors: dict[str, str | None]) -> None:
    """The content_selector each crawled source is parsed with now (none: automatic), for `reprocess`."""
    for source_name, selector in selectors.items():
        if selector:
            con.execute("INSERT OR REPLACE INTO site_selectors VALUES (?, ?)", [source_name, selector])
        else:
            con.execute("DELETE FROM site_selectors WHERE source_name = ?", [source_name])


def site_selectors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT source_name, content_selector FROM site_selectors").fetchall())


def record_run(con: duckdb.DuckDBPyConnection, run: dict) -> None:
    con.execute(
        """
        INSERT OR REPLACE INTO runs VALUES ($run_id, $flow, $started_at, $finished_at, $pages_seen, $pages_fetched,
            $documents_new, $documents_changed, $errors)
        """,
        run,
    )

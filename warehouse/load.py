"""Write dispositions, made explicit.

- pages: append-only, one row per (url, content version); a re-fetch of the
  same bytes or a 304 adds nothing.
- documents and their children (indicators, terms, segmentations): replaced
  per document, keyed on doc_id, only when the document is new, its sources
  changed or the extractor version changed, so an identical re-run changes no row.
- document_sources: upserted on (doc_id, url).
- doc_aliases: when a better copy re-bases a document, old doc_id -> new doc_id.
- skipped_links: upserted on url; only a changed reason rewrites the row.
Every batch is one transaction: a crash leaves the previous batch intact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from tasks.fetch import Known, PageFetch
from tasks.records import CleanText, Copy, DocumentMeta, Indicator


@dataclass
class LoadedDocument:
    """Everything the loader writes for one document."""

    doc_id: str
    canonical: Copy
    sources: list[tuple[Copy, float]]
    indicators: list[Indicator]
    tokens: int
    terms: dict[str, int]
    segmenter: str
    segmenter_version: str
    dict_sha256: str
    extractor_version: str
    replaces: set[str]  # previous doc_ids merged into this one


@dataclass
class LoadCounts:
    documents_new: int = 0
    documents_changed: int = 0
    indicators_loaded: int = 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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
    if not rows:
        return 0
    before = con.execute("SELECT count(*) FROM pages").fetchone()[0]
    con.executemany(
        "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
    )
    return con.execute("SELECT count(*) FROM pages").fetchone()[0] - before


def record_page_status(con: duckdb.DuckDBPyConnection, fetches: Iterable[PageFetch]) -> None:
    """How each URL answered this time, 304s included (`pages` skips them); an unchanged outcome writes nothing."""
    latest = {f.url: f for f in fetches}  # the last fetch of a URL in this batch
    if not latest:
        return
    import pyarrow as pa

    status = pa.table({
        "url": pa.array(list(latest), pa.string()),
        "ok": pa.array([f.error is None and f.raw_sha256 is not None for f in latest.values()], pa.bool_()),
        "http_status": pa.array([f.http_status for f in latest.values()], pa.int32()),
        "error": pa.array([f.error for f in latest.values()], pa.string()),
        "since": pa.array([f.fetched_at for f in latest.values()], pa.string()),
    })
    con.register("_page_status_rows", status)
    try:
        con.execute(
            """
            INSERT INTO page_status SELECT url, ok, http_status, error, CAST(since AS TIMESTAMP) FROM _page_status_rows
            ON CONFLICT (url) DO UPDATE SET ok = excluded.ok, http_status = excluded.http_status,
                error = excluded.error, since = excluded.since
            WHERE page_status.ok <> excluded.ok OR page_status.error IS DISTINCT FROM excluded.error
            """
        )
    finally:
        con.unregister("_page_status_rows")


def known_pages(con: duckdb.DuckDBPyConnection) -> dict[str, Known]:
    """The latest good version of every URL, for conditional requests."""
    rows = con.execute(
        """
        SELECT url, etag, last_modified, raw_sha256 FROM pages
        WHERE raw_sha256 IS NOT NULL AND error IS NULL
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
        """
    ).fetchall()
    return {url: Known(etag=etag, last_modified=lm, raw_sha256=sha) for url, etag, lm, sha in rows}


def loaded_copies(con: duckdb.DuckDBPyConnection, plan_years: set[int | None]) -> list[Copy]:
    """Canonical copies of loaded documents that new copies may merge with."""
    years = [y for y in plan_years if y is not None]
    if not years:
        return []
    rows = con.execute(
        f"""
        SELECT d.doc_id, d.title, d.region_code, d.region_name, d.city, d.province, d.level, d.plan_year,
               d.review_start, d.review_end, CAST(d.delivered_on AS VARCHAR), d.speaker, d.body, d.canonical_url,
               coalesce(s.authority, 'mirror'), s.source_name, s.copy_sha256
        FROM documents d LEFT JOIN document_sources s ON s.doc_id = d.doc_id AND s.url = d.canonical_url
        WHERE d.plan_year IN ({",".join("?" * len(years))})
        """,
        years,
    ).fetchall()
    copies = []
    for (doc_id, title, code, name, city, province, level, plan_year, rs, re_, delivered, speaker, body, url,
         authority, source_name, copy_sha) in rows:
        meta = DocumentMeta(title, code, name, city, province, level, plan_year, rs, re_, delivered, speaker)
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
    )


def _delete_document(con: duckdb.DuckDBPyConnection, doc_id: str) -> None:
    for table in ("indicators", "terms", "segmentations", "documents"):
        con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])


def load_documents(con: duckdb.DuckDBPyConnection, docs: list[LoadedDocument]) -> LoadCounts:
    """Upsert documents with their sources, indicators and terms (caller holds the transaction)."""
    counts = LoadCounts()
    now = _now()
    # thousands of rows per document: one bulk insert per batch, not executemany
    pending: dict[str, tuple[list[tuple], list[tuple]]] = {}  # doc_id -> (indicator rows, term rows)
    for doc in docs:
        existing = con.execute(
            "SELECT extractor_version FROM documents WHERE doc_id = ?", [doc.doc_id]
        ).fetchone()
        for old_id in doc.replaces - {doc.doc_id}:
            con.execute(
                "UPDATE document_sources SET doc_id = ? WHERE doc_id = ? AND url NOT IN "
                "(SELECT url FROM document_sources WHERE doc_id = ?)",
                [doc.doc_id, old_id, doc.doc_id],
            )
            con.execute("DELETE FROM document_sources WHERE doc_id = ?", [old_id])
            _delete_document(con, old_id)
            pending.pop(old_id, None)
            con.execute("UPDATE doc_aliases SET doc_id = ? WHERE doc_id = ?", [doc.doc_id, old_id])
            con.execute("INSERT OR REPLACE INTO doc_aliases VALUES (?, ?, ?)", [old_id, doc.doc_id, now])

        sources_changed = _upsert_sources(con, doc, now)
        source_count = con.execute(
            "SELECT count(*) FROM document_sources WHERE doc_id = ?", [doc.doc_id]
        ).fetchone()[0]
        if existing is not None and existing[0] == doc.extractor_version and not sources_changed and not doc.replaces - {doc.doc_id}:
            continue
        if existing is None:
            counts.documents_new += 1
        else:
            counts.documents_changed += 1
        _delete_document(con, doc.doc_id)
        con.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _document_row(doc, now, source_count),
        )
        meta = doc.canonical.meta
        indicator_rows: dict[tuple, tuple] = {}
        for i in doc.indicators:  # the first of two rows with one key wins, as ON CONFLICT DO NOTHING did
            indicator_rows.setdefault(
                (i.indicator, i.basis, i.metric, i.period_start, i.period_end, i.char_start),
                (doc.doc_id, meta.region_code, meta.plan_year, i.indicator, i.basis, i.metric, i.period_start,
                 i.period_end, i.value, i.value_high, i.unit, i.qualifier, i.is_estimate, i.evidence,
                 i.char_start, i.char_end, doc.extractor_version),
            )
        pending[doc.doc_id] = (list(indicator_rows.values()), [(doc.doc_id, t, c) for t, c in doc.terms.items()])
        counts.indicators_loaded += len(doc.indicators)
        con.execute(
            "INSERT INTO segmentations VALUES (?, ?, ?, ?, ?)",
            [doc.doc_id, doc.tokens, doc.segmenter, doc.segmenter_version, doc.dict_sha256],
        )
    _bulk_insert(con, "indicators", INDICATOR_COLUMNS, [row for rows, _ in pending.values() for row in rows])
    _bulk_insert(con, "terms", TERM_COLUMNS, [row for _, rows in pending.values() for row in rows])
    return counts


INDICATOR_COLUMNS = {
    "doc_id": "string", "region_code": "string", "plan_year": "int32", "indicator": "string", "basis": "string",
    "metric": "string", "period_start": "int32", "period_end": "int32", "value": "float64", "value_high": "float64",
    "unit": "string", "qualifier": "string", "is_estimate": "bool", "evidence": "string", "char_start": "int32",
    "char_end": "int32", "extractor_version": "string",
}
TERM_COLUMNS = {"doc_id": "string", "term": "string", "count": "int32"}


def _bulk_insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """Insert rows through an Arrow table: DuckDB's executemany manages ~1-3k rows/s, this ~100k."""
    if not rows:
        return
    import pyarrow as pa

    arrow = pa.table({name: pa.array([row[k] for row in rows], type=pa.type_for_alias(kind))
                      for k, (name, kind) in enumerate(columns.items())})
    con.register("_bulk_rows", arrow)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM _bulk_rows")
    finally:
        con.unregister("_bulk_rows")


def _upsert_sources(con: duckdb.DuckDBPyConnection, doc: LoadedDocument, now: dt.datetime) -> bool:
    """Add copies not yet listed; True when the document's source list changed."""
    changed = False
    for copy, similarity in doc.sources:
        row = con.execute(
            "SELECT copy_sha256, similarity FROM document_sources WHERE doc_id = ? AND url = ?",
            [doc.doc_id, copy.url],
        ).fetchone()
        if row == (copy.raw_sha256, similarity):
            continue
        changed = True
        con.execute(
            """
            INSERT INTO document_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (doc_id, url) DO UPDATE SET copy_sha256 = excluded.copy_sha256,
                similarity = excluded.similarity, authority = excluded.authority, last_seen = excluded.last_seen
            """,
            [doc.doc_id, copy.url, copy.source_name, copy.authority, copy.raw_sha256, similarity, now, now],
        )
    return changed


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


def record_run(con: duckdb.DuckDBPyConnection, run: dict) -> None:
    con.execute(
        """
        INSERT OR REPLACE INTO runs VALUES ($run_id, $flow, $started_at, $finished_at, $pages_seen, $pages_fetched,
            $documents_new, $documents_changed, $errors)
        """,
        run,
    )

"""A run's corrections (tasks/corrections.py) made true in the warehouse before it fetches anything.

The stages apply corrections to every copy they make, so new pages load corrected. Documents loaded
already whose corrections changed since the last run (added, changed or dropped) are rebuilt here
from their archived pages, as `reprocess` rebuilds every document: their region, plan year,
indicators and kind come out as the corrections say (or, a correction dropped, as the text says). A
run whose corrections are as stored rebuilds nothing and writes no row.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flows import pipeline
from flows.reprocess import archived_reports, drop_documents, report_members
from tasks.archive import RawArchive
from tasks.corrections import Correction, Corrections, apply, corrected_away, corrected_kind
from tasks.dedupe import fingerprint, group_copies
from tasks.records import LoadedDocument, ReportPage, Skip
from warehouse import corrections as stored
from warehouse import db as warehouse_db
from warehouse import load

log = logging.getLogger("govreports.corrections")


def apply_to_warehouse(db_path: Path, given: list[Correction] | None, summary: pipeline.RunSummary) -> Corrections:
    """Rebuild the loaded documents whose corrections changed, store the corrections; returns them for the run's
    stages. `given`: the run's corrections file (None: apply the stored corrections). The caller holds the
    writer lock."""
    with warehouse_db.connect_writer(db_path) as con:
        resolved = stored.resolve(con, given)
        if resolved.is_stored():
            return resolved.lookup()
        sources_of: dict[str, set[str]] = {}
        for doc_id, url in con.execute(
                "SELECT doc_id, url FROM document_sources WHERE doc_id IN "
                "(SELECT doc_id FROM document_sources WHERE url IN (SELECT unnest(?)))",
                [sorted(resolved.changed_urls)]).fetchall():
            sources_of.setdefault(doc_id, set()).add(url)
        wanted = resolved.changed_urls.union(*sources_of.values())
        members_of = {url: members for url, members in report_members(con).items() if url in wanted}
        authority_of = dict(con.execute("SELECT url, authority FROM document_sources").fetchall())
        selector_of = load.site_selectors(con)
    lookup = resolved.lookup()
    reports = []
    skips: list[Skip] = []
    for report in archived_reports(members_of, RawArchive(warehouse_db.raw_dir_for(db_path)), authority_of,
                                   selector_of):
        if isinstance(report, ReportPage):
            reports.append(report)
        else:
            summary.failures.append(report)
    readable = {report.url for report in reports}
    # A document whose every copy is archived is rebuilt from them; one that is not (its archive lost) from its
    # loaded row, so that no document is lost: its corrections apply, but a dropped one cannot be undone.
    from_rows = {doc_id for doc_id, urls in sources_of.items() if not urls <= readable}
    kept_urls = set().union(*(sources_of[doc_id] for doc_id in from_rows))
    copies, made_skips = pipeline.copies_and_skips(pipeline.start_copies(
        [r for r in reports if r.url not in kept_urls], lookup))
    skips += made_skips
    with warehouse_db.connect_writer(db_path) as con:
        loaded = load.loaded_copies(con, sorted(from_rows))
    for copy in loaded:
        fixes = {}
        for url in sorted(sources_of[copy.extra["doc_id"]]):
            fixes |= lookup.for_copy(url, copy.extra["doc_id"])
        if corrected_kind(fixes) == "not_report":
            skips += [Skip(url, corrected_away(fixes)) for url in sorted(sources_of[copy.extra["doc_id"]])]
        else:
            copy.meta = apply(copy.meta, fixes)
            copies.append(copy)
    if from_rows:
        log.warning("%d documents were corrected from their loaded rows: their pages are not in the archive %s",
                    len(from_rows), warehouse_db.raw_dir_for(db_path))
    groups = pipeline.correct_groups(group_copies(copies, pipeline.parallel_map(fingerprint, [c.clean.body for c in copies])),
                                     lookup)
    built = pipeline.analyse_groups(groups)
    docs = [doc for doc in built if isinstance(doc, LoadedDocument)]
    skips += [skip for skip in built if isinstance(skip, Skip)]
    rebuilt = {d.doc_id for d in docs}
    dropped = set(sources_of)
    with warehouse_db.connect_writer(db_path) as con:
        con.execute("BEGIN")
        load.delete_documents(con, sorted(from_rows))  # their sources stay: the same copies
        drop_documents(con, sorted(dropped - (from_rows & rebuilt)))
        counts = load.load_documents(con, docs)
        load.record_skips(con, [(s.url, s.reason) for s in skips])
        con.execute("DELETE FROM skipped_links WHERE url IN (SELECT unnest(?))",
                    [[c.url for d in docs for c, _ in d.sources]])
        stored.save(con, resolved)
        con.execute("COMMIT")
    summary.documents_changed += len(rebuilt & dropped)
    summary.documents_new += len(rebuilt - dropped)
    summary.indicators_loaded += counts.indicators_loaded
    summary.skipped.extend((s.url, s.reason) for s in skips)
    if dropped or docs:
        log.info("corrections changed: %d documents rebuilt, %d taken out", len(rebuilt), len(dropped - rebuilt))
    return lookup

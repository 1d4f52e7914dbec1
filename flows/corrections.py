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
from tasks.corrections import Correction, Corrections
from tasks.dedupe import fingerprint, group_copies
from tasks.fetch import RawArchive, ReportPage
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
        dropped = {doc_id for (doc_id,) in con.execute(
            "SELECT DISTINCT doc_id FROM document_sources WHERE url IN (SELECT unnest(?))",
            [sorted(resolved.changed_urls)]).fetchall()}
        rebuilt_urls = resolved.changed_urls | {url for (url,) in con.execute(
            "SELECT url FROM document_sources WHERE doc_id IN (SELECT unnest(?))", [sorted(dropped)]).fetchall()}
        members_of = {url: members for url, members in report_members(con).items() if url in rebuilt_urls}
        authority_of = dict(con.execute("SELECT url, authority FROM document_sources").fetchall())
    lookup = resolved.lookup()
    reports = []
    for report in archived_reports(members_of, RawArchive(warehouse_db.raw_dir_for(db_path)), authority_of):
        if isinstance(report, ReportPage):
            reports.append(report)
        else:
            summary.failures.append(report)
    copies, skips = pipeline.copies_and_skips(pipeline.start_copies(reports, lookup))
    groups = pipeline.correct_groups(group_copies(copies, pipeline.parallel_map(fingerprint, [c.clean.body for c in copies])),
                            lookup)
    docs = pipeline.analyse_groups(groups)
    with warehouse_db.connect_writer(db_path) as con:
        con.execute("BEGIN")
        drop_documents(con, sorted(dropped))
        counts = load.load_documents(con, docs)
        load.record_skips(con, [(s.url, s.reason) for s in skips])
        con.execute("DELETE FROM skipped_links WHERE url IN (SELECT unnest(?))",
                    [[c.url for d in docs for c, _ in d.sources]])
        stored.save(con, resolved)
        con.execute("COMMIT")
    rebuilt = {d.doc_id for d in docs}
    summary.documents_changed += len(rebuilt & dropped)
    summary.documents_new += len(rebuilt - dropped)
    summary.indicators_loaded += counts.indicators_loaded
    summary.skipped.extend((s.url, s.reason) for s in skips)
    if dropped or docs:
        log.info("corrections changed: %d documents rebuilt, %d taken out", len(rebuilt), len(dropped - rebuilt))
    return lookup


"""`reprocess` rebuilds the same warehouse a backfill makes, a plan year at a time, and records skipped pages.

A multi-year fixture (the national reports 2005-2025 as saved files, with exact
and edited mirror copies of some years and a page that is not a report) plus
the sample web (official pages, a report split over two pages, a farm's
watermarked mirror) is backfilled; reprocess, in small batches so copies of one
report land in different batches, must give the same rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from flows.reprocess import reprocess
from tasks.sources import load_sources

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"
MIRRORED_YEARS = ("2008", "2013", "2019", "2024")

TABLES = {
    "documents": "SELECT * EXCLUDE (loaded_at) FROM documents",
    "document_sources": "SELECT doc_id, url, source_name, authority, copy_sha256, similarity FROM document_sources",
    "indicators": "SELECT * FROM indicators",
    "terms": "SELECT * FROM terms",
    "segmentations": "SELECT * FROM segmentations",
    "skipped_links": "SELECT url, reason FROM skipped_links",
}


def saved_reports(folder: Path) -> Path:
    """Every national report, plus for a few years an exact copy and a mirror that lost a paragraph and gained a
    watermark, plus a notice that is not a report."""
    folder.mkdir()
    for path in sorted(NATIONAL.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    mirrors = folder / "mirrors"
    mirrors.mkdir()
    for year in MIRRORED_YEARS:
        text = (NATIONAL / f"{year}.txt").read_text(encoding="utf-8")
        (mirrors / f"copy-{year}.txt").write_text(text, encoding="utf-8")
        paragraphs = [p for p in text.split("\n") if p.strip()]
        edited = paragraphs[:5] + ["本文来源：某某资讯网 www.example.com"] + paragraphs[6:]
        (mirrors / f"edited-{year}.txt").write_text("\n".join(edited), encoding="utf-8")
    notice = "关于召开会议的通知\n各单位：定于下周一召开全体会议，请准时参加。\n"
    (folder / "notice.txt").write_text(notice, encoding="utf-8")
    return folder


def rows(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(query).fetchall(), key=repr) for table, query in TABLES.items()}


def test_reprocess_gives_the_rows_of_a_fresh_backfill_and_records_skips(sample_site, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    sites = load_sources(str(sample_site.write_sources(tmp_path / "s.yaml")))
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites, from_dir=saved_reports(tmp_path / "saved"))
    backfilled = rows(db)
    with duckdb.connect(str(db), read_only=True) as con:
        years = {y for (y,) in con.execute("SELECT DISTINCT plan_year FROM documents").fetchall()}
        merged = con.execute("SELECT count(*) FROM (SELECT doc_id FROM document_sources"
                             " GROUP BY doc_id HAVING count(*) > 1)").fetchone()[0]
    assert len(years) >= 20 and merged >= len(MIRRORED_YEARS) + 1  # the fixture does hold several years and mirrors
    assert any(url.endswith("notice.txt") for url, _ in backfilled["skipped_links"])
    with duckdb.connect(str(db)) as con:
        # As in a warehouse loaded before reprocess recorded them: the archived pages' skips are gone (links the
        # crawler rejected by their title were never archived, so they stay).
        con.execute("DELETE FROM skipped_links WHERE url IN (SELECT url FROM pages)")

    seen = []
    pipeline.progress_hooks.append(lambda s: seen.append((s.pages_seen, s.documents_changed)))
    try:
        summary = reprocess(db, batch_size=3)
    finally:
        pipeline.progress_hooks.clear()

    assert rows(db) == backfilled  # same doc ids, sources, indicators, terms, skips
    assert summary.documents_new == 0 and summary.documents_changed == len(backfilled["documents"])
    assert len(seen) > 10 and seen[-1] == (summary.pages_seen, summary.documents_changed)
    assert sorted(seen) == seen  # progress only grows

    again = reprocess(db, batch_size=100)  # one batch: the slicing does not change the result, nor does a rerun
    assert rows(db) == backfilled and again.documents_changed == summary.documents_changed
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE flow = 'reprocess'").fetchone()[0] == 2
    assert not list(tmp_path.glob(".reprocess-*"))  # the spilled copies are gone


class Interrupted(Exception):
    pass


def test_a_reprocess_that_fails_part_way_loses_no_document(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved_reports(tmp_path / "saved"))
    backfilled = rows(db)
    years_done = []

    def fail_on_third_year(name, fn, *args):
        if name == "dedupe":
            years_done.append(name)
            if len(years_done) == 3:
                raise Interrupted("killed while rebuilding the third plan year")
        return fn(*args)

    with pytest.raises(Interrupted):
        reprocess(db, runner=fail_on_third_year)

    # The two plan years rebuilt are committed, the rest keep their old rows: every document is still there.
    assert rows(db)["documents"] == backfilled["documents"]
    assert rows(db)["indicators"] == backfilled["indicators"]
    reprocess(db)
    assert rows(db) == backfilled

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


def test_reprocess_builds_a_crawled_report_as_the_crawl_did(tmp_path):
    """One assembly path (tasks/assemble.py): a site read with a content_selector, a report split over two pages
    and one whose page only links to its PDF come back from the archive as the crawl made them."""
    from tasks.fetch import FetchConfig
    from tasks.sources import Site
    from tests.webfixture import FixtureWeb, article_html, listing_html, make_pdf, wrap

    paragraphs = [p for p in (NATIONAL / "2019.txt").read_text(encoding="utf-8").splitlines() if p.strip()]
    half = len(paragraphs) // 2
    pdf_text = [p for p in (NATIONAL / "2021.txt").read_text(encoding="utf-8").splitlines() if p.strip()][:40]
    # the site's notes after the report, inside its article: automatic detection leaves them out, the
    # site's selector (the whole article) takes them in, and so must a rebuild from the archive
    aside = "<div class='note'>" + "".join(f"<p>编者按第{i}条：{'本报告中的增长速度按可比价格计算，部分数据为初步统计数。' * 3}</p>"
                                           for i in range(8)) + "</div>"
    with FixtureWeb() as web:
        gov = web.host("gov")
        gov.add("/list/", listing_html([("/r2019.html", "2019年政府工作报告"), ("/r2021.html", "2021年政府工作报告")]))
        gov.add("/r2019.html", article_html("2019年政府工作报告", paragraphs[:half], site="中国政府网", extra_body=aside)
                .replace("</div>" + aside, '<a href="/r2019_2.html">下一页</a></div>' + aside).encode("gb18030"))
        gov.add("/r2019_2.html", article_html("2019年政府工作报告", paragraphs[half:], site="中国政府网",
                                              extra_body=aside).encode("gb18030"))
        gov.add("/r2021.html", article_html("2021年政府工作报告", ['全文：<a href="/files/r2021.pdf">2021年政府工作报告.pdf</a>'],
                                            site="中国政府网").encode("gb18030"))
        gov.add("/files/r2021.pdf", make_pdf([line for p in pdf_text for line in wrap(p, 40)], "2021年政府工作报告"),
                content_type="application/pdf")
        site = Site(name="gov", start_urls=(gov.url("/list/"),), min_delay=0, max_concurrency=4,
                    content_selector="div.article")
        db = tmp_path / "warehouse.duckdb"
        pipeline.run_pipeline(flow="backfill", db_path=db, sites=[site],
                              config=FetchConfig(retries=0, respect_robots=False))
    crawled = rows(db)
    with duckdb.connect(str(db), read_only=True) as con:
        roles = dict(con.execute("SELECT regexp_extract(url, '/[^/]*$'), role FROM pages").fetchall())
        bodies = [b for (b,) in con.execute("SELECT body FROM documents").fetchall()]
    assert roles["/r2019_2.html"] == "part" and roles["/r2021.pdf"] == "attachment"
    assert len(crawled["documents"]) == 2 and any("编者按第7条" in body for body in bodies)

    reprocess(db)
    assert rows(db) == crawled  # documents, sources, indicators, terms, segmentations, skips


def test_a_reprocess_goes_on_past_a_text_that_fails(tmp_path, monkeypatch):
    """A text the current code fails on (here: its cleaner and its extractor raise) is skipped with the reason;
    the other documents are rebuilt and the run ends normally."""
    from tasks import assemble

    folder = tmp_path / "saved"
    folder.mkdir()
    for year in ("2019", "2021", "2022"):
        shutil.copy(NATIONAL / f"{year}.txt", folder / f"{year}.txt")
    db = tmp_path / "warehouse.duckdb"
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=folder)
    real_clean, real_analyse = assemble.clean_page, pipeline.analyse

    def clean_page(page):
        if page.url.endswith("2019.txt"):
            raise RecursionError("maximum recursion depth exceeded")
        return real_clean(page)

    def analyse(copy):
        if copy.url.endswith("2021.txt"):
            raise ValueError("no such unit")
        return real_analyse(copy)

    monkeypatch.setattr(assemble, "clean_page", clean_page)
    monkeypatch.setattr(pipeline, "analyse", analyse)
    # the faults are patched into this process: the work stays here, not in worker processes started earlier
    monkeypatch.setattr(pipeline, "submit", lambda fn, items: (fn(item) for item in items))
    summary = reprocess(db)
    skipped = dict(summary.skipped)
    assert skipped[(folder / "2019.txt").resolve().as_uri()] == "cleaning failed: RecursionError: maximum recursion depth exceeded"
    assert skipped[(folder / "2021.txt").resolve().as_uri()] == "extracting failed: ValueError: no such unit"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT plan_year FROM documents").fetchall() == [(2022,)]

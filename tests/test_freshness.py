"""HTTP freshness: a page its server says is still fresh is not asked again; a kill's half-loaded report is.

A re-run on the same day sends no request for a page whose response is fresh
(Cache-Control max-age, Expires, or a tenth of the time since Last-Modified,
RFC 9111 §4.2), capped at 12 hours so the daily scrape still revalidates.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import httpx
import pytest

from flows import pipeline
from tasks.fetch import FetchConfig
from tasks.freshness import fresh_until
from tasks.sources import Site
from tests.conftest import expire_freshness
from tests.webfixture import FixtureWeb, listing_html

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def fresh(cap: timedelta = DAY, stored_last_modified: str | None = None, **headers: str) -> datetime | None:
    return fresh_until(httpx.Headers({k.replace("_", "-"): v for k, v in headers.items()}), NOW,
                       stored_last_modified, cap)


@pytest.mark.parametrize("headers, expected", [
    ({"cache_control": "max-age=600"}, NOW + timedelta(seconds=600)),
    ({"cache_control": "public, max-age=600", "age": "100"}, NOW + timedelta(seconds=500)),
    ({"cache_control": "max-age=600", "expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, NOW + timedelta(seconds=600)),
    ({"expires": "Tue, 10 Mar 2026 13:00:00 GMT", "date": "Tue, 10 Mar 2026 12:00:00 GMT"}, NOW + timedelta(hours=1)),
    ({"expires": "0"}, None),  # an invalid Expires means already expired
    ({"cache_control": "no-cache", "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, None),
    ({"cache_control": "no-store, max-age=600"}, None),
    ({"cache_control": "max-age=0"}, None),
    ({"etag": '"abc"'}, None),  # no freshness given, none to guess: ask every time
    # heuristic: a tenth of the time since Last-Modified (20 days ago -> 2 days), capped at a day
    ({"last_modified": "Fri, 18 Feb 2026 12:00:00 GMT", "date": "Tue, 10 Mar 2026 12:00:00 GMT"}, NOW + DAY),
    ({"last_modified": "Tue, 10 Mar 2026 02:00:00 GMT", "date": "Tue, 10 Mar 2026 12:00:00 GMT"}, NOW + timedelta(hours=1)),
    ({"last_modified": "Wed, 11 Mar 2026 00:00:00 GMT"}, None),  # modified "in the future": no guess
    ({"cache_control": "max-age=31536000"}, NOW + DAY),  # a year's freshness is capped too
])
def test_freshness_follows_rfc_9111(headers, expected):
    assert fresh(**headers) == expected


def test_a_304_without_last_modified_keeps_the_archived_versions_and_no_cap_means_no_freshness():
    stored = "Fri, 18 Feb 2026 12:00:00 GMT"
    assert fresh(stored_last_modified=stored, date="Tue, 10 Mar 2026 12:00:00 GMT") == NOW + DAY
    assert fresh(cap=timedelta(0), cache_control="max-age=600") is None


def page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='TRS_Editor'>{paragraphs}</div></body></html>").encode()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A listing (max-age=0: asked every run), a report with Last-Modified (fresh for hours), one with no-cache."""
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    with FixtureWeb() as web:
        host = web.host("gov")
        host.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        host.add("/list.html", listing_html([("/a.html", "2023年政府工作报告"), ("/b.html", "2024年政府工作报告")]),
                 headers={"Cache-Control": "max-age=0"})
        host.add("/a.html", page("2023年政府工作报告", (NATIONAL / "2023.txt").read_text(encoding="utf-8")))
        host.add("/b.html", page("2024年政府工作报告", (NATIONAL / "2024.txt").read_text(encoding="utf-8")),
                 headers={"Cache-Control": "no-cache"})
        yield host, [Site("gov", (host.url("/list.html"),), min_delay=0)], tmp_path / "w.duckdb"


def rows(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                for table in ("pages", "page_status", "documents", "document_sources", "indicators", "terms")}


def query_columns(db: Path, table: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [column for (column,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()]


def asked(host) -> list[str]:
    return sorted(r.path for r in host.requests() if r.path != "/robots.txt")


def test_a_fresh_page_is_not_asked_again_until_its_freshness_runs_out(site):
    host, sites, db = site
    first = pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    assert first.documents_new == 2
    before = rows(db)
    host.clear_log()

    again = pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites)
    assert asked(host) == ["/b.html", "/list.html"]  # a.html is fresh: not asked
    assert all("if-none-match" in r.headers for r in host.requests() if r.path != "/robots.txt")
    assert (again.pages_unchanged, again.pages_fresh, again.documents_new, again.documents_changed) == (4, 1, 0, 0)
    assert rows(db) == before

    # a fresh page's change is seen once its freshness has run out (at most 12 hours later)
    host.add("/a.html", page("2023年政府工作报告", (NATIONAL / "2023.txt").read_text(encoding="utf-8")
                             .replace("极为重要的一年", "极为重要的一年（修订）", 1)))
    pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites)
    assert rows(db)["documents"] == before["documents"]
    expire_freshness(db)
    host.clear_log()
    later = pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites)
    assert asked(host) == ["/a.html", "/b.html", "/list.html"]
    assert later.documents_changed + later.documents_new == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE body LIKE '%（修订）%'").fetchone()[0] == 1


def test_revalidate_asks_about_every_page_and_a_zero_cap_turns_freshness_off(site):
    host, sites, db = site
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    for config in (FetchConfig(revalidate=True), FetchConfig(max_freshness=0)):
        host.clear_log()
        again = pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites, config=config)
        assert asked(host) == ["/a.html", "/b.html", "/list.html"] and again.pages_fresh == 0, config
        assert all("if-none-match" in r.headers for r in host.requests() if r.path != "/robots.txt")


def test_an_answer_without_freshness_ends_the_earlier_one(site):
    """Asked before its freshness ran out (--revalidate), a page whose server no longer sends Last-Modified
    is asked again on every later run."""
    host, sites, db = site
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    body = page("2023年政府工作报告", (NATIONAL / "2023.txt").read_text(encoding="utf-8"))
    host.add("/a.html", body, conditional=False)  # the same page, now without ETag and Last-Modified
    pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites, config=FetchConfig(revalidate=True))
    host.clear_log()
    again = pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites)
    assert asked(host) == ["/a.html", "/b.html", "/list.html"] and again.pages_fresh == 0
    assert again.documents_new == again.documents_changed == 0


def test_a_report_whose_document_a_kill_cut_off_is_loaded_again_even_when_fresh(site):
    """Pages and documents of a report can land in two batches; a kill between them left the pages
    committed and the document missing. The next run makes the document, though nothing changed."""
    host, sites, db = site
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    complete = rows(db)
    with duckdb.connect(str(db)) as con:
        [(doc_id,)] = con.execute("SELECT doc_id FROM document_sources WHERE url = ?", [host.url("/a.html")]).fetchall()
        pipeline_tables = ("documents", "document_sources", "indicators", "terms", "segmentations", "doc_sketches")
        for table in pipeline_tables:
            con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
    host.clear_log()
    again = pipeline.run_pipeline(flow="scrape", db_path=db, sites=sites)
    assert "/a.html" not in asked(host)  # still fresh: its archived version is used
    assert again.documents_new == 1
    restored = rows(db)
    assert restored["indicators"] == complete["indicators"] and restored["terms"] == complete["terms"]
    loaded_at = query_columns(db, "documents").index("loaded_at")
    assert [row[:loaded_at] + row[loaded_at + 1:] for row in restored["documents"]] == \
        [row[:loaded_at] + row[loaded_at + 1:] for row in complete["documents"]]  # but loaded_at


def test_the_cli_reruns_ask_nothing_fresh_unless_told_to_revalidate(prefect_harness, capsys, site):
    """`govreports scrape` right after a backfill asks only what is not fresh; `--revalidate` asks everything."""
    import json

    from flows.cli import main

    host, sites, db = site
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    sources = db.parent / "sources.yaml"
    sources.write_text(f"sites:\n  - name: gov\n    start_urls: ['{host.url('/list.html')}']\n    min_delay: 0\n",
                       encoding="utf-8")
    for flags, expected_asked, expected_fresh in (([], ["/b.html", "/list.html"], 1),
                                                  (["--revalidate"], ["/a.html", "/b.html", "/list.html"], 0)):
        host.clear_log()
        capsys.readouterr()
        assert main(["scrape", "--sources", str(sources), "--db", str(db), "--json", *flags]) == 0
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert asked(host) == expected_asked and report["pages_fresh"] == expected_fresh, flags
        assert report["documents_new"] == report["documents_changed"] == 0

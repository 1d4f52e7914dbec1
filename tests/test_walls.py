"""A bot wall is named, never parsed as content: `pages.error` = `blocked: <kind>`, inspect's reason, the run's summary.

The fixture pages (tests/fixtures/walls/) are minimal copies of what portals
serve a crawler: a 瑞数-style JavaScript challenge, a cloud firewall's
拒绝执行 page, a cookie-and-reload interstitial; and a real report page that
talks about firewalls, which is a report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from flows import console, pipeline
from flows.cli import main
from flows.prefect_flows import summary_markdown
from tasks.assemble import Blocked, read_page
from tasks.fetch import FetchConfig
from tasks.sources import Site
from tasks.walls import wall_kind
from tests.webfixture import FixtureWeb, article_html, listing_html

WALLS = Path(__file__).parent / "fixtures" / "walls"
NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"


def fixture(name: str) -> str:
    return (WALLS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name, kind", [
    ("rs_challenge.html", "js-challenge (瑞数)"),
    ("waf_refused.html", "firewall"),
    ("enable_js.html", "js-challenge"),
])
def test_a_wall_is_named_by_its_kind(name, kind):
    assert wall_kind(fixture(name)) == kind
    with pytest.raises(Blocked, match=f"^blocked: {re.escape(kind)}$"):
        read_page(fixture(name).encode("utf-8"), url=f"https://www.example.gov.cn/{name}", content_type="text/html",
                  charset=None)


def test_a_report_that_mentions_firewalls_is_a_report():
    page = fixture("report_on_firewalls.html")
    assert wall_kind(page) is None
    text = read_page(page.encode("utf-8"), url="https://www.example.gov.cn/r.html", content_type="text/html",
                     charset=None)
    assert any("防火墙" in line for line in text.lines)


def test_a_short_listing_with_a_captcha_search_box_is_not_a_wall():
    links = "".join(f'<li><a href="/r{n}.html">{2015 + n}年政府工作报告</a></li>' for n in range(8))
    page = f"<html><head><title>政府工作报告</title></head><body><form>站内搜索 验证码<input></form><ul>{links}</ul></body></html>"
    assert wall_kind(page) is None


def national_report_page() -> bytes:
    paragraphs = [p for p in (NATIONAL / "2019.txt").read_text(encoding="utf-8").splitlines() if p.strip()]
    paragraphs.insert(5, "我们加强网络安全防护，政务网站部署防火墙，对异常访问拒绝执行，访问被拒绝的攻击请求大幅减少。")
    return article_html("2019年政府工作报告", paragraphs, site="中国政府网").encode("gb18030")


def test_a_crawl_records_walls_and_the_summary_says_what_to_do(tmp_path):
    with FixtureWeb() as web:
        gov = web.host("gov")
        gov.add("/list/", listing_html([("/a.html", "2019年政府工作报告"), ("/b.html", "2018年政府工作报告"),
                                        ("/c.html", "2017年政府工作报告"), ("/d.html", "2016年政府工作报告")]))
        gov.add("/a.html", national_report_page())
        gov.add("/b.html", fixture("rs_challenge.html"), status=412)
        gov.add("/c.html", fixture("waf_refused.html"), status=403)
        gov.add("/d.html", fixture("enable_js.html"))  # a challenge served with 200
        site = Site(name="gov", start_urls=(gov.url("/list/"),), min_delay=0, max_concurrency=4)
        db = tmp_path / "warehouse.duckdb"
        summary = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[site],
                                        config=FetchConfig(retries=0, respect_robots=False))
        netloc = gov.netloc
    with duckdb.connect(str(db), read_only=True) as con:
        errors = dict(con.execute("SELECT regexp_extract(url, '/[^/]*$'), error FROM pages").fetchall())
        documents = con.execute("SELECT plan_year FROM documents").fetchall()
        skipped = con.execute("SELECT count(*) FROM skipped_links").fetchone()[0]
    assert errors == {"/": None, "/a.html": None, "/b.html": "blocked: js-challenge (瑞数)",
                      "/c.html": "blocked: firewall", "/d.html": "blocked: js-challenge"}
    assert documents == [(2019,)] and skipped == 0  # the walls are errors, not "not a report"

    text = console.summary_text({"warehouse": str(db)}, summary.failures, lambda *a: "", 1.0)
    assert f"blocked by a bot wall (1 hosts)" in text and f"  {netloc}: " in text and "--from-dir" in text
    markdown = summary_markdown(summary)
    assert "### Blocked by a bot wall (1 hosts)" in markdown and "mirror" in markdown and netloc in markdown


def test_inspect_gives_a_blocked_reason(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GOVREPORTS_DB", str(tmp_path / "data" / "warehouse.duckdb"))
    (tmp_path / "wall.html").write_text(fixture("waf_refused.html"), encoding="utf-8")
    assert main(["inspect", str(tmp_path / "wall.html"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["is_report"] is False and row["reason"].startswith("blocked: firewall")


def test_backfill_json_lists_the_blocked_pages_with_what_to_do(prefect_harness, tmp_path, capsys, monkeypatch):
    """Pages saved from a portal that served its wall instead: the run's --json names them."""
    from tests.test_cli import run

    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "wall.html").write_text(fixture("rs_challenge.html"), encoding="utf-8")
    (saved / "report.html").write_bytes(national_report_page())
    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(tmp_path / "w.duckdb"), "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["documents_new"] == 1
    assert report["failed_pages"] == [{"url": (saved / "wall.html").resolve().as_uri(),
                                       "error": "blocked: js-challenge (瑞数)"}]
    [blocked] = report["blocked_hosts"]
    assert blocked["wall"] == "js-challenge (瑞数)" and "--from-dir" in blocked["what_to_do"]

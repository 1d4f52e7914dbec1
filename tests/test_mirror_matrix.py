"""The mirror matrix: every seed as an official page, a forum thread, a split
content-farm article with a watermark, and a PDF, crawled from four hosts,
becomes exactly one document per report with all four copies as its sources.

Each copy carries the seed's own scraped junk plus its template's chrome, so
this is the whole path: discover, fetch, parse, clean, identify, dedupe, load.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import run_pipeline
from flows.sample_site import Page, farm_article, forum_thread, gov_article, listing_page, seed_lines, serve_hosts
from tasks.sources import Site
from tests.conftest import GOLD, gold_documents
from tests.webfixture import make_pdf, wrap

FARM = "范文大全网"  # not in the cleaner's list of known farms: found from the page itself
UTF8 = "text/html; charset=utf-8"


def _seeds() -> list[tuple[int, str, dict]]:
    return [(n, file, gold) for n, (file, gold) in enumerate(sorted(gold_documents().items()))]


def _gov_host() -> dict[str, Page]:
    pages: dict[str, Page] = {}
    links = []
    for n, file, gold in _seeds():
        title = f"{gold['region_name']}{gold['plan_year']}年政府工作报告"
        path = f"/zwgk/zfgzbg/t2020_{n}.html"
        links.append((path, title))
        pages[path] = (gov_article("人民政府门户网站", title, seed_lines(file)).encode("utf-8"), UTF8)
    pages["/zwgk/zfgzbg/index.html"] = (listing_page("人民政府门户网站", "政府工作报告", links, "").encode("utf-8"), UTF8)
    return pages


def _forum_host() -> dict[str, Page]:
    pages: dict[str, Page] = {}
    rows = []
    for n, file, gold in _seeds():
        title = f"[转载] {gold['region_name']}政府工作报告（{gold['plan_year']}年）"
        rows.append(f'<tr><th><a href="thread-{n}-1-1.html">{html.escape(title)}</a></th></tr>')
        pages[f"/thread-{n}-1-1.html"] = (forum_thread(title, seed_lines(file)).encode("utf-8"), UTF8)
    board = f'<html><head><meta charset="utf-8"><title>区域经济</title></head><body><table>{"".join(rows)}</table></body></html>'
    pages["/forum-1-1.html"] = (board.encode("utf-8"), UTF8)
    return pages


def _farm_host() -> dict[str, Page]:
    """Each report split over two pages (n.html, n_1.html), the farm's name inserted into sentences."""
    pages: dict[str, Page] = {}
    items = []
    for n, file, gold in _seeds():
        title = f"{gold['plan_year']}年{gold['region_name']}政府工作报告"
        lines = seed_lines(file)
        half = len(lines) // 2
        pager = f'<a href="{n}.html">1</a> <a href="{n}_1.html">2</a> <a href="{n}_1.html">下一页</a>'
        first = farm_article(FARM, title, lines[:half], FARM, tail=False, pager=pager)
        second = farm_article(FARM, title, lines[half:], FARM, preamble=False, pager=pager)
        pages[f"/fanwen/{n}.html"] = (first.encode("utf-8"), UTF8)
        pages[f"/fanwen/{n}_1.html"] = (second.encode("utf-8"), UTF8)
        items.append(f'<li><a href="/fanwen/{n}.html">{html.escape(title)}</a></li>')
    listing = f'<html><head><meta charset="utf-8"><title>公文 - {FARM}</title></head><body><ul>{"".join(items)}</ul></body></html>'
    pages["/fanwen/index.html"] = (listing.encode("utf-8"), UTF8)
    return pages


def _pdf_host() -> dict[str, Page]:
    """Each report as a PDF with printed line breaks inside sentences."""
    pages: dict[str, Page] = {}
    items = []
    for n, file, gold in _seeds():
        printed = [piece for line in seed_lines(file) for piece in wrap(line, 38)]
        pages[f"/files/{n}.pdf"] = (make_pdf(printed), "application/pdf")
        items.append(f'<li><a href="/files/{n}.pdf">{gold["region_name"]}{gold["plan_year"]}年政府工作报告（PDF版）</a></li>')
    listing = f'<html><head><meta charset="utf-8"><title>文件下载</title></head><body><ul>{"".join(items)}</ul></body></html>'
    pages["/files/index.html"] = (listing.encode("utf-8"), UTF8)
    return pages


@pytest.fixture(scope="module")
def matrix_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hosts = {
        "gov": (_gov_host(), "/zwgk/zfgzbg/index.html", "official"),
        "forum": (_forum_host(), "/forum-1-1.html", "mirror"),
        "farm": (_farm_host(), "/fanwen/index.html", "mirror"),
        "pdf": (_pdf_host(), "/files/index.html", "mirror"),
    }
    db_path = tmp_path_factory.mktemp("matrix") / "warehouse.duckdb"
    with serve_hosts(hosts) as web:
        sites = [Site(name=s["name"], start_urls=tuple(s["start_urls"]), authority=s["authority"], min_delay=0.0)
                 for s in web.sources]
        run_pipeline(flow="backfill", db_path=db_path, sites=sites)
    return db_path


def test_five_reports_in_four_copies_each_are_five_documents(matrix_warehouse: Path) -> None:
    with duckdb.connect(str(matrix_warehouse), read_only=True) as con:
        documents = con.execute(
            "SELECT region_code, plan_year, source_count FROM documents ORDER BY region_code").fetchall()
        copies = con.execute(
            "SELECT d.region_code, count(*), count(DISTINCT s.authority), "
            "bool_and(d.canonical_url LIKE '%/zwgk/zfgzbg/%') "
            "FROM documents d JOIN document_sources s USING (doc_id) GROUP BY 1 ORDER BY 1").fetchall()
    expected = sorted((g["region_code"], int(g["plan_year"])) for g in gold_documents().values())
    assert [(code, year) for code, year, _ in documents] == expected
    assert [sources for _, _, sources in documents] == [4] * 5
    assert [(n, authorities, official_canonical) for _, n, authorities, official_canonical in copies] == [(4, 2, True)] * 5


def test_the_canonical_body_is_the_gold_body_and_no_watermark_survives(matrix_warehouse: Path) -> None:
    gold_bodies = {g["region_code"]: (GOLD / "seeds_bodies" / file).read_text(encoding="utf-8")
                   for file, g in gold_documents().items()}
    with duckdb.connect(str(matrix_warehouse), read_only=True) as con:
        bodies = dict(con.execute("SELECT region_code, body FROM documents").fetchall())
    folded = lambda text: " ".join(text.split())  # noqa: E731 - HTML turns a pasted U+00A0 into a space
    for code, body in bodies.items():
        assert folded(body) == folded(gold_bodies[code])
        assert FARM not in body and "老秘网" not in body


def test_every_mirror_is_close_to_its_canonical_copy(matrix_warehouse: Path) -> None:
    with duckdb.connect(str(matrix_warehouse), read_only=True) as con:
        lowest = con.execute("SELECT min(similarity) FROM document_sources WHERE authority = 'mirror'").fetchone()[0]
    assert lowest >= 0.8

"""The crawler against a fixture web of real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import gzip
import time
from pathlib import Path

import pytest

from tasks import fetch as fetch_module
from tasks.addresses import is_private_address
from tasks.archive import RawArchive
from tasks.fetch import FetchConfig, crawl
from tasks.politeness import retry_after_seconds
from tasks.records import Known, PageFetch, ReportPage, Skip
from tasks.sources import Site, SourcesError, load_sources, sites_from_urls
from tests.webfixture import (
    FixtureWeb,
    Host,
    article_html,
    listing_html,
    make_pdf,
    report_paragraphs,
    wrap,
)

FAST = FetchConfig(retries=2, backoff_base=0.01, connect_timeout=2, read_timeout=2, max_retry_after=2)
LISTING = "/zwgk/zfgzbg/"


def run(sites: list[Site], archive: RawArchive, known=None, config: FetchConfig = FAST) -> list:
    async def collect() -> list:
        return [item async for item in crawl(sites, archive, known or {}, config)]
    return asyncio.run(collect())


def of(items: list, kind: type) -> list:
    return [item for item in items if isinstance(item, kind)]


def gbk(text: str) -> bytes:
    return text.encode("gbk")


# --- the fixture web ----------------------------------------------------------------------


def build_gov(host: Host) -> dict[str, list[str]]:
    """A GBK CMS: a paginated listing with decoys, split / PDF / flaky report pages."""
    host.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    decoys = [
        ("t20190111.html", "关于2019年政府工作报告的解读"),
        ("t20190112.html", "图解：2019年政府工作报告"),
        ("t20190113.html", "一图读懂2019年政府工作报告"),
        ("t20190114.html", "2019年政府工作报告新闻发布会"),
        ("t20190115.html", "关于印发2019年政府工作报告重点工作分工的通知"),
        ("t20190116.html", "区人大常委会关于政府工作报告的审议意见"),
        ("t20190117.html", "关于2019年区政府工作报告的决议"),
        ("t20190118.html", "2019年政府工作报告（英文版）"),
    ]
    first_links = [("t20190110.html", "2019年某某区政府工作报告")] + decoys + [
        ("/private/t2018.html", "2018年某某区政府工作报告"), ("/xwzx/t1.html", "区长调研重点项目")]
    pager = '<a href="index.html">1</a> <a href="index_1.html">2</a> <a href="index_1.html">下一页</a>'
    # charset only in <meta>, none in the header
    host.add(f"{LISTING}index.html", gbk(listing_html(first_links, pager=pager)), content_type="text/html")
    second_links = [
        ("t20200115.html", "在某某区第十七届人民代表大会第五次会议上的报告"),
        ("t20210120.html", "2021年政府工作报告"),
        ("/files/2022.pdf", "2022年政府工作报告（PDF版）"),
        ("t20230101.html", "2023年政府工作报告"),
        ("t20240101.html", "2024年政府工作报告"),
    ]
    # no charset anywhere
    host.add(f"{LISTING}index_1.html", gbk(listing_html(second_links, pager='<a href="index.html">上一页</a>',
                                                        charset_meta=None)), content_type="text/html")
    parts = {
        "t20190110.html": ["各位代表："] + report_paragraphs(4, "甲"),
        "t20190110_1.html": report_paragraphs(3, "乙"),
        "t20190110_2.html": report_paragraphs(3, "丙"),
    }
    pager = ('<div class="page"><a href="t20190110.html">1</a> <a href="t20190110_1.html">2</a> '
             '<a href="t20190110_2.html">3</a> <a href="t20190110_1.html">下一页</a></div>')
    for name, paragraphs in parts.items():
        host.add(f"{LISTING}{name}", gbk(article_html("2019年某某区政府工作报告", paragraphs, extra_body=pager)))
    single = ["各位代表："] + report_paragraphs(12)
    host.add(f"{LISTING}t20200115.html", gbk(article_html("在某某区第十七届人民代表大会第五次会议上的报告", single)),
             content_type="text/html; charset=GBK")
    host.add(f"{LISTING}t20210120.html", gbk(article_html(
        "2021年政府工作报告", ["2021年政府工作报告全文见附件。"],
        extra_body='<p>附件：<a href="/files/2021report.pdf">2021年政府工作报告.pdf</a></p>')))
    pdf_2021 = ["2021年政府工作报告"] + wrap("各位代表：" + "".join(report_paragraphs(6)), 32)
    host.add("/files/2021report.pdf", make_pdf(pdf_2021), content_type="application/pdf")
    host.add("/files/2022.pdf", make_pdf(["2022年政府工作报告"] + wrap("各位代表：" + "".join(report_paragraphs(5)), 32)),
             content_type="application/pdf")
    body_2023 = gbk(article_html("2023年政府工作报告", ["各位代表："] + report_paragraphs(6)))
    host.add_sequence(f"{LISTING}t20230101.html", [
        Host.response(b"busy", status=503, conditional=False), Host.response(body_2023)])
    body_2024 = gbk(article_html("2024年政府工作报告", ["各位代表："] + report_paragraphs(6)))
    host.add_sequence(f"{LISTING}t20240101.html", [
        Host.response(b"slow down", status=429, headers={"Retry-After": "1"}, conditional=False),
        Host.response(body_2024)])
    host.add("/private/t2018.html", gbk(article_html("2018年政府工作报告", ["各位代表："] + report_paragraphs(6))))
    return parts


def build_mirror(host: Host) -> list[str]:
    """A content farm republishing a report amid link lists, and a forum thread."""
    ads = "".join(f'<li><a href="/x{i}.html">热门推荐第{i}条资讯点击查看精彩内容</a></li>' for i in range(30))
    paragraphs = ["各位代表："] + report_paragraphs(8)
    farm = f"""<html><head><meta charset="utf-8"><title>2019年某某区政府工作报告全文 - 某某资讯网</title></head><body>
    <div class="side"><ul>{ads}</ul></div><div class="content">{''.join(f'<p>{p}</p>' for p in paragraphs)}</div>
    <div class="hot"><ul>{ads}</ul></div></body></html>"""
    host.add("/news/farm.html", farm)
    posts = "".join(f'<div class="post"><a href="/u/{i}">网友{i}</a><p>顶一下，政府工作报告写得好！</p></div>' for i in range(6))
    host.add("/bbs/thread.html", f'<html><head><meta charset="utf-8"><title>2019年政府工作报告大家怎么看 - 某某论坛</title>'
                                 f'</head><body>{posts}</body></html>')
    host.add("/list.html", listing_html([("/news/farm.html", "2019年某某区政府工作报告全文"),
                                         ("/bbs/thread.html", "2019年政府工作报告大家怎么看")], charset_meta="utf-8"))
    return paragraphs


@pytest.fixture()
def web():
    with FixtureWeb() as fixture_web:
        yield fixture_web


@pytest.fixture()
def sample(web):
    gov, mirror = web.host("gov"), web.host("mirror")
    parts = build_gov(gov)
    farm = build_mirror(mirror)
    sites = [
        Site("某某区人民政府", (gov.url(f"{LISTING}index.html"),), min_delay=0.01, max_concurrency=2),
        Site("某某资讯网", (mirror.url("/list.html"),), authority="mirror", min_delay=0.01),
    ]
    return gov, mirror, sites, parts, farm


# --- the main crawl ---------------------------------------------------------------------------


def test_crawl_reports_skips_and_incremental_recrawl(sample, tmp_path):
    gov, mirror, sites, parts, farm = sample
    archive = RawArchive(tmp_path / "raw")
    items = run(sites, archive)

    reports = {r.url: r for r in of(items, ReportPage)}
    listing = gov.url(LISTING)
    assert sorted(reports) == sorted([
        f"{listing}t20190110.html", f"{listing}t20200115.html", f"{listing}t20210120.html",
        gov.url("/files/2022.pdf"), f"{listing}t20230101.html", f"{listing}t20240101.html",
        mirror.url("/news/farm.html"),
    ])
    split = reports[f"{listing}t20190110.html"]
    assert list(split.page.lines) == parts["t20190110.html"] + parts["t20190110_1.html"] + parts["t20190110_2.html"]
    assert len(split.raw_sha256s) == 3 and split.changed
    assert split.page.title == "2019年某某区政府工作报告" and split.page.site_name == "某某区人民政府"
    assert reports[f"{listing}t20200115.html"].page.lines[0] == "各位代表："
    pdf_report = reports[f"{listing}t20210120.html"]
    assert pdf_report.page.lines[0] == "2021年政府工作报告"
    assert pdf_report.page.lines[1].startswith("各位代表：第1段。") and len(pdf_report.raw_sha256s) == 2
    assert "各位代表" in reports[gov.url("/files/2022.pdf")].page.lines[1]
    assert list(reports[mirror.url("/news/farm.html")].page.lines) == farm
    assert reports[mirror.url("/news/farm.html")].authority == "mirror"
    assert {r.source_name for r in reports.values()} == {"某某区人民政府", "某某资讯网"}

    skips = {s.url: s.reason for s in of(items, Skip)}
    assert skips == {
        f"{listing}t20190111.html": "look-alike: 解读",
        f"{listing}t20190112.html": "look-alike: 图解",
        f"{listing}t20190113.html": "look-alike: 一图读懂",
        f"{listing}t20190114.html": "look-alike: 新闻发布会",
        f"{listing}t20190115.html": "look-alike: 分工的通知",
        f"{listing}t20190116.html": "look-alike: 审议意见",
        f"{listing}t20190117.html": "look-alike: 决议",
        f"{listing}t20190118.html": "look-alike: 英文版",
        gov.url("/private/t2018.html"): "robots.txt disallows",
        mirror.url("/bbs/thread.html"): "not a report: no salutation",
    }
    assert not gov.requests("/private/t2018.html")
    requested = {r.path for r in gov.requests()}
    assert not requested & {f"{LISTING}t2019011{i}.html" for i in range(1, 9)}  # decoys are never fetched
    assert "/xwzx/t1.html" not in requested

    fetches = of(items, PageFetch)
    by_url = {f.url: f for f in fetches}
    assert all(f.error is None for f in fetches if f.role != "robots"), [f for f in fetches if f.error]
    assert by_url[f"{listing}index.html"].charset == "gb18030" and by_url[f"{listing}index.html"].role == "listing"
    assert by_url[f"{listing}index_1.html"].charset == "gb18030"
    assert by_url[f"{listing}t20190110_2.html"].role == "part"
    assert by_url[f"{listing}t20190110_2.html"].part_of == f"{listing}t20190110.html"
    assert by_url[f"{listing}t20190110_2.html"].part_index == 2
    assert by_url[gov.url("/files/2021report.pdf")].role == "attachment"
    assert by_url[mirror.url("/robots.txt")].error == "HTTP 404"
    assert [r.path for r in gov.requests(f"{LISTING}t20230101.html")] == [f"{LISTING}t20230101.html"] * 2
    retry_gap = [r.at for r in gov.requests(f"{LISTING}t20240101.html")]
    assert len(retry_gap) == 2 and retry_gap[1] - retry_gap[0] >= 0.95  # Retry-After: 1 honoured
    user_agents = {r.headers["user-agent"] for r in gov.requests() + mirror.requests()}
    assert user_agents == {FetchConfig().user_agent}
    for fetch in fetches:
        if fetch.raw_path:
            assert archive.get(fetch.raw_path)  # every body is in the archive

    # second run: conditional requests, nothing changed
    known = {f.url: Known(f.etag, f.last_modified, f.raw_sha256, settled=True) for f in fetches if f.raw_sha256}
    gov.clear_log()
    mirror.clear_log()
    again = run(sites, archive, known)
    assert sorted(r.url for r in of(again, ReportPage)) == sorted(reports)
    assert all(not r.changed for r in of(again, ReportPage))
    assert {s.url: s.reason for s in of(again, Skip)} == skips
    assert all(f.not_modified for f in of(again, PageFetch) if f.http_status != 404)
    assert all(f.http_status == 304 for f in of(again, PageFetch) if f.http_status != 404)
    sent = gov.requests() + [r for r in mirror.requests() if r.path != "/robots.txt"]  # mirror robots.txt is a 404
    assert len(sent) == len([f for f in fetches if f.raw_sha256])
    assert all("if-none-match" in r.headers and "if-modified-since" in r.headers for r in sent)
    assert list(of(again, ReportPage)[0].page.lines) == list(reports[of(again, ReportPage)[0].url].page.lines)


def test_unchanged_body_without_validators_is_not_modified(web, tmp_path):
    host = web.host("plain")
    page = article_html("2019年政府工作报告", ["各位代表："] + report_paragraphs(6), charset_meta="utf-8")
    host.add("/r.html", page, conditional=False)
    sites = [Site("plain", (host.url("/r.html"),), min_delay=0)]
    archive = RawArchive(tmp_path)
    first = run(sites, archive)
    (report,) = of(first, ReportPage)
    known = {f.url: Known(None, None, f.raw_sha256, settled=True) for f in of(first, PageFetch) if f.raw_sha256}
    second = run(sites, archive, known)
    fetch = next(f for f in of(second, PageFetch) if f.url == host.url("/r.html"))
    assert fetch.http_status == 200 and fetch.not_modified
    assert of(second, ReportPage)[0].changed is False


# --- safety and errors ---------------------------------------------------------------------


def errors_for(web: FixtureWeb, tmp_path: Path, config: FetchConfig = FAST, **routes) -> dict[str, str | None]:
    """Start a crawl at each route of a one-host web; return url path -> PageFetch.error."""
    host = web.host("bad")
    for path, setup in routes.items():
        setup(host, "/" + path)
    sites = [Site("bad", tuple(host.url("/" + path) for path in routes), min_delay=0, max_concurrency=4)]
    items = run(sites, RawArchive(tmp_path), config=config)
    return {f.url.split(host.netloc)[1]: f.error for f in of(items, PageFetch) if f.role != "robots"}


def test_size_cap_on_declared_and_streamed_bodies(web, tmp_path):
    config = FetchConfig(max_bytes=100_000, retries=0)
    big = b"<p>" + b"x" * 200_000 + b"</p>"
    errors = errors_for(
        web, tmp_path, config,
        declared=lambda h, p: h.add(p, big),
        undeclared=lambda h, p: h.add(p, big, send_length=False),
    )
    assert errors == {"/declared": "body larger than 100000 bytes", "/undeclared": "body larger than 100000 bytes"}


def test_default_cap_message():
    assert FetchConfig().max_bytes == 31457280


def test_gzip_bomb_is_stopped_by_decoded_size(web, tmp_path):
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    errors = errors_for(web, tmp_path, FetchConfig(max_bytes=1_000_000, retries=0),
                        bomb=lambda h, p: h.add(p, bomb, headers={"Content-Encoding": "gzip"}))
    assert errors == {"/bomb": "body larger than 1000000 bytes"}


def test_redirects_other_host_loop_scheme_and_too_many(web, tmp_path):
    def redirect(target: str):
        return lambda h, p: h.add(p, b"", status=302, headers={"Location": target}, conditional=False)

    other = web.host("other")
    errors = errors_for(
        web, tmp_path,
        away=redirect("http://evil.example/"),
        loopback_other=redirect(other.url("/x")),
        ftp=redirect("ftp://127.0.0.1/x"),
        loop_a=redirect("/loop_b"),
        loop_b=redirect("/loop_a"),
        hop1=redirect("/hop2"), hop2=redirect("/hop3"), hop3=redirect("/hop4"), hop4=redirect("/hop5"),
        hop5=redirect("/hop6"), hop6=redirect("/hop7"), hop7=redirect("/hop1x"),
        ok=redirect("/final"),
        final=lambda h, p: h.add(p, "<p>各位代表</p>"),
    )
    host = web.host("bad")
    assert errors["/away"] == "redirect to other host refused: http://evil.example/"
    assert errors["/loopback_other"] == f"redirect to other host refused: {other.url('/x')}"
    assert errors["/ftp"] == "redirect to non-http scheme refused: ftp://127.0.0.1/x"
    assert errors["/loop_a"] == f"redirect loop: {host.url('/loop_a')}"
    assert errors["/hop1"] == "too many redirects (more than 5)"
    assert errors["/ok"] is None
    assert not other.requests()


def test_retries_timeouts_truncation_empty(web, tmp_path):
    config = FetchConfig(retries=2, backoff_base=0.01, read_timeout=0.3)
    errors = errors_for(
        web, tmp_path, config,
        e500=lambda h, p: h.add(p, b"oops", status=500, conditional=False),
        slow=lambda h, p: h.add(p, b"<p>x</p>", delay=1.0),
        truncated=lambda h, p: h.add(p, b"x" * 500, content_length=1000),
        empty=lambda h, p: h.add(p, b""),
        missing=lambda h, p: None,
    )
    assert errors == {
        "/e500": "HTTP 500 after 2 retries",
        "/slow": "timeout",
        "/truncated": "truncated body (Content-Length 1000, got 500)",
        "/empty": "empty body",
        "/missing": "HTTP 404",
    }
    assert len(web.host("bad").requests("/e500")) == 3


def test_connection_refused_is_a_readable_error(tmp_path):
    sites = [Site("down", ("http://127.0.0.1:9/x.html",), min_delay=0)]
    items = run(sites, RawArchive(tmp_path), config=FetchConfig(retries=0))
    (fetch,) = [f for f in of(items, PageFetch) if f.role != "robots"]
    assert fetch.error.startswith("connection failed")


def test_private_addresses():
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "[::1]"):
        assert is_private_address(address), address
    for address in ("8.8.8.8", "gov.cn", "172.32.0.1"):
        assert not is_private_address(address), address


def test_retry_after_parsing_is_capped():
    assert retry_after_seconds("1", 60) == 1
    assert retry_after_seconds("3600", 60) == 60
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 60) == 0
    assert retry_after_seconds("soon", 60) is None


# --- politeness ----------------------------------------------------------------------------


def test_hosts_run_concurrently_each_at_its_own_pace(web, tmp_path):
    delay, pages = 0.1, 6
    sites = []
    for name in ("a", "b", "c"):
        host = web.host(name)
        links = [(f"/r{i}.html", f"{2000 + i}年政府工作报告") for i in range(pages)]
        host.add("/index.html", listing_html(links, charset_meta="utf-8"))
        for i in range(pages):
            host.add(f"/r{i}.html", article_html(f"{2000 + i}年政府工作报告", ["各位代表："] + report_paragraphs(5),
                                                 charset_meta="utf-8"))
        sites.append(Site(name, (host.url("/index.html"),), min_delay=delay, max_concurrency=2))
    started = time.monotonic()
    items = run(sites, RawArchive(tmp_path))
    elapsed = time.monotonic() - started
    assert len(of(items, ReportPage)) == 3 * pages
    per_host = (pages + 2) * delay  # robots + listing + reports
    assert elapsed < 2 * per_host, elapsed  # concurrent hosts: not 3x
    for name in ("a", "b", "c"):
        # The server notes a request when its handler thread runs, so a stall on a busy machine can log two
        # paced requests back to back; the host's rate over all its requests is what politeness promises.
        times = sorted(r.at for r in web.host(name).requests())
        assert times[-1] - times[0] >= (len(times) - 1) * delay * 0.9, times


def test_max_pages_bounds_report_fetches(web, tmp_path):
    host = web.host("many")
    host.add("/index.html", listing_html([(f"/r{i}.html", f"{2000 + i}年政府工作报告") for i in range(5)], charset_meta="utf-8"))
    for i in range(5):
        host.add(f"/r{i}.html", article_html("报告", ["各位代表："] + report_paragraphs(5), charset_meta="utf-8"))
    config = FetchConfig(max_pages=2)
    items = run([Site("many", (host.url("/index.html"),), min_delay=0)], RawArchive(tmp_path), config=config)
    assert len(of(items, ReportPage)) == 2
    assert len([s for s in of(items, Skip) if s.reason == "max_pages (2) reached"]) == 3


def test_a_slow_consumer_holds_the_crawl_back(web, tmp_path, monkeypatch):
    """Reports are fetched only while few items wait to be processed: memory does not grow with the pages."""
    monkeypatch.setattr(fetch_module, "MAX_WAITING", 4)
    host = web.host("fast")
    host.add("/index.html", listing_html([(f"/r{i}.html", f"{2000 + i}年政府工作报告") for i in range(30)], charset_meta="utf-8"))
    for i in range(30):
        host.add(f"/r{i}.html", article_html("报告", ["各位代表："] + report_paragraphs(5), charset_meta="utf-8"))
    site = Site("fast", (host.url("/index.html"),), min_delay=0, max_concurrency=8)

    async def slowly() -> tuple[int, int]:
        reports, ahead = 0, 0
        async for item in crawl([site], RawArchive(tmp_path), {}, FAST):
            if isinstance(item, ReportPage):
                reports += 1
                await asyncio.sleep(0.02)  # the pipeline busy with the report
                fetched = len([r for r in host.log if r.path.startswith("/r")])
                ahead = max(ahead, fetched - reports)
        return reports, ahead

    reports, ahead = asyncio.run(slowly())
    assert reports == 30
    assert ahead <= 4 + 1  # reports being fetched or waiting, and the one being processed


def test_url_start_can_be_a_report_page(web, tmp_path):
    host = web.host("direct")
    host.add("/r.html", article_html("2019年政府工作报告", ["各位代表："] + report_paragraphs(6), charset_meta="utf-8"))
    (site,) = sites_from_urls([host.url("/r.html")])
    assert site.authority == "mirror" and site.name == host.netloc
    site = Site(site.name, site.start_urls, site.authority, min_delay=0)
    items = run([site], RawArchive(tmp_path))
    assert [r.url for r in of(items, ReportPage)] == [host.url("/r.html")]
    assert [f.role for f in of(items, PageFetch)] == ["robots", "report"]


# --- archive and sources ----------------------------------------------------------------------


def test_raw_archive_is_content_addressed_and_idempotent(tmp_path):
    archive = RawArchive(tmp_path)
    sha, path = archive.put(b"hello")
    assert archive.put(b"hello") == (sha, path)
    assert archive.get(path) == b"hello"
    assert path.endswith(f"{sha}.gz") and not list(tmp_path.rglob("*.tmp"))


def test_sources_file(tmp_path):
    good = tmp_path / "sources.yaml"
    good.write_text("sites:\n  - name: 北京市人民政府\n    start_urls: [https://www.beijing.gov.cn/zhengce/zfgzbg/]\n"
                    "    min_delay: 2\n  - name: 镜像\n    start_urls: [http://mirror.example/list.html]\n"
                    "    authority: mirror\n    content_selector: '#zoom'\n", encoding="utf-8")
    sites = load_sources(good)
    assert sites[0] == Site("北京市人民政府", ("https://www.beijing.gov.cn/zhengce/zfgzbg/",), min_delay=2.0)
    assert sites[1].authority == "mirror" and sites[1].content_selector == "#zoom"
    for text, message in (
        ("- name: a\n  start_url: [http://x/]\n", "unknown key 'start_url'"),
        ("- name: a\n  start_urls: [ftp://x/]\n", "URL must be http(s)"),
        ("- name: a\n  start_urls: [http://x/]\n  min_delay: -1\n", "'min_delay' must not be negative"),
        ("- name: a\n  start_urls: [http://x/]\n  authority: offical\n", "'authority' must be one of"),
        ("- {name: a, start_urls: [http://x/]}\n- {name: a, start_urls: [http://y/]}\n", "duplicate site name"),
        ("sites: [\n", "not valid YAML"),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SourcesError, match=re.escape(message)) as info:
            load_sources(bad)
        assert "\n" not in str(info.value)


def test_sites_from_urls():
    sites = sites_from_urls(["http://www.bj.gov.cn/a", "http://www.bj.gov.cn/b", "https://news.example/c"])
    assert [(s.name, s.authority, len(s.start_urls)) for s in sites] == [
        ("www.bj.gov.cn", "official", 2), ("news.example", "mirror", 1)]
    with pytest.raises(SourcesError, match="http"):
        sites_from_urls(["file:///etc/passwd"])


def test_a_304_on_a_known_report_reads_no_archived_bytes(web, tmp_path, monkeypatch):
    """No-op re-run: the report and its parts answer 304, their roles stay, nothing is read back or parsed."""
    from warehouse import db as warehouse_db
    from warehouse import load

    host = web.host("gov")
    parts = {"r.html": ["各位代表："] + report_paragraphs(4, "甲"), "r_1.html": report_paragraphs(3, "乙")}
    pager = '<div class="page"><a href="r.html">1</a> <a href="r_1.html">2</a> <a href="r_1.html">下一页</a></div>'
    for name, paragraphs in parts.items():
        host.add(f"/{name}", gbk(article_html("2019年某某区政府工作报告", paragraphs, extra_body=pager)))
    host.add("/single.html", gbk(article_html("2020年政府工作报告", ["各位代表："] + report_paragraphs(8))))
    host.add("/list.html", gbk(listing_html([("r.html", "2019年某某区政府工作报告"), ("single.html", "2020年政府工作报告")])))
    sites = [Site("gov", (host.url("/list.html"),), min_delay=0)]
    archive = RawArchive(tmp_path / "raw")
    first = run(sites, archive, config=dataclasses.replace(FAST, max_freshness=0))  # no freshness: ask every run
    assert sorted(r.url for r in of(first, ReportPage)) == [host.url("/r.html"), host.url("/single.html")]
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        load.load_pages(con, of(first, PageFetch))
        # pages committed but no document yet (a kill between two batches): the report must be assembled again
        assert load.known_pages(con)[host.url("/r.html")].parts is None
        for report in of(first, ReportPage):
            con.execute("INSERT INTO document_sources VALUES (?, ?, 'gov', 'official', ?, 1.0, now(), now(), NULL)",
                        [report.url, report.url, report.raw_sha256s[0]])
        known = load.known_pages(con)
    assert known[host.url("/r.html")].parts == ((host.url("/r_1.html"), "part", 1, True),)
    assert known[host.url("/single.html")].parts == ()

    read_back: list[str] = []
    original_get = RawArchive.get

    def get(self, relative_path):
        read_back.append(relative_path)
        return original_get(self, relative_path)

    monkeypatch.setattr(RawArchive, "get", get)
    host.clear_log()
    again = run(sites, archive, known)
    assert of(again, ReportPage) == []
    listing = next(f for f in of(first, PageFetch) if f.url == host.url("/list.html"))
    assert read_back == [listing.raw_path]  # the listing is read for its links; reports and parts are not
    roles = {f.url: (f.role, f.http_status, f.not_modified) for f in of(again, PageFetch) if f.role not in ("robots", "listing")}
    assert roles == {host.url("/r.html"): ("report", 304, True), host.url("/r_1.html"): ("part", 304, True),
                     host.url("/single.html"): ("report", 304, True)}
    assert next(f for f in of(again, PageFetch) if f.url == host.url("/r_1.html")).part_of == host.url("/r.html")

    # a changed part brings the whole report back, assembled from its pages
    monkeypatch.undo()
    host.add("/r_1.html", gbk(article_html("2019年某某区政府工作报告", report_paragraphs(3, "丁"), extra_body=pager)))
    changed = run(sites, archive, known)
    (report,) = of(changed, ReportPage)
    assert report.url == host.url("/r.html") and report.changed
    assert any(line.startswith("丁") for line in report.page.lines)

"""Every failure the web has, and every mistake a user makes, against real loopback servers.

The fault web: two hosts in the run's sources serve five good reports (two of
them behind a 503 and a 429, two with a wrong or missing charset) next to
pages that time out, reset, fail forever, truncate, run to 50 MB, inflate
from a gzip bomb, loop, redirect off-site or to private addresses, a corrupt
PDF, a page that is not a report and an empty 200. A third host is not in the
sources; it logs any request it gets (there must be none).

One of the two source hosts listens on 127.0.0.2 and the crawler is told that
this address is public (`public_loopback`): that is the only way to test, on
loopback alone, a *public* host redirecting to 127.0.0.1, 10.x or
169.254.169.254. Those refusals happen before any connection is made; no
packet goes to 10.x or 169.254.x.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import tracemalloc
from pathlib import Path

import duckdb
import pytest

from flows.cli import main as cli_main
from flows.pipeline import run_pipeline
from flows.sample_site import gov_article, seed_lines
from tasks import fetch
from tasks.archive import RawArchive
from tasks.fetch import FetchConfig, crawl
from tasks.records import PageFetch
from tasks.sources import Site
from tests.conftest import GOLD, gold_documents
from tests.webfixture import FixtureWeb, Host, Response, gzip_bomb, listing_html, reset_connection, stream_bytes

MB = 1024 * 1024
PUBLIC = "127.0.0.2"  # a loopback address the crawler is told is public (see `public_loopback`)
CAP = FetchConfig().max_bytes  # the default 30 MB body cap
FAST = FetchConfig(retries=2, backoff_base=0.01, connect_timeout=1.0, read_timeout=0.5, max_retry_after=1.0)
ROBOTS = "User-agent: *\nAllow: /\n"
GBK_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


@functools.cache
def bomb() -> bytes:
    """100 MB of zeros in about 100 KB of gzip (built once per session)."""
    return gzip_bomb(100 * MB)


@pytest.fixture()
def web():
    with FixtureWeb() as fixture_web:
        yield fixture_web


@pytest.fixture()
def public_loopback(monkeypatch):
    """The crawler treats 127.0.0.2 as a public address; nothing else about its safety rules changes.

    `tasks.fetch.host_is_private` decides which of the run's own hosts are
    local (a local start URL may stay on loopback). Only its answer for
    127.0.0.2 is changed, so a host there behaves like a public web server
    whose redirects to private addresses must be refused.
    """
    real = fetch.host_is_private

    async def host_is_private(hostname: str) -> bool:
        return False if hostname == PUBLIC else await real(hostname)

    monkeypatch.setattr(fetch, "host_is_private", host_is_private)


@pytest.fixture()
def client_requests(monkeypatch) -> list[str]:
    """Every URL the crawler's HTTP client actually requested (client side, next to the servers' logs)."""
    requested: list[str] = []
    real = fetch.Crawler.get_once

    async def get_once(self, url: str, headers: dict[str, str]):
        requested.append(url)
        return await real(self, url, headers)

    monkeypatch.setattr(fetch.Crawler, "get_once", get_once)
    return requested


# --- the fault web ------------------------------------------------------------------------------


def good_reports() -> list[tuple[str, str, str]]:
    """(seed file, region_code, listing title) for the five seed reports."""
    return [(file, g["region_code"], f"{g['region_name']}{g['plan_year']}年政府工作报告")
            for file, g in sorted(gold_documents().items())]


def redirect(target: str) -> Response:
    return Host.response(b"", status=302, headers={"Location": target}, conditional=False)


def build_fault_web(web: FixtureWeb) -> tuple[list[Site], dict[str, str], dict[str, str], str, Host]:
    """Returns (sites, url -> expected pages.error, url -> region_code of the good reports, not-a-report url, outside)."""
    local, public, outside = web.host("local"), web.host("public", PUBLIC), web.host("outside")
    for host in (local, public, outside):
        host.add("/robots.txt", ROBOTS, content_type="text/plain")
    outside.add("/stolen.html", "<p>must never be fetched</p>")
    (f0, c0, t0), (f1, c1, t1), (f2, c2, t2), (f3, c3, t3), (f4, c4, t4) = good_reports()

    def article(file: str, title: str) -> str:
        return gov_article("某某区人民政府", title, seed_lines(file))

    good = {
        local.url("/good/plain.html"): c0,
        local.url("/good/after-503.html"): c1,
        local.url("/good/after-429.html"): c2,
        public.url("/good/wrong-charset.html"): c3,
        public.url("/good/no-charset.html"): c4,
    }
    local.add("/good/plain.html", article(f0, t0).encode("utf-8"), content_type="text/html; charset=utf-8")
    gbk = "text/html; charset=gbk"
    local.add_sequence("/good/after-503.html", [
        Host.response(b"busy", status=503, conditional=False),
        Host.response(article(f1, t1).encode("gb18030"), content_type=gbk)])
    local.add_sequence("/good/after-429.html", [
        Host.response(b"slow down", status=429, headers={"Retry-After": "1"}, conditional=False),
        Host.response(article(f2, t2).encode("gb18030"), content_type=gbk)])
    # GBK bytes declared as UTF-8 by the server; then GBK with no charset anywhere
    public.add("/good/wrong-charset.html", article(f3, t3).encode("gb18030"), content_type="text/html; charset=utf-8")
    public.add("/good/no-charset.html", article(f4, t4).replace(GBK_META, "").encode("gb18030"), content_type="text/html")

    not_a_report = local.url("/f/not-a-report.html")
    local.add("/f/timeout.html", "<p>too late</p>", delay=2.0)
    local.add_handler("/f/reset.html", reset_connection)
    local.add("/f/500.html", b"oops", status=500, conditional=False)
    local.add("/f/truncated.html", b"<p>" + b"x" * 4997, content_length=100_000)
    local.add_handler("/f/big.html", stream_bytes(50 * MB))
    local.add("/f/bomb.html", bomb(), headers={"Content-Encoding": "gzip"})
    local.add_sequence("/f/loop-a.html", [redirect("/f/loop-b.html")])
    local.add_sequence("/f/loop-b.html", [redirect("/f/loop-a.html")])
    local.add_sequence("/f/away.html", [redirect(outside.url("/stolen.html"))])
    local.add("/f/corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + bytes(range(256)) * 8,
              content_type="application/pdf")
    local.add("/f/not-a-report.html", '<html><head><meta charset="utf-8"><title>页面不存在</title></head><body>'
                                      '<p>对不起，您访问的页面不存在或已被删除。</p><a href="/">返回首页</a></body></html>')
    local.add("/f/empty.html", b"")
    private_targets = {
        "/r/to-loopback.html": f"http://127.0.0.1:{outside.port}/stolen.html",
        "/r/to-localhost.html": f"http://localhost:{outside.port}/stolen.html",
        "/r/to-10.html": "http://10.0.0.1/internal/",
        "/r/to-metadata.html": "http://169.254.169.254/latest/meta-data/",
    }
    for path, target in private_targets.items():
        public.add_sequence(path, [redirect(target)])

    expected = {
        local.url("/f/timeout.html"): "timeout",
        local.url("/f/reset.html"): "connection reset",
        local.url("/f/500.html"): "HTTP 500 after 2 retries",
        local.url("/f/truncated.html"): "truncated body (Content-Length 100000, got 5000)",
        local.url("/f/big.html"): f"body larger than {CAP} bytes",
        local.url("/f/bomb.html"): f"body larger than {CAP} bytes",
        local.url("/f/loop-a.html"): f"redirect loop: {local.url('/f/loop-a.html')}",
        local.url("/f/away.html"): f"redirect to other host refused: {outside.url('/stolen.html')}",
        local.url("/f/corrupt.pdf"): "PDF could not be parsed",  # + pypdf's reason
        local.url("/f/empty.html"): "empty body",
    } | {public.url(path): f"redirect to private address refused: {target}" for path, target in private_targets.items()}

    def listing(host: Host, urls: list[str]) -> None:
        titles = {url: title for url, title in zip(good, [t0, t1, t2, t3, t4])}
        links = [(url.split(host.netloc, 1)[1], titles.get(url, f"{2001 + n}年某某区政府工作报告"))
                 for n, url in enumerate(urls)]
        host.add("/index.html", listing_html(links, charset_meta="utf-8"), content_type="text/html; charset=utf-8")

    everything = [*good, *expected, not_a_report]
    listing(local, [url for url in everything if url.startswith(local.url("/"))])
    listing(public, [url for url in everything if url.startswith(public.url("/"))])
    sites = [
        Site("本地区人民政府", (local.url("/index.html"),), min_delay=0.0, max_concurrency=4),
        Site("公网镜像站", (public.url("/index.html"),), authority="mirror", min_delay=0.0, max_concurrency=4),
    ]
    return sites, expected, good, not_a_report, outside


def folded(text: str) -> str:
    return " ".join(text.split())


def test_fault_web_each_fault_is_one_recorded_error_and_every_good_report_loads(
        web, public_loopback, client_requests, tmp_path):
    sites, expected, good, not_a_report, outside = build_fault_web(web)
    db_path = tmp_path / "w.duckdb"
    summary = run_pipeline(flow="backfill", db_path=db_path, sites=sites, config=FAST)

    # the run finished, with exactly the faults as its errors
    assert summary.finished_at is not None
    assert sorted(url for url, _ in summary.failures) == sorted(expected)
    with duckdb.connect(str(db_path), read_only=True) as con:
        errors = con.execute("SELECT url, error FROM pages WHERE error IS NOT NULL").fetchall()
        rows_per_url = dict(con.execute("SELECT url, count(*) FROM pages GROUP BY url").fetchall())
        run_errors = con.execute("SELECT errors FROM runs").fetchall()
        skipped = dict(con.execute("SELECT url, reason FROM skipped_links").fetchall())
        bodies = dict(con.execute("SELECT canonical_url, body FROM documents").fetchall())
        charsets = dict(con.execute("SELECT url, charset FROM pages WHERE url LIKE '%/good/%'").fetchall())
    assert len(errors) == len(expected)  # one row per fault, no other error row
    for url, error in errors:
        if expected[url] == "PDF could not be parsed":
            assert error.startswith("PDF could not be parsed: "), error
        else:
            assert error == expected[url], url
        assert "\n" not in error and len(error) < 200  # one readable line
        assert rows_per_url[url] == 1
    assert run_errors == [(len(expected),)]

    # a page that is not a report is a recorded skip, not a fetch error
    assert rows_per_url[not_a_report] == 1
    assert skipped[not_a_report].startswith("not a report")

    # every good report on the same hosts became a document with its gold body
    gold = {g["region_code"]: (GOLD / "seeds_bodies" / file).read_text(encoding="utf-8")
            for file, g in gold_documents().items()}
    assert sorted(bodies) == sorted(good)
    for url, region_code in good.items():
        assert folded(bodies[url]) == folded(gold[region_code]), url
    local, public = web.hosts["local"], web.hosts["public"]
    assert charsets[public.url("/good/wrong-charset.html")] == "gb18030"  # not the declared utf-8
    assert charsets[public.url("/good/no-charset.html")] == "gb18030"
    assert len(local.requests("/good/after-503.html")) == 2
    retry = [r.at for r in local.requests("/good/after-429.html")]
    assert len(retry) == 2 and retry[1] - retry[0] >= 0.9  # Retry-After honoured

    # nothing outside the run's sources was ever asked for: server side and client side
    assert outside.requests() == []
    source_netlocs = {local.netloc, public.netloc}
    assert {host.name for host, _ in web.requests()} == {"local", "public"}
    assert all(request.headers["host"] == host.netloc for host, request in web.requests())
    assert client_requests and {fetch._netloc(url) for url in client_requests} <= source_netlocs

    # a scheduled re-run meets the same faults: still exactly one row per faulty URL, nothing reloaded
    again = run_pipeline(flow="scrape", db_path=db_path, sites=sites, config=FAST)
    assert sorted(url for url, _ in again.failures) == sorted(expected)
    assert again.documents_new == again.documents_changed == 0
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pages WHERE error IS NOT NULL").fetchone()[0] == len(expected)
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(good)
    assert outside.requests() == []


# --- memory ------------------------------------------------------------------------------------------


def peak_traced_bytes(url: str, config: FetchConfig, archive: RawArchive) -> tuple[int, str | None]:
    """Peak Python memory while crawling one URL, and the error recorded for it."""
    site = Site("big", (url,), min_delay=0.0)

    async def collect() -> list:
        return [item async for item in crawl([site], archive, {}, config)]

    tracemalloc.start()
    try:
        items = asyncio.run(collect())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (page,) = [item for item in items if isinstance(item, PageFetch) and item.url == url]
    return peak, page.error


@pytest.mark.parametrize("cap", [CAP, 1 * MB], ids=["default-30MB-cap", "1MB-cap"])
def test_memory_stays_bounded_on_a_50_mb_page_and_a_gzip_bomb(web, tmp_path, cap):
    """Peak traced memory stays within the body cap plus 2 MB, whatever the page or the bomb inflates to."""
    host = web.host("big")
    host.add("/robots.txt", ROBOTS, content_type="text/plain")
    host.add("/warm-up.html", "<p>hello</p>")
    host.add_handler("/big.html", stream_bytes(50 * MB))
    host.add("/bomb.html", bomb(), headers={"Content-Encoding": "gzip"})
    config = FetchConfig(retries=0, max_bytes=cap)
    archive = RawArchive(tmp_path / "raw")
    peak_traced_bytes(host.url("/warm-up.html"), config, archive)  # imports, TLS context: not the page's cost
    for path in ("/big.html", "/bomb.html"):
        peak, error = peak_traced_bytes(host.url(path), config, archive)
        assert error == f"body larger than {cap} bytes"
        assert peak < cap + 2 * MB, (path, peak)
    assert len(bomb()) < 200_000  # ~100 KB on the wire, 100 MB inflated


# --- the raw archive -----------------------------------------------------------------------------------


def test_a_temp_file_left_by_a_killed_writer_is_swept_and_never_in_the_archive_tree(tmp_path):
    archive = RawArchive(tmp_path)
    sha, relative = archive.put(b"report")
    incoming = tmp_path / RawArchive.INCOMING
    dead = incoming / "999999999-abc.tmp"  # no such pid
    alive = incoming / f"{__import__('os').getpid()}-def.tmp"  # a writer still at work
    dead.write_bytes(b"half a bo")
    alive.write_bytes(b"in progr")
    RawArchive(tmp_path)  # the next run opens the archive
    assert not dead.exists() and alive.exists()
    tree = [p for p in tmp_path.rglob("*") if p.is_file() and RawArchive.INCOMING not in p.parts]
    assert tree == [tmp_path / relative]
    assert hashlib.sha256(archive.get(relative)).hexdigest() == sha


# --- bad input from users --------------------------------------------------------------------------


def directory_state(root: Path) -> dict[str, str]:
    """Every file under root with its sha256: equal states mean nothing changed."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def user_dir(tmp_path) -> Path:
    """A user's folder: a loaded warehouse (one pages row) and a good sources file."""
    from warehouse.db import connect_writer

    with connect_writer(tmp_path / "w.duckdb") as con:
        con.execute("INSERT INTO pages (url, fetched_at, version_key) VALUES ('http://x.gov.cn/', now(), 'k')")
    (tmp_path / "good.yaml").write_text("- name: a\n  start_urls: ['http://127.0.0.1:9/']\n", encoding="utf-8")
    (tmp_path / "notes.duckdb").write_text("these are my notes, not a database")
    return tmp_path


SOURCES_MISTAKES = {
    "yaml-typo": ("- name: a\n  start_urls: [http://127.0.0.1:9/\n", "not valid YAML"),
    "misspelt-key": ("- name: a\n  start_url: [http://127.0.0.1:9/]\n", "unknown key 'start_url'"),
    "unknown-key": ("- name: a\n  start_urls: [http://127.0.0.1:9/]\n  rate: 2\n", "unknown key 'rate'"),
    "bad-scheme": ("- name: a\n  start_urls: [htp://www.example.gov.cn/]\n", "URL must be http(s)"),
    "no-scheme": ("- name: a\n  start_urls: [www.example.gov.cn/zfgzbg/]\n", "URL must be http(s)"),
    "no-host": ("- name: a\n  start_urls: ['http:///zfgzbg/']\n", "URL has no host"),
    "negative-rate": ("- name: a\n  start_urls: [http://127.0.0.1:9/]\n  min_delay: -1\n",
                      "'min_delay' must not be negative"),
    "zero-concurrency": ("- name: a\n  start_urls: [http://127.0.0.1:9/]\n  max_concurrency: 0\n",
                         "'max_concurrency' must be an integer >= 1"),
    "authority-typo": ("- name: a\n  start_urls: [http://127.0.0.1:9/]\n  authority: offical\n",
                       "'authority' must be one of"),
}


def run_cli(capsys, argv: list[str]) -> tuple[int, str]:
    try:
        status = cli_main(argv)
    except SystemExit as exit_:
        status = exit_.code
    _, err = capsys.readouterr()
    return status, err


def assert_one_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("govreports: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", ["backfill", "scrape"])
@pytest.mark.parametrize("mistake", sorted(SOURCES_MISTAKES))
def test_a_bad_sources_file_stops_the_run_with_one_line_and_changes_nothing(capsys, user_dir, command, mistake):
    text, message = SOURCES_MISTAKES[mistake]
    sources = user_dir / "sources.yaml"
    sources.write_text(text, encoding="utf-8")
    before = directory_state(user_dir)
    status, err = run_cli(capsys, [command, "--sources", str(sources), "--db", str(user_dir / "w.duckdb")])
    assert status == 2
    assert_one_line(err, str(sources), message)
    assert directory_state(user_dir) == before


@pytest.mark.parametrize("argv, message", [
    (["backfill", "--url", "ftp://www.example.gov.cn/zfgzbg/"], "URL must be http(s)"),
    (["backfill", "--url", "javascript:alert(1)"], "URL must be http(s)"),
    (["backfill", "--url", "file:///etc/passwd"], "URL must be http(s): 'file:///etc/passwd' (for saved files"),
    (["backfill", "--url", "saved/report-that-does-not-exist.html"], "for saved files use --from-dir"),
    (["backfill", "--sources", "no-such-sources.yaml"], "cannot read"),
    (["scrape"], "sources.yaml: cannot read"),  # the default sources file is missing
    (["backfill", "--from-dir", "no-such-dir"], "no such directory"),
    (["backfill", "--url", "http://127.0.0.1:9/", "--max-pages", "0"], "--max-pages must be at least 1"),
    (["backfill", "--max-pages", "many"], "invalid int value"),
    (["backfill"], "needs --url, --sources or --from-dir"),
    (["sql"], "the following arguments are required: query"),
    (["export", "--format", "xlsx", "--out", "out"], "invalid choice"),
], ids=lambda value: value if isinstance(value, str) else " ".join(value)[:40])
def test_bad_arguments_end_in_one_line_exit_2_and_change_nothing(capsys, user_dir, monkeypatch, argv, message):
    monkeypatch.chdir(user_dir)
    before = directory_state(user_dir)
    status, err = run_cli(capsys, argv + (["--db", "w.duckdb"] if argv[0] in ("backfill", "scrape") else []))
    assert status == 2
    assert_one_line(err, message)
    assert directory_state(user_dir) == before


@pytest.mark.parametrize("argv", [
    ["backfill", "--url", "http://127.0.0.1:9/"],
    ["scrape", "--sources", "good.yaml"],
    ["reprocess"],
    ["sql", "SELECT 1"],
    ["export", "--format", "csv", "--out", "exported"],
], ids=lambda argv: argv[0])
def test_a_db_that_is_not_duckdb_is_one_line_exit_1_and_left_alone(capsys, user_dir, monkeypatch, argv):
    monkeypatch.chdir(user_dir)
    before = directory_state(user_dir)
    status, err = run_cli(capsys, argv + ["--db", "notes.duckdb"])
    assert status == 1
    assert_one_line(err, "cannot open warehouse", "notes.duckdb")
    assert directory_state(user_dir) == before
    assert (user_dir / "notes.duckdb").read_text() == "these are my notes, not a database"


@pytest.mark.parametrize("statement", [
    "DELETE FROM pages",
    "DROP TABLE pages",
    "UPDATE pages SET error = 'x'",
    "INSERT INTO pages (url, fetched_at, version_key) VALUES ('u', now(), 'v')",
    "CREATE TABLE mine AS SELECT 1",
    "SELECT 1; DELETE FROM pages",
    "COPY (SELECT * FROM pages) TO 'pages.csv'",
    "EXPORT DATABASE 'dump'",
    "ATTACH 'other.duckdb' AS other",
    "INSTALL httpfs",
    "SET enable_external_access = true",
])
def test_sql_that_writes_is_refused_in_one_line_and_changes_nothing(capsys, user_dir, monkeypatch, statement):
    """Not the warehouse, not a file beside it (COPY, EXPORT, ATTACH), not an extension download."""
    monkeypatch.chdir(user_dir)
    before = directory_state(user_dir)
    status, err = run_cli(capsys, ["sql", statement, "--db", "w.duckdb"])
    assert status == 2
    assert_one_line(err, "SQL failed", "read-only")
    assert directory_state(user_dir) == before

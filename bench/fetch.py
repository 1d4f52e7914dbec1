"""Benchmark: 1,000 pages over 10 loopback hosts, each limited to 5 requests/s.

Each host serves robots.txt, one listing page and 198 report pages (200
requests/host). At min_delay = 0.2 s the politeness bound is
200 / 5 = 40 s per host; hosts run concurrently, so the whole crawl should
take about 40 s (target: within 10%), not 10 x 40 s.

Run: .venv/bin/python bench/fetch.py [--hosts 10] [--pages 200] [--rps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.archive import RawArchive  # noqa: E402
from tasks.fetch import FetchConfig, crawl  # noqa: E402
from tasks.records import PageFetch, ReportPage  # noqa: E402
from tasks.sources import Site  # noqa: E402
from tests.webfixture import FixtureWeb, article_html, listing_html, report_paragraphs  # noqa: E402


def build_host(web: FixtureWeb, name: str, reports: int) -> str:
    host = web.host(name)
    host.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    links = [(f"/r{i}.html", f"{1900 + i}年某某区政府工作报告") for i in range(reports)]
    host.add("/index.html", listing_html(links, charset_meta="utf-8"))
    body = article_html("政府工作报告", ["各位代表："] + report_paragraphs(30), charset_meta="utf-8")
    for i in range(reports):
        host.add(f"/r{i}.html", body)
    return host.url("/index.html")


async def run(sites: list[Site], archive: RawArchive) -> tuple[int, int, int]:
    fetches = reports = errors = 0
    async for item in crawl(sites, archive, {}, FetchConfig()):
        if isinstance(item, PageFetch):
            fetches += 1
            errors += item.error is not None
        elif isinstance(item, ReportPage):
            reports += 1
    return fetches, reports, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--pages", type=int, default=200, help="requests per host (robots + listing + reports)")
    parser.add_argument("--rps", type=float, default=5.0, help="per-host request rate limit")
    args = parser.parse_args()
    delay = 1 / args.rps
    bound = args.pages / args.rps
    with FixtureWeb() as web, tempfile.TemporaryDirectory() as tmp:
        sites = [
            Site(f"host{i}", (build_host(web, f"host{i}", args.pages - 2),), min_delay=delay, max_concurrency=2)
            for i in range(args.hosts)
        ]
        started = time.monotonic()
        fetches, reports, errors = asyncio.run(run(sites, RawArchive(Path(tmp))))
        elapsed = time.monotonic() - started
        served = sum(len(host.requests()) for host in web.hosts.values())
    print(f"hosts={args.hosts} requests={served} fetches={fetches} reports={reports} errors={errors}")
    print(f"wall time {elapsed:.1f} s; politeness bound {bound:.1f} s "
          f"({args.pages} requests/host / {args.rps:g} rps); ratio {elapsed / bound:.3f}")
    if elapsed > bound * 1.10 or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()

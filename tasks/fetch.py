"""Polite, bounded, incremental fetching of report pages.

Each host is crawled at its own pace (minimum delay + concurrency cap,
robots.txt, Retry-After) while all hosts run concurrently, so a run takes
about as long as its slowest host. Every body is archived before anything
else sees it, and re-runs send conditional requests so unchanged reports
cost one 304 each and need no downstream work.

This module is the crawl (listings, reports, their parts and attachments,
robots.txt) and HTTP (checked redirects, retries, size caps, freshness). Its
helpers have a module each: tasks/archive.py (the raw archive),
tasks/politeness.py (host pacing, Retry-After), tasks/addresses.py (private
addresses), tasks/decoding.py (Content-Encoding, charsets, the size cap),
tasks/walls.py (bot walls), and tasks/assemble.py builds the reports.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Coroutine
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from protego import Protego

from tasks import discover
from tasks.addresses import host_is_private, is_private_address
from tasks.archive import RawArchive
from tasks.assemble import failure, join_report, read_page, wants_attachment
from tasks.decoding import (PAGE_SIZE_CAP, BodyTooLarge, BoundedDecoder, TruncatedBody, UnsupportedEncoding,
                            charset_used)
from tasks.freshness import fresh_until
from tasks.parse import ParseError, check_nesting, decode_html, document_kind
from tasks.politeness import ROBOTS_AGENT, HostGate, retry_after_seconds
from tasks.records import Known, PageFetch, PageText, ReportPage, Skip
from tasks.sources import Site
from tasks.walls import wall_kind

log = logging.getLogger("govreports.fetch")

MAX_REDIRECTS = 5
MAX_PARTS = 30
REDIRECT_CODES = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
WALL_STATUSES = (403, 412)  # what bot walls answer besides 200 (tasks/walls.py)
WALL_BODY_BYTES = 256 * 1024  # of a 403/412 answer: enough to tell a bot wall from a plain refusal


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = "govreports/0.1 (+https://github.com/govreports/govreports)"
    max_bytes: int = PAGE_SIZE_CAP
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff_base: float = 0.5
    max_retry_after: float = 60.0
    max_pages: int | None = None  # bound on report pages per run
    max_listing_pages: int = 50  # pagination bound per start URL
    respect_robots: bool = True
    allow_private_targets: bool = False  # else private targets only when the start URL is on one
    max_freshness: float = 12 * 3600  # seconds a page may go unasked while fresh (tasks/freshness.py); 0: off
    revalidate: bool = False  # ask about every page, fresh or not (a reload); answers still record freshness


# Pages a run does not ask again while they are fresh (tasks/freshness.py). robots.txt is asked once a
# run and host all the same: one request, and the rules a crawl obeys should be the server's latest.
FRESHNESS_ROLES = ("listing", "report", "part", "attachment")

# Reports being fetched or waiting for the pipeline at most (Crawler.crawl_report): about a batch's worth
# ahead of the processing, as many concurrent report fetches as all sites' max_concurrency allows.
MAX_WAITING = 128


@dataclass(frozen=True)
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes


@dataclass(frozen=True)
class Fetched:
    """A PageFetch plus the body (from the wire, or from the archive when unchanged)."""

    fetch: PageFetch
    data: bytes | None
    archived: str | None = None  # a 304's archive path when its body was not read (`fetch(lazy=True)`)


def _now() -> str:
    return _iso(datetime.now(timezone.utc))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


class Crawler:
    """State of one crawl run: client, per-host gates, robots rules, seen URLs."""

    def __init__(self, sites: list[Site], archive: RawArchive, known: Mapping[str, Known], config: FetchConfig):
        self.sites = sites
        self.archive = archive
        self.known = known
        self.config = config
        self.gates: dict[str, HostGate] = {}
        for site in sites:
            for url in site.start_urls:
                self.gates.setdefault(_netloc(url), HostGate(site.min_delay, site.max_concurrency))
        self.allowed_hosts = frozenset(self.gates)
        self.private_ok: set[str] = set()
        self.robots: dict[str, Protego | None] = {}
        self.robots_locks: dict[str, asyncio.Lock] = {}
        self.reports_seen: set[str] = set()
        self.skips_seen: set[str] = set()
        self.listings_seen: set[str] = set()
        self.report_count = 0
        self.report_slots = asyncio.Semaphore(MAX_WAITING)  # see crawl_report
        self.slot_holders: set[str] = set()  # reports emitted with a slot, not yet taken by the consumer
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()
        self.client: httpx.AsyncClient | None = None

    # -- orchestration --

    async def run(self) -> AsyncIterator[PageFetch | ReportPage | Skip]:
        timeout = httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout)
        headers = {"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip, deflate"}
        async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False, trust_env=False) as client:
            self.client = client
            for netloc in self.allowed_hosts:
                if await host_is_private(urlsplit(f"//{netloc}").hostname or netloc):
                    self.private_ok.add(netloc)
            for site in self.sites:
                for url in site.start_urls:
                    self.spawn(self.crawl_start(site, url), url)
            try:
                while self.tasks or not self.queue.empty():
                    item = await self.queue.get()
                    if isinstance(item, BaseException):
                        raise item
                    if isinstance(item, ReportPage) and item.url in self.slot_holders:
                        self.slot_holders.discard(item.url)
                        self.report_slots.release()
                    if item is not None:
                        yield item
            finally:
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None], url: str) -> None:
        task = asyncio.create_task(self.isolated(coro, url))
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    async def isolated(self, coro: Coroutine[Any, Any, None], url: str) -> None:
        """One page's crawl: an exception its content causes (a listing's or report's HTML that a rule
        fails on) is that URL's skip reason, naming the exception, and the crawl goes on."""
        try:
            await coro
        except Exception as exc:  # one page's failure, recorded (see tasks/assemble.py)
            log.debug("crawling %s failed", url, exc_info=True)
            self.skip(url, failure("crawling", exc))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """Wake the consumer; a crashed task is a bug and is re-raised there, not hidden."""
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.queue.put_nowait(task.exception())
        else:
            self.queue.put_nowait(None)

    def emit(self, item: PageFetch | ReportPage | Skip) -> None:
        if isinstance(item, ReportPage):
            self.slot_holders.add(item.url)
        self.queue.put_nowait(item)

    def skip(self, url: str, reason: str) -> None:
        if url not in self.skips_seen:
            self.skips_seen.add(url)
            self.emit(Skip(url, reason))

    # -- pages --

    async def crawl_start(self, site: Site, url: str) -> None:
        """A start URL may be a listing or a report: fetch it and let the page decide."""
        if not await self.robots_allow(site, url):
            return
        fetched = await self.fetch(url, "listing", site)
        if fetched.data is None:
            self.emit(fetched.fetch)
            return
        if document_kind(fetched.data, url, fetched.fetch.content_type) != "html":
            self.reports_seen.add(url)
            await self.assemble_report(site, url, fetched)
            return
        page = self.read(site, fetched)
        if page is None:
            return
        html, _ = decode_html(fetched.data, fetched.fetch.charset)
        kind = discover.page_kind(page, html, fetched.fetch.final_url or url)
        if kind == "report":
            self.reports_seen.add(url)
            await self.assemble_report(site, url, fetched, page)
        elif kind == "listing":
            self.listings_seen.add(url)
            self.emit(fetched.fetch)
            await self.process_listing(site, url, fetched, html, budget=[self.config.max_listing_pages - 1])
        else:
            self.emit(fetched.fetch)
            self.skip(url, "neither a report nor a listing of reports")

    async def process_listing(self, site: Site, url: str, fetched: Fetched, html: str, budget: list[int]) -> None:
        """Queue report links, record look-alikes, follow the listing's pagination (bounded)."""
        base = fetched.fetch.final_url or url
        found = discover.listing_links(html, base, site.listing_selector)
        for link, reason in found.skipped:
            self.skip(link.url, reason)
        for link in found.reports:
            self.schedule_report(site, link.url)
        for page_url in found.pages:
            if page_url in self.listings_seen or _netloc(page_url) != _netloc(base):
                continue
            if budget[0] <= 0:
                break
            budget[0] -= 1
            self.listings_seen.add(page_url)
            self.spawn(self.crawl_listing_page(site, page_url, budget), page_url)

    async def crawl_listing_page(self, site: Site, url: str, budget: list[int]) -> None:
        if not await self.robots_allow(site, url):
            return
        fetched = await self.fetch(url, "listing", site)
        if fetched.data is None:
            self.emit(fetched.fetch)
            return
        html, _ = decode_html(fetched.data, fetched.fetch.charset)
        try:
            check_nesting(html)
        except ParseError as exc:
            self.emit(dataclasses.replace(fetched.fetch, error=str(exc)))
            return
        kind = wall_kind(html)
        if kind is not None:
            self.emit(dataclasses.replace(fetched.fetch, error=f"blocked: {kind}"))
            return
        self.emit(fetched.fetch)
        await self.process_listing(site, url, fetched, html, budget)

    def schedule_report(self, site: Site, url: str) -> None:
        if url in self.reports_seen:
            return
        if _netloc(url) not in self.allowed_hosts:
            self.skip(url, f"off-site link: {_netloc(url)} is not in the sources")
            return
        if self.config.max_pages is not None and self.report_count >= self.config.max_pages:
            self.skip(url, f"max_pages ({self.config.max_pages}) reached")
            return
        self.reports_seen.add(url)
        self.report_count += 1
        self.spawn(self.crawl_report(site, url), url)

    async def crawl_report(self, site: Site, url: str) -> None:
        """Backpressure: a report is fetched only with one of MAX_WAITING slots, held until the consumer
        takes the report (or until the fetch ends without one). A crawl faster than the processing (a fast
        site, loopback) otherwise held every page it had fetched in memory."""
        await self.report_slots.acquire()
        try:
            await self._crawl_report(site, url)
        finally:
            if url not in self.slot_holders:  # no report emitted: nothing for the consumer to release
                self.report_slots.release()

    async def _crawl_report(self, site: Site, url: str) -> None:
        if not await self.robots_allow(site, url):
            return
        fetched = await self.fetch(url, "report", site, lazy=True)
        if fetched.archived is not None and await self.parts_unchanged(site, url):
            self.emit(fetched.fetch)  # the report and its parts as archived: nothing to parse, nothing new
            return
        fetched = self.with_body(fetched)
        if fetched.data is None:
            self.emit(fetched.fetch)
            return
        await self.assemble_report(site, url, fetched)

    async def assemble_report(self, site: Site, url: str, first: Fetched, page: PageText | None = None) -> None:
        """Join a report's parts (or its attachment) into one ReportPage, or Skip it (tasks/assemble.py)."""
        first = dataclasses.replace(first, fetch=dataclasses.replace(first.fetch, role="report"))
        page = page or self.read(site, first)
        if page is None:
            return
        self.emit(first.fetch)
        pieces = [(first, page)]
        first_kind = document_kind(first.data or b"", url, first.fetch.content_type)
        if first_kind == "html":
            html, _ = decode_html(first.data or b"", first.fetch.charset)
            pieces += await self.fetch_parts(site, url, html)
        joined = join_report(url, [page for _, page in pieces])
        if wants_attachment(joined, len(pieces), first_kind):
            html, _ = decode_html(first.data or b"", first.fetch.charset)
            attachment = await self.fetch_attachment(site, url, html)
            if attachment is not None:
                joined = join_report(url, [page for _, page in pieces], attachment[1])
                if joined.attachment_used:
                    pieces.append(attachment)
        if joined.verdict is not None:
            self.skip(url, joined.verdict)
            return
        self.emit(ReportPage(
            url=url,
            source_name=site.name,
            authority=site.authority,
            page=joined.page,
            raw_sha256s=tuple(f.fetch.raw_sha256 for f, _ in pieces if f.fetch.raw_sha256),
            changed=not all(f.fetch.not_modified for f, _ in pieces) or not self.settled(url),
        ))

    async def parts_unchanged(self, site: Site, url: str) -> bool:
        """After a 304 on a known report: are its known parts unchanged too (one conditional request each)?

        Their fetches are emitted only when all are; otherwise the report is
        assembled as usual, which fetches the parts again.
        """
        known = self.known.get(url)
        parts = known.parts if known else None
        if parts is None or not all(ok for *_, ok in parts):
            return False  # parts not known, or one failed last time: the whole report again
        fetches = []
        for part_url, role, index, _ in parts:
            fetched = await self.fetch(part_url, role, site, part_of=url, part_index=index, lazy=True)
            if fetched.archived is None:
                return False
            fetches.append(fetched.fetch)
        for fetch in fetches:
            self.emit(fetch)
        return True

    def settled(self, url: str) -> bool:
        known = self.known.get(url)
        return known is not None and known.settled

    def with_body(self, fetched: Fetched) -> Fetched:
        """A lazily fetched 304 with its archived body read back (and its charset known)."""
        if fetched.archived is None:
            return fetched
        data = self.archive.get(fetched.archived)
        charset = charset_used(data, fetched.fetch.final_url or fetched.fetch.url, fetched.fetch.content_type)
        return Fetched(dataclasses.replace(fetched.fetch, charset=charset), data)

    async def fetch_parts(self, site: Site, url: str, html: str) -> list[tuple[Fetched, PageText]]:
        """Pages 2..n of a split article, in part order; each part may reveal further parts."""
        todo = discover.part_links(html, url)
        done: list[str] = []
        pieces: list[tuple[Fetched, PageText]] = []
        while todo and len(done) < MAX_PARTS:
            part_url = todo.pop(0)
            done.append(part_url)
            fetched = await self.fetch(part_url, "part", site, part_of=url, part_index=len(done))
            if fetched.data is None:
                self.emit(fetched.fetch)
                continue
            page = self.read(site, fetched)
            if page is None:
                continue
            self.emit(fetched.fetch)
            pieces.append((fetched, page))
            part_html, _ = decode_html(fetched.data, fetched.fetch.charset)
            for more in discover.part_links(part_html, url):
                if more not in done and more not in todo:
                    todo.append(more)
        return pieces

    async def fetch_attachment(self, site: Site, url: str, html: str) -> tuple[Fetched, PageText] | None:
        """The report's PDF/DOCX when the article page itself only links to it."""
        links = discover.attachment_links(html, url, site.content_selector)
        links.sort(key=lambda link: not discover.mentions_report(link.text))
        for link in links[:3]:
            if _netloc(link.url) not in self.allowed_hosts or not await self.robots_allow(site, link.url):
                continue
            fetched = await self.fetch(link.url, "attachment", site, part_of=url, part_index=1)
            if fetched.data is None:
                self.emit(fetched.fetch)
                continue
            page = self.read(site, fetched)
            if page is None:
                continue
            self.emit(fetched.fetch)
            return fetched, page
        return None

    def read(self, site: Site, fetched: Fetched) -> PageText | None:
        """The fetched body as a PageText (tasks/assemble.py read_page); a body that cannot be read, or
        a bot wall, is emitted as the page's error and gives None."""
        f = fetched.fetch
        try:
            return read_page(fetched.data or b"", url=f.final_url or f.url, content_type=f.content_type,
                             charset=f.charset, content_selector=site.content_selector)
        except ParseError as exc:
            self.emit(dataclasses.replace(f, error=str(exc)))
            return None

    # -- robots.txt --

    async def robots_allow(self, site: Site, url: str) -> bool:
        """Check robots.txt (fetched once per host); Skip the URL when disallowed."""
        if not self.config.respect_robots:
            return True
        netloc = _netloc(url)
        lock = self.robots_locks.setdefault(netloc, asyncio.Lock())
        async with lock:
            if netloc not in self.robots:
                self.robots[netloc] = await self.load_robots(site, url)
        rules = self.robots[netloc]
        if rules is None or rules.can_fetch(url, ROBOTS_AGENT):
            return True
        self.skip(url, "robots.txt disallows")
        return False

    async def load_robots(self, site: Site, url: str) -> Protego | None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        fetched = await self.fetch(robots_url, "robots", site)
        if fetched.fetch.http_status is not None:
            # An unreachable host is recorded once, on the page asked for, not also on its robots.txt.
            self.emit(fetched.fetch)
        if fetched.data is None or fetched.fetch.http_status not in (200, 304):
            return None  # missing robots.txt: everything allowed
        text, _ = decode_html(fetched.data, fetched.fetch.charset)
        rules = Protego.parse(text)
        delay = rules.crawl_delay(ROBOTS_AGENT)
        gate = self.gates[parts.netloc.lower()]
        if delay and delay > gate.min_delay:
            gate.min_delay = min(float(delay), self.config.max_retry_after)
        return rules

    # -- HTTP --

    async def fetch(self, url: str, role: str, site: Site, part_of: str | None = None,
                    part_index: int | None = None, lazy: bool = False) -> Fetched:
        """GET with manual, checked redirects; archive the body; never raises for a bad page.

        `lazy`: a 304 comes back with its archive path instead of its body, for a caller that may not need it.
        """
        base = dict(url=url, host=_netloc(url), source_name=site.name, role=role, part_of=part_of, part_index=part_index)
        known = self.known.get(url) if self.archive_has(self.known.get(url)) else None
        if known is not None and self.still_fresh(known, role):
            return self.from_cache(base, known, lazy)
        current, previous, visited = url, None, {url}
        for _ in range(MAX_REDIRECTS + 1):
            refusal = await self.refusal(current, redirected_from=previous)
            if refusal:
                return self.failed(base, current, None, refusal)
            outcome = await self.request(current, self.conditional_headers(known))
            if isinstance(outcome, str):
                return self.failed(base, current, None, outcome)
            location = outcome.headers.get("location")
            if outcome.status not in REDIRECT_CODES or not location:
                return self.record(base, outcome, known, lazy)
            target = urldefrag(urljoin(current, location.strip())).url
            if target in visited:
                return self.failed(base, current, outcome.status, f"redirect loop: {target}")
            visited.add(target)
            previous, current = current, target
        return self.failed(base, current, None, f"too many redirects (more than {MAX_REDIRECTS})")

    def archive_has(self, known: Known | None) -> bool:
        """Only send conditional requests when the archive can give back the old body."""
        return known is not None and known.raw_sha256 is not None and self.archive.has(known.raw_sha256)

    @staticmethod
    def conditional_headers(known: Known | None) -> dict[str, str]:
        headers = {}
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers

    async def refusal(self, url: str, redirected_from: str | None = None) -> str | None:
        """Why this URL must not be requested, or None. Only the run's hosts, only http(s).

        Decided before any connection (and without DNS for hosts outside the
        sources). A redirect from a public host to a private or link-local
        address (127.0.0.1, 10.x, 169.254.169.254, localhost) is named as such.
        """
        parts = urlsplit(url)
        prefix = "redirect to " if redirected_from else ""
        if parts.scheme not in ("http", "https"):
            return f"{prefix}non-http scheme refused: {url}"
        netloc = parts.netloc.lower()
        if netloc not in self.allowed_hosts:
            hostname = parts.hostname or ""
            if (redirected_from and _netloc(redirected_from) not in self.private_ok
                    and (hostname == "localhost" or is_private_address(hostname))):
                return f"{prefix}private address refused: {url}"
            return f"{prefix}other host refused: {url}"
        if (not self.config.allow_private_targets and netloc not in self.private_ok
                and await host_is_private(parts.hostname or "")):
            return f"{prefix}private address refused: {url}"
        return None

    async def request(self, url: str, headers: dict[str, str]) -> _Response | str:
        """One logical GET with retries: backoff + jitter for timeouts/5xx, Retry-After for 429/503."""
        gate = self.gates[_netloc(url)]
        retries = self.config.retries
        error = "no attempt made"
        for attempt in range(retries + 1):
            async with gate.slot():
                try:
                    response = await self.get_once(url, headers)
                except httpx.TimeoutException:
                    response, error = None, "timeout"
                except TruncatedBody as exc:
                    response, error = None, str(exc)
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                    response, error = None, "connection reset"
                except httpx.ConnectError as exc:
                    response, error = None, f"connection failed: {_reason(exc)}"
                except (httpx.DecodingError, zlib.error, UnsupportedEncoding) as exc:
                    return f"could not decode body: {_reason(exc)}"
                except BodyTooLarge as exc:
                    return str(exc)
                except httpx.TransportError as exc:
                    response, error = None, f"transport error: {_reason(exc)}"
            if response is not None and response.status not in RETRY_STATUSES:
                return response
            if response is not None:
                error = f"HTTP {response.status} after {retries} retries"
            if attempt == retries:
                break
            wait = retry_after_seconds(response.headers.get("retry-after"), self.config.max_retry_after) if response else None
            if wait is not None:
                gate.pause(wait)
            else:
                await asyncio.sleep(self.config.backoff_base * 2**attempt * (1 + random.random() / 2))
        return error

    async def get_once(self, url: str, headers: dict[str, str]) -> _Response:
        """Stream the body with a cap on decoded bytes.

        Content-Encoding is undone here, at most DECODE_PIECE bytes at a time,
        so a gzip bomb stops at the cap instead of inflating a whole network
        chunk (64 KB of gzip can be 64 MB of zeros) in one allocation.
        """
        assert self.client is not None
        cap = self.config.max_bytes
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                # No body by definition; reading its end hands the connection back to the pool (left unread,
                # httpcore closes it, and a no-op run opened a new connection, a TLS handshake on https, per page).
                await response.aread()
            if response.status_code in WALL_STATUSES:
                # a refusal's body, up to WALL_BODY_BYTES, tells a bot wall from a plain 403 (record())
                cap = WALL_BODY_BYTES
            elif response.status_code in REDIRECT_CODES or response.status_code == 304 or response.status_code >= 400:
                return _Response(url, response.status_code, response.headers, b"")
            declared = _int(response.headers.get("content-length"))
            if declared is not None and declared > cap and response.status_code not in WALL_STATUSES:
                raise BodyTooLarge(f"body larger than {cap} bytes")
            decoder = BoundedDecoder(response.headers.get("content-encoding"))
            chunks, total = [], 0
            try:
                async for raw in response.aiter_raw():
                    for piece in decoder.feed(raw):
                        total += len(piece)
                        if total > cap and response.status_code in WALL_STATUSES:
                            return _Response(url, response.status_code, response.headers, b"")  # too big for a wall
                        if total > cap:
                            raise BodyTooLarge(f"body larger than {cap} bytes")
                        chunks.append(piece)
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if declared is not None and response.num_bytes_downloaded < declared:
                    raise TruncatedBody(
                        f"truncated body (Content-Length {declared}, got {response.num_bytes_downloaded})"
                    ) from exc
                raise
            tail = decoder.flush()
            if total + len(tail) > cap:
                raise BodyTooLarge(f"body larger than {cap} bytes")
            chunks.append(tail)
            return _Response(url, response.status_code, response.headers, b"".join(chunks))

    def record(self, base: dict[str, Any], response: _Response, known: Known | None, lazy: bool = False) -> Fetched:
        """Archive the body first, then describe it as a PageFetch."""
        headers = response.headers
        content_type = headers.get("content-type")
        received = datetime.now(timezone.utc)
        fresh = None
        if response.status in (200, 304) and base["role"] in FRESHNESS_ROLES:
            stored_last_modified = known.last_modified if known and response.status == 304 else None
            fresh = fresh_until(headers, received, stored_last_modified, timedelta(seconds=self.config.max_freshness))
        meta = dict(
            base, final_url=response.url, fetched_at=_iso(received), http_status=response.status,
            content_type=content_type, etag=headers.get("etag"), last_modified=headers.get("last-modified"),
            fresh_until=_iso(fresh) if fresh else None,
        )
        if response.status == 304 and known is not None and known.raw_sha256:
            return self.from_archive(meta, known.raw_sha256, lazy)
        if response.status >= 300:
            wall = wall_kind(decode_html(response.body, None)[0]) if response.body else None
            error = f"blocked: {wall}" if wall else f"HTTP {response.status}"
            return Fetched(PageFetch(**meta, charset=None, raw_sha256=None, raw_path=None, error=error), None)
        if not response.body:
            return Fetched(PageFetch(**meta, charset=None, raw_sha256=None, raw_path=None, error="empty body"), None)
        sha256, relative = self.archive.put(response.body)
        fetch = PageFetch(
            **meta, charset=charset_used(response.body, response.url, content_type), raw_sha256=sha256,
            raw_path=relative, error=None, not_modified=known is not None and known.raw_sha256 == sha256,
        )
        return Fetched(fetch, response.body)

    def still_fresh(self, known: Known, role: str) -> bool:
        if self.config.revalidate or self.config.max_freshness <= 0 or role not in FRESHNESS_ROLES:
            return False
        return known.fresh_until is not None and known.fresh_until > datetime.now(timezone.utc)

    def from_cache(self, base: dict[str, Any], known: Known, lazy: bool) -> Fetched:
        """A page whose archived version is still fresh, as if it had answered 304, without asking."""
        assert known.raw_sha256 is not None and known.fresh_until is not None
        meta = dict(
            base, final_url=known.final_url or base["url"], fetched_at=_now(), http_status=None,
            content_type=known.content_type, etag=known.etag, last_modified=known.last_modified,
            fresh_until=_iso(known.fresh_until), fresh=True,
        )
        return self.from_archive(meta, known.raw_sha256, lazy)

    def from_archive(self, meta: dict[str, Any], raw_sha256: str, lazy: bool) -> Fetched:
        """The archived version of an unchanged page; `lazy`: its path only, the body unread."""
        relative = self.archive.path_for(raw_sha256)
        if lazy:
            return Fetched(PageFetch(**meta, charset=None, raw_sha256=raw_sha256, raw_path=relative, error=None,
                                     not_modified=True), None, archived=relative)
        data = self.archive.get(relative)
        charset = charset_used(data, meta["final_url"], meta["content_type"])
        return Fetched(PageFetch(**meta, charset=charset, raw_sha256=raw_sha256, raw_path=relative, error=None,
                                 not_modified=True), data)

    @staticmethod
    def failed(base: dict[str, Any], final_url: str, status: int | None, error: str) -> Fetched:
        return Fetched(PageFetch(**base, final_url=final_url, fetched_at=_now(), http_status=status, content_type=None,
                                 charset=None, raw_sha256=None, raw_path=None, etag=None, last_modified=None,
                                 error=error), None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


async def crawl(
    sites: list[Site], archive: RawArchive, known: Mapping[str, Known], config: FetchConfig
) -> AsyncIterator[PageFetch | ReportPage | Skip]:
    """Crawl all sites concurrently, yielding fetches, reports and skips as they happen."""
    async for item in Crawler(sites, archive, known, config).run():
        yield item

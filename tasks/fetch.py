"""Polite, bounded, incremental fetching of report pages.

Each host is crawled at its own pace (minimum delay + concurrency cap,
robots.txt, Retry-After) while all hosts run concurrently, so a run takes
about as long as its slowest host. Every body is archived before anything
else sees it, and re-runs send conditional requests so unchanged reports
cost one 304 each and need no downstream work.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import hashlib
import ipaddress
import os
import random
import socket
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Coroutine
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from protego import Protego

from tasks import discover
from tasks.freshness import fresh_until, http_date
from tasks.parse import ParseError, decode_html, document_kind, parse_document
from tasks.records import PageText
from tasks.sources import Site

MAX_REDIRECTS = 5
MAX_PARTS = 30
REDIRECT_CODES = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
ROBOTS_AGENT = "govreports"


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = "govreports/0.1 (+https://github.com/govreports/govreports)"
    max_bytes: int = 30 * 1024 * 1024
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


@dataclass(frozen=True)
class PageFetch:
    """One row of the `pages` table, plus the page's role in the crawl."""

    url: str
    final_url: str | None
    host: str
    source_name: str | None
    fetched_at: str  # ISO UTC
    http_status: int | None
    content_type: str | None
    charset: str | None
    raw_sha256: str | None
    raw_path: str | None  # relative to the archive root
    etag: str | None
    last_modified: str | None
    error: str | None
    role: str  # listing | report | part | attachment | robots | skipped
    part_of: str | None = None  # for role=part/attachment: url of the report's first page
    part_index: int | None = None
    not_modified: bool = False  # 304 or body identical to the known raw_sha256
    fresh_until: str | None = None  # ISO UTC: until then a run does not ask again (tasks/freshness.py)
    fresh: bool = False  # not requested: the archived version was still fresh (implies not_modified)


@dataclass(frozen=True)
class ReportPage:
    """One report's text, all parts joined in order."""

    url: str
    source_name: str
    authority: str
    page: PageText
    raw_sha256s: tuple[str, ...]
    changed: bool  # False when every part was 304/unchanged


@dataclass(frozen=True)
class Skip:
    url: str
    reason: str


@dataclass(frozen=True)
class Known:
    """What the warehouse knows about a URL, for conditional requests.

    `parts`: for a report whose document is loaded, its other pages and
    attachment as (url, role, part_index) and whether each answered well last
    time (empty: none; None: not known, or not loaded); with them a 304 on the
    report settles it without reading its archived bytes again. A page not
    `settled` (its batch was cut short by a kill) is processed again even when
    unchanged. Before `fresh_until` the URL is not requested at all.
    """

    etag: str | None
    last_modified: str | None
    raw_sha256: str | None
    parts: tuple[tuple[str, str, int, bool], ...] | None = None
    settled: bool = False  # its document is loaded, or it was judged not a report (skipped_links)
    final_url: str | None = None
    content_type: str | None = None
    fresh_until: datetime | None = None  # aware UTC; before then the archived version is used unasked


# --- raw archive ---------------------------------------------------------------------

# gzip level 4 writes an HTML page in under half the CPU of the default 9 (which
# was a sixth of the crawl thread's time) for a 3% larger archive.
ARCHIVE_GZIP_LEVEL = 4

# Pages a run does not ask again while they are fresh (tasks/freshness.py). robots.txt is asked once a
# run and host all the same: one request, and the rules a crawl obeys should be the server's latest.
FRESHNESS_ROLES = ("listing", "report", "part", "attachment")

# Reports being fetched or waiting for the pipeline at most (Crawler.crawl_report): about a batch's worth
# ahead of the processing, as many concurrent report fetches as all sites' max_concurrency allows.
MAX_WAITING = 128


class RawArchive:
    """Content-addressed, gzip-compressed store of every response body.

    Bodies are written to `<root>/.incoming/<pid>-<random>.tmp` and moved into
    place with `os.replace`, so the archive tree only ever holds complete files;
    temp files left by a killed process are swept when the next archive opens.
    """

    INCOMING = ".incoming"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.sweep_incoming()

    @staticmethod
    def path_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.gz"

    def put(self, data: bytes) -> tuple[str, str]:
        """Store once; a kill mid-write leaves at most a temp file outside the tree (swept later)."""
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self.path_for(sha256)
        target = self.root / relative
        if target.exists():
            return sha256, relative
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = self.root / self.INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        tmp = incoming / f"{os.getpid()}-{uuid.uuid4().hex}.tmp"
        try:
            tmp.write_bytes(gzip.compress(data, compresslevel=ARCHIVE_GZIP_LEVEL, mtime=0))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return sha256, relative

    def get(self, relative_path: str) -> bytes:
        return gzip.decompress((self.root / relative_path).read_bytes())

    def has(self, sha256: str) -> bool:
        return (self.root / self.path_for(sha256)).exists()

    def sweep_incoming(self) -> list[Path]:
        """Delete temp files whose writing process no longer exists (it was killed mid-write)."""
        removed = []
        incoming = self.root / self.INCOMING
        for tmp in incoming.glob("*.tmp") if incoming.is_dir() else ():
            pid = _int(tmp.name.split("-", 1)[0])
            if pid is None or not _process_alive(pid):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
        return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


# --- politeness ------------------------------------------------------------------------


class HostGate:
    """Per-host pacing: at most `max_concurrency` requests, starts >= `min_delay` apart."""

    def __init__(self, min_delay: float, max_concurrency: int):
        self.min_delay = min_delay
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            async with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.min_delay
            if start > now:
                await asyncio.sleep(start - now)
            yield

    def pause(self, seconds: float) -> None:
        """Hold the whole host back (Retry-After applies to the host, not one URL)."""
        self._next_start = max(self._next_start, time.monotonic() + seconds)


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Retry-After as delta-seconds or HTTP-date, capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), cap))


# --- safety ----------------------------------------------------------------------------


def is_private_address(host: str) -> bool:
    """Loopback, private, link-local, reserved or unspecified IP literal."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved or address.is_unspecified


async def host_is_private(hostname: str) -> bool:
    """True if the host is, or resolves to, a non-public address."""
    if hostname == "localhost" or is_private_address(hostname):
        return True
    if hostname.replace(".", "").isdigit() or ":" in hostname:
        return False  # a public IP literal
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, OSError):
        return False  # the request itself will fail with a readable error
    return any(is_private_address(str(info[4][0])) for info in infos)


# --- fetching one URL ---------------------------------------------------------------------


class BodyTooLarge(Exception):
    pass


class TruncatedBody(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


DECODE_PIECE = 64 * 1024


class BoundedDecoder:
    """Incremental Content-Encoding decoding (identity, gzip, deflate) in pieces of at most DECODE_PIECE bytes."""

    def __init__(self, content_encoding: str | None):
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UnsupportedEncoding(f"unsupported Content-Encoding: {content_encoding}")
        self.coding = codings[0] if codings else None
        self._first = True
        self._zlib = self._new()

    def _new(self):
        # 32 + MAX_WBITS: zlib or gzip header, detected; raw deflate is tried on failure (as httpx does)
        return zlib.decompressobj(32 + zlib.MAX_WBITS) if self.coding else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            for start in range(0, len(data), DECODE_PIECE):
                yield data[start:start + DECODE_PIECE]
            return
        if self._first and data:
            self._first = False
            probe = self._zlib.copy()
            try:
                probe.decompress(data[:64], 1)
            except zlib.error:
                if self.coding != "deflate":
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            out = self._zlib.decompress(data, DECODE_PIECE)
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if self._zlib.eof and self._zlib.unused_data:  # concatenated gzip members
                data = self._zlib.unused_data
                self._zlib = self._new()
                continue
            if not data and len(out) < DECODE_PIECE:
                return

    def flush(self) -> bytes:
        return self._zlib.flush() if self._zlib is not None else b""


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
                    self.spawn(self.crawl_start(site, url))
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

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

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
        html, _ = decode_html(fetched.data, fetched.fetch.charset)
        page = parse_document(fetched.data, url=url, content_type=fetched.fetch.content_type,
                              charset=fetched.fetch.charset, content_selector=site.content_selector)
        kind = discover.page_kind(page, html, fetched.fetch.final_url or url)
        if kind == "report":
            self.reports_seen.add(url)
            await self.assemble_report(site, url, fetched)
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
            self.spawn(self.crawl_listing_page(site, page_url, budget))

    async def crawl_listing_page(self, site: Site, url: str, budget: list[int]) -> None:
        if not await self.robots_allow(site, url):
            return
        fetched = await self.fetch(url, "listing", site)
        self.emit(fetched.fetch)
        if fetched.data is not None:
            html, _ = decode_html(fetched.data, fetched.fetch.charset)
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
        self.spawn(self.crawl_report(site, url))

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

    async def assemble_report(self, site: Site, url: str, first: Fetched) -> None:
        """Join a report's parts (or its attachment) into one ReportPage, or Skip it."""
        first = dataclasses.replace(first, fetch=dataclasses.replace(first.fetch, role="report"))
        try:
            pieces = [(first, self.parse(site, first))]
        except ParseError as exc:
            self.emit(dataclasses.replace(first.fetch, error=str(exc)))
            return
        self.emit(first.fetch)
        if document_kind(first.data or b"", url, first.fetch.content_type) == "html":
            html, _ = decode_html(first.data or b"", first.fetch.charset)
            pieces += await self.fetch_parts(site, url, html)
        page = join_pages([page for _, page in pieces])
        verdict = discover.report_verdict(page)
        if verdict is not None and len(pieces) == 1 and document_kind(first.data or b"", url, first.fetch.content_type) == "html":
            html, _ = decode_html(first.data or b"", first.fetch.charset)
            attachment = await self.fetch_attachment(site, url, html)
            if attachment is not None and discover.report_verdict(attachment[1]) is None:
                pieces.append(attachment)
                page = dataclasses.replace(attachment[1], url=url, title=page.title or attachment[1].title,
                                           site_name=page.site_name, chrome_text=page.chrome_text)
                verdict = None
        if verdict is not None:
            self.skip(url, verdict)
            return
        self.emit(ReportPage(
            url=url,
            source_name=site.name,
            authority=site.authority,
            page=page,
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
        charset = _charset_used(data, fetched.fetch.final_url or fetched.fetch.url, fetched.fetch.content_type)
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
            try:
                page = self.parse(site, fetched)
            except ParseError as exc:
                self.emit(dataclasses.replace(fetched.fetch, error=str(exc)))
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
            try:
                page = self.parse(site, fetched)
            except ParseError as exc:
                self.emit(dataclasses.replace(fetched.fetch, error=str(exc)))
                continue
            self.emit(fetched.fetch)
            return fetched, page
        return None

    def parse(self, site: Site, fetched: Fetched) -> PageText:
        f = fetched.fetch
        return parse_document(fetched.data or b"", url=f.final_url or f.url, content_type=f.content_type,
                              charset=f.charset, content_selector=site.content_selector)

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
            if response.status_code in REDIRECT_CODES or response.status_code == 304 or response.status_code >= 400:
                return _Response(url, response.status_code, response.headers, b"")
            declared = _int(response.headers.get("content-length"))
            if declared is not None and declared > cap:
                raise BodyTooLarge(f"body larger than {cap} bytes")
            decoder = BoundedDecoder(response.headers.get("content-encoding"))
            chunks, total = [], 0
            try:
                async for raw in response.aiter_raw():
                    for piece in decoder.feed(raw):
                        total += len(piece)
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
            return Fetched(PageFetch(**meta, charset=None, raw_sha256=None, raw_path=None,
                                     error=f"HTTP {response.status}"), None)
        if not response.body:
            return Fetched(PageFetch(**meta, charset=None, raw_sha256=None, raw_path=None, error="empty body"), None)
        sha256, relative = self.archive.put(response.body)
        fetch = PageFetch(
            **meta, charset=_charset_used(response.body, response.url, content_type), raw_sha256=sha256,
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
        charset = _charset_used(data, meta["final_url"], meta["content_type"])
        return Fetched(PageFetch(**meta, charset=charset, raw_sha256=raw_sha256, raw_path=relative, error=None,
                                 not_modified=True), data)

    @staticmethod
    def failed(base: dict[str, Any], final_url: str, status: int | None, error: str) -> Fetched:
        return Fetched(PageFetch(**base, final_url=final_url, fetched_at=_now(), http_status=status, content_type=None,
                                 charset=None, raw_sha256=None, raw_path=None, etag=None, last_modified=None,
                                 error=error), None)


def _charset_used(data: bytes, url: str, content_type: str | None) -> str | None:
    """The charset a text body decodes with (None for PDF/DOCX)."""
    if document_kind(data, url, content_type) not in ("html", "txt"):
        return None
    header = httpx.Headers({"content-type": content_type}).get("content-type") if content_type else None
    declared = None
    if header and "charset=" in header.lower():
        declared = header.lower().split("charset=")[-1].split(";")[0].strip()
    return decode_html(data, declared)[1]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def join_pages(pages: list[PageText]) -> PageText:
    """Parts of one article as one PageText: lines in part order, chrome from the first."""
    first = pages[0]
    lines = tuple(line for page in pages for line in page.lines)
    return dataclasses.replace(first, lines=lines)


async def crawl(
    sites: list[Site], archive: RawArchive, known: Mapping[str, Known], config: FetchConfig
) -> AsyncIterator[PageFetch | ReportPage | Skip]:
    """Crawl all sites concurrently, yielding fetches, reports and skips as they happen."""
    async for item in Crawler(sites, archive, known, config).run():
        yield item

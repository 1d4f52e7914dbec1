"""The pipeline as plain functions: acquire -> clean -> identify -> dedupe -> extract -> segment -> load.

Prefect flows (flows/prefect_flows.py) call `run_pipeline` with a `StageRunner`
that turns each batch step into a task run; benchmarks and tests call it
directly. Work is streamed in batches so memory does not grow with the
number of pages, and each batch is loaded in one transaction.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import datetime as dt
import functools
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

import duckdb

from flows import lifeline
from tasks.archive import RawArchive
from tasks.assemble import failure, make_copy, read_page
from tasks.corrections import Correction, Corrections, apply as apply_corrections, corrected_away, corrected_kind
from tasks.decoding import PAGE_SIZE_CAP
from tasks.dedupe import DocumentGroup, Fingerprint, doc_id_for, fingerprint, group_copies, worth_reading
from tasks.extract import EXTRACTOR_VERSION, extract_indicators
from tasks.anatomy import page_authority
from tasks.fetch import FetchConfig, crawl
from tasks.parse import LOCAL_SUFFIXES, ParseError
from tasks.records import Analysis, Copy, Known, LoadedDocument, PageFetch, ReportPage, Skip, TermCounts
from tasks import segment
from tasks.sources import Site
from warehouse import corrections as stored_corrections
from warehouse import db as warehouse_db
from warehouse import load
from warehouse.claims import record_report_claims
from warehouse.topics import sync_topic_terms

log = logging.getLogger("govreports.pipeline")

LOAD_ATTEMPTS = 3
LOAD_RETRY_SECONDS = 10.0

BATCH_SIZE = 100  # report pages per batch: one task run, one load transaction
BATCH_SIZE_VARIABLE = "GOVREPORTS_BATCH_SIZE"


StageRunner = Callable[..., Any]  # runner(name, fn, *args) -> fn(*args)

# What became of an input (a saved file or a fetched page): each lands in exactly one, so they add up to the
# inputs. A report's canonical copy makes a new or changed document; another copy of it is merged into it.
OUTCOMES = ("document_new", "document_changed", "copy_merged", "unchanged", "fresh", "not_report", "failed",
            "blocked", "listing", "report_part", "robots", "pending")
_ROLE_OUTCOMES = {"listing": "listing", "robots": "robots", "part": "report_part", "attachment": "report_part"}


def default_batch_size() -> int:
    """$GOVREPORTS_BATCH_SIZE, else BATCH_SIZE: smaller batches load sooner and hold less memory, at the
    cost of a task run and a transaction each."""
    value = os.environ.get(BATCH_SIZE_VARIABLE, str(BATCH_SIZE))
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ValueError(f"{BATCH_SIZE_VARIABLE}={value!r}: not a whole number of at least 1")
    return int(value)


def run_inline(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass
class RunSummary:
    flow: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    finished_at: dt.datetime | None = None
    pages_seen: int = 0
    pages_fetched: int = 0
    pages_unchanged: int = 0
    pages_fresh: int = 0  # of the unchanged: not requested, still fresh by HTTP caching (tasks/freshness.py)
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    documents_new: int = 0
    documents_changed: int = 0
    indicators_loaded: int = 0
    new_documents: list[dict] = field(default_factory=list)
    robots_ok: int = 0  # robots.txt answers among the fetched/unchanged pages: not report content
    outcomes: dict[str, str] = field(default_factory=dict)  # input url -> what became of it (OUTCOMES)
    pending: int = 0  # inputs fetched whose outcome waits for their batch to load (the rest are settled)

    @property
    def nothing_fetched(self) -> bool:
        """Pages failed and none (robots.txt aside) could be fetched: the run failed as a whole."""
        return bool(self.failures) and self.pages_fetched + self.pages_unchanged - self.robots_ok <= 0

    def run_row(self) -> dict:
        return {
            "run_id": self.run_id, "flow": self.flow, "started_at": self.started_at, "finished_at": self.finished_at,
            "pages_seen": self.pages_seen, "pages_fetched": self.pages_fetched,
            "documents_new": self.documents_new, "documents_changed": self.documents_changed,
            "errors": len(self.failures),
        }

    def count(self, fetch: PageFetch) -> None:
        self.pages_seen += 1
        if fetch.error:
            self.failures.append((fetch.url, fetch.error))
        elif fetch.not_modified:
            self.pages_unchanged += 1
            self.pages_fresh += fetch.fresh
        else:
            self.pages_fetched += 1
        if fetch.role == "robots" and not fetch.error:
            self.robots_ok += 1
        self._settle(fetch.url, _outcome(fetch))

    def _settle(self, url: str, outcome: str) -> None:
        self.pending += (outcome == "pending") - (self.outcomes.get(url) == "pending")
        self.outcomes[url] = outcome

    @property
    def settled(self) -> int:
        """Pages seen whose outcome is known: what a progress bar counts (a reprocess has none pending)."""
        return self.pages_seen - self.pending

    def skip(self, url: str, reason: str) -> None:
        """A page that is not a report (or a link not followed: not an input, only listed)."""
        self.skipped.append((url, reason))
        if url in self.outcomes:
            self._settle(url, "not_report")

    def loaded(self, docs: list[load.LoadedDocument], counts: load.LoadCounts) -> None:
        """Each of this run's copies in a loaded batch: its document's canonical copy, or merged into it."""
        for doc in docs:
            written = counts.written.get(doc.doc_id)
            for copy, _ in doc.sources:
                if "doc_id" in copy.extra:  # loaded by an earlier run: not an input of this one
                    continue
                if copy.url != doc.canonical.url:
                    self._settle(copy.url, "copy_merged")
                else:
                    self._settle(copy.url, f"document_{written}" if written else "unchanged")

    def input_counts(self) -> dict[str, int]:
        """How many inputs the run had (`total`) and how many ended each way (only the outcomes that occurred)."""
        counts = Counter(self.outcomes.values())
        return {"total": len(self.outcomes)} | {outcome: counts[outcome] for outcome in OUTCOMES if counts[outcome]}


def _outcome(fetch: PageFetch) -> str:
    """An input's outcome as far as its fetch tells; a fetched report's is settled when it loads (`pending` until)."""
    if fetch.error:
        return "blocked" if fetch.error.startswith("blocked:") else "failed"
    if fetch.not_modified:
        return "fresh" if fetch.fresh else "unchanged"
    return _ROLE_OUTCOMES.get(fetch.role, "pending")


# Called with the live summary after every page and every loaded batch (the CLI's progress display).
progress_hooks: list[Callable[[RunSummary], None]] = []


def _progress(summary: RunSummary) -> None:
    for hook in progress_hooks:
        hook(summary)


# -- worker processes ------------------------------------------------------------------------

# Per-report work (clean, metadata, fingerprint; indicators, segmentation) is
# independent from report to report and is most of a run's CPU time, so a batch
# of at least this many items goes to one worker process per core, started on
# first use and kept for the process's life; the main process keeps what needs
# the whole batch or the warehouse (reading files, grouping copies, loading).
MIN_PARALLEL_ITEMS = 8
_pool: ProcessPoolExecutor | None = None


def _start_worker(run_pid: int) -> None:
    """A worker process's start: it ends with the run's process however that ends (a SIGKILLed run
    cannot stop it), leaves the terminal's Ctrl-C to the run (which stops it), and loads the segmenter's
    dictionary once."""
    lifeline.exit_with(run_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    segment._load()


def submit(fn: Callable[[Any], Any], items: list) -> Iterator:
    """Start `fn` over `items` in the worker processes when there are enough of them or the workers run
    already; the results, in input order, as they come (a small list before that is worked here, when the
    results are read).

    Workers come from a forkserver, not fork: Prefect and DuckDB run threads,
    and forking a threaded process can deadlock.
    """
    global _pool
    cores = len(os.sched_getaffinity(0))
    if cores <= 1 or (_pool is None and len(items) < MIN_PARALLEL_ITEMS):
        # once the workers run, even one item goes to them: worked here, it would load the segmenter's
        # dictionary into this process too (~50 MB, the last batch's peak in a long run)
        return (fn(item) for item in items)
    if _pool is None:
        # A run that is killed or interrupted leaves the workers' semaphores to multiprocessing's resource
        # tracker, which removes them: its warning about each says nothing the run's own exit line does not.
        sys.warnoptions.append("ignore:resource_tracker:UserWarning")
        context = multiprocessing.get_context("forkserver")
        # The forkserver imports the pipeline once, where the terminal's Ctrl-C is ignored; a worker forked
        # from it starts ignoring it too within milliseconds (a worker importing for a second could be
        # stopped by a Ctrl-C meant for the run, and print its traceback).
        context.set_forkserver_preload([__name__])
        _pool = ProcessPoolExecutor(max_workers=cores, mp_context=context,
                                    initializer=_start_worker, initargs=(os.getpid(),))
        atexit.register(_call_queue_never_blocks_exit, _pool)
        log.info("started %d worker processes", cores)  # scripts/check_deployments.sh looks for this line
    return _pool.map(fn, items, chunksize=max(1, len(items) // (cores * 4)))


def _call_queue_never_blocks_exit(pool: ProcessPoolExecutor) -> None:
    """At exit, let the process end without flushing work to workers that are gone.

    A cancelled deployment run is SIGTERMed mid-batch: its workers die, and Python 3.11's pool then
    fails to clean up (InvalidStateError on a future the run's unwinding cancelled), so multiprocessing's
    exit handler waited for good on the thread feeding the dead workers, until the Prefect worker's
    SIGKILL 30 s later. Runs before that handler (atexit is last in, first out). `_call_queue` is the
    pool's private queue: there is no public way to reach it.
    """
    pool._call_queue.cancel_join_thread()


def parallel_map(fn: Callable[[Any], Any], items: list) -> list:
    """`fn` over `items`, in the worker processes when there are enough of them; input order kept."""
    return list(submit(fn, items))


# -- stage steps on batches ------------------------------------------------------------------

def _copy_of(report: ReportPage, fingerprinted: bool,
             corrections: Corrections = Corrections()) -> tuple[Copy | Skip, Fingerprint | None]:
    """One report page as a copy (tasks/assemble.py make_copy) with the corrections that name it,
    with its dedupe fingerprint, or why it is skipped."""
    copy = make_copy(report, corrections.for_copy(report.url))
    if isinstance(copy, Copy) and corrections.by_doc_id:
        copy = _corrected(copy, corrections)
    if not isinstance(copy, Copy) or not fingerprinted:
        return copy, None
    try:
        return copy, fingerprint(copy.clean.body)
    except Exception as exc:  # one text's failure: its skip reason, not the batch's end
        log.debug("fingerprinting %s failed", report.url, exc_info=True)
        return Skip(report.url, failure("fingerprinting", exc)), None


def _corrected(copy: Copy, corrections: Corrections) -> Copy | Skip:
    """The copy with the corrections naming its body's doc_id too; a Skip when one says it is no report."""
    fixes = corrections.for_copy(copy.url, doc_id_for(copy.clean.body))
    if corrected_kind(fixes) == "not_report":
        return Skip(copy.url, corrected_away(fixes))
    copy.meta = apply_corrections(copy.meta, fixes)
    return copy


def analyse(copy: Copy) -> Analysis:
    meta, body = copy.meta, copy.clean.body
    seg = segment.segment("", body)
    return Analysis(doc_id_for(body), extract_indicators(body, meta.plan_year, meta.review_start, meta.review_end,
                                                          region_name=meta.region_name),
                    dataclasses.replace(seg, terms={}), TermCounts.of(seg.terms))


def analysed(copy: Copy) -> Analysis | Skip:
    """`analyse`, with an exception (extracting, segmenting) as the copy's skip reason, not the batch's end."""
    try:
        return analyse(copy)
    except Exception as exc:  # one text's failure, recorded (see tasks/assemble.py)
        log.debug("analysing %s failed", copy.url, exc_info=True)
        return Skip(copy.url, failure("extracting", exc))


def _made_copy(report: ReportPage, corrections: Corrections) -> tuple[Copy | Skip, Fingerprint | None, Analysis | None]:
    """A run's whole worker step for one report page: its copy, fingerprint and analysis.

    Analysing every copy before dedupe picks the canonical ones wastes the
    analysis of a mirror that loses (~8 ms), but spares a second trip to the
    workers after dedupe, which left a core idle while the batch waited.
    """
    copy, print_ = _copy_of(report, fingerprinted=True, corrections=corrections)
    if not isinstance(copy, Copy):
        return copy, None, None
    analysis = analysed(copy)
    return (copy, print_, analysis) if isinstance(analysis, Analysis) else (analysis, None, None)


@dataclass
class MadeCopies:
    """A batch's copies as the workers made them, with their fingerprints and analyses (same order),
    and the pages skipped as not reports."""

    copies: list[Copy] = field(default_factory=list)
    fingerprints: list[Fingerprint | None] = field(default_factory=list)
    analyses: list[Analysis | None] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


def collect_copies(made: Iterator[tuple[Copy | Skip, Fingerprint | None, Analysis | None]]) -> MadeCopies:
    """A batch's copies and skipped pages, as the workers finish them."""
    batch = MadeCopies()
    for copy, print_, analysis in made:
        if isinstance(copy, Skip):
            batch.skips.append(copy)
        else:
            batch.copies.append(copy)
            batch.fingerprints.append(print_)
            batch.analyses.append(analysis)
    return batch


def start_copies(reports: list[ReportPage],
                 corrections: Corrections = Corrections()) -> Iterator[tuple[Copy | Skip, Fingerprint | None]]:
    """Start cleaning each report page and reading its metadata in the workers; `copies_and_skips` collects them."""
    return submit(functools.partial(_copy_of, fingerprinted=False, corrections=corrections), reports)


def copies_and_skips(made: Iterator[tuple[Copy | Skip, Fingerprint | None]]) -> tuple[list[Copy], list[Skip]]:
    """The copies made, and the pages skipped as having no report body."""
    done = [copy for copy, _ in made]
    return [c for c in done if isinstance(c, Copy)], [s for s in done if isinstance(s, Skip)]


def analyse_groups(groups: list[DocumentGroup], made: MadeCopies | None = None) -> list[LoadedDocument | Skip]:
    """Every group's canonical body with its indicators and segmentation: taken from `made` when the
    canonical copy is one the workers analysed already, analysed here otherwise (a loaded copy that
    stays canonical)."""
    ready = {id(c): a for c, a in zip(made.copies, made.analyses) if a is not None} if made else {}
    missing = [g.canonical for g in groups if id(g.canonical) not in ready]
    ready |= {id(c): a for c, a in zip(missing, parallel_map(analysed, missing))}
    return documents(groups, [ready[id(g.canonical)] for g in groups])


def documents(groups: list[DocumentGroup], analyses: Iterable[Analysis | Skip]) -> list[LoadedDocument | Skip]:
    """Each group with its canonical body's analysis (in the same order), as the loader writes it; a group
    whose analysis failed is its canonical copy's Skip."""
    loaded: list[LoadedDocument | Skip] = []
    for group, analysis in zip(groups, analyses, strict=True):
        if isinstance(analysis, Skip):
            loaded.append(analysis)
            continue
        seg = analysis.segmentation
        loaded.append(LoadedDocument(
            doc_id=analysis.doc_id, canonical=group.canonical, sources=group.members, indicators=analysis.indicators,
            tokens=seg.tokens, terms=analysis.terms, segmenter=seg.segmenter, segmenter_version=seg.segmenter_version,
            dict_sha256=seg.dict_sha256, extractor_version=EXTRACTOR_VERSION, replaces=group.previous_doc_ids,
            sketch=None if group.sketch is None else group.sketch.astype("<u8").tobytes(),
        ))
    return loaded


def correct_groups(groups: list[DocumentGroup], lookup: Corrections) -> list[DocumentGroup]:
    """Each group's canonical copy with the corrections of any of its copies: a document is corrected whichever
    copy a correction names (a canonical copy that arrived after the correction too)."""
    if not lookup:
        return groups
    for group in groups:
        fixes = {}
        for copy, _ in group.members:
            fixes |= lookup.for_copy(copy.url, copy.extra.get("doc_id"))
        meta = apply_corrections(group.canonical.meta, fixes)
        if meta != group.canonical.meta:
            group.canonical = dataclasses.replace(group.canonical, meta=meta)
    return groups


def dedupe_and_load(db_path: Path, made: Iterator[tuple[Copy | Skip, Fingerprint | None, Analysis | None]],
                    fetches: list[PageFetch], corrections: Corrections = Corrections(),
                    ) -> tuple[MadeCopies, list[LoadedDocument], load.LoadCounts]:
    """A batch's copies as the workers finish them, grouped with the loaded documents they may be copies
    of, and loaded with the batch's pages. One task run a batch: as two, Prefect's bookkeeping (~0.1 s a
    task run, on cores the workers need) cost a tenth of a run."""
    batch = collect_copies(made)
    groups = group_with_loaded(db_path, batch.copies, batch.fingerprints) if batch.copies else []
    groups = correct_groups(groups, corrections)
    built = analyse_groups(groups, batch) if groups else []
    docs = [doc for doc in built if isinstance(doc, LoadedDocument)]
    batch.skips += [skip for skip in built if isinstance(skip, Skip)]
    return batch, docs, load_with_retries(db_path, fetches, docs)


def load_with_retries(db_path: Path, fetches: list[PageFetch], docs: list[LoadedDocument]) -> load.LoadCounts:
    """A load that fails on I/O (a full disk freed meanwhile) is tried again: the batch is one transaction,
    so a retry never doubles rows. Retried here, not as a task: the workers' results are spent by then."""
    for _ in range(LOAD_ATTEMPTS - 1):
        try:
            return load_batch(db_path, fetches, docs)
        except (duckdb.IOException, OSError) as error:
            log.warning("loading a batch failed (%s); trying again in %.0f s", error, LOAD_RETRY_SECONDS)
            time.sleep(LOAD_RETRY_SECONDS)
    return load_batch(db_path, fetches, docs)  # the last attempt's error is the run's


# Documents this process has committed to a warehouse, counted at the commit itself: what a Ctrl-C
# reports as loaded (flows/cli.py CtrlC), even when the interrupt lands before the run's summary counts them.
committed_documents = 0


def load_batch(db_path: Path, fetches: list[PageFetch], docs: list[LoadedDocument]) -> load.LoadCounts:
    global committed_documents
    with warehouse_db.connect_writer(db_path) as con:
        con.execute("BEGIN")
        load.load_pages(con, fetches)
        counts = load.load_documents(con, docs)
        con.execute("COMMIT")
        committed_documents += counts.documents_new + counts.documents_changed
    return counts


def group_with_loaded(db_path: Path, copies: list[Copy],
                      fingerprints: Sequence[Fingerprint | None] = ()) -> list[DocumentGroup]:
    """Group new copies (with their fingerprints, when made already) together with the loaded documents they may be copies of."""
    prints = [p if p is not None else fingerprint(c.clean.body) for c, p in
              zip(copies, list(fingerprints) + [None] * (len(copies) - len(fingerprints)))]
    with warehouse_db.connect_writer(db_path) as con:
        sketches = load.loaded_sketches(con, {(c.meta.plan_year, c.meta.region_code) for c in copies})
        loaded = load.loaded_copies(con, worth_reading(copies, prints, sketches))
    changed_pages = {c.url for c in copies}
    for copy in loaded:  # a page fetched again with other bytes: its new version speaks for it
        copy.extra["superseded"] = copy.url in changed_pages
    loaded_prints = parallel_map(fingerprint, [c.clean.body for c in loaded])
    groups = group_copies(loaded + copies, loaded_prints + prints)
    return [g for g in groups if any("doc_id" not in c.extra for c, _ in g.members)]


# -- acquisition ---------------------------------------------------------------------------

def local_reports(from_dir: Path, archive: RawArchive, known: dict[str, Known],
                  authority: str | None = None) -> Iterator[PageFetch | ReportPage | Skip]:
    """Saved report files (`--from-dir`), archived like fetched pages; `authority` (`--authority`)
    says whether they are official copies or mirrors when copies collapse into one document; None:
    each file's own page says (tasks/anatomy.page_authority: an official site's 网站标识码).

    A file's size and modification time are its validator (its page row's `etag`, as a static-file
    server makes one): a loaded file with the same validator is not read again, as make and rsync
    judge files. A file rewritten with other bytes of the same size and its old mtime put back is
    missed; `touch` it. A file that cannot be read, is larger than the page size cap, or cannot be
    parsed is a page row with its error, and the next file is read.
    """
    for path in sorted(p for p in from_dir.rglob("*") if p.suffix.lower() in LOCAL_SUFFIXES and not p.is_dir()):
        url = _file_url(path)
        row = dict(url=url, final_url=url, host="", source_name=from_dir.name, http_status=None, content_type=None,
                   charset=None, last_modified=None, role="file")
        fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            stat = path.stat()
            validator = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            if not S_ISREG(stat.st_mode):
                raise ParseError("not a regular file (a FIFO, socket or device): not read")
            if stat.st_size > PAGE_SIZE_CAP:
                raise ParseError(f"file larger than the page size cap ({stat.st_size} > {PAGE_SIZE_CAP} bytes)")
            before = known.get(url)
            data = None
            if before is not None and before.etag == validator and before.settled and before.raw_sha256 \
                    and archive.has(before.raw_sha256):
                sha, raw_path, unchanged = before.raw_sha256, archive.path_for(before.raw_sha256), True
            else:
                data = path.read_bytes()
        except (OSError, ParseError) as exc:
            error = str(exc) if isinstance(exc, ParseError) else f"cannot read: {exc.strerror or exc}"
            yield PageFetch(**row, fetched_at=fetched_at, raw_sha256=None, raw_path=None, etag=None, error=error)
            continue
        if data is not None:  # archived outside the file's try: a full disk is the run's error, not the file's
            sha, raw_path = archive.put(data)
            unchanged = before is not None and before.raw_sha256 == sha and before.settled
        page, error = None, None
        try:
            if not unchanged:  # an unchanged file is its archived, loaded copy: nothing to parse
                page = read_page(data or b"", url=url, content_type=None, charset=None)
        except ParseError as failed:
            error = str(failed)
        yield PageFetch(**row, fetched_at=fetched_at, raw_sha256=sha, raw_path=raw_path, etag=validator, error=error,
                        not_modified=unchanged and not error)
        if page is not None:
            yield ReportPage(url=url, source_name=from_dir.name, authority=authority or page_authority(page), page=page,
                             raw_sha256s=(sha,), changed=not unchanged)


def _file_url(path: Path) -> str:
    """A saved file's page URL: its real path's (a link's target's); a link that leads nowhere (a loop,
    a missing target) is named as itself."""
    try:
        return path.resolve(strict=True).as_uri()
    except (OSError, RuntimeError):
        return (path.parent.resolve() / path.name).as_uri()


_DONE = object()


def _drain(items: queue.Queue, stop: threading.Event, producer: threading.Thread) -> Iterator:
    """Start `producer` and yield what it queues until _DONE, re-raising an error it hands over; when the
    consumer stops early, `stop` tells the producer to end."""
    producer.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        producer.join(timeout=30)


def _iterate_async(agen: AsyncIterator, buffer: int = 256) -> Iterator:
    """Consume an async generator from synchronous code through a bounded queue.

    The crawl runs on its own event loop in a thread, so fetching continues
    while a batch is being processed, and the bounded queue keeps memory
    proportional to the batch size rather than to the number of pages.
    """
    items: queue.Queue = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    async def pump() -> None:
        try:
            async for item in agen:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        await asyncio.sleep(0.05)
                if stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            items.put(error)
            return
        items.put(_DONE)

    yield from _drain(items, stop, threading.Thread(target=asyncio.run, args=(pump(),), name="crawl", daemon=True))


def _in_background(items: Iterator, buffer: int = 256) -> Iterator:
    """Items produced by a thread while the caller works on earlier ones (reading and archiving
    saved files overlaps a batch's processing, as fetching does); order kept, errors re-raised here."""
    ready: queue.Queue = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        """Queue an item unless the consumer has stopped; False when it has."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            offer(error)
            return
        offer(_DONE)

    yield from _drain(ready, stop, threading.Thread(target=produce, name="read-files", daemon=True))


def acquire(sites: list[Site], from_dir: Path | None, archive: RawArchive, known: dict[str, Known],
            config: FetchConfig, from_dir_authority: str | None = None) -> Iterator[PageFetch | ReportPage | Skip]:
    if from_dir is not None:
        yield from _in_background(local_reports(from_dir, archive, known, from_dir_authority))
    if sites:
        yield from _iterate_async(crawl(sites, archive, known, config))


# -- the run -------------------------------------------------------------------------------

def run_pipeline(*, flow: str, db_path: Path, sites: list[Site], from_dir: Path | None = None,
                 from_dir_authority: str | None = None, config: FetchConfig | None = None, runner: StageRunner = run_inline,
                 batch_size: int | None = None, corrections: list[Correction] | None = None) -> RunSummary:
    """Fetch what is new, turn it into documents, load it (in batches of `batch_size` report pages,
    $GOVREPORTS_BATCH_SIZE when not given); returns what happened.

    `corrections`: the run's corrections file (tasks/corrections.py); None applies those the warehouse
    stores from the last file given."""
    from flows.corrections import apply_to_warehouse  # it builds on this module (and reprocess)

    batch_size = batch_size or default_batch_size()
    config = config or FetchConfig()
    summary = RunSummary(flow=flow)
    archive = RawArchive(warehouse_db.raw_dir_for(db_path))
    with warehouse_db.writer_lock(db_path):
        lookup = apply_to_warehouse(db_path, corrections, summary)
        with warehouse_db.connect_writer(db_path) as con:
            sync_topic_terms(con)
            load.record_selectors(con, {site.name: site.content_selector for site in sites})
            known = load.known_pages(con)
        fetches: list[PageFetch] = []
        reports: list[ReportPage] = []
        batch: _Batch | None = None
        for item in acquire(sites, from_dir, archive, known, config, from_dir_authority):
            if isinstance(item, PageFetch):
                summary.count(item)
                _progress(summary)
                fetches.append(item)
            elif isinstance(item, Skip):
                summary.skip(item.url, item.reason)
            elif item.changed:
                reports.append(item)
            if len(reports) >= batch_size:
                batch = _advance(db_path, batch, (fetches, reports), summary, runner, lookup)
                fetches, reports = [], []
        last = _advance(db_path, batch, (fetches, reports), summary, runner, lookup)
        _advance(db_path, last, None, summary, runner, lookup)
        summary.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with warehouse_db.connect_writer(db_path) as con:
            load.record_skips(con, summary.skipped)
            record_report_claims(con, archive)  # so coverage tells a failed region-year from a missing one
            # the corrections with every copy of the documents they name, those this run loaded too
            stored_corrections.save(con, stored_corrections.resolve(con, corrections))
            load.record_run(con, summary.run_row())
    return summary


@dataclass
class _Batch:
    """A batch of fetches and report pages whose copies are being made in the workers."""

    fetches: list[PageFetch]
    reports: int
    made: Iterator[tuple[Copy | Skip, Fingerprint | None, Analysis | None]]

    @classmethod
    def start(cls, fetches: list[PageFetch], reports: list[ReportPage], corrections: Corrections) -> _Batch:
        return cls(fetches, len(reports), submit(functools.partial(_made_copy, corrections=corrections), reports))


def _advance(db_path: Path, ready: _Batch | None, following: tuple[list[PageFetch], list[ReportPage]] | None,
             summary: RunSummary, runner: StageRunner, corrections: Corrections) -> _Batch | None:
    """Take `ready` through dedupe and load, having first started the `following` batch in the workers,
    so they make its copies while this process groups and loads (both cores busy). Returns that batch."""
    started = _Batch.start(*following, corrections) if following is not None else None
    if ready is None:
        return started
    if ready.reports:
        made, docs, counts = runner("dedupe-and-load", dedupe_and_load, db_path, ready.made, ready.fetches,
                                    corrections)
    else:  # only page rows to write, without a task run of its own (a no-op run's only batch)
        made, docs, counts = MadeCopies(), [], load_with_retries(db_path, ready.fetches, [])
    for skip in made.skips:
        summary.skip(skip.url, skip.reason)
    summary.loaded(docs, counts)
    summary.documents_new += counts.documents_new
    summary.documents_changed += counts.documents_changed
    summary.indicators_loaded += counts.indicators_loaded
    _progress(summary)
    for doc in docs:
        m = doc.canonical.meta
        summary.new_documents.append({
            "doc_id": doc.doc_id[:12], "region": m.region_name, "region_code": m.region_code,
            "plan_year": m.plan_year, "sources": len(doc.sources), "indicators": len(doc.indicators),
        })
    return started

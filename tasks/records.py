"""Records that cross stage boundaries.

Data moves one way: a fetch (`PageFetch`, with the body archived) -> `PageText`
-> `ReportPage` (a report's pages joined) or `Skip` -> `Copy` (`CleanText` +
`DocumentMeta`) -> `Analysis` (`Indicator` rows, `TermCounts`) ->
`LoadedDocument`. Each stage takes and returns these plain dataclasses so it
can be tested without Prefect, HTTP or DuckDB, and the warehouse imports
records, not the stages that make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tasks.segment import Segmentation


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
    role: str  # listing | report | part | attachment | robots | skipped | file
    part_of: str | None = None  # for role=part/attachment: url of the report's first page
    part_index: int | None = None
    not_modified: bool = False  # 304 or body identical to the known raw_sha256
    fresh_until: str | None = None  # ISO UTC: until then a run does not ask again (tasks/freshness.py)
    fresh: bool = False  # not requested: the archived version was still fresh (implies not_modified)


@dataclass(frozen=True)
class Skip:
    """A URL or file judged not to be a report (a `skipped_links` row), and why."""

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


@dataclass(frozen=True)
class PageText:
    """The text of one report page as parsed from HTML, PDF, DOCX or TXT.

    `lines` are the page's text blocks in reading order (main content first
    guess plus whatever chrome survived); cleaning decides what is body.
    """

    url: str
    title: str | None
    lines: tuple[str, ...]
    site_name: str | None = None  # e.g. the <title> suffix or footer name
    chrome_text: str = ""  # text outside the main content (nav, footer): hints only
    # the national government-site metadata (<meta name="SiteDomain">, "SiteIDCode" = 网站标识码)
    site_domain: str | None = None
    site_code: str | None = None


@dataclass(frozen=True)
class ReportPage:
    """One report's text, all parts joined in order (tasks/assemble.py)."""

    url: str
    source_name: str
    authority: str
    page: PageText
    raw_sha256s: tuple[str, ...]
    changed: bool  # False when every part was 304/unchanged


@dataclass(frozen=True)
class CleanText:
    """The report body with page junk removed, one paragraph per line."""

    body: str
    header: str  # text before the salutation (title, date line, speaker line)
    title: str | None
    watermarks_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentMeta:
    title: str | None
    region_code: str | None
    region_name: str | None
    city: str | None
    province: str | None
    level: str | None  # national | province | city | district | county
    plan_year: int | None
    review_start: int | None
    review_end: int | None
    delivered_on: str | None  # ISO date
    speaker: str | None
    # Why the document was placed, dated and recognised (documents.*_rule/_evidence):
    # the rule that decided (e.g. "self-named opening", "session line", "children named",
    # "site code", "header") and the phrase it read; confidence 0..1 over all three.
    region_rule: str | None = None
    region_evidence: str | None = None
    plan_year_rule: str | None = None
    plan_year_evidence: str | None = None
    kind_rule: str | None = None
    kind_evidence: str | None = None
    confidence: float | None = None
    corrected: bool = False  # a corrections file set its region, plan year or kind (tasks/corrections.py)


@dataclass(frozen=True)
class Indicator:
    indicator: str
    basis: str  # actual | target
    metric: str  # level | growth | cagr | share | cumulative
    period_start: int
    period_end: int
    value: float
    value_high: float | None
    unit: str  # CNY | USD | pct | person
    qualifier: str  # exact | about | at_least | at_most | range
    is_estimate: bool
    evidence: str
    char_start: int
    char_end: int


@dataclass
class Copy:
    """One copy of a report, ready for deduplication."""

    url: str
    source_name: str | None
    authority: str  # official | mirror
    clean: CleanText
    meta: DocumentMeta
    raw_sha256: str
    fetched_at: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TermCounts:
    """A document's term counts, packed where it was segmented (a worker process): the terms' UTF-8 back to
    back with each one's end offset, and the counts. Unpickling and converting thousands of str objects a
    document took a third of the loading process's time; these arrays cross as a few buffers."""

    text: bytes
    ends: np.ndarray  # int64, each term's end in `text`
    counts: np.ndarray  # int32

    @classmethod
    def of(cls, terms: dict[str, int]) -> TermCounts:
        encoded = [term.encode("utf-8") for term in terms]
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        return cls(b"".join(encoded), ends, np.fromiter(terms.values(), dtype=np.int32, count=len(terms)))

    def __len__(self) -> int:
        return len(self.counts)


@dataclass(frozen=True)
class Analysis:
    """What the loader needs of a canonical body besides its copy: its id, indicators and segmentation."""

    doc_id: str
    indicators: list[Indicator]
    segmentation: Segmentation  # its `terms` left empty: they travel packed, in `terms`
    terms: TermCounts


@dataclass
class LoadedDocument:
    """Everything the loader writes for one document."""

    doc_id: str
    canonical: Copy
    sources: list[tuple[Copy, float]]
    indicators: list[Indicator]
    tokens: int
    terms: TermCounts
    segmenter: str
    segmenter_version: str
    dict_sha256: str
    extractor_version: str
    replaces: set[str]  # previous doc_ids merged into this one
    sketch: bytes | None = None  # the canonical body's dedupe sketch (tasks.dedupe.sketch), as uint64 bytes

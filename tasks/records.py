"""Records that cross stage boundaries.

Data moves one way: raw bytes -> `PageText` -> `CleanText` -> `DocumentMeta`
-> `Indicator` rows. Each stage takes and returns these plain dataclasses so
it can be tested without Prefect, HTTP or DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

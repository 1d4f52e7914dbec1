"""`govreports inspect`: what the pipeline makes of one page, without touching the warehouse.

The same functions as a run (tasks/assemble.py): read_page (charset, title,
main text; a bot wall named `blocked: <kind>`) -> assess (is it a report, and
why not; clean; metadata) -> indicators. A user checking a new site sees what a backfill would
load from it, and which `content_selector` to set when the main text is wrong.
A URL goes through the crawler of a run (robots.txt, politeness, size caps,
private-address refusal); its body is kept in a temporary archive that is
deleted afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from tasks.archive import RawArchive
from tasks.assemble import Blocked, assess, failure, read_page
from tasks.extract import extract_indicators
from tasks.fetch import FetchConfig, crawl
from tasks.parse import ParseError, decode_html, document_kind
from tasks.records import PageFetch, PageText, ReportPage
from tasks.sources import Site, SourcesError, sites_from_urls
from tasks.walls import WHAT_TO_DO

METADATA_KEYS = ("region_code", "region_name", "level", "plan_year", "review_start", "review_end",
                 "delivered_on", "speaker", "region_rule", "region_evidence", "plan_year_rule", "plan_year_evidence",
                 "kind_rule", "kind_evidence", "confidence", "corrected")


class InspectError(Exception):
    """An input that cannot be inspected; the message is one line naming it."""


@dataclass
class Inspection:
    """What the pipeline makes of one input (one JSON object of `inspect --json`)."""

    source: dict[str, str]  # {"path": ...} or {"url": ...}
    charset: str | None
    title: str | None
    text: str  # main content as the parse stage extracts it, before report cleaning
    is_report: bool
    reason: str | None  # why it is not a report
    body: str  # the clean report body ('' when there is none)
    metadata: dict[str, Any] = field(default_factory=dict)
    indicators: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> str:
        row = {**self.source, **{k: v for k, v in dataclasses.asdict(self).items() if k != "source"}}
        return json.dumps(row, ensure_ascii=False, default=str)


def inspect_path(path: Path, content_selector: str | None = None) -> Inspection:
    """A saved page, PDF, DOCX or text file (any name: the kind is read from the bytes too)."""
    if not path.exists():
        raise InspectError(f"{path}: no such file")
    if not path.is_file():
        raise InspectError(f"{path}: a folder, not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InspectError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    url = path.resolve().as_uri()
    source = {"path": str(path)}
    try:
        charset = _charset(data, url, None, None)
        page = read_page(data, url=url, content_type=None, charset=None, content_selector=content_selector)
    except Blocked as wall:
        return blocked(source, str(wall))
    except ParseError as exc:
        raise InspectError(f"{path}: {exc}") from exc
    return analyse(page, source, charset)


def inspect_url(url: str, config: FetchConfig | None = None, content_selector: str | None = None) -> Inspection:
    """Fetch a URL as a run would (its split parts too) and inspect the report or page it holds."""
    try:
        sites = [dataclasses.replace(site, content_selector=content_selector) for site in sites_from_urls([url])]
    except SourcesError as exc:
        raise InspectError(str(exc)) from exc
    # a listing's report links are not followed: one page (and its parts) is what is inspected
    config = dataclasses.replace(config or FetchConfig(), max_pages=0, max_listing_pages=1)
    with tempfile.TemporaryDirectory(prefix="govreports-inspect-") as tmp:
        archive = RawArchive(Path(tmp))
        fetches, reports = asyncio.run(_crawl_one(sites, archive, config))
        first = next((f for f in fetches if f.url == url and f.role != "robots"), None)
        if first is None:
            reason = next((f.error for f in fetches if f.error), None) or "robots.txt disallows it"
            raise InspectError(f"{url}: {reason}")
        if first.error and first.error.startswith("blocked:"):
            return blocked({"url": url}, first.error)
        if first.error:
            raise InspectError(f"{url}: {first.error}")
        if reports:
            page = reports[0].page
        else:
            data = archive.get(first.raw_path or "")
            try:
                page = read_page(data, url=first.final_url or url, content_type=first.content_type,
                                 charset=first.charset, content_selector=content_selector)
            except ParseError as exc:
                raise InspectError(f"{url}: {exc}") from exc
    return analyse(page, {"url": url}, first.charset)


async def _crawl_one(sites: list[Site], archive: RawArchive, config: FetchConfig) -> tuple[list[PageFetch], list[ReportPage]]:
    fetches: list[PageFetch] = []
    reports: list[ReportPage] = []
    async for item in crawl(sites, archive, {}, config):
        if isinstance(item, PageFetch):
            fetches.append(item)
        elif isinstance(item, ReportPage):
            reports.append(item)
    return fetches, reports


def analyse(page: PageText, source: dict[str, str], charset: str | None) -> Inspection:
    """The run's stages after parsing (tasks/assemble.py assess): verdict, cleaning, metadata; then indicators."""
    url = source.get("url") or page.url
    assessment = assess(page, url, thoroughly=True)
    clean, meta = assessment.clean, assessment.meta
    indicators = []
    if clean is not None and meta is not None and clean.body:
        try:
            rows = extract_indicators(clean.body, meta.plan_year, meta.review_start, meta.review_end,
                                      region_name=meta.region_name)
        except Exception as exc:  # as a run records it: this input's reason, and the next input goes on
            raise InspectError(f"{url}: {failure('extracting', exc)}") from exc
        for row in rows:
            indicators.append({"region_code": meta.region_code, "plan_year": meta.plan_year, **dataclasses.asdict(row)})
    return Inspection(
        source=source, charset=charset, title=page.title, text="\n".join(page.lines),
        is_report=assessment.reason is None, reason=assessment.reason, body=clean.body if clean else "",
        metadata={key: getattr(meta, key) if meta else None for key in METADATA_KEYS}, indicators=indicators,
    )


def blocked(source: dict[str, str], reason: str) -> Inspection:
    """A bot wall instead of the page: nothing to analyse, the reason names the wall and what to do."""
    return Inspection(source=source, charset=None, title=None, text="", is_report=False,
                      reason=f"{reason} ({WHAT_TO_DO})", body="", metadata=dict.fromkeys(METADATA_KEYS))


def _charset(data: bytes, url: str, content_type: str | None, header_charset: str | None) -> str | None:
    """The charset the text was decoded with; None for PDF and DOCX."""
    if document_kind(data, url, content_type) not in ("html", "txt"):
        return None
    return decode_html(data, header_charset)[1]


def inspect_one(target: str, content_selector: str | None = None) -> Inspection:
    """A path or an http(s) URL."""
    if target.startswith(("http://", "https://")):
        return inspect_url(target, content_selector=content_selector)
    return inspect_path(Path(target), content_selector)


def inspect_command(targets: list[str], *, as_json: bool, content_selector: str | None = None) -> int:
    """Print every input that can be inspected; one stderr line per one that cannot. Exit 1 if any could not."""
    if content_selector:
        try:
            LexborHTMLParser("<p></p>").css(content_selector)
        except SelectolaxError:
            print(f"govreports: error: --content-selector is not a valid CSS selector: {content_selector!r}",
                  file=sys.stderr)
            return 2
    failed = 0
    for n, target in enumerate(targets):
        try:
            result = inspect_one(target, content_selector)
        except InspectError as error:
            print(f"govreports: inspect: {error}", file=sys.stderr, flush=True)
            failed += 1
            continue
        print(result.as_json() if as_json else ("\n" if n else "") + render(result), flush=True)
    return 1 if failed else 0


QUALIFIER_MARKS = {"exact": "", "about": "≈", "at_least": "≥", "at_most": "≤", "range": ""}


def indicator_lines(indicators: list[dict[str, Any]]) -> list[str]:
    """One aligned line per indicator: code, basis, metric, years, value with unit, the start of its evidence."""
    rows = []
    for row in indicators:
        years = str(row["period_start"]) if row["period_start"] == row["period_end"] \
            else f"{row['period_start']}-{row['period_end']}"
        value = f"{QUALIFIER_MARKS.get(row['qualifier'], '')}{_number(row['value'])}"
        if row.get("value_high") is not None:
            value += f"–{_number(row['value_high'])}"
        estimate = " (预计)" if row.get("is_estimate") else ""
        rows.append((row["indicator"], row["basis"], row["metric"], years, f"{value} {row['unit']}{estimate}",
                     row["evidence"][:40]))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(5)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r[:5], widths)) + "  " + r[5] for r in rows]


def _number(value: float) -> str:
    """1.2e11 CNY reads as 120,000,000,000; 6.5 as 6.5; 7.0 as 7."""
    return f"{value:,.15g}"


def render(result: Inspection, *, text_lines: int = 12) -> str:
    """A readable summary for a terminal: metadata, the indicators, the main text's first lines."""
    where = result.source.get("url") or result.source.get("path")
    meta = result.metadata
    lines = [
        f"== {where}",
        f"charset:    {result.charset or '-'}",
        f"title:      {result.title or '-'}",
        f"report:     {'yes' if result.is_report else 'no — ' + (result.reason or '')}",
        f"region:     {meta.get('region_name') or '-'} ({meta.get('region_code') or '-'}, {meta.get('level') or '-'})",
        f"plan year:  {meta.get('plan_year') or '-'}  reviews {meta.get('review_start') or '-'}–{meta.get('review_end') or '-'}",
        f"delivered:  {meta.get('delivered_on') or '-'}  speaker: {meta.get('speaker') or '-'}",
        f"why region:    {_evidence(meta, 'region')}",
        f"why plan year: {_evidence(meta, 'plan_year')}",
        f"why kind:      {_evidence(meta, 'kind')}",
        f"confidence: {'-' if meta.get('confidence') is None else format(meta['confidence'], '.2f')}",
        f"indicators: {len(result.indicators)}",
    ]
    lines += [f"  {line}" for line in indicator_lines(result.indicators)]
    text = result.text.splitlines()
    lines.append(f"main text ({len(text)} lines, {len(result.text)} chars):")
    lines += [f"  {line[:100]}" for line in text[:text_lines]]
    if len(text) > text_lines:
        lines.append(f"  … {len(text) - text_lines} more lines")
    body = result.body.splitlines()
    lines.append(f"clean body: {len(body)} paragraphs, {len(result.body)} chars"
                 + (f"; starts: {body[0][:60]}" if body else ""))
    return "\n".join(lines)


def _evidence(meta: dict[str, Any], name: str) -> str:
    """The rule that decided a field and the phrase it read: `session line: 「…」`."""
    rule, phrase = meta.get(f"{name}_rule"), meta.get(f"{name}_evidence")
    return f"{rule or '-'}: 「{phrase}」" if phrase else (rule or "-")

"""Page(s) -> report -> clean copy: the one way a report is built.

A crawl (tasks/fetch.py), saved files (`--from-dir`), `reprocess` (from the
raw archive) and `inspect` all build a report with these functions, so a
rebuild from the archive makes what the run that fetched it made:

- `read_page`: one body (HTML, text, PDF, DOCX) as a PageText, with the site's
  `content_selector`; a bot wall is named (`blocked: <kind>`, tasks/walls.py).
- `join_report`: a report's pages in part order, or the attachment that holds
  the text when the page itself only links to it.
- `make_copy`: the joined text judged, cleaned, placed and dated (`assess`),
  as a Copy for dedupe, or a Skip with the reason.

Here one bad input is isolated: whatever a page makes a parser, cleaner or
extractor raise becomes that page's error (`pages.error`) or skip reason
(`skipped_links`), naming the exception, and the run goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass

from tasks.clean import clean_page
from tasks.corrections import Correction, apply as apply_corrections, corrected_away, corrected_kind
from tasks.discover import report_kind, report_verdict
from tasks.metadata import extract_metadata
from tasks.parse import ParseError, decode_html, document_kind, parse_document
from tasks.records import CleanText, Copy, DocumentMeta, PageText, ReportPage, Skip
from tasks.walls import MAX_WALL_TEXT, wall_kind

log = logging.getLogger("govreports.assemble")

MIN_BODY_CHARS = 300
WALL_CHECK_CHARS = 4 * MAX_WALL_TEXT  # parsed text (with whitespace and chrome) below which a page may be a wall
NO_BODY = "not a report: no report body (各位代表 …) found"
NO_REGION = "not placed: no region named in the text, its title or its address"
NO_PLAN_YEAR = "not dated: no plan year found in the text or its title"


class Blocked(ParseError):
    """A bot wall instead of the page: the message is `blocked: <kind>`."""


def failure(stage: str, exc: BaseException) -> str:
    """One line naming what failed and how: the exception's type and message."""
    message = " ".join(str(exc).split())[:300]
    return f"{stage} failed: {type(exc).__name__}" + (f": {message}" if message else "")


def read_page(data: bytes, *, url: str, content_type: str | None, charset: str | None,
              content_selector: str | None = None) -> PageText:
    """One body as a PageText; a ParseError (Blocked for a bot wall) says why not, whatever went wrong.

    An unexpected exception (a parser's bug or limit on a hostile input) is
    logged (debug level, with its traceback) and becomes a ParseError naming it: one page's
    error, never the run's end.
    """
    try:
        page = parse_document(data, url=url, content_type=content_type, charset=charset,
                              content_selector=content_selector)
        # only a page with little text can be a wall: a report page is not parsed twice
        if len(page.chrome_text) + sum(map(len, page.lines)) <= WALL_CHECK_CHARS \
                and document_kind(data, url, content_type) == "html":
            kind = wall_kind(decode_html(data, charset)[0])
            if kind is not None:
                raise Blocked(f"blocked: {kind}")
        return page
    except ParseError:
        raise
    except Exception as exc:  # one page's failure, recorded on its row (see the docstring)
        log.debug("reading %s failed", url, exc_info=True)
        raise ParseError(failure("reading", exc)) from exc


def join_pages(pages: list[PageText]) -> PageText:
    """Parts of one article as one PageText: lines in part order, chrome from the first."""
    first = pages[0]
    lines = tuple(line for page in pages for line in page.lines)
    return dataclasses.replace(first, lines=lines)


@dataclass(frozen=True)
class Joined:
    """A report's text as joined, and why it is not a report (None: it is)."""

    page: PageText
    verdict: str | None
    attachment_used: bool = False


def join_report(url: str, pages: list[PageText], attachment: PageText | None = None) -> Joined:
    """The report's pages joined in order; when they are one page that is not a report and its
    attachment is, the attachment's text under the page's address, title and chrome."""
    page = join_pages(pages)
    verdict = _verdict(page)
    if verdict is not None and attachment is not None and len(pages) == 1 and _verdict(attachment) is None:
        page = dataclasses.replace(attachment, url=url, title=page.title or attachment.title,
                                   site_name=page.site_name, chrome_text=page.chrome_text)
        return Joined(page, None, attachment_used=True)
    return Joined(page, verdict)


def _verdict(page: PageText) -> str | None:
    """report_verdict, with an exception as the verdict (the text is skipped with it named)."""
    try:
        return report_verdict(page)
    except Exception as exc:  # one text's failure, recorded as its skip reason (see the module's docstring)
        log.debug("judging %s failed", page.url, exc_info=True)
        return failure("judging", exc)


def wants_attachment(joined: Joined, pages: int, first_kind: str) -> bool:
    """Is the report's text to be looked for in its attachment (one HTML page that is not a report)?"""
    return joined.verdict is not None and pages == 1 and first_kind == "html"


@dataclass(frozen=True)
class Assessment:
    """What the pipeline makes of a report's text: its clean body and metadata, and why it is skipped (None: kept).

    `clean` and `meta` are None when the text was skipped before they were made
    (unless assessed `thoroughly`, as `inspect` does to show them anyway).
    """

    reason: str | None
    clean: CleanText | None = None
    meta: DocumentMeta | None = None


def assess(page: PageText, url: str, *, thoroughly: bool = False,
           fixes: dict[str, Correction] | None = None) -> Assessment:
    """Judge, clean, place and date one report's text (`url`: the report's address, a place hint);
    an exception becomes the skip reason.

    `fixes`: the corrections naming this text (tasks/corrections.py). A corrected kind overrules the
    recognizer (`report`: kept whatever the verdict, given a report body); a corrected region or plan
    year replaces what the text says, before a text without them is skipped."""
    fixes = fixes or {}
    if corrected_kind(fixes) == "not_report":
        return Assessment(corrected_away(fixes))
    stage = "judging"
    try:
        kind = report_kind(page)
        reason = None if corrected_kind(fixes) == "report" else kind.reason
        if reason is not None and not thoroughly:
            return Assessment(reason)
        stage = "cleaning"
        clean = clean_page(page)
        if reason is None and len(clean.body) < MIN_BODY_CHARS:
            reason = NO_BODY
        if reason is not None and not thoroughly:
            return Assessment(reason, clean)
        stage = "placing"
        meta = extract_metadata(clean, url=url, site_name=page.site_name, site_domain=page.site_domain,
                                site_code=page.site_code, chrome_text=page.chrome_text)
        meta = apply_corrections(dataclasses.replace(meta, kind_rule=kind.rule, kind_evidence=kind.evidence), fixes)
    except Exception as exc:  # one text's failure, recorded as its skip reason (see the module's docstring)
        log.debug("%s %s failed", stage, url, exc_info=True)
        return Assessment(failure(stage, exc))
    if reason is None and meta.region_code is None:
        reason = NO_REGION
    elif reason is None and meta.plan_year is None:
        reason = NO_PLAN_YEAR
    return Assessment(reason, clean, meta)


def make_copy(report: ReportPage, fixes: dict[str, Correction] | None = None) -> Copy | Skip:
    """A report page as a copy of a document (cleaned, placed, dated, corrected by `fixes`),
    or a Skip saying why it is none."""
    assessment = assess(report.page, report.url, fixes=fixes)
    if assessment.reason is not None:
        return Skip(report.url, assessment.reason)
    assert assessment.clean is not None and assessment.meta is not None
    copy_sha = hashlib.sha256("".join(report.raw_sha256s).encode()).hexdigest()
    return Copy(url=report.url, source_name=report.source_name, authority=report.authority,
                clean=assessment.clean, meta=assessment.meta, raw_sha256=copy_sha)

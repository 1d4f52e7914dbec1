"""Listing pages -> report links, pagination, split-article parts, attachments.

Everything here is pure (HTML text in, URLs out) so the fetcher decides what
to request and these rules can be tested without a network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from posixpath import basename, dirname, splitext
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from tasks.parse import block_lines, cjk_count
from tasks.records import PageText

_REPORT_TITLE = re.compile(
    r"政府(?:[0-9０-９]{4}年度?)?工作报告|在.{0,40}(?:人民代表大会|人代会).{0,30}上的?(?:政府工作)?报告|政府工作报告全文"
)
# Checked before the report pattern: these pages mention 政府工作报告 but are not one.
_LOOKALIKES: tuple[tuple[str, str], ...] = (
    (r"一图读懂|一图看懂|一图速览", "一图读懂"),
    (r"图解", "图解"),
    (r"解读|解析|读懂|划重点|热词", "解读"),
    (r"新闻发布会|发布会", "新闻发布会"),
    (r"分工.{0,6}(?:通知|方案)|任务分解|责任分工", "分工的通知"),
    (r"审议意见|审查意见|审议.{0,4}报告的", "审议意见"),
    (r"决议", "决议"),
    (r"英文版|english|英文", "英文版"),
    (r"视频|直播|音频", "视频"),
    (r"摘要|摘编|要点|提纲", "摘要"),
    (r"征求意见|建言|意见建议|网民留言", "征求意见"),
    (r"落实情况|执行情况|完成情况|进展情况", "落实情况"),
)
_LOOKALIKE_RES = tuple((re.compile(p, re.I), reason) for p, reason in _LOOKALIKES)
_NEXT_TEXT = re.compile(r"^(?:下一页|下页|后页|next\s*page|next|›|»|>)$", re.I)
_PAGE_NUMBER = re.compile(r"^\[?\d{1,3}\]?$")
_TRS_INDEX = re.compile(r"(?:^|/)index(?:_(\d+))?\.s?html?$")
_TRS_PAGER = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]")
_PART_SUFFIX = re.compile(r"^(?P<stem>.+?)_(?P<n>\d{1,2})$")
_ATTACHMENT_EXT = (".pdf", ".docx", ".doc", ".txt")
SALUTATION = "各位代表"


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class ListingLinks:
    reports: tuple[Link, ...]  # report article pages (or attachments) to fetch
    skipped: tuple[tuple[Link, str], ...]  # look-alikes with the reason
    pages: tuple[str, ...]  # further listing pages (pagination)


def _compact(title: str) -> str:
    """Titles are matched without spaces: CMS templates letter-space them (政 府 工 作 报 告)."""
    return "".join(title.split())


def lookalike_reason(title: str) -> str | None:
    """'look-alike: 解读' for pages that talk about a report but are not one."""
    for pattern, reason in _LOOKALIKE_RES:
        if pattern.search(_compact(title)):
            return f"look-alike: {reason}"
    return None


def is_report_title(title: str) -> bool:
    return bool(_REPORT_TITLE.search(_compact(title))) and lookalike_reason(title) is None


def mentions_report(title: str) -> bool:
    """The title talks about a work report (possibly a look-alike)."""
    return bool(_REPORT_TITLE.search(_compact(title))) or "工作报告" in _compact(title)


def page_links(html: str, base_url: str, selector: str | None = None) -> list[Link]:
    """All http(s) links in the page (or in `selector`), absolute, deduplicated, in order."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = urljoin(base_url, base_node.attributes.get("href") or "") if base_node is not None else base_url
    scope = (tree.css_first(selector) if selector else None) or tree.root
    seen: dict[str, Link] = {}
    for anchor in scope.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base, href)).url
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        text = " ".join((anchor.attributes.get("title") or anchor.text() or "").split())
        if url not in seen or (text and not seen[url].text):
            seen[url] = Link(url, text)
    return list(seen.values())


def listing_links(html: str, base_url: str, selector: str | None = None) -> ListingLinks:
    """Report links, look-alike skips and pagination links of a listing page."""
    links = page_links(html, base_url, selector)
    reports: list[Link] = []
    skipped: list[tuple[Link, str]] = []
    columns: list[str] = []
    for link in links:
        if link.url == base_url:
            continue
        reason = lookalike_reason(link.text)
        if mentions_report(link.text) and reason:
            skipped.append((link, reason))
        elif is_report_title(link.text):
            # A column titled 政府工作报告 (from a site's nav or a 政务公开 index) is a listing to follow.
            if not is_column_url(link.url):
                reports.append(link)
            elif not _same_column(link.url, base_url):
                columns.append(link.url)
    pages = pagination_links(html, base_url, page_links(html, base_url)) + columns
    return ListingLinks(tuple(reports), tuple(skipped), tuple(dict.fromkeys(pages)))


def _same_column(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    column = lambda path: path if path.endswith("/") else dirname(path) + "/"  # noqa: E731
    return a.netloc == b.netloc and column(a.path) == column(b.path) and _TRS_INDEX.search(a.path) is None


def is_column_url(url: str) -> bool:
    """A column (listing) address such as `/zwgk/zfgzbg/` or `.../index_2.html`, never an article.

    Navigation bars link the column itself under the title 政府工作报告.
    """
    path = urlsplit(url).path
    return path == "" or path.endswith("/") or bool(_TRS_INDEX.search(path))


def pagination_links(html: str, base_url: str, links: list[Link]) -> list[str]:
    """Further pages of the same listing: 下一页, numbered links, index_N.html."""
    base_dir = dirname(urlsplit(base_url).path)
    same_dir = [
        link for link in links
        if urlsplit(link.url).netloc == urlsplit(base_url).netloc and dirname(urlsplit(link.url).path) == base_dir
    ]
    pages: list[str] = []
    for link in same_dir:
        path = urlsplit(link.url).path
        if _NEXT_TEXT.match(link.text) or _PAGE_NUMBER.match(link.text) or _TRS_INDEX.search(path):
            pages.append(link.url)
    pages.extend(_trs_pager_links(html, base_url))
    return [url for url in dict.fromkeys(pages) if url != base_url]


def _trs_pager_links(html: str, base_url: str) -> list[str]:
    """TRS/WCM listings write their pager from JS: createPageHTML(count, current, 'index', 'html')."""
    match = _TRS_PAGER.search(html)
    if not match:
        return []
    count, _current, stem, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    names = [f"{stem}.{ext}"] + [f"{stem}_{i}.{ext}" for i in range(1, min(count, 200))]
    return [urljoin(base_url, name) for name in names]


def part_links(html: str, page_url: str) -> list[str]:
    """Other pages of a split article (t123_1.html, t123_2.html ...), ordered by part number.

    Only URLs in the same directory sharing the first page's stem count, so
    a 下一页 link to the next *article* is not mistaken for a continuation.
    """
    links = page_links(html, page_url)
    # The page's own stem first (t123.html links t123_1.html); if this page is
    # itself a later part (t123_2.html), the first page's stem.
    for first in dict.fromkeys([page_url, first_part_url(page_url)]):
        parts = _numbered_parts(links, page_url, first)
        if parts:
            return parts
    return []


def _numbered_parts(links: list[Link], page_url: str, first: str) -> list[str]:
    first_path = urlsplit(first).path
    stem, ext = splitext(basename(first_path))
    numbered: dict[int, str] = {}
    for link in links:
        path = urlsplit(link.url).path
        if urlsplit(link.url).netloc != urlsplit(page_url).netloc or dirname(path) != dirname(first_path):
            continue
        link_stem, link_ext = splitext(basename(path))
        match = _PART_SUFFIX.match(link_stem)
        if match and match.group("stem") == stem and link_ext == ext:
            numbered[int(match.group("n"))] = link.url
    return [numbered[n] for n in sorted(numbered)]


def first_part_url(url: str) -> str:
    """t123_2.html -> t123.html (the article's first page)."""
    parts = urlsplit(url)
    stem, ext = splitext(basename(parts.path))
    match = _PART_SUFFIX.match(stem)
    if not match or _TRS_INDEX.search(parts.path):
        return url
    path = f"{dirname(parts.path)}/{match.group('stem')}{ext}"
    return parts._replace(path=path, query="", fragment="").geturl()


def attachment_links(html: str, page_url: str, selector: str | None = None) -> list[Link]:
    """Links to PDF/DOCX/DOC/TXT files on an article or listing page."""
    out = []
    for link in page_links(html, page_url, selector):
        path = urlsplit(link.url).path.lower()
        if path.endswith(_ATTACHMENT_EXT):
            out.append(link)
    return out


def report_verdict(page: PageText) -> str | None:
    """None when the page text reads like a report, else the Skip reason.

    A report has a long CJK body and either addresses the deputies
    (各位代表) or runs to many paragraphs; forums, notices and news items don't.
    """
    text = "\n".join(page.lines)
    cjk = cjk_count(text)
    long_paragraphs = sum(1 for line in page.lines if cjk_count(line) >= 40)
    if SALUTATION in text and cjk >= 300:
        return None
    if long_paragraphs >= 20 and cjk >= 2000:
        return None
    if SALUTATION not in text:
        return "not a report: no salutation"
    return f"not a report: body too short ({cjk} CJK characters)"


def page_kind(page: PageText, html: str, url: str) -> str:
    """report | listing | other, judged from the page itself (for --url)."""
    if report_verdict(page) is None:
        return "report"
    links = page_links(html, url)
    body_cjk = cjk_count("\n".join(page.lines))
    if any(mentions_report(link.text) for link in links):
        return "listing"
    if len(links) >= 10 and body_cjk < 2000:
        return "listing"
    return "other"


def html_lines(html: str) -> list[str]:
    """All block text of a page (debug helper)."""
    return block_lines(LexborHTMLParser(html).body)

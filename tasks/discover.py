"""Listing pages -> report links, pagination, split-article parts, attachments.

Everything here is pure (HTML text in, URLs out) so the fetcher decides what
to request and these rules can be tested without a network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from posixpath import basename, dirname, splitext
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from tasks.anatomy import INLINE_SALUTATION, SALUTATION
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
_URL_DROPPED = str.maketrans("", "", "\t\r\n")  # what urllib.parse removes from any URL it splits


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
    seen: dict[str, Link] = {}
    for anchor, url in _anchors(html, base_url, selector):
        text = " ".join((anchor.attributes.get("title") or anchor.text() or "").split())
        if url not in seen or (text and not seen[url].text):
            seen[url] = Link(url, text)
    return list(seen.values())


def _anchors(html: str, base_url: str, selector: str | None = None,
             wanted: Callable[[str], bool] | None = None) -> Iterator[tuple[LexborNode, str]]:
    """Each <a href> of the page (or of `selector`) with its absolute http(s) URL, fragment dropped, in
    order; `wanted(href)` false skips an anchor before its URL is resolved (resolving is the cost)."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = urljoin(base_url, base_node.attributes.get("href") or "") if base_node is not None else base_url
    scope = (tree.css_first(selector) if selector else None) or tree.root
    for anchor in scope.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if wanted is not None and not wanted(href):
            continue
        url = urldefrag(urljoin(base, href)).url
        if urlsplit(url).scheme in ("http", "https"):
            yield anchor, url


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
    pages = pagination_links(html, base_url, page_links(html, base_url) if selector else links) + columns
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
    # The page's own stem first (t123.html links t123_1.html); if this page is
    # itself a later part (t123_2.html), the first page's stem.
    firsts = list(dict.fromkeys([page_url, first_part_url(page_url)]))
    prefixes = tuple(splitext(basename(urlsplit(first).path))[0] + "_" for first in firsts)

    def may_be_part(href: str) -> bool:
        """A part's file name is in its href (t123_1.html: t123_), after the tabs and line breaks that
        URL parsing removes; an href without a path (?page=2) is the page itself, which may be a part."""
        return any(prefix in href.translate(_URL_DROPPED) for prefix in prefixes) or not urlsplit(href).path

    links = [Link(url, "") for url in dict.fromkeys(url for _, url in _anchors(html, page_url, wanted=may_be_part))]
    for first in firsts:
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


# -- what is a work report -------------------------------------------------------------------
# A government work report is recognised by its structure, not by one salutation: the deputies
# addressed, the government speaking in the first person (我代表…人民政府), the session it is
# delivered to, a 政府工作报告 title, and its review and plan sections. Texts that share much of
# that shape but are something else are told apart by who speaks and what they report on.
_FIRST_PERSON = re.compile(r"我代表[^。,\uff0c;\uff1b]{0,24}?(?:人民政府|政府|国务院)")
_SESSION_LINE = re.compile(r"在[^。]{0,40}?(?:人民代表大会|人代会)[^。]{0,24}?会议上")
_SPEAKER_LINE = re.compile(r"(?:省长|市长|区长|县长|旗长|州长|盟长|主席)[:\uff1a]?[\u4e00-\u9fff·]{2,8}$")
_WORK_REPORT_TITLE = re.compile(r"政府(?:[0-9０-９]{4}年度?)?工作报告")
_SECTION_NUMBER = r"(?:[一二三四五六七八九十]+[、.．]|[(\uff08][一二三四五六七八九十]+[)\uff09]|第[一二三四五]部分)"
_REVIEW_HEADING = re.compile(rf"^{_SECTION_NUMBER}?\s*[^。]{{0,24}}?(?:回顾|总结)")
_REVIEW_CUE = re.compile(r"过去(?:的)?一年|一年来|过去(?:的)?五年|五年来|(?:19|20)\d\d年[^。]{0,8}工作回顾")
_PLAN_CUE = re.compile(r"(?:19|20)\d\d年(?:的)?(?:政府)?工作(?:安排|任务|部署)|主要预期目标|主要目标任务|总体要求|今后五年|今年(?:的)?工作")
# The first section: 一、2014年工作回顾, 第一部分 过去五年工作回顾, or unnumbered 站在新起点：2012年工作回顾.
_TOP_REVIEW_HEADING = re.compile(
    r"^(?:[一1][、.．]|第一部分)?\s*[^。]{0,20}?(?:(?:19|20)\d\d\s*年|过去|上年|去年|五年|一年)[^。]{0,16}?(?:回顾|总结)"
    r"[^。,\uff0c]{0,6}$")
# What the report says it reports on: 向大会报告政府工作 / 向大会作关于…规划纲要的报告.
_REPORTS_ON = re.compile(r"向(?:大会|本次会议|会议)(?:作|做)?(?P<subject>[^。,\uff0c;\uff1b]{0,40}?)报告(?P<after>[^。,\uff0c;\uff1b]{0,4})")
_NOT_WORK_SUBJECTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"规划纲要|五年规划|五年计划|[十]{1}[一二三四五六]五.{0,4}规划"), "not a report: five-year plan report"),
    (re.compile(r"预算|决算"), "not a report: budget report"),
    (re.compile(r"国民经济和社会发展(?:年度)?计划|计划(?:执行情况|草案)"), "not a report: annual plan report"),
    (re.compile(r"政协|常务委员会|常委会"), "not a report: CPPCC or standing committee report"),
)
# The title of a document that is no report at all: …规划纲要（草案）, …预算草案, …计划.
_OTHER_TITLE = re.compile(r"(?:纲要|规划|计划|预算|决算|草案)[)\uff09]?$")
_ENTRUSTED = re.compile(r"受[^。,\uff0c]{0,20}(?:人民)?政府(?:的)?委托")
_CPPCC = re.compile(r"^各位委员|各位委员[:\uff1a]")
# Who the first person speaks for when it is not a government: 我代表市人民代表大会常务委员会 / 市中级人民法院.
_SPEAKS_FOR = re.compile(r"我代表(?P<who>[^。,\uff0c;\uff1b]{2,40}?)(?:[,\uff0c]|向)")
_OTHER_BODY = re.compile(r"常务委员会|常委会|人民法院|法院|人民检察院|检察院|政协|委员会")
HEAD_LINES = 12
MIN_STRUCTURED_CJK = 600  # a report recognised by its structure alone, without salutation or 我代表…政府
TITLE_LINES = 5


# -- what kind of text: its own heading and its voice -----------------------------------------
# A scraper's header (标题：…政府工作报告) says what a site filed the page under; the text's own first
# heading says what the text is (…预算（草案）的报告, …关于国务院机构改革方案的决定, …隆重开幕), and
# its paragraphs' voice says who speaks: the government (我们, 我市, 今年, 过去一年, 各位代表) or a
# reporter writing about it (本报讯, 记者, 出席, 主持, 报告指出, 他说). A newspaper's full rendering (one
# reporter's lead, then the report in its own voice) and a 摘登/摘要 excerpt load, flagged; a text
# mostly in the reporter's voice is news about the report or its congress.
_HEADER_FIELD = re.compile(
    r"^(?:标题|题目|title|来源|source|作者|时间|发布时间|日期|发布日期|浏览次数|阅读|点击|字号|栏目|关键词|索引号|"
    r"发布机构|文号|分类|内容摘要)\s*[:\uff1a]", re.I)
_HEADING_MARKUP = re.compile(r"^[#>*\s【\[]*|[*\s]*(?:[\[［]\d{1,3}[\]］])?[*\s]*$")
_OWN_HEADING_LINES = 15
# A headline about the report or its congress (市长王某某作政府工作报告, …隆重开幕): news, unless the
# report itself follows in its own voice (a newspaper's full rendering).
_NEWS_HEADINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:开幕|闭幕|召开|举行)(?:第[一二三四五六七八九十]+次全体会议|预备会议)?$"), "not a report: news of the congress"),
    (re.compile(r"(?:作|做|听取|审议|热议|聚焦)[^。]{0,12}政府工作报告$"), "not a report: news about a report"),
)
_OTHER_DOCUMENT_HEADINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:预算|决算)[^。]{0,30}(?:报告|草案[)\uff09]?)$"), "not a report: budget report"),
    (re.compile(r"(?:纲要|规划)(?:[(\uff08]草案[)\uff09])?$"), "not a report: five-year plan report"),
    (re.compile(r"计划[^。]{0,30}(?:报告|草案[)\uff09]?)$"), "not a report: annual plan report"),
    (re.compile(r"公报$"), "not a report: statistical communiqué"),
    (re.compile(r"(?:决定|决议)$"), "not a report: a congress decision"),
)
_REPORTED = re.compile(
    r"记者|本报讯|通讯员|新华社[^。]{0,12}电|讯[(\uff08]|出席(?:会议|大会|开幕)|主持(?:会议|大会)|应出席代表|实到代表|"
    r"隆重开幕|胜利闭幕|开幕式|《(?:政府工作)?报告》|(?<![大会])报告(?:指出|提出|强调|显示|认为|要求|回顾|说|称|分为|共分)|"
    r"(?:他|她|代表|委员|负责人)(?:说|指出|强调|表示|认为)|作(?:政府)?工作报告时|(?:表示|介绍|谈到)[,\uff0c:\uff1a]|听取(?:和|并)?(?:审议)?了?[^。]{0,20}政府工作报告")
_OWN_VOICE = re.compile(r"我们|我(?:省|市|区|县|州|旗|盟)|今年|过去(?:的)?一年|各位(?:人大)?代表|(?:^|[,\uff0c。；;])要")
# A reporter's lead opens the text (本报讯, （记者…）, 新华社…电, 市长…作政府工作报告时说); a photo
# caption (记者 王鼎 摄) or a report's mention of 新华社 is not one.
_REPORTER_LEAD = re.compile(r"本报讯|讯[(\uff08]|[(\uff08]记者|新华社[^。]{0,12}电|作(?:政府)?工作报告时(?:说|指出|强调|表示)")
_ABRIDGED = re.compile(r"摘登|(?<!内容)摘要|摘编|节选")  # 内容摘要： is a site's summary field
_OPENING_FORMULA = re.compile(r"各位(?:人大)?代表|我代表|请予审议|提出意见")
FRAMED_PARAGRAPH_CJK = 800  # a newspaper's paragraph; a longer line is a copy's run-together text
FULL_REPORT_CJK = 3000  # own-voice text that carries a whole report under a news headline
OPENING_DEPTH = 0.2  # an opening formula past this share of the text is an address inside it
MIN_CONTENT_CJK = 120  # a report says something beyond its opening formula
OWN_VOICE_SHARE = 0.05  # a text without its opening is a report's part when its own voice is this share of it
# the government speaking of itself as government (a report's closing part: 政府自身建设)
_GOVERNMENT_SELF = re.compile(r"政府自身建设|(?:法治|服务型|廉洁|人民满意的?)政府|各级政府|政府工作人员|政府系统|政府全体")


@dataclass(frozen=True)
class Kind:
    """Whether a text is a government work report, the rule that decided and the phrase it read.

    `rule` names the evidence: for a report "self-named opening" (我代表…政府), "salutation",
    "own heading" (its own 政府工作报告 title) or "structure" (title, session or speaker lines with
    review and plan parts, or a part of a report in its own voice), while "newspaper-framed" and
    "abridged" flag a report under a reporter's lead or cut to excerpts; for a refusal "own heading",
    "reporting voice", "structure" or "no body", with `reason` (the run's Skip reason).
    """

    is_report: bool
    rule: str
    evidence: str
    reason: str | None = None


def _own_heading(lines: tuple[str, ...]) -> tuple[str, str | None] | None:
    """The text's first heading that says what it is: (heading, None) for a work report's title,
    (heading, reason) for another document or a news headline; None if its first lines say neither.
    A scraper's header field (标题：…) is not the text's own, and neither is a line after the
    opening formula (a document the report names: 《关于深化改革严格土地管理的决定》)."""
    opening = _opening_line(lines)
    for line in lines[:_OWN_HEADING_LINES if opening is None else min(opening, _OWN_HEADING_LINES)]:
        compact = _HEADING_MARKUP.sub("", _compact(line))
        if _HEADER_FIELD.match(compact) or len(compact) > 60 or compact.endswith(("。", "！", "；")):
            continue
        for pattern, reason in _NEWS_HEADINGS:
            if pattern.search(compact):
                return compact, reason
        if _WORK_REPORT_TITLE.search(compact) or _REPORT_TITLE.search(compact):
            return compact, None
        for pattern, reason in _OTHER_DOCUMENT_HEADINGS:
            if pattern.search(compact):
                return compact, reason
    return None


@dataclass(frozen=True)
class _Voice:
    """How much of the text is the government speaking and how much a reporter writing about it."""

    own: int  # CJK characters in sentences in the government's voice
    reported: int  # CJK characters in sentences in a reporter's voice
    lead: str | None  # a reporter's lead in the first lines (本报讯…, 市长…作政府工作报告时说)
    first_reported: str | None  # the first sentence in a reporter's voice (《报告》说，…)
    content: int  # CJK characters of the text's sentences after its opening formula, the formula excluded

    @property
    def share(self) -> float:
        """The government's share of the voiced text (1.0 when no line is reported)."""
        return self.own / (self.own + self.reported) if self.own + self.reported else 1.0


_SENTENCE_END = re.compile(r"(?<=[。！？!?])")


def _opening_line(lines: tuple[str, ...]) -> int | None:
    """The line of the opening formula (各位代表, 我代表…) when it opens the text (within its first
    fifth), else None: a 各位代表！ before the closing part is no opening."""
    total = sum(len(line) for line in lines)
    offset = 0
    for index, line in enumerate(lines):
        if offset > OPENING_DEPTH * total:
            break
        if _OPENING_FORMULA.search(line):
            return index
        offset += len(line)
    return None


def _voice(lines: tuple[str, ...]) -> _Voice:
    """Sentence by sentence (a mirror copy may hold a whole report in a few lines); a paragraph
    whose first sentence is a reporter's frame (《报告》说，…) is reported speech to its end."""
    own = reported = content = 0
    lead = first_reported = None
    opening = _opening_line(lines) or 0
    for index, line in enumerate(lines):
        if _HEADER_FIELD.match(_compact(line)):
            continue
        sentences = _SENTENCE_END.split(line)
        framed = bool(_REPORTED.search(sentences[0])) and cjk_count(line) <= FRAMED_PARAGRAPH_CJK
        for sentence in sentences:
            cjk = cjk_count(sentence)
            if framed or _REPORTED.search(sentence):
                reported += cjk
                first_reported = first_reported or sentence[:80]
                if lead is None and index < HEAD_LINES and _REPORTER_LEAD.search(sentence):
                    lead = sentence[:80]
            elif _OWN_VOICE.search(sentence):
                own += cjk
            if index >= opening and cjk >= 8 and not _OPENING_FORMULA.search(sentence):
                content += cjk
    return _Voice(own, reported, lead, first_reported, content)


def report_kind(page: PageText) -> Kind:
    """Is the page a government work report, and on what evidence (see `Kind`).

    The text's own first heading outranks a scraper's header; the voice of its sentences outranks a
    reporter's frame; then the structure rules (`_structure_verdict`) decide, and a report must say
    something beyond its opening formula.
    """
    heading = _own_heading(page.lines)
    voice = _voice(page.lines)
    if heading is not None and heading[1] is not None:
        in_own_voice = voice.share >= 0.8 and voice.own >= FULL_REPORT_CJK
        if not (heading[1].startswith("not a report: news") and in_own_voice):
            return Kind(False, "own heading", heading[0], heading[1])
    if voice.reported and voice.share < 0.5:
        congress = any(re.search(r"开幕|闭幕|应出席代表|实到代表", line) for line in page.lines[:HEAD_LINES * 2])
        reason = "not a report: news of the congress" if congress else "not a report: news about a report"
        return Kind(False, "reporting voice", voice.lead or voice.first_reported or "", reason)
    reason = _structure_verdict(page, voice)
    if reason is not None:
        return Kind(False, "structure", "", reason)
    if voice.content < MIN_CONTENT_CJK:
        return Kind(False, "no body", "", "not a report: nothing beyond the opening formula")
    head = "\n".join([page.title or "", *(heading[:1] if heading else ()), *page.lines[:3]])
    if abridged := _ABRIDGED.search(_compact(head)):
        return Kind(True, "abridged", abridged.group())
    if voice.lead is not None:
        return Kind(True, "newspaper-framed", voice.lead)
    return _report_evidence(page, heading)


def _report_evidence(page: PageText, heading: tuple[str, str | None] | None) -> Kind:
    """What says this report is one: its salutation, 我代表…政府, its own title, or its header."""
    text = "\n".join(page.lines[:40])
    if first_person := _FIRST_PERSON.search(text):
        return Kind(True, "self-named opening", first_person.group())
    if _has_salutation(page.lines):
        return Kind(True, "salutation", "各位代表")
    if heading is not None:
        return Kind(True, "own heading", heading[0])
    return Kind(True, "structure", page.title or "")


def report_verdict(page: PageText) -> str | None:
    """None when the page reads as a government work report, else the Skip reason (`report_kind`)."""
    return report_kind(page).reason


def _structure_verdict(page: PageText, voice: _Voice) -> str | None:
    """None when the page's structure reads as a government work report, else the Skip reason.

    Evidence: the deputies addressed (各位代表) or the government speaking (我代表…人民政府);
    failing those, two of the head's marks (a 政府工作报告 title, the session line, the speaker
    line), one of them with a review or plan section, or both sections in a long text (a copy
    that starts at 一、2004年政府工作回顾). A text is not a work report
    when it reports on something else (a five-year plan, a budget, an annual plan, the CPPCC's
    work) or speaks of a report in the third person (a news item).
    """
    text = "\n".join(page.lines)
    cjk = cjk_count(text)
    addressed = _has_salutation(page.lines) or bool(_FIRST_PERSON.search(text))
    if cjk < 300:
        return f"not a report: body too short ({cjk} CJK characters)" if addressed else "not a report: no salutation"
    reason = _not_work_report(page, voice)
    if reason is not None:
        return reason
    if addressed:
        return None
    head_lines = [page.title or "", *page.lines[:HEAD_LINES]]
    head = "\n".join(head_lines)
    from_head = sum((
        bool(_WORK_REPORT_TITLE.search(_compact(head))),
        bool(_SESSION_LINE.search(head)),
        any(_SPEAKER_LINE.search(_compact(line)) for line in head_lines if len(_compact(line)) <= 30),
    ))
    sections = sum((
        any(_REVIEW_HEADING.match(line) for line in page.lines if len(line) <= 40) or bool(_REVIEW_CUE.search(text)),
        bool(_PLAN_CUE.search(text)),
    ))
    long_paragraphs = sum(1 for line in page.lines if cjk_count(line) >= 40)
    if cjk >= MIN_STRUCTURED_CJK and (from_head >= 2 or (from_head and sections) or (sections == 2 and long_paragraphs >= 10)):
        return None
    # A part of a report (its opening lost, or only its last pages kept) still speaks as the government
    # about its own work, in nearly every line, with nobody reporting on it.
    own_voice = voice.own >= OWN_VOICE_SHARE * cjk and voice.share >= 0.9
    if cjk >= MIN_STRUCTURED_CJK and own_voice and (sections or _GOVERNMENT_SELF.search(text)):
        return None
    return "not a report: no salutation"


def _has_salutation(lines: tuple[str, ...]) -> bool:
    return any(SALUTATION.match(line) or INLINE_SALUTATION.search(line) for line in lines)


def _not_work_report(page: PageText, voice: _Voice) -> str | None:
    """The reason a report-shaped text is not a government work report, or None.

    The title and opening say what is reported on: a work report says 报告政府工作 /
    政府工作报告 and then may still mention the five-year plan it submits; a plan or
    budget report, a CPPCC report or a news item about the report never does.
    """
    lines = page.lines
    head = "\n".join([page.title or "", *lines[:HEAD_LINES]])
    first_person = _FIRST_PERSON.search("\n".join(lines[:40]))
    for line in [page.title or "", *lines[:TITLE_LINES]]:
        compact = _compact(line)
        titled = bool(re.search(r"关于.{2,50}报告", compact)) or (not first_person and bool(_OTHER_TITLE.search(compact)))
        if len(compact) <= 60 and titled and not _WORK_REPORT_TITLE.search(compact):
            for pattern, reason in _NOT_WORK_SUBJECTS:
                if pattern.search(compact):
                    return reason
    opening = _REPORTS_ON.search("\n".join(lines[:40]))
    if opening is not None and "工作" not in opening["subject"] and "工作" not in opening["after"]:
        for pattern, reason in _NOT_WORK_SUBJECTS:
            if pattern.search(opening["subject"]):
                return reason
    if _ENTRUSTED.search(head) and not first_person:
        titles = "\n".join(line for line in [page.title or "", *lines[:TITLE_LINES]] if len(line) <= 60)
        for pattern, reason in _NOT_WORK_SUBJECTS[1:3]:  # 关于…预算执行情况…, …计划草案
            if pattern.search(titles):
                return reason
        return "not a report: delivered on the government's behalf (受…政府委托)"
    if _CPPCC.search(head) and not first_person:
        return "not a report: CPPCC report (各位委员)"
    speaks_for = _SPEAKS_FOR.search("\n".join(lines[:40]))
    if first_person is None and speaks_for and _OTHER_BODY.search(speaks_for["who"]):
        return "not a report: another body's report (人大常委会, 法院, 检察院, 政协)"
    if first_person is None and len(page.title or "") <= 60 and (reason := lookalike_reason(page.title or "")):
        if not (reason.endswith("摘要") and voice.own >= MIN_CONTENT_CJK):  # an excerpt in its own voice is a report
            return reason
    return None


def report_start(lines: list[str], salutation: int | None) -> int | None:
    """Where the report's own text begins when it opens without 各位代表.

    Real copies start at the first section (一、2014年工作回顾) or run from the title and
    speaker line straight into prose: the body then starts at that first review heading
    when it comes before any salutation (the salutation later is 各位代表，成绩来之不易…),
    or, with no salutation at all, at the first long paragraph.
    """
    limit = len(lines) if salutation is None else salutation
    for index in range(limit):
        line = lines[index]
        if len(line) <= 40 and _TOP_REVIEW_HEADING.match(line) and _prose_follows(lines, index):
            return index
    if salutation is not None:
        return salutation
    for index, line in enumerate(lines):
        if cjk_count(line) >= 60 and not _SESSION_LINE.search(line[:80]) and line.rstrip()[-1:] in "。！？!?；;：:”":
            return index
    return None


def _prose_follows(lines: list[str], index: int) -> bool:
    """A heading in the text, not in a table of contents: a paragraph follows it."""
    return any(cjk_count(line) >= 40 for line in lines[index + 1 : index + 3])


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

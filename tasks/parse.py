"""Raw bytes -> `PageText`: decoding, format dispatch and main-content detection.

Government CMS pages are mostly GBK with the charset only in <meta> (or
nowhere), put the report in one block among much navigation, and sometimes
only attach a PDF/DOCX. This module turns any of those into ordered lines.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import charset_normalizer
import numpy as np
import yaml
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tasks.records import PageText


class ParseError(ValueError):
    """A document that cannot be read; the message is one readable reason."""


# Bytes a DOCX's zip entries or a PDF's streams may inflate to: the page size cap
# (tasks/decoding.py PAGE_SIZE_CAP), so a small file cannot unpack into gigabytes.
INFLATE_CAP = 30 * 1024 * 1024
_INFLATE_PIECE = 64 * 1024


_CJK_RANGES = ((0x3400, 0x9FFF), (0xF900, 0xFAFF))
_CJK_RUN = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]+")
_VECTOR_COUNT_FROM = 1000  # characters: below, numpy's fixed cost is more than the runs
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_GB_FAMILY = {"gbk", "gb2312", "gb_2312", "gb-2312", "x-gbk", "gb_2312-80", "euc-cn", "cp936", "gb18030", "hz-gb-2312"}
_SENTENCE_END = tuple("。！？；：”」!?;:")
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main",
    "table", "ul", "ol", "dl", "blockquote", "pre", "center", "dd", "dt", "hr", "form", "fieldset", "header",
    "footer", "nav", "aside", "figure", "figcaption", "address", "caption",
})
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "select", "option", "button", "textarea", "input",
    "object", "embed", "svg", "canvas", "map", "head", "title", "meta", "link", "-comment",
})
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})
_CHROME_PARTS = "nav|navbar|navigation|menu|footer|header|sidebar|breadcrumbs?|crumbs?|copyright|toolbar|share|comments?|related"
_CHROME_PREFIXES = "comment|footer|header|sidebar|breadcrumb|copyright|navbar|navigation|menu"
_CHROME_WHOLE = "top|bottom|foot|head|side|links"
# one class/id token: a chrome word as its first or last part (main-nav, footer_wrap), a long
# chrome word starting it (commentlist), or a short positional word as the whole token
_CHROME_TOKEN = re.compile(rf"^(?:{_CHROME_PARTS})(?:[-_]|$)|[-_](?:{_CHROME_PARTS})$|^(?:{_CHROME_PREFIXES})[a-z0-9]*$|^(?:{_CHROME_WHOLE})$")
_SPACES = (" ", "\t", "\n", "\r", "\xa0", "\u3000")
_TOLERATED_BAD_CHARS = 3  # replacement characters a right charset may still leave
_LINE_COST = 20.0
_PROSE_END = tuple("。！？!?…”")  # a line ending a sentence is prose however short: no line cost
_ASCII_PER_CHAR = 3  # ASCII letters, digits, URLs and dates say about a third as much as a CJK character
_MAX_LINK_TEXT = 60  # longer text inside <a> is prose caught in an unclosed link
_LINK_WEIGHT = 2.0
_CHROME_FACTOR = 0.1
_TIMESTAMP = re.compile(r"(?:\d{4}[-/.年])?\d{1,2}[-/.月]\d{1,2}日?\s*\d{1,2}:\d{2}")
_MIN_RECORDS = 3  # stamped sibling blocks of one kind that make a list of comments/replies/posts
_JOIN_SHARE = 0.5  # a sibling section joins the article only when it has half its value
_BOX_COST = 40.0  # most one element boxed inside the article (an ad, a link list) costs a run
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|——|—| - |-)\s*")
_FOOTER_SITE = re.compile(r"(?:主办单位|主办|版权所有)\s*[:：]?\s*([\u4e00-\u9fff（）()]{2,30}?)(?:\s|$|，|。|承办|地址|网站)")


# --- decoding ---------------------------------------------------------------------


def normalize_charset(name: str | None) -> str | None:
    """Canonical codec name; the GB family maps to gb18030, its superset."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode a page trying header, BOM, <meta>, then statistical detection."""
    for bom, charset in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(charset, errors="replace").lstrip("\ufeff"), charset
    declared = normalize_charset(header_charset)
    if declared is None:
        match = _META_CHARSET.search(data[:4096])
        declared = normalize_charset(match.group(1).decode("ascii")) if match else None
    if declared:
        return _decode_declared(data, declared)
    return _sniff(data)


def _decode_declared(data: bytes, declared: str) -> tuple[str, str]:
    """Trust a declared charset unless it is plainly wrong.

    Servers often declare UTF-8 for GBK pages (and the reverse); when the
    declared charset leaves more than a few undecodable bytes and strict UTF-8
    or strict GB18030 decodes the whole page, that one is used instead. A page
    in its declared charset with a stray bad byte keeps the declared charset.
    """
    text = data.decode(declared, errors="replace")
    if text.count("\ufffd") <= 3:
        return text, declared
    for charset in ("utf-8", "gb18030"):
        if charset != declared:
            try:
                return data.decode(charset), charset
            except UnicodeDecodeError:
                pass
    return text, declared


def _sniff(data: bytes) -> tuple[str, str]:
    """No declaration: UTF-8, then GB18030, then charset-normalizer.

    Undeclared pages in this corpus are nearly always GBK; statistical
    detection alone mistakes short GBK text for EUC-KR or a Cyrillic codec,
    so UTF-8 and GB18030 are tried first. Real pages carry a stray broken
    byte pair (a truncated character, a pasted fragment): a decoding that
    leaves only a few replacement characters still wins over a guess.
    """
    for charset in ("utf-8", "gb18030"):
        try:
            return data.decode(charset), charset
        except UnicodeDecodeError:
            pass
    tolerated = max(_TOLERATED_BAD_CHARS, len(data) // 10_000)
    bad, text, charset = min((t.count("\ufffd"), t, c) for c in ("utf-8", "gb18030")
                             for t in (data.decode(c, errors="replace"),))
    if bad <= tolerated:
        return text, charset
    best = charset_normalizer.from_bytes(data).best()
    charset = normalize_charset(best.encoding if best else None) or "gb18030"
    return data.decode(charset, errors="replace"), charset


# --- dispatch ---------------------------------------------------------------------

# The saved files a --from-dir run reads, by suffix (lower case); Markdown copies are read as plain text.
LOCAL_SUFFIXES = frozenset({".html", ".htm", ".txt", ".md", ".pdf", ".docx"})


_NOT_TEXT_TYPES = ("image/", "audio/", "video/", "font/", "application/zip", "application/x-rar",
                   "application/x-7z", "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml")


def document_kind(data: bytes, url: str, content_type: str | None) -> str:
    """html | pdf | docx | doc | txt | binary, from content type, extension and magic bytes.

    `binary` is anything else that is not text (an image, an archive, a spreadsheet):
    it must end as a recorded error, not as mojibake parsed as HTML.
    """
    ctype = (content_type or "").split(";")[0].strip().lower()
    path = url.split("?")[0].split("#")[0].lower()
    if data.startswith(b"%PDF") or "pdf" in ctype or path.endswith(".pdf"):
        return "pdf"
    if "wordprocessingml" in ctype or path.endswith(".docx") or (data.startswith(b"PK") and b"word/" in data[:4096]):
        return "docx"
    if ctype == "application/msword" or path.endswith(".doc") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if ctype.startswith(_NOT_TEXT_TYPES) or _looks_binary(data):
        return "binary"
    if ctype == "text/plain" or path.endswith((".txt", ".md")):
        return "txt"
    return "html"


def _looks_binary(data: bytes) -> bool:
    """NUL bytes near the start: no HTML or GBK/UTF-8 text has them (UTF-16 pages come with a BOM)."""
    head = data[:2048]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def parse_document(
    data: bytes,
    *,
    url: str,
    content_type: str | None,
    charset: str | None,
    content_selector: str | None = None,
) -> PageText:
    """Parse any supported document into a PageText; ParseError says why not."""
    kind = document_kind(data, url, content_type)
    if kind == "pdf":
        return parse_pdf(data, url=url)
    if kind == "docx":
        return parse_docx(data, url=url)
    if kind == "doc":
        raise ParseError("legacy .doc (Word 97) files are not supported")
    if kind == "binary":
        raise ParseError(f"not a text document ({(content_type or 'no content type').split(';')[0]})")
    if kind == "txt":
        text, _ = decode_html(data, charset)
        return parse_text(text, url=url)
    text, _ = decode_html(data, charset)
    return parse_html(text, url=url, content_selector=content_selector)


def read_local_file(path: Path, data: bytes | None = None) -> PageText:
    """Parse a local .html/.htm/.txt/.md/.pdf/.docx file (for --from-dir; Markdown is read as plain text);
    `data`: its bytes when read already (the bytes archived, so the text parsed is the archived version's)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in LOCAL_SUFFIXES:
        raise ParseError(f"unsupported file type {suffix or '(none)'}: {path.name}")
    return parse_document(path.read_bytes() if data is None else data, url=path.resolve().as_uri(),
                          content_type=None, charset=None)


# --- plain text, PDF, DOCX ---------------------------------------------------------


def parse_text(text: str, *, url: str) -> PageText:
    """A plain-text or Markdown copy: its lines, and its title from YAML front matter, else its first line."""
    front, text = split_front_matter(text)
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    title = front.get("title")
    title = str(title).strip() if title is not None and str(title).strip() else None
    return PageText(url=url, title=title or (lines[0] if lines else None), lines=lines)


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE)


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter (`---` lines around `title: …`, as edited copies and Markdown files start) and the
    text after it. Front matter that is not a YAML mapping is left in the text, as lines like any other."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(front, dict):
        return {}, text
    return front, text[match.end():]


def parse_pdf(data: bytes, *, url: str, cap: int = INFLATE_CAP) -> PageText:
    """Extract text page by page and re-join lines broken inside sentences.

    Every stream is decoded within `cap` bytes (pypdf's limits, set to the page
    size cap), and the pages' content streams together too: a small PDF whose
    streams inflate to gigabytes ends as a ParseError, not as the run's memory.
    """
    import pypdf  # here, not at the top: most runs read no PDF, and a run with nothing new reads nothing
    import pypdf.errors

    limits = {name: cap for name in ("maximum_declared_stream_length", "array_based_stream_maximum_output_length",
                                     "jbig2_maximum_output_length", "lzw_maximum_output_length",
                                     "run_length_maximum_output_length", "zlib_maximum_output_length",
                                     "brotli_maximum_output_length")}
    try:
        with pypdf.apply_configuration(**limits):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                reader.decrypt("")
            raw_lines: list[str] = []
            inflated = 0
            for page in reader.pages:
                contents = page.get_contents()
                inflated += len(contents.get_data()) if contents is not None else 0
                if inflated > cap:
                    raise ParseError(f"PDF could not be parsed: its content streams inflate past {cap} bytes")
                raw_lines += (page.extract_text() or "").splitlines()
            title = reader.metadata.title if reader.metadata else None
    except pypdf.errors.LimitReachedError as exc:
        raise ParseError(f"PDF could not be parsed: a stream inflates past the cap of {cap} bytes") from exc
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, NotImplementedError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"PDF could not be parsed: {_reason(exc)}") from exc
    lines = join_broken_lines([line.strip() for line in raw_lines if line.strip()])
    if not lines:
        raise ParseError("PDF could not be parsed: no extractable text (scanned image?)")
    return PageText(url=url, title=(title or lines[0]).strip() or None, lines=tuple(lines))


def join_broken_lines(lines: list[str]) -> list[str]:
    """Join a line that does not end a sentence with the line that continues it.

    PDF extraction yields one line per printed line. A line ends a paragraph
    when it ends in sentence punctuation, is visibly shorter than a full
    printed line (a title, the tail of a paragraph), or the next line starts
    a heading.
    """
    if not lines:
        return []
    full_width = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]
    out: list[str] = []
    buffer = ""
    for i, line in enumerate(lines):
        buffer += line
        following = lines[i + 1] if i + 1 < len(lines) else None
        ends = (
            following is None
            or line.endswith(_SENTENCE_END)
            or len(line) < 0.8 * full_width
            or _HEADING.match(following) is not None
        )
        if ends:
            out.append(buffer)
            buffer = ""
    return out


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.、]|第[一二三四五六七八九十]+[章节部分]|各位代表)")


def parse_docx(data: bytes, *, url: str, cap: int = INFLATE_CAP) -> PageText:
    """Paragraphs in order, then table cells (some reports put figures in tables); the zip's
    entries inflate to `cap` bytes at most (check_zip_size) before python-docx reads them."""
    import docx  # here, not at the top, as pypdf in parse_pdf
    import docx.opc.exceptions

    check_zip_size(data, cap)
    try:
        document = docx.Document(io.BytesIO(data))
    except (docx.opc.exceptions.PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(f"DOCX could not be parsed: {_reason(exc)}") from exc
    lines = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                lines.append(" ".join(dict.fromkeys(cells)))
    if not lines:
        raise ParseError("DOCX could not be parsed: no text")
    title = document.core_properties.title or lines[0]
    return PageText(url=url, title=title, lines=tuple(lines))


def check_zip_size(data: bytes, cap: int) -> None:
    """A ParseError unless the zip's entries inflate to `cap` bytes at most, all together.

    The sizes the zip declares are checked first, then each entry is inflated
    a piece at a time and counted, so an entry whose header lies about its size
    is stopped at the cap too (zipfile would inflate it in one call).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if declared > cap:
                raise ParseError(f"DOCX could not be parsed: it declares {declared} bytes inflated, past the cap of {cap}")
            inflated = 0
            for info in archive.infolist():
                with archive.open(info) as entry:
                    while piece := entry.read(_INFLATE_PIECE):
                        inflated += len(piece)
                        if inflated > cap:
                            raise ParseError(f"DOCX could not be parsed: it inflates past the cap of {cap} bytes")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"DOCX could not be parsed: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --- HTML --------------------------------------------------------------------------


def parse_html(text: str, *, url: str, content_selector: str | None = None) -> PageText:
    """Find the main content block and return its paragraphs plus page hints."""
    check_nesting(text)
    tree = LexborHTMLParser(text)
    title_node = tree.css_first("title")
    page_title = _clean(title_node.text()) if title_node is not None else None
    og_site = _meta_content(tree, "og:site_name")
    selected = tree.css_first(content_selector) if content_selector else None
    if selected is not None:
        lines = tuple(block_lines(selected))
        h1 = _first_heading(selected, tree)
        if selected.tag != "body":
            selected.decompose()
        chrome = "\n".join(block_lines(tree.body))
    else:
        layout = layout_lines(tree.body)
        node, start, end = main_block(layout)
        lines = tuple(layout.lines[start:end])
        h1 = _first_heading(node, tree)
        chrome = "\n".join(layout.lines[:start] + layout.lines[end:])
    title, suffix = split_title(page_title)
    return PageText(
        url=url,
        title=title or h1,
        lines=lines,
        site_name=og_site or suffix or _footer_site(chrome),
        chrome_text=chrome,
        site_domain=_meta_content(tree, "SiteDomain"),
        site_code=_site_code(_meta_content(tree, "SiteIDCode")),
    )


MAX_NESTING = 2000  # container elements open at once; real pages stay under a hundred
_CONTAINER_TAG = re.compile(r"<(/?)(?:div|span|font|table|section|article|ul|ol|blockquote|center|form)\b", re.I)


def check_nesting(html: str) -> None:
    """A ParseError for HTML nested deeper than MAX_NESTING containers, counted before any tree is built.

    An HTML parser's tree building is quadratic in the nesting depth: 200,000
    nested <div>s take lexbor about ten minutes, one page holding a run for
    that long. Tags are counted as written (implied end tags are not applied),
    so unclosed <font>s count too; the bound leaves room for them.
    """
    depth = 0
    for match in _CONTAINER_TAG.finditer(html):
        depth += -1 if match.group(1) else 1
        if depth > MAX_NESTING:
            raise ParseError(f"HTML nested deeper than {MAX_NESTING} elements")
        depth = max(depth, 0)


def split_title(page_title: str | None) -> tuple[str | None, str | None]:
    """'2019年政府工作报告_某某区人民政府' -> (title, site name suffix)."""
    if not page_title:
        return None, None
    parts = [p for p in _TITLE_SEPARATORS.split(page_title) if p.strip()]
    if len(parts) >= 2 and len(parts[-1]) <= 30:
        return " ".join(parts[:-1]).strip(), parts[-1].strip()
    return page_title, None


class Block(NamedTuple):
    node: LexborNode
    start: int  # first line
    end: int  # one past the last line
    parent: int  # index of the enclosing block in Layout.blocks, -1 for the root
    chrome: bool  # the element itself is named or tagged like page chrome


@dataclass
class Layout:
    """A page body as text lines with the block elements that hold them.

    `lines[i]` is one paragraph (text between block boundaries or <br>),
    `link_chars[i]` how much of it is link text, `chrome[i]` whether an
    element named like page chrome holds it. `blocks` lists every block
    element that holds text, children before parents.
    """

    lines: list[str] = field(default_factory=list)
    link_chars: list[int] = field(default_factory=list)
    chrome: list[bool] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def layout_lines(root: LexborNode | None) -> Layout:
    """Walk the tree once (iteratively: real pages nest thousands of unclosed tags).

    Form controls, scripts and comments carry no text; a <form> is walked
    like any block, since ASP.NET pages hold the whole page in one. Inline
    wrappers (<font>, <span>, custom tags) are transparent: their paragraphs
    belong to the nearest block around them. Link text is text inside an
    <a href>; an anchor without href, or a long text caught inside an
    unclosed link (the parser re-opens it in every following block), is prose.
    """
    layout = Layout()
    if root is None:
        return layout
    buffer: list[str] = []
    links = 0
    chrome_depth = 0
    slots: list[int] = [-1]  # slot -> index in layout.blocks, filled when the block closes
    parent_slot: list[int] = [-1]  # slot -> enclosing block's slot

    def flush() -> None:
        nonlocal links
        line = _clean("".join(buffer))
        if line:
            layout.lines.append(line)
            layout.link_chars.append(links)
            layout.chrome.append(chrome_depth > 0)
        buffer.clear()
        links = 0

    # open elements: (element, block node or None for inline, first line, chrome hint, inside a link, slot);
    # walked by first_child/next, which costs less than a children iterator per element
    stack: list[tuple[LexborNode, LexborNode | None, int, bool, bool, int]] = [(root, root, 0, False, False, 0)]
    enclosing = [0]  # slots of the open blocks
    in_link = False  # inside an <a href>: what the innermost open element passes to its children
    child = root.first_child
    while True:
        if child is None:  # the innermost open element ends
            element, block, start, chrome_hint, _, slot = stack.pop()
            if block is not None:
                if buffer:
                    flush()
                chrome_depth -= chrome_hint
                enclosing.pop()
                if len(layout.lines) > start:
                    slots[slot] = len(layout.blocks)
                    layout.blocks.append(Block(block, start, len(layout.lines), parent_slot[slot], chrome_hint))
            if not stack:
                break
            in_link = stack[-1][4]
            child = element.next
            continue
        tag = child.tag
        if tag == "-text":
            text = child.text_content
            if text:
                buffer.append(text)
                if in_link:
                    chars = len(text) - sum(map(text.count, _SPACES))
                    links += chars if chars <= _MAX_LINK_TEXT else 0
            child = child.next
        elif tag in _SKIP_TAGS:
            child = child.next
        elif tag in _BLOCK_TAGS:
            if buffer:
                flush()
            if tag == "br":
                child = child.next
                continue
            hint = _is_chrome(child)
            chrome_depth += hint
            slots.append(-1)
            parent_slot.append(enclosing[-1])
            enclosing.append(len(slots) - 1)
            stack.append((child, child, len(layout.lines), hint, in_link, len(slots) - 1))
            child = child.first_child
        else:
            in_link = in_link or (tag == "a" and "href" in child.attributes)
            stack.append((child, None, 0, False, in_link, -1))
            child = child.first_child
    # parents close after their children: turn parent slots into indexes in `blocks`
    layout.blocks = [Block(node, start, end, slots[parent] if parent >= 0 else -1, chrome)
                     for node, start, end, parent, chrome in layout.blocks]
    return layout


def line_value(line: str, link_chars: int, chrome: bool) -> float:
    """How much a line reads like article prose: text outside links, minus a fixed cost per line.

    Navigation, date/source lines and link lists come out negative, so a
    container gains by holding paragraphs and loses by holding chrome. A
    line that ends a sentence pays no cost: a post of short sentences still
    beats the longer date-and-source line above it.
    """
    spaces = line.count(" ")
    wide = (len(line.encode("utf-8")) - len(line)) // 2  # CJK characters and punctuation: 3 bytes in UTF-8
    chars = wide + (len(line) - spaces - wide) / _ASCII_PER_CHAR
    cost = _LINE_COST if not line.endswith(_PROSE_END) or link_chars else 0.0
    value = chars - link_chars - _LINK_WEIGHT * link_chars - cost
    if value > 0 and chrome:
        value = (value - _LINE_COST) * _CHROME_FACTOR  # chrome needs twice the text to count, and counts little
    return value


def main_block(layout: Layout) -> tuple[LexborNode | None, int, int]:
    """The article: the run of sibling units in one block with the most prose value.

    Every block is split into units (its child blocks and its loose lines)
    and the best contiguous run of units in any block wins. A container's
    value is the sum of its lines, so the block holding all the paragraphs
    beats its ancestors, which add chrome; and in a big layout cell that also
    holds navigation, sibling paragraphs join whatever their tags, as long as
    they bring more than the lines between them cost. An ad or link box
    between two paragraphs costs a bounded amount; a following sibling
    section of another kind (tag, class, id) worth much less than the run
    (a copyright notice beside the article container) is not joined.
    """
    if not layout.blocks:
        return None, 0, 0
    children: dict[int, list[int]] = {}
    for index, block in enumerate(layout.blocks):
        children.setdefault(block.parent, []).append(index)
    prefix = [0.0]
    for line, links, chrome in zip(layout.lines, layout.link_chars, _reply_lines(layout, children)):
        prefix.append(prefix[-1] + line_value(line, links, chrome))
    worth: list[float] = []  # per block: its lines' total, or less when only part of it is the best run
    best, best_value = (len(layout.blocks) - 1, 0, len(layout.lines)), float("-inf")
    for index, (_, start, end, _, _) in enumerate(layout.blocks):
        run_value, run_start, inner_best, last_block = 0.0, start, float("-inf"), -1
        if index not in children:  # a block without child blocks (most are one <p>): its units are its lines
            for line in range(start, end):
                if run_value <= 0:
                    run_value, run_start = 0.0, line
                run_value += prefix[line + 1] - prefix[line]
                inner_best = max(inner_best, run_value)
                if run_value > best_value:
                    best, best_value = (index, run_start, line + 1), run_value
            worth.append(min(prefix[end] - prefix[start], inner_best))
            continue
        for unit_start, unit_end, child in _units(layout, start, end, children[index]):
            value = prefix[unit_end] - prefix[unit_start] if child < 0 else worth[child]
            if child >= 0:
                if value < 0:
                    value = max(value, -_BOX_COST)
                elif layout.blocks[child].chrome:
                    value = 0.0  # a footer or sidebar next to the article never joins it
                elif (unit_end - unit_start > 1 and value < _JOIN_SHARE * run_value and last_block >= 0
                      and _kind(layout.blocks[child].node) != _kind(layout.blocks[last_block].node)):
                    run_value = 0.0  # a smaller section of another kind: it starts a run, it does not join this one
            if run_value <= 0:
                run_value, run_start = 0.0, unit_start
            run_value += value
            if child >= 0 and value > 0:
                last_block = child
            inner_best = max(inner_best, run_value)
            if run_value > best_value:
                best, best_value = (index, run_start, unit_end), run_value
        worth.append(min(prefix[end] - prefix[start], inner_best))
    index, run_start, run_end = best
    node, start, end, _, _ = layout.blocks[index]
    units = list(_units(layout, start, end, children.get(index, ())))
    first = next(i for i, unit in enumerate(units) if unit[0] == run_start)
    last = next(i for i, unit in enumerate(units) if unit[1] == run_end)
    while first > 0 and _plain_line(layout, units[first - 1]):
        first -= 1
    while last < len(units) - 1 and _plain_line(layout, units[last + 1]):
        last += 1
    return node, units[first][0], units[last][1]


def _plain_line(layout: Layout, unit: tuple[int, int, int]) -> bool:
    """One line without links or chrome: a heading, a salutation, a date line at the article's edge."""
    start, end, _ = unit
    return end - start == 1 and not layout.link_chars[start] and not layout.chrome[start]


def _kind(node: LexborNode) -> tuple[str, str, str]:
    """What a block is by its markup: more of the article repeats it, a section of its own differs."""
    attributes = node.attributes
    return node.tag or "", attributes.get("class") or "", attributes.get("id") or ""


def _reply_lines(layout: Layout, children: dict[int, list[int]]) -> list[bool]:
    """Chrome flags, plus the lines of replies: records after the first in a list of stamped records.

    Comments, forum replies and the posts of a blog's front page are
    sibling blocks of one kind (same tag and class), each several lines
    with a date and time. Only the first of them can be the article; the
    rest count like chrome, so a long comment section cannot outscore a
    short post, nor join it.
    """
    chrome = list(layout.chrome)
    stamped = [0]
    for line in layout.lines:
        # ":" is the pattern's one fixed character: a substring test spares most lines the search
        stamped.append(stamped[-1] + (":" in line and _TIMESTAMP.search(line) is not None))
    for siblings in children.values():
        kinds: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for child in siblings:
            node, start, end, _, _ = layout.blocks[child]
            if end - start > 1 and stamped[end] > stamped[start]:
                kinds.setdefault((node.tag or "", node.attributes.get("class") or ""), []).append((start, end))
        for records in kinds.values():
            if len(records) >= _MIN_RECORDS:
                for start, end in records[1:]:
                    chrome[start:end] = [True] * (end - start)
    return chrome


def _units(layout: Layout, start: int, end: int, children: Iterable[int]) -> Iterator[tuple[int, int, int]]:
    """A block's content as (start, end, child block index or -1 for a loose line)."""
    position = start
    for child in children:
        child_start, child_end = layout.blocks[child].start, layout.blocks[child].end
        yield from ((line, line + 1, -1) for line in range(position, child_start))
        yield child_start, child_end, child
        position = child_end
    yield from ((line, line + 1, -1) for line in range(position, end))


def _is_chrome(node: LexborNode) -> bool:
    """A chrome element by tag, or by a class/id token that names page chrome.

    Tokens are matched as a whole, or by a first/last part, never by any
    substring, so utility classes like `padding-big-top` do not count.
    """
    if node.tag in _CHROME_TAGS:
        return True
    attributes = node.attributes
    ident = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower()
    return any(_CHROME_TOKEN.search(token) for token in ident.split())


def block_lines(node: LexborNode | None) -> list[str]:
    """The node's text split at block boundaries and <br>, in document order."""
    return layout_lines(node).lines


def _first_heading(content: LexborNode | None, tree: LexborHTMLParser) -> str | None:
    for scope in (content, tree.body):
        if scope is None:
            continue
        for tag in ("h1", "h2"):
            node = scope.css_first(tag)
            if node is not None and _clean(node.text()):
                return _clean(node.text())
    return None


def _meta_content(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    value = node.attributes.get("content") if node is not None else None
    return _clean(value) or None


def _site_code(value: str | None) -> str | None:
    """A 网站标识码 is ten digits; a template's placeholder or a blank is none."""
    return value if value is not None and re.fullmatch(r"\d{10}", value) else None


def _footer_site(chrome: str) -> str | None:
    match = _FOOTER_SITE.search(chrome)
    return match.group(1) if match else None


def _clean(text: str | None) -> str:
    return " ".join((text or "").replace("\u3000", " ").replace("\xa0", " ").split())


def cjk_count(text: str) -> int:
    """Number of CJK ideographs in text (used by discovery to tell pages apart).

    Counted over runs of ideographs, or for a whole page over its code points as
    a numpy array: a list of one string per ideograph took a millisecond a report,
    on the crawl thread.
    """
    if len(text) < _VECTOR_COUNT_FROM:
        return sum(map(len, _CJK_RUN.findall(text)))
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return sum(int(np.count_nonzero((codes >= low) & (codes <= high))) for low, high in _CJK_RANGES)

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
from pathlib import Path

import charset_normalizer
import docx
import docx.opc.exceptions
import pypdf
import pypdf.errors
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tasks.records import PageText


class ParseError(ValueError):
    """A document that cannot be read; the message is one readable reason."""


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_GB_FAMILY = {"gbk", "gb2312", "gb_2312", "gb-2312", "x-gbk", "gb_2312-80", "euc-cn", "cp936", "gb18030", "hz-gb-2312"}
_SENTENCE_END = tuple("。！？；：”」!?;:")
_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "table", "ul", "ol", "blockquote", "pre", "center", "dd", "dt", "hr",
}
_CHROME_TAGS = ("nav", "header", "footer", "aside")
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "select", "button", "form")
_CANDIDATE_TAGS = ("div", "article", "section", "main", "td", "body")
_CHROME_HINT = re.compile(r"(^|[-_\s])(nav|menu|footer|foot|header|top|sidebar|side|breadcrumb|crumb|copyright|bottom|links?)([-_\s]|$)", re.I)
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
    """No declaration: strict UTF-8, then strict GB18030, then charset-normalizer.

    Undeclared pages in this corpus are nearly always GBK; statistical
    detection alone mistakes short GBK text for EUC-KR, so GB18030 is tried
    (strictly) before it.
    """
    for charset in ("utf-8", "gb18030"):
        try:
            return data.decode(charset), charset
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    charset = normalize_charset(best.encoding if best else None) or "gb18030"
    return data.decode(charset, errors="replace"), charset


# --- dispatch ---------------------------------------------------------------------


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
    if ctype == "text/plain" or path.endswith(".txt"):
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


def read_local_file(path: Path) -> PageText:
    """Parse a local .html/.htm/.txt/.pdf/.docx file (for --from-dir)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".txt", ".pdf", ".docx"):
        raise ParseError(f"unsupported file type {suffix or '(none)'}: {path.name}")
    return parse_document(path.read_bytes(), url=path.resolve().as_uri(), content_type=None, charset=None)


# --- plain text, PDF, DOCX ---------------------------------------------------------


def parse_text(text: str, *, url: str) -> PageText:
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    return PageText(url=url, title=lines[0] if lines else None, lines=lines)


def parse_pdf(data: bytes, *, url: str) -> PageText:
    """Extract text page by page and re-join lines broken inside sentences."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        raw_lines = [line for page in reader.pages for line in (page.extract_text() or "").splitlines()]
        title = reader.metadata.title if reader.metadata else None
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, NotImplementedError) as exc:
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


def parse_docx(data: bytes, *, url: str) -> PageText:
    """Paragraphs in order, then table cells (some reports put figures in tables)."""
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


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --- HTML --------------------------------------------------------------------------


def parse_html(text: str, *, url: str, content_selector: str | None = None) -> PageText:
    """Find the main content block and return its paragraphs plus page hints."""
    tree = LexborHTMLParser(text)
    for tag in _DROP_TAGS:
        for node in tree.css(tag):
            node.decompose()
    page_title = _clean(tree.css_first("title").text()) if tree.css_first("title") else None
    og_site = _meta_content(tree, "og:site_name")
    content = _select_content(tree, content_selector)
    lines = tuple(block_lines(content)) if content is not None else ()
    h1 = _first_heading(content, tree)
    if content is not None and content.tag != "body":
        content.decompose()
    chrome = "\n".join(block_lines(tree.body)) if tree.body is not None else ""
    title, suffix = split_title(page_title)
    return PageText(
        url=url,
        title=title or h1,
        lines=lines,
        site_name=og_site or suffix or _footer_site(chrome),
        chrome_text=chrome,
    )


def split_title(page_title: str | None) -> tuple[str | None, str | None]:
    """'2019年政府工作报告_某某区人民政府' -> (title, site name suffix)."""
    if not page_title:
        return None, None
    parts = [p for p in _TITLE_SEPARATORS.split(page_title) if p.strip()]
    if len(parts) >= 2 and len(parts[-1]) <= 30:
        return " ".join(parts[:-1]).strip(), parts[-1].strip()
    return page_title, None


def _select_content(tree: LexborHTMLParser, selector: str | None) -> LexborNode | None:
    if selector:
        node = tree.css_first(selector)
        if node is not None:
            return node
    best, best_score = tree.body, 0.0
    for tag in _CANDIDATE_TAGS:
        for node in tree.css(tag):
            score = content_score(node)
            if score > best_score:
                best, best_score = node, score
    return best


def content_score(node: LexborNode) -> float:
    """CJK characters and paragraphs held directly by this block, 0 for chrome.

    Counting only direct children makes the innermost container of the
    article win over its ancestors, which contain the same text plus chrome.
    """
    if _is_chrome(node):
        return 0.0
    cjk, paragraphs, link_cjk = 0, 0, 0
    for child in node.iter(include_text=True):
        if child.is_text_node:
            cjk += _cjk_count(child.text(deep=False))
        elif child.tag == "a":
            link_cjk += _cjk_count(child.text())
        elif not _has_block_descendant(child) or child.tag == "p":
            text = child.text()
            n = _cjk_count(text)
            links = sum(_cjk_count(a.text()) for a in child.css("a"))
            link_cjk += links
            cjk += n - links
            if child.tag in ("p", "div", "li") and n - links >= 10:
                paragraphs += 1
    if cjk == 0 or link_cjk > cjk:
        return 0.0
    return cjk + 40.0 * paragraphs


def _is_chrome(node: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        if current.tag in _CHROME_TAGS:
            return True
        ident = f"{current.attributes.get('id') or ''} {current.attributes.get('class') or ''}"
        if _CHROME_HINT.search(ident):
            return True
        current = current.parent
    return False


def _has_block_descendant(node: LexborNode) -> bool:
    return node.css_first("div, p, table, ul, ol, section, article") is not None


def block_lines(node: LexborNode | None) -> list[str]:
    """The node's text split at block boundaries and <br>, in document order."""
    if node is None:
        return []
    pieces: list[str] = []
    _collect(node, pieces)
    return [line for line in (_clean(part) for part in "".join(pieces).split("\n")) if line]


def _collect(node: LexborNode, pieces: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.is_text_node:
            pieces.append(child.text(deep=False) or "")
        elif child.tag == "br":
            pieces.append("\n")
        elif child.tag in _BLOCK_TAGS:
            pieces.append("\n")
            _collect(child, pieces)
            pieces.append("\n")
        else:
            _collect(child, pieces)


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


def _footer_site(chrome: str) -> str | None:
    match = _FOOTER_SITE.search(chrome)
    return match.group(1) if match else None


def _clean(text: str | None) -> str:
    return " ".join((text or "").replace("\u3000", " ").replace("\xa0", " ").split())


def _cjk_count(text: str | None) -> int:
    return len(_CJK.findall(text or ""))


def cjk_count(text: str) -> int:
    """Number of CJK ideographs in text (used by discovery to tell pages apart)."""
    return _cjk_count(text)

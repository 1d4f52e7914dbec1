"""Page text -> clean report body.

A report page is the report plus whatever the site wrapped around it:
navigation, info lines, share bars, related-article lists, footers, forum
chrome and content-farm preambles. Mirrors also damage the text itself: a
farm inserts its own name inside sentences (我老秘网区 -> 我区) and PDF
extraction breaks paragraphs at the page width.

The body runs from the salutation (各位代表…) to the closing paragraph, one
paragraph per line. Everything before the salutation is the header (title,
date line, speaker line, and the page's info lines such as its publish
date), kept as it is for the metadata stage.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from tasks import segment
from tasks.anatomy import INLINE_SALUTATION, SALUTATION, SALUTATION_DEPTH
from tasks.discover import report_start
from tasks.records import CleanText, PageText

# -- line-level patterns -------------------------------------------------------------------

ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# "&nbsp;", "&ensp;", "&#12288;" left as text by a mirror that stored escaped HTML
ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#[xX][0-9a-fA-F]{2,5});")
ODD_SPACE = re.compile("[\u00a0\u2002\u2003\u2009\u202f]")  # what &nbsp; &ensp; &emsp; stand for
# newspaper page jumps inside a sentence: "坚持以习（下转第四版）", "（紧接第一版）近平…"
PAGE_JUMP = re.compile(r"[（(]\s*(?:下转|上接|紧接|接|转)(?:第|至)?\s*[A-Z]?[一二三四五六七八九十\d]{1,3}\s*版\s*[）)]")
# footnote marks a glossary resolves: "三个立法权”［28］", "“两重”[1]"; never at a line's start
FOOTNOTE_BRACKETS = r"[\[［〔]\s*[\d０-９]{1,3}\s*[\]］〕]"
FOOTNOTE_MARK = re.compile(r"(?<=\S)\s?" + FOOTNOTE_BRACKETS)
# "现在,我代表区人民政府,向大会报告…" — the opening formula, found once per report
OPENING = re.compile(r"我代表[^。,\uff0c]{0,20}(?:政府|国务院)[,\uff0c]?\s*向(?:大会|本次会议)")
FARM_PREAMBLE_CUE = r"(?:下面是小编为大家|以下是小编|本文是小编|小编为大家|为大家整理的|为大家收集的|欢迎阅读|仅供参考)"
FARM_PREAMBLE = re.compile(
    r"^.*?" + FARM_PREAMBLE_CUE + r"[^。!\uff01]*?(?:供大家参考|希望对大家有所帮助|欢迎阅读|仅供参考|以供参考|欢迎大家阅读)[^。!\uff01]*[。!\uff01]?"
)
FARM_DECORATION = re.compile(r"【[^】]{0,8}(?:推荐|精选|范文|最新|优秀|热门|通用|完整版|全文)[^】]{0,8}】")

# A line that starts one of these is chrome, and so is everything after it in the body.
TAIL_MARKER = re.compile(
    r"^(?:推荐访问|相关(?:文章|阅读|推荐|链接|新闻|文档|范文|报告|内容|报道|附件)|免责声明|标签[:\uff1a]|猜你喜欢|热门(?:文章|推荐|阅读)|延伸阅读|"
    r"上一篇|下一篇|上一条|下一条|您需要登录后|本版积分规则|快速回复|Powered by|页[:\uff1a]\s*(?:\[?\d|$)|分享到|"
    r"责任编辑|主办单位|主办[:\uff1a]|承办单位|版权所有|Copyright|©|扫一扫|网站地图|打印本页|关闭窗口|返回顶部|"
    r"【\s*(?:打印|关闭)|\[\s*(?:打印|关闭)|更多(?:范文|精彩|相关)|本文(?:来源|链接|地址)|原文(?:链接|地址)|"
    r"转载请|文章来源|免费下载|下载(?:全文|文档|本文)|点击下载|发表于\s*\d{4}-|本作品(?:是|来自|属于|在)|"
    r"注[:\uff1a]\s*中文维基文库|Public domain|[-_—=*]{4,}$)",
    re.IGNORECASE,
)
# Single-block pages glue the tail onto the closing sentence: "…胜利召开! 推荐访问:…"
GLUED_TAIL_NEXT = (
    r"\s*(?=(?:推荐访问|相关(?:文章|阅读|推荐|链接|报道)|猜你喜欢|上一篇|下一篇|页[:\uff1a]\s*\[?\d|"
    r"您需要登录后|分享到|责任编辑|扫一扫|【?\s*打印本页|【?\s*关闭窗口|免责声明)[:\uff1a]?)"
)
GLUED_TAIL = re.compile(r"(?<=[。!?\uff01\uff1f])" + GLUED_TAIL_NEXT)
# the same with the sentence end matched rather than looked behind at: it starts with fixed
# characters, so one search over a page is a fast scan
GLUED_TAIL_CUE = re.compile(r"[。!?\uff01\uff1f]" + GLUED_TAIL_NEXT)
# Chrome lines that may sit anywhere (header or body); short lines only, see `is_chrome_line`.
# What a chrome line contains anywhere, and what one starts with (matched at the start only: in
# one alternation with the rest, every anchored branch was tried again at every character).
CHROME_LINE = re.compile(
    r"(?:您?当前(?:的)?位置|您现在的位置|所在位置)[:\uff1a]|(?:^|\s)首页\s*[>\uff1e»]|"
    r"(?:发布|发表|更新|录入|上传)(?:时间|日期|于)[:\uff1a]|(?:^|\s|\|)来源[:\uff1a]|"
    r"(?:浏览|阅读|点击|访问)(?:次数|量|数|人次)?[:\uff1a]\s*(?:\d|$)|点击(?:图片|进入|查看)|【?字体[:\uff1a]|字号[:\uff1a]|[【\[]\s*(?:大|中|小)\s*[】\]]|"
    r"编辑[:\uff1a]|ICP备|公网安备|网站标识码|版权所有|技术支持|联系我们|"
    r"签到天数|TA的每日心情|显示全部楼层|阅读模式|本帖最后由|立即注册|设为首页|收藏本站|"
    r"复制链接|回复[:\uff1a]\s*\d|使用道具|客服中心|在线时间|在线咨询|"
    r"联系电话|上一页|下一页|"
    r"(?:微信|微博|QQ空间|朋友圈).{0,6}(?:微信|微博|QQ空间|朋友圈)|供大家参考|推荐访问",
    re.IGNORECASE,
)
CHROME_LINE_START = re.compile(
    r"^(?:(?:时间|日期)[:\uff1a]\s*\d{4}|[【】\[\]|｜]$|内容摘要[:\uff1a]|【?打印】?$|作者[:\uff1a]|\[LV\.\d+\]|Rank:|"
    r"查看[:\uff1a]\s*\d|举报$|(?:沙发|板凳|地板|楼主)$|关闭$|周[一二三四五六日]\s*[~\uff5e至-]|"
    r"(?:主题|帖子|积分|版主|精华|威望|金钱|贡献)$|积分\s*\d+$|[\d.,\uff0c:\uff1a万千亿~\-\s]+$|第\s*\d+\s*页|"
    r"-\s*\d+\s*-$|\[\d+\]$|(?:昨天|前天|今天)\s*\d)",
    re.IGNORECASE,
)
CHROME_LINE_MAX = 80  # a longer line is prose, even if it mentions 来源: or 编辑:
# a photo caption: "…作政府工作报告。本报记者 朱江 摄", "（新华社记者 李涛 摄）", "图为…", "▲…"
CAPTION = re.compile(
    r"(?:记者|通讯员|摄影)[\s\u4e00-\u9fff·、]{2,16}摄[)\uff09]?[。.]?$|^[(\uff08]?图[为:\uff1a/]|^[▲△■◆]|摄影[:\uff1a/]")
CAPTION_MAX = 120
CODE_TEXT = re.compile(r"\{[^{}]*[A-Za-z-]+\s*:[^{}]*\}|!important|\bfunction\s*\(|\bvar\s+\w+\s*=|</?[a-z]+[^>]*>"
                       r"|[{}]\s*$|^\s*[{}]|[a-z-]{3,}\s*:\s*[^;:{}]{1,40};")  # a rule over several lines
# a toolbar ("下载 打印 全屏 收藏 【字号： 加大 还原 减小 】"): a run of very short lines that are not sentences
TOOLBAR_CELL = 4
TOOLBAR_RUN = 3
# the closing paragraph: "各位代表！…让我们…团结在…周围…而努力奋斗！"
CLOSING = re.compile(
    r"(?:让我们|团结在.{0,40}周围|[号召携]手|奋斗|贡献|篇章|明天|胜利召开|新局面|前进|周年)[^。!\uff01]{0,40}[!\uff01][”\"]?$"
    r"|(?:让我们|团结在.{0,40}周围).*[。!\uff01][”\"]?$")
CLOSING_FROM = 0.3  # the closing paragraph comes after the first third of the body (by characters)
# what may follow the closing paragraph in a report: another appeal (各位代表…) or a part heading
REPORT_CONTINUES = re.compile(r"^(?:各位(?:人大)?代表|[一二三四五六七八九十]+、)")
# the heading of what a report may append after its end: annexes, glossaries, notes
APPENDIX_HEADING = re.compile(r"^[【\[]?(?:附件|附表|附录|名词解释|名词注释|注释|注)\s*\d*[】\]]?[:\uff1a]?$")
NOTE_START = re.compile(r"^(?:[［\[【〔(\uff08]\s*[\d０-９]{1,3}\s*[］\]】〕)\uff09]|[\d０-９]{1,3}\s*[.．、](?!\d))")
# a site's signature glued after the closing sentence: "…而努力奋斗！  百度搜索马 克 数 据 网"
SIGNATURE = re.compile(r"(?<=[。!?\uff01\uff1f])[。\s]*(?P<tail>[^。!?\uff01\uff1f]{2,30})$")
# "——2026年1月27日在…人民代表大会第四次会议上", also in Chinese numerals: the report's own date line
DELIVERY_LINE = re.compile(r"[\d一二三四五六七八九十]\s*日\s*[)\uff09]?\s*在[^。]{2,40}(?:人民代表大会|人大)")
HEADER_AFTER_DATE = 3  # the speaker's title and name follow the date line, at most on three lines
LOST_SPACE = re.compile(r"(?<=[\s\u4e00-\u9fff“”])\?{2,}(?=[\s\u4e00-\u9fff“”])")  # 区长?? ?? 程?? 杰, 阜平??中国
LOST_CHARACTERS = re.compile(r"\?{2,}|\ufffd+")  # a mirror's stand-ins for characters it could not encode
TEASER_END = re.compile(r"(?:\.{3,}|…+)$")  # "内容摘要：…一、2019年工作回顾2019年是我区发展压力叠加、......"

# -- watermark detection -------------------------------------------------------------------

CJK = r"\u4e00-\u9fff"
SITE_NAME_END = re.compile("文库|网")  # 老秘网, 木木文档网, 第一范文网, 三一文库
CJK_TAIL = re.compile(f"[{CJK}]+$")
SITE_LIKE = re.compile(f"[{CJK}]+(?:网|文库)")
SITE_NAME_MAX = 10
KNOWN_FARMS = (
    "老秘网", "木木文档网", "第一范文网", "范文先生网", "大文斗范文网", "海川范文网", "好范文网", "一本文库",
    "三一文库", "人人文库", "写写帮文库", "豆丁网", "文秘帮", "公文素材库", "千文网", "晨光文秘网", "易文网",
    "瑞文网", "文书帮", "汇文网", "达达文档网", "熊猫文档网", "东城文档网", "小小文档网", "金锄头文库",
    "原创力文档", "道客巴巴", "百度文库", "在线文档网", "新起点范文网", "范文网",
)
OFFICIAL_WORDS = ("政府", "人民", "中国", "党", "人大", "政协", "新闻", "日报")
CJK_ONE = re.compile(f"[{CJK}]")
MIN_INSERTIONS = 3  # a name seen only in the text, not on the page, must sit inside sentences this often
SITE_SUFFIX_WORDS = {"网", "文库"}
OFFICIAL_REACH = 3  # characters before a name that may hold the official word it belongs to

# -- re-flow --------------------------------------------------------------------------------

SENTENCE_END = "。!?\uff01\uff1f:\uff1a;\uff1b…"
CLOSERS = "”’」』)\uff09〕】》"
PARAGRAPH_START = re.compile(r"^(?:[一二三四五六七八九十]+、|[(\uff08][一二三四五六七八九十\d]+[)\uff09]|\d+(?:[、\uff0e]|\.(?!\d))|第[一二三四五六七八九十]+|各位)")
FULL_LINE_SHARE = 0.5  # hard-wrapped when at least half the lines run to the wrap width
FULL_LINE_RATIO = 0.85
LATIN_END = re.compile(r"[A-Za-z]$")
LATIN_START = re.compile(r"^[A-Za-z]")
TITLE_SITE_SUFFIX = re.compile(r"\s*[-_|–—]+\s*[^-_|–—]*$")
TITLE_LABEL = re.compile(r"^(?:标\s*题|题\s*目)[:\uff1a]\s*")

# -- normalisation ----------------------------------------------------------------------------

CJK_CHAR = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK_CHAR}])\s+(?=[{CJK_CHAR}])")
SPACE_RUN = re.compile(r"\s+")


def clean_page(page: PageText) -> CleanText:
    """Clean one parsed page; the page's title, site name and chrome help spot the site's own junk."""
    return _clean_lines(page.lines, title=page.title, site_name=page.site_name, chrome_text=page.chrome_text)


def clean_text(text: str, *, title: str | None = None, site_name: str | None = None, chrome_text: str = "") -> CleanText:
    """Clean plain text (a .txt file, a test fixture): one text block per line."""
    return _clean_lines(text.splitlines(), title=title, site_name=site_name, chrome_text=chrome_text)


def normalize_for_hash(body: str) -> str:
    """The body with layout noise removed, so copies differing only in spacing share a doc_id."""
    lines = (_hash_line(line.strip()) for line in body.splitlines())
    return "\n".join(line for line in lines if line)


def _hash_line(line: str) -> str:
    """A stripped line with its spaces normalised; most lines have none, and SPACE_BETWEEN_CJK, which
    starts with a look-behind, would test every character of them."""
    if not SPACE_RUN.search(line):
        return line
    return SPACE_RUN.sub(" ", SPACE_BETWEEN_CJK.sub("", line))


def junk_score(clean: CleanText) -> int:
    """How much page damage a cleaned copy still shows (0 for a clean one), to pick the canonical copy.

    One point each for a body that does not open with the salutation or opening formula, one
    that does not end on a sentence (cut off, or chrome kept), every line that still reads as
    chrome, every run of lost-character marks (程?? 杰) and every inserted site name removed.
    """
    lines = clean.body.splitlines()
    if not lines:
        return 1
    score = int(not (SALUTATION.match(lines[0]) or OPENING.search(lines[0])))
    score += int(not _ends_sentence(lines[-1]))
    score += sum(1 for line in lines if is_chrome_line(line))
    score += len(LOST_CHARACTERS.findall(clean.body)) + len(clean.watermarks_removed)
    return score


class _KeyDrops(dict):
    """str.translate table for match_key: whitespace, punctuation, separators and control/format characters
    map to None. Filled per code point on first sight (a few thousand at most), so the per-character test
    runs once per distinct character instead of once per character of every report."""

    def __missing__(self, code: int) -> int | None:
        char = chr(code)
        kept = None if _dropped(char) else code
        self[code] = kept
        return kept


def _dropped(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PZC"


class _Composes(Exception):
    """A character whose normal form may combine with its neighbours: the whole text needs NFKC."""


# Hangul vowel and trailing jamo compose with the syllable before them (algorithmically, not by the tables).
_JAMO = re.compile("[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]")


class _KeyChars(dict):
    """str.translate table doing NFKC and the drops in one pass, per code point, cached.

    NFKC of a text is the concatenation of each character's NFKC when no character of
    the decomposed text is a combining mark (canonical reordering moves only those) or
    can compose with the character before it (the second half of every canonical pair
    is a mark, category M, or a Hangul jamo: tests/test_clean.py checks this on every
    code point). A character outside that set raises _Composes and the text takes the
    full NFKC. Reports are CJK, ASCII and full-width forms: one table lookup a
    character instead of normalizing the whole text and translating it again.
    """

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        if any(unicodedata.combining(part) or unicodedata.category(part)[0] == "M" or _JAMO.match(part)
               for part in decomposed):
            raise _Composes(char)
        kept = "".join(part for part in unicodedata.normalize("NFKC", char) if not _dropped(part))
        value = code if kept == char else (kept or None)
        self[code] = value
        return value


_KEY_DROPS = _KeyDrops()
_KEY_CHARS = _KeyChars()
# _KEY_CHARS for the Basic Multilingual Plane as an array, filled as code points are first seen, so a
# text's key is one numpy lookup over its code points (str.translate costs ~60 ns a character). An entry
# is the key character's code point, or one of these: dropped; not one character (a ligature, or NFKC
# across characters: the translate path decides); not looked up yet.
DROPPED, NOT_ONE, UNSEEN = -1, -2, -3
_KEY_ARRAY = np.full(0x10000, UNSEEN, dtype=np.int32)


def match_key(text: str) -> str:
    """Aggressive key for near-duplicate matching: width variants folded, whitespace and punctuation gone."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.size and codes.max() < len(_KEY_ARRAY):
        mapped = _KEY_ARRAY[codes]
        if (mapped == UNSEEN).any():
            for code in np.unique(codes[mapped == UNSEEN]).tolist():
                _KEY_ARRAY[code] = _key_code(code)
            mapped = _KEY_ARRAY[codes]
        if not (mapped == NOT_ONE).any():
            return mapped[mapped >= 0].astype(np.uint32).tobytes().decode("utf-32-le")
    try:
        return text.translate(_KEY_CHARS)
    except _Composes:
        return unicodedata.normalize("NFKC", text).translate(_KEY_DROPS)


def _key_code(code: int) -> int:
    """One code point's entry in _KEY_ARRAY, from _KEY_CHARS."""
    try:
        value = _KEY_CHARS[code]
    except _Composes:
        return NOT_ONE
    if value is None or value == "":
        return DROPPED
    if isinstance(value, int):
        return value
    return ord(value) if len(value) == 1 else NOT_ONE


# -- the steps --------------------------------------------------------------------------------

def _clean_lines(raw_lines: Iterable[str], *, title: str | None, site_name: str | None, chrome_text: str) -> CleanText:
    lines = _rejoin(raw_lines)
    if GLUED_TAIL_CUE.search("\n".join(lines)):  # a line splits only where the page has a glued tail
        lines = [part for line in lines for part in GLUED_TAIL.split(line) if part]
    start = _body_start(lines)
    if start is None:
        header_lines, body_lines, tail_lines = lines, [], []
    else:
        lines, start = _split_inline_salutation(lines, start)
        end = _body_end(lines, start)
        header_lines = lines[:start]
        body_lines = _drop_toolbars([line for line in lines[start:end] if not is_chrome_line(line)])
        if body_lines:
            body_lines[-1] = _drop_signature(body_lines[-1])
        tail_lines = lines[end:]
    # the page's own words; a glossary or annex cut after the closing is report text (互联网 there is no site)
    chrome_tail = [line for line in tail_lines if is_chrome_line(line) or _is_dangling(line)]
    outside = "\n".join([*header_lines, *chrome_tail, title or "", site_name or "", chrome_text])
    watermarks = detect_watermarks("\n".join(body_lines), outside)
    body_lines = reflow(remove_watermarks(body_lines, watermarks))
    if not any(DELIVERY_LINE.search(line) for line in header_lines):
        header_lines = [*header_lines, *_header_from_chrome(chrome_text)]
    header = "\n".join(remove_watermarks(header_lines, watermarks))
    return CleanText(
        body="\n".join(body_lines),
        header=header,
        title=_title(title, header_lines, watermarks),
        watermarks_removed=tuple(watermarks),
    )


def _header_from_chrome(chrome_text: str) -> list[str]:
    """The date and speaker lines when the page's layout put them outside its main content (a
    <br>-broken header block): the date line and the lines just after it."""
    lines = [line for line in _tidy_lines(chrome_text.splitlines()) if line]
    for index, line in enumerate(lines):
        if DELIVERY_LINE.search(line):
            block = [line]
            for after in lines[index + 1 : index + 1 + HEADER_AFTER_DATE]:
                if is_chrome_line(after):
                    break
                block.append(after)
            return block
    return []


def _unescape(entity: re.Match[str]) -> str:
    return ODD_SPACE.sub(" ", html.unescape(entity.group()))


# What _tidy_lines drops, in order: (pattern, replacement, cue). The cue is a part of the pattern
# that every match contains and that starts with fixed characters, so one search over the whole page
# says whether the pattern can match any line: most pages need none of these, and a search per line
# per pattern was a quarter of cleaning's time.
TIDY_STEPS: tuple[tuple[re.Pattern[str], Any, re.Pattern[str]], ...] = (
    (ENTITY, _unescape, ENTITY),
    (ZERO_WIDTH, "", ZERO_WIDTH),
    (PAGE_JUMP, "", PAGE_JUMP),
    (FOOTNOTE_MARK, "", re.compile(FOOTNOTE_BRACKETS)),
    (LOST_SPACE, " ", re.compile(r"\?\?")),
    (FARM_DECORATION, "", FARM_DECORATION),
)
PREAMBLE_STEPS = ((FARM_PREAMBLE, "", re.compile(FARM_PREAMBLE_CUE)),)


def _tidy_lines(lines: list[str]) -> list[str]:
    """Strip each line and drop what no report text holds: escaped entities (&nbsp;), zero-width
    characters (74.4\u200b万亿元), page jumps, footnote marks, a mirror's ?? for a lost space or dot, farm decorations (【精选推荐】) and
    preambles ("下面是小编为大家整理的…,供大家参考。"). Each line on its own, as if one at a time."""
    lines = [line.strip() for line in _substitute(lines, TIDY_STEPS)]
    return [line.strip() for line in _substitute(lines, PREAMBLE_STEPS)]


def _substitute(lines: list[str], steps: Iterable[tuple[re.Pattern[str], Any, re.Pattern[str]]]) -> list[str]:
    """Each step's substitution on every line, skipped when its cue is nowhere in the lines."""
    text = None
    for pattern, replacement, cue in steps:
        text = "\n".join(lines) if text is None else text
        if cue.search(text):
            lines = [pattern.sub(replacement, line) for line in lines]
            text = None
    return lines


def _rejoin(raw_lines: Iterable[str]) -> list[str]:
    """Tidy lines and join the halves of a paragraph that a page broke apart.

    A line of zero-width characters alone marks where a wiki page split a
    paragraph ("…达到74.4" / "\u200b" / "万亿元，…"), and a newspaper page jump
    at a line's end ("…坚持以习（下转第四版）") continues on the next line.
    """
    raws = list(raw_lines)
    page = "\n".join(raws)  # what no line of the page has, no line is searched for
    zero_width, jumps = ZERO_WIDTH.search(page) is not None, PAGE_JUMP.search(page) is not None
    lines: list[str] = []
    glue_to: int | None = None  # the line whose paragraph continues on the next text line
    for raw, line in zip(raws, _tidy_lines(raws)):
        if zero_width and ZERO_WIDTH.search(raw) and not ZERO_WIDTH.sub("", raw).strip():
            if glue_to is None and lines and not _ends_sentence(lines[-1]):
                glue_to = len(lines) - 1
            continue
        if not line:
            continue
        if glue_to is not None and is_chrome_line(line):
            lines.append(line)  # the next page's 来源/时间 lines sit between the halves
            continue
        if glue_to is not None:
            lines[glue_to] = _join(lines[glue_to], line)
        else:
            lines.append(line)
        jump = PAGE_JUMP.search(raw) if jumps else None
        last = glue_to if glue_to is not None else len(lines) - 1
        glue_to = last if jump and not raw[jump.end():].strip() and not _ends_sentence(lines[last]) else None
    return lines


def is_chrome_line(line: str) -> bool:
    """Navigation, info, share, footer, forum and farm lines and photo captions; prose is never
    this short and chrome-like."""
    if len(line) <= CAPTION_MAX and CAPTION.search(line) or _is_code(line):
        return True
    if len(line) > CHROME_LINE_MAX:
        return False
    return bool(CHROME_LINE_START.match(line) or CHROME_LINE.search(line) or TAIL_MARKER.search(line))


def _is_code(line: str) -> bool:
    """Style or script text a page leaked into its text ("footer {display: block !important;}"):
    braces around property: value pairs, in a line that is mostly ASCII."""
    ascii_chars = len(line.encode("ascii", "ignore"))  # cheaper than the pattern, so it goes first
    return ascii_chars > len(line) / 2 and bool(CODE_TEXT.search(line))


def _drop_toolbars(lines: list[str]) -> list[str]:
    """Drop runs of very short non-sentence lines (下载 / 打印 / 全屏 / 收藏, 收藏 / | / 分享到):
    a report's shortest lines are headings and appeals, which are neither this short nor in runs."""
    short = [len(line) <= TOOLBAR_CELL and not _ends_sentence(line) for line in lines]
    keep = [True] * len(lines)
    index = 0
    while index < len(lines):
        run_end = index
        while run_end < len(lines) and short[run_end]:
            run_end += 1
        if run_end - index >= TOOLBAR_RUN:
            keep[index:run_end] = [False] * (run_end - index)
        index = max(run_end, index + 1)
    return [line for line, kept in zip(lines, keep) if kept]


def _body_start(lines: Sequence[str]) -> int | None:
    """Index of the salutation line; failing that, a line that has it inside, or the opening formula;
    a report that opens without one starts at its first section or paragraph (discover.report_start).

    A salutation after SALUTATION_DEPTH of the text's prose (各位代表！ before a closing part, in an
    摘要 page or a copy that lost its opening) is an address inside the report, not its opening;
    page chrome before it (menus, toolbars: short lines) does not count."""
    found = next((index for pattern in (SALUTATION, INLINE_SALUTATION, OPENING)
                  for index, line in enumerate(lines)
                  if pattern.search(line) and not is_chrome_line(line) and not TEASER_END.search(line)), None)
    if found is not None:
        prose = [_prose_chars(line) for line in lines]
        if sum(prose[:found]) > SALUTATION_DEPTH * sum(prose):
            found = None
    return report_start(list(lines), found)


def _prose_chars(line: str) -> int:
    """A paragraph's length when it is prose (a long line ending a sentence), else 0."""
    return len(line) if len(line) >= 40 and line.rstrip()[-1:] in "。！？!?；;”" else 0


def _split_inline_salutation(lines: list[str], start: int) -> tuple[list[str], int]:
    """A single-block page ("政府工作报告 … 区长 X 各位代表: …") keeps its header part as a header line."""
    match = INLINE_SALUTATION.search(lines[start])
    if SALUTATION.match(lines[start]) or not match or match.start() == 0:
        return lines, start
    head, rest = lines[start][: match.start()].strip(), lines[start][match.start():]
    return [*lines[:start], head, rest, *lines[start + 1:]], start + 1


def _body_end(lines: list[str], start: int) -> int:
    """The body ends with the closing paragraph; failing that, at the first tail marker or at a
    second report's opening (a related-article quote)."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if TAIL_MARKER.search(line) or (OPENING.search(line) and index > start + 2):
            end = index
            break
    else:
        end = len(lines)
    end = _closing_end(lines, start, end) or end
    while end > start + 1 and _is_dangling(lines[end - 1]):
        end -= 1
    return end


def _closing_end(lines: list[str], start: int, end: int) -> int | None:
    """Just past the closing paragraph ("…让我们…而努力奋斗！") when one ends the report's second half.

    What follows it is never report: a glossary (名词解释, ［1］…), a disclaimer, tags, a
    share bar. The last such appeal counts, and only if no further appeal to the delegates
    or part heading follows it (a mid-report rallying line is followed by more report).
    """
    sizes = [len(line) for line in lines[start:end]]
    half, seen, first = CLOSING_FROM * sum(sizes), 0, end
    for offset, size in enumerate(sizes):  # by characters: an annex table is many short lines
        seen += size
        if seen >= half:
            first = start + offset
            break
    for index in range(first, end):  # an annex heading ends the report; its notes may quote an appeal
        if APPENDIX_HEADING.match(SPACE_RUN.sub("", lines[index])):
            closing = _last_closing(lines, first, index)
            if closing is not None and _report_is_over(lines[closing + 1 : index]):
                return closing + 1
    closing = _last_closing(lines, first, end)
    return closing + 1 if closing is not None and _report_is_over(lines[closing + 1 : end]) else None


def _last_closing(lines: list[str], first: int, end: int) -> int | None:
    return next((index for index in range(end - 1, first - 1, -1)
                 if CLOSING.search(lines[index]) and not is_chrome_line(lines[index])), None)


def _report_is_over(after: list[str]) -> bool:
    """Whether what follows an appeal is not report: short non-sentences (related titles, a share
    bar), chrome, or an annex or glossary from its heading or first numbered note on. A paragraph
    of prose right after it means the appeal closed a section, not the report."""
    for line in after:
        if APPENDIX_HEADING.match(SPACE_RUN.sub("", line)) or NOTE_START.match(line):  # 名 词 解 释
            return True
        if REPORT_CONTINUES.match(line) or not (is_chrome_line(line) or _is_dangling(line)):
            return False
    return True


def _drop_signature(line: str) -> str:
    """The closing sentence without a site's name or search hint glued after it."""
    match = SIGNATURE.search(line)
    if match is None or _ends_sentence(match["tail"]) or not re.search(r"[\u4e00-\u9fffA-Za-z]{2}", match["tail"]):
        return line
    return line[: match.start()].rstrip()


def _is_dangling(line: str) -> bool:
    """A short line at the end that is not a sentence (a related title, a share bar, "相关报道：")
    cannot close a report."""
    return len(line) <= 40 and (not _ends_sentence(line) or line.endswith((":", "\uff1a")))


# -- watermarks -------------------------------------------------------------------------------

def detect_watermarks(body: str, outside: str) -> list[str]:
    """Farm names inserted into sentences (我老秘网区 -> 我区), longest first.

    A known farm name always is one. A site-like name (…网, …文库) that the page
    shows outside the body is one as soon as it sits inside a body sentence.
    A name seen only in the body must sit inside sentences at least three
    times and look inserted: cutting it out leaves a bigram the text uses, or
    it reads as a name plus a bare 网/文库 rather than a word like 互联网.
    """
    page_names, text_names = _site_like_names(outside).keys(), _site_like_names(body)
    found: list[str] = []
    for name in sorted(page_names | text_names.keys() | set(KNOWN_FARMS), key=len, reverse=True):
        if any(name in longer for longer in found) or any(word in name for word in OFFICIAL_WORDS):
            continue
        # a name of the form _site_like_names collects is in the body exactly when the body's own
        # such names hold it: a set lookup instead of a scan of the body for every known farm
        if not (name in text_names if _is_site_like(name) else name in body):
            continue
        if name not in KNOWN_FARMS and name not in page_names and text_names[name] < MIN_INSERTIONS:
            continue  # seen only in the text, and too seldom to sit inside sentences often enough
        starts = list(_occurrences(body, name))
        if _in_official_name(body, name, starts):
            continue
        if name in KNOWN_FARMS:
            found.append(name)
        elif name in page_names and _neighbours(body, name, starts) and not _is_word(name):  # inside a sentence
            found.append(name)
        elif len(_neighbours(body, name, starts)) >= MIN_INSERTIONS and not _is_word(name) and (
                _insertions(body, name, starts) >= MIN_INSERTIONS or _reads_as_site_name(name)):
            found.append(name)
    return found


def _is_site_like(name: str) -> bool:
    """What _site_like_names collects: 3 to SITE_NAME_MAX CJK characters ending in 网 or 文库."""
    return 3 <= len(name) <= SITE_NAME_MAX and SITE_LIKE.fullmatch(name) is not None


def _in_official_name(body: str, name: str, starts: list[int]) -> bool:
    """府门户网 or 门户网 in 省政府门户网站: every occurrence ends a name with 政府 (人民, 日报 …) in it."""
    return all(any(word in body[max(0, start - OFFICIAL_REACH) : start + len(name)] for word in OFFICIAL_WORDS)
               for start in starts)


def _occurrences(body: str, name: str) -> Iterator[int]:
    """Where `name` starts in `body`, left to right without overlaps (as re.finditer finds it), by str.find:
    a pattern compiled per candidate name overflowed re's cache and was half of cleaning's time."""
    start = body.find(name)
    while start >= 0:
        yield start
        start = body.find(name, start + len(name))


def _is_word(name: str) -> bool:
    """互联网, 物联网: one word of the segmenter's dictionary, which no farm name is."""
    return segment.words(name) == [name]


def _site_like_names(text: str) -> Counter[str]:
    """Every CJK string of 3+ characters ending in 网 or 文库: "欢迎访问老秘网" gives 老秘网,
    访问老秘网, …, since where the name starts is unknown; with how often the text has it
    (overlapping occurrences too: each ends at its own 网 or 文库)."""
    names: Counter[str] = Counter()
    for match in SITE_NAME_END.finditer(text):
        run = CJK_TAIL.search(text[max(0, match.end() - SITE_NAME_MAX) : match.end()])
        if run:
            names.update(run.group()[i:] for i in range(len(run.group()) - 2))
    return names


def _neighbours(body: str, name: str, starts: list[int]) -> list[tuple[str, str]]:
    """The characters either side of each occurrence (at `starts`) that sits inside a run of CJK text."""
    pairs = []
    for start in starts:
        end = start + len(name)
        left, right = body[start - 1 : start], body[end : end + 1]
        if CJK_ONE.fullmatch(left) and CJK_ONE.fullmatch(right):
            pairs.append((left, right))
    return pairs


def _insertions(body: str, name: str, starts: list[int]) -> int:
    """How many occurrences look inserted: the neighbours joined form a bigram the rest of the
    text uses more often than the bigrams the name would form with them (我区 vs 我老, 网区)."""
    without = body.replace(name, "\x00")
    bigrams = Counter(without[i : i + 2] for i in range(len(without) - 1))
    return sum(1 for left, right in _neighbours(body, name, starts)
               if bigrams[left + right] > bigrams[left + name[0]] + bigrams[name[-1] + right])


def _reads_as_site_name(name: str) -> bool:
    """老秘网 splits as 老秘 + 网, a bare site suffix; 互联网, 城乡电网 and 物联网 end in real words
    (互联网, 电网, 联网) of the segmenter's dictionary."""
    words = segment.words(name)
    return len(words) > 1 and words[-1] in SITE_SUFFIX_WORDS


def remove_watermarks(lines: Sequence[str], watermarks: Sequence[str]) -> list[str]:
    cleaned = []
    for line in lines:
        for name in watermarks:
            line = line.replace(name, "")
        if line.strip():
            cleaned.append(line.strip())
    return cleaned


# -- re-flow ----------------------------------------------------------------------------------

def reflow(lines: list[str]) -> list[str]:
    """Join PDF-style hard line breaks, but only on pages that are hard-wrapped.

    On such a page most lines run to one width; a full-width line that stops
    mid-sentence continues on the next line. An HTML page's paragraphs vary in
    length, so a lone unpunctuated line there is left as it is.
    """
    width = _wrap_width(lines)
    if width is None:
        return lines
    joined: list[str] = []
    previous_len = 0
    for line in lines:
        cut_by_edge = bool(joined) and previous_len >= FULL_LINE_RATIO * width and not _ends_sentence(joined[-1])
        if cut_by_edge and not PARAGRAPH_START.match(line):
            joined[-1] = _join(joined[-1], line)
        else:
            joined.append(line)
        previous_len = len(line)
    return joined


def _wrap_width(lines: Sequence[str]) -> int | None:
    """The page width in characters when at least half the lines run to it, else None."""
    lengths = sorted(len(line) for line in lines if len(line) >= 10)
    if len(lengths) < 5:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    full = sum(1 for length in lengths if length >= FULL_LINE_RATIO * width)
    return width if full >= FULL_LINE_SHARE * len(lengths) else None


def _ends_sentence(line: str) -> bool:
    return line.rstrip(CLOSERS).endswith(tuple(SENTENCE_END))


def _join(previous: str, line: str) -> str:
    """Join two halves of a sentence: nothing between CJK or digits (5 / 8 -> 58), a space between Latin words."""
    glue = " " if LATIN_END.search(previous) and LATIN_START.match(line) else ""
    return previous + glue + line


def _title(title: str | None, header_lines: Sequence[str], watermarks: Sequence[str]) -> str | None:
    """The report title without farm decorations or a " - site name" suffix.

    The page title wins when it names a report; a .txt page's "title" is only
    its first line, so otherwise the header's report-title line is used.
    """
    candidates = [TITLE_LABEL.sub("", line) for line in (title, *header_lines)
                  if line and "报告" in line and len(line) <= 60 and not is_chrome_line(line)]
    named = [line for line in candidates if "政府工作报告" in SPACE_RUN.sub("", line)]  # not a 工作报告 breadcrumb
    chosen = (named or candidates or [title])[0]
    if not chosen:
        return None
    chosen = TITLE_SITE_SUFFIX.sub("", FARM_DECORATION.sub("", chosen))
    for name in watermarks:
        chosen = chosen.replace(name, "")
    return chosen.strip() or None

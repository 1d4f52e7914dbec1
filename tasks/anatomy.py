"""A report's anatomy, read once: the parts every later stage weighs.

A government work report has a recognisable build: a title and a date line ("2024年1月5日在保定市
第十六届人民代表大会第二次会议上"), a speaker line ("市长 张三"), the deputies addressed (各位代表),
the government naming itself (我代表市人民政府), the review and plan parts ("一、2023年工作回顾",
"二、2024年工作安排"), the government's own voice (我们, 全市, 今年) and, on an official page, the
national government-site metadata (SiteName, SiteDomain, SiteIDCode; 网站标识码 in the footer).

`read_anatomy` finds each part once and returns them in one `Anatomy`; recognition, placement and
dating weigh these parts against each other instead of re-matching their own patterns. The record
holds phrases and plain facts (where, which year, which level word), never a decision: which
region a place text names is for tasks/metadata.py, with its gazetteer.

Usage::

    anatomy = read_anatomy(clean.header, clean.body, title=clean.title, site=Site(code="1306000007"))
    anatomy.self_naming.place      # "保定市" in 我代表保定市人民政府, "" in 我代表市人民政府
    anatomy.self_naming.level_word # "市"
    anatomy.site.division          # "130600": the division that runs the site
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from tasks.records import PageText

SPACES = re.compile(r"[\s\u3000]+")
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMERAL = "一二三四五六七八九十"
HEADING_MAX = 40  # a longer line is a paragraph, whatever its first words
OPENING_LINES = 3  # the body lines that may hold the opening formula
SALUTATION_DEPTH = 0.2  # a 各位代表 after this share of the text is an address inside it, not the opening

# the address and the government speaking
SALUTATION = re.compile(r"^各位(?:人大)?代表(?:[:\uff1a,\uff0c、!\uff01;\uff1b\s]|$)")
INLINE_SALUTATION = re.compile(r"各位(?:人大)?代表[:\uff1a]")
SELF_NAMING = re.compile(r"我代表(?P<place>[^,\uff0c。;\uff1b、]{0,24}?)(?:人民)?政府")
# the session: "在保定市第十六届人民代表大会第二次会议上", "市二届人大四次会议", "十四届人大五次会议"
SESSION = re.compile(
    rf"(?P<place>[\u4e00-\u9fff]{{0,24}}?)第?(?P<term>[{NUMERAL}\d]+)届(?:人民代表大会|人大)"
    rf"(?:第?[{NUMERAL}\d]+次(?:全体)?会议)?")
DELIVERY = re.compile(r"(?P<date>(?:19|20)\d\d\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)\s*[)\uff09]?\s*在")
LEVEL_WORD = re.compile(r"(?:自治区|自治州|自治县|自治旗|特别行政区|省|市|区|县|旗|州|盟)$")
TITLE_WORDS = r"(?:常务副|副)?(?:代理?)?(?:省长|市长|区长|县长|旗长|州长|盟长|主席|总理)"
NAME_DOT = "·•・‧\u00b7"  # 艾尔肯·吐尼亚孜: pages write the middle dot several ways
SPEAKER = re.compile(rf"(?P<title>{TITLE_WORDS})[:\uff1a]?(?P<name>[\u4e00-\u9fff{NAME_DOT}]{{2,10}})$")
# the level the report speaks at: 全县/我县 outnumber 全市/我市 in a county's report
LOWER_FIRST = "省州盟市旗区县"  # level words, upper levels first (区 ranks low: 全区 is a district's more often)
SELF_REFERENCE = re.compile(r"(?:全|我|本)(?P<word>省|市|区|县|旗|州|盟)(?![委长])")

# parts: "2023年工作回顾", "2024年工作安排", "三、接续奋斗2021年"
REVIEW_HEADING = re.compile(
    rf"(?:^|[{NUMERAL}]、)\s*(?P<year>(?:19|20)\d\d)年[^。,\uff0c;\uff1b\n]{{0,12}}?(?:回顾|总结)", re.M)
PLAN_HEADING = re.compile(
    rf"(?:^|[{NUMERAL}]、)\s*(?P<year>(?:19|20)\d\d)年(?:[^。,\uff0c;\uff1b\n]{{0,24}}?(?:任务|安排|目标|要求|部署|重点工作|政策取向|建议)"
    r"|的?(?:政府)?工作\s*$)", re.M)
PART_HEADING = re.compile(rf"^[{NUMERAL}]+、(?P<text>[^。,\uff0c;\uff1b：:\n]{{2,30}})", re.M)
YEAR_MENTION = re.compile(r"((?:19|20)\d\d)年")
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # ２００７年, same length
YEAR_DIGITS = str.maketrans("〇○零ＯO一二三四五六七八九", "00000123456789")
CN_YEAR = re.compile(r"(?P<y>[一二][〇○零ＯO][〇○零ＯO一二三四五六七八九]{2})(?=\s*年)")
SPLIT_YEAR = re.compile(r"(?<![\d.])(?P<y>(?:1\s?9|2\s?0)\s?\d\s?\d)\s?(?=年)")
DIGIT_SPACE = re.compile(r"\d\s")
MARKUP = re.compile(r"^[#*>]+|[*]+$", re.M)  # markdown emphasis and heading marks of an edited copy

# voice: the government speaking against a reporter writing about it
GOVERNMENT_VOICE = re.compile(r"我们|我(?:省|市|区|县|州|旗|盟)|过去(?:的)?一年|今年")
REPORTING_VOICE = re.compile(r"记者|本报讯|通讯员|出席|主持|开幕|(?<!工作)表示")

# the national government-site metadata: 网站标识码 1306000007, its first six digits the division
SITE_CODE = re.compile(r"(?:网站标识码|网站标识|标识码)\s*[:\uff1a]?\s*(?P<code>\d{10})")


@dataclass(frozen=True)
class Site:
    """What a page says about the site that published it (government-site metadata, footer)."""

    name: str | None = None  # <meta name="SiteName">
    domain: str | None = None  # <meta name="SiteDomain">
    code: str | None = None  # <meta name="SiteIDCode"> or the footer's 网站标识码, ten digits

    @property
    def division(self) -> str | None:
        """The division code of the government running the site (1306000007 -> 130600)."""
        return self.code[:6] if self.code and len(self.code) >= 6 and self.code[:6].isdigit() else None

    @property
    def is_official(self) -> bool:
        """A national government-site ID code (网站标识码) is issued to government sites only."""
        return self.division is not None


@dataclass(frozen=True)
class Named:
    """A phrase in which the government or its congress names a place: the place text as written
    ("保定市", "市" or ""), the level word it ends with ("市", "州"; None when there is none)."""

    phrase: str
    place: str
    level_word: str | None
    where: str  # header | opening | body


@dataclass(frozen=True)
class Heading:
    """A review or plan heading and the year it names (as written; the plan year is for metadata)."""

    text: str
    year: int
    kind: str  # review | plan | part


@dataclass(frozen=True)
class Speaker:
    title: str  # 市长, 代市长, 自治区主席
    name: str

    @property
    def level_word(self) -> str:
        """市长 -> 市: the level the speaker heads."""
        return self.title.removeprefix("常务副").removeprefix("副").removeprefix("代理").removeprefix("代")[0]


@dataclass(frozen=True)
class Anatomy:
    """The parts of one text. Offsets are into `text` (header, newline, body)."""

    text: str
    header: str  # the header with spaces dropped and its lines joined: a date line may be broken
    body: str
    title: str | None
    salutation: int | None  # offset of the first 各位代表 in `text`
    self_naming: Named | None  # 我代表X人民政府
    sessions: tuple[Named, ...]  # session lines in the header, then in the body's opening
    deliveries: tuple[str, ...]  # "2024年1月5日" of "2024年1月5日在…", header first
    speaker: Speaker | None  # the header's speaker line
    first_heading: str | None  # the text's own first short line (its title as the text gives it)
    headings: tuple[Heading, ...]  # review, plan and year-naming part headings, in order
    self_words: dict[str, int] = field(default_factory=dict)  # 全市 1, 我市/本市 2 -> {"市": n}
    government_voice: int = 0  # 我们, 我市, 今年, 过去一年
    reporting_voice: int = 0  # 记者, 本报讯, 出席, 主持, 开幕, 表示
    site: Site = Site()

    @property
    def opens_with_salutation(self) -> bool:
        """The address opens the text: a 各位代表 deep inside (an 摘要 page's) is not its opening."""
        body_start = len(self.text) - len(self.body)
        return self.salutation is not None and self.salutation <= body_start + SALUTATION_DEPTH * len(self.body)

    @property
    def self_level_word(self) -> str | None:
        """The level word the text speaks at most (全县/我县 in a county's report), None without one;
        on a tie the lower level's: a county's report cites its city (全市第一), a city's seldom 全县."""
        if not self.self_words:
            return None
        return max(self.self_words, key=lambda word: (self.self_words[word], LOWER_FIRST.index(word)))


def page_site(page: PageText) -> Site:
    """The site a page says it comes from: its government-site metadata, else its footer's 网站标识码.
    A plain-text file has neither: a 网站标识码 inside its text was copied with the text."""
    code = page.site_code
    if code is None and page.chrome_text:
        match = SITE_CODE.search(page.chrome_text)
        code = match["code"] if match else None
    return Site(name=page.site_name, domain=page.site_domain, code=code)


def page_authority(page: PageText) -> str:
    """`official` when the page's own metadata or footer carries a government-site ID code
    (SiteIDCode, 网站标识码: issued to government sites only), else `mirror`."""
    return "official" if page_site(page).is_official else "mirror"


def read_anatomy(header: str, body: str, *, title: str | None = None, chrome: str = "",
                 site: Site | None = None) -> Anatomy:
    """Read the parts of a report text (`header`: lines before the address; `body`: the address on).

    `chrome` is the page's text outside its main content (footer, navigation): read only for the
    site's 网站标识码. A text without a header (a plain file) may pass everything as `body`.
    """
    return _read(header, body, title, chrome, site or Site())


@lru_cache(maxsize=16)
def _read(header: str, body: str, title: str | None, chrome: str, site: Site) -> Anatomy:
    text = f"{header}\n{body}" if header else body
    joined_header = "".join(SPACES.sub("", line) for line in header.splitlines())
    opening = "\n".join(body.splitlines()[:OPENING_LINES])
    salutation = _salutation(text)
    naming = SELF_NAMING.search(joined_header + "\n" + opening)
    self_naming = _named(naming, "opening") if naming else None
    sessions = (*_sessions(joined_header, "header"), *_sessions(SPACES.sub("", opening), "opening"))
    deliveries = tuple(m["date"] for m in DELIVERY.finditer(joined_header))
    self_words: dict[str, int] = {}
    for match in SELF_REFERENCE.finditer(body):  # 我县, 本县 say more than 全市 (位居全市第一)
        self_words[match["word"]] = self_words.get(match["word"], 0) + (1 if match.group()[0] == "全" else 2)
    return Anatomy(
        text=text, header=joined_header, body=body, title=title, salutation=salutation,
        self_naming=self_naming, sessions=sessions, deliveries=deliveries,
        speaker=_speaker(header), first_heading=_first_heading(text), headings=headings(body),
        self_words=self_words, government_voice=len(GOVERNMENT_VOICE.findall(body)),
        reporting_voice=len(REPORTING_VOICE.findall(text)), site=_site(site, f"{chrome}\n{body[-2000:]}"),
    )


def _salutation(text: str) -> int | None:
    """Offset of the first line opening with 各位代表, else of the first inline 各位代表：."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if SALUTATION.match(line.strip()):
            return offset + line.index("各")
        offset += len(line)
    match = INLINE_SALUTATION.search(text)
    return match.start() if match else None


def _named(match: re.Match[str], where: str) -> Named:
    place = SPACES.sub("", match["place"]).rsplit("在", 1)[-1]
    word = LEVEL_WORD.search(place)
    phrase = match.group()[:match.start("place") - match.start()] + place + match.group()[match.end("place") - match.start():]
    return Named(phrase=phrase, place=place, level_word=word.group()[-1] if word else None, where=where)


def _sessions(text: str, where: str) -> list[Named]:
    """Session lines; the place is what precedes the term after the last 在 (日在宿州市第五届…). In the
    body's opening only the session spoken to (在…会议上), not one recalled."""
    named = []
    for match in SESSION.finditer(text):
        if where == "opening" and "在" not in match.group():  # 完成了县十四届人大…确定的任务: a reference
            continue
        found = _named(match, where)
        if found.place.endswith(("常务委员会", "政府")):  # 市人大常委会, not the congress itself
            continue
        named.append(found)
    return named


def _speaker(header: str) -> Speaker | None:
    for line in header.splitlines():
        match = SPEAKER.search(SPACES.sub("", line))
        if match and not re.search(r"报告|会议|政府|代表|工作|人民|年|届|大会", match["name"]):
            return Speaker(title=match["title"], name=re.sub(f"[{NAME_DOT}]", "·", match["name"]))
    return None


def _first_heading(text: str) -> str | None:
    """The first short line that does not end a sentence: the text's own title or first heading."""
    for line in text.splitlines():
        line = line.strip()
        if len(CJK.findall(line)) >= 4 and len(line) <= HEADING_MAX and not line.endswith(("。", "！", "!", "；", ";")):
            return line
    return None


def _site(site: Site, text: str) -> Site:
    """The page's metadata, its code read from a footer's 网站标识码 when the metadata has none."""
    if site.code is not None:
        return site
    match = SITE_CODE.search(text)
    return Site(name=site.name, domain=site.domain, code=match["code"]) if match else site


# -- headings and years -----------------------------------------------------------------------

@lru_cache(maxsize=8)
def year_text(text: str) -> str:
    """Years as digits wherever a copy wrote them otherwise: 二O一三年 (letter O), 二〇一三年 -> 2013年,
    2 016 年 and 201 1 年 (digits split by lost spaces) -> 2016年, 2011年."""
    text = CN_YEAR.sub(lambda match: match["y"].translate(YEAR_DIGITS), text).translate(FULL_WIDTH_DIGITS)
    if not DIGIT_SPACE.search(text):  # every space SPLIT_YEAR drops follows a digit: nothing to join
        return text
    return SPLIT_YEAR.sub(lambda match: SPACES.sub("", match["y"]), text)


@lru_cache(maxsize=8)
def headings(body: str) -> tuple[Heading, ...]:
    """Review and plan headings, enumerated (三、2021年…) or alone on a short line: a paragraph
    opening "2035年经济社会发展的远景目标是…" is not one. Without either, the part headings naming
    exactly one year (三、接续奋斗2021年，主动融入…), not a review's."""
    text = MARKUP.sub(lambda match: " " * len(match.group()), year_text(body))  # **2013年工作回顾**
    found = [(m.start(), Heading(_line_at(text, m.start()), int(m["year"]), "plan"))
             for m in PLAN_HEADING.finditer(text) if _is_heading(text, m)]
    found += [(m.start(), Heading(_line_at(text, m.start()), int(m["year"]), "review"))
              for m in REVIEW_HEADING.finditer(text) if _is_heading(text, m)]
    if not found:
        found = [(m.start(), Heading(m.group(), int(years[0]), "part")) for m in PART_HEADING.finditer(text)
                 if len(years := YEAR_MENTION.findall(m["text"])) == 1 and not re.search("回顾|总结|过去", m["text"])]
    return tuple(heading for _, heading in sorted(found, key=lambda item: item[0]))


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else len(text)]


def _is_heading(text: str, match: re.Match[str]) -> bool:
    """Enumerated (三、2021年…) or alone on a short line."""
    if match.group()[0] in NUMERAL:
        return True
    end = text.find("\n", match.start())
    return (len(text) if end < 0 else end) - match.start() <= HEADING_MAX

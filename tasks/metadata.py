"""Clean report text -> DocumentMeta: whose report, for which year, delivered when and by whom.

The header (title, "2017年12月25日在…会议上", "区长 黄建文") names most of it;
the body fills the gaps: the opening formula ("我代表朝阳区人民政府") gives the
government, review and plan headings ("2017年工作回顾", "2018年工作安排") give
the years, and place names mentioned throughout settle which 朝阳区 it is.
Regions are looked up in tasks/data/regions.csv (GB/T 2260, see docs/regions.md) and, for names
and codes that have changed since (沈阳市东陵区, 宁乡县, 莱芜市), in tasks/data/regions_former.csv,
as the divisions stood when the report was delivered.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from tasks.anatomy import Anatomy, Site, headings, read_anatomy, year_text
from tasks.clean import is_chrome_line
from tasks.records import CleanText, DocumentMeta

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"
FORMER_REGIONS_CSV = Path(__file__).parent / "data" / "regions_former.csv"

SPACES = re.compile(r"[\s\u3000]+")
NUMERAL = "一二三四五六七八九十"
# where the government names itself, most telling first
SPEAKER_PLACE = re.compile(r"(?P<place>[^\s,\uff0c。]{2,24}?)人民政府")
TITLE_PLACE = re.compile(r"(?P<place>[^\s\d]{2,24}?)(?:(?:19|20)\d\d年度?)?(?:人民)?政府(?:工作)?报告")
NATIONAL_OPENING = re.compile(r"我代表国务院|国务院总理")
SESSION_WEIGHT = 25  # a session line naming a place: a typo'd one (苏州 for 宿州) loses to a body naming 宿州 throughout
LABEL_WEIGHT = 8  # a title or header line naming a place: a mirror's label, often wrong
LABEL_CONFIRMED = 3  # passages naming a labelled region (or its children named) for the label's full weight
UNCONFIRMED_WEIGHT = 2  # a label the body never repeats (唐县 over a 高唐县 report): it decides only an empty body
DESCENDANT_RATIO = 2  # a region named half as often as its parent is the speaker, the parent its context
MIN_CHILDREN = 3  # a city's report names three or more of its counties; a county's, its own city and a neighbour
UNNAMED_SPREAD = 4  # 易县 in four passages is the county, not a word (和县 in 省、市和县), its city named or not
SPREAD_CHARS = 200  # a passage: a name's mentions within one count once
CHILD_CAP = 3  # mentions of one child that count for its parent
MIN_MENTIONS = 2  # one mention alone (援助四川江油) places nothing
MIN_BODY_SCORE = 3  # passages naming the speaker, for a text the body alone places (fewer in a short one)
THROUGHOUT_CHARS = 2000  # one such passage per this many characters
MIN_FITTED_SCORE = 1  # its score weighed by how the text's 全县/我市 words fit it (北京市 in a 全县 text: less)
BODY_LEAD = 1.5  # ahead of any other candidate but its own parents, children and namesakes by this much
SITE_WEIGHT = 3  # the site's own division (网站标识码), for the publisher and its children
NAME_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|地区|省|市|区|县|旗|盟)$")

# years
FIVE_YEAR_REVIEW = re.compile(r"过去五年(?:的)?(?:政府)?工作|过去一年和五年|本届政府过去五年|过去五年工作回顾")
YEAR_MENTION = re.compile(r"((?:19|20)\d\d)年")
STATED_YEAR = re.compile(r"(?<![是比较与同到至于从自较\-—–～~])((?:19|20)\d\d)年(?!以来|至|到|[-—～~]|底前|前|的\d)")
OPENING_LINES = 3
# the voice a year is stated in: "2024年，要…力争…" is the plan; "2023年，全市生产总值增长5%" a review
YEAR_CONFIDENCE = {"delivery date": 1.0, "delivery month": 0.9, "headings": 0.8, "title": 0.6, "year anchor": 0.5,
                   "years stated": 0.4}
DEADLINE = re.compile(r"(?:力争|确保|争取|计划|在|于|到|至)\s*$")
NOTE_LINE = re.compile(r"^[\s※*#]*(?:[［\[【〔(（]\s*\d{1,3}\s*[］\]】〕)）]|注\s*\d|\d{1,3}\s*[.．、](?!\d))")  # [1]“双千工程”：2020年起…
PLAN_VOICE = re.compile(r"要|力争|确保|预期|目标|争取|今年|之年")  # 2021年是…开局之年，做好今年工作
PLAN_ACTION = re.compile(r"将|计划|推进|推动|加快|实施|启动|谋划|举办|开工|建成|打造|开展|深化|提升")
REVIEW_VOICE = re.compile(r"完成|实现|取得|比上年|同比|累计|达到|突破|获得|荣获|被评为|已|了|增长\d|下降\d")
# a clear voice: words only a plan uses, words only a review uses
REVIEWED = re.compile(r"过去一年|过去的一年|过去五年|一年来|五年来")  # the government reviewing its own year or term
PLAN_MARK = re.compile(r"(?<![重主需必只纲摘])要|力争|确保|预期|争取|计划|今年|之年|拟|将")
REVIEW_MARK = re.compile(r"了|已|比上年|同比|累计|荣获|被评为|去年|上年|过去一年|过去的|回顾|[比是较](?:19|20)\d\d年")  # 是2011年的1.6倍: a result
ESTIMATE = re.compile(r"预计\s*$")  # 预计2010年全县生产总值…: the year ending, estimated
RANGE_AFTER = re.compile(r"\s*(?:[－—–-]|\d{1,2}\s*月)")
MIN_YEAR_WEIGHT = 1.5  # a single mention dates nothing
ANCHOR_WEIGHT = 2.0
GLOSSARY = re.compile(r"^[\s※*#【\[（(]*(?:附[:：]?\s*)?(?:名词解释|名词注释|注释|注解|短语说明|名词说明|词语解释)", re.M)
FIVE_YEAR_PLAN_START = 2001  # the 十五 plan (the tenth) began in 2001, each next one five years later
PLAN_PERIOD_ANCHOR = re.compile(
    r"[“\"‘]?(?P<n>十[一二三四五六七八九]?)五[”\"’]?(?:规划)?(?:的|和)?"
    r"(?:(?P<start>开局之年|开局年|起步之年|第一年)|(?P<end>收官之年|收官年|最后一年))")
ANNIVERSARY = re.compile(r"(?P<event>[\u4e00-\u9fff]{2,12}?)(?P<n>\d{2,3}|[一二三四五六七八九]?十[一二三四五六七八九]?)周年")
ANNIVERSARY_BASES = {  # national events whose round anniversaries a plan year celebrates
    "建党$|中国共产党成立$|党的诞生$": 1921, "新中国成立$|中华人民共和国成立$|共和国成立$|建国$": 1949,
    "抗日战争胜利$|抗战胜利$|世界反法西斯战争胜利$": 1945, "长征胜利$|会宁会师$|三大主力会师$": 1936,
    "改革开放$": 1978, "建军$|人民解放军建军$": 1927, "西藏和平解放$": 1951, "香港回归$": 1997, "澳门回归$": 1999,
}
PART_LINE = re.compile(  # a short part line: 2017年工作重点 (the plan year), 2012年工作回顾 (the year before it)
    r"^.{0,16}?(?P<y>(?:19|20)\d\d)年(?:政府)?(?:工作)?(?:(?P<review>工作回顾|回顾)|工作安排|工作重点|工作任务|目标任务|主要任务)\W*$",
    re.M)
ANCHOR_REVIEW = re.compile(r"了|已|圆满|胜利完成|过去|去年|上年|实现良好开局")

# dates
DATE = re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
DELIVERY_MONTH = re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月(?:份)?\s*在")
TITLE_YEAR = re.compile(
    r"(?P<year>(?:19|20)\d\d)年(?!度)[^。，,\d]{0,20}?政府工作报告|政府工作报告[(\uff08](?P<year2>(?:19|20)\d\d)年?[)\uff09]")
DAMAGED_DATE = re.compile(r"(?P<y>(?:19|20)\d\d)年?(?P<md>\d{2,4})日\s*在")
PUBLISHED = re.compile(r"(?:(?:发布|发表|更新)?(?:时间|日期)|发表于)[:\uff1a]?\s*(?P<y>(?:19|20)\d\d)[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})")
CN_DIGITS = {ch: index % 10 for index, ch in enumerate("〇一二三四五六七八九○") } | {"零": 0, "Ｏ": 0, "O": 0, "0": 0}
CN_DATE = re.compile(r"(?P<y>[〇○零Ｏ一二三四五六七八九]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,2})\s*月"
                     r"\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日")
DELIVERED_AT = re.compile(r"\s*[)\uff09]?\s*在")  # "2026年2月3日在…会议上": the delivery date itself
CLOCK = re.compile(r"\s*\d{1,2}\s*(?:时|[:\uff1a]\d\d)")  # "2026年02月10日 07时41分": a page's publish time

# speaker
TITLE_WORDS = r"(?:常务副|副)?(?:代理?)?(?:省长|市长|区长|县长|旗长|州长|盟长|主席|总理)"
NAME_DOT = "·•・‧\u00b7"  # 艾尔肯·吐尼亚孜: pages write the middle dot several ways
SPEAKER = re.compile(rf"{TITLE_WORDS}[:\uff1a]?(?P<name>[\u4e00-\u9fff{NAME_DOT}]{{2,10}})$")  # 市长：张三 too
# "省长刘小涛代表省人民政府向大会作政府工作报告。本报记者 朱江 摄": the speaker named by a photo caption
SPEAKER_IN_CAPTION = re.compile(
    rf"{TITLE_WORDS}(?P<name>[\u4e00-\u9fff{NAME_DOT}]{{2,10}}?)(?:代表[^。,\uff0c]{{0,16}}?)?(?:在[^。,\uff0c]{{0,24}}?)?作(?:政府)?工作报告")
ENDS_WITH_TITLE = re.compile(rf"{TITLE_WORDS}[:\uff1a]?$")
BARE_NAME = re.compile(rf"[\u4e00-\u9fff]{{2,4}}|[\u4e00-\u9fff]{{1,8}}[{NAME_DOT}][\u4e00-\u9fff]{{1,8}}")
NOT_A_NAME = re.compile(r"报告|会议|政府|代表|工作|人民|年|届|大会")
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

MUNICIPALITY_PREFIXES = {"11", "12", "31", "50"}  # 北京, 天津, 上海, 重庆: their districts have no city above them
LEVEL_RANK = {"province": 0, "city": 1, "district": 2, "county": 2}
# an autonomous division's name without its peoples: 湘西土家族苗族自治州 -> 湘西州, 湘西
AUTONOMOUS = re.compile(r"(?P<base>.{2,}?)自治(?P<word>州|县|旗)")
PEOPLES = re.compile(
    "(?:蒙古|维吾尔|哈萨克|柯尔克孜|塔吉克|锡伯|达斡尔|鄂温克|鄂伦春|(?:回|藏|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|傣|黎|傈僳|"
    "佤|畲|拉祜|水|东乡|纳西|景颇|土|仫佬|羌|布朗|撒拉|毛南|仡佬|阿昌|普米|怒|德昂|保安|裕固|京|独龙|赫哲|门巴|珞巴|基诺)族)$")
GENERIC_NAME = re.compile(r".区")  # a former 新区 or 市区 (唐山, 濮阳 until 2001) is a word, not evidence


@dataclass(frozen=True)
class Region:
    """One row of the GB/T 2260 tables: a current division (until None) or a former one.

    since and until are the first and last of the Ministry of Civil Affairs' yearly tables (the
    divisions at the end of that year) listing this code under this name; since None: listed
    already in 2000, the first table read; until None: listed in the current table.
    """

    code: str
    name: str
    level: str
    parent_code: str
    since: int | None = None
    until: int | None = None

    @property
    def former(self) -> bool:
        return self.until is not None

    def listed_in(self, table_year: int) -> bool:
        return (self.since is None or self.since <= table_year) and (self.until is None or table_year <= self.until)


@dataclass(frozen=True)
class Place:
    """The reporting government as DocumentMeta names it."""

    code: str | None = None
    name: str | None = None
    city: str | None = None
    province: str | None = None
    level: str | None = None


NATIONAL = Place(code="000000", name="全国", level="national")
UNKNOWN = Place()


def extract_metadata(clean: CleanText, *, url: str | None = None, site_name: str | None = None,
                     site_domain: str | None = None, site_code: str | None = None,
                     chrome_text: str = "") -> DocumentMeta:
    """Read a report's metadata from its anatomy (tasks/anatomy.py); what cannot be read is None.

    `url` is accepted for symmetry with the pipeline but not read: report hosts
    are pinyin (chaoyang.gov.cn) and say nothing the Chinese text does not. The site's metadata
    (SiteName, SiteDomain, SiteIDCode; a footer's 网站标识码 in `chrome_text`) is evidence for the
    publisher, never alone for the place.
    """
    lines = [line.strip() for line in clean.header.splitlines() if line.strip()]
    report_lines = [SPACES.sub("", line) for line in lines if not is_chrome_line(line)]  # 武  凌 -> 武凌
    header = "".join(report_lines)  # one string: a date line may be broken over two lines
    prose = _prose(lines, clean.body)
    anatomy = read_anatomy("\n".join(report_lines), prose, title=clean.title, chrome=chrome_text,
                           site=Site(name=site_name, domain=site_domain, code=site_code))
    opening = "\n".join(prose.splitlines()[:OPENING_LINES])
    dated = _plan_year_and_date(header, "\n".join(lines), prose, clean.title or "")
    review_start, review_end = _review_years(dated.plan_year, opening, prose)
    if NATIONAL_OPENING.search(opening) or NATIONAL_OPENING.search(header):
        placed = Placed(NATIONAL, "self-named opening", NATIONAL_OPENING.search(opening + header).group(), 1.0)
    else:
        context = "\n".join([clean.header, prose, clean.title or "", site_name or ""])
        placed = _place(anatomy, prose, context, dated.plan_year)
    place = placed.place
    year_confidence = YEAR_CONFIDENCE.get(dated.rule or "", 0.0)
    return DocumentMeta(
        title=clean.title, region_code=place.code, region_name=place.name, city=place.city,
        province=place.province, level=place.level, plan_year=dated.plan_year, review_start=review_start,
        review_end=review_end, delivered_on=dated.delivered_on, speaker=_speaker(report_lines, lines),
        region_rule=placed.rule, region_evidence=placed.evidence, plan_year_rule=dated.rule,
        plan_year_evidence=dated.evidence, confidence=round(min(placed.confidence, year_confidence), 2),
    )


def _prose(header_lines: list[str], body: str) -> str:
    """The report's own text: the body, and when cleaning took a salutation deep inside for the
    opening (an 摘要 page, a copy's last part), the report lines before it too."""
    before = [line for line in header_lines if not is_chrome_line(line)]
    if sum(map(len, before)) <= len(body):
        return body
    return "\n".join([*before, body])


# -- region -----------------------------------------------------------------------------------

def _year(text: str | None) -> int | None:
    return int(text) if text else None


def _read(path: Path) -> list[Region]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [Region(row["code"], row["name"], row["level"], row["parent_code"],
                       _year(row.get("since")), _year(row.get("until"))) for row in csv.DictReader(handle)]


@cache
def regions() -> dict[str, Region]:
    """The current divisions (regions.csv) by code."""
    return {region.code: region for region in _read(REGIONS_CSV)}


@cache
def former_regions() -> tuple[Region, ...]:
    """Code and name pairs of the yearly tables since 2000 that the current table lacks (regions_former.csv)."""
    return tuple(_read(FORMER_REGIONS_CSV))


def _index(items: Iterable[Region], key: Callable[[Region], str]) -> dict[str, list[Region]]:
    index: dict[str, list[Region]] = {}
    for region in items:
        index.setdefault(key(region), []).append(region)
    return index


@cache
def _regions_by_name() -> dict[str, list[Region]]:
    return _index(regions().values(), lambda region: region.name)


@cache
def _former_by_name() -> dict[str, list[Region]]:
    return _index(former_regions(), lambda region: region.name)


@cache
def _former_by_code() -> dict[str, list[Region]]:
    return _index(former_regions(), lambda region: region.code)


@cache
def _children() -> dict[str, list[Region]]:
    """Current and former regions by parent code ("" for the provinces)."""
    return _index((*regions().values(), *former_regions()), lambda region: region.parent_code)


@cache
def _name_pattern() -> re.Pattern[str]:
    """All region names, current and former, longest first, so 沙河口区 is read before 河口区 and
    the former 下城区 (杭州, until 2020) before 城区."""
    former = {name for name in _former_by_name() if not GENERIC_NAME.fullmatch(name)}
    names = sorted(set(_regions_by_name()) | former, key=lambda name: (-len(name), name))
    return re.compile("|".join(map(re.escape, names)))


def short_name(name: str) -> str:
    """沈阳市 -> 沈阳, 辽宁省 -> 辽宁; names that would shrink to one character stay whole."""
    short = NAME_SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


def _namesakes(name: str, plan_year: int | None) -> list[Region]:
    """Every region of that name: the current ones, then the former ones closest in time to the plan year."""
    former = sorted(_former_by_name().get(name, []), key=lambda region: _years_off(region, plan_year))
    return [*_regions_by_name().get(name, []), *former]


def _years_off(region: Region, plan_year: int | None) -> tuple[int, int]:
    """How many years a former region's tables are from the plan year's (the latest first when unknown)."""
    assert region.until is not None
    table = plan_year - 1 if plan_year is not None else region.until
    if region.since is not None and table < region.since:
        return region.since - table, -region.until
    return max(table - region.until, 0), -region.until


def _listed(region: Region, plan_year: int | None) -> int:
    """Whether a region existed when the report was delivered, around the turn of the plan year:
    2 if the yearly table of the year before lists it, 1 if only the plan year's own does (a change
    early in the year), else 0. Without a plan year a current region counts as listed, a former not."""
    if plan_year is None:
        return 0 if region.former else 2
    if region.listed_in(plan_year - 1):
        return 2
    return 1 if region.listed_in(plan_year) else 0


def _in_use(name: str, plan_year: int | None) -> bool:
    """A current name, or a former one that the tables of the plan year list: a 2020 report recalling
    the former 东陵区 is not evidence that it is 东陵区's report."""
    if name in _regions_by_name() or plan_year is None:
        return True
    return any(region.listed_in(plan_year - 1) or region.listed_in(plan_year) for region in _former_by_name()[name])


def _as_listed(code: str, table: int) -> Region:
    """The region holding a code in a yearly table: a former one (襄樊市 until 2009) or else the current one."""
    for region in _former_by_code().get(code, []):
        if region.listed_in(table):
            return region
    return regions()[code]


def _ancestors(region: Region) -> list[Region]:
    """Parents up to the province; a former region's as its last yearly table has them (东陵区: 沈阳市, 辽宁省)."""
    chain, code = [], region.parent_code
    while code:
        parent = _as_listed(code, region.until) if region.until is not None else regions()[code]
        chain.append(parent)
        code = parent.parent_code
    return chain


def _siblings(region: Region) -> list[Region]:
    """Regions under the same parent: the current ones for a current region, those listed in its last
    yearly table for a former one."""
    children = _children().get(region.parent_code, [])
    if region.until is None:
        return [r for r in children if not r.former and r.code != region.code]
    return [r for r in children if r.listed_in(region.until) and r != region]


@dataclass(frozen=True)
class Placed:
    """Where a report was placed, by which rule, on which phrase, how surely (0..1)."""

    place: Place
    rule: str | None = None
    evidence: str | None = None
    confidence: float = 0.0


def _place(anatomy: Anatomy, prose: str, context: str, plan_year: int | None) -> Placed:
    """The reporting government, candidate weighed against candidate.

    An explicit self-naming (我代表保定市人民政府) decides outright: no count of mentions of a
    partner (京雄保一体化) outweighs it. A session line, title or header line naming a place weighs
    SESSION_WEIGHT or LABEL_WEIGHT on top of what the body says of that place; the body's evidence
    for a region is how often it names it plus how often it names its children (a 驻马店 report
    names 汝南县, 遂平县 … again and again; a parent or a partner is named, but not through its
    children). Only regions the level word fits compete (我代表州人民政府, 州长, 全州: a 州, not its
    seat 都匀市); a site's division (网站标识码) adds a little to the publisher and its children.
    """
    word = _level_word(anatomy)
    body = _body_evidence(prose, word, plan_year, context, anatomy.site.division)
    if word is None and anatomy.self_words:  # 全市/我县 only: they weigh, they do not rule out (全省第一)
        total = sum(anatomy.self_words.values()) + 1
        for region, evidence in body.items():
            evidence.fit = (sum(n for w, n in anatomy.self_words.items() if _fits_word(region, w)) + 1) / total
    naming = anatomy.self_naming
    if naming is not None:
        region = _named_region(naming.place, word, context, plan_year)
        if region is not None:
            return Placed(_describe(region), "self-named opening", naming.phrase, 1.0)
    labels: list[tuple[Region, str, str, int]] = []
    for session in anatomy.sessions:
        region = _named_region(session.place, word, context, plan_year)
        if region is not None:
            labels.append((region, "session line", session.phrase, SESSION_WEIGHT))
    for text, pattern, rule in ((anatomy.header, SPEAKER_PLACE, "header"), (anatomy.title or "", TITLE_PLACE, "title"),
                                (anatomy.header, TITLE_PLACE, "header")):
        for match in pattern.finditer(text):
            region = _named_region(match.group("place"), word, context, plan_year)
            if region is not None:
                labels.append((region, rule, match.group(), LABEL_WEIGHT))
                break
    scores: Counter[Region] = Counter({region: evidence.score * evidence.fit for region, evidence in body.items()})
    why: dict[Region, tuple[str, str]] = {}
    spread = _spread(prose)
    for region, rule, phrase, weight in labels:
        if region not in why:  # a region's strongest label counts once
            # as far as the body confirms it: a typo'd 苏州 over a 宿州 report, named once in passing, weighs little
            confirmed = max(sum(spread[name] for name in _mention_names(region)),
                            len(body[region].child_names) if region in body else 0)
            scores[region] += max(UNCONFIRMED_WEIGHT, weight * min(1.0, confirmed / LABEL_CONFIRMED))
            why[region] = (rule, phrase)
    if not scores:
        return Placed(UNKNOWN)
    ranked = sorted(scores, key=lambda region: (scores[region], _listed(region, plan_year), -int(region.former)),
                    reverse=True)
    best = _most_specific(ranked[0], ranked, scores)
    if best not in why:
        strong = _strong_in_body([region for region in ranked if region in body], scores, body, len(prose))
        if strong is None:
            return Placed(UNKNOWN)  # the body alone, weakly: a neighbour named in two passages is no speaker
        best = strong
    margin = scores[best] - max((scores[region] for region in ranked if region != best), default=0)
    if best in why:
        rule, phrase = why[best]
        confidence = 0.9 if rule == "session line" else 0.6
    else:
        rule, phrase = body[best].rule, body[best].summary(best)
        confidence = 0.4
    confidence = round(min(1.0, confidence * (0.5 + margin / (2 * max(scores[best], 1)))) + 0.05 * (margin >= 10), 2)
    return Placed(_describe(best), rule, phrase, min(confidence, 1.0))


def _strong_in_body(ranked: list[Region], scores: Counter[Region], body: dict[Region, _Evidence],
                    length: int) -> Region | None:
    """The speaker when only the body places it, or None. A report names itself throughout: the
    winner is named in one passage per THROUGHOUT_CHARS of text, up to MIN_BODY_SCORE (or its
    children as often), at least once itself (a 海东市 is not placed by the words 平安 and 互助), with
    MIN_FITTED_SCORE once weighed by how the text's 全县/我市 words fit it (not 北京市 in a text saying
    全县), and BODY_LEAD ahead of every other such region but its parents, children and namesakes."""
    needed = min(MIN_BODY_SCORE, 1 + length // THROUGHOUT_CHARS)
    eligible = [region for region in ranked if body[region].own and body[region].score >= needed
                and scores[region] >= MIN_FITTED_SCORE]
    if not eligible:
        return None
    best = _most_specific(eligible[0], ranked, scores)  # 保定市 named as often as its 徐水县: 徐水县's report
    if best not in eligible:
        return None
    rivals = [scores[region] for region in eligible if not _related(best, region)]
    return best if scores[best] >= BODY_LEAD * max(rivals, default=0) else None


def _related(one: Region, other: Region) -> bool:
    """The same region, one's parent, or a namesake (the current 张掖市 and the former county-level one)."""
    return (one == other or one in _ancestors(other) or other in _ancestors(one)
            or bool(set(_mention_names(one)) & set(_mention_names(other))))


def _most_specific(best: Region, ranked: list[Region], scores: Counter[Region]) -> Region:
    """A report names its parents as context (山东省 and 聊城市 in a 高唐县 report), not as often as
    itself: a region under the leader named at least half as often is the speaker."""
    for region in ranked:
        if region != best and best in _ancestors(region) and scores[region] * DESCENDANT_RATIO >= scores[best]:
            return _most_specific(region, ranked, scores)
    return best


def _named_region(place: str, word: str | None, context: str, plan_year: int | None) -> Region | None:
    """The region a place text names (保定市满城区 -> 满城区), of a level the word fits; None when it
    names none (市, 州) or none of that level."""
    names = [name for name in _name_pattern().findall(place) if _in_use(name, plan_year)]
    names = names or [region.name for alias in _alias_pattern().findall(place) for region in _by_mention()[alias]]
    if not any(_fits_word(region, word) for name in names for region in _namesakes(name, plan_year)):
        return None
    region = _resolve(names, context, plan_year=plan_year)  # 长春市朝阳区: the parent picks the namesake
    return region if _fits_word(region, word) else None


@dataclass
class _Evidence:
    own: int = 0  # passages naming it
    times: int = 0  # mentions
    children: int = 0
    child_names: set[str] = field(default_factory=set)
    site: int = 0
    fit: float = 1.0  # the share of the text's 全市/我县 words that fit it, when no stronger word is read
    named: bool = True  # its parent is named too (or it needs none): a short name alone may be a word

    @property
    def score(self) -> int:
        """Its own mentions (when its parent is named too), its children's when MIN_CHILDREN or more
        are named (one or two are a neighbour's, or the speaker's own city), and the site's division."""
        children = self.children if len(self.child_names) >= MIN_CHILDREN else 0
        return (self.own if self.named else 0) + children + self.site

    def summary(self, region: Region) -> str:
        """What the body says of it, for a reader: "驻马店市 named 12 times; 汝南县, 遂平县, 泌阳县 … named"."""
        said = f"{region.name} named in {self.own} passages"
        if len(self.child_names) >= MIN_CHILDREN:
            said += "; " + "、".join(sorted(self.child_names)[:4]) + (" …" if len(self.child_names) > 4 else "") + " named"
        return said

    @property
    def rule(self) -> str:
        return "children named" if self.children > self.own else "named most"


def _body_evidence(prose: str, word: str | None, plan_year: int | None, context: str,
                   division: str | None) -> dict[Region, _Evidence]:
    """Each region the level word fits, with in how many passages the report names it and its children.

    A child's mentions count up to CHILD_CAP each: the parent of a county-level city is not its
    speaker because the city names itself 50 times, but a city whose nine counties are each named
    is."""
    passages: Counter[Region] = Counter()
    times: Counter[Region] = Counter()
    spread, counts = _spread(prose), _mentions(prose)
    for found, count in spread.items():
        for region in _by_mention().get(found, []):
            if _listed(region, plan_year) or plan_year is None:  # undated: a former region may be meant
                passages[region] += count
                times[region] += counts[found]
    evidence: dict[Region, _Evidence] = {}
    for region, count in passages.items():
        if _fits_word(region, word):
            found = evidence.setdefault(region, _Evidence())
            found.own += count
            found.times += times[region]
            found.named = (_parent_named(region, context) or len(region.name) > 2 and region.name in prose
                           or spread[region.name] >= UNNAMED_SPREAD)
        parents = _ancestors(region)
        if parents and _fits_word(parents[0], word):
            parent = evidence.setdefault(parents[0], _Evidence(named=_parent_named(parents[0], context)))
            parent.children += min(count, CHILD_CAP)
            parent.child_names.add(region.name)
    if division is not None:
        for region, found in evidence.items():
            if division in (region.code, region.parent_code):
                found.site = SITE_WEIGHT
    return {region: found for region, found in evidence.items()
            if found.score > 0 and (found.times >= MIN_MENTIONS or found.children and len(found.child_names) >= MIN_CHILDREN)}


def _parent_named(region: Region, context: str) -> bool:
    """A province, or a region whose city or province the page names too (朝阳区 of 长春, not of 北京)."""
    parents = _ancestors(region)
    return not parents or any(name in context for parent in parents for name in _mention_names(parent))


def _level_word(anatomy: Anatomy) -> str | None:
    """The word the government calls itself by: 我代表市人民政府, 市二届人大, 市长; None without one
    (then 全市, 我县 weigh the candidates, see _place)."""
    if anatomy.self_naming is not None and anatomy.self_naming.level_word:
        return anatomy.self_naming.level_word
    for session in anatomy.sessions:
        if session.level_word:
            return session.level_word
    if anatomy.speaker is not None and anatomy.speaker.title.endswith("长"):
        return anatomy.speaker.level_word
    return None


def _fits_word(region: Region, word: str | None) -> bool:
    """Whether a government a level word names may be this region: 市 a prefecture city, a
    county-level city or a municipality; 州 an autonomous prefecture; 区 a district or an
    autonomous region; 县 a county. The name says it (汝南县 is no 市, 都匀市 no 州)."""
    if word is None:
        return True
    if word == "区" and region.level == "province":
        return region.name.endswith("自治区")
    return region.name.endswith(word)



@cache
def _by_mention() -> dict[str, list[Region]]:
    """Regions by every name a report may call them (`_mention_names`)."""
    index: dict[str, list[Region]] = {}
    for region in (*regions().values(), *former_regions()):
        if GENERIC_NAME.fullmatch(region.name):
            continue
        for name in _mention_names(region):
            index.setdefault(name, []).append(region)
    return index


@cache
def _alias_pattern() -> re.Pattern[str]:
    """Autonomous divisions as their governments name themselves (我代表黔南州人民政府), longest first."""
    aliases = {name for region in regions().values() for name in _mention_names(region)
               if name not in (region.name, short_name(region.name)) and name.endswith(("州", "县", "旗"))}
    return re.compile("|".join(map(re.escape, sorted(aliases, key=lambda name: (-len(name), name)))))


@cache
def _mention_names(region: Region) -> tuple[str, ...]:
    """The full name and, when it keeps two or more characters, the short one (容城县 -> 容城); an
    autonomous prefecture or county also without its peoples (黔南布依族苗族自治州 -> 黔南州, 黔南)."""
    names = [region.name, short_name(region.name)]
    autonomous = AUTONOMOUS.fullmatch(region.name)
    if autonomous:
        base = autonomous["base"]
        while (people := PEOPLES.search(base)) and people.start() >= 2:
            base = base[:people.start()]
        if base != autonomous["base"]:
            names += [base + autonomous["word"], base]
    return tuple(name for name in dict.fromkeys(names)
                 if _is_distinctive(name) or name == region.name and len(name) >= 2)


@cache
def _mention_lengths() -> dict[str, tuple[int, ...]]:
    """For the first two characters of the names (every name has two or more), the lengths of the names
    starting with them, longest first."""
    lengths: dict[str, set[int]] = {}
    for name in _by_mention():
        lengths.setdefault(name[:2], set()).add(len(name))
    return {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}


@cache
def _mention_start() -> re.Pattern[str]:
    """Any character a name starts with: the scan looks closer only where one is."""
    return re.compile("[" + "".join(sorted({re.escape(name[0]) for name in _by_mention()})) + "]")


@lru_cache(maxsize=4)
def _mention_places(body: str) -> tuple[tuple[str, int], ...]:
    """Full and short names in the body with their offsets, longest first at each place and without
    overlaps: 高唐县 is read before 唐县, 米易县 before 易县. A regex finds the places where a name may
    start, and the names starting with those two characters are tried there: a regex alternation of
    the 7,000 names took 130 ms a report, a scan of every character 4 ms, this about 1. Cached for
    the report's second look."""
    names, lengths = _by_mention(), _mention_lengths()
    found: list[tuple[str, int]] = []
    resume = 0  # names do not overlap: the scan resumes after the last one found
    for start in _mention_start().finditer(body):
        index = start.start()
        if index < resume:
            continue
        for length in lengths.get(body[index:index + 2], ()):
            if body[index:index + length] in names:
                found.append((body[index:index + length], index))
                resume = index + length
                break
    return tuple(found)


def _mentions(body: str) -> Counter[str]:
    """How often each name occurs in the body."""
    return Counter(name for name, _ in _mention_places(body))


def _spread(body: str) -> Counter[str]:
    """In how many passages (SPREAD_CHARS each) each name occurs: a report names itself throughout,
    a partner in the paragraph about the partnership (深化与X合作，承接X产业转移，…), however often."""
    return Counter(name for name, _ in {(name, index // SPREAD_CHARS) for name, index in _mention_places(body)})


def _is_distinctive(name: str) -> bool:
    """城区, 郊区, 矿区 are names of districts but also everyday words: not evidence on their own."""
    return len(NAME_SUFFIX.sub("", name)) >= 2


def _in_force(name: str, plan_year: int | None) -> list[Region]:
    """The regions of that name that existed in the plan year (by _listed), else all of them."""
    namesakes = _namesakes(name, plan_year)
    best = max(_listed(region, plan_year) for region in namesakes)
    return [region for region in namesakes if _listed(region, plan_year) == best]


def _specificity(name: str, plan_year: int | None) -> int:
    """The level a name stood for in the plan year: 百色市 is a city in 2024, though the tables up
    to 2001 list a county-level 百色市 under 百色地区; without a plan year, the current level."""
    return max(LEVEL_RANK[region.level] for region in _in_force(name, plan_year))


def _under_named_parent(name: str, names: list[str], plan_year: int | None) -> bool:
    """Whether some region of that name lies under another of the names: of 日喀则市 and 南木林县, both
    counties in 2012, 南木林县 is the one meant (under 日喀则市 since 2014)."""
    others = set(names) - {name}
    return any(parent.name in others or short_name(parent.name) in others
               for region in _namesakes(name, plan_year) for parent in _ancestors(region))


def _resolve(names: list[str], context: str, level: str | None = None, plan_year: int | None = None) -> Region:
    """The most specific name, among its namesakes the one whose parents the text names ("长春市朝阳区"),
    then the one that existed in the plan year (2015 钢城区: 莱芜's, not 济南's since 2019), then the one
    whose city, province and sibling districts the text mentions most; on a tie the current one."""
    name = max(names, key=lambda name: (_specificity(name, plan_year), _under_named_parent(name, names, plan_year)))
    candidates = _namesakes(name, plan_year)
    if level is not None and any(r.level == level for r in candidates):
        candidates = [r for r in candidates if r.level == level]
    named = set(names)

    def score(region: Region) -> tuple[int, int, int]:
        ancestors = _ancestors(region)
        explicit = sum(1 for parent in ancestors if parent.name in named or short_name(parent.name) in named)
        mentions = sum(context.count(short_name(parent.name)) for parent in ancestors)
        mentions += sum(context.count(sibling.name) for sibling in _siblings(region))
        return explicit, _listed(region, plan_year), mentions

    return max(candidates, key=score)


def _describe(region: Region) -> Place:
    """Code, name, level, city and province of a region (a municipality is its districts' city too)."""
    ancestors = _ancestors(region)
    province = ancestors[-1].name if ancestors else region.name
    if region.level == "province":
        city = region.name if region.code[:2] in MUNICIPALITY_PREFIXES else None
    elif region.level == "city":
        city = region.name
    else:
        city = next((parent.name for parent in ancestors if parent.level == "city"), None)
        if city is None and region.code[:2] in MUNICIPALITY_PREFIXES:
            city = province
    return Place(code=region.code, name=region.name, city=city, province=province, level=region.level)


# -- years and date ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Dated:
    """The plan year and delivery date, by which rule, on which phrase."""

    plan_year: int | None = None
    delivered_on: str | None = None
    rule: str | None = None
    evidence: str | None = None


def _plan_year_and_date(header: str, page_header: str, body: str, title: str) -> Dated:
    """An intact delivery date fixes the plan year; otherwise a delivery month (2018年1月在…会议上),
    the body's headings, the title's year (2019年XX县政府工作报告) or the years the body states do,
    and the plan year then decides how a damaged date (2016111日) or the page's publish date is read.
    Titles are labels: of several, the one the body's own years agree with."""
    header = _arabic_dates(header)
    date = _intact_date(header)
    if date is not None and _fits_headings(date, header, body):
        return Dated(_plan_year_of(date), date.isoformat(), "delivery date", date.isoformat())
    month = DELIVERY_MONTH.search(header)
    if month and 1 <= int(month["m"]) <= 12:
        dated = Dated(_plan_year_of(dt.date(int(month["y"]), int(month["m"]), 1)), None, "delivery month", month.group())
    elif (from_headings := _plan_year_from_headings(body)) is not None:
        heading = next(h.text for h in headings(body) if h.year in (from_headings, from_headings - 1))
        dated = Dated(from_headings, None, "headings", heading)
    else:
        titles = _plan_years_from_titles(f"{title}\n{header}")
        stated = _plan_year_from_mentions(body)
        if titles:
            year, phrase = next(((y, p) for y, p in titles if stated is not None and y == stated[0]), titles[0])
            dated = Dated(year, None, "title", phrase)
        elif stated is not None:
            dated = Dated(stated[0], None, stated[2], stated[1])
        else:
            return Dated()
    for candidate in [*_damaged_dates(header), *_published_dates(page_header)]:
        if _plan_year_of(candidate) == dated.plan_year:
            return Dated(dated.plan_year, candidate.isoformat(), dated.rule, dated.evidence)
    return dated


def _arabic_dates(text: str) -> str:
    """二〇二六年一月二十七日 -> 2026年1月27日, so a date line in Chinese numerals reads like any other."""
    def arabic(match: re.Match[str]) -> str:
        year = "".join(str(CN_DIGITS[ch]) for ch in match["y"])
        return f"{year}年{_cn_number(match['m'])}月{_cn_number(match['d'])}日"
    return CN_DATE.sub(arabic, text)


def _cn_number(text: str) -> int:
    """一 .. 三十一: 十 alone is 10, 十二 is 12, 二十七 is 27."""
    tens, ten, ones = text.partition("十")
    if not ten:
        return CN_DIGITS[text]
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def _intact_date(text: str) -> dt.date | None:
    """The delivery date ("2026年2月3日在…会议上") before any other full date; a date with a clock
    time ("2026年02月10日 07时41分") is the page's publish time, not the delivery."""
    dates = []
    for match in DATE.finditer(text):
        date = _date(int(match["y"]), int(match["m"]), int(match["d"]))
        if date is None or CLOCK.match(text, match.end()):
            continue
        if DELIVERED_AT.match(text, match.end()):
            return date
        dates.append(date)
    return dates[0] if dates else None


def _damaged_dates(text: str) -> list[dt.date]:
    """2016111日 -> 2016-01-11 or 2016-11-01: every month/day split that makes a date."""
    dates = []
    for match in DAMAGED_DATE.finditer(text):
        digits = match["md"]
        for cut in range(1, len(digits)):
            date = _date(int(match["y"]), int(digits[:cut]), int(digits[cut:]))
            if date is not None and len(digits[cut:]) <= 2 and cut <= 2:
                dates.append(date)
    return dates


def _published_dates(text: str) -> list[dt.date]:
    """A CMS page's publish date: a stand-in for the delivery date when the report gives none."""
    dates = (_date(int(m["y"]), int(m["m"]), int(m["d"])) for m in PUBLISHED.finditer(text))
    return [date for date in dates if date is not None]


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _plan_year_of(delivered: dt.date) -> int:
    """Congresses sit from December to March: a December report sets the next year's targets."""
    return delivered.year + 1 if delivered.month >= 10 else delivered.year


def _fits_headings(date: dt.date, header: str, body: str) -> bool:
    """A header date the body's headings contradict (a scraper's 发文时间：2015年3月2日 over a report
    of 2013年工作回顾) is not the delivery date; a session line's date (2014年1月8日在…) always is."""
    headings = _plan_year_from_headings(body)
    delivered = re.search(rf"{date.year}\s*年\s*0?{date.month}\s*月\s*0?{date.day}\s*日\s*在", header)
    return headings is None or headings == _plan_year_of(date) or delivered is not None


@lru_cache(maxsize=8)
def _plan_year_from_headings(body: str) -> int | None:
    """"2017年工作回顾" -> 2018, "2018年工作安排" -> 2018 (tasks/anatomy.headings); failing those,
    the earliest year a part heading names (the year, not a 2035年远景目标 part)."""
    found = headings(body)
    years = [h.year for h in found if h.kind == "plan"] + [h.year + 1 for h in found if h.kind == "review"]
    if not years:
        return min((h.year for h in found), default=None)
    return Counter(years).most_common(1)[0][0]


def _plan_years_from_titles(header: str) -> list[tuple[int, str]]:
    """"2019年安吉县政府工作报告", "政府工作报告(2019年)", "二O一三年政府工作报告"; not "2017年度工作报告",
    which names the year reviewed. Every title line's year, in order."""
    return [(int(match["year"] or match["year2"]), match.group()) for match in TITLE_YEAR.finditer(year_text(header))]


def _plan_year_from_mentions(body: str) -> tuple[int, str, str] | None:
    """The plan year the body's own words imply, weighed: (year, phrase, rule) or None when the
    evidence is too thin (a wrong year is worse than a missing one).

    Anchors a reader dates a plan by (`今年是"十四五"规划收官之年` -> 2025, 以优异成绩庆祝建党100周年
    -> 2021) weigh ANCHOR_WEIGHT; a stated year ("2016年，全县生产总值…"; not the base of a
    comparison, "是2011年的1.6倍", nor a deadline, "到2020年", nor a glossary note's background)
    weighs 1 in a clear voice (要, 力争, 预期目标: the plan year; 了, 同比, 上年: a year reviewed, so
    the year after it) and half in an unclear one. A year and the year before it agree (the plan
    framed beside the year reviewed: the later is planned); the winner needs MIN_YEAR_WEIGHT and
    twice the weight of the years that disagree: one sentence naming 2024 decides nothing."""
    body = year_text(_without_glossary(body))
    votes: Counter[int] = Counter()
    phrases: dict[int, tuple[str, str]] = {}
    stated: list[tuple[int, str]] = []
    for year, phrase in _year_anchors(body):
        votes[year] += ANCHOR_WEIGHT
        phrases.setdefault(year, (phrase, "year anchor"))
    for match in STATED_YEAR.finditer(body):
        if DEADLINE.search(body, max(0, match.start() - 3), match.start()):  # 力争2020年…: a deadline
            continue
        if NOTE_LINE.match(body, body.rfind("\n", 0, match.start()) + 1):  # a note's background: no voice
            continue
        if RANGE_AFTER.match(body, match.end()):  # （2021－2025年）, 2019年11月27日: a span or a date, no voice
            continue
        sentence = _clause_at(body, match.start())
        year = int(match.group(1))
        stated.append((year, sentence))
        plan, review = PLAN_MARK.search(sentence), REVIEW_MARK.search(sentence)
        if ESTIMATE.search(body, max(0, match.start() - 3), match.start()):
            plan, review = None, True
        if plan and not review or review and not plan:
            voted, weight = (year if plan else year + 1), 1.0
        elif PLAN_VOICE.search(sentence) or PLAN_ACTION.search(sentence) or REVIEW_VOICE.search(sentence):
            weak_plan = (PLAN_VOICE.search(sentence) and not re.search("已|了", sentence)
                         or PLAN_ACTION.search(sentence) and not REVIEW_VOICE.search(sentence))
            voted, weight = (year if weak_plan else year + 1), 0.5  # an unclear voice: a weaker reading
        else:  # a table cell, a date line: no voice at all
            continue
        votes[voted] += weight
        phrases.setdefault(voted, (sentence[:60], "years stated"))
    if not votes:
        return _after_the_review(body, stated)
    # a year and the year before it agree (the plan year framed beside the year reviewed): the later is planned
    support = {year: votes[year] + votes[year - 1] for year in votes}
    best = max(support, key=lambda year: (support[year], year))
    against = sum(votes.values()) - support[best]
    if votes[best] < MIN_YEAR_WEIGHT or support[best] < 2 * against:
        return _after_the_review(body, stated)
    phrase, rule = phrases[best]
    return best, phrase, rule


def _after_the_review(body: str, stated: list[tuple[int, str]]) -> tuple[int, str, str] | None:
    """When the weighing is too thin, a text that reviews in the government's own voice (过去一年,
    过去五年) plans the year after the latest year it states in that voice, as long as no later year
    is stated at all."""
    reviewed = [(year, clause) for year, clause in stated if not PLAN_MARK.search(clause)]
    if not REVIEWED.search(body) or not reviewed:
        return None
    latest, clause = max(reviewed)
    if any(year > latest for year, _ in stated):
        return None
    return latest + 1, clause[:60], "years stated"


def _without_glossary(body: str) -> str:
    """The body up to a glossary appended to the report (名词解释, 注释, 短语说明): its notes recall
    when a policy began (2020年起…), not the year planned."""
    match = GLOSSARY.search(body)
    return body[:match.start()] if match else body


def _year_anchors(body: str) -> list[tuple[int, str]]:
    """Years the plan's own framing implies, from sentences not in the review's voice: a five-year
    plan's first or last year (今年是"十三五"规划收官之年 -> 2020, "十四五"开局之年 -> 2021) and the
    national anniversaries a plan year is marked by (新中国成立70周年 -> 2019)."""
    found = [(int(match["y"]) + (1 if match["review"] else 0), match.group().strip())
             for match in PART_LINE.finditer(body)]
    for match in PLAN_PERIOD_ANCHOR.finditer(body):
        sentence = _sentence_at(body, match.start())
        if ANCHOR_REVIEW.search(sentence):
            continue
        start = FIVE_YEAR_PLAN_START + 5 * (_cn_number(match["n"]) - 10)
        found.append((start + 4 if match["end"] else start, match.group()))
    for match in ANNIVERSARY.finditer(body):
        sentence = _sentence_at(body, match.start())
        base = next((year for event, year in ANNIVERSARY_BASES.items() if re.search(event, match["event"])), None)
        if base is None or ANCHOR_REVIEW.search(sentence):
            continue
        years = int(match["n"]) if match["n"].isdigit() else _cn_number(match["n"])
        found.append((base + years, match.group()))
    return found


def _clause_at(text: str, offset: int) -> str:
    """The clause a year stands in (up to ；): a review lists a year's results clause by clause."""
    sentence = _sentence_at(text, offset)
    start = text.rfind("。", 0, offset) + 1
    start = max(start, text.rfind("\n", 0, offset) + 1)
    before, after = sentence[:offset - start], sentence[offset - start:]
    return before.rsplit("；", 1)[-1] + after.split("；", 1)[0]


def _sentence_at(text: str, offset: int) -> str:
    start = max(text.rfind("。", 0, offset), text.rfind("\n", 0, offset)) + 1
    ends = [end for end in (text.find("。", offset), text.find("\n", offset)) if end >= 0]
    return text[start:min(ends) if ends else len(text)]


def _review_years(plan_year: int | None, opening: str, body: str) -> tuple[int | None, int | None]:
    """The year before the plan year, or the five before it when the report reviews the whole term."""
    if plan_year is None:
        return None, None
    first_heading = next((line for line in body.splitlines() if re.match(rf"[{NUMERAL}]、", line)), "")
    five = FIVE_YEAR_REVIEW.search(opening) or FIVE_YEAR_REVIEW.search(first_heading)
    return (plan_year - 5 if five else plan_year - 1), plan_year - 1


# -- speaker ----------------------------------------------------------------------------------

def _speaker(header_lines: list[str], page_lines: Iterable[str] = ()) -> str | None:
    """"区长 黄建文", "自治区主席艾尔肯·吐尼亚孜", "国务院总理 / 李克强" on two lines; failing those, the
    name a photo caption gives with its title ("省长X作政府工作报告"), then a bare name just before the
    salutation (a weaker sign: 江苏要闻 reads as a name too)."""
    for index, line in enumerate(header_lines):
        match = SPEAKER.search(line)
        if match and not NOT_A_NAME.search(match["name"]):
            return _dotted(match["name"])
        if ENDS_WITH_TITLE.search(line) and index + 1 < len(header_lines) and _is_name(header_lines[index + 1]):
            return _dotted(header_lines[index + 1])
    for line in page_lines:
        match = SPEAKER_IN_CAPTION.search(SPACES.sub("", line))
        if match and not NOT_A_NAME.search(match["name"]):
            return _dotted(match["name"])
    if header_lines and _is_name(header_lines[-1]):
        return _dotted(header_lines[-1])
    return None


def _dotted(name: str) -> str:
    return re.sub(f"[{NAME_DOT}]", "·", name)


def _is_name(text: str) -> bool:
    if not BARE_NAME.fullmatch(text) or NOT_A_NAME.search(text):
        return False
    return text[0] in SURNAMES or any(dot in text for dot in NAME_DOT)

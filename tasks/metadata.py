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
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tasks.anatomy import headings, year_text
from tasks.clean import is_chrome_line
from tasks.records import CleanText, DocumentMeta

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"
FORMER_REGIONS_CSV = Path(__file__).parent / "data" / "regions_former.csv"

SPACES = re.compile(r"[\s\u3000]+")
NUMERAL = "一二三四五六七八九十"
# where the government names itself, most telling first
DATE_PLACE = re.compile(r"日?在(?P<place>[^\s,\uff0c。在]{2,24}?)(?:第?[一二三四五六七八九十\d]+届)?人民代表大会")
SESSION_PLACE = re.compile(rf"(?P<place>[^\s,\uff0c。]{{2,24}}?)第?[{NUMERAL}\d]+届人大")
SPEAKER_PLACE = re.compile(r"(?P<place>[^\s,\uff0c。]{2,24}?)人民政府")
OPENING_PLACE = re.compile(r"我代表(?P<place>[^,\uff0c。]{0,24}?)(?:人民)?政府")
TITLE_PLACE = re.compile(r"(?P<place>[^\s\d]{2,24}?)(?:(?:19|20)\d\d年度?)?(?:人民)?政府(?:工作)?报告")
NATIONAL_OPENING = re.compile(r"我代表国务院|国务院总理")
OPENING_LEVEL = re.compile(r"我代表(?P<word>自治区|省|自治州|州|盟|市|区|县|旗)(?:人民)?政府")
SPEAKER_LEVEL = re.compile(r"(?<![副])(?P<word>省|市|区|县|旗|州|盟)长(?=[\u4e00-\u9fff·]{2,8})")
SELF_REFERENCE = re.compile(r"(?:全|我|本)(?P<word>省|市|区|县|旗|州)(?![委长])")
BODY_OVERRULES = 3  # mentions of another region that outweigh a title the body never repeats
LEVELS_OF_HINT = {"city": {"city", "county"}, "county": {"county"}, "district": {"district"},
                  "province": {"province"}}
LEVEL_OF_WORD = {"省": "province", "自治区": "province", "市": "city", "自治州": "city", "州": "city",
                 "盟": "city", "区": "district", "县": "county", "旗": "county"}
NAME_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|地区|省|市|区|县|旗|盟)$")

# years
FIVE_YEAR_REVIEW = re.compile(r"过去五年(?:的)?(?:政府)?工作|过去一年和五年|本届政府过去五年|过去五年工作回顾")
YEAR_MENTION = re.compile(r"((?:19|20)\d\d)年")
STATED_YEAR = re.compile(r"(?<![是比较与同到至于从自较-])((?:19|20)\d\d)年(?!以来|至|到|[-—～~]|底前|前|的\d)")
OPENING_LINES = 3

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


def extract_metadata(clean: CleanText, *, url: str | None = None, site_name: str | None = None) -> DocumentMeta:
    """Read a report's metadata from its header and body; what cannot be read is None.

    `url` is accepted for symmetry with the pipeline but not read: report hosts
    are pinyin (chaoyang.gov.cn) and say nothing the Chinese text does not.
    """
    lines = [line.strip() for line in clean.header.splitlines() if line.strip()]
    report_lines = [SPACES.sub("", line) for line in lines if not is_chrome_line(line)]  # 武  凌 -> 武凌
    header = "".join(report_lines)  # one string: a date line may be broken over two lines
    opening = "\n".join(clean.body.splitlines()[:OPENING_LINES])
    plan_year, delivered_on = _plan_year_and_date(header, "\n".join(lines), clean.body, clean.title or "")
    review_start, review_end = _review_years(plan_year, opening, clean.body)
    if NATIONAL_OPENING.search(opening) or NATIONAL_OPENING.search(header):
        place = NATIONAL
    else:
        place = _place(clean, header, opening, site_name=site_name, plan_year=plan_year)
    return DocumentMeta(
        title=clean.title, region_code=place.code, region_name=place.name, city=place.city,
        province=place.province, level=place.level, plan_year=plan_year, review_start=review_start,
        review_end=review_end, delivered_on=delivered_on, speaker=_speaker(report_lines, lines),
    )


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


def _place(clean: CleanText, header: str, opening: str, *, site_name: str | None,
           plan_year: int | None = None) -> Place:
    """The reporting government: named places from the header and opening, else the most mentioned one.

    A header place must be of the level the report speaks at (我代表市人民政府, 市长): a portal's
    banner (河南省人民政府 above a 驻马店 report) is not the government reporting."""
    level = _level_hint(header, opening) or _self_level(clean.body)
    # 全区 is a district's word and an autonomous region's alike: it does not rule a header place out
    header_level = None if level == "district" and _level_hint(header, opening) is None else level
    context = "\n".join([clean.header, clean.body, clean.title or "", site_name or ""])
    for text, pattern in ((header, DATE_PLACE), (header, SESSION_PLACE), (opening, OPENING_PLACE),
                          (opening, DATE_PLACE), (header, SPEAKER_PLACE), (clean.title or "", TITLE_PLACE),
                          (header, TITLE_PLACE)):
        for match in pattern.finditer(text):
            names = _name_pattern().findall(match.group("place"))
            if any(_of_level(name, header_level, plan_year) for name in names):
                region = _resolve(names, context, plan_year=plan_year)
                if pattern in (SPEAKER_PLACE, TITLE_PLACE):
                    region = _unless_body_disagrees(region, clean.body, level, plan_year, context)
                return _describe(region)
    region = _most_named(clean.body, level, plan_year, context)
    return _describe(region) if region is not None else UNKNOWN


def _unless_body_disagrees(region: Region, body: str, level: str | None, plan_year: int | None,
                           context: str) -> Region:
    """A title or page line is a mirror's label and may be wrong (唐县 over a 高唐县 report): when the
    body never names that region but names another of its level throughout, the body wins."""
    mentions = _mentions(body)
    if mentions[region.name] or mentions[short_name(region.name)]:
        return region
    named = _most_named(body, level or region.level, plan_year, context)
    if named is None or named == region:
        return region
    return named if mentions[named.name] + mentions[short_name(named.name)] >= BODY_OVERRULES else region


def _of_level(name: str, level: str | None, plan_year: int | None) -> bool:
    """Whether some region of that name may be the government of that level (any when unknown)."""
    return level is None or any(_speaks_at(region, level) for region in _namesakes(name, plan_year))


def _speaks_at(region: Region, level: str) -> bool:
    """A region whose government a level word (市, 县, 区) may name: 市 is a city, a county-level
    city, or one of the four municipalities (上海市人民政府, 全市)."""
    municipality = region.level == "province" and region.code[:2] in MUNICIPALITY_PREFIXES
    return region.level in LEVELS_OF_HINT[level] or (level == "city" and municipality)


def _most_named(body: str, level: str | None, plan_year: int | None, context: str) -> Region | None:
    """The region of the report's level the body names most, by its full or its short name
    (容城县 or 容城, 新安县 or 新安): a report without a place in its header or opening still
    names its own county throughout. Among namesakes named as often (朝阳区 of 北京 and of 长春),
    the one whose city or province the page (`context`) also names wins; a county-level city that merely sits
    under the city the body names most (项城 in a 周口 report) does not."""
    counts: Counter[Region] = Counter()
    named: dict[Region, bool] = {}
    for found, count in _mentions(body).items():
        for region in _by_mention().get(found, []):
            if not ((level is None or _speaks_at(region, level)) and _listed(region, plan_year)):
                continue
            if region not in named:
                parents = _ancestors(region)
                named[region] = not parents or any(short_name(parent.name) in context for parent in parents)
            # A short name (资源, 新民) or a two-character one (和县 in 省、市和县) may be a word: it
            # counts only with the region's city or province named too (a province's, 江苏, always).
            if named[region] or (found == region.name and len(found) > 2):
                counts[region] += count
    if not counts:
        return None

    def score(region: Region) -> tuple[int, bool, int, int]:
        return counts[region], named[region], _listed(region, plan_year), -int(region.former)

    return max(counts, key=score)


@cache
def _by_mention() -> dict[str, list[Region]]:
    """Regions by every name a report may call them: the full name and, when it keeps two or
    more characters, the short one (容城县 -> 容城)."""
    index: dict[str, list[Region]] = {}
    for region in (*regions().values(), *former_regions()):
        if GENERIC_NAME.fullmatch(region.name):
            continue
        for name in dict.fromkeys([region.name, short_name(region.name)]):
            if _is_distinctive(name) or name == region.name and len(name) >= 2:
                index.setdefault(name, []).append(region)
    return index


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
def _mentions(body: str) -> Counter[str]:
    """Full and short names in the body, longest first at each place and without overlaps: 高唐县 is
    read before 唐县, 米易县 before 易县. A regex finds the places where a name may start, and the
    names starting with those two characters are tried there: a regex alternation of the 7,000 names
    took 130 ms a report, a scan of every character 4 ms, this about 1. Cached for the report's
    second look (callers only read the counts)."""
    names, lengths = _by_mention(), _mention_lengths()
    found: Counter[str] = Counter()
    resume = 0  # names do not overlap: the scan resumes after the last one found
    for start in _mention_start().finditer(body):
        index = start.start()
        if index < resume:
            continue
        for length in lengths.get(body[index:index + 2], ()):
            if body[index:index + length] in names:
                found[body[index:index + length]] += 1
                resume = index + length
                break
    return found


def _self_level(body: str) -> str | None:
    """The level a report speaks at: 全县/我县/县委 outnumber 全市/我市 in a county's report."""
    counts = Counter(match["word"] for match in SELF_REFERENCE.finditer(body))
    if not counts:
        return None
    return LEVEL_OF_WORD[counts.most_common(1)[0][0]]


def _is_distinctive(name: str) -> bool:
    """城区, 郊区, 矿区 are names of districts but also everyday words: not evidence on their own."""
    return len(NAME_SUFFIX.sub("", name)) >= 2


def _level_hint(header: str, opening: str) -> str | None:
    """区/县/市 in "我代表区人民政府" or the header's speaker "区长": the level even when the place is not
    named. Not any 市政府 in the text (在市委、市政府和县委的坚强领导下 names the county's city), nor a
    省长 the opening quotes (认真贯彻许勤省长调研讲话精神)."""
    match = OPENING_LEVEL.search(header + opening) or SPEAKER_LEVEL.search(header)
    return LEVEL_OF_WORD[match.group("word")] if match else None


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

def _plan_year_and_date(header: str, page_header: str, body: str, title: str) -> tuple[int | None, str | None]:
    """An intact delivery date fixes the plan year; otherwise a delivery month (2018年1月在…会议上),
    the body's headings or the title's year (2019年XX县政府工作报告) do, and the plan year then
    decides how a damaged date (2016111日) or the page's publish date is read."""
    header = _arabic_dates(header)
    date = _intact_date(header)
    if date is not None and _fits_headings(date, header, body):
        return _plan_year_of(date), date.isoformat()
    month = DELIVERY_MONTH.search(header)
    plan_year = (
        (_plan_year_of(dt.date(int(month["y"]), int(month["m"]), 1)) if month and 1 <= int(month["m"]) <= 12 else None)
        or _plan_year_from_headings(body)
        or _plan_year_from_title(f"{title}\n{header}")
        or _plan_year_from_mentions(body)
    )
    if plan_year is None:
        return None, None
    for candidate in [*_damaged_dates(header), *_published_dates(page_header)]:
        if _plan_year_of(candidate) == plan_year:
            return plan_year, candidate.isoformat()
    return plan_year, None


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


def _plan_year_from_title(header: str) -> int | None:
    """"2019年安吉县政府工作报告", "政府工作报告(2019年)", "二O一三年政府工作报告"; not "2017年度工作报告",
    which names the year reviewed."""
    match = TITLE_YEAR.search(year_text(header))
    return int(match["year"] or match["year2"]) if match else None


def _plan_year_from_mentions(body: str) -> int | None:
    """The year after the most-stated one ("2016年，全县生产总值…"; not the base of a comparison,
    "是2011年的1.6倍", nor a deadline, "到2020年"), the latest on ties (a term review cites its first
    and last year alike): a last resort for a report with no date, headings or titled year."""
    body = year_text(body)
    years = Counter(int(year) for year in STATED_YEAR.findall(body)) or Counter(int(y) for y in YEAR_MENTION.findall(body))
    return max(years, key=lambda year: (years[year], year)) + 1 if years else None


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

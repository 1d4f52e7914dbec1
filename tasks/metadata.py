"""Clean report text -> DocumentMeta: whose report, for which year, delivered when and by whom.

The header (title, "2017年12月25日在…会议上", "区长 黄建文") names most of it;
the body fills the gaps: the opening formula ("我代表朝阳区人民政府") gives the
government, review and plan headings ("2017年工作回顾", "2018年工作安排") give
the years, and place names mentioned throughout settle which 朝阳区 it is.
Regions are looked up in tasks/data/regions.csv (GB/T 2260, see docs/regions.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tasks.clean import is_chrome_line
from tasks.records import CleanText, DocumentMeta

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"

SPACES = re.compile(r"[\s\u3000]+")
NUMERAL = "一二三四五六七八九十"
# where the government names itself, most telling first
DATE_PLACE = re.compile(r"日?在(?P<place>[^\s,\uff0c。在]{2,24}?)(?:第?[一二三四五六七八九十\d]+届)?人民代表大会")
SESSION_PLACE = re.compile(rf"(?P<place>[^\s,\uff0c。]{{2,24}}?)第?[{NUMERAL}\d]+届人大")
SPEAKER_PLACE = re.compile(r"(?P<place>[^\s,\uff0c。]{2,24}?)人民政府")
OPENING_PLACE = re.compile(r"我代表(?P<place>[^,\uff0c。]{0,24}?)(?:人民)?政府")
TITLE_PLACE = re.compile(r"(?P<place>[^\s\d]{2,24}?)(?:人民)?政府(?:工作)?报告")
NATIONAL_OPENING = re.compile(r"我代表国务院|国务院总理")
LEVEL_WORD = re.compile(r"(?P<word>自治区|省|自治州|州|盟|市|区|县|旗)(?:人民)?政府")
LEVEL_OF_WORD = {"省": "province", "自治区": "province", "市": "city", "自治州": "city", "州": "city",
                 "盟": "city", "区": "district", "县": "county", "旗": "county"}
NAME_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|地区|省|市|区|县|旗|盟)$")

# years
REVIEW_HEADING = re.compile(rf"(?:^|[{NUMERAL}]、)\s*(?P<year>(?:19|20)\d\d)年[^。,\uff0c;\uff1b\n]{{0,12}}?(?:回顾|总结)", re.M)
PLAN_HEADING = re.compile(
    rf"(?:^|[{NUMERAL}]、)\s*(?P<year>(?:19|20)\d\d)年[^。,\uff0c;\uff1b\n]{{0,24}}?(?:任务|安排|目标|要求|部署|重点工作|政策取向|建议)", re.M)
FIVE_YEAR_REVIEW = re.compile(r"过去五年(?:的)?(?:政府)?工作|过去一年和五年|本届政府过去五年|过去五年工作回顾")
YEAR_MENTION = re.compile(r"((?:19|20)\d\d)年")
OPENING_LINES = 3

# dates
DATE = re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
DAMAGED_DATE = re.compile(r"(?P<y>(?:19|20)\d\d)年?(?P<md>\d{2,4})日\s*在")
PUBLISHED = re.compile(r"(?:(?:发布|发表|更新)?(?:时间|日期)|发表于)[:\uff1a]?\s*(?P<y>(?:19|20)\d\d)[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})")

# speaker
TITLE_WORDS = r"(?:常务副|副)?(?:代理?)?(?:省长|市长|区长|县长|旗长|州长|盟长|主席|总理)"
SPEAKER = re.compile(rf"{TITLE_WORDS}(?P<name>[\u4e00-\u9fff·]{{2,6}})$")
ENDS_WITH_TITLE = re.compile(rf"{TITLE_WORDS}$")
BARE_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
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


@dataclass(frozen=True)
class Region:
    """One row of the GB/T 2260 table."""

    code: str
    name: str
    level: str
    parent_code: str


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
    plan_year, delivered_on = _plan_year_and_date(header, "\n".join(lines), clean.body)
    review_start, review_end = _review_years(plan_year, opening, clean.body)
    if NATIONAL_OPENING.search(opening) or NATIONAL_OPENING.search(header):
        place = NATIONAL
    else:
        place = _place(clean, header, opening, site_name=site_name)
    return DocumentMeta(
        title=clean.title, region_code=place.code, region_name=place.name, city=place.city,
        province=place.province, level=place.level, plan_year=plan_year, review_start=review_start,
        review_end=review_end, delivered_on=delivered_on, speaker=_speaker(report_lines),
    )


# -- region -----------------------------------------------------------------------------------

@cache
def regions() -> dict[str, Region]:
    with open(REGIONS_CSV, encoding="utf-8", newline="") as handle:
        return {row["code"]: Region(**row) for row in csv.DictReader(handle)}


@cache
def _regions_by_name() -> dict[str, list[Region]]:
    by_name: dict[str, list[Region]] = {}
    for region in regions().values():
        by_name.setdefault(region.name, []).append(region)
    return by_name


@cache
def _name_pattern() -> re.Pattern[str]:
    """All region names, longest first, so 沙河口区 is read before 河口区."""
    names = sorted(_regions_by_name(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def short_name(name: str) -> str:
    """沈阳市 -> 沈阳, 辽宁省 -> 辽宁; names that would shrink to one character stay whole."""
    short = NAME_SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


def _ancestors(region: Region) -> list[Region]:
    chain, code = [], region.parent_code
    while code:
        parent = regions()[code]
        chain.append(parent)
        code = parent.parent_code
    return chain


def _place(clean: CleanText, header: str, opening: str, *, site_name: str | None) -> Place:
    """The reporting government: named places from the header and opening, else the most mentioned one."""
    level = _level_hint(header + opening)
    context = "\n".join([clean.header, clean.body, clean.title or "", site_name or ""])
    for text, pattern in ((header, DATE_PLACE), (header, SESSION_PLACE), (opening, OPENING_PLACE),
                          (header, SPEAKER_PLACE), (clean.title or "", TITLE_PLACE), (header, TITLE_PLACE)):
        for match in pattern.finditer(text):
            names = _name_pattern().findall(match.group("place"))
            if names:
                return _describe(_resolve(names, context))
    mentioned = Counter(_name_pattern().findall(clean.body))
    fitting = [(count, name) for name, count in mentioned.items() if _is_distinctive(name)
               and (level is None or any(r.level == level for r in _regions_by_name()[name]))]
    if not fitting:
        return UNKNOWN
    _, name = max(fitting)
    return _describe(_resolve([name], context, level))


def _is_distinctive(name: str) -> bool:
    """城区, 郊区, 矿区 are names of districts but also everyday words: not evidence on their own."""
    return len(NAME_SUFFIX.sub("", name)) >= 2


def _level_hint(text: str) -> str | None:
    """区/县/市 in "我代表区人民政府" or "区长": the level even when the place is not named."""
    match = LEVEL_WORD.search(text)
    return LEVEL_OF_WORD[match.group("word")] if match else None


def _resolve(names: list[str], context: str, level: str | None = None) -> Region:
    """The most specific name, among its namesakes the one whose parents the text names ("长春市朝阳区")
    and, failing that, whose city, province and sibling districts the text mentions most."""
    candidates = _regions_by_name()[max(names, key=lambda name: max(LEVEL_RANK[r.level] for r in _regions_by_name()[name]))]
    if level is not None and any(r.level == level for r in candidates):
        candidates = [r for r in candidates if r.level == level]
    named = set(names)

    def score(region: Region) -> tuple[int, int]:
        ancestors = _ancestors(region)
        explicit = sum(1 for parent in ancestors if parent.name in named or short_name(parent.name) in named)
        mentions = sum(context.count(short_name(parent.name)) for parent in ancestors)
        siblings = [r for r in regions().values() if r.parent_code == region.parent_code and r.code != region.code]
        mentions += sum(context.count(sibling.name) for sibling in siblings)
        return explicit, mentions

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

def _plan_year_and_date(header: str, page_header: str, body: str) -> tuple[int | None, str | None]:
    """An intact delivery date fixes the plan year; otherwise the body's headings do, and the plan
    year then decides how a damaged date (2016111日) or the page's publish date is read."""
    date = _intact_date(header)
    if date is not None:
        return _plan_year_of(date), date.isoformat()
    plan_year = _plan_year_from_body(body)
    if plan_year is None:
        return None, None
    for candidate in [*_damaged_dates(header), *_published_dates(page_header)]:
        if _plan_year_of(candidate) == plan_year:
            return plan_year, candidate.isoformat()
    return plan_year, None


def _intact_date(text: str) -> dt.date | None:
    for match in DATE.finditer(text):
        date = _date(int(match["y"]), int(match["m"]), int(match["d"]))
        if date is not None:
            return date
    return None


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


def _plan_year_from_body(body: str) -> int | None:
    """"2017年工作回顾" -> 2018, "2018年工作安排" -> 2018; failing both, the year after the most-mentioned
    one (the latest on ties: a term review cites its first and its last year alike)."""
    plans = [int(m["year"]) for m in PLAN_HEADING.finditer(body)]
    reviews = [int(m["year"]) + 1 for m in REVIEW_HEADING.finditer(body)]
    if plans or reviews:
        return Counter(plans + reviews).most_common(1)[0][0]
    years = Counter(int(year) for year in YEAR_MENTION.findall(body))
    return max(years, key=lambda year: (years[year], year)) + 1 if years else None


def _review_years(plan_year: int | None, opening: str, body: str) -> tuple[int | None, int | None]:
    """The year before the plan year, or the five before it when the report reviews the whole term."""
    if plan_year is None:
        return None, None
    first_heading = next((line for line in body.splitlines() if re.match(rf"[{NUMERAL}]、", line)), "")
    five = FIVE_YEAR_REVIEW.search(opening) or FIVE_YEAR_REVIEW.search(first_heading)
    return (plan_year - 5 if five else plan_year - 1), plan_year - 1


# -- speaker ----------------------------------------------------------------------------------

def _speaker(header_lines: list[str]) -> str | None:
    """"区长 黄建文", "国务院总理 / 李克强" on two lines, or a bare name just before the salutation."""
    for index, line in enumerate(header_lines):
        match = SPEAKER.search(line)
        if match and not NOT_A_NAME.search(match["name"]):
            return match["name"]
        if ENDS_WITH_TITLE.search(line) and index + 1 < len(header_lines) and _is_name(header_lines[index + 1]):
            return header_lines[index + 1]
    if header_lines and _is_name(header_lines[-1]):
        return header_lines[-1]
    return None


def _is_name(text: str) -> bool:
    return bool(BARE_NAME.fullmatch(text)) and text[0] in SURNAMES and not NOT_A_NAME.search(text)

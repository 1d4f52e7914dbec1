"""Extract headline economic indicators from a government work report body.

The extractor is a single left-to-right scan per sentence. Every catalog alias
("subject") and every number-with-unit ("value") is a token; a value belongs
to the current subject only if the text between them is made of predicate
words (增长, 同比, 达到, 分别, ...). Anything else ("完成投资", "其中本级财政收入",
"省外实际到位资金") means the sentence has moved on to a subject outside the
catalog, and the value is dropped. This one rule handles implicit subjects
("地区生产总值完成941亿元,同比增长0.4%"), 其中 clauses and most traps.

Whether a figure is an actual or a target is decided by the section the
sentence sits in (headings such as 工作回顾 / 主要工作任务 / 今后五年), with
a few wording cues (主要预期目标是:, 力争) for bodies without headings.

Pure stdlib; regexes are compiled once at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from tasks.records import Indicator

EXTRACTOR_VERSION = "2.1.0"

# --------------------------------------------------------------------------
# Text normalisation (length-preserving so offsets stay valid)
# --------------------------------------------------------------------------

# The body is never rewritten (offsets must stay valid and folding a whole
# report costs more than the extraction): `\d` already matches full-width
# digits, and the regexes below accept ． ％ － ～ and full-width punctuation.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％－～", "0123456789.%-~")

# --------------------------------------------------------------------------
# Catalog aliases. Order matters only among alternatives starting at the same
# character (longest first). Lookarounds reject the classic traps.
# --------------------------------------------------------------------------

# Not the region's GDP: per head, per unit, a sector's own total (海洋生产总值), GDP as the base of a
# share (的比重, 的比例) or of a contribution (对GDP增长贡献率).
_NOT_GDP_BEFORE = r"(?<!人均)(?<!单位)(?<!万元)(?<!万元 )(?<!单位 )(?<!绿色)(?<!亿元)(?<!海洋)"
_NOT_GDP_AFTER = r"(?!能耗|能源|电耗|水耗|用水|二氧化碳|碳排放|的比重|比重|的比例|比例|中|增长贡献|增长的贡献|贡献)"

_ALIASES: list[tuple[tuple[str, ...], str]] = [
    (("surveyed_unemployment_rate",), r"(?:城镇)?调查失业率"),
    (("unemployment_rate",), r"(?:城镇)?登记失业率"),
    (("cpi",), r"居民消费价格(?:总水平|指数)?|CPI"),
    (("urban_income", "rural_income"), r"城乡(?:常住)?居民(?:人均)?(?:可支配)?收入|城镇(?:和|与|及|、)农村(?:常住)?居民(?:人均)?(?:可支配|纯)?收入"),
    (("urban_income",), r"城镇(?:常住)?居民(?:人均)?可支配收入|城镇居民人均收入"),
    (
        ("rural_income",),
        r"农村(?:常住)?居民(?:人均)?(?:可支配|纯)收入|农民人均(?:可支配|纯)?收入",
    ),
    (("resident_income",), r"(?<!城镇)(?<!农村)(?<!城乡)(?:全体|全区|全市|全县)?(?:常住)?居民人均可支配收入"),
    (("gdp",), _NOT_GDP_BEFORE + r"(?:(?:地区|国内|地方|县域)生产总值|(?<![区内方域])生产总值|GDP)" + _NOT_GDP_AFTER),
    (("gdp",), r"经济(?:年均|平均)?增长(?:速度|率)?(?=(?:预期目标为|目标为|保持在|稳定在|达到|为)?\s*\d)"),
    # 一二三产增加值分别增长3.5%、6%、5%: three figures, the third is services ("" = not in the catalog)
    (("", "", "services_value_added"), r"第?一[、,，]?二[、,，]?三产业?增加值|三次产业增加值"),
    (("services_value_added",), r"(?:服务业|第三产业|三产)增加值"),
    (("industrial_value_added",), r"(?:规模以上|规上|规模)工业增加值"),
    (("industrial_output",), r"(?:规模以上|规上|规模)工业(?:总)?产值"),
    (
        ("general_budget_revenue",),
        r"(?:地方)?一般公共(?:财政)?预算收入|(?:地方)?公共财政预算收入|(?:地方)?一般预算收入",
    ),
    (("total_fiscal_revenue",), r"财政总收入|全口径财政收入"),
    (("tax_revenue",), r"(?<!金融业)(?:地方)?税收收入"),
    (
        ("fixed_asset_investment",),
        r"(?<!民间)(?<!工业)(?<!农业)(?<!技改)(?<!产业)(?<!基础设施)(?<!房地产)"
        r"(?:全社会|全区|全市|全县|城镇)?固定资产投资(?:总额|额)?(?!项目)",
    ),
    (("retail_sales",), r"(?<!限额以上)(?<!限上)(?:社会消费品零售(?:总)?额|社零(?:总)?额)"),
    (
        ("fdi",),
        r"实际(?:利用|使用)外资|(?:利用|使用)外资(?:实际到位额?)?|外资实际到位额?|(?:实际利用)?外商直接投资"
        r"|(?:实际)?到位外资",
    ),
    (
        ("domestic_capital",),
        r"实际到位内资|(?:引进|利用)内资|(?:国内)?招商引资实际到位(?:资金|额)?|到位内资",
    ),
    (
        ("foreign_trade",),
        r"(?:外贸|货物)?进出口(?:贸易)?(?:总额|总值)|外贸进出口",
    ),
    (("new_jobs",), r"城镇新增就业(?:人数|人员)?|新增城镇就业(?:人数|人员)?|(?<!城镇)新增就业(?!岗位)(?:人数|人员)?"),
]

_VALUE = (
    r"(?P<neg>(?<![\d%％])[-－](?=\d))?(?P<n1>\d+(?:[.．]\d+)?)(?P<u1>[%％])?"
    r"(?:\s*(?P<rng>[-~－～至到—])\s*(?P<n2>\d+(?:[.．]\d+)?))?"
    r"(?P<more>多|余)?\s*"
    r"(?P<unit>[%％]|万亿元|亿元|万元|元|万亿美元|亿美元|万美元|美元|万人|人(?![次民均口数]))"
    r"(?P<post>左右|以上|以内|以下)?"
)

# Every alias starts with one of these characters, and then with one of these
# two-character prefixes. The lookaheads let the regex engine skip all other
# positions cheaply instead of trying two dozen branches at each (20x faster).
# tests/test_extract.py::test_aliases guards that they cover every alias.
_ALIAS_FIRST_CHARS = "城调登居C农全常地国生G经服第三规一公财税固社实利使外引招货进新到县"
_ALIAS_PREFIXES = (
    "城[镇乡]|调查|登记|居民|CPI|农[村民]|全[体区市县社口]|常住|地[区方]|国内|县域|生产|GDP|经济|服务|第[三一]|三[产次]|一[二、,，]|"
    "规[模上]|一般|公共|财政|税收|固定|社[会零]|实际|利用|使用|外[资商贸]|引进|招商|货物|进出|新增|到位"
)
_TOKEN_START = f"(?=[{_ALIAS_FIRST_CHARS}\\d\\-－])"
_ALIAS_TOKEN = (f"(?=(?:{_ALIAS_PREFIXES}))(?:"
                + "|".join(f"(?P<a{i}>{pattern})" for i, (_, pattern) in enumerate(_ALIASES)) + ")")
_TOKEN_RE = re.compile(f"{_TOKEN_START}(?:(?P<val>{_VALUE})|{_ALIAS_TOKEN})")
# Every value ends in one of these; a sentence without one needs no closer look.
_UNIT_MARK_RE = re.compile("[%％元人]")
# Where _TOKEN_RE reads a catalog name, this finds one (it is the same branch), so a sentence
# without a match has figures but no name to credit them to: most sentences with figures.
_ALIAS_RE = re.compile(f"{_TOKEN_START}{_ALIAS_TOKEN}")
_ALIAS_CODES = {f"a{i}": codes for i, (codes, _) in enumerate(_ALIASES)}

_UNITS: dict[str, tuple[str, Decimal]] = {
    "%": ("pct", Decimal(1)),
    "％": ("pct", Decimal(1)),
    "万亿元": ("CNY", Decimal(10**12)),
    "亿元": ("CNY", Decimal(10**8)),
    "万元": ("CNY", Decimal(10**4)),
    "元": ("CNY", Decimal(1)),
    "万亿美元": ("USD", Decimal(10**12)),
    "亿美元": ("USD", Decimal(10**8)),
    "万美元": ("USD", Decimal(10**4)),
    "美元": ("USD", Decimal(1)),
    "万人": ("person", Decimal(10**4)),
    "人": ("person", Decimal(1)),
}

# Which units each indicator may carry in a level figure.
_RATES = {"unemployment_rate", "surveyed_unemployment_rate"}
_INCOMES = {"urban_income", "rural_income", "resident_income"}
_LEVEL_UNITS: dict[str, set[str]] = {
    "unemployment_rate": {"pct"},
    "surveyed_unemployment_rate": {"pct"},
    "cpi": set(),
    "new_jobs": {"person"},
    "fdi": {"USD", "CNY"},
    "foreign_trade": {"USD", "CNY"},
}
_DEFAULT_LEVEL_UNITS = {"CNY"}
# Flows that a five-year section states as five-year totals.
_FLOWS = {"fixed_asset_investment", "fdi", "domestic_capital", "new_jobs", "foreign_trade"}

# --------------------------------------------------------------------------
# Gap grammar: words that may sit between a subject and its figure
# --------------------------------------------------------------------------

_PRED_WORDS = (
    "同比 比上年同期 比上年 较上年 比去年 较去年 上年同期 同期 按可比价格计算 按可比口径 可比口径 "
    "扣除价格因素 实际 名义 年均 平均每年 平均 每年 分别 均 都 增长 递增 增速 增幅 增加 "
    "增收 下降 减少 降低 下滑 回落 上涨 涨幅 提高 达到 达 完成 实现 为 是 突破 超过 超 控制在 "
    "保持在 保持 稳定在 约 近 预计 全年 累计 其中 和 及 与 以上 以内 左右 力争 确保 到 至 "
    "年底 年末 的 共 总计 合计 了 继续 始终 一直 目标 预期目标 预期 计划 争取 将 要 在 "
    "按 口径 同口径 自然口径 可比 全区 全市 全县 全省 全国 总量 总额 规模 由 从 提高到 增加到 增长到 上升到 下降到"
).split()
_PRED_RE = re.compile(
    "|".join(sorted(map(re.escape, _PRED_WORDS), key=len, reverse=True))
    + r"|[(（][^)）]{0,15}[)）]|(?:扣除|剔除)[^,;，；。]{0,12}?因素后?|占[^,;，；。]{0,20}?(?:比重|比例)|占比|比\d{4}年|\d{4}年(?:底|末)?|[\s,;:，；：、()（）“”\"'——]"
)
_BOUNDARY_CHARS = ",;:，；："
_BOUNDARY_RE = re.compile(f"[{_BOUNDARY_CHARS}]")
_CONNECTOR_RE = re.compile(r"\s*(?:、|和|及|与|以及|,|，)\s*")
_VALUE_CONNECTOR_RE = re.compile(r"\s*(?:、|和|及|与|以及)\s*")

_SHARE_RE = re.compile(r"比重|占比|比例")
# A catalog name followed, in its own clause, by a noun that is a ratio to it or a quantity per
# unit of it (GDP综合能耗, GDP的比率, 对GDP的综合贡献率): the figure is that ratio's, not the name's.
# 比重/比例 are shares, read as such; 增长率 is the name's own growth.
_RATIO_OF_RE = re.compile(r"(?<!增长)(?<!增)率|之比|比值|强度|能耗|电耗|水耗|物耗|耗能|消耗|排放")
_GROWTH_RATE_RE = re.compile(r"增长率|增长速度")
# The subject written just before a catalog name: a named place (深汕特别合作区, 合作区, 某某县, 全国).
# It is the region itself only when it says so (全市, 我县, 本区, the region's own name).
_PLACE_SUBJECT_RE = re.compile(
    r"(?P<place>(?<!城)(?:[\u4e00-\u9fff]{0,10}?)(?:特别合作区|合作区|新区|开发区|高新区|示范区|园区|试验区|片区|"
    r"[区县市州盟旗镇乡省国]))(?:的|实现|完成)?\s*$"
)
# 全市, 我县, 本区: the speaker's own level word; 辖区 (its jurisdiction) and 城镇/城乡 are never another place.
_SELF_PLACE_RE = re.compile(r"(?:^|[全我本该])(?P<word>区|县|市|州|盟|旗|镇|乡|省)$")
_NEVER_OTHER_RE = re.compile(r"(?:辖区|城镇|城乡|城市|地区)$")
_NATION_RE = re.compile(r"[全我中]国$")
_DENOMINATOR_RE = re.compile(r"占|相当于")
_SUBSET_RE = re.compile(r"项目")
_CAGR_RE = re.compile(r"年均|平均每年|每年平均|年平均")
# "提高到15%" states a new level, not a growth rate: keywords followed by 到/至 do not count.
_GROWTH_RE = re.compile(r"(?:增长|递增|增速|增幅|下降|减少|降低|下滑|回落|上涨|涨幅|提高|增加|涨)(?![到至])")
_DOWN_RE = re.compile(r"(下降|减少|降低|下滑|回落)(?![到至])(?!.*(?:增长|递增|上涨|提高))")
_INCREMENT_RE = re.compile(r"(增加|增长|增收|净增|多|减少|下降)(?![到至])[^达实完为突超到至]*$")
_FROM_RE = re.compile(r"[由从](?:\d{4}年(?:底|末)?的?)?(?:不到|不足|超过|约|近)?\s*$")
_AVERAGE_RE = re.compile(r"年均|平均每年|每年平均|每年")
_COMPARE_YEAR_RE = re.compile(r"[比与同](\d{4})年")
_COMPARE_OPENING_RE = re.compile(r"\d{4}年[比与同](\d{4})年")  # 2005年与2000年相比，…
_AT_LEAST_RE = re.compile(r"(?:不低于|不少于|突破|超过|高于|超)\s*$")
_AT_MOST_RE = re.compile(r"(?:控制在|不超过|不高于|低于)\s*$")
_ABOUT_RE = re.compile(r"(?:约|近|大约)\s*$")
_SPLIT_RE = re.compile(r"分别")

# --------------------------------------------------------------------------
# Sections and sentences
# --------------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
# A paragraph is a line; in bodies flattened onto one line a whitespace run
# also ends a paragraph, except around numbers ("控制在 3.3%", "GDP 增长").
_PARA_RE = re.compile(r"\S+(?:(?:(?<=\d)[^\S\n]+|[^\S\n]+(?=[\d%％]))\S+)*")
_TOP_ENUM_RE = re.compile(r"^[一二三四五六七八九十]+、")
# (一)… and 1.… are topic sub-headings ("(二)聚焦目标任务" in a review): they never switch sections.
_SUB_ENUM_RE = re.compile(r"^(?:[(（][一二三四五六七八九十\d]+[)）]|\d+[.、．])")
_HEAD_REVIEW_RE = re.compile(r"回顾|过去|总结|去年工作|上年工作")
_HEAD_TARGET_RE = re.compile(
    r"目标|任务|部署|安排|今后|打算|计划|展望|思路|建议|总体要求|重点工作|政策取向|今年工作"
)
_HEAD_ACHIEVED_RE = re.compile(r"完成|取得|成效|成绩|成就|显著|明显|圆满")
_HEAD_MULTI_RE = re.compile(r"五年|十[一二三四五六]五|“十.五”")
_HEAD_SINGLE_RE = re.compile(r"一年")
_YEAR_RE = re.compile(r"(\d{4})年")
_TARGET_FLIP_RE = re.compile(r"(?:主要|预期|奋斗|发展)目标(?:是|为)?[:：]|预期目标(?:是|为)|目标任务(?:是|为)")
_PLAN_MULTI_RE = re.compile(r"今后五年|十[二三四五六]五")
_TARGET_SENTENCE_RE = re.compile(r"力争|确保")
_MULTI_SENTENCE_RE = re.compile(
    r"今后五年|过去五年|五年来|五年累计|上一个五年|上个五年|五年间|五年共|十[一二三四五六]五(?:”)?(?:期间|时期|以来)"
)
_SINGLE_YEAR_RE = re.compile(r"全年|年内|当年|今年|去年|上年|同比|(?<![比较是由从\d])\d{4}年(?![的以比相])")
_PLAN_CUE_RE = re.compile(r"今年|目标|预期|力争|确保|^把|^要")
_PAST_CUE_RE = re.compile(r"^(?:过去一年|过去五年|五年来|去年|上年)|^\d{4}年以来")
_LEADING_YEAR_RE = re.compile(r"^(\d{4})年")
_CUMULATIVE_RE = re.compile(r"累计|上一个五年|上个五年")
_UNTIL_YEAR_RE = re.compile(r"[到至](\d{4})年")
_ESTIMATE_RE = re.compile(r"预计")
_THIS_YEAR_RE = re.compile(r"今年|年内|本年度")
# A figure is over a span only when the sentence says so (年均, 五年, 到2025年, 累计, 十四五期间).
_SPAN_RE = re.compile(r"年均|平均每年|每年平均|五年|[到至]\d{4}年|累计|十[一二三四五六]五(?:”)?(?:期间|时期|末)")
# The first clause of an enumerated paragraph that names its time (三、2017年政府工作安排…,
# 二、今后五年…): a part heading run into its text, read whole (一、主要目标任务圆满完成 is no plan).
_GLUED_HEADING_RE = re.compile(
    r"^[一二三四五六七八九十]+、(?=[^。，,；;：:！？!?]{0,20}(?:\d{4}\s*年|今年|明年|五年|十[一二三四五六]五))[^。，,；;：:！？!?]{2,30}")


@dataclass
class _Section:
    """Where the scan is: actual or target, and whether the horizon is five years."""

    basis: str = "actual"
    multi: bool = False


@dataclass
class _Value:
    """One number-with-unit token, decoded."""

    start: int
    end: int
    value: float
    value_high: float | None
    unit: str
    qualifier: str
    metric: str | None  # for percentages: growth | cagr | share | None (undecided)
    negative: bool
    increment: bool  # money after 增加/增长: an increase, not a level
    skip: bool  # a "from" value (由X增加到Y), an annual average level, or growth over a base year


def _classify_heading(text: str, section: _Section, plan_year: int | None) -> _Section | None:
    """Read a heading; return the new section state or None if it says nothing."""
    top = bool(_TOP_ENUM_RE.match(text))
    years = [int(y) for y in _YEAR_RE.findall(text)]
    # "2020年和“十三五”工作回顾" is mostly about the one year: a year in the heading wins.
    multi = bool(_HEAD_MULTI_RE.search(text)) and not _HEAD_SINGLE_RE.search(text) and not years
    if _HEAD_REVIEW_RE.search(text):
        return _Section("actual", multi)
    target_words = _HEAD_TARGET_RE.search(text) and not _HEAD_ACHIEVED_RE.search(text)
    if target_words or (plan_year is not None and plan_year in years and not _HEAD_ACHIEVED_RE.search(text)):
        if not multi and section.basis == "target" and section.multi and not top and not years:
            multi = True  # a sub-heading such as 主要奋斗目标: inside 今后五年
        return _Section("target", multi)
    return None


def _is_heading(text: str, whole_paragraph: bool) -> bool:
    """A paragraph's first sentence reads as a heading: short, and alone or enumerated (一、)."""
    if len(text) > 32 or _SUB_ENUM_RE.match(text):
        return False
    return whole_paragraph or bool(_TOP_ENUM_RE.match(text))


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def _decode_value(m: re.Match[str], gap: str, sentence_head: str, compare_floor: int | None) -> _Value:
    """Turn a value match plus the text before it into a `_Value`."""
    unit_kind, factor = _UNITS[m.group("unit")]
    n2 = m.group("n2")
    value_high = None
    qualifier = "exact"
    if n2 is not None:
        value_high = float(_number(n2) * factor)  # Decimal: 75.6亿 is 7560000000, not 7559999999.999999
        qualifier = "range"
    post = m.group("post")
    if qualifier != "range":
        if post == "左右":
            qualifier = "about"
        elif post == "以上" or m.group("more"):
            qualifier = "at_least"
        elif post in ("以内", "以下"):
            qualifier = "at_most"
        elif _AT_LEAST_RE.search(gap):
            qualifier = "at_least"
        elif _AT_MOST_RE.search(gap):
            qualifier = "at_most"
        elif _ABOUT_RE.search(gap):
            qualifier = "about"
    tail = gap[_last_boundary(gap):]
    metric = None
    if unit_kind == "pct":
        if _SHARE_RE.search(tail):
            metric = "share"
        elif _CAGR_RE.search(tail):
            metric = "cagr"
        elif _GROWTH_RE.search(tail):
            metric = "growth"
    negative = bool(_DOWN_RE.search(tail)) != bool(m.group("neg"))  # 下降-2% would be odd; flip either way
    increment = unit_kind != "pct" and bool(_INCREMENT_RE.search(tail))
    clause = sentence_head[_last_boundary(sentence_head) :]
    skip = bool(_FROM_RE.search(gap)) or (unit_kind != "pct" and bool(_AVERAGE_RE.search(clause)))
    compare = _COMPARE_YEAR_RE.search(clause) or _COMPARE_OPENING_RE.match(sentence_head)
    if compare and metric == "growth" and compare_floor is not None and int(compare.group(1)) < compare_floor:
        skip = True  # 比2002年增长65.5%: growth over several years, not a yearly rate
    return _Value(
        start=m.start(),
        end=m.end(),
        value=float(_number(m.group("n1")) * factor),
        value_high=value_high,
        unit=unit_kind,
        qualifier=qualifier,
        metric=metric,
        negative=negative,
        increment=increment,
        skip=skip,
    )


def _number(digits: str) -> Decimal:
    """A matched number, full-width digits and ． allowed."""
    return Decimal(digits.translate(_FULLWIDTH))


def _inside_number(text: str, pos: int) -> bool:
    """The regex may start a match mid-number (017 in 2017%...); such matches are not values."""
    return pos > 0 and (text[pos - 1].isdigit() or text[pos - 1] in ".．")


def _last_boundary(text: str) -> int:
    """Index just after the last clause boundary in `text` (0 if none)."""
    return max(map(text.rfind, _BOUNDARY_CHARS)) + 1


def _ratio_of(gap: str) -> bool:
    """The words after a catalog name make it the base of a ratio (GDP综合能耗下降3.7%)."""
    return bool(_RATIO_OF_RE.search(_PRED_RE.sub("", _GROWTH_RATE_RE.sub("", gap))))


def _is_predicate_only(text: str) -> bool:
    """True if `text` holds nothing but predicate words and punctuation."""
    return not _PRED_RE.sub("", text)


# --------------------------------------------------------------------------
# The scan
# --------------------------------------------------------------------------


@dataclass
class _Context:
    plan_year: int
    review_start: int
    review_end: int
    region_names: tuple[str, ...] = ()  # the region's name and its short form (深圳市, 深圳)
    level_word: str | None = None  # 市 for 深圳市, 区 for 满城区 and 西藏自治区: 全市, 我区 speak of it
    national: bool = False


def extract_indicators(
    body: str, plan_year: int | None, review_start: int | None, review_end: int | None,
    *, region_name: str | None = None,
) -> list[Indicator]:
    """Extract catalog indicators from `body`; see docs/indicators.md for the contract.

    `region_name` (the document's region) tells a figure of the region's own from one whose
    subject is another place named before it (深汕特别合作区地区生产总值增长15%).
    """
    if plan_year is None and review_end is None:
        return []
    if plan_year is None:
        plan_year = review_end + 1  # type: ignore[operator]
    if review_end is None:
        review_end = plan_year - 1
    if review_start is None or review_start > review_end:
        review_start = review_end
    ctx = _Context(plan_year, review_start, review_end, _name_forms(region_name), _level_word(region_name),
                   region_name == "全国")

    text = body  # never rewritten, so offsets are offsets into the caller's body
    # Most of a report has no figures: find unit marks once (a cheap scan), and
    # look closer only at the paragraphs and sentences that hold one.
    marks = [
        m.start()
        for m in _UNIT_MARK_RE.finditer(text)
        if m.group() != "人" or (m.start() > 0 and (text[m.start() - 1].isdigit() or text[m.start() - 1] in "万多余 "))
    ]
    vi = 0
    rows: list[Indicator] = []
    seen: set[tuple] = set()
    section = _Section()
    for para in _PARA_RE.finditer(text):
        p_start, p_end = para.span()
        first = _SENTENCE_RE.match(text, p_start, p_end)
        if first is not None and _is_heading(first.group(), first.end() == p_end):
            section = _classify_heading(first.group(), section, plan_year) or section
        elif first is not None and (glued := _GLUED_HEADING_RE.match(first.group())):
            # 三、2017年政府工作安排五年工作需要一年接着一年干…: a heading run into its paragraph
            section = _classify_heading(glued.group(), section, plan_year) or section
        while vi < len(marks) and marks[vi] < p_start:
            vi += 1
        if vi == len(marks) or marks[vi] >= p_end:
            if "目标" in para.group():
                section = _flip_to_target(para.group(), section)
            continue
        past_paragraph = False
        for sent in _SENTENCE_RE.finditer(text, p_start, p_end):
            start, end = sent.span()
            sentence = sent.group()
            if section.basis == "target" and (_PAST_CUE_RE.search(sentence) or _past_year(sentence, review_end)):
                past_paragraph = True  # 过去一年，我们……: a recap inside the plan section
            elif past_paragraph and _PLAN_CUE_RE.search(sentence):
                past_paragraph = False
            section = _flip_to_target(sentence, section)
            while vi < len(marks) and marks[vi] < start:
                vi += 1
            if vi == len(marks) or marks[vi] >= end:
                continue
            basis = "actual" if past_paragraph else section.basis
            if basis == "actual" and (_TARGET_SENTENCE_RE.search(sentence) or _future_year(sentence, plan_year)):
                basis = "target"
            elif basis == "target" and _ESTIMATE_RE.search(sentence) and not _this_year(sentence, plan_year):
                basis = "actual"  # 预计全年生产总值增长6.4%: last year's outcome, wherever it sits
            multi = section.multi or bool(_MULTI_SENTENCE_RE.search(sentence))
            if multi and _this_year(sentence, plan_year) and not _SPAN_RE.search(sentence):
                multi = False  # 今年/2021年…主要预期目标 inside a five-year part: the plan year's targets
            if not _ALIAS_RE.search(text, start, end):
                continue  # figures without any catalog name
            tokens = list(_TOKEN_RE.finditer(text, start, end))
            for row in _scan_sentence(text, start, end, tokens, basis, multi, ctx):
                key = (row.indicator, row.basis, row.metric, row.period_start, row.period_end, row.value)
                if key not in seen:
                    seen.add(key)
                    rows.append(_with_evidence(row, body, start, end))
    return rows


def _name_forms(region_name: str | None) -> tuple[str, ...]:
    """深圳市 -> (深圳市, 深圳); 黔南布依族苗族自治州 -> (…, 黔南): how a report names itself."""
    if not region_name:
        return ()
    short = re.sub(r"(?:[\u4e00-\u9fff]{1,6}?族)*自治[州县旗区]$|[省市县区州盟旗]$", "", region_name)
    return tuple({region_name, short} - {""})


def _level_word(region_name: str | None) -> str | None:
    """The word a region's report calls itself by after 全/我/本: 市, 县, 区, 州, 省, 盟, 旗."""
    if not region_name or region_name[-1] not in "省市区县州盟旗":
        return None
    return region_name[-1]


def _other_subject(prefix: str, ctx: _Context) -> bool:
    """The clause names a place other than the region right before a catalog name.

    A figure is the region's when its subject is the region (全市, 我县, its own name) or
    when no place is named; a zone, a county, a partner or the nation named as subject
    (深汕特别合作区地区生产总值, 合作区规上工业增加值, 全国GDP) makes it that place's, and so does
    a parent spoken of by its level word (全市 in a district's report, 全省 in a city's).
    """
    m = _PLACE_SUBJECT_RE.search(prefix)
    if m is None:
        return False
    place = m.group("place")
    if _NATION_RE.search(place):
        return not ctx.national
    if _NEVER_OTHER_RE.search(place):
        return False
    if self_word := _SELF_PLACE_RE.search(place):
        return ctx.level_word is not None and self_word["word"] != ctx.level_word
    return not any(place.endswith(name) for name in ctx.region_names)


_PLAN_NUMBERS = {"十一五": 2006, "十二五": 2011, "十三五": 2016, "十四五": 2021, "十五五": 2026, "十六五": 2031}
_NAMED_PLAN_RE = re.compile("|".join(_PLAN_NUMBERS))


def _named_plan(sentence: str, plan_year: int) -> tuple[int, int] | None:
    """The years of the latest five-year plan a sentence names (十四五 -> 2021–2025), if not over."""
    starts = [_PLAN_NUMBERS[name] for name in _NAMED_PLAN_RE.findall(sentence)]
    if not starts or max(starts) + 4 < plan_year:
        return None
    return max(starts), max(starts) + 4


def _this_year(sentence: str, plan_year: int) -> bool:
    """The sentence speaks of the plan year itself: 今年, 年内, or the year written out."""
    return bool(_THIS_YEAR_RE.search(sentence)) or f"{plan_year}年" in sentence


def _past_year(sentence: str, review_end: int) -> bool:
    """A sentence opening with a reviewed year (2005年与2000年相比…) recalls results."""
    m = _LEADING_YEAR_RE.match(sentence)
    return m is not None and int(m.group(1)) <= review_end


def _future_year(sentence: str, plan_year: int) -> bool:
    """到2022年 with a year not yet reached: the sentence sets a target."""
    return any(int(y) >= plan_year for y in _UNTIL_YEAR_RE.findall(sentence))


def _flip_to_target(sentence: str, section: _Section) -> _Section:
    """主要预期目标是: in a body without headings starts the plan part for good."""
    if section.basis == "actual" and _TARGET_FLIP_RE.search(sentence):
        return _Section("target", bool(_PLAN_MULTI_RE.search(sentence)))
    return section


def _with_evidence(row: Indicator, body: str, start: int, end: int) -> Indicator:
    """Attach the evidence sentence (offsets into the caller's body)."""
    return Indicator(**{**row.__dict__, "evidence": body[start:end], "char_start": start, "char_end": end})


def _scan_sentence(
    text: str,
    start: int,
    end: int,
    tokens: list[re.Match[str]],
    basis: str,
    multi: bool,
    ctx: _Context,
) -> list[Indicator]:
    """Walk one sentence's tokens, attaching values to subjects."""
    out: list[Indicator] = []
    if all(tok.lastgroup == "val" for tok in tokens):
        return out  # figures without any catalog name
    group: list[str] | None = None
    history: list[str] = []
    prev_end = start
    prev_kind: str | None = None
    run: list[_Value] = []
    run_gap = ""
    alias_text = ""
    # The sentence's topic when it is another place: 合作区地区生产总值增长15%、规上工业增加值增长20%
    # keeps the zone as subject for the names after it, until the region is named again.
    other_topic = False

    def flush() -> None:
        nonlocal run
        if run and group:
            _emit(run, run_gap, group, history, text[start:end], basis, multi, ctx, out)
        run = []

    for tok in tokens:
        if tok.lastgroup == "val" and _inside_number(text, tok.start()):
            continue
        gap = text[prev_end : tok.start()]
        if tok.lastgroup != "val":
            clause_start = start + _last_boundary(text[start : tok.start()])
            if _DENOMINATOR_RE.search(text[clause_start : tok.start()]):
                continue  # a denominator (占地区生产总值比重, 相当于全市生产总值的比例), not a subject
            flush()
            codes = list(_ALIAS_CODES[tok.lastgroup])
            prefix = text[clause_start : tok.start()]
            if _PLACE_SUBJECT_RE.search(prefix):
                other_topic = _other_subject(prefix, ctx)
            if _SUBSET_RE.search(prefix) or other_topic:
                # 招商引资项目完成固定资产投资220亿元, 合作区地区生产总值增长15%: a part's figure
                prev_kind, prev_end, group = "alias", tok.end(), None
                continue
            if prev_kind == "alias" and group and _CONNECTOR_RE.fullmatch(gap):
                group = group + [c for c in codes if c not in group]
            else:
                group = codes
            history.extend(c for c in codes if c not in history)
            prev_kind, prev_end, alias_text = "alias", tok.end(), tok.group()
            continue
        after_alias = prev_kind == "alias"
        continues_run = prev_kind == "value" and bool(run) and bool(_VALUE_CONNECTOR_RE.fullmatch(gap))
        if not continues_run:
            flush()
            if prev_kind == "alias":
                ok = _is_predicate_only(gap[_last_boundary(gap):]) if _BOUNDARY_RE.search(gap) else not _ratio_of(gap)
            else:
                ok = _is_predicate_only(gap)
            if not ok:
                group = None
        prev_kind, prev_end = "value", tok.end()
        if group is None:
            continue  # nobody to credit: skip decoding
        head = text[start : tok.start()]
        floor = ctx.review_end - 1 if basis == "actual" else ctx.plan_year - 1
        value = _decode_value(tok, gap, head, floor)
        if value.metric is None and after_alias and "增长" in alias_text:
            value.metric = "cagr" if "年均" in alias_text else "growth"  # 经济增长6.5%
        if continues_run:
            if value.metric is None:
                value.metric = run[-1].metric
                value.negative = run[-1].negative
            run.append(value)
        else:
            run = [value]
            run_gap = head
    flush()
    return out


def _emit(
    run: list[_Value],
    sentence_head: str,
    group: list[str],
    history: list[str],
    sentence: str,
    basis: str,
    multi: bool,
    ctx: _Context,
    out: list[Indicator],
) -> None:
    """Pair a run of values (9%和9.5%) with subjects and build rows."""
    if "" in group and len(group) != len(run):
        return  # 一二三产增加值增长5%: which of the three is not said
    _share_qualifier(run)
    if len(group) == len(run) or len(run) == 1:
        pairs = [(code, v) for code, v in zip(group, run)] if len(run) > 1 else [(c, run[0]) for c in group]
    elif (
        len(group) == 1
        and _SPLIT_RE.search(sentence_head[_last_boundary(sentence_head) :])
        and len(history) >= len(run)
    ):  # A 9422元, B 2936元, 扣除价格因素, 分别增长7.7%和6.8%
        pairs = list(zip(history[-len(run) :], run))
    else:
        pairs = [(group[0], v) for v in run]
    for code, v in pairs:
        if not code:
            continue
        row = _build_row(code, v, sentence_head, sentence, basis, multi, ctx)
        if row is not None:
            out.append(row)


def _share_qualifier(run: list[_Value]) -> None:
    """分别增长5%、6.5%左右: a 左右/以上 closing a run of figures covers the bare ones before it."""
    last = run[-1]
    if len(run) > 1 and last.qualifier in ("about", "at_least", "at_most"):
        for value in run[:-1]:
            if value.qualifier == "exact":
                value.qualifier = last.qualifier


def _build_row(
    code: str,
    v: _Value,
    head: str,
    sentence: str,
    basis: str,
    multi: bool,
    ctx: _Context,
) -> Indicator | None:
    """Decide metric and period for one (indicator, value) pair; None if it does not fit."""
    value, high = v.value, v.value_high
    if v.skip:
        return None
    if v.unit == "pct":
        if code in _RATES:
            metric = "level"
        elif code == "cpi":
            metric = "growth"
        elif v.metric is None:
            return None
        else:
            metric = v.metric
        if metric in ("growth", "cagr") and v.negative:
            value = -value
            high = -high if high is not None else None
            if high is not None:
                value, high = high, value
    else:
        if v.unit not in _LEVEL_UNITS.get(code, _DEFAULT_LEVEL_UNITS) or v.increment:
            return None
        metric = "level"
        if multi and code not in _INCOMES and code not in _RATES:
            # 累计 earlier in the sentence, or a flow (jobs, investment) stated for the whole span
            if _CUMULATIVE_RE.search(head) or (code in _FLOWS and not _SINGLE_YEAR_RE.search(sentence)):
                metric = "cumulative"

    until = None
    if basis == "target":
        years = _UNTIL_YEAR_RE.findall(head)
        if years and int(years[-1]) > ctx.plan_year:
            until = int(years[-1])
    if basis == "actual":
        span = (
            (ctx.review_start, ctx.review_end)
            if ctx.review_start < ctx.review_end
            else (ctx.review_end - 4, ctx.review_end)
        )
        if metric in ("cagr", "cumulative") or (multi and code in _RATES):
            period = span
        else:
            period = (ctx.review_end, ctx.review_end)
    else:
        # a growth rate over a span says so (年均, 五年, 到20XX年); a bare one is the plan year's
        span = multi and (metric != "growth" or bool(_SPAN_RE.search(sentence)) or bool(_MULTI_SENTENCE_RE.search(sentence)))
        if span and metric == "growth" and until is None:
            metric = "cagr"  # “十四五”时期…主要目标是：地区生产总值增速7.5%: a rate over the plan's years
        plan = _named_plan(sentence, ctx.plan_year) if span else None
        if metric in ("cagr", "cumulative"):
            period = (plan[0], until or plan[1]) if plan else (ctx.plan_year, until or ctx.plan_year + 4)
        else:
            last = until or (plan[1] if plan else ctx.plan_year + 4 if span else ctx.plan_year)
            period = (last, last)
    return Indicator(
        indicator=code,
        basis=basis,
        metric=metric,
        period_start=period[0],
        period_end=period[1],
        value=value,
        value_high=high,
        unit=v.unit,
        qualifier=v.qualifier,
        is_estimate=basis == "actual" and bool(_ESTIMATE_RE.search(sentence)),
        evidence="",
        char_start=0,
        char_end=0,
    )

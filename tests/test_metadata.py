"""Metadata: whose report (region, level, GB/T 2260 code), for which year, delivered when and by whom."""

from __future__ import annotations

import pytest

from tasks.clean import clean_text
from tasks.metadata import extract_metadata, former_regions, regions
from tests.conftest import FIXTURES, gold_documents

COLUMNS = ("region_code", "region_name", "city", "province", "level", "plan_year", "review_start", "review_end",
           "delivered_on", "speaker")
FIVE_YEAR_REVIEWS = {2008, 2013, 2018, 2023}  # the last report of a government's term reviews all five years


def metadata_of(text: str, **kwargs):
    return extract_metadata(clean_text(text), **kwargs)


def as_csv_row(meta) -> dict[str, str]:
    return {column: "" if getattr(meta, column) is None else str(getattr(meta, column)) for column in COLUMNS}


# -- the seeds ----------------------------------------------------------------------------

@pytest.mark.parametrize("file", sorted(gold_documents()), ids=lambda name: name[:3])
def test_seed_metadata_matches_the_gold_table(file: str):
    gold = gold_documents()[file]
    meta = metadata_of((FIXTURES / "seeds" / file).read_text(encoding="utf-8"))
    assert as_csv_row(meta) == {column: gold[column] for column in COLUMNS}


def test_a_seed_title_comes_from_the_header_not_the_breadcrumb():
    meta = metadata_of((FIXTURES / "seeds" / "003_8ea44d03b180aae3.txt").read_text(encoding="utf-8"))
    assert meta.title == "朝阳区十八届人大一次会议政府工作报告"


# -- national reports ---------------------------------------------------------------------

@pytest.mark.parametrize("year", [2005, 2008, 2013, 2016, 2017, 2018, 2021, 2023, 2024, 2025])
def test_national_reports_are_the_state_council_for_the_year_of_the_file(year: int):
    meta = metadata_of((FIXTURES / "corpus" / "national" / f"{year}.txt").read_text(encoding="utf-8"))
    assert (meta.region_code, meta.region_name, meta.level, meta.city, meta.province) == (
        "000000", "全国", "national", None, None)
    assert meta.plan_year == year
    assert (meta.review_start, meta.review_end) == (year - 5 if year in FIVE_YEAR_REVIEWS else year - 1, year - 1)


def test_a_national_header_gives_date_and_premier_even_with_spaces_in_the_name():
    meta = metadata_of((FIXTURES / "corpus" / "national" / "2024.txt").read_text(encoding="utf-8"))
    assert (meta.delivered_on, meta.speaker) == ("2024-03-05", "李强")


# -- synthetic reports ----------------------------------------------------------------------

BODY = (
    "各位代表:\n现在,我代表区人民政府,向大会报告工作,请予审议。\n一、2018年工作回顾\n"
    "一年来,全区经济平稳增长。\n二、2019年工作安排\n"
    "各位代表,让我们紧密团结在以习近平同志为核心的党中央周围,为建设美好家园而努力奋斗!"
)


def test_a_county_report_names_its_county_and_reads_speaker_and_date():
    text = "政府工作报告\n——2019年1月8日在长沙县第十七届人民代表大会第三次会议上\n长沙县人民政府代县长 李 明\n" + BODY
    meta = metadata_of(text.replace("区人民政府", "县人民政府"))
    assert (meta.region_code, meta.level, meta.city, meta.province) == ("430121", "county", "长沙市", "湖南省")
    assert meta.delivered_on == "2019-01-08"
    assert meta.speaker == "李明" and meta.plan_year == 2019 and (meta.review_start, meta.review_end) == (2018, 2018)


def test_levels_follow_the_division_table():
    meta = metadata_of("2019年沈阳市政府工作报告\n" + BODY.replace("区人民政府", "市人民政府"))
    assert (meta.region_code, meta.level, meta.city, meta.province) == ("210100", "city", "沈阳市", "辽宁省")
    meta = metadata_of("2019年辽宁省政府工作报告\n" + BODY.replace("区人民政府", "省人民政府"))
    assert (meta.region_code, meta.level, meta.province) == ("210000", "province", "辽宁省")
    meta = metadata_of("2019年新民市政府工作报告\n" + BODY.replace("区人民政府", "市人民政府"))
    assert (meta.region_code, meta.level, meta.city) == ("210181", "county", "沈阳市")


def test_a_district_of_a_municipality_has_the_municipality_as_city_and_province():
    meta = metadata_of("2019年天津市河西区政府工作报告\n" + BODY)
    assert (meta.region_code, meta.region_name, meta.city, meta.province, meta.level) == (
        "120103", "河西区", "天津市", "天津市", "district")


def test_an_ambiguous_district_name_is_resolved_by_the_places_the_report_mentions():
    beijing = BODY.replace("一年来,全区经济平稳增长。", "一年来,全区经济平稳增长,望京、CBD与海淀区、东城区协同发展,服务北京冬奥会。")
    changchun = BODY.replace("一年来,全区经济平稳增长。", "一年来,全区经济平稳增长,伊通河治理与南关区、宽城区协同推进,服务长春发展。")
    assert metadata_of("朝阳区政府工作报告\n" + beijing).region_code == "110105"
    assert metadata_of("朝阳区政府工作报告\n" + changchun).region_code == "220104"
    assert metadata_of("长春市朝阳区政府工作报告\n" + beijing).region_code == "220104"  # a named parent wins


def test_the_site_itself_helps_resolve_a_name():
    meta = metadata_of("朝阳区政府工作报告\n" + BODY, site_name="长春市朝阳区人民政府")
    assert meta.region_code == "220104"


def test_a_damaged_date_is_read_with_the_plan_year():
    text = "政府工作报告\n——2019110日在示例区第三届\n人民代表大会第二次会议上\n" + BODY
    assert metadata_of(text).delivered_on == "2019-01-10"


def test_without_date_or_headings_the_title_year_is_the_plan_year():
    text = "安吉县2019年政府工作报告\n县长 杨卫东\n各位代表：\n现在，我代表县人民政府向大会报告工作。\n"
    meta = metadata_of(text)
    assert (meta.region_code, meta.plan_year, meta.review_end, meta.delivered_on) == ("330523", 2019, 2018, None)


def test_a_year_of_work_in_the_title_is_the_reviewed_year_not_the_plan_year():
    assert metadata_of("岳阳楼区政府2017年度工作报告\n各位代表：\n现在，我代表区人民政府向大会报告工作。\n").plan_year != 2017


def test_a_delivery_month_without_a_day_fixes_the_plan_year():
    text = "政府工作报告\n——2018年1月在西藏自治区第十一届人民代表大会第一次会议上\n各位代表：\n现在，我代表自治区人民政府，向大会报告工作。\n"
    meta = metadata_of(text)
    assert (meta.region_code, meta.level, meta.plan_year, meta.delivered_on) == ("540000", "province", 2018, None)


def test_missing_speaker_and_date_are_none_not_guessed():
    meta = metadata_of("区级政府工作报告\n" + BODY)
    assert (meta.speaker, meta.delivered_on) == (None, None)
    assert meta.plan_year == 2019


def test_the_division_table_covers_china_at_three_levels():
    table = regions()
    assert {"province", "city", "district", "county"} == {region.level for region in table.values()}
    assert table["220104"].name == "朝阳区" and table["220104"].parent_code == "220100"
    assert table["120103"].parent_code == "120000"
    assert len([r for r in table.values() if r.level == "province"]) == 34


# -- former divisions (regions_former.csv) ----------------------------------------------------

def body_of(plan_year: int | None, word: str = "区", extra: str = "") -> str:
    """A report body for a plan year (None: no year anywhere), delivered by a 区/县/市 government."""
    review, plan = (f"一、{plan_year - 1}年工作回顾", f"二、{plan_year}年工作安排") if plan_year else ("一、工作回顾", "二、工作安排")
    return (f"各位代表:\n现在,我代表{word}人民政府,向大会报告工作,请予审议。\n{review}\n"
            f"一年来,全{word}经济平稳增长。{extra}\n{plan}\n各位代表,让我们为建设美好家园而努力奋斗!")


def place_of(meta) -> tuple:
    return meta.region_code, meta.region_name, meta.level, meta.city, meta.province


def test_a_2012_report_of_shenyang_dongling_has_the_district_code_of_the_time():
    header = "政府工作报告\n——2012年1月9日在沈阳市东陵区第十六届人民代表大会第二次会议上\n东陵区区长 王明\n"
    meta = metadata_of(header + body_of(2012))
    assert place_of(meta) == ("210112", "东陵区", "district", "沈阳市", "辽宁省")
    assert meta.plan_year == 2012
    assert place_of(metadata_of("东陵区政府工作报告\n" + body_of(2012))) == place_of(meta)  # no city named
    # renamed 浑南区 in 2014, same code
    assert place_of(metadata_of("2019年浑南区政府工作报告\n" + body_of(2019))) == (
        "210112", "浑南区", "district", "沈阳市", "辽宁省")


def test_a_2015_ningxiang_county_report_is_the_county_not_the_later_city():
    meta = metadata_of("2015年宁乡县政府工作报告\n" + body_of(2015, "县"))
    assert place_of(meta) == ("430124", "宁乡县", "county", "长沙市", "湖南省")
    meta = metadata_of("2018年宁乡市政府工作报告\n" + body_of(2018, "市"))  # 撤县设市 2017
    assert place_of(meta) == ("430182", "宁乡市", "county", "长沙市", "湖南省")


def test_a_2018_laiwu_report_is_the_prefecture_level_city_merged_into_jinan_in_2019():
    meta = metadata_of("2018年莱芜市政府工作报告\n" + body_of(2018, "市"))
    assert place_of(meta) == ("371200", "莱芜市", "city", "莱芜市", "山东省")


def test_a_name_in_both_tables_resolves_by_the_plan_year():
    """钢城区 was 371203 under 莱芜市 until the merger, 370117 under 济南市 since; 寿县 moved from 六安 to 淮南 in 2015."""
    assert place_of(metadata_of("2016年钢城区政府工作报告\n" + body_of(2016))) == (
        "371203", "钢城区", "district", "莱芜市", "山东省")
    assert place_of(metadata_of("2020年钢城区政府工作报告\n" + body_of(2020))) == (
        "370117", "钢城区", "district", "济南市", "山东省")
    assert metadata_of("2012年寿县政府工作报告\n" + body_of(2012, "县")).city == "六安市"
    assert metadata_of("2019年寿县政府工作报告\n" + body_of(2019, "县")).city == "淮南市"


def test_without_a_plan_year_the_current_division_wins():
    meta = metadata_of("寿县政府工作报告\n" + body_of(None, "县"))
    assert meta.plan_year is None
    assert place_of(meta) == ("340422", "寿县", "county", "淮南市", "安徽省")


def test_a_former_division_has_its_parent_as_it_then_was():
    assert place_of(metadata_of("2008年襄樊市政府工作报告\n" + body_of(2008, "市"))) == (
        "420600", "襄樊市", "city", "襄樊市", "湖北省")
    assert place_of(metadata_of("2012年襄阳市政府工作报告\n" + body_of(2012, "市"))) == (
        "420600", "襄阳市", "city", "襄阳市", "湖北省")
    # 撤县设区 2002: 长安县 610121 -> 长安区 610116
    assert place_of(metadata_of("2001年长安县政府工作报告\n" + body_of(2001, "县"))) == (
        "610121", "长安县", "county", "西安市", "陕西省")
    assert metadata_of("2008年西安市长安区政府工作报告\n" + body_of(2008)).region_code == "610116"


def test_a_former_name_is_read_whole_not_as_the_current_name_inside_it():
    meta = metadata_of("2019年杭州市下城区政府工作报告\n" + body_of(2019))  # merged into 拱墅区 2021
    assert place_of(meta) == ("330103", "下城区", "district", "杭州市", "浙江省")


def test_the_former_districts_namesakes_are_told_apart_by_context():
    """城区 of 大同 (平城区 since 2018) against the current 城区 of 阳泉, 晋城 ...: the named city decides."""
    assert metadata_of("2010年大同市城区政府工作报告\n" + body_of(2010)).region_code == "140202"
    assert metadata_of("2010年阳泉市城区政府工作报告\n" + body_of(2010)).region_code == "140302"


def test_a_former_name_recalled_in_a_later_report_is_not_its_region():
    extra = "原东陵区、原东陵区、原东陵区的老工业区改造完成,浑南区发展加快,浑南新城初具规模。"  # one mention places nothing
    meta = metadata_of("区级政府工作报告\n" + body_of(2020, extra=extra))
    assert (meta.region_code, meta.region_name) == ("210112", "浑南区")


def test_the_former_table_holds_what_the_current_one_lacks_with_years_and_parents():
    current = {(region.code, region.name) for region in regions().values()}
    former = former_regions()
    assert not {(region.code, region.name) for region in former} & current
    dongling = next(region for region in former if region.name == "东陵区")
    assert (dongling.code, dongling.level, dongling.parent_code, dongling.until) == (
        "210112", "district", "210100", 2013)
    laiwu = next(region for region in former if region.name == "莱芜市")
    assert (laiwu.code, laiwu.level, laiwu.parent_code, laiwu.until) == ("371200", "city", "370000", 2017)
    assert all(region.until is not None and (region.since is None or region.since <= region.until) for region in former)
    assert regions()["210112"].since == 2014 and regions()["210100"].since is None


# -- real shapes: no place in the header, namesakes, years written oddly (issue 12, class B) --------

def county_body(year: int, *, mentions: str, opening: str = "我代表县人民政府") -> str:
    """A county report body that names its county only in passing (容城, 新安), as real ones do."""
    return (
        f"各位代表：\n现在，{opening}，向大会报告工作，请予审议。\n一、{year - 1}年工作回顾\n"
        f"{year - 1}年，在市委、市政府和县委的坚强领导下，县政府团结带领全县人民攻坚克难，全县经济平稳增长。{mentions}\n"
        f"二、{year}年工作安排\n今年全县经济社会发展的主要预期目标是：地区生产总值增长6%左右。\n"
        "各位代表，让我们团结一心，为建设美好家园而努力奋斗！"
    )


@pytest.mark.parametrize(("mentions", "code"), [
    # 容城 named in short, with its city and a neighbour; 在市委、市政府… must not make it a city report
    ("容城发展迈出新步伐，容城人民共享发展成果，融入雄安新区和保定发展大局，与安新、雄县协同推进。", "130629"),
    # 新安县 (洛阳) against 安新县 (保定): only the short name and the parent city tell
    ("新安经开区获评省级先进，新安高质量发展迈出坚实步伐，融入洛阳都市圈建设。", "410323"),
    ("安新白洋淀生态修复成效明显，安新人民生活持续改善，服务雄安新区和保定发展。", "130632"),
    # 高唐县 contains 唐县: the longer name wins, its city decides
    ("高唐县工业经济稳中有进，高唐县入选省级示范县，融入聊城发展。", "371526"),
    ("唐县农业特色产业壮大，唐县获评省级文明县城，融入保定发展。", "130627"),
])
def test_a_county_that_names_itself_only_in_its_body(mentions, code):
    assert metadata_of(county_body(2020, mentions=mentions)).region_code == code


def test_a_namesake_in_the_speaker_line_is_read_whole():
    text = "米易县人民政府县长 王某某\n" + county_body(2022, mentions="米易发展取得新成效，融入攀枝花发展。")
    assert (metadata_of(text).region_code, metadata_of(text).region_name) == ("510421", "米易县")


def test_portal_chrome_in_the_header_does_not_name_the_government():
    """中国政府网 河南省人民政府 … on a city page: the report speaks for the city (我代表市人民政府)."""
    text = (
        "中国政府网 河南省人民政府 繁简 登录\n驻马店市人民政府\n标题：二O一三年政府工作报告\n"
        "各位代表：\n现在，我代表市人民政府，向大会报告工作，请予审议。\n一、2012年工作回顾\n"
        "2012年，全市生产总值增长11.5%。驻马店粮食总产连续增产，驻马店产业集聚区建设加快，遂平县、西平县、上蔡县工业增长较快。\n"
        "二、2013年工作安排\n今年全市生产总值增长10%左右。"
    )
    meta = metadata_of(text)
    assert (meta.region_code, meta.level, meta.plan_year) == ("411700", "city", 2013)


def test_a_municipality_speaks_as_a_city():
    text = "2026年上海市政府工作报告\n各位代表：\n现在，我代表市人民政府，向大会报告工作。\n一、2025年工作回顾\n全市生产总值增长5%。"
    assert metadata_of(text).region_code == "310000"


@pytest.mark.parametrize(("title", "year"), [("二O一三年政府工作报告", 2013), ("二〇一三年政府工作报告", 2013),
                                             ("2 016 年某某县政府工作报告", 2016)])
def test_a_title_year_in_chinese_numerals_or_split_digits(title, year):
    text = f"{title}\n各位代表：\n现在，我代表县人民政府，向大会报告工作。\n一、过去五年工作回顾\n五年来，全县经济平稳增长。"
    assert metadata_of(text).plan_year == year


def test_a_truncated_review_with_split_digits_is_dated_by_its_latest_reviewed_year():
    text = ("各位代表：\n现在，我代表县人民政府，向大会报告工作。\n一、过去五年工作回顾\n"
            "五年来，全县经济保持持续健康发展。2 016 年，全县生产总值完成119.8亿元，是2011年的1.6倍，年均增长 8.2 %；"
            "一般公共预算收入完成5.04亿元，是201 1 年的 2.3 倍。2016年，全县新增就业1.2万人，比2011年增加3000人。")
    assert metadata_of(text).plan_year == 2017


def test_a_scraper_date_the_headings_contradict_is_not_the_delivery():
    text = ("2014年政府工作报告\n年份：2015\n发文时间：2015年3月2日\n各位代表：\n现在，我代表县人民政府，向大会报告工作。\n"
            "一、2013年工作回顾\n2013年，全县经济平稳增长。\n二、2014年工作安排\n今年全县地区生产总值增长8%。")
    meta = metadata_of(text)
    assert (meta.plan_year, meta.review_end, meta.delivered_on) == (2014, 2013, None)


def test_a_paragraph_opening_with_a_far_year_is_not_a_heading():
    text = ("各位代表：\n现在，我代表区政府向大会作工作报告。\n一、“十三五”时期经济社会发展回顾\n五年来，全区经济平稳增长。\n"
            "二、“十四五”时期的主要目标任务\n2035年经济社会发展的远景目标是：基本实现社会主义现代化，建成现代化经济体系。\n"
            "三、2021年政府重点工作任务\n今年全区地区生产总值增长9%。")
    assert metadata_of(text).plan_year == 2021


def test_a_governor_quoted_in_the_opening_does_not_make_a_county_report_provincial():
    text = ("一、2019年工作回顾\n2019年，在市委、市政府和县委的坚强领导下，我们认真贯彻许勤省长调研蠡县讲话精神，全县经济平稳增长。"
            "蠡县毛纺产业转型升级，蠡县获评省级文明县城，融入保定发展，全县上下团结奋斗。\n二、2020年工作安排\n今年全县地区生产总值增长6.5%。")
    meta = metadata_of(text)
    assert (meta.region_code, meta.plan_year) == ("130635", 2020)


def test_a_short_name_that_is_a_word_needs_its_city_named():
    """资源 (资源县, 桂林) and 和县 (省、市和县) are words here; 涞水 with 保定 is the county."""
    body = county_body(2011, mentions="充分利用资源优势，整合资源，盘活资源，省、市和县三级联动。涞水旅游发展迅速，涞水融入保定发展大局。")
    assert metadata_of(body).region_code == "130623"
    assert metadata_of(county_body(2011, mentions="充分利用资源优势，整合资源，盘活资源，省、市和县三级联动。")).region_code is None


def test_a_part_heading_naming_one_year_gives_the_plan_year():
    text = ("各位代表：\n现在，我代表县人民政府向大会报告工作。\n一、回顾“十三五”，我们以脱贫攻坚为统领\n五年来，全县经济平稳增长。\n"
            "二、展望“十四五”，我们站在新的历史起点\n到2035年，基本实现社会主义现代化。\n三、接续奋斗2021年，主动融入京雄保一体化\n今年全县地区生产总值增长8%。")
    assert metadata_of(text).plan_year == 2021


def test_a_province_named_only_in_short_in_its_body():
    text = ("各位代表：\n现在，我代表省人民政府，向大会报告工作，请予审议。\n一、2025年工作回顾\n"
            "过去一年，江苏经济运行稳中有进，全省地区生产总值增长5%，江苏制造业优势进一步巩固，苏州、南京带动作用增强。"
            "江苏人民共享发展成果。\n二、2026年工作安排\n今年全省地区生产总值增长5%左右。")
    meta = metadata_of(text)
    assert (meta.region_code, meta.level, meta.plan_year) == ("320000", "province", 2026)


def test_portal_chrome_loses_to_the_level_the_body_speaks_at():
    """No opening formula (the copy starts at its review): 全市 says it is a city's report."""
    text = ("河南省人民政府\n二O一三年政府工作报告\n一、2012年工作回顾\n2012年，全市生产总值增长11.5%，全市粮食总产连续增产。"
            "驻马店产业集聚区建设加快，驻马店城市面貌明显改善，全市上下团结奋斗。\n二、2013年工作安排\n今年全市生产总值增长10%左右。")
    assert metadata_of(text).region_code == "411700"


def test_a_session_line_in_the_opening_names_the_government():
    text = ("标题：二O一三年政府工作报告\n各位代表：\n在驻马店市第三届人民代表大会第三次会议上，我代表市人民政府向大会报告工作，请予审议。\n"
            "一、2012年工作回顾\n2012年，全市生产总值增长11.5%。\n二、2013年工作安排\n今年全市生产总值增长10%左右。")
    assert (metadata_of(text).region_code, metadata_of(text).plan_year) == ("411700", 2013)


def test_a_mirror_title_the_body_never_repeats_loses_to_the_body():
    """A mirror filed a 高唐县 report under 唐县: the body names 高唐 throughout, never 唐县."""
    text = "唐县2021年政府工作报告\n" + county_body(2021, mentions="高唐县工业经济稳中有进，高唐获评省级文明县城，高唐县融入聊城发展。")
    assert metadata_of(text).region_code == "371526"
    same = "唐县2021年政府工作报告\n" + county_body(2021, mentions="全县农业特色产业壮大，融入保定发展。")
    assert metadata_of(same).region_code == "130627"  # a body naming nothing else leaves the title alone


def test_region_mentions_are_the_longest_names_read_left_to_right_without_overlaps():
    """The scan that jumps between possible first characters finds what trying every character finds."""
    from collections import Counter

    from tasks.metadata import _by_mention, _mentions

    names = _by_mention()
    longest = max(map(len, names))

    def every_character(body: str) -> Counter[str]:
        found: Counter[str] = Counter()
        index = 0
        while index < len(body):
            for length in range(longest, 1, -1):
                if body[index:index + length] in names:
                    found[body[index:index + length]] += 1
                    index += length
                    break
            else:
                index += 1
        return found

    assert min(map(len, names)) >= 2  # what the scan by a name's first two characters relies on
    joined = "".join(sorted(names))
    texts = [joined, joined[::-1], "".join(name[:-1] for name in sorted(names)), "在高唐县和唐县、米易县、易县",
             (FIXTURES / "corpus" / "national" / "2019.txt").read_text(encoding="utf-8")]
    for text in texts:
        assert _mentions(text) == every_character(text)


# -- placement weighs evidence (issue 22, classes H, I, L) -------------------------------------

def city_body(word: str, body: str) -> str:
    return (f"各位代表:\n现在,我代表{word}人民政府,向大会报告工作,请予审议。\n一、2023年工作回顾\n{body}\n"
            f"二、2024年工作安排\n全{word}要稳中求进。各位代表,让我们为建设美好家园而努力奋斗!")


def test_an_implicit_city_is_the_one_whose_counties_the_report_names():
    body = ("汝南县、遂平县工业园区扩容,泌阳县夏南牛产业壮大,上蔡县、汝南县乡村振兴示范,遂平县食品产业集群,泌阳县、"
            "上蔡县全域旅游,驻马店高新区、驻马店经开区提质。援助四川江油灾后重建。全市经济平稳增长。")
    meta = metadata_of(city_body("市", body))
    assert (meta.region_code, meta.region_name, meta.level) == ("411700", "驻马店市", "city")
    assert meta.region_rule == "children named"


def test_an_autonomous_prefecture_is_not_its_seat():
    body = "黔南州经济平稳增长,都匀市、都匀经济开发区、都匀毛尖品牌提升,独山县、荔波县、瓮安县、福泉市协同发展,黔南州全州旅游升温。"
    meta = metadata_of(city_body("州", body))
    assert (meta.region_code, meta.level) == ("522700", "city")


def test_a_typo_in_the_session_line_is_outvoted_by_the_body():
    header = "政府工作报告\n——2024年1月8日在苏州市第六届人民代表大会第四次会议上\n"
    body = "宿州经济平稳增长,埇桥区、砀山县、萧县、灵璧县、泗县协同发展,宿州高新区、宿州经开区提质,宿州马拉松成功举办。"
    meta = metadata_of(header + city_body("市", body))
    assert meta.region_code == "341300"
    partner = "深化与苏州工业园区合作。"  # the typo's city named once in passing confirms it barely
    assert metadata_of(header + city_body("市", body + partner)).region_code == "341300"


def test_an_explicit_self_naming_outranks_any_count_of_a_partner():
    beijing = "承接北京非首都功能,京雄保一体化,北京" * 10 + "。"
    text = ("各位代表:\n现在,我代表保定市人民政府,向大会报告工作,请予审议。\n一、2023年工作回顾\n"
            f"{beijing}全市经济平稳增长。\n二、2024年工作安排\n各位代表,让我们为建设美好家园而努力奋斗!")
    meta = metadata_of(text)
    assert (meta.region_code, meta.region_rule, meta.region_evidence) == ("130600", "self-named opening", "我代表保定市人民政府")
    assert meta.confidence and meta.confidence >= 0.8


def test_a_partial_copy_without_opening_is_placed_by_the_city_it_names_throughout():
    text = ("（二）加快数字保定建设。建成保定市智算中心,推进数字保定、智慧保定、保定大数据产业园建设,"
            "全市5G基站新增3000个,河北省数字经济示范区落地保定。\n（三）深化京雄保协同,主动承接北京非首都功能。")
    meta = metadata_of(text)
    assert meta.region_code == "130600"


def test_the_plan_year_says_which_rule_and_phrase_decided():
    meta = metadata_of(city_body("市", "驻马店经济平稳增长,驻马店高新区提质,汝南县、遂平县协同发展。"))
    assert (meta.plan_year, meta.plan_year_rule) == (2024, "headings")
    assert meta.plan_year_evidence in ("一、2023年工作回顾", "二、2024年工作安排")


def test_a_site_footer_with_its_code_does_not_move_a_report():
    text = city_body("市", "驻马店市经济平稳增长,驻马店高新区提质,汝南县、遂平县协同发展。")
    footer = "\n主办：河南省人民政府办公厅 网站标识码：4100000011 豫ICP备05003232号"
    assert metadata_of(text + footer).region_code == "411700"
    assert extract_metadata(clean_text(text), site_code="4100000011").region_code == "411700"


def test_an_autonomous_prefecture_names_itself_without_its_peoples():
    meta = metadata_of(city_body("黔南州", "全州经济平稳增长。"))
    assert (meta.region_code, meta.region_rule) == ("522700", "self-named opening")


def test_the_sites_division_picks_among_namesakes_the_text_leaves_open():
    """朝阳区 of 北京 or of 长春: a page from a site whose 网站标识码 starts 220104 is 长春's."""
    text = "朝阳区政府工作报告\n" + BODY.replace("一年来,全区经济平稳增长。", "一年来,全区经济平稳增长,朝阳区发展加快,朝阳区民生改善。")
    assert metadata_of(text, site_code="2201040001").region_code == "220104"
    assert metadata_of(text, site_code="1101050001").region_code == "110105"

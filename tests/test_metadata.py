"""Metadata: whose report (region, level, GB/T 2260 code), for which year, delivered when and by whom."""

from __future__ import annotations

import pytest

from tasks.clean import clean_text
from tasks.metadata import extract_metadata, regions
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

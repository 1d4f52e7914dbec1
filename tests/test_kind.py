"""A text's kind from its own heading and voice, not a scraper's header (issue 22, class J)."""

from __future__ import annotations

import pytest

from tasks.clean import clean_page
from tasks.discover import report_kind
from tasks.metadata import extract_metadata
from tasks.parse import parse_text

REVIEW = [
    "过去一年，我们坚持稳中求进工作总基调，全市地区生产总值完成2860亿元，增长5.6%；一般公共预算收入186亿元，增长4.2%。",
    "我们坚持项目为王，实施500万元以上项目612个，完成投资1120亿元；新增规模以上工业企业96家，工业增加值增长7.1%。",
    "我们持续改善民生，城镇新增就业5.3万人，新建改扩建中小学28所，城乡居民人均可支配收入分别增长4.8%和6.9%。",
    "我市深入推进营商环境改革，新登记市场主体4.2万户，全年办结政务服务事项一百八十万件，群众满意度持续提升。",
]
PLAN = [
    "今年全市经济社会发展的主要预期目标是：地区生产总值增长5.5%左右，一般公共预算收入增长5%，城镇新增就业5万人以上。",
    "要坚定不移抓产业，做强先进制造业集群，全年实施重点项目300个，完成投资800亿元以上，培育专精特新企业50家。",
    "要扎实推进乡村振兴，稳定粮食播种面积，新建高标准农田20万亩，促进农民持续增收，巩固拓展脱贫攻坚成果。",
    "我们要加强政府自身建设，坚持依法行政，自觉接受人大法律监督和政协民主监督，建设人民满意的服务型政府。",
]
REPORT_BODY = ["一、2024年工作回顾", *REVIEW * 6, "二、2025年工作安排", *PLAN * 6,
               "各位代表，让我们紧密团结在以习近平同志为核心的党中央周围，为建设现代化新城市而努力奋斗！"]


def kind_of(lines: list[str]):
    return report_kind(parse_text("\n".join(lines), url="file:///t.txt"))


def test_a_newspapers_full_rendering_loads_flagged() -> None:
    lead = "本报讯（记者 陈晨）1月8日上午，市长刘志远在市第十五届人民代表大会第三次会议上作政府工作报告时说："
    kind = kind_of(["政府工作报告", lead, *REPORT_BODY])
    assert (kind.is_report, kind.rule) == (True, "newspaper-framed")
    assert kind.evidence.startswith("本报讯")


def test_an_abridged_report_under_a_news_lead_loads_flagged() -> None:
    kind = kind_of(["市政府工作报告（摘登）", "本报讯 1月8日，市长刘志远代表市人民政府作政府工作报告。现将报告摘登如下：",
                    *REPORT_BODY])
    assert (kind.is_report, kind.rule, kind.evidence) == (True, "abridged", "摘登")


def test_news_of_the_congress_opening_is_refused_whatever_the_scrapers_header() -> None:
    lines = ["标题：2025年市政府工作报告", "来源：市融媒体中心", "【聚焦两会】市第十五届人民代表大会第三次会议隆重开幕",
             "本报讯（记者 陈晨）1月8日上午，市第十五届人民代表大会第三次会议在市会议中心隆重开幕。"
             "大会应出席代表381名，实到代表362名，符合法定人数。大会执行主席王强主持会议。",
             "市委书记赵刚、市人大常委会主任李华等在主席台前排就座。市长刘志远代表市人民政府向大会作政府工作报告。",
             *("报告指出，" + line for line in REVIEW * 3), *("报告提出，" + line for line in PLAN * 3)]
    kind = kind_of(lines)
    assert (kind.is_report, kind.reason) == (False, "not a report: news of the congress")
    assert kind.evidence.endswith("隆重开幕")


def test_a_budget_report_under_a_work_report_header_is_refused() -> None:
    lines = ["标题：2025年市政府工作报告", "关于市2024年预算执行情况和2025年预算（草案）的报告",
             "——2025年1月8日在市第十五届人民代表大会第三次会议上", "市财政局局长 周平", "各位代表：",
             "受市人民政府委托，现将全市2024年预算执行情况和2025年预算草案提请大会审议，请予审议。", *REVIEW * 3]
    assert kind_of(lines).reason == "not a report: budget report"


def test_a_salutation_with_nothing_after_it_is_refused() -> None:
    lines = ["标题：市政府工作报告", "政府工作报告", "——2025年1月8日在市第十五届人民代表大会第三次会议上", "市长 刘志远",
             *["各位代表：", "现在，我代表市人民政府，向大会报告政府工作，请予审议，并请市政协委员和其他列席人员提出意见。"] * 9]
    kind = kind_of(lines)
    assert not kind.is_report and kind.rule == "no body"


def test_a_national_congress_decision_is_refused() -> None:
    lines = ["标题：政府工作报告", "第十四届全国人民代表大会第一次会议关于国务院机构改革方案的决定",
             "（2023年3月10日第十四届全国人民代表大会第一次会议通过）",
             "第十四届全国人民代表大会第一次会议审议了国务院提出的国务院机构改革方案，会议决定，批准这个方案。"
             "国务院机构改革方案的实施，要在以习近平同志为核心的党中央坚强领导下进行，确保各项改革任务落到实处。" * 4]
    kind = kind_of(lines)
    assert (kind.is_report, kind.rule, kind.reason) == (False, "own heading", "not a report: a congress decision")


def test_a_report_with_its_salutation_is_self_named() -> None:
    kind = kind_of(["政府工作报告", "各位代表：", "现在，我代表市人民政府，向大会报告政府工作，请予审议。", *REPORT_BODY])
    assert (kind.is_report, kind.rule, kind.evidence) == (True, "self-named opening", "我代表市人民政府")


def test_an_official_summary_keeps_its_body_from_its_first_heading() -> None:
    """An 摘要 page starts at its first heading; its 各位代表！ deep inside is an address, not its opening."""
    lines = ["2025年市政府工作报告（摘要）", "一、2024年工作回顾", *REVIEW * 6, "二、2025年工作安排",
             *PLAN * 3, "各位代表！新征程催人奋进，新使命重任在肩。我们要以更加昂扬的斗志，奋力谱写新篇章。", *PLAN * 3]
    page = parse_text("\n".join(lines), url="file:///t.txt")
    kind = report_kind(page)
    assert (kind.is_report, kind.rule) == (True, "abridged")
    clean = clean_page(page)
    assert clean.body.startswith("一、2024年工作回顾") and len(clean.body) > 2000
    assert extract_metadata(clean).plan_year == 2025


@pytest.mark.parametrize("lead", [
    "本报讯（记者 陈晨）1月8日上午，市长刘志远作政府工作报告时说：",
    "标题：青州市2009年政府工作报告",
])
def test_a_frame_does_not_outvote_the_reports_own_voice(lead: str) -> None:
    assert kind_of([lead, *REPORT_BODY]).is_report


def test_page_chrome_and_a_title_are_no_body() -> None:
    lines = ["首页 > 政务公开 > 政府信息公开目录 > 政府工作报告", "当前位置：首页 > 政府信息公开 > 规划计划 > 政府工作报告",
             "政府工作报告", "——2025年1月8日在市第十五届人民代表大会第三次会议上", "市长 刘志远",
             *["各位代表：", "现在，我代表市人民政府，向大会报告政府工作，请予审议，并请市政协委员和其他列席人员提出意见。"] * 9,
             "网站标识码：1306000007 主办单位：某某市人民政府办公室 承办单位：某某市大数据中心 地址：某某市东风路1号"]
    assert kind_of(lines).rule == "no body"


def test_a_copy_carries_its_kind_rule_and_evidence() -> None:
    """The pipeline's copy of a page says how its kind was decided (documents.kind_rule/_evidence)."""
    from flows.pipeline import _copy_of
    from tasks.assemble import assess
    from tasks.records import ReportPage, Skip

    lead = "本报讯（记者 陈晨）1月8日上午，市长刘志远在市第十五届人民代表大会第三次会议上作政府工作报告时说："
    page = parse_text("\n".join(["政府工作报告", lead, *REPORT_BODY]), url="file:///t.txt")
    meta = assess(page, "file:///t.txt", thoroughly=True).meta  # thoroughly: this made-up city is placed nowhere
    assert (meta.kind_rule, meta.kind_evidence[:3]) == ("newspaper-framed", "本报讯")
    news = parse_text("\n".join(["标题：市政府工作报告", "【聚焦两会】市第十五届人民代表大会第三次会议隆重开幕", *REVIEW]),
                      url="file:///n.txt")
    skip, _ = _copy_of(ReportPage("file:///n.txt", "dir", "mirror", news, ("0" * 64,), True), fingerprinted=False)
    assert skip == Skip("file:///n.txt", "not a report: news of the congress")

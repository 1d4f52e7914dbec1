"""Discovery rules: report links, look-alikes, pagination, split parts, attachments, page kind."""

from __future__ import annotations

import pytest

from tasks.discover import (
    attachment_links,
    first_part_url,
    is_report_title,
    listing_links,
    lookalike_reason,
    page_kind,
    part_links,
    report_start,
    report_verdict,
)
from tasks.parse import parse_document
from tasks.records import PageText
from tests.webfixture import article_html, listing_html, report_paragraphs

BASE = "http://gov.example/zwgk/zfgzbg/index.html"


@pytest.mark.parametrize("title", [
    "政府工作报告",
    "2021年 政 府 工 作 报 告",
    "2019年XX区政府工作报告",
    "2020年某某市人民政府工作报告",
    "在某某区第十七届人民代表大会第五次会议上的报告",
    "政府工作报告——2021年1月在市第十五届人民代表大会第六次会议上",
])
def test_report_titles(title):
    assert is_report_title(title)


@pytest.mark.parametrize(("title", "reason"), [
    ("关于2019年政府工作报告的解读", "look-alike: 解读"),
    ("图解：2019年政府工作报告", "look-alike: 图解"),
    ("一图读懂2019年政府工作报告", "look-alike: 一图读懂"),
    ("2019年政府工作报告新闻发布会", "look-alike: 新闻发布会"),
    ("关于印发2019年政府工作报告重点工作分工的通知", "look-alike: 分工的通知"),
    ("区人大常委会关于政府工作报告的审议意见", "look-alike: 审议意见"),
    ("关于2019年区政府工作报告的决议", "look-alike: 决议"),
    ("2019年政府工作报告（英文版）", "look-alike: 英文版"),
])
def test_lookalikes(title, reason):
    assert lookalike_reason(title) == reason
    assert not is_report_title(title)


def test_listing_links_reports_skips_and_pagination():
    html = listing_html(
        [("t20190110_123.html", "2019年某某区政府工作报告"),
         ("./t20190111_124.html", "关于2019年政府工作报告的解读"),
         ("/xwzx/t1.html", "区长调研重点项目建设"),
         ("../../files/2022.pdf", "2022年政府工作报告（PDF版）")],
        pager='<a href="index.html">首页</a><a href="index.html">1</a><a href="index_1.html">2</a>'
              '<a href="index_1.html">下一页</a><a href="index_1.html">尾页</a>',
    )
    found = listing_links(html, BASE)
    assert [link.url for link in found.reports] == [
        "http://gov.example/zwgk/zfgzbg/t20190110_123.html", "http://gov.example/files/2022.pdf"]
    assert [(link.url, reason) for link, reason in found.skipped] == [
        ("http://gov.example/zwgk/zfgzbg/t20190111_124.html", "look-alike: 解读")]
    assert found.pages == ("http://gov.example/zwgk/zfgzbg/index_1.html",)


def test_a_nav_link_to_the_column_is_followed_as_a_listing_not_fetched_as_a_report():
    html = listing_html(
        [("/zwgk/zfgzbg/", "政府工作报告"),  # this very column, linked from the nav bar
         ("/zwgk/zfgzbg/index.html", "政府工作报告"),
         ("/qzf/zfgzbg/", "区政府工作报告"),  # another column of reports on the same site
         ("t20230115_1.html", "2023年政府工作报告")],
    )
    found = listing_links(html, BASE)
    assert [link.url for link in found.reports] == ["http://gov.example/zwgk/zfgzbg/t20230115_1.html"]
    assert found.pages == ("http://gov.example/qzf/zfgzbg/",)


def test_trs_js_pager():
    html = listing_html([], pager='<script>createPageHTML(3, 0, "index", "html");</script>')
    found = listing_links(html, BASE)
    assert found.pages == ("http://gov.example/zwgk/zfgzbg/index_1.html", "http://gov.example/zwgk/zfgzbg/index_2.html")


def test_listing_selector_limits_the_link_area():
    html = ("<html><body><div class='hot'><a href='/a.html'>2018年政府工作报告</a></div>"
            "<div class='list'><a href='/b.html'>2019年政府工作报告</a></div></body></html>")
    found = listing_links(html, BASE, selector=".list")
    assert [link.url for link in found.reports] == ["http://gov.example/b.html"]


def test_split_article_parts_in_order():
    pager = ('<div class="page"><a href="t20190110_123.html">1</a><a href="t20190110_123_2.html">3</a>'
             '<a href="t20190110_123_1.html">2</a><a href="t20190110_123_1.html">下一页</a>'
             '<a href="t20190301_200.html">下一篇</a></div>')
    html = article_html("2019年政府工作报告", ["各位代表："], extra_body=pager)
    url = "http://gov.example/zwgk/zfgzbg/t20190110_123.html"
    assert part_links(html, url) == [
        "http://gov.example/zwgk/zfgzbg/t20190110_123_1.html", "http://gov.example/zwgk/zfgzbg/t20190110_123_2.html"]
    assert first_part_url("http://gov.example/a/t20190110_123_2.html") == "http://gov.example/a/t20190110_123.html"
    assert first_part_url("http://gov.example/a/index_2.html") == "http://gov.example/a/index_2.html"


def test_part_links_resolve_only_hrefs_that_can_name_a_part_and_find_what_every_link_would():
    from tasks.discover import _numbered_parts, page_links

    pager = ('<a href="?page=2">本页</a><a href="t20190110_\n123_3.html">4</a><a href="/x/t20190110_123_1.html">外</a>'
             '<a href="t20190110_123_1.html">2</a><a href="http://gov.example/zwgk/zfgzbg/t20190110_123_2.html#p">3</a>'
             '<a href="../zfgzbg/t20190110_123_1.html">2</a><a href="t20190301_200.html">下一篇</a><a href="/">首页</a>')
    html = article_html("2019年政府工作报告", ["各位代表："], extra_body=pager)
    for url in ("http://gov.example/zwgk/zfgzbg/t20190110_123.html", "http://gov.example/zwgk/zfgzbg/t20190110_123_2.html"):
        every = page_links(html, url)
        expected = next((parts for first in dict.fromkeys([url, first_part_url(url)])
                         if (parts := _numbered_parts(every, url, first))), [])
        assert part_links(html, url) == expected
    assert part_links(html, "http://gov.example/zwgk/zfgzbg/t20190110_123_2.html") == [
        "http://gov.example/zwgk/zfgzbg/t20190110_123_1.html", "http://gov.example/zwgk/zfgzbg/t20190110_123_2.html",
        "http://gov.example/zwgk/zfgzbg/t20190110_123_3.html"]


def test_attachment_links():
    extra = '<p>附件：<a href="/files/2021report.pdf">2021年政府工作报告.pdf</a> <a href="x.docx">附件2</a></p>'
    html = article_html("2021年政府工作报告", ["详见附件。"], extra_body=extra)
    urls = [link.url for link in attachment_links(html, "http://gov.example/a/t.html")]
    assert urls == ["http://gov.example/files/2021report.pdf", "http://gov.example/a/x.docx"]


def test_report_verdict():
    assert report_verdict(PageText("u", "t", tuple(["各位代表："] + report_paragraphs(10)))) is None
    assert report_verdict(PageText("u", "t", tuple(report_paragraphs(40)))) is None  # long, many paragraphs
    assert report_verdict(PageText("u", "t", ("楼主：大家觉得今年的报告怎么样？", "沙发"))) == "not a report: no salutation"


# -- real shapes of reports and of texts that look like one (issue 12, class A) ------------------

REVIEW = [
    "2004年，在市委的正确领导下，在市人大、市政协的监督支持下，全市人民团结奋斗，经济社会发展取得新的成绩。"
    "全市生产总值完成318亿元，增长13.2%；地方财政一般预算收入完成15.6亿元，增长18.5%。",
    "工业经济快速发展，规模以上工业增加值增长21.3%，新开工亿元以上项目36个，一批重点企业技术改造项目竣工投产，"
    "工业对经济增长的贡献率进一步提高。",
    "农业和农村经济稳步发展，粮食总产达到二百一十万吨，农民人均纯收入增长百分之十点五，农业产业化经营水平不断提高。",
    "城市建设和管理水平明显提高，完成城建投资四十五亿元，新建改造道路三十条，城市面貌焕然一新，人居环境持续改善。",
    "社会事业全面进步，新增城镇就业三万二千人，城乡低保应保尽保，教育、卫生、文化、体育事业协调发展。",
]
PLAN = [
    "二、2005年工作安排",
    "今年全市经济社会发展的主要预期目标是：全市生产总值增长12%左右，地方财政一般预算收入增长10%，"
    "全社会固定资产投资增长20%，城镇居民人均可支配收入和农民人均纯收入分别增长8%和6%。",
    "做好今年的工作，要坚持以科学发展观统领经济社会发展全局，突出抓好工业强市、项目建设和改革开放三项重点工作，"
    "加快推进工业化、城镇化和农业产业化进程。",
    "一是大力推进工业强市战略，抓好重点项目建设，全年新开工亿元以上项目四十个以上，培育壮大一批骨干企业。",
    "二是加快发展现代农业，稳定粮食生产，促进农民持续增收，扎实推进社会主义新农村建设。",
    "三是切实加强城市建设和管理，完善城市功能，提升城市品位，加快推进城镇化进程。",
]


@pytest.mark.parametrize("lines", [
    # starts at its first section, no salutation anywhere
    ["一、2004年政府工作回顾", *REVIEW, *REVIEW, *PLAN],
    # a title, a session line and the speaker, then straight into prose
    ["某某市人民政府工作报告", "——2005年2月20日在某某市第十二届人民代表大会第三次会议上", "市长  王某某", *REVIEW, *REVIEW, *PLAN],
    # a truncated copy: the speaker line and the five-year review, nothing else
    ["易县人民政府县长刘杰", "一、过去五年工作回顾", *REVIEW, *REVIEW, *REVIEW],
    # an unnumbered first section after the session and speaker lines (阜平 2013)
    ["——2013年3月8日在阜平县第十六届人民代表大会第二次会议上", "阜平县人民政府县长", "徐志清", "站在新起点：2012年工作回顾", *REVIEW, *REVIEW, *PLAN],
    # the speaker line first, then the salutation (易县 2017)
    ["易县人民政府县长刘杰", "各位代表：", "现在，我代表易县人民政府，向大会报告政府工作，请予审议。", *REVIEW],
    # a CPPCC consultation draft of the government's report: 各位委员, but the government speaks
    ["政府工作报告", "（政治协商稿）", "各位委员：", "现在，我代表清苑县人民政府向大会报告工作。请提出宝贵意见。", *REVIEW],
    # no salutation, and it quotes the party congress's report in its first lines
    ["一、2017年工作回顾", "党的十九大报告指出，中国特色社会主义进入新时代。过去一年，全县上下认真学习贯彻党的十九大精神。",
     *REVIEW, *REVIEW, *PLAN],
    # a work report that also submits the five-year plan outline
    ["各位代表：", "现在，我代表市人民政府，向大会报告政府工作，并提请审议《某某市国民经济和社会发展第十四个五年规划和"
     "二〇三五年远景目标纲要（草案）》，请予审议。", *REVIEW],
])
def test_real_report_shapes_are_reports(lines):
    assert report_verdict(PageText("u", lines[0], tuple(lines))) is None


@pytest.mark.parametrize(("lines", "reason"), [
    (["关于某某市国民经济和社会发展第十二个五年规划纲要（草案）的报告", "——2011年1月10日在某某市第十四届人民代表大会第五次会议上",
      "各位代表：", "现在，我代表市人民政府，向大会作关于某某市国民经济和社会发展第十二个五年规划纲要（草案）的报告，请予审议。", *REVIEW],
     "not a report: five-year plan report"),
    (["各位代表：", "我代表市人民政府，向大会作关于第十二个五年规划纲要的报告，请予审议。", *REVIEW],  # no title line
     "not a report: five-year plan report"),
    (["关于某某市2012年预算执行情况和2013年预算草案的报告", "各位代表：",
      "受市人民政府委托，现将某某市2012年预算执行情况和2013年预算草案提请大会审议。", *REVIEW],
     "not a report: budget report"),
    (["关于某某县2012年国民经济和社会发展计划执行情况与2013年计划草案的报告", "各位代表：",
      "受县人民政府委托，现将2012年计划执行情况与2013年计划草案提请大会审议。", *REVIEW],
     "not a report: annual plan report"),
    (["政协某某市第十届委员会常务委员会工作报告", "各位委员：",
      "现在，我代表政协某某市第十届委员会常务委员会，向大会报告工作，请予审议。", *REVIEW],
     "not a report: CPPCC report (各位委员)"),
    (["某某市人民代表大会常务委员会工作报告", "各位代表：",
      "现在，我代表某某市人民代表大会常务委员会，向大会报告工作，请予审议。", *REVIEW],
     "not a report: another body's report (人大常委会, 法院, 检察院, 政协)"),
    (["某某市中级人民法院工作报告", "各位代表：", "现在，我代表市中级人民法院，向大会报告工作，请予审议。", *REVIEW],
     "not a report: another body's report (人大常委会, 法院, 检察院, 政协)"),
    (["市十四届人大三次会议开幕", "1月8日上午，某某市第十四届人民代表大会第三次会议隆重开幕。市长王某某代表市人民政府向大会作政府工作报告。",
      "报告分为三个部分：一、2004年工作回顾；二、2005年工作安排；三、加强政府自身建设。", *REVIEW, *PLAN],
     "not a report: news of the congress"),
    (["2005年政府工作报告解读", "今年的政府工作报告亮点纷呈，记者梳理了其中的关键数字。", *REVIEW, *PLAN],
     "look-alike: 解读"),
    # the plan document itself: no salutation, no speaker, review and plan parts all the same
    (["某某市国民经济和社会发展第十二个五年规划纲要", "第一章 发展基础和发展环境", "“十一五”时期，过去五年全市经济快速发展。",
      *REVIEW, *REVIEW, "第二章 指导思想和发展目标", "今后五年经济社会发展的总体要求是：坚持科学发展。", *PLAN, *PLAN],
     "not a report: five-year plan report"),
    (["某某市2012年预算执行情况和2013年预算草案", "2012年，全市一般公共预算收入完成45亿元，过去一年财政运行平稳。", *REVIEW, *PLAN],
     "not a report: budget report"),
    (["市长王某某作政府工作报告", "1月8日上午，市长王某某在作政府工作报告时指出，过去一年全市经济平稳增长。", *REVIEW, *PLAN],
     "not a report: news about a report"),
    (["某某县人民政府关于全县安全生产工作情况的报告", "主任、各位副主任、各位委员：",
      "受县人民政府委托，我向会议报告全县安全生产工作情况，请予审议。", *REVIEW],
     "not a report: delivered on the government's behalf (受…政府委托)"),
    (["代表热议政府工作报告", "报告说，过去一年全市经济平稳增长，各项事业全面进步。", *REVIEW, *PLAN],
     "not a report: news about a report"),
    (["市十四届人大三次会议举行第二次全体会议", "会议听取和审议了市长王某某所作的政府工作报告，过去一年全市经济平稳增长。",
      *REVIEW, *PLAN], "not a report: news of the congress"),
])
def test_texts_that_look_like_reports_are_skipped_with_their_reason(lines, reason):
    assert report_verdict(PageText("u", lines[0], tuple(lines))) == reason


def test_report_start_finds_the_first_section_before_a_late_salutation():
    lines = ["2019年1月29日某某区第二届人民代表大会第三次会议", "某某区人民政府区长 李某某", "一、2018年工作回顾", *REVIEW,
             "各位代表，成绩来之不易。", *PLAN]
    assert report_start(lines, lines.index("各位代表，成绩来之不易。")) == 2
    assert report_start(["目录", "一、2018年工作回顾", "二、2019年工作安排", "各位代表：", *REVIEW], 3) == 3  # a contents list
    assert report_start(["某某市人民政府工作报告", "市长  王某某", *REVIEW], None) == 2  # no salutation: the first paragraph
    assert report_start(["阜平县人民政府县长", "徐志清", "站在新起点：2012年工作回顾", *REVIEW, "各位代表，任务艰巨。"], 8) == 2


def test_page_kind_tells_listing_from_report():
    report = article_html("2019年政府工作报告", ["各位代表："] + report_paragraphs(10))
    listing = listing_html([(f"t{i}.html", f"{2010 + i}年政府工作报告") for i in range(8)])
    for html, kind in ((report, "report"), (listing, "listing")):
        page = parse_document(html.encode(), url=BASE, content_type="text/html", charset="utf-8")
        assert page_kind(page, html, BASE) == kind

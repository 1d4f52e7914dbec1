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


def test_attachment_links():
    extra = '<p>附件：<a href="/files/2021report.pdf">2021年政府工作报告.pdf</a> <a href="x.docx">附件2</a></p>'
    html = article_html("2021年政府工作报告", ["详见附件。"], extra_body=extra)
    urls = [link.url for link in attachment_links(html, "http://gov.example/a/t.html")]
    assert urls == ["http://gov.example/files/2021report.pdf", "http://gov.example/a/x.docx"]


def test_report_verdict():
    assert report_verdict(PageText("u", "t", tuple(["各位代表："] + report_paragraphs(10)))) is None
    assert report_verdict(PageText("u", "t", tuple(report_paragraphs(40)))) is None  # long, many paragraphs
    assert report_verdict(PageText("u", "t", ("楼主：大家觉得今年的报告怎么样？", "沙发"))) == "not a report: no salutation"


def test_page_kind_tells_listing_from_report():
    report = article_html("2019年政府工作报告", ["各位代表："] + report_paragraphs(10))
    listing = listing_html([(f"t{i}.html", f"{2010 + i}年政府工作报告") for i in range(8)])
    for html, kind in ((report, "report"), (listing, "listing")):
        page = parse_document(html.encode(), url=BASE, content_type="text/html", charset="utf-8")
        assert page_kind(page, html, BASE) == kind

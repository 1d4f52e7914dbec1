"""Decoding, format dispatch and main-content detection."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from pathlib import Path

import docx
import pytest

from tasks.parse import ParseError, decode_html, join_broken_lines, parse_document, read_local_file
from tests.webfixture import article_html, make_pdf, report_paragraphs, wrap


def test_gbk_with_charset_only_in_meta():
    html = article_html("2019年政府工作报告", ["各位代表：现在，我代表区人民政府向大会报告工作。"])
    text, charset = decode_html(html.encode("gbk"), None)
    assert charset == "gb18030"
    assert "各位代表" in text


def test_gb18030_without_any_declaration_is_detected():
    html = article_html("2019年政府工作报告", report_paragraphs(8), charset_meta=None)
    text, charset = decode_html(html.encode("gb18030"), None)
    assert charset in ("gb18030", "gbk", "gb2312", "big5") or "gb" in charset
    assert "地区生产总值" in text


def test_header_charset_wins_and_gb2312_maps_to_gb18030():
    data = "<p>镕</p>".encode("gb18030")  # 镕 is outside GB2312
    assert decode_html(data, "GB2312") == ("<p>镕</p>", "gb18030")


def test_utf8_bom():
    assert decode_html("\ufeff<p>报告</p>".encode("utf-8"), None) == ("<p>报告</p>", "utf-8")


def test_main_content_lines_title_site_and_chrome():
    paragraphs = ["各位代表："] + report_paragraphs(5)
    data = article_html("2019年某某区政府工作报告", paragraphs).encode("gbk")
    page = parse_document(data, url="http://x/t.html", content_type="text/html", charset=None)
    assert list(page.lines) == paragraphs
    assert page.title == "2019年某某区政府工作报告"
    assert page.site_name == "某某区人民政府"
    assert "京ICP备05060708号" in page.chrome_text
    assert "首页" not in "".join(page.lines)


def test_content_farm_page_picks_the_article_not_the_link_lists():
    ads = "".join(f'<li><a href="/x{i}.html">热门推荐第{i}条资讯点击查看精彩内容</a></li>' for i in range(40))
    paragraphs = ["各位代表："] + report_paragraphs(6)
    html = f"""<html><head><title>2019年政府工作报告全文 - 某某资讯网</title>
    <meta property="og:site_name" content="某某资讯网"></head><body>
    <div class="side"><ul>{ads}</ul></div>
    <div class="main"><div class="content">{''.join(f'<p>{p}</p>' for p in paragraphs)}</div>
    <div class="ad">广告：低价代办营业执照，联系电话12345678</div></div>
    <div class="hot"><ul>{ads}</ul></div></body></html>"""
    page = parse_document(html.encode(), url="http://m/1.html", content_type="text/html; charset=utf-8", charset="utf-8")
    assert list(page.lines) == paragraphs
    assert page.site_name == "某某资讯网"


def test_br_separated_paragraphs_in_a_table_cell():
    paragraphs = report_paragraphs(4)
    html = ("<html><body><table><tr><td><a href='/'>首页</a></td></tr><tr><td class='bt'>"
            + "<br>".join(paragraphs) + "</td></tr></table></body></html>")
    page = parse_document(html.encode(), url="http://x/", content_type="text/html", charset="utf-8")
    assert list(page.lines) == paragraphs


def test_content_selector_override():
    html = "<html><body><div id='a'><p>甲乙丙丁戊己庚辛壬癸甲乙丙丁</p></div><div id='b'><p>短文</p></div></body></html>"
    page = parse_document(html.encode(), url="http://x/", content_type="text/html", charset="utf-8", content_selector="#b")
    assert page.lines == ("短文",)


def test_pdf_text_with_broken_lines_rejoined():
    paragraph_one = "各位代表：" + "".join(report_paragraphs(2))
    paragraph_two = "".join(report_paragraphs(2, tag="二"))
    lines = ["2021年政府工作报告"] + wrap(paragraph_one, 30) + wrap(paragraph_two, 30)
    page = parse_document(make_pdf(lines, title="2021年政府工作报告"), url="http://x/r.pdf",
                          content_type="application/pdf", charset=None)
    assert page.title == "2021年政府工作报告"
    assert page.lines[0] == "2021年政府工作报告"
    assert page.lines[1] == paragraph_one
    # a printed line that happens to end in 。 is taken as a paragraph end (the spec'd rule)
    assert "".join(page.lines[2:]) == paragraph_two
    assert all(line.endswith("。") for line in page.lines[1:])


def test_join_broken_lines_keeps_headings_and_sentence_ends():
    lines = ["一、过去一年工作回顾这一年我们", "做了很多工作取得了显著的成效。", "（一）经济发展稳中有进", "二、今年的主要任务"]
    assert join_broken_lines(lines) == [
        "一、过去一年工作回顾这一年我们做了很多工作取得了显著的成效。", "（一）经济发展稳中有进", "二、今年的主要任务",
    ]


def test_corrupt_pdf_raises_readable_parse_error():
    with pytest.raises(ParseError, match="^PDF could not be parsed: "):
        parse_document(b"%PDF-1.4\nthis is not really a pdf", url="http://x/r.pdf", content_type=None, charset=None)


def test_docx_paragraphs_and_tables():
    document = docx.Document()
    document.add_paragraph("2022年政府工作报告")
    document.add_paragraph("各位代表：")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "地区生产总值"
    table.rows[0].cells[1].text = "增长6%"
    buffer = io.BytesIO()
    document.save(buffer)
    page = parse_document(buffer.getvalue(), url="http://x/r.docx", content_type=None, charset=None)
    assert page.lines == ("2022年政府工作报告", "各位代表：", "地区生产总值 增长6%")


def test_corrupt_docx_and_legacy_doc():
    with pytest.raises(ParseError, match="^DOCX could not be parsed"):
        parse_document(b"PK\x03\x04garbage word/", url="http://x/r.docx", content_type=None, charset=None)
    with pytest.raises(ParseError, match=r"\.doc"):
        parse_document(b"\xd0\xcf\x11\xe0rest", url="http://x/r.doc", content_type=None, charset=None)


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream", None])
def test_an_image_or_other_binary_is_a_parse_error_not_mojibake(content_type):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    with pytest.raises(ParseError, match="^not a text document"):
        parse_document(png, url="http://x/zfgzbg/2019.html", content_type=content_type, charset=None)


def test_read_local_files(tmp_path):
    (tmp_path / "a.txt").write_bytes("2019年政府工作报告\n\n各位代表：\n".encode("gbk"))
    (tmp_path / "b.html").write_bytes(article_html("报告", ["各位代表："] + report_paragraphs(3)).encode("gbk"))
    txt = read_local_file(tmp_path / "a.txt")
    assert txt.lines == ("2019年政府工作报告", "各位代表：")
    assert read_local_file(tmp_path / "b.html").lines[0] == "各位代表："
    (tmp_path / "c.xls").write_bytes(b"x")
    with pytest.raises(ParseError, match="unsupported file type"):
        read_local_file(tmp_path / "c.xls")


# -- main content on real-world structures (issue 11): one test per failure class -----------------

NAV = '<div class="nav"><a href="/">首页</a> <a href="/a/">新闻</a> <a href="/b/">政务</a> <a href="/c/">服务</a></div>'
FOOTER = '<div class="footer">版权所有：某某市人民政府 地址：某某路1号 备案号：京ICP备05060708号</div>'


def _lines(html: str, charset: str = "utf-8") -> list[str]:
    page = parse_document(html.encode(charset), url="http://x/a.html", content_type="text/html", charset=charset)
    return list(page.lines)


def _page(body: str, title: str = "标题") -> str:
    return f"<html><head><title>{title}</title></head><body>{NAV}{body}{FOOTER}</body></html>"


def test_a_container_whose_paragraphs_are_divs_returns_all_of_them():
    paragraphs = report_paragraphs(6)
    body = ('<div class="TRS_Editor"><div class="Custom_UnionStyle">'
            + "".join(f"<div>{p}</div>" for p in paragraphs) + "</div></div>")
    assert _lines(_page(body)) == paragraphs


def test_sibling_paragraphs_in_a_layout_cell_join_the_longest_one():
    paragraphs = report_paragraphs(3) + ["短段落：各位代表。", "第九段。" + "过去一年，我们坚持稳中求进。" * 12]
    links = "".join(f'<a href="/n{i}">相关新闻第{i}条标题很长很长</a><br>' for i in range(12))
    cell = f"<table><tr><td>{links}{''.join(f'<p>{p}</p>' for p in paragraphs)}{links}</td></tr></table>"
    assert _lines(_page(cell)) == paragraphs


def test_sections_of_br_lines_join_however_small_but_a_smaller_section_of_another_kind_does_not():
    big, small = report_paragraphs(6), report_paragraphs(2, tag="二")
    notice = ["版权声明：本网站刊登的所有作品均已获得授权，未经书面许可不得转载、摘编或者以其他方式使用。",
              "一、任何单位或个人在任何平台上使用上述作品，均须事先取得授权并注明出处。"]
    article = f'<p>{"<br>".join(big)}</p><p>{"<br>".join(small)}</p><p>{"<br>".join(big[:3])}</p>'
    body = f'<div class="main"><div id="essay">{article}</div><div id="notice">{"<br>".join(notice)}</div></div>'
    assert _lines(_page(body)) == big + small + big[:3]


def test_an_aspnet_page_inside_one_form_keeps_its_article_and_drops_the_controls():
    paragraphs = report_paragraphs(4)
    body = ('<form id="aspnetForm" method="post"><input type="hidden" name="__VIEWSTATE" value="dDwtMTA4">'
            '<select name="s"><option>请选择栏目</option><option>政务公开栏目选项</option></select>'
            f'<div class="content">{"".join(f"<p>{p}</p>" for p in paragraphs)}</div>'
            '<textarea>请输入留言内容</textarea><button>提交</button></form>')
    assert _lines(_page(body)) == paragraphs


def test_paragraphs_inside_inline_wrappers_and_custom_tags_beat_a_title_cell_and_a_copyright_line():
    paragraphs = report_paragraphs(5)
    body = ('<text id="http://example/1"><center><table><tr><td><font size="5">这是一个标题单元格里的标题文字</font></td></tr>'
            '<tr><td><font color="#000"><span>' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</span></font></td></tr>"
            '<tr><td>Copyright 2005 版权所有 本网站所有内容未经书面授权不得转载或镜像，违者必究。</td></tr></table></center></text>')
    lines = _lines(_page(body))
    at = lines.index(paragraphs[0])
    assert lines[at:at + len(paragraphs)] == paragraphs
    assert len(lines) <= len(paragraphs) + 2  # at most the plain lines around the article in the same table


def test_chrome_class_names_are_matched_as_whole_tokens():
    article = report_paragraphs(5)
    sidebar = ["侧栏。" + "这是一段侧栏里的推荐文字，内容较长但不是正文。" * 8]
    body = (f'<div class="sidebar">{"".join(f"<p>{p}</p>" for p in sidebar)}</div>'
            f'<div class="padding-big-top">{"".join(f"<p>{p}</p>" for p in article)}</div>')
    assert _lines(_page(body)) == article


def test_a_link_list_nested_in_the_article_by_an_unclosed_p_does_not_sink_it():
    paragraphs = report_paragraphs(4)
    related = "".join(f'<li><a href="/r{i}">相关阅读：第{i}篇文章的标题</a></li>' for i in range(8))
    body = (f'<div class="content"><p>{paragraphs[0]}<p>{paragraphs[1]}<ul>{related}</ul>'
            f'<p>{paragraphs[2]}<p>{paragraphs[3]}</div>')
    lines = _lines(_page(body))
    assert [line for line in lines if line in paragraphs] == paragraphs


def test_undeclared_gbk_with_two_broken_bytes_is_still_gb18030():
    html = article_html("政府工作报告", report_paragraphs(6), charset_meta=None).encode("gbk")
    broken = html.replace("第3段".encode("gbk"), "第3段".encode("gbk") + b"\xff\xfe", 1)
    text, charset = decode_html(broken, None)
    assert charset == "gb18030"
    assert "第4段" in text and text.count("\ufffd") <= 2


def test_a_comment_section_does_not_outscore_a_short_post():
    post = report_paragraphs(2)
    comments = "".join(
        f'<div class="item"><span>网友{i}号</span><span>2021-03-0{i % 9 + 1} 12:3{i % 10}</span>'
        f"<p>评论第{i}条：我觉得这篇文章写得很好，说出了大家的心里话，希望有关部门认真落实。</p></div>"
        for i in range(10))
    body = f'<div class="main"><div class="post">{"".join(f"<p>{p}</p>" for p in post)}</div><div class="list">{comments}</div></div>'
    assert _lines(_page(body)) == post


def test_forum_replies_do_not_join_the_first_post():
    posts = "".join(
        f'<table class="t_msg"><tr><td>楼主{i} 发表于 2019-01-1{i} 09:1{i}</td></tr><tr><td>'
        + ("".join(f"<p>{p}</p>" for p in report_paragraphs(4)) if i == 0 else f"<p>回复{i}：顶！支持一下，楼主辛苦了，谢谢分享这么长的好文章。</p>")
        + "</td></tr></table>" for i in range(6))
    lines = _lines(_page(f'<div id="postlist">{posts}</div>'))
    assert "\n".join(report_paragraphs(4)) in "\n".join(lines)
    assert not any(line.startswith("回复") for line in lines)


def test_wechat_sections_entities_crlf_and_a_strong_split_sentence():
    paragraphs = report_paragraphs(4)
    body = ('<div id="js_content">' + "".join(f"<section><section><p>{p}</p></section></section>" for p in paragraphs)
            + "<section><p>各位代表，&ensp;我们要<strong>\r\n坚定信心\r\n</strong>，&nbsp;奋发有为。</p></section></div>")
    lines = _lines(_page(body).replace("\n", "\r\n"))
    assert lines[:4] == paragraphs
    assert lines[4].replace(" ", "") == "各位代表，我们要坚定信心，奋发有为。"


def test_a_post_of_short_sentences_beats_the_longer_date_and_source_line_above_it():
    body = ('<div class="article"><h1>通知</h1><div class="info">发布时间：2018-02-09 来源：某某区人民政府办公室 浏览次数：1024</div>'
            '<div class="TRS_Editor"><p>一图读懂政府工作报告。</p><p>数据来源：区统计局。</p></div></div>')
    assert _lines(_page(body))[-2:] == ["一图读懂政府工作报告。", "数据来源：区统计局。"]


def test_a_stray_closing_html_tag_mid_page_keeps_the_rest_of_the_article():
    paragraphs = report_paragraphs(6)
    body = f'<div class="content">{"".join(f"<p>{p}</p>" for p in paragraphs[:3])}</html>{"".join(f"<p>{p}</p>" for p in paragraphs[3:])}</div>'
    assert _lines(_page(body)) == paragraphs


REAL = Path(__file__).parent / "fixtures" / "real" / "cwced"


def _f1(pred: str, gold: str) -> float:
    """Character 3-gram F1 (NFKC, whitespace removed), as shared/real/score_extraction.py scores."""
    def grams(text: str) -> Counter[str]:
        s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
        return Counter(s[i:i + 3] for i in range(max(0, len(s) - 2)))
    a, b = grams(pred), grams(gold)
    common = sum((a & b).values())
    return 2 * common / (sum(a.values()) + sum(b.values())) if common else 0.0


@pytest.mark.parametrize("gold", sorted((REAL / "gold").glob("*.txt")), ids=lambda path: path.stem[:8])
def test_real_pages_main_text_matches_the_gold(gold: Path):
    """Real pages, one per failure class (fixtures/real/cwced/README.md); readability-lxml scores 0.004-0.994 on them."""
    data = (REAL / "html" / f"{gold.stem}.html").read_bytes()
    page = parse_document(data, url="http://x/page.html", content_type="text/html", charset=None)
    assert _f1("\n".join(page.lines), gold.read_text(encoding="utf-8")) >= 0.9


def test_cjk_count_is_the_number_of_ideographs_short_or_long():
    from tasks.parse import cjk_count

    one_by_one = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
    every = "".join(chr(code) for code in range(0x110000))  # lone surrogates too
    for text in (every, every[0x3300:0x3500], every[0x3300:0x3500] * 9, "", "各位代表：2024年", "㐀䶵龥豈\U00020000" * 300):
        assert cjk_count(text) == len(one_by_one.findall(text))

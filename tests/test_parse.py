"""Decoding, format dispatch and main-content detection."""

from __future__ import annotations

import io

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

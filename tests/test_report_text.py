"""Real report texts as mirrors and official pages store them: the body runs from the salutation
to the closing paragraph, the delivery date and speaker are read in every common form, and the
cleanest official copy is the canonical one.

Fixtures in tests/fixtures/real/bodies/ are real files from ../shared/real (prov2026_dev: the
人民数据 newspaper database and official pages; baoding_counties: the 中国县域 mirror and plain
county texts), with the middle of long reports cut out; the synthetic cases below each carry
one kind of junk the real files show, in a form the fixtures do not.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.pipeline import run_pipeline
from tasks.clean import clean_page, clean_text, junk_score
from tasks.dedupe import group_copies
from tasks.metadata import extract_metadata
from tasks.parse import parse_document, read_local_file
from tasks.records import CleanText, Copy, DocumentMeta
from tests.conftest import FIXTURES

BODIES = FIXTURES / "real" / "bodies"
# what page junk leaves in a body: the scorer's list and the classes of issue 13
JUNK = ("相关报道", "（下转第", "（紧接第", "扫一扫", "打印本页", "关闭窗口", "【字号", "【字体", "阅读量", "下载\n打印",
        "点击图片", "免责声明", "标签：", "本站", "内容摘要", "名词解释", "注释", "附件", "责任编辑", "&nbsp;", "&ensp;",
        "当前位置", "您的位置", "来源：", "时间：", "记者", "马 克", "display:", "\u200b")

# file: (delivered_on, speaker, the body's last words)
REAL = {
    "prov2026_AH.txt": ("2026-02-05", "王清宪", "奋力谱写中国式现代化安徽篇章！"),
    "prov2026_GS.txt": ("2026-01-27", "任振鹤", "奋力谱写中国式现代化甘肃篇章！"),
    "prov2026_HN.txt": ("2026-02-03", "毛伟明", "奋力谱写中国式现代化湖南篇章不懈奋斗！"),
    "prov2026_NX.txt": ("2026-02-03", "张雨浦", "共圆伟大中国梦而团结奋斗！"),
    "prov2026_SC.txt": ("2026-02-03", "施小琳", "为谱写中国式现代化四川新篇章不懈奋斗！"),
    "prov2026_HI.txt": ("2026-01-27", "刘小明", "奋力谱写中国式现代化海南篇章！"),
    "prov2026_YN.txt": ("2026-01-28", "王予波", "美好蓝图变为幸福实景！"),
    "zgxy_130608_2024.txt": ("2024-01-23", "李英英", "加快书写清苑高质量发展的新篇章！"),
    "zgxy_130683_2022.txt": ("2022-01-27", "梁忠林", "以优异的成绩向党的二十大献礼！"),
    "plain_130624_2021.txt": ("2021-02-05", "贾瑞生", "奋力谱写新时代阜平发展的崭新篇章!"),
    "plain_130629_2019.txt": (None, None, "为开创容城更加美好的明天而努力奋斗！"),
}

OPENING = ["各位代表：", "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。", "一、2025年工作回顾"]
REVIEW = [f"过去一年，全省地区生产总值增长{n}.1%，一般公共预算收入增长3%，城乡居民收入稳步增长，各项事业取得新进展，第{n}项工作扎实推进。"
          for n in range(1, 13)]
PLAN = ["二、2026年工作安排", "2026年经济社会发展的主要预期目标是：地区生产总值增长5%左右，城镇调查失业率5.5%左右。"]
CLOSING = "各位代表！让我们更加紧密地团结在以习近平同志为核心的党中央周围，为奋力谱写中国式现代化新篇章而努力奋斗！"
REPORT = [*OPENING, *REVIEW, *PLAN, CLOSING]
HEADER = ["2026年示例省政府工作报告", "——2026年1月27日在示例省第十四届人民代表大会第四次会议上", "示例省省长 王示例"]


def clean_lines(*lines: str) -> CleanText:
    return clean_text("\n".join(lines))


# -- E: clean bodies, real files -------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_body_runs_from_the_salutation_to_the_closing_paragraph(name: str):
    body = clean_page(read_local_file(BODIES / name)).body
    assert body.startswith(("各位代表", "一、")) and body.endswith(REAL[name][2])
    assert [junk for junk in JUNK if junk in body] == []


def test_a_glossary_after_the_closing_is_cut_and_its_marks_leave_the_sentences():
    body = clean_page(read_local_file(BODIES / "prov2026_HI.txt")).body
    assert "［1］" not in body and "一降三减：" not in body
    assert "要统筹用好“三个立法权”，聚焦重点领域" in body  # the mark ［28］ is gone from the sentence


def test_an_annex_whose_items_read_like_part_headings_is_still_cut():
    body = clean_page(read_local_file(BODIES / "zgxy_130683_2022.txt")).body
    assert "安国市2022年十大工程" not in body and "项目名称" not in body and "责任单位：" not in body
    assert "“七种能力”:政治能力" not in body  # the glossary after the annex


def test_the_mirror_header_and_summary_repeat_stay_out_of_the_body():
    clean = clean_page(read_local_file(BODIES / "zgxy_130608_2024.txt"))
    assert clean.body.startswith("各位代表、同志们：\n现在，我代表区政府向大会作工作报告")
    assert clean.body.count("现在，我代表区政府") == 1 and "????" not in clean.body
    assert clean.title == "保定市清苑区2024年政府工作报告"


def test_a_site_signature_glued_after_the_closing_sentence_is_dropped():
    body = clean_page(read_local_file(BODIES / "plain_130629_2019.txt")).body
    assert body.endswith("为开创容城更加美好的明天而努力奋斗！") and "百度" not in body


# -- E: clean bodies, one junk class each ------------------------------------------------------------

def test_newspaper_page_jumps_are_cut_out_and_the_sentence_they_split_is_joined():
    split = REVIEW[3]
    text = clean_lines(*HEADER, *OPENING, *REVIEW[:3], split[:20] + "（下转第四版）", "（紧接第一版）" + split[20:],
                       REVIEW[4][:30] + "(下转2版)" + REVIEW[4][30:], *REVIEW[5:7],
                       REVIEW[7][:25] + "（下转A3版）", "来源：示例日报", "时间：2026-02-06", "（上接A1版）" + REVIEW[7][25:],
                       *REVIEW[8:], *PLAN, CLOSING)
    assert text.body == "\n".join(REPORT)


def test_photo_captions_toolbars_and_info_lines_inside_the_body_are_dropped():
    caption = "1月27日，示例省第十四届人民代表大会第四次会议开幕。省长王示例作政府工作报告。本报记者 李明 摄"
    text = clean_lines("下载", "打印", "全屏", "收藏", "【字号：", "加大", "还原", "减小", "】", *HEADER, "来源：示例日报",
                       "时间：2026-02-06", *OPENING, *REVIEW[:6], caption, "图为示例市高新区。", "▲示例港集装箱码头。",
                       *REVIEW[6:], "来源：示例日报", "时间：2026-02-06", *PLAN, CLOSING, "相关报道：", "代表热议政府工作报告")
    assert text.body == "\n".join(REPORT)
    assert text.title == "2026年示例省政府工作报告"


def test_an_official_page_keeps_only_the_report_and_not_its_repeat_after_the_close_window_link():
    text = clean_lines("当前位置：首页 > 政务公开 > 政府工作报告", "2026年示例省政府工作报告", "发布时间：2026-02-02 09:30",
                       "阅读量：", "【字体：大 中 小】", *HEADER[1:], *REPORT, "名词解释",
                       "1.“两重”：是指国家重大战略实施和重点领域安全能力建设。", "2.“两新”：是指大规模设备更新和消费品以旧换新。",
                       "扫一扫在手机打开当前页", "【打印本页】", "【关闭当前页面】", "2026年示例省政府工作报告", "各位代表：现在，我代表…")
    assert text.body == "\n".join(REPORT)


def test_css_text_entities_footnote_marks_and_zero_width_characters_are_not_body_text():
    text = clean_lines(*HEADER, *OPENING[:2], "footer {display: block !important;}", ".TRS_Editor P{margin-top:5px;",
                       "line-height:2;font-family:宋体;", "font-size:12pt;}", OPENING[2],
                       "全省生产总值达到5.4\u200b万亿元，增长5.1%[1]，城镇新增就业62万人［2］。",
                       "坚持&nbsp;稳中求进&ensp;工作总基调。", *REVIEW, *PLAN, CLOSING,
                       ".share-bar{float:right;margin:0 4px}", "扫一扫在手机打开当前页")
    assert "footer" not in text.body and "share-bar" not in text.body and "TRS_Editor" not in text.body
    assert "font" not in text.body
    assert "全省生产总值达到5.4万亿元，增长5.1%，城镇新增就业62万人。" in text.body
    assert "坚持 稳中求进 工作总基调。" in text.body


def test_a_paragraph_split_by_a_zero_width_line_is_joined_and_keeps_its_number():
    """The national 2017 report on Wikisource: 国内生产总值达到74.4 / \u200b / 万亿元，增长6.7%."""
    text = (FIXTURES / "corpus" / "national" / "2017.txt").read_text(encoding="utf-8")
    body = clean_text(text).body
    assert "国内生产总值达到74.4万亿元，增长6.7%" in body
    assert "为打造人类命运共同体作出新的贡献" in body


def test_a_rallying_line_that_ends_a_section_does_not_end_the_report():
    rally = "我们要以更大力度推进改革开放，为全省发展大局作出新的更大贡献！"
    section = ["（三）持续保障和改善民生", "坚持尽力而为、量力而行，办好十件民生实事，城镇新增就业60万人以上，居民收入增长和经济增长同步。"]
    report = [*OPENING, *REVIEW[:4], *PLAN, *REVIEW[4:], rally, *section, CLOSING]
    assert clean_lines(*HEADER, *report).body == "\n".join(report)


def test_the_title_is_the_report_title_not_a_caption_or_a_label():
    caption = "政府工作报告。 示例日报记者 李森 摄"
    assert clean_lines(caption, "政府工作报告", *HEADER[1:], *REPORT).title == "政府工作报告"
    assert clean_lines("标题：2026年示例省政府工作报告", *HEADER[1:], *REPORT).title == "2026年示例省政府工作报告"


# -- F: delivery date and speaker ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_report_gives_its_delivery_date_and_speaker(name: str):
    meta = extract_metadata(clean_page(read_local_file(BODIES / name)))
    assert (meta.delivered_on, meta.speaker) == REAL[name][:2]


def test_a_date_line_in_chinese_numerals_wins_over_the_page_publish_time():
    meta = extract_metadata(clean_lines("2026年示例省政府工作报告", "时间：2026-02-10",
                                        "——二〇二六年一月二十七日在示例省第十四届人民代表大会第四次会议上", "示例省省长 王示例", *REPORT))
    assert (meta.delivered_on, meta.plan_year) == ("2026-01-27", 2026)
    meta = extract_metadata(clean_lines("2026年示例省政府工作报告", "2026年02月10日 07时41分", "来源:", "示例日报",
                                        "2026年2月3日在示例省第十四届人民代表大会第五次会议上", "示例省省长 王示例", *REPORT))
    assert meta.delivered_on == "2026-02-03"
    assert extract_metadata(clean_lines("政府工作报告", "——二〇二五年十二月三十一日在示例省人民代表大会上",
                                        *REPORT)).delivered_on == "2025-12-31"


@pytest.mark.parametrize("speaker_lines", [
    ["新疆维吾尔自治区人民政府主席艾尔肯·吐尼亚孜"],
    ["自治区主席 艾尔肯•吐尼亚孜"],
    ["自治区主席", "艾尔肯·吐尼亚孜"],
    ["艾尔肯·吐尼亚孜"],
], ids=["no-space", "bullet-dot", "title-then-name", "name-alone"])
def test_a_speaker_with_a_middle_dot_is_read_in_every_common_form(speaker_lines: list[str]):
    meta = extract_metadata(clean_lines("政府工作报告", "——2026年1月27日在新疆维吾尔自治区第十四届人民代表大会第四次会议上",
                                        *speaker_lines, *REPORT))
    assert meta.speaker == "艾尔肯·吐尼亚孜"


def test_a_speaker_named_only_by_the_photo_caption_is_read_from_it():
    meta = extract_metadata(clean_lines("2026年示例省政府工作报告", "——2026年2月3日在示例省第十四届人民代表大会第五次会议上",
                                        "省长王示例代表省人民政府向大会作政府工作报告。本报记者 朱江 摄", *REPORT))
    assert meta.speaker == "王示例"


@pytest.mark.parametrize("header_html", [
    "<p>——2026年1月27日在新疆维吾尔自治区第十四届人民代表大会第四次会议上<br/>自治区主席<br/><strong>艾尔肯·吐尼亚孜</strong></p>",
    "<p>——2026年1月27日在新疆维吾尔自治区第十四届</p><p>人民代表大会第四次会议上</p><p><strong>自治区主席 艾尔肯·吐尼亚孜</strong></p>",
    "<p style='text-align:center'>——二〇二六年一月二十七日在新疆维吾尔自治区第十四届人民代表大会第四次会议上</p>"
    "<p style='text-align:center'><strong>艾尔肯·吐尼亚孜</strong></p>",
], ids=["br-strong", "split-delivery-line", "strong-name-alone"])
def test_an_official_page_header_gives_date_and_speaker_however_its_html_breaks_it(header_html: str):
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT)
    html = (f"<html><head><title>2026年新疆维吾尔自治区政府工作报告_新疆维吾尔自治区人民政府网</title></head><body>"
            f"<div class='crumb'>当前位置：首页 &gt; 政务公开</div><div class='article'><h1>政府工作报告</h1>{header_html}"
            f"{paragraphs}</div><div class='foot'>扫一扫在手机打开当前页</div></body></html>")
    page = parse_document(html.encode("utf-8"), url="https://www.xinjiang.gov.cn/a.html", content_type="text/html",
                          charset="utf-8")
    meta = extract_metadata(clean_page(page))
    assert (meta.delivered_on, meta.speaker) == ("2026-01-27", "艾尔肯·吐尼亚孜")


# -- G: canonical copy ------------------------------------------------------------------------------

def _copy(url: str, authority: str, clean: CleanText) -> Copy:
    meta = DocumentMeta(title=None, region_code="650000", region_name="新疆维吾尔自治区", city=None, province="新疆维吾尔自治区",
                        level="province", plan_year=2026, review_start=2025, review_end=2025, delivered_on=None,
                        speaker=None)
    return Copy(url=url, source_name=None, authority=authority, clean=clean, meta=meta, raw_sha256=url)


def test_among_mirrors_the_cleanest_copy_is_canonical_even_when_a_junkier_one_is_longer():
    clean = clean_lines(*HEADER, *REPORT)
    junky = CleanText(body=clean.body + "\n相关报道：\n代表热议政府工作报告", header="", title=None)
    truncated = CleanText(body="\n".join(REPORT[:-3]) + "\n2026年经济社会发展的主要预期目标是：地区生产总值", header="", title=None)
    assert junk_score(clean) == 0 and junk_score(junky) > 0 and junk_score(truncated) > 0
    (group,) = group_copies([_copy("file:///a/junky.txt", "mirror", junky), _copy("file:///b/clean.txt", "mirror", clean),
                             _copy("file:///c/cut.txt", "mirror", truncated)])
    assert group.canonical.url == "file:///b/clean.txt"


def test_the_official_copy_stays_canonical_over_a_cleaner_mirror():
    clean = clean_lines(*HEADER, *REPORT)
    official = CleanText(body=clean.body + "\n相关报道：", header="", title=None)
    (group,) = group_copies([_copy("file:///m.txt", "mirror", clean), _copy("https://gov/o.html", "official", official)])
    assert group.canonical.url == "https://gov/o.html"


def _report_file(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_backfill_from_dir_with_authority_official_makes_the_official_page_canonical(tmp_path: Path):
    """A junky newspaper-database text loaded first as a mirror, then the official page with
    --authority official: one document whose canonical copy is the official page."""
    header = [line.replace("示例省", "河北省") for line in HEADER]  # a real province (its level word 省 as the opening says): a report needs a place to load
    mirror = _report_file(tmp_path / "mirror", "XJ.txt", ["下载", "打印", "全屏", "收藏", *header, *REPORT, "相关报道：",
                                                           "代表热议政府工作报告", "自治区人大代表审议政府工作报告"])
    official = _report_file(tmp_path / "official", "XJ.txt", [*header, *REPORT])
    db = tmp_path / "warehouse.duckdb"
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=mirror.parent)
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=official.parent, from_dir_authority="official")
    with duckdb.connect(str(db), read_only=True) as con:
        (canonical, body, sources), = con.execute("SELECT canonical_url, body, source_count FROM documents").fetchall()
        authorities = dict(con.execute("SELECT url, authority FROM document_sources").fetchall())
    assert canonical == official.resolve().as_uri() and sources == 2
    assert authorities == {official.resolve().as_uri(): "official", mirror.resolve().as_uri(): "mirror"}
    assert body == "\n".join(REPORT)


def test_the_authority_option_takes_only_official_or_mirror(capsys, tmp_path: Path):
    with pytest.raises(SystemExit) as stop:
        main(["backfill", "--from-dir", str(tmp_path), "--authority", "gov", "--db", str(tmp_path / "w.duckdb")])
    assert stop.value.code == 2
    assert "--authority" in capsys.readouterr().err


def test_an_official_site_name_is_not_taken_for_a_watermark_inside_the_report():
    """福建省人民政府门户网站 on the page, 省政府门户网站 in a sentence: neither 门户网 nor 府门户网 is a farm."""
    sentence = "省政府门户网站评估连续4年全国第一，政务服务“一网通办”持续深化，互联网医院加快建设。"
    report = [*OPENING, sentence, *REVIEW, *PLAN, CLOSING]
    page = parse_document(("<html><head><title>2026年福建省政府工作报告_福建省人民政府门户网站</title></head><body>"
                           "<div class='article'>" + "".join(f"<p>{line}</p>" for line in [*HEADER, *report]) +
                           "</div><div class='foot'>福建省人民政府门户网站 版权所有</div></body></html>").encode("utf-8"),
                          url="https://www.fujian.gov.cn/a.html", content_type="text/html", charset="utf-8")
    clean = clean_page(page)
    assert clean.watermarks_removed == () and sentence in clean.body


def test_page_chrome_glued_onto_the_closing_sentence_is_split_off():
    glued = CLOSING + "相关报道：代表热议政府工作报告 扫一扫在手机打开当前页【打印本页】【关闭窗口】"
    assert clean_lines(*HEADER, *REPORT[:-1], glued).body == "\n".join(REPORT)

"""Cleaning: a scraped page in, the report body (各位代表 … closing paragraph) out.

The seed pages are real copies with their real junk; the synthetic pages below
each carry one kind of junk so a failure names what slipped through.
"""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path

import pytest

from tasks.clean import clean_page, clean_text, match_key, normalize_for_hash
from tasks.records import PageText
from tests.conftest import FIXTURES, GOLD

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))

BOILERPLATE = (
    "您当前的位置", "当前位置", "发布时间", "来源:", "浏览量", "浏览次数", "字体", "打印", "分享到",
    "主办单位", "ICP备", "公网安备", "签到天数", "积分", "本帖最后由", "您需要登录后才可以回帖", "Powered by",
    "下面是小编为大家整理的", "推荐访问", "【精选推荐】", "页: [1]", "老秘网", "木木文档网",
)

REPORT = [
    "各位代表:",
    "现在,我代表区人民政府,向大会报告工作,请予审议,并请区政协委员和其他列席人员提出意见。",
    "一、2017年工作回顾",
    "一年来,我区经济平稳增长,地区生产总值增长7.5%。我区获评全国文明城区,我区营商环境持续优化。",
    "我区新增就业1.2万人,城镇登记失业率控制在3%以内。我区完成民生实事十项。",
    "二、2018年工作安排",
    "2018年,我区地区生产总值预期增长7%左右,一般公共预算收入增长6%。",
    "各位代表,让我们紧密团结在以习近平同志为核心的党中央周围,为建设美好家园而努力奋斗!",
]
BODY = "\n".join(REPORT)
HEADER = ["政府工作报告", "——2018年1月5日在示例区第三届人民代表大会第二次会议上", "示例区人民政府区长 张三"]


def char_f1(got: str, want: str) -> float:
    matcher = difflib.SequenceMatcher(None, got, want, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched / (len(got) + len(want)) if got or want else 1.0


def page(*lines: str, title: str | None = None, site_name: str | None = None, chrome_text: str = "") -> PageText:
    return PageText(url="http://example.test/report.html", title=title, lines=tuple(lines),
                    site_name=site_name, chrome_text=chrome_text)


# -- the seeds ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.name[:3])
def test_seed_body_is_exactly_the_gold_body(seed: Path):
    text = seed.read_text(encoding="utf-8")
    gold = (GOLD / "seeds_bodies" / seed.name).read_text(encoding="utf-8").rstrip("\n")
    body = clean_text(text, title=text.splitlines()[0]).body
    print(f"{seed.name}: char F1 {char_f1(body, gold):.4f}")
    assert body == gold


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.name[:3])
def test_seed_body_keeps_no_page_junk(seed: Path):
    body = clean_text(seed.read_text(encoding="utf-8")).body
    assert body.startswith("各位代表")
    assert [junk for junk in BOILERPLATE if junk in body] == []


def test_the_content_farm_name_inside_sentences_is_cut_out():
    clean = clean_text((FIXTURES / "seeds" / "000_872d7ad3495691a0.txt").read_text(encoding="utf-8"))
    assert clean.watermarks_removed == ("老秘网",)
    assert "我老秘网区" not in clean.body and "我区作为东北首个城" in clean.body


def test_the_header_keeps_title_date_and_speaker_lines_for_metadata():
    clean = clean_text((FIXTURES / "seeds" / "001_209cad49592183ba.txt").read_text(encoding="utf-8"))
    assert "2017年12月25日在岳阳楼区第五届人民代表大会第二次会议上" in clean.header
    assert "黄建文" in clean.header.splitlines()[-1]


# -- one kind of junk per page ----------------------------------------------------------------

def test_cms_breadcrumbs_info_lines_share_bar_and_footer_are_dropped():
    clean = clean_page(page(
        "首页 > 政务公开 > 政府工作报告", "您当前的位置: 首页 > 政务公开", "发布时间:2018-01-10 来源:区政府办",
        "浏览次数:1024", "【字体:大 中 小】【打印】", *HEADER, *REPORT,
        "分享到: 微信 微博 QQ空间", "【打印本页】【关闭窗口】", "主办单位:示例区人民政府办公室",
        "京ICP备12345678号 京公网安备11010502030000号",
    ))
    assert clean.body == BODY
    assert clean.header.splitlines()[-1] == "示例区人民政府区长 张三"


def test_a_related_article_list_is_cut_even_when_it_quotes_another_report():
    clean = clean_page(page(
        *HEADER, *REPORT,
        "相关文章",
        "示例区2017年政府工作报告",
        "各位代表:现在,我代表区人民政府,向大会报告工作,请予审议。",
    ))
    assert clean.body == BODY


def test_a_related_list_without_a_heading_stops_at_the_second_report_opening():
    clean = clean_page(page(
        *HEADER, *REPORT,
        "示例区2016年政府工作报告",
        "现在,我代表区人民政府,向大会报告工作,请予审议,并请区政协委员提出意见。",
    ))
    assert clean.body == BODY


def test_forum_chrome_user_stats_edit_note_replies_and_login_prompt_are_dropped():
    clean = clean_page(page(
        "设为首页收藏本站", "查看: 588|回复: 3", "[复制链接]", "TA的每日心情", "签到天数: 727 天", "[LV.9]以坛为家II",
        "积分", "146870", "发表于 2023-5-6 19:38:02 | 显示全部楼层 |阅读模式",
        "本帖最后由 老王 于 2023-5-6 19:40 编辑", *HEADER, *REPORT,
        "发表于 2023-5-7 08:00:00 | 显示全部楼层", "谢谢楼主分享!", "使用道具 举报",
        "您需要登录后才可以回帖 登录 | 立即注册", "Powered by Discuz! X3.4",
    ))
    assert clean.body == BODY


def test_content_farm_preamble_decorations_and_tail_are_dropped():
    opening = "".join(REPORT[:2])
    clean = clean_page(page(
        "当前位置:首页 > 范文 > 正文", "示例区政府工作报告【精选推荐】",
        f"{opening}下面是小编为大家整理的示例区政府工作报告【精选推荐】,供大家参考。", *HEADER, *REPORT,
        "推荐访问:示例区 政府工作报告", "更多范文请关注本站",
    ))
    assert clean.body == BODY
    assert clean.title == "示例区政府工作报告"


# -- damage to the text itself ---------------------------------------------------------------

def test_a_farm_name_seen_in_the_page_chrome_is_cut_out_of_sentences():
    marked = [line.replace("我区", "我星火公文网区") for line in REPORT]
    clean = clean_page(page(*HEADER, *marked, site_name="星火公文网", chrome_text="星火公文网 版权所有"))
    assert clean.watermarks_removed == ("星火公文网",)
    assert clean.body == BODY


def test_a_known_farm_name_is_cut_out_even_without_page_evidence():
    marked = [line.replace("我区", "我第一范文网区", 1) for line in REPORT]
    assert clean_page(page(*marked)).body == BODY


def test_an_unknown_name_repeated_inside_sentences_is_recognised_as_inserted():
    marked = [line.replace("我区", "我青松范文库网区", 1) for line in REPORT]  # other 我区 stay as they were
    clean = clean_page(page(*marked))
    assert clean.watermarks_removed == ("青松范文库网",)
    assert clean.body == BODY


def test_real_words_ending_in_net_are_not_watermarks():
    report = [*REPORT[:3], "推进互联网与实体经济融合,完成农村电网改造,城乡电网覆盖率达100%。", *REPORT[3:]]
    clean = clean_page(page(*report, site_name="示例区人民政府网"))
    assert clean.watermarks_removed == ()
    assert "互联网" in clean.body and "农村电网" in clean.body


def test_pdf_style_hard_line_breaks_are_reflowed_into_paragraphs():
    wrapped = [
        "各位代表:",
        "现在,我代表区人民政府,向大会报告工作,请予审议,",
        "并请区政协委员和其他列席人员提出意见。",
        "一、2017年工作回顾",
        "一年来,我区经济平稳增长,地区生产总值增长7.5%,一般",
        "公共预算收入增长8%,固定资产投资增长10%,社会消费品零",
        "售总额增长9%。我区获评全国文明城区,营商环境持续优化。",
        "二、2018年工作安排",
        "2018年,我区地区生产总值预期增长7%左右,一般公共预算",
        "收入增长6%,城镇新增就业1万人以上,居民收入同步增长。",
    ]
    assert clean_page(page(*wrapped)).body.splitlines() == [
        "各位代表:",
        "现在,我代表区人民政府,向大会报告工作,请予审议,并请区政协委员和其他列席人员提出意见。",
        "一、2017年工作回顾",
        "一年来,我区经济平稳增长,地区生产总值增长7.5%,一般公共预算收入增长8%,固定资产投资增长10%,"
        "社会消费品零售总额增长9%。我区获评全国文明城区,营商环境持续优化。",
        "二、2018年工作安排",
        "2018年,我区地区生产总值预期增长7%左右,一般公共预算收入增长6%,城镇新增就业1万人以上,居民收入同步增长。",
    ]


def test_an_html_page_keeps_its_paragraphs_even_when_one_lacks_punctuation():
    report = [*REPORT[:3], "一年来,我区经济平稳增长,地区生产总值增长7.5%", *REPORT[3:]]
    assert clean_page(page(*report)).body.splitlines() == report


def test_the_body_keeps_natural_punctuation_and_the_match_key_folds_widths():
    fullwidth = [line.replace(",", "\uff0c").replace(":", "\uff1a") for line in REPORT]
    clean = clean_page(page(*fullwidth))
    assert "\uff0c" in clean.body
    assert match_key(clean.body) == match_key(BODY)
    assert match_key("我区 GDP 增长7.5%,“稳中求进”。") == "我区GDP增长75稳中求进"  # every punctuation mark goes


def test_hash_normalisation_ignores_layout_only():
    assert normalize_for_hash("  各位代表:\n\n现在,我 代表\tthe  people\n") == "各位代表:\n现在,我代表 the people"
    assert normalize_for_hash(BODY) == normalize_for_hash("\n\n".join(f"  {line}  " for line in REPORT))


def test_a_page_without_a_salutation_has_no_body():
    clean = clean_page(page("首页 > 新闻", "示例区召开经济工作会议", "会议指出,要稳中求进。"))
    assert clean.body == ""


def test_the_seed_farm_name_is_found_without_the_known_farm_list(monkeypatch):
    monkeypatch.setattr("tasks.clean.KNOWN_FARMS", ())
    text = (FIXTURES / "seeds" / "000_872d7ad3495691a0.txt").read_text(encoding="utf-8")
    gold = (GOLD / "seeds_bodies" / "000_872d7ad3495691a0.txt").read_text(encoding="utf-8").rstrip("\n")
    clean = clean_text(text)
    assert clean.watermarks_removed == ("老秘网",)
    assert clean.body == gold


def test_the_match_key_is_the_per_character_definition_on_every_code_point_and_fixture():
    """The translate table gives exactly the keys of the plain per-character test (dedupe keys stored
    by earlier runs stay comparable)."""
    def reference(text: str) -> str:
        folded = unicodedata.normalize("NFKC", text)
        return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch)[0] in "PZC"))

    every = "".join(chr(code) for code in range(0x110000))
    fixtures = [p.read_text(encoding="utf-8", errors="replace")
                for p in sorted((Path(__file__).parent / "fixtures").rglob("*.txt"))[:200]]
    bmp = every[:0x10000]  # within it the key is looked up as an array, beyond by str.translate
    for text in [every, bmp, bmp[::-1], "a\u200d\u0301 \u1100\u1161 \uff21\u0301\u3000x\u00a0y", *fixtures]:
        assert match_key(text) == reference(text)


def test_the_one_pass_match_key_table_is_nfkc_wherever_it_answers():
    """The table folds and drops a character at a time; that is NFKC only where no character can compose
    with or reorder around its neighbours, which the table checks by category (a mark or a Hangul jamo):
    every canonical pair's second half must be one, or the check would miss a composition."""
    from tasks.clean import _JAMO, _Composes, _KeyChars

    for code in range(0x110000):
        parts = (unicodedata.decomposition(chr(code)) or "<").split()
        if not parts[0].startswith("<") and len(parts) == 2:
            second = chr(int(parts[1], 16))
            assert unicodedata.category(second)[0] == "M" or _JAMO.match(second), hex(code)

    def reference(text: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", text)
                       if not (ch.isspace() or unicodedata.category(ch)[0] in "PZC"))

    table, answered = _KeyChars(), []
    for code in range(0x30000):  # every code point with a decomposition is below 0x2FA1E
        try:
            table[code]
        except _Composes:
            continue
        answered.append(chr(code))
    assert len(answered) > 100_000
    for text in ("".join(answered), "".join(reversed(answered)), "".join(answered[::7] + answered[::-3])):
        assert text.translate(table) == reference(text)
    assert match_key("Ａ\u0301ｂ，“两重”[1]") == reference("Ａ\u0301ｂ，“两重”[1]") == "Áb两重1"  # falls back to NFKC


def test_tidying_a_page_at_once_is_tidying_each_line():
    from tasks.clean import _tidy_lines

    lines = ["  “两重”[1]建设", "各位代表：", "区长?? 程?? 杰", "74.4\u200b万亿元&nbsp;",
             "【精选推荐】下面是小编为大家整理的报告，供大家参考。", "（下转第四版）坚持", "[2] 注释", "  "]
    assert _tidy_lines(lines) == [_tidy_lines([line])[0] for line in lines]
    assert _tidy_lines(lines)[:4] == ["“两重”建设", "各位代表：", "区长  程  杰", "74.4万亿元"]

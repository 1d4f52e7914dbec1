"""Metamorphic tests of a text's kind on every real report (issue 22, class J).

Each report of the real sets (tests/fixtures/real/sets/*: documents.csv and pages/) is transformed
in ways a scraper or a newspaper transforms reports. Some must NOT change its kind (it still
loads as a report): a scraper's header with a wrong title, a reporter's lead prepended, only the
first or last third kept, the opening removed. Others MUST change it (it is refused): the text
reframed as news of the congress opening, or headed as a budget report. Each transformation's
pass rate is printed (`pytest -s`) and held to 0.95.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tasks.clean import clean_page
from tasks.discover import report_kind
from tasks.parse import parse_text, read_local_file
from tasks.records import PageText

SETS = Path(__file__).parent / "fixtures" / "real" / "sets"
MIN_RATE = 0.95
MIN_BODY_CHARS = 300  # flows.pipeline.MIN_BODY_CHARS: a shorter cleaned body is refused


@cache
def reports() -> tuple[tuple[str, str], ...]:
    """(name, text) of every labelled report in the sets, as stored."""
    found = []
    for documents in sorted(SETS.glob("*/documents.csv")):
        with open(documents, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("kind", "report") in ("report", ""):
                    page = read_local_file(documents.parent / "pages" / row["file"])
                    found.append((f"{documents.parent.name}/{row['file']}", "\n".join(page.lines)))
    return tuple(found)


def loads(text: str) -> bool:
    """The pipeline's decision: the kind is a report and cleaning leaves a body."""
    page = parse_text(text, url="file:///kind.txt")
    return report_kind(page).is_report and len(clean_page(page).body) >= MIN_BODY_CHARS


# -- transformations ----------------------------------------------------------------------------

NUMERAL = "一二三四五六七八九十"
OPENING = re.compile(r"各位(?:人大)?代表|我代表|请予审议|提出意见")
SENTENCE = re.compile(r"[^。！？]{12,}[。！？]")


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def wrong_header(text: str) -> str:
    """A scraper's header naming another report."""
    return "标题：青州市2009年政府工作报告\n来源：政府门户网站\n发布时间：2012-05-06 10:21\n浏览次数：312\n" + text


def news_lead(text: str) -> str:
    """A newspaper's rendering: a reporter's lead sentence for the opening, then the report."""
    return ("本报讯（记者 李明 通讯员 王芳）1月8日上午，市长张建国在市第十五届人民代表大会第三次会议上"
            "作政府工作报告时说：\n" + opening_removed(text))


def _third(text: str) -> int:
    """Where a third of the text ends: the first sentence end after a third of its characters
    (a mirror copy may hold the whole report in a few lines)."""
    cut = text.find("。", len(text) // 3)
    return len(text) // 3 if cut < 0 else cut + 1


def first_third(text: str) -> str:
    return text[: _third(text)]


def last_third(text: str) -> str:
    return text[len(text) - _third(text[::-1]) + 1:] if "。" in text else text[-(len(text) // 3):]


def opening_removed(text: str) -> str:
    """Everything up to the last line of the opening formula (title, date, 各位代表, 我代表…) dropped."""
    lines = _lines(text)
    head = [i for i, line in enumerate(lines[:15]) if OPENING.search(line)]
    return "\n".join(lines[head[-1] + 1:] if head else lines[1:])


def congress_news(text: str) -> str:
    """The congress-opening news that quotes the report in the third person, under a scraper's header."""
    quoted = SENTENCE.findall(opening_removed(text))[:40]
    frames = ("报告指出，", "报告提出，", "他说，", "报告强调，")
    body = "\n".join(frames[i % len(frames)] + sentence for i, sentence in enumerate(quoted))
    return ("标题：市政府工作报告\n【聚焦两会】市第十五届人民代表大会第三次会议隆重开幕\n"
            "本报讯（记者 李明）1月8日上午，市第十五届人民代表大会第三次会议在市会议中心隆重开幕。"
            "大会应出席代表381名，实到代表362名，符合法定人数。市领导王强、刘华、陈军等在主席台前排就座。"
            "大会执行主席赵刚主持会议。市长张建国代表市人民政府向大会作政府工作报告。\n"
            f"{body}\n"
            "大会还书面审查了市2024年国民经济和社会发展计划执行情况与2025年计划草案、预算执行情况与预算草案。"
            "市政协委员、各界人士代表列席会议。\n（责任编辑：孙丽）")


def budget_heading(text: str) -> str:
    """The report's title replaced by a budget report's own first line, under a work report's header."""
    return ("标题：市政府工作报告\n市2024年预算执行情况和2025年预算（草案）的报告\n"
            "——2025年1月8日在市第十五届人民代表大会第三次会议上\n市财政局局长 周平\n各位代表：\n"
            "受市人民政府委托，现将全市2024年预算执行情况和2025年预算草案提请大会审议，"
            "并请市政协委员和其他列席人员提出意见。\n" + opening_removed(text))


KEEPS: dict[str, Callable[[str], str]] = {
    "as stored": lambda text: text,
    "wrong scraper header": wrong_header,
    "reporter's lead": news_lead,
    "first third only": first_third,
    "last third only": last_third,
    "opening removed": opening_removed,
}
CHANGES: dict[str, Callable[[str], str]] = {
    "congress-opening news": congress_news,
    "budget report heading": budget_heading,
}


def pass_rate(transform: Callable[[str], str], *, must_load: bool) -> tuple[float, list[str]]:
    failed = [name for name, text in reports() if loads(transform(text)) != must_load]
    return 1 - len(failed) / len(reports()), failed


@pytest.fixture(scope="module", autouse=True)
def _have_reports() -> None:
    assert len(reports()) >= 100, "tests/fixtures/real/sets holds the real sets"


@pytest.mark.parametrize("name", KEEPS)
def test_a_report_stays_a_report(name: str) -> None:
    rate, failed = pass_rate(KEEPS[name], must_load=True)
    print(f"kind kept, {name}: {rate:.2f} ({len(reports())} reports)")
    assert rate >= MIN_RATE, failed


@pytest.mark.parametrize("name", CHANGES)
def test_a_reframed_report_is_refused(name: str) -> None:
    rate, failed = pass_rate(CHANGES[name], must_load=False)
    print(f"kind changed, {name}: {rate:.2f} ({len(reports())} reports)")
    assert rate >= MIN_RATE, failed


def test_transformations_are_what_they_say() -> None:
    text = "政府工作报告\n各位代表：\n现在，我代表市人民政府向大会报告工作，请予审议。\n一、2024年工作回顾\n过去一年，我们稳中求进。"
    assert opening_removed(text).startswith("一、2024年工作回顾")
    assert congress_news(text).count("报告指出，") == 1
    assert isinstance(parse_text(budget_heading(text), url="u"), PageText)

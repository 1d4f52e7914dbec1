"""Metamorphic check of placement and dating on real report texts.

Each report of a real set (tests/fixtures/real/sets/*: documents.csv, pages/) is read as stored and
after transformations that must not change whose report it is nor its plan year: the opening
removed, the session line removed or its place name dropped, the self-name reduced to 市/县, a
partner or the parent named ten times, a scraper's wrong title or a reporter's lead prepended,
only the first or last third (or half) kept, a site footer with its 网站标识码 appended. The pass
rate of each transformation is the share of reports whose region_code and plan_year stay the labelled
ones; "wrong" the share with a value that is not (a missing one is a skipped text, not a wrong one).

    .venv/bin/python bench/metamorphic.py [SETDIR ...] [--details]

Without SETDIR, the three sets under tests/fixtures/real/sets. Metadata functions are called
directly (parse, clean, extract_metadata): no warehouse, about a minute for the 113 reports.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.clean import clean_page  # noqa: E402
from tasks.metadata import Region, _ancestors, former_regions, regions, short_name  # noqa: E402
from tasks.parse import parse_text, read_local_file  # noqa: E402
from tasks.metadata import extract_metadata  # noqa: E402

SETS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real" / "sets"
NUMERAL = "一二三四五六七八九十"
HEAD_LINES = 40  # where a session line or the opening may stand
SESSION = re.compile(
    rf"(?:(?:19|20)\d\d\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日\s*)?在?(?P<place>[\u4e00-\u9fff]{{0,16}}?)"
    rf"(?=第?[{NUMERAL}\d]+届(?:人民代表大会|人大))")
SELF_NAMING = re.compile(r"我代表(?P<place>[^,，。;；、]{1,24}?)(?=(?:人民)?政府)")
SALUTATION = re.compile(r"^各位(?:人大)?代表")


@dataclass(frozen=True)
class Report:
    set_name: str
    file: str
    path: Path
    region: Region
    plan_year: int


@dataclass(frozen=True)
class Outcome:
    region_ok: bool
    plan_year_ok: bool
    found: tuple[str | None, int | None]

    @property
    def wrong(self) -> bool:
        """A wrong value, not a missing one: worse than a flagged gap."""
        return (not self.region_ok and self.found[0] is not None) or (not self.plan_year_ok and self.found[1] is not None)


# -- the reports ------------------------------------------------------------------------------

def _region(code: str) -> Region:
    current = regions().get(code)
    if current is not None:
        return current
    return next(region for region in former_regions() if region.code == code)


def load_reports(set_dirs: list[Path]) -> list[Report]:
    reports = []
    for set_dir in set_dirs:
        with open(set_dir / "documents.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("kind", "report") not in ("report", "") or not row.get("plan_year"):
                    continue
                reports.append(Report(set_dir.name, row["file"], set_dir / "pages" / row["file"],
                                      _region(row["region_code"]), int(row["plan_year"])))
    return reports


# -- transformations --------------------------------------------------------------------------

def level_word(region: Region) -> str:
    """The word a government calls itself by when it leaves out its name: 市, 县, 区, 州, 省."""
    for suffix, word in (("自治区", "自治区"), ("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
        if region.name.endswith(suffix):
            return word
    return region.name[-1]


def partner(region: Region) -> Region:
    """A sibling of the same level (a neighbour, a partner city); 北京/天津 for a province."""
    if region.level == "province":
        return regions()["110000" if region.code != "110000" else "120000"]
    siblings = [r for r in regions().values()
                if r.parent_code == region.parent_code and r.code != region.code and r.level == region.level]
    return siblings[0] if siblings else regions()["110000"]


def parent(region: Region) -> Region:
    ancestors = _ancestors(region)
    return ancestors[0] if ancestors else partner(region)


def named_ten_times(other: Region) -> str:
    name = short_name(other.name)
    return (f"深化与{name}的全面合作，主动对接{name}，承接{name}产业转移，推进与{name}交通一体化，共建{name}产业园，"
            f"加强与{name}科技合作，引进{name}优质教育医疗资源，开通至{name}的直达班线，扩大与{name}的文旅交流，学习{name}先进经验。")


def _head_sub(lines: list[str], pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> list[str]:
    return [pattern.sub(replace, line) if index < HEAD_LINES else line for index, line in enumerate(lines)]


def opening_removed(lines: list[str], report: Report) -> list[str]:
    """The salutation line and the sentence with 我代表…政府 gone."""
    out, salutation_gone, naming_gone = [], False, False
    for line in lines:
        if not salutation_gone and SALUTATION.match(line) and len(line) <= 12:
            salutation_gone = True
            continue
        if not naming_gone and "我代表" in line:
            naming_gone = True
            line = re.sub(r"[^。！]*我代表[^。！]*[。！]?", "", line, count=1)
            if not line.strip():
                continue
        out.append(line)
    return out


def session_removed(lines: list[str], report: Report) -> list[str]:
    """Lines of the head naming the session gone (a long one loses the phrase only)."""
    session = re.compile(rf"届(?:人民代表大会|人大)")
    out = []
    for index, line in enumerate(lines):
        if index < HEAD_LINES and session.search(line):
            if len(line) <= 80:
                continue
            line = re.sub(rf"[^。，,]*届(?:人民代表大会|人大)[^。，,]*", "", line)
        out.append(line)
    return out


def session_place_dropped(lines: list[str], report: Report) -> list[str]:
    return _head_sub(lines, SESSION, lambda m: m.group().removesuffix(m["place"]) if m["place"] else m.group())


def self_name_reduced(lines: list[str], report: Report) -> list[str]:
    """我代表保定市人民政府 -> 我代表市人民政府, 保定市第十六届人民代表大会 -> 市第十六届人民代表大会."""
    word = level_word(report.region)
    lines = _head_sub(lines, SELF_NAMING, lambda m: "我代表" + word)
    return _head_sub(lines, SESSION, lambda m: m.group().removesuffix(m["place"]) + word if m["place"] else m.group())


def head_removed(lines: list[str], report: Report) -> list[str]:
    """Title, date, session and speaker lines, the salutation and the 我代表 sentence all gone: the body
    alone must say whose report it is (a copy that starts at its first heading)."""
    start = next((index for index, line in enumerate(lines[:HEAD_LINES]) if SALUTATION.match(line)), None)
    if start is None:
        start = next((index for index, line in enumerate(lines[:HEAD_LINES]) if "我代表" in line), 0)
    return opening_removed(lines[start:], report)


def _insert_middle(lines: list[str], paragraph: str) -> list[str]:
    middle = len(lines) // 2
    return [*lines[:middle], paragraph, *lines[middle:]]


def partner_ten_times(lines: list[str], report: Report) -> list[str]:
    return _insert_middle(lines, named_ten_times(partner(report.region)))


def parent_ten_times(lines: list[str], report: Report) -> list[str]:
    return _insert_middle(lines, named_ten_times(parent(report.region)))


def wrong_header(lines: list[str], report: Report) -> list[str]:
    """A scraper's header naming another region's report of another year."""
    other = partner(report.region)
    return [f"标题：{other.name}{report.plan_year + 1}年政府工作报告", "来源：政府网站  发布时间：不详", *lines]


def news_lead(lines: list[str], report: Report) -> list[str]:
    word = level_word(report.region)
    lead = f"本报讯（记者 王新 通讯员 李明）昨天上午，{word}长在大会上作政府工作报告时说，以下为报告全文。"
    return [lead, *lines]


def _part(lines: list[str], last: bool, share: float) -> list[str]:
    """The first or last lines holding `share` of the text's characters (a copy split into pages)."""
    total = sum(len(line) for line in lines)
    kept, size = [], 0
    for line in (reversed(lines) if last else lines):
        if size >= total * share:
            break
        kept.append(line)
        size += len(line)
    return list(reversed(kept)) if last else kept


def first_third(lines: list[str], report: Report) -> list[str]:
    return _part(lines, last=False, share=1 / 3)


def last_third(lines: list[str], report: Report) -> list[str]:
    return _part(lines, last=True, share=1 / 3)


def first_half(lines: list[str], report: Report) -> list[str]:
    return _part(lines, last=False, share=1 / 2)


def second_half(lines: list[str], report: Report) -> list[str]:
    return _part(lines, last=True, share=1 / 2)


def site_footer(lines: list[str], report: Report) -> list[str]:
    code = report.region.code + "0001"
    return [*lines, f"主办：{report.region.name}人民政府办公室  网站标识码：{code}  备案号：ICP备05003232号"]


TRANSFORMATIONS: dict[str, Callable[[list[str], Report], list[str]]] = {
    "opening removed": opening_removed,
    "session line removed": session_removed,
    "session place dropped": session_place_dropped,
    "self-name reduced": self_name_reduced,
    "head removed": head_removed,
    "partner named 10x": partner_ten_times,
    "parent named 10x": parent_ten_times,
    "head removed, partner 10x": lambda lines, report: partner_ten_times(head_removed(lines, report), report),
    "wrong scraper header": wrong_header,
    "news lead": news_lead,
    "first third only": first_third,
    "last third only": last_third,
    "first half only": first_half,
    "second half only": second_half,
    "site footer": site_footer,
}


# -- running ----------------------------------------------------------------------------------

def judge(report: Report, page) -> Outcome:
    meta = extract_metadata(clean_page(page), url=page.url, site_name=page.site_name)
    return Outcome(meta.region_code == report.region.code, meta.plan_year == report.plan_year,
                   (meta.region_code, meta.plan_year))


def run(reports: list[Report]) -> dict[str, list[tuple[Report, Outcome]]]:
    """Every report as stored and under every transformation: outcomes by transformation."""
    results: dict[str, list[tuple[Report, Outcome]]] = {"as stored": []}
    results.update({name: [] for name in TRANSFORMATIONS})
    for report in reports:
        page = read_local_file(report.path)
        results["as stored"].append((report, judge(report, page)))
        for name, transform in TRANSFORMATIONS.items():
            text = "\n".join(transform(list(page.lines), report))
            results[name].append((report, judge(report, parse_text(text, url=page.url))))
    return results


def rates(results: dict[str, list[tuple[Report, Outcome]]]) -> dict[str, tuple[float, float, float, float]]:
    """Per transformation: region ok, plan year ok, both ok, some value wrong (shares of the reports).
    1 - wrong is the share "right or missing": a text left with no region or year is skipped, not misfiled."""
    out = {}
    for name, outcomes in results.items():
        n = len(outcomes) or 1
        out[name] = (sum(o.region_ok for _, o in outcomes) / n, sum(o.plan_year_ok for _, o in outcomes) / n,
                     sum(o.region_ok and o.plan_year_ok for _, o in outcomes) / n, sum(o.wrong for _, o in outcomes) / n)
    return out


def table(results: dict[str, list[tuple[Report, Outcome]]]) -> str:
    n = len(results["as stored"])
    lines = [f"metamorphic placement and dating, {n} real reports",
             f"{'transformation':<28}{'region':>8}{'year':>8}{'both':>8}{'wrong':>8}{'ok|miss':>9}"]
    for name, (region, year, both, wrong) in rates(results).items():
        lines.append(f"{name:<28}{region:>8.2f}{year:>8.2f}{both:>8.2f}{wrong:>8.2f}{1 - wrong:>9.2f}")
    return "\n".join(lines)


def details(results: dict[str, list[tuple[Report, Outcome]]]) -> str:
    return "\n".join(f"{name}\t{report.set_name}/{report.file}\twant {report.region.code} {report.plan_year}"
                     f"\tgot {outcome.found[0]} {outcome.found[1]}"
                     for name, outcomes in results.items() for report, outcome in outcomes
                     if not (outcome.region_ok and outcome.plan_year_ok))


def main(argv: list[str]) -> None:
    set_dirs = [Path(arg) for arg in argv if not arg.startswith("--")] or sorted(p for p in SETS.iterdir() if p.is_dir())
    results = run(load_reports(set_dirs))
    if "--details" in argv:
        print(details(results))
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])

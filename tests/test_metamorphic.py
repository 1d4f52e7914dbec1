"""Metamorphic tests of placement and dating on every real report text (tests/fixtures/real/sets).

A report's region and plan year must not change when its opening or session line is removed, its
self-name is reduced to 市/县, a partner or its parent is named ten times, a scraper's wrong title or a
reporter's lead is prepended, only its first third or half is kept, or a site footer with its 网站标识码 is
appended (bench/metamorphic.py does the transforming and prints the table; the session prints it too).
Keeping only the last third often leaves no year at all (今年 throughout): there, no value may be
wrong; a missing one is a flagged gap.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import metamorphic  # noqa: E402

BAR = 0.95  # issue 22, item 4: every transformation at 0.95 or better
# a report's last third (or second half) often names no year (今年 throughout) and its place seldom: its
# value is then missing, not wrong (at most WRONG_AT_MOST), and "both right" stays far below the bar
# (last third 0.11, second half 0.27 at this commit; docs/regions.md)
NOT_YET = pytest.mark.xfail(reason="a part alone: last third both right 0.11 (region 0.75, year 0.14), second half 0.27, issue 22",
                            strict=False)
PARTIAL = ("last third only", "second half only")
WRONG_AT_MOST = 0.05  # a wrong region or year is worse than a missing one


@pytest.fixture(scope="module")
def rates(session_summary) -> dict[str, tuple[float, float, float, float]]:
    results = metamorphic.run(metamorphic.load_reports(sorted(p for p in metamorphic.SETS.iterdir() if p.is_dir())))
    session_summary(metamorphic.table(results))
    return metamorphic.rates(results)


@pytest.mark.parametrize("name", [pytest.param(name, marks=NOT_YET) if name in PARTIAL else name
                                  for name in ["as stored", *metamorphic.TRANSFORMATIONS]])
def test_a_transformation_keeps_region_and_plan_year(rates, name):
    region, year, both, wrong = rates[name]
    assert region >= BAR and year >= BAR, f"{name}: region {region:.2f}, plan year {year:.2f}"


@pytest.mark.parametrize("name", ["as stored", *metamorphic.TRANSFORMATIONS])
def test_a_transformation_seldom_makes_a_value_wrong(rates, name):
    region, year, both, wrong = rates[name]
    assert wrong <= WRONG_AT_MOST, f"{name}: {wrong:.2f} of the reports get a wrong region or plan year"


def test_the_sets_hold_every_report():
    reports = metamorphic.load_reports(sorted(p for p in metamorphic.SETS.iterdir() if p.is_dir()))
    assert len(reports) == 112
    assert {report.set_name for report in reports} == {"baoding_counties", "newcities_dev", "prov2026_dev"}

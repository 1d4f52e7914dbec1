"""Indicator extraction: gold scoring on the seed reports plus one test per rule.

The gold test scores exactly as the evaluator does: rows match on
(indicator, basis, metric, period_start, period_end) with the value within
0.5 % relative, one-to-one; optional gold rows neither reward nor penalise.
Run with `pytest -s` to see every miss and extra row.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tasks.extract import EXTRACTOR_VERSION, extract_indicators
from tasks.records import Indicator

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = FIXTURES / "gold"
NATIONAL = FIXTURES / "corpus" / "national"

Key = tuple[str, str, str, int, int, float]


def _key(row: Indicator) -> Key:
    return (row.indicator, row.basis, row.metric, row.period_start, row.period_end, row.value)


def _rows(body: str, plan: int = 2018, start: int = 2017, end: int = 2017) -> list[Indicator]:
    rows = extract_indicators(body, plan, start, end)
    for row in rows:
        assert body[row.char_start : row.char_end] == row.evidence
    return rows


def _keys(body: str, plan: int = 2018, start: int = 2017, end: int = 2017) -> set[Key]:
    return {_key(r) for r in _rows(body, plan, start, end)}


# --------------------------------------------------------------------------
# Gold scoring
# --------------------------------------------------------------------------


def _matches(row: Indicator, gold: dict[str, str]) -> bool:
    same = (row.indicator, row.basis, row.metric, row.period_start, row.period_end) == (
        gold["indicator"],
        gold["basis"],
        gold["metric"],
        int(gold["period_start"]),
        int(gold["period_end"]),
    )
    expected = float(gold["value"])
    return same and abs(row.value - expected) <= 0.005 * abs(expected)


def test_gold_f1() -> None:
    with open(GOLD / "seeds_documents.csv", encoding="utf-8") as fh:
        docs = list(csv.DictReader(fh))
    with open(GOLD / "seeds_indicators.csv", encoding="utf-8") as fh:
        gold_rows = list(csv.DictReader(fh))
    tp = fp = fn = 0
    for doc in docs:
        body = (GOLD / "seeds_bodies" / doc["file"]).read_text(encoding="utf-8")
        rows = _rows(body, int(doc["plan_year"]), int(doc["review_start"]), int(doc["review_end"]))
        gold = [g for g in gold_rows if g["file"] == doc["file"]]
        used = [False] * len(gold)
        for row in rows:
            hit = next((i for i, g in enumerate(gold) if not used[i] and _matches(row, g)), None)
            if hit is None:
                fp += 1
                print(f"EXTRA {doc['file'][:3]} {_key(row)} | {row.evidence[:60]}")
                continue
            used[hit] = True
            tp += gold[hit]["required"] == "1"
        for i, g in enumerate(gold):
            if not used[i] and g["required"] == "1":
                fn += 1
                print(
                    f"MISS  {doc['file'][:3]} {g['indicator']} {g['basis']} {g['metric']} "
                    f"{g['period_start']}-{g['period_end']} {g['value']}"
                )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"gold: P={precision:.3f} R={recall:.3f} F1={f1:.3f} (tp={tp} fp={fp} fn={fn})")
    assert f1 >= 0.98


def test_version_is_a_string() -> None:
    assert isinstance(EXTRACTOR_VERSION, str) and EXTRACTOR_VERSION.count(".") == 2


# --------------------------------------------------------------------------
# Which indicator
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("地区生产总值增长6%。", "gdp"),
        ("GDP增长6%。", "gdp"),
        ("第三产业增加值增长6%。", "services_value_added"),
        ("规上工业增加值增长6%。", "industrial_value_added"),
        ("规模以上工业总产值增长6%。", "industrial_output"),
        ("地方一般预算收入增长6%。", "general_budget_revenue"),
        ("一般公共财政预算收入增长6%。", "general_budget_revenue"),
        ("全口径财政收入增长6%。", "total_fiscal_revenue"),
        ("地方税收收入增长6%。", "tax_revenue"),
        ("全社会固定资产投资增长6%。", "fixed_asset_investment"),
        ("社零额增长6%。", "retail_sales"),
        ("城镇常住居民人均可支配收入增长6%。", "urban_income"),
        ("农民人均纯收入增长6%。", "rural_income"),
        ("全体居民人均可支配收入增长6%。", "resident_income"),
        ("实际使用外资增长6%。", "fdi"),
        ("实际到位内资增长6%。", "domestic_capital"),
        ("外贸进出口总额增长6%。", "foreign_trade"),
        ("实际到位外资增长6%。", "fdi"),
        ("固定资产投资(不含农户)增长6%。", "fixed_asset_investment"),
        ("全省生产总值增长6%。", "gdp"),
        ("经济增长6%。", "gdp"),
    ],
)
def test_aliases(sentence: str, code: str) -> None:
    assert _keys(sentence) == {(code, "actual", "growth", 2017, 2017, 6.0)}


@pytest.mark.parametrize(
    "sentence",
    [
        "人均地区生产总值增长6%。",
        "单位GDP能耗下降3%。",
        "万元GDP能耗降低率控制在市考核指标内,降低5%。",
        "金融业增加值增长12%。",
        "金融业增加值占全区地区生产总值近1/4。",
        "文化产业产值占地区生产总值比重达7.6%。",
        "服务业在国内生产总值中的比重上升到50.5%。",
        "农业总收入达到45.9亿元,年均增长10%。",
        "高新技术产值突破300亿元。",
        "民间固定资产投资增长5%。",
        "限额以上社会消费品零售额增长8%。",
        "人均GDP增长5%。",
        "对经济增长的贡献率达到60%。",
    ],
)
def test_not_an_indicator(sentence: str) -> None:
    assert _keys(sentence) == set()


def test_percentage_points_and_multiples_are_not_values() -> None:
    keys = _keys("全年地区生产总值增长5.2%,高于全市1.2个百分点;地区生产总值473亿元,是2011年的1.5倍。")
    assert keys == {("gdp", "actual", "growth", 2017, 2017, 5.2), ("gdp", "actual", "level", 2017, 2017, 473e8)}


def test_share_of_own_subject_is_kept_share_of_other_is_not() -> None:
    keys = _keys("服务业增加值完成818亿元,增长0.6%,占地区生产总值比重达86.9%。")
    assert ("services_value_added", "actual", "share", 2017, 2017, 86.9) in keys
    assert not any(k[0] == "gdp" for k in keys)


def test_surveyed_vs_registered_unemployment() -> None:
    keys = _keys("城镇调查失业率5.5%左右,城镇登记失业率4.5%以内。")
    assert keys == {
        ("surveyed_unemployment_rate", "actual", "level", 2017, 2017, 5.5),
        ("unemployment_rate", "actual", "level", 2017, 2017, 4.5),
    }


# --------------------------------------------------------------------------
# Values, units, qualifiers
# --------------------------------------------------------------------------


def test_units_scale_to_base() -> None:
    keys = _keys(
        "地区生产总值1.2万亿元;实际利用外资829万美元;利用外资5.2亿美元;"
        "城镇居民人均可支配收入43937元;农民人均收入1.4万元;城镇新增就业1.8万人。"
    )
    assert ("gdp", "actual", "level", 2017, 2017, 1.2e12) in keys
    assert ("fdi", "actual", "level", 2017, 2017, 8.29e6) in keys
    assert ("fdi", "actual", "level", 2017, 2017, 5.2e8) in keys
    assert ("urban_income", "actual", "level", 2017, 2017, 43937.0) in keys
    assert ("rural_income", "actual", "level", 2017, 2017, 14000.0) in keys
    assert ("new_jobs", "actual", "level", 2017, 2017, 18000.0) in keys
    units = {r.indicator: r.unit for r in _rows("实际利用外资829万美元;城镇新增就业1.8万人;地区生产总值9亿元。")}
    assert units == {"fdi": "USD", "new_jobs": "person", "gdp": "CNY"}


def test_decline_is_negative() -> None:
    assert _keys("固定资产投资完成211亿元,下降70.3%。") == {
        ("fixed_asset_investment", "actual", "level", 2017, 2017, 211e8),
        ("fixed_asset_investment", "actual", "growth", 2017, 2017, -70.3),
    }


def test_full_width_digits_and_percent() -> None:
    assert _keys("地区生产总值增长６．５％。") == {("gdp", "actual", "growth", 2017, 2017, 6.5)}


@pytest.mark.parametrize("text", ["6%－6.5%", "6%-6.5%", "6%至6.5%", "6-6.5%", "6％～6.5％"])
def test_ranges(text: str) -> None:
    (row,) = _rows(f"二、2018年主要预期目标\n地区生产总值增长{text}。")
    assert (row.value, row.value_high, row.qualifier, row.basis) == (6.0, 6.5, "range", "target")


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("增长9%左右", "about"),
        ("增长15%以上", "at_least"),
        ("增长不低于15%", "at_least"),
        ("突破100亿元", "at_least"),
        ("超过100亿元", "at_least"),
        ("增长9%", "exact"),
    ],
)
def test_qualifiers(text: str, qualifier: str) -> None:
    (row,) = _rows(f"地区生产总值{text}。")
    assert row.qualifier == qualifier


@pytest.mark.parametrize(("text", "value"), [("控制在4%以内", 4.0), ("控制在3.6%", 3.6), ("低于4%", 4.0)])
def test_at_most(text: str, value: float) -> None:
    (row,) = _rows(f"城镇登记失业率{text}。")
    assert (row.indicator, row.metric, row.value, row.qualifier) == ("unemployment_rate", "level", value, "at_most")


# --------------------------------------------------------------------------
# Several figures, implicit subjects
# --------------------------------------------------------------------------


def test_respectively_with_compound_subject() -> None:
    keys = _keys("城乡居民人均可支配收入增长9%和9.5%,分别达到36100元、19618元。")
    assert keys == {
        ("urban_income", "actual", "growth", 2017, 2017, 9.0),
        ("rural_income", "actual", "growth", 2017, 2017, 9.5),
        ("urban_income", "actual", "level", 2017, 2017, 36100.0),
        ("rural_income", "actual", "level", 2017, 2017, 19618.0),
    }


def test_respectively_with_listed_subjects() -> None:
    assert _keys("一般公共预算收入和税收收入分别增长8%和6.5%。") == {
        ("general_budget_revenue", "actual", "growth", 2017, 2017, 8.0),
        ("tax_revenue", "actual", "growth", 2017, 2017, 6.5),
    }


def test_respectively_refers_back_to_earlier_subjects() -> None:
    keys = _keys("城镇居民人均可支配收入9422元,农村居民人均纯收入2936元,扣除价格因素,分别实际增长7.7%和6.8%。")
    assert ("urban_income", "actual", "growth", 2017, 2017, 7.7) in keys
    assert ("rural_income", "actual", "growth", 2017, 2017, 6.8) in keys


def test_implicit_subject_carries_to_growth() -> None:
    assert _keys("地区生产总值完成941亿元,同比增长0.4%。") == {
        ("gdp", "actual", "level", 2017, 2017, 941e8),
        ("gdp", "actual", "growth", 2017, 2017, 0.4),
    }


def test_other_subject_breaks_the_chain() -> None:
    keys = _keys(
        "全口径财政收入实现75.6亿元,其中本级财政收入实现13.3亿元,增长10%;"
        "全年共实施重大项目100个,完成投资138.5亿元。"
    )
    assert keys == {("total_fiscal_revenue", "actual", "level", 2017, 2017, 75.6e8)}


def test_from_to_keeps_the_end_value() -> None:
    assert _keys("城镇居民人均可支配收入由2012年7703元增加到2017年13786元。") == {
        ("urban_income", "actual", "level", 2017, 2017, 13786.0)
    }


def test_dedupe_keeps_first() -> None:
    rows = _rows("地区生产总值增长6%。GDP增长6%。")
    assert len(rows) == 1 and rows[0].evidence == "地区生产总值增长6%。"


# --------------------------------------------------------------------------
# Basis, estimates, periods
# --------------------------------------------------------------------------


def test_section_decides_basis_not_verb() -> None:
    body = "一、2016年工作回顾\n地区生产总值实现473亿元。\n三、2017年主要工作任务\n全区地区生产总值实现512.3亿元,同比增长8.3%。"
    assert _keys(body, 2017, 2016, 2016) == {
        ("gdp", "actual", "level", 2016, 2016, 473e8),
        ("gdp", "target", "level", 2017, 2017, 512.3e8),
        ("gdp", "target", "growth", 2017, 2017, 8.3),
    }


def test_target_wording_without_headings() -> None:
    body = "地区生产总值增长6.6%。\n2018年全区经济社会发展主要预期目标是:地区生产总值增长9.5%,达到678亿元。"
    assert _keys(body) == {
        ("gdp", "actual", "growth", 2017, 2017, 6.6),
        ("gdp", "target", "growth", 2018, 2018, 9.5),
        ("gdp", "target", "level", 2018, 2018, 678e8),
    }


def test_flattened_body_headings() -> None:
    body = "各位代表: 一、2016年工作简要回顾 地区生产总值增长1%。 二、2017年重点工作任务 总的预期目标是:地区生产总值增长7.5%。"
    assert _keys(body, 2017, 2016, 2016) == {
        ("gdp", "actual", "growth", 2016, 2016, 1.0),
        ("gdp", "target", "growth", 2017, 2017, 7.5),
    }


def test_estimate_flag() -> None:
    (row,) = _rows("预计地区生产总值完成941亿元。")
    assert row.basis == "actual" and row.is_estimate
    (row,) = _rows("地区生产总值完成941亿元。")
    assert not row.is_estimate


def test_five_year_review_and_plan() -> None:
    body = (
        "一、过去五年工作回顾\n"
        "全区地区生产总值实现473亿元,年均递增8.6%。累计引进内资322亿元,利用外资5.2亿美元。\n"
        "二、今后五年的总体目标和工作思路\n"
        "主要奋斗目标:\n"
        "到2021年,全区地区生产总值达到700亿元,年均增长8.3%;固定资产投资累计完成1900亿元。\n"
        "三、2017年主要工作任务\n"
        "城镇新增就业12000人。"
    )
    assert _keys(body, 2017, 2012, 2016) == {
        ("gdp", "actual", "level", 2016, 2016, 473e8),
        ("gdp", "actual", "cagr", 2012, 2016, 8.6),
        ("domestic_capital", "actual", "cumulative", 2012, 2016, 322e8),
        ("fdi", "actual", "cumulative", 2012, 2016, 5.2e8),
        ("gdp", "target", "level", 2021, 2021, 700e8),
        ("gdp", "target", "cagr", 2017, 2021, 8.3),
        ("fixed_asset_investment", "target", "cumulative", 2017, 2021, 1900e8),
        ("new_jobs", "target", "level", 2017, 2017, 12000.0),
    }


def test_cagr_in_one_year_review_spans_five_years() -> None:
    assert _keys("国内生产总值年均增长7.8%。", 2016, 2015, 2015) == {("gdp", "actual", "cagr", 2011, 2015, 7.8)}


def test_growth_over_a_base_year_is_not_a_yearly_rate() -> None:
    assert _keys("国内生产总值达到24.66万亿元,比2002年增长65.5%,年均增长10.6%。", 2008, 2007, 2007) == {
        ("gdp", "actual", "level", 2007, 2007, 24.66e12),
        ("gdp", "actual", "cagr", 2003, 2007, 10.6),
    }


# --------------------------------------------------------------------------
# National reports: hand-checked rows
# --------------------------------------------------------------------------

NATIONAL_EXPECTED: dict[int, set[Key]] = {
    2019: {
        ("gdp", "actual", "growth", 2018, 2018, 6.6),
        ("cpi", "actual", "growth", 2018, 2018, 2.1),
        ("new_jobs", "actual", "level", 2018, 2018, 13.61e6),
        ("surveyed_unemployment_rate", "actual", "level", 2018, 2018, 5.0),
        ("fdi", "actual", "level", 2018, 2018, 1383e8),
        ("resident_income", "actual", "growth", 2018, 2018, 6.5),
        ("gdp", "target", "growth", 2019, 2019, 6.0),
        ("new_jobs", "target", "level", 2019, 2019, 11e6),
        ("surveyed_unemployment_rate", "target", "level", 2019, 2019, 5.5),
        ("unemployment_rate", "target", "level", 2019, 2019, 4.5),
        ("cpi", "target", "growth", 2019, 2019, 3.0),
    },
    2024: {
        ("gdp", "actual", "level", 2023, 2023, 126e12),
        ("gdp", "actual", "growth", 2023, 2023, 5.2),
        ("new_jobs", "actual", "level", 2023, 2023, 12.44e6),
        ("surveyed_unemployment_rate", "actual", "level", 2023, 2023, 5.2),
        ("cpi", "actual", "growth", 2023, 2023, 0.2),
        ("resident_income", "actual", "growth", 2023, 2023, 6.1),
        ("gdp", "target", "growth", 2024, 2024, 5.0),
        ("new_jobs", "target", "level", 2024, 2024, 12e6),
        ("surveyed_unemployment_rate", "target", "level", 2024, 2024, 5.5),
        ("cpi", "target", "growth", 2024, 2024, 3.0),
    },
    2005: {
        ("gdp", "target", "growth", 2005, 2005, 8.0),
        ("new_jobs", "target", "level", 2005, 2005, 9e6),
        ("unemployment_rate", "target", "level", 2005, 2005, 4.6),
        ("cpi", "target", "growth", 2005, 2005, 4.0),
        ("gdp", "actual", "level", 2004, 2004, 13.65e12),
        ("gdp", "actual", "growth", 2004, 2004, 9.5),
        ("urban_income", "actual", "level", 2004, 2004, 9422.0),
        ("rural_income", "actual", "level", 2004, 2004, 2936.0),
    },
}


@pytest.mark.parametrize("year", sorted(NATIONAL_EXPECTED))
def test_national_reports(year: int) -> None:
    body = (NATIONAL / f"{year}.txt").read_text(encoding="utf-8")
    rows = _rows(body, year, year - 1, year - 1)
    keys = {_key(r) for r in rows}
    missing = NATIONAL_EXPECTED[year] - keys
    assert not missing, missing
    targets = {k for k in keys if k[1] == "target" and k[3] == year}
    assert targets <= NATIONAL_EXPECTED[year] | {("gdp", "target", "growth", year, year, 5.0)}


def test_national_2019_target_details() -> None:
    body = (NATIONAL / "2019.txt").read_text(encoding="utf-8")
    by_code = {r.indicator: r for r in _rows(body, 2019, 2018, 2018) if r.basis == "target"}
    assert (by_code["gdp"].value, by_code["gdp"].value_high, by_code["gdp"].qualifier) == (6.0, 6.5, "range")
    assert by_code["new_jobs"].qualifier == "at_least"
    assert by_code["unemployment_rate"].qualifier == "at_most"
    assert by_code["cpi"].qualifier == "about"


# --------------------------------------------------------------------------
# An unseen city-style report: review, 十四五 plan, one-year plan
# --------------------------------------------------------------------------

CITY_BODY = """各位代表：
一、2020年和“十三五”工作回顾
2020年，全市地区生产总值达到3000亿元，增长4%；一般公共预算收入210亿元，扣除减税降费因素后增长2.1%。
“十三五”期间，地区生产总值年均增长7.2%，累计完成固定资产投资8000亿元。
（二）聚焦目标任务，狠抓工作落实
全年城镇新增就业5.1万人，城镇调查失业率5.2%，财政总收入完成45亿元，增收5亿元，增长12.5%。
二、“十四五”时期主要目标
到2025年，全市地区生产总值突破4000亿元，年均增长6%以上；居民人均可支配收入年均增长7%。
三、2021年主要目标任务
2021年全市经济社会发展主要预期目标是：地区生产总值增长7%左右，城镇、农村居民人均可支配收入分别增长7%、8%，城镇新增就业5万人，城镇调查失业率控制在5.5%以内，居民消费价格涨幅3%左右。
去年，全市实际利用外资2亿美元，增长-3.5%。
"""


def test_unseen_city_report() -> None:
    assert _keys(CITY_BODY, 2021, 2020, 2020) == {
        ("gdp", "actual", "level", 2020, 2020, 3000e8),
        ("gdp", "actual", "growth", 2020, 2020, 4.0),
        ("general_budget_revenue", "actual", "level", 2020, 2020, 210e8),
        ("general_budget_revenue", "actual", "growth", 2020, 2020, 2.1),
        ("gdp", "actual", "cagr", 2016, 2020, 7.2),
        ("fixed_asset_investment", "actual", "cumulative", 2016, 2020, 8000e8),
        ("new_jobs", "actual", "level", 2020, 2020, 51000.0),
        ("surveyed_unemployment_rate", "actual", "level", 2020, 2020, 5.2),
        ("total_fiscal_revenue", "actual", "level", 2020, 2020, 45e8),
        ("total_fiscal_revenue", "actual", "growth", 2020, 2020, 12.5),
        ("gdp", "target", "level", 2025, 2025, 4000e8),
        ("gdp", "target", "cagr", 2021, 2025, 6.0),
        ("resident_income", "target", "cagr", 2021, 2025, 7.0),
        ("gdp", "target", "growth", 2021, 2021, 7.0),
        ("urban_income", "target", "growth", 2021, 2021, 7.0),
        ("rural_income", "target", "growth", 2021, 2021, 8.0),
        ("new_jobs", "target", "level", 2021, 2021, 50000.0),
        ("surveyed_unemployment_rate", "target", "level", 2021, 2021, 5.5),
        ("cpi", "target", "growth", 2021, 2021, 3.0),
        ("fdi", "actual", "level", 2020, 2020, 2e8),
        ("fdi", "actual", "growth", 2020, 2020, -3.5),
    }


# --------------------------------------------------------------------------
# Real wordings (issue 12): dating targets (class C) and what is an indicator (class D)
# --------------------------------------------------------------------------

FIVE_YEAR_THEN_YEAR = (
    "一、2016年工作回顾\n2016年，全县经济平稳增长。\n"
    "二、今后五年的奋斗目标\n今后五年，全县地区生产总值年均增长7%，到2021年一般公共预算收入达到10亿元。\n"
)


@pytest.mark.parametrize("plan_part", [
    # the year's heading run into a five-year paragraph (三、2017年政府工作安排五年工作需要一年接着一年干…)
    "三、2017年政府工作安排五年工作需要一年接着一年干，主要预期目标是：地区生产总值增长8%以上。",
    # no heading at all: the sentence says 今年
    "综合考虑各方面因素，今年的主要预期目标是：地区生产总值同比增长8%以上。",
    # the plan year written out
    "2017年全县经济社会发展主要预期目标是：地区生产总值增长8%以上。",
    # a five-year phrase that still sets this year's target
    "为实现“十三五”良好开局，今年地区生产总值增长8%以上。",
])
def test_annual_targets_after_a_five_year_part_are_the_plan_year(plan_part: str) -> None:
    keys = _keys(FIVE_YEAR_THEN_YEAR + plan_part, plan=2017, start=2016, end=2016)
    assert ("gdp", "target", "growth", 2017, 2017, 8.0) in keys
    assert ("gdp", "target", "cagr", 2017, 2021, 7.0) in keys  # the five-year target keeps its span
    assert not any(k[:3] == ("gdp", "target", "growth") and k[4] != 2017 for k in keys)


def test_a_span_is_said_not_assumed() -> None:
    """到20XX年 / 年均 / 累计 in the sentence: a span even when the sentence also says 今年."""
    body = FIVE_YEAR_THEN_YEAR + "从今年起，全县固定资产投资年均增长10%，到2021年累计完成固定资产投资500亿元。"
    keys = _keys(body, plan=2017, start=2016, end=2016)
    assert ("fixed_asset_investment", "target", "cagr", 2017, 2021, 10.0) in keys


def test_a_review_estimate_in_the_plan_part_is_an_actual() -> None:
    body = ("二、2020年工作安排\n预计全年生产总值同比增长6.4%；规模以上工业增加值同比增长4.5%。"
            "今年主要预期目标是：地区生产总值增长6.5%。")
    keys = _keys(body, plan=2020, start=2019, end=2019)
    assert ("gdp", "actual", "growth", 2019, 2019, 6.4) in keys
    assert ("industrial_value_added", "actual", "growth", 2019, 2019, 4.5) in keys
    assert ("gdp", "target", "growth", 2020, 2020, 6.5) in keys


@pytest.mark.parametrize("sentence", [
    "民营经济对全市GDP增长贡献率达到50%以上。",  # a contribution share
    "海洋生产总值增长6%左右。",  # a sector's own total
    "全社会研发经费支出相当于全市生产总值的比例达到4.5%左右。",  # GDP as a denominator
    "人均地区生产总值达到8万元，人均GDP增长6%。",
    "全年招商引资项目完成固定资产投资220亿元。",  # a subset, not the region's investment
])
def test_not_the_regions_figure(sentence: str) -> None:
    keys = _keys("一、2017年工作回顾\n" + sentence)
    assert not any(k[0] in ("gdp", "fixed_asset_investment") for k in keys), keys


def test_three_sectors_respectively_give_services_the_third() -> None:
    body = "主要预期目标是：地区生产总值增长5%左右，其中一二三产增加值分别增长3.5%左右、6%左右、5%左右。"
    rows = _rows(body, plan=2026, start=2025, end=2025)
    assert {(r.indicator, r.value) for r in rows} == {("gdp", 5.0), ("services_value_added", 5.0)}
    assert not _keys("主要预期目标是：一二三产增加值增长5%左右。", plan=2026, start=2025, end=2025)  # which one is not said


@pytest.mark.parametrize(("sentence", "code", "value", "high", "qualifier"), [
    ("地方生产总值增长7%。", "gdp", 7.0, None, "exact"),
    ("县域生产总值增长7.5%。", "gdp", 7.5, None, "exact"),
    ("规模工业增加值增长8%。", "industrial_value_added", 8.0, None, "exact"),
    ("地区生产总值增速6%以上。", "gdp", 6.0, None, "at_least"),
    ("地区生产总值增长在8.5%左右。", "gdp", 8.5, None, "about"),
    ("地区生产总值增长 12%左右。", "gdp", 12.0, None, "about"),
    ("地区生产总值增长6.5％。", "gdp", 6.5, None, "exact"),
    ("地区生产总值增长5%—5.5%。", "gdp", 5.0, 5.5, "range"),
    ("地区生产总值增长4.5-5%。", "gdp", 4.5, 5.0, "range"),
    ("地区生产总值按增长5%安排。", "gdp", 5.0, None, "exact"),
    ("经济增长速度保持在9%左右。", "gdp", 9.0, None, "about"),
])
def test_real_target_wordings(sentence: str, code: str, value: float, high: float | None, qualifier: str) -> None:
    rows = _rows("二、2018年工作安排\n今年主要预期目标是：" + sentence)
    assert [(r.indicator, r.basis, r.metric, r.period_end, r.value, r.value_high, r.qualifier) for r in rows] == [
        (code, "target", "growth", 2018, value, high, qualifier)]


def test_a_qualifier_closing_a_run_covers_each_figure() -> None:
    rows = _rows("二、2018年工作安排\n城乡居民人均可支配收入分别增长5%、6.5%左右。")
    assert {(r.indicator, r.value, r.qualifier) for r in rows} == {("urban_income", 5.0, "about"), ("rural_income", 6.5, "about")}


def test_a_bare_growth_rate_in_a_five_year_part_is_the_plan_years() -> None:
    """Only 年均/五年/到20XX年 make a rate span years; a level there is still the end of the plan."""
    body = FIVE_YEAR_THEN_YEAR + "新增规模以上工业企业20家以上，规模以上工业增加值同比增长8%以上，全县生产总值突破300亿元。"
    keys = _keys(body, plan=2017, start=2016, end=2016)
    assert ("industrial_value_added", "target", "growth", 2017, 2017, 8.0) in keys
    assert ("gdp", "target", "level", 2021, 2021, 3e10) in keys


@pytest.mark.parametrize("review_item", [
    "一、主要目标任务圆满完成，全县地区生产总值增长6.5%，一般公共预算收入增长8%。",
    "二、重点工作扎实推进，全县地区生产总值增长6.5%，一般公共预算收入增长8%。",
])
def test_an_enumerated_review_item_is_no_plan_heading(review_item: str) -> None:
    body = f"一、2019年工作回顾\n{review_item}\n二、2020年工作安排\n今年全县地区生产总值增长6%。"
    keys = _keys(body, plan=2020, start=2019, end=2019)
    assert {k for k in keys if k[0] == "gdp"} == {("gdp", "actual", "growth", 2019, 2019, 6.5),
                                                ("gdp", "target", "growth", 2020, 2020, 6.0)}


# --------------------------------------------------------------------------
# The subject and span of a figure (issue 22, class K); sentences from real reports
# --------------------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    # a quantity per unit of GDP: the figure is the energy use's
    "2008年全县经济社会发展主要预期目标是：GDP增长13%以上；万元 GDP综合能耗下降4.5%以上；",
    "主要预期目标是：GDP综合能耗下降3.7%，城镇登记失业率控制在4.5%以内。",
    "固定资产投资增长30%，城乡居民人均可支配收入增长12%，万元GDP综合能耗降低率达3.7%，完成市下达的各项任务目标。",
    "主要预期目标是：GDP的碳排放强度下降4%，民营经济对GDP的综合贡献率达到60%。",
])
def test_a_ratio_to_gdp_is_not_gdp(sentence: str) -> None:
    gdp = {k for k in _keys(sentence, plan=2008, start=2007, end=2007) if k[0] == "gdp"}
    assert gdp <= {("gdp", "target", "growth", 2008, 2008, 13.0)}


def test_a_growth_rate_of_gdp_is_gdp() -> None:
    keys = _keys("今年主要预期目标是：地区生产总值增长率为6%，GDP增长速度6.5%。", plan=2020, start=2019, end=2019)
    assert {k for k in keys if k[0] == "gdp"} == {
        ("gdp", "target", "growth", 2020, 2020, 6.0), ("gdp", "target", "growth", 2020, 2020, 6.5)}


SHENZHEN_PLAN = ("2026年经济社会发展主要预期目标是：地区生产总值增长5%左右。"
                 "加快推动深汕特别合作区提级跨越发展，合作区地区生产总值增长15%以上、规上工业增加值增长20%以上。")


def test_a_zone_named_as_subject_keeps_its_figures() -> None:
    """深汕特别合作区 is not 深圳市: its targets (and the names that follow it) are the zone's."""
    rows = extract_indicators(SHENZHEN_PLAN, 2026, 2025, 2025, region_name="深圳市")
    assert {(r.indicator, r.basis, r.metric, r.value) for r in rows} == {("gdp", "target", "growth", 5.0)}
    review = "深汕特别合作区地区生产总值增长10.3%、经济总量为2020年的4.7倍，规上工业增加值增长26.0%，深圳市地区生产总值增长5.5%。"
    rows = extract_indicators(review, 2026, 2025, 2025, region_name="深圳市")
    assert {(r.indicator, r.basis, r.value) for r in rows} == {("gdp", "actual", 5.5)}  # the region named again


@pytest.mark.parametrize(("sentence", "region"), [
    ("全市地区生产总值增长6%。", "那曲市"),
    ("我县地区生产总值增长6%。", "涞水县"),
    ("那曲市地区生产总值增长6%。", "那曲市"),
    ("那曲地区生产总值增长6%。", "那曲市"),
    ("全国国内生产总值增长6%。", "全国"),
])
def test_the_region_as_subject_keeps_its_figures(sentence: str, region: str) -> None:
    rows = extract_indicators(sentence, 2021, 2020, 2020, region_name=region)
    assert [(r.indicator, r.value) for r in rows] == [("gdp", 6.0)]
    if region != "全国":
        assert not extract_indicators("全国国内生产总值增长6%。", 2021, 2020, 2020, region_name=region)


NAQU_PLAN = ("综合考虑全国全区经济社会发展形势，结合那曲“十三五”时期经济社会发展现状，“十四五”时期我市经济社会发展"
             "主要目标是：地区生产总值增速7.5%，城乡居民人均可支配收入分别增长10%、13%，基本公共服务主要指标接近全区平均水平。")


@pytest.mark.parametrize("plan_year", [2021, 2022])
def test_a_five_year_aim_is_a_span_over_the_plans_years(plan_year: int) -> None:
    keys = _keys(NAQU_PLAN, plan=plan_year, start=plan_year - 1, end=plan_year - 1)
    assert ("gdp", "target", "cagr", 2021, 2025, 7.5) in keys
    assert not any(k[:3] == ("gdp", "target", "growth") for k in keys)


def test_the_regions_jurisdiction_is_the_region_and_its_parent_is_not() -> None:
    body = "来源于深圳辖区的一般公共预算收入保持在万亿元以上，居民人均可支配收入从6.5万元提高到8.5万元、年均增长5.5%。"
    rows = extract_indicators("一、2025年工作回顾\n" + body, 2026, 2025, 2025, region_name="深圳市")
    assert ("resident_income", "cagr", 5.5) in {(r.indicator, r.metric, r.value) for r in rows}
    district = "一、2020年工作回顾\n全市地区生产总值增长6%，全区地区生产总值增长7%。"
    rows = extract_indicators(district, 2021, 2020, 2020, region_name="满城区")
    assert [(r.indicator, r.value) for r in rows] == [("gdp", 7.0)]  # 全市 is 保定, the parent

"""The analysis views on a real DuckDB file with hand-made rows.

`create_schema` and `build_sample_warehouse` are shared with test_export and
test_readme_queries: they build the schema the way the migration runner does
(numbered migrations, then the view files in name order).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from warehouse.regions import sync_regions
from warehouse.topics import read_topics, sync_topic_terms

WAREHOUSE = Path(__file__).resolve().parent.parent / "warehouse"
LOADED = dt.datetime(2024, 1, 1, 12, 0)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for path in sorted((WAREHOUSE / "migrations").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    sync_regions(con)
    for path in sorted((WAREHOUSE / "views").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def add_document(con: duckdb.DuckDBPyConnection, doc_id: str, region_code: str, region_name: str,
                 plan_year: int, *, level: str = "district", loaded_at: dt.datetime = LOADED,
                 city: str | None = "岳阳市", province: str | None = "湖南省",
                 body: str = "各位代表：现在，我代表区人民政府向大会报告工作。") -> None:
    con.execute(
        "INSERT INTO documents (doc_id, title, region_code, region_name, city, province, level, plan_year, "
        "review_start, review_end, delivered_on, speaker, body, char_count, canonical_url, source_count, "
        "extractor_version, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [doc_id, f"{plan_year}年{region_name}政府工作报告", region_code, region_name, city, province, level,
         plan_year, plan_year - 1, plan_year - 1, dt.date(plan_year, 1, 10), "张三", body, len(body),
         f"http://gov.example/{doc_id}.html", 1, "test-1", loaded_at],
    )


def add_indicator(con: duckdb.DuckDBPyConnection, doc_id: str, region_code: str, plan_year: int, indicator: str,
                  basis: str, metric: str, year: int, value: float, *, value_high: float | None = None,
                  unit: str = "pct", qualifier: str = "exact", is_estimate: bool = False, char_start: int = 0,
                  evidence: str = "地区生产总值增长7.1%") -> None:
    con.execute(
        "INSERT INTO indicators VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [doc_id, region_code, plan_year, indicator, basis, metric, year, year, value, value_high, unit,
         qualifier, is_estimate, evidence, char_start, char_start + len(evidence), "test-1"],
    )


def add_segmentation(con: duckdb.DuckDBPyConnection, doc_id: str, tokens: int, terms: dict[str, int]) -> None:
    con.execute("INSERT INTO segmentations VALUES (?, ?, 'jieba', '0.42.1', 'test')", [doc_id, tokens])
    con.executemany("INSERT INTO terms VALUES (?, ?, ?)", [(doc_id, t, c) for t, c in terms.items()])


def build_sample_warehouse(path: Path) -> None:
    """Two reports of one district (2017, 2018), a mirror, a national report and their figures;
    for the target ladder also the 2017 reports of its city, a sibling county, its province and
    the nation, and a national 2018 report that states no GDP target."""
    con = duckdb.connect(str(path))
    create_schema(con)
    sync_topic_terms(con)
    add_document(con, "d2017", "430602", "岳阳楼区", 2017)
    add_document(con, "d2018", "430602", "岳阳楼区", 2018)
    add_document(con, "n2018", "000000", "全国", 2018, level="national", city=None, province=None)
    add_ladder_reports(con)
    # 2017 report: targets for 2017 (exact and range), estimated 2016 actual.
    add_indicator(con, "d2017", "430602", 2017, "gdp", "target", "growth", 2017, 7.5,
                  qualifier="about", evidence="地区生产总值增长7.5%左右")
    add_indicator(con, "d2017", "430602", 2017, "fixed_asset_investment", "target", "growth", 2017, 6.0,
                  value_high=6.5, qualifier="range", char_start=40, evidence="固定资产投资增长6%－6.5%")
    add_indicator(con, "d2017", "430602", 2017, "retail_sales", "target", "growth", 2017, 10.0,
                  char_start=80, evidence="社会消费品零售总额增长10%")
    add_indicator(con, "d2017", "430602", 2017, "gdp", "actual", "growth", 2016, 7.8,
                  is_estimate=True, char_start=120, evidence="预计地区生产总值增长7.8%")
    # 2018 report: the 2017 actuals, the 2016 figure restated, and the 2018 target.
    add_indicator(con, "d2018", "430602", 2018, "gdp", "actual", "growth", 2017, 7.1,
                  evidence="地区生产总值增长7.1%")
    add_indicator(con, "d2018", "430602", 2018, "fixed_asset_investment", "actual", "growth", 2017, 6.8,
                  char_start=40, evidence="固定资产投资增长6.8%")
    add_indicator(con, "d2018", "430602", 2018, "gdp", "actual", "growth", 2016, 7.9,
                  char_start=60, evidence="上年地区生产总值增长7.9%")
    add_indicator(con, "d2018", "430602", 2018, "gdp", "actual", "level", 2017, 4.5e10,
                  unit="CNY", char_start=90, evidence="地区生产总值450亿元")
    add_indicator(con, "d2018", "430602", 2018, "gdp", "target", "growth", 2018, 7.0,
                  char_start=200, evidence="地区生产总值增长7%")
    add_indicator(con, "n2018", "000000", 2018, "gdp", "actual", "growth", 2017, 6.9,
                  evidence="国内生产总值增长6.9%")
    add_segmentation(con, "d2017", 1000, {"生态环境": 3, "污染防治": 2, "数字经济": 4, "发展": 30})
    add_segmentation(con, "d2018", 800, {"生态环境": 2, "数字经济": 8, "大数据": 2, "发展": 25})
    add_segmentation(con, "n2018", 5000, {"创新": 40, "生态文明": 10})
    con.execute("INSERT INTO document_sources VALUES ('d2018', 'http://www.yueyanglou.gov.cn/2018.html', "
                "'岳阳楼区人民政府', 'official', 'a', 1.0, ?, ?, NULL)", [LOADED, LOADED])
    con.execute("INSERT INTO document_sources VALUES ('d2018', 'http://www.laomi.example/2018.html', "
                "'老秘网', 'mirror', 'b', 0.97, ?, ?, NULL)", [LOADED, LOADED])
    con.execute("INSERT INTO runs VALUES ('r1', 'backfill', ?, ?, 10, 8, 3, 0, 0)", [LOADED, LOADED])
    con.close()


def add_ladder_reports(con: duckdb.DuckDBPyConnection) -> None:
    """2017 GDP growth targets one rung each: nation 6.5, 湖南 8, 岳阳市 5.5, 岳阳县 8 (the district has 7.5)."""
    add_document(con, "n2017", "000000", "全国", 2017, level="national", city=None, province=None)
    add_document(con, "p2017", "430000", "湖南省", 2017, level="province", city=None)
    add_document(con, "c2017", "430600", "岳阳市", 2017, level="city")
    add_document(con, "y2017", "430621", "岳阳县", 2017, level="county")
    for doc_id, code, value in (("n2017", "000000", 6.5), ("p2017", "430000", 8.0), ("c2017", "430600", 5.5),
                                ("y2017", "430621", 8.0)):
        add_indicator(con, doc_id, code, 2017, "gdp", "target", "growth", 2017, value, qualifier="about",
                      evidence=f"地区生产总值增长{value:g}%左右")


@pytest.fixture()
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "warehouse.duckdb"
    build_sample_warehouse(path)
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_view_files_can_be_rerun(tmp_path: Path) -> None:
    """The runner re-creates views on every writer open: the files must be idempotent."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    for path in sorted((WAREHOUSE / "views").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"attention", "indicator_panel", "target_vs_actual"} <= views


def test_target_vs_actual_exact_target(con: duckdb.DuckDBPyConnection) -> None:
    [row] = fetch_dicts(con, "SELECT * FROM target_vs_actual WHERE region_code = '430602' AND year = 2017 "
                             "AND indicator = 'gdp' AND metric = 'growth'")
    assert row["target"] == 7.5
    assert row["target_high"] is None
    assert row["target_qualifier"] == "about"
    assert row["actual"] == 7.1
    assert row["gap"] == pytest.approx(-0.4)


def test_target_vs_actual_range_target(con: duckdb.DuckDBPyConnection) -> None:
    [row] = fetch_dicts(con, "SELECT * FROM target_vs_actual WHERE year = 2017 "
                             "AND indicator = 'fixed_asset_investment'")
    assert (row["target"], row["target_high"], row["target_qualifier"]) == (6.0, 6.5, "range")
    assert row["actual"] == 6.8
    assert row["gap"] == pytest.approx(0.8)


def test_target_vs_actual_keeps_targets_without_actuals(con: duckdb.DuckDBPyConnection) -> None:
    rows = fetch_dicts(con, "SELECT * FROM target_vs_actual WHERE region_code = '430602' "
                            "AND target_status = 'stated' ORDER BY year, indicator")
    keys = [(r["year"], r["indicator"]) for r in rows]
    assert keys == [(2017, "fixed_asset_investment"), (2017, "gdp"), (2017, "retail_sales"), (2018, "gdp")]
    missing = [r for r in rows if r["indicator"] == "retail_sales" or r["year"] == 2018]
    assert all(r["actual"] is None and r["gap"] is None for r in missing)


def test_target_vs_actual_prefers_non_estimate(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    add_document(con, "a", "430602", "岳阳楼区", 2019)
    add_document(con, "b", "430602", "岳阳楼区", 2020)
    add_indicator(con, "a", "430602", 2019, "gdp", "target", "growth", 2019, 7.5)
    add_indicator(con, "b", "430602", 2020, "gdp", "actual", "growth", 2019, 7.3, is_estimate=True)
    add_indicator(con, "b", "430602", 2020, "gdp", "actual", "growth", 2019, 7.2, char_start=500)
    [row] = fetch_dicts(con, "SELECT * FROM target_vs_actual WHERE year = 2019")
    assert row["actual"] == 7.2


def test_target_vs_actual_ignores_actuals_of_other_units(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    add_document(con, "a", "430602", "岳阳楼区", 2019)
    add_document(con, "b", "430602", "岳阳楼区", 2020)
    add_indicator(con, "a", "430602", 2019, "fdi", "target", "level", 2019, 1e8, unit="USD")
    add_indicator(con, "b", "430602", 2020, "fdi", "actual", "level", 2019, 7e8, unit="CNY")
    [row] = fetch_dicts(con, "SELECT * FROM target_vs_actual WHERE year = 2019")
    assert row["actual"] is None


def test_panel_picks_latest_report_actual(con: duckdb.DuckDBPyConnection) -> None:
    [row] = fetch_dicts(con, "SELECT * FROM indicator_panel WHERE region_code = '430602' AND year = 2016 "
                             "AND indicator = 'gdp' AND basis = 'actual'")
    assert row["value"] == 7.9
    assert row["doc_id"] == "d2018"
    assert row["plan_year"] == 2018
    assert row["is_estimate"] is False
    assert row["evidence"] == "上年地区生产总值增长7.9%"


def test_panel_one_row_per_key(con: duckdb.DuckDBPyConnection) -> None:
    [(rows, keys)] = con.execute(
        "SELECT count(*), count(DISTINCT (region_code, year, indicator, metric, basis)) FROM indicator_panel"
    ).fetchall()
    assert rows == keys == 13


def test_panel_target_from_plan_year_report(tmp_path: Path) -> None:
    """A later report restating an old target does not replace the target set for that year."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    add_document(con, "a", "430602", "岳阳楼区", 2019)
    add_document(con, "b", "430602", "岳阳楼区", 2020)
    add_indicator(con, "a", "430602", 2019, "gdp", "target", "growth", 2019, 7.5, qualifier="about")
    add_indicator(con, "b", "430602", 2020, "gdp", "target", "growth", 2019, 7.0)
    [row] = fetch_dicts(con, "SELECT * FROM indicator_panel WHERE basis = 'target'")
    assert (row["value"], row["qualifier"], row["doc_id"]) == (7.5, "about", "a")


def test_panel_skips_multi_year_periods(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    add_document(con, "a", "430602", "岳阳楼区", 2021)
    con.execute("INSERT INTO indicators VALUES ('a', '430602', 2021, 'gdp', 'actual', 'cagr', 2016, 2020, 7.0, "
                "NULL, 'pct', 'exact', false, '年均增长7%', 0, 6, 'test-1')")
    assert con.execute("SELECT count(*) FROM indicator_panel").fetchone() == (0,)


def test_attention_share_is_hits_over_tokens(con: duckdb.DuckDBPyConnection) -> None:
    rows = {(r["doc_id"], r["topic"]): r for r in fetch_dicts(con, "SELECT * FROM attention")}
    environment = rows[("d2017", "environment")]
    assert (environment["hits"], environment["tokens"]) == (5, 1000)
    assert environment["share"] == pytest.approx(0.005)
    digital = rows[("d2018", "digital_economy")]
    assert (digital["hits"], digital["tokens"]) == (10, 800)
    assert digital["share"] == pytest.approx(10 / 800)


def test_attention_has_every_document_and_topic(con: duckdb.DuckDBPyConnection) -> None:
    topics = {topic.name for topic in read_topics()}
    rows = fetch_dicts(con, "SELECT * FROM attention")
    assert len(rows) == 3 * len(topics)
    assert {r["topic"] for r in rows} == topics
    finance = [r for r in rows if r["topic"] == "finance_risk"]
    assert all(r["hits"] == 0 and r["share"] == 0 for r in finance)


def test_sync_topic_terms_replaces_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    con.execute("INSERT INTO topic_terms VALUES ('stale', '旧词', '0')")
    written = sync_topic_terms(con)
    assert written == sum(len(topic.terms) for topic in read_topics())
    assert con.execute("SELECT count(*) FROM topic_terms").fetchone() == (written,)
    assert con.execute("SELECT count(*) FROM topic_terms WHERE topic = 'stale'").fetchone() == (0,)
    assert con.execute("SELECT dict_version FROM topic_terms WHERE topic = 'environment' LIMIT 1").fetchone() == ("1",)


def test_target_vs_actual_statuses_tell_unstated_from_unreported(con: duckdb.DuckDBPyConnection) -> None:
    rows = {(r["region_code"], r["year"], r["indicator"]): r for r in fetch_dicts(con, "SELECT * FROM target_vs_actual")}
    national = rows[("000000", 2018, "gdp")]  # the 2018 national report is loaded and states no GDP target
    assert (national["target"], national["target_status"], national["actual_status"]) == (None, "not stated", "no report")
    assert rows[("000000", 2017, "gdp")]["actual_status"] == "stated"  # from the 2018 report
    retail = rows[("430602", 2017, "retail_sales")]
    assert (retail["target_status"], retail["actual_status"]) == ("stated", "not stated")  # d2018 gives none
    assert rows[("430602", 2018, "retail_sales")]["target_status"] == "not stated"
    assert rows[("430602", 2018, "gdp")]["actual_status"] == "no report"  # no 2019 report
    assert len(rows) == len(fetch_dicts(con, "SELECT * FROM target_vs_actual"))  # one row per key

"""`govreports report`: every chart plots what the SQL in its caption returns, on a warehouse of known contents.

The warehouse is test_views' sample (a district's 2017 and 2018 reports, its city,
county, province and the nation in 2017, a national 2018 report without a GDP
target) plus a second run with failed pages on two hosts, a report page claimed for
岳阳县 2018 that loaded nothing, and a loaded copy whose page was removed since.
Each test reads the chart's data out of the written HTML file and runs the SQL
shown under it through `govreports sql`: both must be the same rows, and those rows
must be the known values.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flows.cli import main, run_sql
from test_views import LOADED, build_sample_warehouse

RUN2 = dt.datetime(2024, 2, 1, 9, 0)


def build_report_warehouse(path: Path) -> None:
    build_sample_warehouse(path)
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO runs VALUES ('r2', 'scrape', ?, ?, 6, 4, 0, 1, 3)",
                    [RUN2, RUN2 + dt.timedelta(minutes=5)])
        during = RUN2 + dt.timedelta(minutes=1)
        for url, host, status, error in (
                ("http://a.example/1.html", "a.example", 200, "blocked: challenge page"),
                ("http://a.example/2.html", "a.example", 200, "blocked: challenge page"),
                ("http://b.example/1.html", "b.example", 404, "HTTP 404"),
                ("http://b.example/2.html", "b.example", None, "ConnectTimeout")):
            con.execute("INSERT INTO pages (url, host, fetched_at, http_status, error, version_key) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [url, host, during, status, error, f"error:{error}"])
        # an error before both runs: no run of the last ones saw it
        con.execute("INSERT INTO pages (url, host, fetched_at, error, version_key) "
                    "VALUES ('http://c.example/old.html', 'c.example', '2020-01-01', 'ConnectTimeout', 'e')")
        # 岳阳县 2018: its report page was found and failed
        con.execute("INSERT INTO report_claims VALUES ('http://b.example/1.html', '2018年岳阳县政府工作报告', "
                    "'430621', 2018, ?)", [during])
        # the official copy of 岳阳楼区 2018 was fetched fine, then answered 404
        official = "http://www.yueyanglou.gov.cn/2018.html"
        con.execute("INSERT INTO pages (url, host, fetched_at, http_status, raw_sha256, version_key) "
                    "VALUES (?, 'www.yueyanglou.gov.cn', ?, 200, 'a', 'a')", [official, LOADED])
        con.execute("INSERT INTO page_status VALUES (?, false, 404, 'HTTP 404', ?)", [official, during])


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """The warehouse and the report written by the command: per chart its data rows and caption SQL."""
    folder = tmp_path_factory.mktemp("report")
    db = folder / "warehouse.duckdb"
    build_report_warehouse(db)
    out = folder / "report.html"
    assert main(["report", "--db", str(db), "--out", str(out), "--under", "430600"]) == 0
    return db, charts_in(out)


def charts_in(page: Path) -> dict[str, dict]:
    """Each section's chart data (Vega-Lite data.values) and the SQL shown under it."""
    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    charts = {}
    for section in tree.css("section"):
        key = section.attributes["id"].removeprefix("section-")
        spec = section.css_first("script[type='application/json']")
        charts[key] = {"rows": json.loads(spec.text()).get("data", {}).get("values") if spec else [],
                       "sql": html.unescape(section.css_first("pre").text())}
    return charts


def caption_rows(db: Path, sql: str) -> list[dict]:
    """What a user gets from the caption's query: `govreports sql ... --format json`."""
    return json.loads(run_sql(sql, db, "json"))


def test_report_has_every_chart(report) -> None:
    _, charts = report
    assert list(charts) == ["coverage", "coverage-under", "targets", "ladder", "ladder-under", "runs", "failures"]


@pytest.mark.parametrize("key", ["coverage", "coverage-under", "targets", "ladder", "ladder-under", "runs", "failures"])
def test_plotted_rows_are_the_caption_query_rows(report, key: str) -> None:
    db, charts = report
    assert charts[key]["rows"], f"{key}: no data plotted"
    assert charts[key]["rows"] == caption_rows(db, charts[key]["sql"])


def test_coverage_counts(report) -> None:
    _, charts = report
    cells = {(r["province_code"], r["year"]): r for r in charts["coverage"]["rows"]}
    assert {k: cells[("000000", 2017)][k] for k in ("loaded", "divisions", "share")} == {
        "loaded": 1, "divisions": 1, "share": 1.0}
    hunan_2017, hunan_2018 = cells[("430000", 2017)], cells[("430000", 2018)]
    assert hunan_2017["province"] == "湖南省"
    # 湖南省, 岳阳市, 岳阳楼区 and 岳阳县 in 2017; 岳阳楼区 in 2018, 岳阳县's page failed, 岳阳楼区's copy removed
    assert (hunan_2017["loaded"], hunan_2017["failed"], hunan_2017["removed"]) == (4, 0, 0)
    assert (hunan_2018["loaded"], hunan_2018["failed"], hunan_2018["removed"]) == (1, 1, 1)
    assert hunan_2017["share"] == round(4 / hunan_2017["divisions"], 4)
    assert cells[("110000", 2017)]["loaded"] == 0


def test_coverage_under_a_city(report) -> None:
    _, charts = report
    cells = {(r["region_code"], r["year"]): (r["status"], r["removed_sources"]) for r in charts["coverage-under"]["rows"]}
    assert cells[("430600", 2017)] == ("loaded", 0)
    assert cells[("430602", 2018)] == ("loaded", 1)
    assert cells[("430621", 2018)] == ("failed", 0)
    assert cells[("430611", 2017)] == ("missing", 0)
    assert {code[:4] for code, _ in cells} == {"4306"}


def test_targets_met_and_not_stated(report) -> None:
    _, charts = report
    rows = {(r["series"], r["year"]): r for r in charts["targets"]["rows"]}
    assert set(rows) == {("gdp growth", 2017), ("gdp growth", 2018)}
    assert (rows[("gdp growth", 2017)]["target"], rows[("gdp growth", 2017)]["actual"],
            rows[("gdp growth", 2017)]["outcome"]) == (6.5, 6.9, "met")
    assert rows[("gdp growth", 2018)]["target_status"] == "not stated"
    assert rows[("gdp growth", 2018)]["outcome"] is None


def test_ladder_rungs(report) -> None:
    _, charts = report
    targets = {(r["level"], r["region_code"]): r["target"] for r in charts["ladder"]["rows"] if r["year"] == 2017}
    assert targets == {("national", "000000"): 6.5, ("province", "430000"): 8.0, ("city", "430600"): 5.5,
                       ("district", "430602"): 7.5, ("county", "430621"): 8.0}
    [city] = charts["ladder-under"]["rows"]
    assert (city["year"], city["target"], city["parent_target"], city["province_target"], city["national_target"]) \
        == (2017, 5.5, 8.0, 8.0, 6.5)


def test_runs_and_failures(report) -> None:
    _, charts = report
    assert [(r["run_id"], r["documents_new"], r["documents_changed"]) for r in charts["runs"]["rows"]] == [
        ("r2", 0, 1), ("r1", 3, 0)]
    failed = {(r["host"], r["failure"]): r["pages"] for r in charts["failures"]["rows"]}
    assert failed == {("a.example", "blocked"): 2, ("b.example", "HTTP 404"): 1, ("b.example", "no answer"): 1}


def test_report_bad_selection_is_one_line(tmp_path: Path, capsys) -> None:
    db = tmp_path / "warehouse.duckdb"
    build_report_warehouse(db)
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "r.html"), "--from", "2019", "--to", "2017"]) == 2
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "r.html"), "--under", "999999"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == ["govreports: error: --from 2019 is after --to 2017",
                      "govreports: error: --under 999999: no such region in the GB/T 2260 tables of these years"]
    assert not (tmp_path / "r.html").exists()


def test_a_year_range_is_in_the_caption_query_and_the_data(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    build_report_warehouse(db)
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--out", str(out), "--under", "430602", "--from", "2018", "--to", "2018"]) == 0
    charts = charts_in(out)
    for key in ("coverage", "coverage-under", "ladder", "ladder-under"):
        assert "year >= 2018 AND year <= 2018" in charts[key]["sql"]
        assert charts[key]["rows"] == caption_rows(db, charts[key]["sql"])
        assert {row["year"] for row in charts[key]["rows"]} == {2018}
    assert charts["ladder"]["rows"] == [{"region_code": "430602", "level": "district", "year": 2018, "target": 7.0}]
    assert charts["ladder-under"]["rows"][0]["target"] == 7.0
    # the national 2018 report states no GDP target: no indicator has a target and an actual within 2018
    assert charts["targets"]["rows"] == [] == caption_rows(db, charts["targets"]["sql"])

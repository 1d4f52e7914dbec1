"""Coverage and the target ladder on one warehouse holding national, provincial, city, district
and county reports together, former divisions included; removed sources against a real HTTP
server; the `govreports coverage` command and the runs' coverage artifact.

Expected values are computed here from the region tables as tasks.metadata reads them
(Region.listed_in), independently of the views' SQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from flows.cli import main as cli_main
from flows.pipeline import run_pipeline
from flows.sample_site import gov_article, seed_lines
from tasks.fetch import FetchConfig
from tasks.metadata import Region, former_regions, regions
from tasks.sources import Site
from tests.conftest import gold_documents
from tests.test_prefect_ops import artifacts, flow_run_id
from tests.test_views import add_document, add_indicator, create_schema, fetch_dicts
from tests.webfixture import FixtureWeb, listing_html
from warehouse.coverage import build_matrix, render_csv, render_table
from warehouse.db import raw_dir_for
from warehouse.regions import sync_regions

NATION = "000000"

# (doc_id, region_code, name, level, plan_year, GDP growth target or None: a report without one)
REPORTS = [
    ("n2016", NATION, "全国", "national", 2016, 6.5),
    ("n2017", NATION, "全国", "national", 2017, 6.5),
    ("n2018", NATION, "全国", "national", 2018, None),  # like the national 2020 report: no GDP target
    ("n2019", NATION, "全国", "national", 2019, 6.0),
    ("tj2016", "120000", "天津市", "province", 2016, 9.0),
    ("hx2016", "120103", "河西区", "district", 2016, 8.0),  # a municipality's district: parent is the province
    ("hn2017", "430000", "湖南省", "province", 2017, 8.0),
    ("yy2017", "430600", "岳阳市", "city", 2017, 5.5),
    ("yy2018", "430600", "岳阳市", "city", 2018, 7.5),
    ("yyx2017", "430621", "岳阳县", "county", 2017, 8.0),
    ("yyx2018", "430621", "岳阳县", "county", 2018, 8.5),
    ("yyl2018", "430602", "岳阳楼区", "district", 2018, None),
    ("sd2017", "370000", "山东省", "province", 2017, 7.5),
    ("lw2017", "371200", "莱芜市", "city", 2017, 7.0),  # former city, merged into 济南 in 2019
    ("gc2017", "371203", "钢城区", "district", 2017, 9.5),  # under 莱芜市 then
    ("jn2019", "370100", "济南市", "city", 2019, 7.5),
    ("gc2019", "370117", "钢城区", "district", 2019, 7.0),  # the same place under 济南市, a new code
]
YEARS = range(2016, 2020)


def build_mixed_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    create_schema(con)
    for doc_id, code, name, level, year, target in REPORTS:
        add_document(con, doc_id, code, name, year, level=level)
        if target is not None:
            add_indicator(con, doc_id, code, year, "gdp", "target", "growth", year, target, qualifier="about")
        add_indicator(con, doc_id, code, year, "gdp", "actual", "growth", year - 1, 7.0, char_start=50)
    con.close()


@pytest.fixture()
def mixed(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "mixed.duckdb"
    build_mixed_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def divisions(plan_year: int) -> dict[str, Region]:
    """The regions a report of the plan year comes from: those the yearly table of the year before lists."""
    listed = [r for r in (*regions().values(), *former_regions()) if r.listed_in(plan_year - 1)]
    return {r.code: r for r in listed}


def test_coverage_marks_exactly_the_loaded_region_years(mixed: duckdb.DuckDBPyConnection) -> None:
    rows = fetch_dicts(mixed, "SELECT * FROM coverage")
    loaded = {(r["region_code"], r["year"]) for r in rows if r["status"] == "loaded"}
    assert loaded == {(code, year) for _, code, _, _, year, _ in REPORTS}
    assert {r["status"] for r in rows if (r["region_code"], r["year"]) not in loaded} == {"missing"}
    assert all(r["documents"] == 1 for r in rows if r["status"] == "loaded")
    assert all(r["documents"] == 0 and r["first_seen"] is None for r in rows if r["status"] == "missing")
    assert sorted({r["year"] for r in rows}) == list(YEARS)
    for year in YEARS:
        expected = set(divisions(year)) | {NATION}
        assert {r["region_code"] for r in rows if r["year"] == year} == expected, year
        assert len([r for r in rows if r["year"] == year]) == len(expected)  # one row per region and year


def test_coverage_follows_the_divisions_and_parents_of_each_year(mixed: duckdb.DuckDBPyConnection) -> None:
    rows = {(r["region_code"], r["year"]): r for r in fetch_dicts(mixed, "SELECT * FROM coverage")}
    assert rows[("371200", 2018)]["region_name"] == "莱芜市"  # listed in the 2017 table
    assert ("371200", 2019) not in rows and ("371203", 2019) not in rows
    assert ("370117", 2018) not in rows and rows[("370117", 2019)]["parent_code"] == "370100"
    assert rows[("371203", 2017)]["parent_code"] == "371200"
    assert rows[("120103", 2016)]["parent_code"] == "120000"
    assert rows[("430000", 2017)]["parent_code"] == NATION
    assert rows[(NATION, 2017)]["parent_code"] is None and rows[(NATION, 2017)]["level"] == "national"
    for (code, year), row in rows.items():
        if code != NATION:
            region = divisions(year)[code]
            assert (row["region_name"], row["level"]) == (region.name, region.level)
            assert row["parent_code"] == (region.parent_code or NATION)


def test_every_ladder_row_carries_its_parent_province_and_national_target(mixed: duckdb.DuckDBPyConnection) -> None:
    targets = {(code, year): value for _, code, _, _, year, value in REPORTS if value is not None}
    rows = fetch_dicts(mixed, "SELECT * FROM target_ladder")
    assert {(r["region_code"], r["year"]) for r in rows} == set(targets)
    for row in rows:
        code, year = row["region_code"], row["year"]
        parent = None if code == NATION else divisions(year)[code].parent_code or NATION
        province = None if code == NATION else code[:2] + "0000"
        assert (row["indicator"], row["metric"], row["target_qualifier"]) == ("gdp", "growth", "about")
        assert row["target"] == targets[(code, year)]
        assert (row["parent_code"], row["parent_target"]) == (parent, targets.get((parent, year))), (code, year)
        assert (row["province_code"], row["province_target"]) == (province, targets.get((province, year)))
        assert row["national_target"] == targets.get((NATION, year))
        for gap, other in (("gap_to_parent", row["parent_target"]), ("gap_to_national", row["national_target"])):
            assert row[gap] == (pytest.approx(row["target"] - other) if other is not None else None)


def test_ladder_examples(mixed: duckdb.DuckDBPyConnection) -> None:
    [county] = fetch_dicts(mixed, "SELECT * FROM target_ladder WHERE region_code = '430621' AND year = 2017")
    assert (county["parent_code"], county["parent_target"], county["province_target"], county["national_target"]) == (
        "430600", 5.5, 8.0, 6.5)
    assert county["gap_to_parent"] == pytest.approx(2.5) and county["gap_to_national"] == pytest.approx(1.5)
    [former] = fetch_dicts(mixed, "SELECT * FROM target_ladder WHERE region_code = '371203'")
    assert (former["parent_code"], former["parent_target"], former["province_target"]) == ("371200", 7.0, 7.5)
    [moved] = fetch_dicts(mixed, "SELECT * FROM target_ladder WHERE region_code = '370117'")
    assert (moved["parent_code"], moved["parent_target"], moved["national_target"]) == ("370100", 7.5, 6.0)
    [unstated] = fetch_dicts(mixed, "SELECT * FROM target_ladder WHERE region_code = '430621' AND year = 2018")
    assert unstated["national_target"] is None and unstated["gap_to_national"] is None  # n2018 states none


def test_target_status_tells_an_unstated_target_from_a_missing_report(mixed: duckdb.DuckDBPyConnection) -> None:
    rows = {(r["region_code"], r["year"]): r for r in fetch_dicts(
        mixed, "SELECT * FROM target_vs_actual WHERE indicator = 'gdp' AND metric = 'growth'")}
    assert rows[(NATION, 2018)]["target_status"] == "not stated"
    assert rows[(NATION, 2018)]["target"] is None
    assert rows[(NATION, 2018)]["actual_status"] == "stated"  # n2019 gives the 2018 actual
    assert rows[(NATION, 2019)]["actual_status"] == "no report"  # no 2020 report loaded
    assert (rows[("370117", 2019)]["target_status"], rows[("371203", 2017)]["target_status"]) == ("stated", "stated")
    assert ("430602", 2018) not in rows  # a region that never states the target has no series
    assert rows[("120103", 2016)]["actual_status"] == "no report"


def test_a_year_without_any_report_is_no_report(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)
    add_document(con, "a", "430621", "岳阳县", 2017, level="county")
    add_document(con, "c", "430621", "岳阳县", 2019, level="county")
    add_indicator(con, "a", "430621", 2017, "gdp", "target", "growth", 2017, 8.0)
    add_indicator(con, "c", "430621", 2019, "gdp", "target", "growth", 2019, 7.5)
    statuses = {r["year"]: (r["target_status"], r["actual_status"]) for r in fetch_dicts(
        con, "SELECT * FROM target_vs_actual")}
    assert statuses == {2017: ("stated", "no report"), 2018: ("no report", "not stated"),
                        2019: ("stated", "no report")}


def test_regions_table_mirrors_the_csv_files_and_reloads_only_on_change(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_schema(con)  # syncs once
    assert con.execute("SELECT count(*), count(until) FROM regions").fetchone() == (
        len(regions()) + len(former_regions()), len(former_regions()))
    assert sync_regions(con) is False
    con.execute("UPDATE reference_data SET sha256 = 'old'")
    assert sync_regions(con) is True
    assert con.execute("SELECT count(*) FROM regions").fetchone() == (len(regions()) + len(former_regions()),)


# --- the command ---------------------------------------------------------------------------


def test_coverage_command_matrix_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.duckdb"
    build_mixed_warehouse(path)
    assert cli_main(["coverage", "--db", str(path), "--under", "430600", "--from", "2017", "--to", "2018"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-3:] == ["2017", "2018", "loaded"]
    by_code = {line.split()[0]: line.split() for line in lines[1:] if line[:6].isdigit()}
    assert by_code["430621"][-3:] == ["#", "#", "2/2"]
    assert by_code["430602"][-3:] == [".", "#", "1/2"]
    assert by_code["430600"][-3:] == ["#", "#", "2/2"]
    assert len(by_code) == len([r for r in divisions(2017).values() if r.parent_code == "430600"]) + 1
    footer = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("loaded", "regions"))}
    assert footer["loaded"] == ["2", "3"]

    assert cli_main(["coverage", "--db", str(path), "--under", "370000", "--level", "district", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "region_code,region_name,level,2016,2017,2018,2019,loaded_years"
    by_code = {row.split(",")[0]: row.split(",") for row in rows[1:]}
    assert by_code["371203"][3:] == ["missing", "loaded", "missing", "", "1"]  # under 莱芜市 until 2018
    assert by_code["370117"][3:] == ["", "", "", "loaded", "1"]  # under 济南市 from 2019


@pytest.mark.parametrize(("argv", "message"), [
    (["--under", "43"], "not a 6-digit GB/T 2260 code"),
    (["--under", "990000"], "--under 990000: no such region"),
    (["--from", "2019", "--to", "2017"], "--from 2019 is after --to 2017"),
    (["--from", "2030"], "no plan years in range"),
    (["--level", "town"], "invalid choice"),
])
def test_coverage_command_bad_arguments_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             argv: list[str], message: str) -> None:
    path = tmp_path / "mixed.duckdb"
    build_mixed_warehouse(path)
    assert _exit_code(lambda: cli_main(["coverage", "--db", str(path), *argv])) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def _exit_code(call) -> int:
    try:
        return call()
    except SystemExit as stop:
        return int(stop.code)


def test_matrix_marks_regions_not_listed_in_a_year_blank(mixed: duckdb.DuckDBPyConnection) -> None:
    matrix = build_matrix(mixed, under="371200")
    assert [code for code, _, _ in matrix.regions] == ["371200", "371202", "371203"]
    assert matrix.cells[("371203", 2017)] == "loaded" and ("371203", 2019) not in matrix.cells
    table = render_table(matrix)
    assert "2019" in table.splitlines()[0]
    assert render_csv(matrix).splitlines()[1].startswith("371200,莱芜市,city,missing,loaded,missing,,")


# --- removed sources: a real server ---------------------------------------------------------


def _snapshot(db_path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                for table in ("pages", "page_status", "documents", "document_sources", "report_claims")}


def test_a_report_gone_404_is_a_removed_source_and_its_archived_copy_stays(tmp_path: Path) -> None:
    seed, gold = sorted(gold_documents().items())[1]  # 岳阳楼区 2018, official
    title = f"{gold['region_name']}{gold['plan_year']}年政府工作报告"
    page = gov_article("岳阳楼区人民政府", title, seed_lines(seed)).encode("gb18030")
    db_path = tmp_path / "w.duckdb"
    config = FetchConfig(retries=0, max_freshness=0)  # every run asks again, as the scrape a day later does
    with FixtureWeb() as web:
        host = web.host("gov")
        host.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        host.add("/list.html", listing_html([("/report.html", title)], charset_meta="utf-8"),
                 content_type="text/html; charset=utf-8")
        host.add("/report.html", page, content_type="text/html; charset=gbk")
        sites = [Site("岳阳楼区人民政府", (host.url("/list.html"),), min_delay=0.0)]
        run_pipeline(flow="backfill", db_path=db_path, sites=sites, config=config)
        report = host.url("/report.html")

        def coverage_row() -> dict:
            with duckdb.connect(str(db_path), read_only=True) as con:
                [row] = fetch_dicts(con, "SELECT * FROM coverage WHERE region_code = ? AND year = ?",
                                    [gold["region_code"], int(gold["plan_year"])])
                return row

        assert (coverage_row()["status"], coverage_row()["removed_sources"], coverage_row()["sources"]) == (
            "loaded", 0, 1)

        for status in (404, 410):
            host.add("/report.html", b"gone", status=status, conditional=False)
            run_pipeline(flow="scrape", db_path=db_path, sites=sites, config=config)
            row = coverage_row()
            assert (row["status"], row["documents"], row["removed_sources"]) == ("loaded", 1, 1), status
        with duckdb.connect(str(db_path), read_only=True) as con:
            versions = con.execute("SELECT http_status, error, raw_path FROM pages WHERE url = ? ORDER BY fetched_at",
                                   [report]).fetchall()
            [(doc_id,)] = con.execute("SELECT doc_id FROM document_sources WHERE url = ?", [report]).fetchall()
        assert [(s, e) for s, e, _ in versions] == [(200, None), (404, "HTTP 404"), (410, "HTTP 410")]
        assert (raw_dir_for(db_path) / versions[0][2]).is_file()  # the archived copy stays

        before = _snapshot(db_path)
        run_pipeline(flow="scrape", db_path=db_path, sites=sites, config=config)  # still 410: nothing changes
        assert _snapshot(db_path) == before

        host.add("/report.html", page, content_type="text/html; charset=gbk")  # back, unchanged: a 304
        run_pipeline(flow="scrape", db_path=db_path, sites=sites, config=config)
        assert host.requests("/report.html")[-1].headers.get("if-none-match")
        assert coverage_row()["removed_sources"] == 0
        with duckdb.connect(str(db_path), read_only=True) as con:
            assert con.execute("SELECT doc_id FROM documents").fetchall() == [(doc_id,)]


# --- the run's artifact ----------------------------------------------------------------------


def test_each_run_publishes_a_coverage_table_by_level_and_year(prefect_harness, sample_site, tmp_path: Path) -> None:
    from flows.prefect_flows import backfill

    db = tmp_path / "warehouse.duckdb"
    state = backfill(sources_file=str(sample_site.write_sources(tmp_path / "s.yaml")), db=str(db), return_state=True)
    assert state.is_completed()
    data = artifacts(flow_run_id(state))["backfill-coverage"].data
    table = json.loads(data) if isinstance(data, str) else data
    with duckdb.connect(str(db), read_only=True) as con:
        expected = con.execute("SELECT level, year, count(*) FILTER (WHERE status = 'loaded'), count(*) "
                               "FROM coverage GROUP BY ALL").fetchall()
        loaded = con.execute("SELECT level, plan_year, count(*) FROM documents GROUP BY ALL").fetchall()
    cells = {(row["level"], int(year)): text for row in table for year, text in row.items() if year != "level"}
    assert cells == {(level, year): f"{n}/{total}" for level, year, n, total in expected}
    assert [row["level"] for row in table] == ["national", "province", "city", "district", "county"]
    for level, year, count in loaded:
        assert cells[(level, year)].startswith(f"{count}/")


def test_report_pages_that_loaded_nothing_make_their_region_year_failed(tmp_path: Path) -> None:
    """A 404, a page that is no report and a link naming no region are tied to the region-year
    their listing link names (the last through the one region the site's loaded reports have)."""
    seed, gold = sorted(gold_documents().items())[1]  # 岳阳楼区 2018, official
    title = f"{gold['region_name']}{gold['plan_year']}年政府工作报告"
    db_path = tmp_path / "w.duckdb"
    with FixtureWeb() as web:
        host = web.host("gov")
        host.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        links = [("/report.html", title), ("/gone.html", "2019年岳阳县政府工作报告"),
                 ("/news.html", "2016年岳阳县政府工作报告"), ("/untitled.html", "2017年政府工作报告")]
        host.add("/list.html", listing_html(links, charset_meta="utf-8"), content_type="text/html; charset=utf-8")
        host.add("/report.html", gov_article("岳阳楼区人民政府", title, seed_lines(seed)).encode("gb18030"),
                 content_type="text/html; charset=gbk")
        host.add("/news.html", "<html><head><meta charset='utf-8'><title>岳阳县召开人代会</title></head><body>"
                               "<p>岳阳县第十七届人民代表大会第一次会议开幕，县长作政府工作报告。</p></body></html>",
                 content_type="text/html; charset=utf-8")
        sites = [Site("岳阳楼区人民政府", (host.url("/list.html"),), min_delay=0.0)]
        run_pipeline(flow="backfill", db_path=db_path, sites=sites, config=FetchConfig(retries=0))
        before = _snapshot(db_path)
        run_pipeline(flow="scrape", db_path=db_path, sites=sites, config=FetchConfig(retries=0))
        assert _snapshot(db_path) == before  # a re-run claims nothing again and changes no row
        with duckdb.connect(str(db_path), read_only=True) as con:
            claims = set(con.execute("SELECT url, region_code, plan_year FROM report_claims").fetchall())
            rows = {(r["region_code"], r["year"]): r for r in fetch_dicts(
                con, "SELECT * FROM coverage WHERE region_code IN ('430602', '430621')")}
    assert claims == {(host.url("/gone.html"), "430621", 2019), (host.url("/news.html"), "430621", 2016),
                      (host.url("/untitled.html"), "430602", 2017)}
    statuses = {key: row["status"] for key, row in rows.items()}
    assert statuses == {("430602", 2016): "missing", ("430602", 2017): "failed", ("430602", 2018): "loaded",
                        ("430602", 2019): "missing", ("430621", 2016): "failed", ("430621", 2017): "missing",
                        ("430621", 2018): "missing", ("430621", 2019): "failed"}
    assert (rows[("430621", 2019)]["sources"], rows[("430621", 2019)]["documents"]) == (1, 0)
    assert rows[("430621", 2019)]["first_seen"] is not None

"""The whole pipeline, as a user runs it: the backfill flow against the sample site."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import expire_freshness, gold_documents, gold_indicators

TABLES = ("pages", "documents", "document_sources", "indicators", "terms", "segmentations", "skipped_links")


def snapshot(db_path) -> dict[str, list[tuple]]:
    """Every row of every derived table, sorted: equal snapshots mean nothing changed."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


@pytest.fixture()
def backfilled(prefect_harness, sample_site, tmp_path):
    from flows.prefect_flows import backfill

    db_path = tmp_path / "warehouse.duckdb"
    sources = sample_site.write_sources(tmp_path / "sources.yaml")
    result = backfill(sources_file=str(sources), db=str(db_path))
    return db_path, result, sample_site, sources


def test_backfill_loads_one_document_per_seed_report(backfilled):
    db_path, result, _, _ = backfilled
    with duckdb.connect(str(db_path), read_only=True) as con:
        documents = con.execute(
            "SELECT region_code, region_name, plan_year, source_count FROM documents ORDER BY region_code"
        ).fetchall()
    expected = sorted((g["region_code"], g["region_name"], int(g["plan_year"])) for g in gold_documents().values())
    assert [(code, name, year) for code, name, year, _ in documents] == expected
    assert result["documents_new"] == 5


def test_a_mirrored_report_is_one_document_with_two_sources(backfilled):
    db_path, _, _, _ = backfilled
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT s.authority, d.canonical_url = s.url FROM documents d JOIN document_sources s USING (doc_id) "
            "WHERE d.region_code = '430602' ORDER BY s.authority"
        ).fetchall()
    assert rows == [("mirror", False), ("official", True)]


def test_gdp_rows_match_the_gold_file(backfilled):
    db_path, _, _, _ = backfilled
    region_of = {f: g["region_code"] for f, g in gold_documents().items()}
    expected = {
        (region_of[g["file"]], g["basis"], g["metric"], int(g["period_start"]), int(g["period_end"]), float(g["value"]))
        for g in gold_indicators() if g["indicator"] == "gdp" and g["required"] == "1"
    }
    with duckdb.connect(str(db_path), read_only=True) as con:
        loaded = con.execute(
            "SELECT region_code, basis, metric, period_start, period_end, value FROM indicators WHERE indicator = 'gdp'"
        ).fetchall()
    for key in expected:
        assert any(row[:5] == key[:5] and abs(row[5] - key[5]) <= abs(key[5]) * 0.005 for row in loaded), key


def test_a_clean_run_records_no_page_errors_and_one_run_row(backfilled):
    db_path, result, _, _ = backfilled
    with duckdb.connect(str(db_path), read_only=True) as con:
        errors = con.execute("SELECT count(*) FROM pages WHERE error IS NOT NULL").fetchone()[0]
        runs = con.execute("SELECT flow, documents_new FROM runs").fetchall()
    assert errors == 0
    assert runs == [("backfill", 5)]


def test_a_second_identical_backfill_changes_no_row(backfilled):
    from flows.prefect_flows import backfill

    db_path, _, site, sources = backfilled
    before = snapshot(db_path)
    site.request_log.clear()
    result = backfill(sources_file=str(sources), db=str(db_path))
    assert snapshot(db_path) == before
    assert result["documents_new"] == 0 and result["documents_changed"] == 0
    # the site sends Last-Modified (months ago): its pages are fresh for hours, so nothing is asked again
    assert [line for line in site.request_log if "robots" not in line] == []
    assert result["pages_fresh"] > 0 and result["pages_unchanged"] - result["pages_fresh"] == len(site.request_log)  # robots.txt

    expire_freshness(db_path)  # a day later: every page is asked again, conditionally
    result = backfill(sources_file=str(sources), db=str(db_path))
    assert snapshot(db_path) == before
    assert result["documents_new"] == 0 and result["pages_fresh"] == 0
    asked = [line for line in site.request_log if "robots" not in line]
    assert asked and all("inm=None" not in line for line in asked), "re-run should send conditional requests"


def test_look_alikes_are_recorded_with_their_reason_and_never_fetched(backfilled):
    db_path, _, site, _ = backfilled
    with duckdb.connect(str(db_path), read_only=True) as con:
        skipped = con.execute("SELECT url, reason FROM skipped_links WHERE reason LIKE 'look-alike%'").fetchall()
        fetched = {url for (url,) in con.execute("SELECT url FROM pages").fetchall()}
    reasons = sorted(reason for _, reason in skipped)
    assert reasons == sorted(["look-alike: 分工的通知", "look-alike: 图解", "look-alike: 解读", "look-alike: 新闻发布会"])
    assert not {url for url, _ in skipped} & fetched

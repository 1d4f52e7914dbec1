"""The flows as operations sees them in the Prefect UI: artifacts, run states, runs rows, task runs.

Complements tests/test_end_to_end.py (what the backfill loads) with what a run
publishes and how scrape, reprocess and failures behave under Prefect.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import FIXTURES, expire_freshness

RUN_COLUMNS = ("pages_seen", "pages_fetched", "documents_new", "documents_changed", "errors")
DERIVED = ("documents", "document_sources", "indicators", "terms", "segmentations", "pages")


def flow_run_id(state) -> str:
    return str(state.state_details.flow_run_id)


def artifacts(run_id: str) -> dict[str, object]:
    """Artifacts of one flow run, by key, read back through the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])),
                                      limit=50)
    return {a.key: a for a in found}


def summary_numbers(markdown: str) -> dict[str, int]:
    """The counts row of the summary artifact's table, by column header."""
    rows = [line for line in markdown.splitlines() if line.startswith("|") and not line.startswith("|---")]
    header, values = ([cell.strip() for cell in row.strip("|").split("|")] for row in rows[:2])
    return dict(zip(header, map(int, values)))


def runs_row(db_path: Path, run_id: str) -> dict:
    with duckdb.connect(str(db_path), read_only=True) as con:
        row = con.execute(f"SELECT flow, {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id = ?", [run_id]).fetchone()
    return dict(zip(("flow",) + RUN_COLUMNS, row))


def count_rows(db_path: Path) -> dict[str, int]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DERIVED}


def task_run_count(run_id: str, settle_seconds: float = 3.0, timeout: float = 60.0) -> int:
    """Task runs of a flow run; they reach the API as events, so wait until the count settles."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline, last, stable_since = time.monotonic() + timeout, -1, time.monotonic()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            n = len(client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])), limit=200))
            if n != last:
                last, stable_since = n, time.monotonic()
            elif n and time.monotonic() - stable_since >= settle_seconds:
                return n
            time.sleep(0.5)
    return last


def sources_with(site, path: Path, extra_urls: list[str], *, only_extra: bool = False) -> Path:
    """The sample site's sources file, with more start URLs on its first host (or only those)."""
    sites = [dict(s) for s in site.sources]
    sites[0]["start_urls"] = extra_urls if only_extra else sites[0]["start_urls"] + extra_urls
    path.write_text(yaml.safe_dump({"sites": sites[:1] if only_extra else sites}, allow_unicode=True), encoding="utf-8")
    return path


def missing_url(site) -> str:
    return re.sub(r"(http://[^/]+).*", r"\1/zwgk/zfgzbg/201802/t20180299_0000000.html", site.start_urls[0])


def test_a_backfill_publishes_its_summary_and_documents_as_artifacts_matching_the_runs_row(
        prefect_harness, sample_site, tmp_path):
    from flows.prefect_flows import backfill

    db = tmp_path / "warehouse.duckdb"
    state = backfill(sources_file=str(sample_site.write_sources(tmp_path / "s.yaml")), db=str(db), return_state=True)
    assert state.is_completed()
    result = state.result()
    found = artifacts(flow_run_id(state))

    numbers = summary_numbers(found["backfill-summary"].data)
    assert numbers["documents new"] == result["documents_new"] == 5
    assert numbers["indicators loaded"] == result["indicators_loaded"] > 0
    assert numbers["failed"] == 0 and numbers["unchanged"] == 0
    row = runs_row(db, result["run_id"])
    assert row["flow"] == "backfill"
    assert (row["pages_seen"], row["pages_fetched"], row["documents_new"], row["documents_changed"], row["errors"]) == (
        numbers["pages seen"], numbers["fetched"], numbers["documents new"], numbers["documents changed"], numbers["failed"])

    table = found["backfill-documents"].data
    table = json.loads(table) if isinstance(table, str) else table
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = set(con.execute("SELECT region_code, plan_year FROM documents").fetchall())
    assert {(r["region_code"], r["plan_year"]) for r in table} == loaded
    assert sum(r["indicators"] for r in table) == result["indicators_loaded"]

    # the coverage heatmap as a picture (an SVG data: URL) with the query behind it; no national report, no targets chart
    chart = found["backfill-coverage-chart"]
    svg = base64.b64decode(re.search(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", chart.description).group(1))
    assert svg.startswith(b"<svg") and "辽宁省 210000".encode() in svg
    sql = re.search(r"```sql\n(.+?)\n```", chart.data, re.S).group(1)
    with duckdb.connect(str(db), read_only=True) as con:
        loaded_provinces = {code for code, loaded in con.execute(f"SELECT province_code, loaded FROM ({sql})").fetchall()
                            if loaded}
    assert loaded_provinces == {code[:2] + "0000" for code, _ in loaded}
    assert "backfill-targets-chart" not in found


def test_the_documents_artifact_lists_the_first_rows_and_its_query_lists_every_document(
        prefect_harness, sample_site, tmp_path, monkeypatch, capsys):
    from flows import prefect_flows
    from flows.cli import main

    monkeypatch.setattr(prefect_flows, "ARTIFACT_ROWS", 2)
    db = tmp_path / "warehouse.duckdb"
    state = prefect_flows.backfill(sources_file=str(sample_site.write_sources(tmp_path / "s.yaml")), db=str(db),
                                   return_state=True)
    artifact = artifacts(flow_run_id(state))["backfill-documents"]
    table = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert len(table) == 2 and "the first 2 of 5" in artifact.description

    command = shlex.split(re.search(r"`(govreports sql .+)`", artifact.description).group(1))
    capsys.readouterr()
    assert main(command[1:] + ["--db", str(db), "--format", "json"]) in (0, None)
    listed = json.loads(capsys.readouterr().out)
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = set(con.execute("SELECT doc_id, region_code, plan_year FROM documents").fetchall())
    assert {(r["doc_id"], r["region_code"], r["plan_year"]) for r in listed} == loaded
    assert {(r["region_code"], r["plan_year"]) for r in table} < {(code, year) for _, code, year in loaded}


def test_failed_pages_leave_the_run_completed_with_the_failures_counted_and_listed(
        prefect_harness, sample_site, tmp_path):
    from flows.prefect_flows import backfill

    db, missing = tmp_path / "warehouse.duckdb", missing_url(sample_site)
    sources = sources_with(sample_site, tmp_path / "s.yaml", [missing])
    state = backfill(sources_file=str(sources), db=str(db), return_state=True)

    assert state.is_completed()
    result = state.result()
    assert result["errors"] == 1 and result["documents_new"] == 5
    summary = artifacts(flow_run_id(state))["backfill-summary"].data
    assert summary_numbers(summary)["failed"] == 1
    assert f"- {missing}: " in summary
    assert runs_row(db, result["run_id"])["errors"] == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pages WHERE url = ? AND error IS NOT NULL", [missing]).fetchone()[0] == 1


def test_a_run_where_nothing_could_be_fetched_is_failed(prefect_harness, sample_site, tmp_path):
    from flows.prefect_flows import NothingFetched, backfill

    db = tmp_path / "warehouse.duckdb"
    sources = sources_with(sample_site, tmp_path / "s.yaml", [missing_url(sample_site)], only_extra=True)
    state = backfill(sources_file=str(sources), db=str(db), return_state=True)

    assert state.is_failed()
    with pytest.raises(NothingFetched):
        state.result()
    assert summary_numbers(artifacts(flow_run_id(state))["backfill-summary"].data)["failed"] == 1


def test_the_scheduled_scrape_after_a_backfill_fetches_nothing_new_and_adds_no_rows(
        prefect_harness, sample_site, tmp_path):
    from flows.prefect_flows import backfill, scrape

    db, sources = tmp_path / "warehouse.duckdb", str(sample_site.write_sources(tmp_path / "s.yaml"))
    backfill(sources_file=sources, db=str(db))
    expire_freshness(db)  # the next day's scrape: every page's freshness has run out
    before = count_rows(db)
    sample_site.request_log.clear()

    state = scrape(sources_file=sources, db=str(db), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert count_rows(db) == before
    row = runs_row(db, result["run_id"])
    assert row["flow"] == "scrape"
    assert (row["pages_fetched"], row["documents_new"], row["documents_changed"], row["errors"]) == (0, 0, 0, 0)
    assert row["pages_seen"] == result["pages_unchanged"] > 0  # every page answered 304 or the same bytes
    page_requests = [line for line in sample_site.request_log if "robots.txt" not in line]
    assert page_requests and all("inm=None" not in line for line in page_requests)  # all conditional
    summary = summary_numbers(artifacts(flow_run_id(state))["scrape-summary"].data)
    assert summary["unchanged"] == row["pages_seen"] and summary["documents new"] == 0
    assert summary["of them not asked (fresh)"] == 0
    assert "scrape-documents" not in artifacts(flow_run_id(state))

    # the same day again: the pages answered fresh (the sample site sends Last-Modified), so none is asked
    sample_site.request_log.clear()
    again = scrape(sources_file=sources, db=str(db), return_state=True)
    robots = [line for line in sample_site.request_log if "robots.txt" in line]
    assert len(robots) == len(sample_site.request_log) > 0  # robots.txt only, once a host
    summary = summary_numbers(artifacts(flow_run_id(again))["scrape-summary"].data)
    assert summary["of them not asked (fresh)"] == summary["unchanged"] - len(robots) > 0
    assert count_rows(db) == before


def test_reprocess_replaces_rows_of_an_older_extractor_version_without_network(
        prefect_harness, sample_site, tmp_path, monkeypatch):
    from flows import pipeline
    from flows.prefect_flows import backfill, reprocess

    db = tmp_path / "warehouse.duckdb"
    backfill(sources_file=str(sample_site.write_sources(tmp_path / "s.yaml")), db=str(db))
    with duckdb.connect(str(db), read_only=True) as con:
        old_version = con.execute("SELECT DISTINCT extractor_version FROM documents").fetchall()
        old_docs = con.execute("SELECT doc_id, body FROM documents ORDER BY doc_id").fetchall()
        old_indicators = con.execute("SELECT count(*) FROM indicators").fetchone()[0]
    assert len(old_version) == 1

    def no_network(*args, **kwargs):
        raise AssertionError("reprocess must not crawl")

    monkeypatch.setattr(pipeline, "crawl", no_network)
    monkeypatch.setattr(pipeline, "EXTRACTOR_VERSION", old_version[0][0] + "-next")
    sample_site.request_log.clear()
    state = reprocess(db=str(db), return_state=True)

    assert state.is_completed() and sample_site.request_log == []
    result = state.result()
    assert result["documents_changed"] == 5 and result["documents_new"] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ("documents", "indicators"):
            versions = con.execute(f"SELECT DISTINCT extractor_version FROM {table}").fetchall()
            assert versions == [(old_version[0][0] + "-next",)], table
        assert con.execute("SELECT doc_id, body FROM documents ORDER BY doc_id").fetchall() == old_docs
        assert con.execute("SELECT count(*) FROM indicators").fetchone()[0] == old_indicators
        assert con.execute("SELECT count(*) FROM runs WHERE flow = 'reprocess'").fetchone()[0] == 1
    assert summary_numbers(artifacts(flow_run_id(state))["reprocess-summary"].data)["documents changed"] == 5


def test_task_runs_are_bounded_by_batches_not_pages(prefect_harness, tmp_path, monkeypatch):
    from flows import pipeline
    from flows.prefect_flows import backfill

    saved = tmp_path / "saved"
    saved.mkdir()
    seeds = sorted((FIXTURES / "gold" / "seeds_bodies").glob("*.txt"))
    year = re.compile(r"20\d\d(?=年)")
    for shift in range(6):  # 30 distinct reports: each seed with its years moved back
        for seed in seeds:
            text = year.sub(lambda m: str(int(m.group(0)) - shift), seed.read_text(encoding="utf-8"))
            (saved / f"{seed.stem}_{shift}.txt").write_text(text, encoding="utf-8")
    monkeypatch.setitem(pipeline.run_pipeline.__kwdefaults__, "batch_size", 10)

    state = backfill(from_dir=str(saved), db=str(tmp_path / "warehouse.duckdb"), return_state=True)
    assert state.is_completed()
    assert state.result()["pages_seen"] == 30
    batches = 3
    assert task_run_count(flow_run_id(state)) == batches  # dedupe-and-load, one a batch; not one per page

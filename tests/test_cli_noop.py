"""A `backfill --from-dir` with nothing new starts no Prefect flow run and writes what the flow would;
anything new, changed or failed before still goes through Prefect."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
TABLES = ("pages", "page_status", "documents", "document_sources", "indicators", "terms", "skipped_links")


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    for seed in SEEDS[:2]:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def backfill(capsys, saved: Path, db: Path, *extra: str) -> dict:
    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db), "--json", *extra)
    assert status == 0, err
    return json.loads(out)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in TABLES}


def test_a_second_identical_run_starts_no_flow_run_and_changes_no_row(prefect_harness, capsys, saved, data_dir,
                                                                       tmp_path):
    db = tmp_path / "w.duckdb"
    first = backfill(capsys, saved, db)
    assert first["flow_run_id"] is not None and first["documents_new"] == 2
    before = snapshot(db)

    again = backfill(capsys, saved, db)
    assert again["flow_run_id"] is None
    assert (again["pages_seen"], again["pages_unchanged"], again["pages_fetched"]) == (2, 2, 0)
    assert (again["documents_new"], again["documents_changed"], again["errors"]) == (0, 0, 0)
    assert again["documents"] == [] and again["failed_pages"] == []
    assert snapshot(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT run_id, flow, pages_seen FROM runs ORDER BY started_at").fetchall()
    assert runs == [(first["run_id"], "backfill", 2), (again["run_id"], "backfill", 2)]

    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db))
    assert status == 0 and err == ""
    assert ": 2 files → 2 unchanged\n" in out and "pages: 2 seen, 0 fetched, 2 unchanged, 0 failed" in out
    assert "nothing new: all 2 saved files are loaded as they are; no Prefect flow run was started" in out


def test_nothing_new_needs_no_prefect_at_all(prefect_harness, capsys, saved, data_dir, tmp_path):
    """The no-op run in a fresh process whose Prefect API is unreachable: it never imports Prefect."""
    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    env = dict(os.environ, PREFECT_API_URL="http://127.0.0.1:9/api", PYTHONPATH=str(ROOT))
    child = ("import sys\nfrom flows.cli import main\nstatus = main(sys.argv[1:])\n"
             "assert 'prefect' not in sys.modules, 'prefect was imported'\nsys.exit(status)")
    done = subprocess.run([sys.executable, "-c", child, "backfill", "--from-dir", str(saved), "--db", str(db), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["flow_run_id"] is None and report["pages_unchanged"] == 2


def test_a_changed_file_runs_the_flow_and_loads_it(prefect_harness, capsys, saved, data_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    before = snapshot(db)
    changed = sorted(saved.iterdir())[0]
    text = changed.read_text(encoding="utf-8")
    middle = text.index("。", len(text) // 2) + 1
    changed.write_text(text[:middle] + "全年新建口袋公园一百二十个。" + text[middle:], encoding="utf-8")

    again = backfill(capsys, saved, db)
    assert again["flow_run_id"] is not None
    assert (again["pages_fetched"], again["pages_unchanged"]) == (1, 1)
    assert again["documents_new"] + again["documents_changed"] == 1
    url = changed.resolve().as_uri()
    after = snapshot(db)
    assert len([row for row in after["pages"] if row[0] == url]) == 2  # the new version is recorded beside the old
    assert ({row[4] for row in after["document_sources"] if row[1] == url}
            != {row[4] for row in before["document_sources"] if row[1] == url})  # the copy is the new one


def test_a_new_file_runs_the_flow(prefect_harness, capsys, saved, data_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    shutil.copy(SEEDS[2], saved / SEEDS[2].name)

    again = backfill(capsys, saved, db)
    assert again["flow_run_id"] is not None
    assert (again["pages_fetched"], again["pages_unchanged"], again["documents_new"]) == (1, 2, 1)


def test_a_file_that_failed_before_is_read_again_by_the_flow(prefect_harness, capsys, saved, data_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    (saved / "scan.pdf").write_bytes(b"%PDF-1.4 this is not a readable PDF")
    first = backfill(capsys, saved, db)
    assert [page["url"] for page in first["failed_pages"]] == [(saved / "scan.pdf").resolve().as_uri()]

    again = backfill(capsys, saved, db)
    assert again["flow_run_id"] is not None
    assert again["errors"] == 1 and again["pages_unchanged"] == 2


def test_another_authority_changes_nothing_as_in_the_flow(prefect_harness, capsys, saved, data_dir, tmp_path):
    """The flow does not read an unchanged file again, so --authority cannot re-rank it: nor does the check."""
    from flows.prefect_flows import backfill as backfill_flow

    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    before = snapshot(db)

    again = backfill(capsys, saved, db, "--authority", "official")
    assert again["flow_run_id"] is None
    assert snapshot(db) == before
    backfill_flow(from_dir=str(saved), db=str(db), authority="official")
    assert snapshot(db) == before
    assert {row[3] for row in before["document_sources"]} == {"mirror"}


def test_a_lost_archive_copy_is_archived_again_without_a_flow_run(prefect_harness, capsys, saved, data_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    archived = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*.gz"))
    shutil.rmtree(data_dir / "raw")

    again = backfill(capsys, saved, db)
    assert again["flow_run_id"] is None and again["pages_unchanged"] == 2
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*.gz")) == archived


def test_saved_files_with_a_url_still_run_the_flow(prefect_harness, capsys, saved, data_dir, tmp_path):
    """Whether a URL has anything new is known only by fetching it: such a run is always a flow run."""
    db = tmp_path / "w.duckdb"
    backfill(capsys, saved, db)
    again = backfill(capsys, saved, db, "--url", "http://127.0.0.1:9/zfgzbg/")
    assert again["flow_run_id"] is not None
    assert again["pages_unchanged"] == 2 and again["errors"] == 1


def test_a_no_op_crawl_asks_again_over_kept_alive_connections(tmp_path, data_dir):
    """A 304 hands its connection back for the next request: a no-op scrape of a site is not a new
    TCP (on https, TLS) connection per page."""
    from bench.pipeline import build_pages, serve
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources

    server = serve(build_pages(12))
    connections: list[object] = []
    handle = server.process_request
    server.process_request = lambda request, address: (connections.append(address), handle(request, address))
    try:
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"sites:\n  - name: bench\n    start_urls: ['http://127.0.0.1:{server.server_address[1]}"
                           "/index.html']\n    min_delay: 0\n    max_concurrency: 2\n", encoding="utf-8")
        db = tmp_path / "w.duckdb"
        assert run_pipeline(flow="backfill", db_path=db, sites=load_sources(sources)).documents_new == 12
        connections.clear()
        again = run_pipeline(flow="backfill", db_path=db, sites=load_sources(sources))
    finally:
        server.shutdown()
    assert again.pages_unchanged >= 12 and again.documents_new == 0
    assert len(connections) <= 3, connections  # one per concurrent request (2), not one per page (14)

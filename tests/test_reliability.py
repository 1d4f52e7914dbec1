"""Crashes, readers holding the warehouse, and two runs at once: nothing lost, nothing doubled."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent

BACKFILL_FROM_DIR = """
import sys
from pathlib import Path
from flows.pipeline import run_pipeline
run_pipeline(flow="backfill", db_path=Path(sys.argv[1]), sites=[], from_dir=Path(sys.argv[2]))
"""

HOLD_WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN")
con.execute("UPDATE runs SET errors = errors")  # a load in progress
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
con.close()
"""

HOLD_READ_ONLY = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def python(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env or dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_a_load_waits_for_an_analyst_holding_the_warehouse_read_only(tmp_path):
    from warehouse.db import connect_writer

    db = tmp_path / "w.duckdb"
    with connect_writer(db):
        pass
    reader = python(HOLD_READ_ONLY, str(db), "4")
    assert reader.stdout.readline().strip() == "holding"
    started = time.monotonic()
    loader = python(BACKFILL_FROM_DIR, str(db), str(FIXTURES / "seeds"))
    _, err = loader.communicate(timeout=180)
    assert loader.returncode == 0, err
    assert "held by another process; waiting" in err
    assert time.monotonic() - started >= 2  # it really waited for the reader
    reader.wait(timeout=30)
    assert count(db, "SELECT count(*) FROM documents") == 5


def test_two_runs_at_once_do_not_double_load(tmp_path):
    db = tmp_path / "w.duckdb"
    runs = [python(BACKFILL_FROM_DIR, str(db), str(FIXTURES / "seeds")) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert count(db, "SELECT count(*) FROM documents") == 5
    assert count(db, "SELECT count(*) - count(DISTINCT url) FROM pages") == 0
    assert count(db, "SELECT count(*) FROM indicators") == count(
        db, "SELECT count(DISTINCT (doc_id, indicator, basis, metric, period_start, period_end, char_start)) FROM indicators")


def saved_seeds(tmp_path: Path, n: int) -> Path:
    """A --from-dir folder with the first n seed reports."""
    folder = tmp_path / "saved"
    folder.mkdir()
    for seed in sorted((FIXTURES / "seeds").glob("*.txt"))[:n]:
        shutil.copy(seed, folder / seed.name)
    return folder


def test_check_writable_lets_a_run_start_while_an_analyst_holds_the_warehouse(tmp_path, caplog):
    """The CLI's early check must not fail on a busy warehouse: the run waits for it (above)."""
    from warehouse.db import check_writable, connect_writer

    db = tmp_path / "w.duckdb"
    with connect_writer(db):
        pass
    reader = python(HOLD_READ_ONLY, str(db), "20")
    try:
        assert reader.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="govreports.warehouse"):
            check_writable(db)
        assert time.monotonic() - started < 3
        assert "in use by another process; this run will wait" in caplog.text
    finally:
        reader.kill()
        reader.wait()


def test_govreports_sql_waits_for_a_load_in_progress(tmp_path, caplog):
    """An analyst's query during a load transaction waits for it instead of failing."""
    from flows.cli import run_sql
    from warehouse.db import connect_writer

    db = tmp_path / "w.duckdb"
    with connect_writer(db) as con:
        con.execute("INSERT INTO runs (run_id, flow, started_at, errors) VALUES ('r1', 'scrape', now(), 0)")
    writer = python(HOLD_WRITER, str(db), "3")
    assert writer.stdout.readline().strip() == "holding"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="govreports.warehouse"):
        out = run_sql("SELECT count(*) AS runs FROM runs", db, "csv")
    assert out.splitlines() == ["runs", "1"]
    assert time.monotonic() - started >= 1.5  # it waited for the writer
    assert "is held by another process; waiting" in caplog.text
    assert writer.wait(timeout=30) == 0


def test_a_second_run_waits_for_the_first_then_loads_once(tmp_path, caplog):
    """A manual backfill during the scheduled scrape: it waits on the run lock, logs why, then loads."""
    from flows.pipeline import run_pipeline
    from warehouse.db import writer_lock

    db = tmp_path / "w.duckdb"
    saved = saved_seeds(tmp_path, 1)
    outcome: list = []

    def second_run() -> None:
        try:
            outcome.append(run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved))
        except BaseException as error:  # handed to the test
            outcome.append(error)

    with caplog.at_level(logging.WARNING, logger="govreports.warehouse"):
        with writer_lock(db):  # the first run, in the middle of its work
            thread = threading.Thread(target=second_run)
            thread.start()
            deadline = time.monotonic() + 30
            while "another govreports run is loading" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "another govreports run is loading" in caplog.text
            time.sleep(0.5)
            assert thread.is_alive() and not db.exists()  # waiting, and has touched nothing
        thread.join(timeout=180)
    (summary,) = outcome
    assert summary.documents_new == 1
    assert count(db, "SELECT count(*) FROM documents") == 1
    assert count(db, "SELECT count(*) FROM runs") == 1


def test_a_failed_load_leaves_nothing_of_its_batch_and_a_rerun_completes_it(tmp_path, monkeypatch):
    """Pages and documents of a batch commit together: a failure after the pages were written rolls them back."""
    from flows.pipeline import run_pipeline
    from warehouse import load

    db = tmp_path / "w.duckdb"
    saved = saved_seeds(tmp_path, 2)
    real_load_documents = load.load_documents

    def fail_mid_batch(con, docs):
        real_load_documents(con, docs)
        assert con.execute("SELECT count(*) FROM pages").fetchone()[0] == 2  # written, not committed
        raise OSError("disk full")

    monkeypatch.setattr(load, "load_documents", fail_mid_batch)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    for table in ("pages", "documents", "document_sources", "indicators", "terms", "segmentations"):
        assert count(db, f"SELECT count(*) FROM {table}") == 0, table
    monkeypatch.setattr(load, "load_documents", real_load_documents)
    summary = run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    assert summary.documents_new == 2
    assert count(db, "SELECT count(*) FROM documents") == 2
    assert count(db, "SELECT count(*) FROM pages") == 2


def crash_trials():
    sys.path.insert(0, str(ROOT / "bench"))
    from crash_trials import run_trials

    return run_trials


def test_sigkill_in_fetch_processing_and_load_then_rerun_equals_an_uninterrupted_run():
    """Three trials, one aimed at each phase; `python bench/crash_trials.py` runs the full 21."""
    trials = crash_trials()(3)
    assert [t.line() for t in trials if t.failures] == []
    assert len(trials) == 3


@pytest.mark.slow
def test_sigkill_full_count():
    """The full count (21 trials, 7 per phase): `make test-all` or `python bench/crash_trials.py`."""
    trials = crash_trials()(21)
    assert [t.line() for t in trials if t.failures] == []

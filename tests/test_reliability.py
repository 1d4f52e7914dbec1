"""Crashes, readers holding the warehouse, and two runs at once: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent

BACKFILL_FROM_DIR = """
import sys
from pathlib import Path
from flows.pipeline import run_pipeline
run_pipeline(flow="backfill", db_path=Path(sys.argv[1]), sites=[], from_dir=Path(sys.argv[2]))
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


def test_sigkill_at_random_points_then_rerun_equals_an_uninterrupted_run():
    """Three trials here; `python bench/crash_trials.py 20` runs the full count."""
    sys.path.insert(0, str(ROOT / "bench"))
    from crash_trials import run_trials

    assert run_trials(3) == []

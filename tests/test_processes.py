"""A run's processes end with it: Ctrl-C, SIGKILL and a closed pipe, on the real `govreports` command.

A run of 8 or more reports starts worker processes (a forkserver, its workers, a
resource tracker) and, with no Prefect server configured, a temporary Prefect
server. Ctrl-C ends the run within seconds with one line and exit status 130;
a SIGKILLed run (the OOM killer) leaves nothing running either; both leave a
warehouse that the next run completes to exactly what an uninterrupted run loads.
A cancelled deployment run is checked by scripts/check_deployments.sh.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import run_pipeline
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
GOVREPORTS = str(Path(sys.executable).parent / "govreports")
NATIONAL = FIXTURES / "corpus" / "national"  # 20 reports: one batch, enough for the worker processes
INTERRUPTED = re.compile(r"^interrupted: (\d+) documents loaded; run the same command again to finish$")


def snapshot(db: Path) -> dict[str, list]:
    sys.path.insert(0, str(ROOT / "bench"))
    from crash_trials import snapshot as rows

    return rows(db)


def _proc_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return int(ppid), state


def descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[0]
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pids: set[int]) -> set[int]:
    """Those still running (a zombie has ended: it only waits for its parent to read its status)."""
    return {pid for pid in pids if (stat := _proc_stat(pid)) is not None and stat[1] != "Z"}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def start_backfill(saved: Path, db: Path, **env: str) -> subprocess.Popen:
    """`govreports backfill --from-dir` as a terminal starts it: in a process group of its own."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | env  # a temporary Prefect server
    return subprocess.Popen([GOVREPORTS, "backfill", "--from-dir", str(saved), "--db", str(db)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_workers(run: subprocess.Popen, timeout: float = 240) -> set[int]:
    """Once the run's worker processes work (a forkserver and a worker forked from it), every process
    the run has started: the temporary server, forkserver, workers, resource tracker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        family = descendants(run.pid)
        forkservers = [pid for pid in family if "multiprocessing.forkserver" in cmdline(pid)]
        if len(forkservers) >= 2 and any("uvicorn" in cmdline(pid) for pid in family):
            return family
        time.sleep(0.1)
    out, err = run.communicate(timeout=30) if run.poll() is not None else ("", "")
    pytest.fail(f"the run's worker processes never started (exit {run.returncode}): {err[-2000:]}")


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := running(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {pid: cmdline(pid) for pid in left}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """The saved reports, in one place for every run (a saved file's URL is its path)."""
    return shutil.copytree(NATIONAL, tmp_path_factory.mktemp("saved") / "national")


@pytest.fixture(scope="module")
def reference(tmp_path_factory, saved) -> dict[str, list]:
    """What an uninterrupted run of the saved reports loads."""
    db = tmp_path_factory.mktemp("reference") / "w.duckdb"
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    return snapshot(db)


def rerun_equals(reference: dict[str, list], saved: Path, db: Path) -> None:
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    got = snapshot(db)
    assert [table for table in reference if got[table] != reference[table]] == []


def test_ctrl_c_ends_a_run_with_one_line_and_nothing_left_running(tmp_path, saved, reference):
    db = tmp_path / "w.duckdb"
    run = start_backfill(saved, db, GOVREPORTS_BATCH_SIZE="8")  # three batches: some load before Ctrl-C
    family = wait_for_workers(run)
    time.sleep(2)
    pressed = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)  # what the terminal does: the whole foreground process group
    out, err = run.communicate(timeout=60)
    seconds = time.monotonic() - pressed
    lines = err.strip().splitlines()
    assert run.returncode == 130, err
    assert len(lines) == 1 and (interrupted := INTERRUPTED.match(lines[0])), err
    assert "Traceback" not in out + err
    assert seconds < 10
    assert wait_gone(family, 2) == {}
    with duckdb.connect(str(db), read_only=True) as con:  # the line tells what the warehouse holds
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == int(interrupted.group(1))
    rerun_equals(reference, saved, db)


def test_a_killed_run_leaves_no_process_and_the_next_run_completes_it(tmp_path, saved, reference):
    db = tmp_path / "w.duckdb"
    run = start_backfill(saved, db)
    family = wait_for_workers(run)
    time.sleep(0.5)  # the batch is in the workers
    run.kill()  # only the run's own process, as the OOM killer does
    run.communicate(timeout=30)
    assert wait_gone(family, 15) == {}  # the server shuts down on SIGTERM, then at the latest 5 s later
    rerun_equals(reference, saved, db)


def test_a_closed_pipe_ends_output_quietly(tmp_path):
    from warehouse import db as warehouse_db

    db = tmp_path / "w.duckdb"
    with warehouse_db.connect_writer(db):
        pass
    script = (f'"{GOVREPORTS}" sql "SELECT range AS n FROM range(200000)" --format csv --db "{db}" | head -2; '
              'echo "status ${PIPESTATUS[0]}" >&2')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["n", "0"]
    assert done.stderr.strip() == "status 141", done.stderr  # quiet: no BrokenPipeError traceback

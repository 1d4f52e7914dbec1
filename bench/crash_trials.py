"""Crash and resume: SIGKILL the backfill at random points, re-run, compare with an uninterrupted run.

    .venv/bin/python bench/crash_trials.py 20      # the full count (tests run 3)

Each trial starts a backfill of the sample site in a child process, kills it
after a random delay (fetch, processing or load), runs the backfill again to
completion and checks: the warehouse opens, its rows equal those of an
uninterrupted run (timestamps aside), no duplicates, and the raw archive holds
no partial file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.sample_site import serve_sample_site  # noqa: E402

CHILD = """
import sys
from pathlib import Path
from flows.pipeline import run_pipeline
from tasks.sources import sites_from_urls
from tasks.sources import Site
sites = [Site(name=s.name, start_urls=s.start_urls, authority=s.authority, min_delay=0.05)
         for s in sites_from_urls(sys.argv[2:])]
run_pipeline(flow="backfill", db_path=Path(sys.argv[1]), sites=sites)
"""

# Stable columns: what a re-run must reproduce exactly (no timestamps, no run ids).
STABLE = {
    "pages": "url, raw_sha256, error, role",
    "documents": "doc_id, region_code, plan_year, body, source_count, canonical_url",
    "document_sources": "doc_id, url, authority, copy_sha256, similarity",
    "indicators": "doc_id, indicator, basis, metric, period_start, period_end, value, char_start",
    "terms": "doc_id, term, count",
    "segmentations": "doc_id, tokens",
}


def backfill(db: Path, urls: list[str], data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, GOVREPORTS_DATA=str(data_dir))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db), *urls], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(f"SELECT DISTINCT {cols} FROM {table}").fetchall(), key=repr)
                for table, cols in STABLE.items()} | {
            "duplicates": con.execute(
                "SELECT count(*) - count(DISTINCT (doc_id, indicator, basis, metric, period_start, period_end, char_start)) "
                "FROM indicators").fetchall()}


def partial_files(data_dir: Path) -> list[Path]:
    raw = data_dir / "raw"
    return [p for p in raw.rglob("*") if p.is_file() and not p.name.endswith(".gz")] if raw.exists() else []


def run_trials(count: int, seed: int = 7) -> list[str]:
    """Returns a list of failure descriptions (empty when every trial passed)."""
    rng = random.Random(seed)
    failures = []
    with serve_sample_site() as site, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        reference_db = tmp_path / "reference.duckdb"
        started = time.monotonic()
        reference = backfill(reference_db, site.start_urls, tmp_path / "reference-data")
        if reference.wait() != 0:
            raise RuntimeError(reference.stderr.read().decode())
        full_time = time.monotonic() - started
        expected = snapshot(reference_db)
        for trial in range(count):
            db, data_dir = tmp_path / f"t{trial}.duckdb", tmp_path / f"t{trial}-data"
            victim = backfill(db, site.start_urls, data_dir)
            time.sleep(rng.uniform(0.2, full_time))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            resumed = backfill(db, site.start_urls, data_dir)
            if resumed.wait() != 0:
                failures.append(f"trial {trial}: re-run failed: {resumed.stderr.read().decode()[-500:]}")
                continue
            if snapshot(db) != expected:
                failures.append(f"trial {trial}: warehouse differs from the uninterrupted run")
            if partial_files(data_dir):
                failures.append(f"trial {trial}: partial archive files {partial_files(data_dir)}")
    return failures


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    failures = run_trials(count)
    for failure in failures:
        print(failure)
    print(f"{count - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

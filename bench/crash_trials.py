"""Crash and resume: SIGKILL the backfill in fetch, processing or load, re-run, compare with an uninterrupted run.

    .venv/bin/python bench/crash_trials.py            # the full count: 21 trials, 7 aimed at each phase
    .venv/bin/python bench/crash_trials.py 6 --seed 3 # fewer, another random sequence

(`tests/test_reliability.py` runs 3, one per phase.)

Each trial backfills the sample site (its sources file, so the government
sites are `official`) in a child process with a small batch size, so a run has
several load transactions. The child prints the phase it enters (fetch,
process, load); trials aim their kill at a random instant inside one phase of
the uninterrupted run's timeline (that phase's n-th visit, so many seconds
in, timed by the victim's own marks) and report the phase it was really in. After the kill the warehouse must open and hold only whole batches, and
the raw archive only whole files; after a complete re-run the warehouse must
equal the uninterrupted one row for row (timestamps and run ids aside).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.sample_site import serve_sample_site  # noqa: E402

PHASES = ("fetch", "process", "load")
BATCH_SIZE = 2  # the sample site's 5 reports make 3 batches, so kills land between loads too

CHILD = """
import sys
from pathlib import Path
from flows import pipeline
from tasks.sources import Site, load_sources
from warehouse import load

STEP_PHASE = {"clean-and-identify": "process", "dedupe": "process", "extract-and-segment": "process",
              "dedupe-and-load": "process"}

def mark(phase):
    print(phase, flush=True)

def runner(name, fn, *args):
    mark(STEP_PHASE[name])
    return fn(*args)

load_batch = pipeline.load_batch
def marked_load_batch(*args):
    mark("load")  # the batch's transaction, at the end of its dedupe-and-load step
    result = load_batch(*args)
    mark("fetch")  # the crawl goes on until the next batch is full
    return result
pipeline.load_batch = marked_load_batch

record_skips = load.record_skips
def marked_record_skips(*args):
    mark("load")  # the run's closing writes: skipped links, the runs row
    return record_skips(*args)
load.record_skips = marked_record_skips

sites = [Site(s.name, s.start_urls, s.authority, min_delay=0.05, max_concurrency=s.max_concurrency)
         for s in load_sources(sys.argv[2])]
mark("fetch")
pipeline.run_pipeline(flow="backfill", db_path=Path(sys.argv[1]), sites=sites, runner=runner,
                      batch_size=int(sys.argv[3]))
mark("done")
"""

# What a re-run must reproduce exactly: every row (no DISTINCT, so a duplicate shows), timestamps and run ids aside.
STABLE = {
    "pages": "url, raw_sha256, raw_path, error, role, part_of, part_index",
    "documents": "doc_id, region_code, plan_year, body, source_count, canonical_url, extractor_version",
    "document_sources": "doc_id, url, authority, copy_sha256, similarity",
    "indicators": "doc_id, indicator, basis, metric, period_start, period_end, value, value_high, unit, char_start",
    "terms": "doc_id, term, count",
    "segmentations": "doc_id, tokens, dict_sha256",
    "skipped_links": "url, reason",
}

# A batch is one transaction: after a kill, no document may lack its children or its pages.
HALF_LOADED = {
    "documents without segmentation": "SELECT count(*) FROM documents d WHERE NOT EXISTS "
                                      "(SELECT 1 FROM segmentations s WHERE s.doc_id = d.doc_id)",
    "documents without sources": "SELECT count(*) FROM documents d WHERE NOT EXISTS "
                                 "(SELECT 1 FROM document_sources s WHERE s.doc_id = d.doc_id)",
    "sources without their page": "SELECT count(*) FROM document_sources s WHERE NOT EXISTS "
                                  "(SELECT 1 FROM pages p WHERE p.url = s.url)",
    "indicators without document": "SELECT count(*) FROM indicators i WHERE NOT EXISTS "
                                   "(SELECT 1 FROM documents d WHERE d.doc_id = i.doc_id)",
}


class Child:
    """A backfill in a child process, with the phases it announced and when."""

    def __init__(self, db: Path, sources: Path, data_dir: Path, batch_size: int, log: Path):
        env = dict(os.environ, GOVREPORTS_DATA=str(data_dir))
        self.stderr = open(log, "w")
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(sources), str(batch_size)], cwd=ROOT,
                                     env=env, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.started = time.monotonic()
        self.marks: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.marks.append((time.monotonic() - self.started, line.strip()))

    def phase(self) -> str:
        return self.marks[-1][1] if self.marks else "start-up"

    def wait(self) -> int:
        code = self.proc.wait()
        self.reader.join(timeout=10)
        self.stderr.close()
        return code

    def kill_in(self, phase: str, ordinal: int, offset: float) -> tuple[str, float]:
        """SIGKILL `offset` seconds into the `ordinal`-th visit of `phase` (timed by the child's own marks).

        Returns the phase it was really in (or 'done' if it finished first) and the time of the kill.
        """
        while self.proc.poll() is None:
            visits = [t for t, mark in self.marks if mark == phase]
            if len(visits) > ordinal:
                time.sleep(max(0.0, self.started + visits[ordinal] + offset - time.monotonic()))
                break
            time.sleep(0.005)
        if self.proc.poll() is not None:
            self.wait()
            return "done", time.monotonic() - self.started
        killed_in, at = self.phase(), time.monotonic() - self.started
        self.proc.send_signal(signal.SIGKILL)
        self.wait()
        return killed_in, at


def phase_visits(marks: list[tuple[float, str]]) -> dict[str, list[tuple[int, float]]]:
    """The uninterrupted run's timeline: per phase, each visit as (its ordinal among that phase's visits, seconds)."""
    visits: dict[str, list[tuple[int, float]]] = {phase: [] for phase in PHASES}
    for (start, phase), (end, _) in zip(marks, marks[1:]):
        if phase in visits:
            visits[phase].append((len(visits[phase]), end - start))
    return visits


def aim(visits: list[tuple[int, float]], rng: random.Random) -> tuple[int, float]:
    """A uniformly random instant of a phase's time: (which visit, seconds into it)."""
    point = rng.uniform(0, sum(seconds for _, seconds in visits))
    for ordinal, seconds in visits:
        if point <= seconds:
            return ordinal, point
        point -= seconds
    return visits[-1][0], visits[-1][1]


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
                for table, cols in STABLE.items()}


def half_loaded(db: Path) -> list[str]:
    """Problems of a warehouse left by a kill: it must open read-only and hold whole batches only."""
    if not db.exists():
        return []
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if "documents" not in tables:
                return []  # killed before the schema was made: nothing to check
            return [f"{name}: {n}" for name, sql in HALF_LOADED.items() if (n := con.execute(sql).fetchone()[0])]
    except duckdb.Error as error:
        return [f"warehouse does not open: {str(error).splitlines()[0]}"]


def archive_problems(data_dir: Path, *, after_rerun: bool) -> list[str]:
    """Every archived file must be a whole gzip whose content hashes to its name."""
    raw, problems = data_dir / "raw", []
    if not raw.exists():
        return problems
    for path in raw.rglob("*"):
        if not path.is_file():
            continue
        if ".incoming" in path.parts:
            if after_rerun:
                problems.append(f"temp file not swept: {path.name}")
            continue
        try:
            whole = path.name.endswith(".gz") and hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == \
                path.name.removesuffix(".gz")
        except (OSError, EOFError, gzip.BadGzipFile):
            whole = False
        if not whole:
            problems.append(f"partial archive file: {path.relative_to(raw)}")
    return problems


@dataclass
class Trial:
    index: int
    target: str
    at: float = 0.0
    killed_in: str = ""
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = "ok" if not self.failures else "FAILED: " + "; ".join(self.failures)
        return f"trial {self.index:2d}: aimed at {self.target:7s} killed at {self.at:5.2f}s in {self.killed_in:8s} {verdict}"


def run_trials(count: int, seed: int = 7, batch_size: int = BATCH_SIZE, echo: bool = False) -> list[Trial]:
    """Run `count` kill-and-resume trials, aimed at fetch, process and load in turn."""
    rng = random.Random(seed)
    trials = []
    with serve_sample_site() as site, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        sources = site.write_sources(tmp_path / "sources.yaml")
        reference = Child(tmp_path / "reference.duckdb", sources, tmp_path / "reference-data", batch_size,
                          tmp_path / "reference.log")
        if reference.wait() != 0:
            raise RuntimeError((tmp_path / "reference.log").read_text()[-2000:])
        expected = snapshot(tmp_path / "reference.duckdb")
        visits = phase_visits(reference.marks)
        if echo:
            spans = {p: round(sum(seconds for _, seconds in v), 2) for p, v in visits.items()}
            print(f"uninterrupted run: {reference.marks[-1][0]:.2f}s, seconds per phase {spans}", flush=True)
        for index in range(count):
            target = PHASES[index % len(PHASES)]
            ordinal, offset = aim(visits[target], rng)
            trial = Trial(index, target)
            db, data_dir = tmp_path / f"t{index}.duckdb", tmp_path / f"t{index}-data"
            victim = Child(db, sources, data_dir, batch_size, tmp_path / f"t{index}-victim.log")
            trial.killed_in, trial.at = victim.kill_in(target, ordinal, offset)
            trial.failures += half_loaded(db)
            trial.failures += archive_problems(data_dir, after_rerun=False)
            resumed = Child(db, sources, data_dir, batch_size, tmp_path / f"t{index}-rerun.log")
            if resumed.wait() != 0:
                trial.failures.append("re-run failed: " + (tmp_path / f"t{index}-rerun.log").read_text()[-500:])
            else:
                got = snapshot(db)
                trial.failures += [f"{table} differs from the uninterrupted run" for table in STABLE
                                   if got[table] != expected[table]]
                trial.failures += archive_problems(data_dir, after_rerun=True)
            trials.append(trial)
            if echo:
                print(trial.line(), flush=True)
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=21)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    started = time.monotonic()
    trials = run_trials(args.count, args.seed, args.batch_size, echo=True)
    failed = [t for t in trials if t.failures]
    phases = Counter(t.killed_in for t in trials)
    print(f"{len(trials) - len(failed)} passed, {len(failed)} failed; killed in: "
          + ", ".join(f"{phase} {phases[phase]}" for phase in (*PHASES, "done") if phases[phase])
          + f"; {time.monotonic() - started:.0f}s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

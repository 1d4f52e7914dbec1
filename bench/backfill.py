"""`govreports backfill --from-dir` over 1,500 real report texts against plain `jieba.lcut` over the same texts.

The texts are the national reports (2005-2025), the 保定 county texts and the
2026 provincial mirror texts from ../shared (or the test fixtures when it is
missing), each copy year-shifted so every file is a distinct report, written to
a temporary folder. Measured side by side, each in a fresh process, as a new
user would run them:
  - plain `jieba.lcut` over every text in one process (import and dictionary load included),
  - `govreports backfill --from-dir DIR --db NEW` (the CLI as shipped: Prefect flow, all stages),
  - the same command again (nothing new: must cost <= 5% of the first; the CLI finds every file loaded as it is
    and runs the pipeline in its own process, without starting Prefect: its summary's flow_run_id is null),
  - `govreports reprocess` of that warehouse,
with the wall time, peak RSS of the whole process tree (workers and Prefect's server too), warehouse and archive size.
Targets: backfill >= 1.5x faster than plain jieba, second run <= 5% of the first.

    .venv/bin/python bench/backfill.py [--texts 1500] [--keep DIR] [--skip-jieba] [--skip-reprocess]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BIN = Path(sys.executable).parent
YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?=年)")
SOURCES = [
    (SHARED / "corpus" / "national", ROOT / "tests" / "fixtures" / "corpus" / "national"),
    (SHARED / "real" / "baoding_counties" / "pages", ROOT / "tests" / "fixtures" / "real" / "segment"),
    (SHARED / "real" / "prov2026_dev" / "pages", None),
]
TARGET_SPEEDUP = 1.5
TARGET_NOOP = 0.05


def base_texts() -> list[tuple[str, str]]:
    """(name, text) of every source text; a test fixture stands in for a missing ../shared folder."""
    texts = []
    for shared, fallback in SOURCES:
        folder = shared if shared.is_dir() else fallback
        if folder is None:
            continue
        for path in sorted(folder.rglob("*.txt")):
            texts.append((f"{folder.name}_{path.stem}", path.read_text(encoding="utf-8")))
    return texts


def shifted(text: str, years: int) -> str:
    """Every 年-year moved by `years`: a distinct report for the same region."""
    return YEAR.sub(lambda m: str(int(m.group(0)) + years), text) if years else text


def write_texts(folder: Path, count: int) -> int:
    """`count` year-shifted copies of the source texts in `folder`; returns their UTF-8 bytes."""
    texts = base_texts()
    size = 0
    for i in range(count):
        name, text = texts[i % len(texts)]
        years = i // len(texts)
        data = shifted(text, years).encode("utf-8")
        (folder / f"{name}_{years:02d}.txt").write_bytes(data)
        size += len(data)
    return size


JIEBA_CHILD = """
import logging, sys, time
from pathlib import Path
import jieba
jieba.setLogLevel(logging.WARNING)
tokens = 0
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    tokens += len(jieba.lcut(path.read_text(encoding="utf-8")))
print(tokens)
"""


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (workers, the forkserver, Prefect's server), in MB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid = int(stat.parent.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(rss.get(pid, 0) for pid in tree) / 1e6


def run(command: list[str], env: dict[str, str]) -> dict:
    """Run one command in a fresh process: wall seconds, peak RSS of its process tree (sampled every 0.05-0.2 s),
    its --json summary, the run's own seconds and the CPU time of the command and what it waited for."""
    start = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.05 if time.perf_counter() - start < 5 else 0.2)  # a no-op run lasts a second or two
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and what it waited for (not forkserver workers)
        cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise RuntimeError(f"{command[:3]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    summary = json.loads(stdout[stdout.find("{"):]) if "{" in stdout else {}
    flow = None
    if summary.get("started_at") and summary.get("finished_at"):
        flow = (dt.datetime.fromisoformat(summary["finished_at"]) - dt.datetime.fromisoformat(summary["started_at"])).total_seconds()
    return {"seconds": seconds, "cpu_seconds": cpu, "flow_seconds": flow, "peak_rss_mb": peak, "summary": summary}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--skip-jieba", action="store_true", help="do not time plain jieba.lcut")
    parser.add_argument("--skip-reprocess", action="store_true",
                        help="do not time reprocess (it holds every copy in memory: ~1.5 MB a report)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        texts = work / "texts"
        texts.mkdir(parents=True, exist_ok=True)
        size = write_texts(texts, args.texts)
        db = work / "warehouse.duckdb"
        env = dict(os.environ, GOVREPORTS_DATA=str(work / "data"), PYTHONUNBUFFERED="1")
        print(f"{args.texts} texts, {size / 1e6:.1f} MB UTF-8 in {texts}", flush=True)
        results: dict[str, dict] = {}
        if not args.skip_jieba:
            results["jieba.lcut, one process"] = run([sys.executable, "-c", JIEBA_CHILD, str(texts)], env)
        backfill = [str(BIN / "govreports"), "backfill", "--from-dir", str(texts), "--db", str(db), "--json"]
        results["backfill --from-dir"] = run(backfill, env)
        disk = {"raw archive": du(work / "data"), "warehouse": db.stat().st_size}
        results["backfill again (nothing new)"] = run(backfill, env)
        if not args.skip_reprocess:
            results["reprocess"] = run([str(BIN / "govreports"), "reprocess", "--db", str(db), "--json"], env)
        print("| run | seconds | reports/s | run s (Prefect's start-up and shut-down excluded) | Prefect flow run "
              "| peak RSS of the process tree MB |")
        print("|---|---:|---:|---:|---|---:|")
        for label, r in results.items():
            flow = f"{r['flow_seconds']:.1f}" if r["flow_seconds"] is not None else "–"
            summary = r["summary"]
            started = "–" if "flow_run_id" not in summary else "no" if summary["flow_run_id"] is None else "yes"
            print(f"| {label} | {r['seconds']:.1f} | {args.texts / r['seconds']:.1f} | {flow} "
                  f"| {started} | {r['peak_rss_mb']:.0f} |")
        first = results["backfill --from-dir"]["seconds"]
        loaded = results["backfill --from-dir"]["summary"]
        print(f"after the first run: warehouse {disk['warehouse'] / 1e6:.0f} MB, raw archive {disk['raw archive'] / 1e6:.0f} MB; {loaded.get('documents_new')} documents, "
              f"{loaded.get('indicators_loaded')} indicators, {len(loaded.get('failed_pages', []))} failed pages")
        if "jieba.lcut, one process" in results:
            speedup = results["jieba.lcut, one process"]["seconds"] / first
            print(f"backfill vs jieba.lcut: {speedup:.2f}x faster (target >= {TARGET_SPEEDUP}x: "
                  f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")
        again = results["backfill again (nothing new)"]
        noop = again["seconds"] / first
        print(f"second run: {noop * 100:.1f}% of the first (target <= {TARGET_NOOP * 100:.0f}%: "
              f"{'met' if noop <= TARGET_NOOP else 'NOT met'}); its CPU time {again['cpu_seconds']:.2f} s "
              "(not distorted by a busy machine)")
        flows = [results[k]["flow_seconds"] for k in ("backfill --from-dir", "backfill again (nothing new)")]
        if None not in flows:
            print(f"the runs alone (started_at to finished_at): second {flows[1]:.1f} s = {flows[1] / flows[0] * 100:.1f}% of the first {flows[0]:.1f} s")
        print(json.dumps({k: round(v["seconds"], 2) for k, v in results.items()}))


if __name__ == "__main__":
    main()

"""Indicator extraction throughput on one core.

Runs `extract_indicators` over every national report and seed body in the
fixtures, several times, and prints reports/s and MB/s (UTF-8). The extractor
is pure Python regex work, so one core is the honest unit: the pipeline
parallelises by document. Target: at least 200 reports/s.

    .venv/bin/python bench/extract.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.extract import EXTRACTOR_VERSION, extract_indicators  # noqa: E402  (needs ROOT on sys.path)

NATIONAL = ROOT / "tests/fixtures/corpus/national"
GOLD = ROOT / "tests/fixtures/gold"
TARGET_REPORTS_PER_S = 200


def load_reports() -> list[tuple[str, int | None, int | None, int | None]]:
    """(body, plan_year, review_start, review_end) for every fixture report."""
    reports: list[tuple[str, int | None, int | None, int | None]] = []
    for path in sorted(NATIONAL.glob("*.txt")):
        year = int(path.stem)
        reports.append((path.read_text(encoding="utf-8"), year, year - 1, year - 1))
    with open(GOLD / "seeds_documents.csv", encoding="utf-8") as fh:
        for doc in csv.DictReader(fh):
            body = (GOLD / "seeds_bodies" / doc["file"]).read_text(encoding="utf-8")
            reports.append((body, int(doc["plan_year"]), int(doc["review_start"]), int(doc["review_end"])))
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="passes over the corpus (default 10)")
    args = parser.parse_args()

    reports = load_reports()
    megabytes = sum(len(body.encode("utf-8")) for body, *_ in reports) / 1e6
    extract_indicators(*reports[0])  # warm-up: regex compilation is import-time, but be fair to caches

    rows = 0
    best = float("inf")
    total = 0.0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rows = sum(len(extract_indicators(*report)) for report in reports)
        elapsed = time.perf_counter() - t0
        total += elapsed
        best = min(best, elapsed)

    mean = total / args.repeat
    print(f"extractor {EXTRACTOR_VERSION}: {len(reports)} reports, {megabytes:.2f} MB, {rows} rows per pass")
    print(f"mean pass {mean * 1000:.1f} ms: {len(reports) / mean:.0f} reports/s, {megabytes / mean:.2f} MB/s")
    print(f"best pass {best * 1000:.1f} ms: {len(reports) / best:.0f} reports/s, {megabytes / best:.2f} MB/s")
    ok = len(reports) / mean >= TARGET_REPORTS_PER_S
    print(f"target >= {TARGET_REPORTS_PER_S} reports/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

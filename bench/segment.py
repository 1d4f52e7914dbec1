"""Segmentation throughput: jieba alone against the whole segment stage, with either engine.

Every run includes loading the dictionary (and starting the worker pool where
there is one), on the same documents and chunking. The multi-core pair shows
what the stage adds to jieba (user dictionary, counting, filtering, shipping
term counts back; target within 1.3x); the one-process pair shows the default
engine, jieba-rs with jieba's counts (tasks/segment.py), against jieba.lcut.

    .venv/bin/python bench/segment.py [--mb 10] [--workers N]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks import segment  # noqa: E402  (needs ROOT on sys.path when run as a script)

CORPORA = (ROOT / "tests/fixtures/corpus/national", ROOT / "tests/fixtures/gold/seeds_bodies")
TARGET_RATIO = 1.3


def load_corpus(megabytes: float) -> list[tuple[str, str]]:
    """The fixture reports, repeated until their UTF-8 size reaches `megabytes`."""
    texts = [(p.stem, p.read_text(encoding="utf-8")) for corpus in CORPORA for p in sorted(corpus.glob("*.txt"))]
    docs: list[tuple[str, str]] = []
    size = 0
    while size < megabytes * 1e6:
        for name, body in texts:
            docs.append((f"{name}#{len(docs)}", body))
            size += len(body.encode("utf-8"))
    return docs


def _init_jieba() -> None:
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.tmp_dir = segment.cache_dir()
    jieba.initialize()


def _lcut_chunk(docs: list[tuple[str, str]]) -> int:
    return sum(len(jieba.lcut(body)) for _, body in docs)


def jieba_alone(docs: list[tuple[str, str]], workers: int) -> None:
    chunks = segment._chunks(docs, workers * segment.CHUNKS_PER_WORKER)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_jieba) as pool:
        list(pool.map(_lcut_chunk, chunks))


def jieba_one_core(docs: list[tuple[str, str]], workers: int) -> None:
    _init_jieba()
    _lcut_chunk(docs)


def stage(docs: list[tuple[str, str]], workers: int) -> None:
    """segment_many with the reference engine (the pool: below rjieba's threshold it would run in process)."""
    chunks = segment._chunks(docs, workers * segment.CHUNKS_PER_WORKER)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=segment._load,
                             initargs=("jieba",)) as pool:
        list(pool.map(segment._segment_chunk, chunks, ["jieba"] * len(chunks)))


def rjieba_one_core(docs: list[tuple[str, str]], workers: int) -> None:
    segment._segment_chunk(docs, "rjieba")


def timed(run: Callable[[list[tuple[str, str]], int], None], docs: list[tuple[str, str]], workers: int) -> float:
    start = time.perf_counter()
    run(docs, workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="corpus size in MB of UTF-8 text")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    docs = load_corpus(args.mb)
    megabytes = sum(len(body.encode("utf-8")) for _, body in docs) / 1e6
    print(f"corpus: {len(docs)} documents, {megabytes:.1f} MB UTF-8, {args.workers} workers")
    runs = [
        ("jieba.lcut, 1 core", jieba_one_core, 1),
        (f"jieba.lcut, {args.workers} cores", jieba_alone, args.workers),
        (f"stage (jieba), {args.workers} cores", stage, args.workers),
        ("stage (rjieba), 1 core", rjieba_one_core, 1),
    ]
    seconds = {label: timed(run, docs, workers) for label, run, workers in runs}
    print(f"| {'run':<26} | {'seconds':>8} | {'MB/s':>6} |")
    print(f"| {'-' * 26} | {'-' * 8}:| {'-' * 6}:|")
    for label, elapsed in seconds.items():
        print(f"| {label:<26} | {elapsed:8.2f} | {megabytes / elapsed:6.2f} |")
    ratio = seconds[runs[2][0]] / seconds[runs[1][0]]
    verdict = "within" if ratio <= TARGET_RATIO else "NOT within"
    print(f"stage / jieba alone = {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    speedup = seconds[runs[0][0]] / seconds[runs[3][0]]
    print(f"stage with rjieba on 1 core: {speedup:.1f}x faster than jieba.lcut on 1 core, same counts")


if __name__ == "__main__":
    main()

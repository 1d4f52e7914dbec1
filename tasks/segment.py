"""Word segmentation with jieba: token totals and term counts per document.

The counts feed the `terms` and `segmentations` tables; `attention` divides
topic hits by `tokens`, so both come from one pass over the same tokens.
The user dictionary keeps indicator wordings and policy terms (地区生产总值,
数字经济, every topic term) as single tokens. Loading a dictionary costs about
a second, so it happens once per process, and `segment_many` spreads
documents over worker processes that each load it once.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jieba

SEGMENTER = "jieba"
SEGMENTER_VERSION: str = jieba.__version__

DATA_DIR = Path(__file__).parent / "data"
USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"

# Below this many characters a worker pool costs more (start-up and one
# dictionary load per worker) than it saves.
MIN_PARALLEL_CHARS = 400_000
# Tasks per worker: enough to even out unequal report lengths.
CHUNKS_PER_WORKER = 4

_WORD_CHAR = re.compile(r"\w")
_NUMBER = re.compile(r"[0-9０-９.．,，%％‰]+")

_tokenizer: jieba.Tokenizer | None = None
_stopwords: frozenset[str] = frozenset()
_dict_sha256 = ""


@dataclass(frozen=True)
class Segmentation:
    """One document's segmentation, as the loader writes it."""

    doc_id: str
    tokens: int
    terms: dict[str, int]
    segmenter: str
    segmenter_version: str
    dict_sha256: str


def _data_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines: the data files carry a `#` header jieba would misread."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def dict_sha256() -> str:
    """Fingerprint of the user dictionary and stop-word list, stored per document so an index can be reproduced."""
    digest = hashlib.sha256()
    for path in (USERDICT_PATH, STOPWORDS_PATH):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> str:
    """A writable directory for jieba's dictionary cache (its default may not be writable or shared)."""
    path = Path(tempfile.gettempdir()) / "govreports-jieba"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _load() -> jieba.Tokenizer:
    """Build the tokenizer once per process (lazily, so importing this module stays cheap)."""
    global _tokenizer, _stopwords, _dict_sha256
    if _tokenizer is None:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = cache_dir()
        for line in _data_lines(USERDICT_PATH):
            word, *rest = line.split()
            freq = int(rest[0]) if rest else None
            tag = rest[1] if len(rest) > 1 else None
            tokenizer.add_word(word, freq, tag)
        _stopwords = frozenset(_data_lines(STOPWORDS_PATH))
        _dict_sha256 = dict_sha256()
        _tokenizer = tokenizer
    return _tokenizer


def segment(doc_id: str, body: str) -> Segmentation:
    """Segment one body: tokens without whitespace/punctuation, terms without stop words and numbers."""
    counts = Counter(_load().cut(body))
    tokens = 0
    terms: dict[str, int] = {}
    for token, count in counts.items():
        if not _WORD_CHAR.search(token):
            continue  # whitespace and punctuation are not words
        tokens += count
        if token not in _stopwords and not _NUMBER.fullmatch(token):
            terms[token] = count
    return Segmentation(doc_id=doc_id, tokens=tokens, terms=terms, segmenter=SEGMENTER,
                        segmenter_version=SEGMENTER_VERSION, dict_sha256=_dict_sha256)


def _segment_chunk(docs: list[tuple[str, str]]) -> list[Segmentation]:
    return [segment(doc_id, body) for doc_id, body in docs]


def _chunks(docs: list[tuple[str, str]], parts: int) -> list[list[tuple[str, str]]]:
    """Consecutive runs of documents of roughly equal total length, in input order."""
    target = max(1, sum(len(body) for _, body in docs) // parts)
    chunks: list[list[tuple[str, str]]] = [[]]
    size = 0
    for doc in docs:
        if size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(doc)
        size += len(doc[1])
    return chunks


def segment_many(docs: list[tuple[str, str]], workers: int | None = None) -> list[Segmentation]:
    """Segment (doc_id, body) pairs on all cores; results come back in input order.

    Workers come from a forkserver, not fork, because callers (Prefect, DuckDB)
    run threads and forking a threaded process can deadlock.
    """
    workers = workers or len(os.sched_getaffinity(0))
    total_chars = sum(len(body) for _, body in docs)
    if workers <= 1 or len(docs) <= 1 or total_chars < MIN_PARALLEL_CHARS:
        return _segment_chunk(docs)
    chunks = _chunks(docs, workers * CHUNKS_PER_WORKER)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                             initializer=_load) as pool:
        return [seg for chunk in pool.map(_segment_chunk, chunks) for seg in chunk]

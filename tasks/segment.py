"""Word segmentation: token totals and term counts per document, jieba's terms at jieba-rs speed.

The counts feed the `terms` and `segmentations` tables; `attention` divides
topic hits by `tokens`, so both come from one pass over the same tokens.
The user dictionary keeps indicator wordings and policy terms (地区生产总值,
数字经济, every topic term) as single tokens.

Two engines give the same counts. jieba (Python) is the reference; rjieba
(jieba-rs: jieba's dictionary, DAG and HMM in Rust) is the default and about
20x faster. `GOVREPORTS_SEGMENTER=jieba` selects the original. Three
differences of jieba-rs are closed here, each checked token for token on the
national corpus and the real county and provincial texts (tests/test_segment.py):

- Added words' frequencies. jieba's `add_word` without a frequency suggests
  one with float products (an existing word gets its frequency + 1), jieba-rs
  in log space (exp(log f) rounds down: the frequency stays); and re-adding a
  word that is already in the dictionary adds the new frequency to jieba's
  total without removing the old one, where jieba-rs replaces it. So the
  frequencies are resolved by jieba itself once per dictionary (cached), given
  to jieba-rs explicitly, and jieba-rs's total is padded to jieba's with an
  entry no text can reach.
- Which characters form a block. jieba cuts blocks of [一-鿕 a-z A-Z 0-9 +#&._%-];
  jieba-rs also takes CJK extensions (㐀, 𠀀) and `_` into blocks. Blocks are
  cut out here with jieba's own pattern and only they go to jieba-rs; any
  other word character is a token of its own, as jieba yields it.
- Numbers inside unknown words (the documented token rule). jieba's HMM splits
  a run of letters and digits at anything but `12`, `7.5`, `7.5%`:
  `11-15` is 11, -, 15 and `2023-01-24` is 2023, -, 01, -, 24; jieba-rs keeps
  them whole. Such tokens are re-split with jieba's pattern, so each hyphenated
  number or date counts as its numbers (two tokens for 11-15, three for a
  date), as jieba counts them. Dictionary words (C++, PM2.5) stay whole.

Loading a dictionary costs about a second for jieba and 0.2 s for jieba-rs, so
it happens once per process, and `segment_many` spreads large batches over
worker processes that each load it once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import multiprocessing
import os
import re
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import jieba

ENGINE_VARIABLE = "GOVREPORTS_SEGMENTER"
DEFAULT_ENGINE = "rjieba"

DATA_DIR = Path(__file__).parent / "data"
USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"

# Below this many characters a worker pool costs more (start-up and one
# dictionary load per worker) than it saves. jieba-rs cuts ~20 MB/s, so only
# very large batches are worth a pool; jieba needs one from 400 kB.
MIN_PARALLEL_CHARS = {"jieba": 400_000, "rjieba": 8_000_000}
# Tasks per worker: enough to even out unequal report lengths.
CHUNKS_PER_WORKER = 4

_WORD_CHAR = re.compile(r"\w")
_NUMBER = re.compile(r"[0-9０-９.．,，%％‰]+")
# jieba.re_han_default: the blocks jieba hands to its DAG; everything else is yielded a character at a time.
_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")
_LONE_WORD_CHAR = re.compile(r"[^\W\u4E00-\u9FD5a-zA-Z0-9_]")  # word characters outside every block
# jieba.finalseg.re_skip: how jieba's HMM splits letters and digits.
_HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_NON_HAN_RUN = re.compile(r"[^\u4E00-\u9FD5]{2,}")
# A jieba-rs entry that only raises its dictionary total: it holds characters
# outside every block, so no text ever reaches it.
_TOTAL_PAD = "\x00\x01"
# jieba.re_userdict: a word, then optionally a frequency and a tag.
_USERDICT_LINE = re.compile(r"(.+?)(?: ([0-9]+))?(?: ([a-z]+))?")


class Engine(Protocol):
    name: str
    version: str

    def count(self, body: str) -> Counter[str]:
        """Every token of `body` with its count (punctuation and spaces may be missing or present)."""
        ...

    def words(self, text: str) -> list[str]:
        """A short run of Chinese text cut into the dictionary's words, in order."""
        ...


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


def _userdict_entries() -> list[tuple[str, int | None, str | None]]:
    """(word, frequency or None, tag or None) per user dictionary line, in file order."""
    entries = []
    for line in _data_lines(USERDICT_PATH):
        match = _USERDICT_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"{USERDICT_PATH}: not 'word [frequency] [tag]': {line!r}")
        word, freq, tag = match.groups()
        entries.append((word, int(freq) if freq else None, tag))
    return entries


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


def _jieba_tokenizer(entries: list[tuple[str, int | None, str | None]]) -> jieba.Tokenizer:
    import jieba  # here, not at the top: importing it (pkg_resources) is 0.1 s a no-op run need not pay

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = cache_dir()
    tokenizer.initialize()
    for word, freq, tag in entries:
        tokenizer.add_word(word, freq, tag)
    return tokenizer


class JiebaEngine:
    """The reference: jieba's Python tokenizer with the user dictionary."""

    name = "jieba"

    def __init__(self) -> None:
        self._tokenizer = _jieba_tokenizer(_userdict_entries())
        self.version: str = importlib.metadata.version("jieba")

    def count(self, body: str) -> Counter[str]:
        return Counter(self._tokenizer.cut(body))

    def words(self, text: str) -> list[str]:
        return self._tokenizer.lcut(text)


def resolved_userdict() -> tuple[list[tuple[str, int, str | None]], int]:
    """The user dictionary with the frequencies jieba gives each entry, and jieba's total minus jieba-rs's.

    jieba is the reference for both, so they are read off a jieba tokenizer
    that adds the entries in file order; the result is cached per dictionary
    and jieba version because building that tokenizer takes about a second.
    """
    raw = USERDICT_PATH.read_bytes()
    key = hashlib.sha256(raw + importlib.metadata.version("jieba").encode()).hexdigest()[:16]
    cache = Path(cache_dir()) / f"userdict-{key}.json"
    if cache.exists():
        cached = json.loads(cache.read_text(encoding="utf-8"))
        return [(w, f, t) for w, f, t in cached["entries"]], cached["total_pad"]
    tokenizer = _jieba_tokenizer([])
    entries: list[tuple[str, int, str | None]] = []
    rust_total = tokenizer.total
    for word, freq, tag in _userdict_entries():
        old = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, freq, tag)
        entries.append((word, tokenizer.FREQ[word], tag))
        rust_total += tokenizer.FREQ[word] - old  # jieba-rs replaces an existing word's frequency
    total_pad = tokenizer.total - rust_total
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"entries": entries, "total_pad": total_pad}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache)
    return entries, total_pad


class RustEngine:
    """jieba-rs (rjieba) made to give jieba's tokens: see the module docstring for the three rules."""

    name = "rjieba"
    version: str = importlib.metadata.version("rjieba")

    def __init__(self) -> None:
        import rjieba

        entries, total_pad = resolved_userdict()
        if any(freq == 0 for _, freq, _ in entries):
            raise ValueError(f"{USERDICT_PATH}: frequency 0 (force split) needs {ENGINE_VARIABLE}=jieba")
        self._jieba = rjieba.Jieba()
        for word, freq, tag in entries:
            self._jieba.add_word(word, freq, tag)
        if total_pad:
            self._jieba.add_word(_TOTAL_PAD, total_pad, None)

    def count(self, body: str) -> Counter[str]:
        counts = Counter(self._jieba.cut("\n".join(_BLOCK.findall(body))))
        del counts["\n"]
        # a block's characters outside the Han range are ASCII, so a non-Han run is an ASCII token
        # (str.isascii is a flag check: most tokens are Han words and skip the patterns)
        for token in [t for t in counts if t.isascii() and _NON_HAN_RUN.fullmatch(t) and not _HMM_SKIP.fullmatch(t)]:
            if self._jieba.has_word(token):
                continue
            times = counts.pop(token)
            for piece in _HMM_SKIP.split(token):
                if piece:
                    counts[piece] += times
        counts.update(_LONE_WORD_CHAR.findall(body))
        return counts

    def words(self, text: str) -> list[str]:
        return self._jieba.cut(text)


ENGINES: dict[str, type[JiebaEngine] | type[RustEngine]] = {"jieba": JiebaEngine, "rjieba": RustEngine}

_engines: dict[str, Engine] = {}


@dataclass
class _Kinds:
    """Tokens already classified: tokens recur across documents, so each is classified once, and a
    document's counts are split by set operations in C rather than a Python test per token."""

    seen: set[str] = field(default_factory=set)
    not_words: set[str] = field(default_factory=set)  # punctuation and whitespace
    not_terms: set[str] = field(default_factory=set)  # those, stop words and numbers


_kinds = _Kinds()
KINDS_LIMIT = 1_000_000  # tokens remembered; forgotten all at once past it
_stopwords: frozenset[str] = frozenset()
_dict_sha256 = ""


def engine_name() -> str:
    """The engine `GOVREPORTS_SEGMENTER` names (rjieba unless set); an unknown name is an error, not a fallback."""
    name = os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE
    if name not in ENGINES:
        raise ValueError(f"{ENGINE_VARIABLE}={name!r}: expected one of {', '.join(sorted(ENGINES))}")
    return name


def _load(name: str | None = None) -> Engine:
    """Build the engine once per process (lazily, so importing this module stays cheap)."""
    global _stopwords, _dict_sha256
    name = name or engine_name()
    if name not in _engines:
        _stopwords = frozenset(_data_lines(STOPWORDS_PATH))
        _dict_sha256 = dict_sha256()
        _engines[name] = ENGINES[name]()
    return _engines[name]


def words(text: str) -> list[str]:
    """`text` (a few Chinese characters, such as a site name) cut by this process's engine and dictionary."""
    return _load().words(text)


def _kind(token: str) -> int:
    if not _WORD_CHAR.search(token):
        return 0  # whitespace and punctuation are not words
    return 1 if token in _stopwords or _NUMBER.fullmatch(token) else 2


def segment(doc_id: str, body: str, engine: str | None = None) -> Segmentation:
    """Segment one body: tokens without whitespace/punctuation, terms without stop words and numbers."""
    global _kinds
    loaded = _load(engine)
    if len(_kinds.seen) > KINDS_LIMIT:
        _kinds = _Kinds()
    counts = loaded.count(body)
    for token in set(counts).difference(_kinds.seen):  # iterates the document's tokens, not all those seen
        kind = _kind(token)
        _kinds.seen.add(token)
        if kind < 2:
            _kinds.not_terms.add(token)
        if kind == 0:
            _kinds.not_words.add(token)
    tokens = sum(counts.values()) - sum(counts[token] for token in counts.keys() & _kinds.not_words)
    for token in counts.keys() & _kinds.not_terms:
        del counts[token]
    return Segmentation(doc_id=doc_id, tokens=tokens, terms=dict(counts), segmenter=loaded.name,
                        segmenter_version=loaded.version, dict_sha256=_dict_sha256)


def _segment_chunk(docs: list[tuple[str, str]], engine: str) -> list[Segmentation]:
    return [segment(doc_id, body, engine) for doc_id, body in docs]


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
    """Segment (doc_id, body) pairs, on all cores when the batch is large enough; results in input order.

    Workers come from a forkserver, not fork, because callers (Prefect, DuckDB)
    run threads and forking a threaded process can deadlock.
    """
    engine = engine_name()
    workers = workers or len(os.sched_getaffinity(0))
    total_chars = sum(len(body) for _, body in docs)
    if workers <= 1 or len(docs) <= 1 or total_chars < MIN_PARALLEL_CHARS[engine]:
        return _segment_chunk(docs, engine)
    chunks = _chunks(docs, workers * CHUNKS_PER_WORKER)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                             initializer=_load, initargs=(engine,)) as pool:
        return [seg for chunk in pool.map(_segment_chunk, chunks, [engine] * len(chunks)) for seg in chunk]

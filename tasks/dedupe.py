"""Collapse copies of one report into one document.

Exact copies share `doc_id` (sha256 of the normalized body). Near copies
(a mirror with a watermark, a lost paragraph, one page of a split article)
are found with MinHash LSH over character shingles of the matching key, then
verified exactly: two copies merge when the shingles of the smaller are mostly
contained in the larger, and never when their plan_year or region differ.
Different years of one government share much wording but never a plan year,
so the year guard, not the threshold, is what keeps them apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH

from tasks.clean import junk_score, match_key, normalize_for_hash
from tasks.records import Copy

SHINGLE = 5
NUM_PERM = 128
LSH_THRESHOLD = 0.3  # candidate generation only; the decision is `MERGE_CONTAINMENT`
MERGE_CONTAINMENT = 0.6


def doc_id_for(body: str) -> str:
    return hashlib.sha256(normalize_for_hash(body).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = SHINGLE, *, key: str | None = None) -> frozenset[str]:
    key = match_key(text) if key is None else key
    if len(key) <= k:
        return frozenset([key]) if key else frozenset()
    return frozenset(key[i : i + k] for i in range(len(key) - k + 1))


def shingle_hashes(key: str, k: int = SHINGLE) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the key's k-character shingles.

    What grouping works on: 8 bytes a shingle instead of a str object in a set
    (a batch's candidates took ~1 GB as sets), hashed with numpy rather than
    one sha1 call per shingle (most of the grouping's time). Equal keys give
    equal hashes in every process, so grouping stays deterministic.
    """
    codes = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if not len(codes):
        return np.empty(0, dtype=np.uint64)
    width = min(k, len(codes))
    count = len(codes) - width + 1
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(width):  # polynomial over the window's code points, modulo 2**64
        hashes = hashes * np.uint64(0x100000001B3) + codes[offset : offset + count]
    hashes ^= hashes >> np.uint64(33)  # murmur3's finalizer spreads the bits
    hashes *= np.uint64(0xFF51AFD7ED558CCD)
    hashes ^= hashes >> np.uint64(33)
    return np.unique(hashes)


def _shared(a: np.ndarray, b: np.ndarray) -> int:
    return len(np.intersect1d(a, b, assume_unique=True))


def _containment(a: np.ndarray, b: np.ndarray) -> float:
    smaller = min(len(a), len(b))
    return _shared(a, b) / smaller if smaller else 0.0


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    shared = _shared(a, b)
    return shared / (len(a) + len(b) - shared)


def _as_is(value: int) -> int:
    return value


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """How much of the smaller set lies in the larger one."""
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


@dataclass
class DocumentGroup:
    """One distinct report: its canonical copy and every copy with its similarity to it."""

    canonical: Copy
    members: list[tuple[Copy, float]] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.canonical.clean.body)

    @property
    def previous_doc_ids(self) -> set[str]:
        """Warehouse documents this group absorbs (their ids become aliases when they differ)."""
        return {c.extra["doc_id"] for c, _ in self.members if "doc_id" in c.extra}


def _compatible(a: Copy, b: Copy) -> bool:
    if a.meta.plan_year != b.meta.plan_year:
        return False
    return a.meta.region_code is None or b.meta.region_code is None or a.meta.region_code == b.meta.region_code


def _rank(copy: Copy, key_length: int) -> tuple:
    """Canonical preference: official, then the cleanest (a junky mirror text is longer than the
    clean page), then most complete, then an already-loaded copy, then URL."""
    return (
        copy.authority != "official",
        junk_score(copy.clean),
        -key_length,
        "doc_id" not in copy.extra,
        copy.url,
    )


def group_copies(copies: list[Copy]) -> list[DocumentGroup]:
    """Cluster copies (new ones, and loaded canonical ones marked by extra['doc_id'])."""
    keys = [match_key(c.clean.body) for c in copies]  # once per copy, for shingles and ranking
    sets = [shingle_hashes(key) for key in keys]
    parent = list(range(len(copies)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    for index, shingle_set in enumerate(sets):
        signature = MinHash(num_perm=NUM_PERM, hashfunc=_as_is)
        signature.update_batch((shingle_set >> np.uint64(32)).tolist())
        for other in lsh.query(signature):
            if _compatible(copies[index], copies[other]) and _containment(sets[index], sets[other]) >= MERGE_CONTAINMENT:
                parent[find(index)] = find(other)
        lsh.insert(index, signature)

    clusters: dict[int, list[int]] = {}
    for index in range(len(copies)):
        clusters.setdefault(find(index), []).append(index)
    groups = []
    for members in clusters.values():
        best = min(members, key=lambda i: _rank(copies[i], len(keys[i])))
        group = DocumentGroup(canonical=copies[best])
        group.members = [(copies[i], round(_jaccard(sets[i], sets[best]), 4)) for i in members]
        groups.append(group)
    return groups

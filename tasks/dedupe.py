"""Collapse copies of one report into one document.

Exact copies share `doc_id` (sha256 of the normalized body). Near copies
(a mirror with a watermark, a lost paragraph, one page of a split article)
are found among the copies that may merge at all (same plan_year, same or
unknown region: ~3,000 reports share a plan year, a handful a region too) by a
sample of each copy's character shingles, then verified exactly: two copies
merge when the shingles of the smaller are mostly contained in the larger, and
never when their plan_year or region differ. Different years of one
government share much wording but never a plan year, so the year guard, not
the threshold, is what keeps them apart.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from tasks.clean import junk_score, match_key, normalize_for_hash
from tasks.records import Copy

SHINGLE = 5
MERGE_CONTAINMENT = 0.6
# Candidate test before the exact one: a copy's smallest shingle hashes are a
# uniform random sample of its shingles (the hashes are well mixed), so the
# share of them found in the other copy estimates the containment; a pair at
# the 0.6 threshold falls below 0.4 with 128 samples fewer than once in 300,000.
SAMPLE = 128
SAMPLE_CONTAINMENT = 0.4


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
    (a batch's candidates took ~1 GB as sets), hashed with numpy over the
    whole key at once rather than one sha1 call per shingle. Equal keys give
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
    # np.unique, 8x faster: numpy 2.3+ makes it a hash-set pass and then a sort; a sort alone and a
    # mask of first occurrences give the same sorted distinct hashes
    hashes.sort()
    first = np.empty(count, dtype=bool)
    first[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
    return hashes[first]


@dataclass(frozen=True)
class Fingerprint:
    """What grouping needs of a copy: its match key's length (for ranking) and shingle hashes.

    Computed where the copy is made (in a worker process, in parallel) so the
    grouping step, which must see a whole batch at once, only compares.
    """

    key_length: int
    shingles: np.ndarray


def fingerprint(body: str) -> Fingerprint:
    key = match_key(body)
    return Fingerprint(len(key), shingle_hashes(key))


# A loaded document's sketch: the shingle hashes below 2**64 / SKETCH_RATE, one
# in 64 (~300 for a report), stored with it (2-3 KB) so new copies are compared
# with the loaded documents of their plan year and region without re-reading
# and re-shingling every body: only a document whose sketch may merge is read
# whole. Every copy samples the same hash range, so the share of the smaller
# sketch found in the other estimates the containment the exact test measures.
SKETCH_RATE = 64
SKETCH_LIMIT = np.uint64(2**64 // SKETCH_RATE)
SKETCH_MIN = 16  # fewer samples say too little: the exact test decides
SKETCH_SIGMAS = 5.0  # a pair at the merge threshold is ruled out by chance less than once in 3 million


def sketch(print_: Fingerprint) -> np.ndarray:
    return print_.shingles[: np.searchsorted(print_.shingles, SKETCH_LIMIT)]


def sketch_may_merge(a: np.ndarray, b: np.ndarray) -> bool:
    """False only when two sketches show the copies far below the merge threshold: the shared samples
    are more than SKETCH_SIGMAS standard deviations under what a containment of MERGE_CONTAINMENT gives."""
    samples = min(len(a), len(b))
    if samples < SKETCH_MIN:
        return True
    expected = samples * MERGE_CONTAINMENT
    spread = SKETCH_SIGMAS * (samples * MERGE_CONTAINMENT * (1 - MERGE_CONTAINMENT)) ** 0.5
    return _shared(a, b) >= expected - spread


@dataclass(frozen=True)
class LoadedSketch:
    """A loaded document as dedupe first sees it: its key fields and sketch (None: stored before sketches)."""

    doc_id: str
    plan_year: int | None
    region_code: str | None
    sketch: np.ndarray | None


def worth_reading(copies: Sequence[Copy], prints: Sequence[Fingerprint], loaded: Sequence[LoadedSketch]) -> list[str]:
    """The loaded documents a new copy may merge with (same plan year, same or an unknown region, a sketch
    that does not rule it out): the only ones whose bodies dedupe must read and shingle."""
    sketches = [sketch(p) for p in prints]
    wanted = []
    for doc in loaded:
        for copy, own in zip(copies, sketches):
            if copy.meta.plan_year != doc.plan_year:
                continue
            if copy.meta.region_code and doc.region_code and copy.meta.region_code != doc.region_code:
                continue
            if doc.sketch is None or sketch_may_merge(own, doc.sketch):
                wanted.append(doc.doc_id)
                break
    return wanted


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
    sketch: np.ndarray | None = None  # the canonical copy's, stored with the document

    @property
    def previous_doc_ids(self) -> set[str]:
        """Warehouse documents this group absorbs (their ids become aliases when they differ)."""
        return {c.extra["doc_id"] for c, _ in self.members if "doc_id" in c.extra}


def _rank(copy: Copy, key_length: int) -> tuple:
    """Canonical preference: never a loaded copy whose page has a newer version in this batch, then
    official, then the cleanest (a junky mirror text is longer than the clean page), then most complete,
    then an already-loaded copy, then URL."""
    return (
        bool(copy.extra.get("superseded")),
        copy.authority != "official",
        junk_score(copy.clean),
        -key_length,
        "doc_id" not in copy.extra,
        copy.url,
    )


def _may_merge(copies: list[Copy]) -> Iterator[tuple[int, int]]:
    """Index pairs that may merge: same plan year, and the same region or a region unknown on one side."""
    by_year: dict[int | None, dict[str | None, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, copy in enumerate(copies):
        by_year[copy.meta.plan_year][copy.meta.region_code].append(index)
    for regions in by_year.values():
        unknown = regions.pop(None, [])
        for members in regions.values():
            yield from ((a, b) for n, a in enumerate(members) for b in members[n + 1:])
        everyone = unknown + [i for members in regions.values() for i in members]
        yield from ((a, b) for n, a in enumerate(unknown) for b in everyone[n + 1:])


def _likely_contained(a: np.ndarray, b: np.ndarray) -> bool:
    """The cheap test on a sample: does the smaller shingle set look at least `SAMPLE_CONTAINMENT` inside the larger?"""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if not len(small):
        return False
    sample = small[:SAMPLE]
    found = np.minimum(np.searchsorted(large, sample), len(large) - 1)
    return np.count_nonzero(large[found] == sample) >= SAMPLE_CONTAINMENT * len(sample)


def group_copies(copies: list[Copy], fingerprints: Sequence[Fingerprint | None] = ()) -> list[DocumentGroup]:
    """Cluster copies (new ones, and loaded canonical ones marked by extra['doc_id']).

    `fingerprints`: the copies' fingerprints where already computed (None or missing: computed here).
    """
    given = list(fingerprints) + [None] * (len(copies) - len(fingerprints))
    prints = [f if f is not None else fingerprint(c.clean.body) for c, f in zip(copies, given)]
    sets = [f.shingles for f in prints]
    parent = list(range(len(copies)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in _may_merge(copies):
        if find(a) != find(b) and _likely_contained(sets[a], sets[b]) \
                and _containment(sets[a], sets[b]) >= MERGE_CONTAINMENT:
            parent[find(a)] = find(b)

    clusters: dict[int, list[int]] = {}
    for index in range(len(copies)):
        clusters.setdefault(find(index), []).append(index)
    groups = []
    for members in clusters.values():
        best = members[0] if len(members) == 1 else min(members, key=lambda i: _rank(copies[i], prints[i].key_length))
        group = DocumentGroup(canonical=copies[best], sketch=sketch(prints[best]))
        group.members = [(copies[i], 1.0 if i == best else round(_jaccard(sets[i], sets[best]), 4)) for i in members]
        groups.append(group)
    return groups

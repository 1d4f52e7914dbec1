"""Every stage's output on every page and text at hand, as one digest per file, and CPU ms per stage.

A safety net for speed work on the stage functions: run it before a change
(`--out before`), after it (`--out after`), and `--diff before after` must
report zero differences. Each input goes through what the pipeline runs on a
report page: parse_document -> report_verdict -> clean_page -> extract_metadata
-> fingerprint (and junk_score, doc_id) -> extract_indicators -> segment, and
HTML pages also through discovery (page_kind, listing/part/attachment links).
Every stage runs on every input, report or not, so more code paths are covered
than a backfill takes.

Inputs: ../shared next to the checkout (seeds, gold bodies, national corpus, real/*: 保定 county
texts, provincial mirror texts, cwced web pages), the test fixtures, the demo's
sample site and bench/pipeline.py's pages. Timing is CPU time of this process
(time.process_time), so a busy machine does not skew it; `--repeat` runs the
timed pass again and keeps each stage's fastest pass.

    .venv/bin/python bench/stage_outputs.py --out /tmp/cpu/before [--bench-pages 300] [--repeat 3]
    .venv/bin/python bench/stage_outputs.py --diff /tmp/cpu/before /tmp/cpu/after

To compare with an older commit: `git archive COMMIT | tar -x -C DIR`, copy this
script into DIR/bench, put a `shared` link next to DIR, and run it there with
this checkout's .venv/bin/python.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from bench.pipeline import build_pages  # noqa: E402  (needs ROOT on sys.path)
from flows import sample_site  # noqa: E402
from tasks import discover, segment  # noqa: E402
from tasks.clean import clean_page, junk_score, match_key  # noqa: E402
from tasks.dedupe import doc_id_for, fingerprint  # noqa: E402
from tasks.discover import report_verdict  # noqa: E402
from tasks.extract import extract_indicators  # noqa: E402
from tasks.metadata import extract_metadata  # noqa: E402
from tasks.parse import ParseError, decode_html, document_kind, parse_document  # noqa: E402

STAGES = ("parse", "verdict", "part_links", "listing", "clean", "metadata", "fingerprint", "doc_id", "indicators",
          "segment")
# what the crawl thread runs on every report page, and a worker process on every report
CRAWL = ("parse", "verdict", "part_links")
WORKER = ("verdict", "clean", "metadata", "fingerprint", "doc_id", "indicators", "segment")


@dataclasses.dataclass(frozen=True)
class Input:
    group: str  # bench | real-html | real-text | fixture
    name: str
    url: str
    data: bytes
    content_type: str | None = None


def inputs(bench_pages: int) -> Iterator[Input]:
    """Every page and text, in a fixed order; names are unique."""
    text_dirs = [
        ("fixture", SHARED / "seeds"), ("fixture", SHARED / "gold" / "seeds_bodies"),
        ("fixture", SHARED / "corpus" / "national"), ("real-text", SHARED / "real" / "baoding_counties" / "pages"),
        ("real-text", SHARED / "real" / "prov2026_dev" / "pages"),
        ("fixture", ROOT / "tests" / "fixtures" / "real" / "bodies"),
        ("fixture", ROOT / "tests" / "fixtures" / "real" / "segment"),
        ("fixture", ROOT / "tests" / "fixtures" / "real" / "texts" / "pages"),
    ]
    for group, folder in text_dirs:
        for path in sorted(folder.rglob("*.txt")):
            name = f"{folder.relative_to(folder.parents[1])}/{path.relative_to(folder)}"
            # a URL that names the input, not where this checkout is: digests of two checkouts compare
            yield Input(group, name, f"file:///inputs/{name}", path.read_bytes())
    for group, folder in (("real-html", SHARED / "real" / "cwced_dev" / "html"),
                          ("fixture", ROOT / "tests" / "fixtures" / "real" / "cwced" / "html")):
        for path in sorted(folder.glob("*.html")):
            yield Input(group, f"{folder.parent.name}/{path.name}", f"http://example.invalid/{path.name}",
                        path.read_bytes())
    for site, (pages, _, _) in sample_site.SITES.items():
        for page_path, (body, content_type) in sorted(pages().items()):
            yield Input("fixture", f"sample/{site}{page_path}", f"http://127.0.0.1:8000{page_path}", body, content_type)
    for page_path, body in build_pages(bench_pages).items():
        if page_path != "/index.html":
            yield Input("bench", f"bench{page_path}", f"http://127.0.0.1:8000{page_path}", body,
                        "text/html; charset=utf-8")


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr).encode()).hexdigest()


def run(item: Input, clock: Callable[[str, float], None]) -> dict[str, Any]:
    """Every stage on one input; `clock(stage, seconds)` gets each stage's CPU time."""
    out: dict[str, Any] = {}

    def timed(stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        result = fn(*args, **kwargs)
        clock(stage, time.process_time() - start)
        return result

    try:
        page = timed("parse", parse_document, item.data, url=item.url, content_type=item.content_type, charset=None)
    except ParseError as error:
        return {"parse_error": str(error)}
    out["page"] = dataclasses.asdict(page)
    out["verdict"] = timed("verdict", report_verdict, page)
    if document_kind(item.data, item.url, item.content_type) == "html":
        html, charset = decode_html(item.data, None)

        def links() -> dict[str, Any]:
            listing = discover.listing_links(html, item.url)
            return {"kind": discover.page_kind(page, html, item.url), "charset": charset,
                    "listing": dataclasses.asdict(listing),
                    "attachments": [dataclasses.asdict(a) for a in discover.attachment_links(html, item.url)]}
        out["discover"] = timed("listing", links)
        out["discover"]["parts"] = timed("part_links", discover.part_links, html, item.url)
    clean = timed("clean", clean_page, page)
    out["clean"] = dataclasses.asdict(clean)
    meta = timed("metadata", extract_metadata, clean, url=item.url, site_name=page.site_name)
    out["meta"] = dataclasses.asdict(meta)
    printed = timed("fingerprint", fingerprint, clean.body)
    out["fingerprint"] = {"key_length": printed.key_length, "shingles": hashlib.sha256(printed.shingles.tobytes()).hexdigest(),
                          "match_key": hashlib.sha256(match_key(clean.body).encode()).hexdigest(),
                          "doc_id": timed("doc_id", doc_id_for, clean.body), "junk_score": junk_score(clean)}
    rows = timed("indicators", extract_indicators, clean.body, meta.plan_year, meta.review_start, meta.review_end)
    out["indicators"] = [dataclasses.asdict(row) for row in rows]
    seg = timed("segment", segment.segment, "", clean.body)
    out["segment"] = {"tokens": seg.tokens, "terms": _sha(sorted(seg.terms.items()))}
    return out


def record(out_dir: Path, bench_pages: int, repeat: int) -> None:
    segment._load()  # the dictionary load is per process, not per report
    items = list(inputs(bench_pages))
    out_dir.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    best: dict[tuple[str, str], float] = {}
    for attempt in range(repeat):
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for item in items:
            result = run(item, lambda stage, seconds: totals.__setitem__((item.group, stage), totals[(item.group, stage)] + seconds))
            if attempt == 0:
                digests[item.name] = _sha(result)
                (out_dir / "outputs").mkdir(exist_ok=True)
                (out_dir / "outputs" / (item.name.replace("/", "__") + ".json")).write_text(
                    json.dumps(result, ensure_ascii=False, sort_keys=True, indent=1, default=repr), encoding="utf-8")
        for key, seconds in totals.items():
            best[key] = min(best.get(key, seconds), seconds)
    (out_dir / "digests.json").write_text(json.dumps(digests, indent=1, sort_keys=True), encoding="utf-8")
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.group] += 1
    groups = sorted(counts)
    print(f"{len(items)} inputs; digests in {out_dir / 'digests.json'}")
    print("| CPU ms per input | " + " | ".join(f"{g} ({counts[g]})" for g in groups) + " |")
    print("|---|" + "---|" * len(groups))
    for stage in STAGES:
        print(f"| {stage} | " + " | ".join(f"{best.get((g, stage), 0.0) / counts[g] * 1000:.2f}" for g in groups) + " |")
    for name, stages in (("crawl thread", CRAWL), ("worker", WORKER)):
        print(f"| {name} ({', '.join(stages)}) | "
              + " | ".join(f"{sum(best.get((g, s), 0.0) for s in stages) / counts[g] * 1000:.2f}" for g in groups) + " |")


def diff(before: Path, after: Path) -> int:
    a = json.loads((before / "digests.json").read_text(encoding="utf-8"))
    b = json.loads((after / "digests.json").read_text(encoding="utf-8"))
    changed = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
    for name in changed:
        print(f"differs: {name}  (diff {before}/outputs/{name.replace('/', '__')}.json {after}/outputs/...)")
    print(f"{len(a)} vs {len(b)} inputs, {len(changed)} differences")
    return 1 if changed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--diff", type=Path, nargs=2)
    parser.add_argument("--bench-pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.diff:
        sys.exit(diff(*args.diff))
    if args.out is None:
        parser.error("--out DIR or --diff BEFORE AFTER")
    record(args.out, args.bench_pages, args.repeat)


if __name__ == "__main__":
    main()

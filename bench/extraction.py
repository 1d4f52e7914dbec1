"""Main-text extraction on real web pages: govreports against readability-lxml and trafilatura.

For every `html/<id>.html` in a dataset folder (default: ../shared/real/cwced_dev,
or the pages bundled under tests/fixtures/real/cwced), each tool gets the raw
bytes and returns the page's main text; the text is scored against
`gold/<id>.txt` with the F1 of character 3-grams (NFKC, whitespace removed), the
same figure as shared/real/score_extraction.py. Speed is pages per second of
this process's CPU time (one core; extraction only, files already read), so a
busy machine does not skew it.

readability-lxml and trafilatura are optional bench dependencies
(`pip install readability-lxml trafilatura`); a missing one is reported and
skipped. `--out DIR` writes DIR/<tool>/<id>.txt so the shared scorer can be run
on them.

    .venv/bin/python bench/extraction.py [--data DIR] [--tools govreports,readability,trafilatura]
        [--repeat 3] [--out DIR] [--details]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.parse import parse_document  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_DATA = [ROOT.parent / "shared/real/cwced_dev", ROOT / "tests/fixtures/real/cwced"]
TARGET_F1 = 0.92
TARGET_PAGES_PER_S = 100
Extractor = Callable[[bytes], str]


def grams(text: str, n: int = 3) -> collections.Counter[str]:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    return collections.Counter(s[i:i + n] for i in range(max(0, len(s) - n + 1)))


def f1(pred: str, gold: str) -> float:
    """Character 3-gram F1, as score_extraction.py computes it."""
    a, b = grams(pred), grams(gold)
    inter = sum((a & b).values())
    if not inter:
        return 0.0
    p, r = inter / sum(a.values()), inter / sum(b.values())
    return 2 * p * r / (p + r)


def govreports_text(data: bytes) -> str:
    page = parse_document(data, url="http://example.invalid/page.html", content_type="text/html", charset=None)
    return "\n".join(page.lines)


def readability_extractor() -> Extractor | None:
    try:
        import lxml.html
        from readability import Document
    except ImportError:
        return None

    def extract(data: bytes) -> str:
        summary = Document(data).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    return extract


def trafilatura_extractor() -> Extractor | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def extract(data: bytes) -> str:
        return trafilatura.extract(data, include_comments=False, include_tables=True) or ""
    return extract


def extractors(names: list[str]) -> dict[str, Extractor | None]:
    known: dict[str, Callable[[], Extractor | None]] = {
        "govreports": lambda: govreports_text,
        "readability": readability_extractor,
        "trafilatura": trafilatura_extractor,
    }
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown tool(s): {', '.join(unknown)} (known: {', '.join(known)})")
    return {name: known[name]() for name in names}


def load_pages(data_dir: Path) -> list[tuple[str, bytes, str]]:
    """(id, html bytes, gold text) for every page that has a gold text."""
    pages = []
    for gold in sorted((data_dir / "gold").glob("*.txt")):
        html = data_dir / "html" / f"{gold.stem}.html"
        if html.exists():
            pages.append((gold.stem, html.read_bytes(), gold.read_text(encoding="utf-8")))
    return pages


def run_tool(extract: Extractor, pages: list[tuple[str, bytes, str]], repeat: int) -> tuple[dict[str, str], float]:
    """Texts by page id and the best pass's pages/s."""
    texts: dict[str, str] = {}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        texts = {pid: extract(data) for pid, data, _ in pages}
        best = min(best, time.process_time() - t0)
    return texts, len(pages) / best


def summarize(scores: list[float], empty: int, pages_per_s: float) -> dict[str, float | int]:
    return {"mean_f1": round(statistics.mean(scores), 4), "median_f1": round(statistics.median(scores), 4),
            "below_0_8": sum(s < 0.8 for s in scores), "empty": empty, "pages_per_s": round(pages_per_s, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder with html/ and gold/ (default: ../shared/real/cwced_dev)")
    parser.add_argument("--tools", default="govreports,readability,trafilatura")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per tool; the best counts (default 3)")
    parser.add_argument("--out", type=Path, help="write OUT/<tool>/<id>.txt")
    parser.add_argument("--details", action="store_true", help="per-page F1, worst first")
    args = parser.parse_args()

    data_dir = args.data or next((d for d in DEFAULT_DATA if (d / "gold").is_dir()), None)
    if data_dir is None or not (data_dir / "gold").is_dir():
        raise SystemExit(f"no dataset folder with gold/ and html/: {data_dir or DEFAULT_DATA}")
    pages = load_pages(data_dir)
    print(f"{len(pages)} pages from {data_dir}")
    results: dict[str, dict[str, float | int]] = {}
    for name, extract in extractors(args.tools.split(",")).items():
        if extract is None:
            print(f"{name}: not installed, skipped")
            continue
        texts, speed = run_tool(extract, pages, args.repeat)
        scores = {pid: f1(texts[pid], gold) for pid, _, gold in pages}
        empty = sum(not texts[pid].strip() for pid, _, _ in pages)
        results[name] = summarize(list(scores.values()), empty, speed)
        if args.out:
            folder = args.out / name
            folder.mkdir(parents=True, exist_ok=True)
            for pid, text in texts.items():
                (folder / f"{pid}.txt").write_text(text, encoding="utf-8")
        if args.details:
            for pid, score in sorted(scores.items(), key=lambda kv: kv[1]):
                print(f"  {name} {score:.3f} {pid}")

    print(f"\n| tool | mean F1 | median | pages < 0.8 | empty | pages/s |\n|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['mean_f1']:.2f} | {r['median_f1']:.2f} | {r['below_0_8']} | {r['empty']} | {r['pages_per_s']:.0f} |")
    print(json.dumps(results))
    ours = results.get("govreports")
    if ours is None:
        return 0
    ok = ours["mean_f1"] >= TARGET_F1 and ours["empty"] == 0 and ours["pages_per_s"] >= TARGET_PAGES_PER_S
    print(f"targets (mean F1 >= {TARGET_F1}, no empty page, >= {TARGET_PAGES_PER_S} pages/s): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The documented example queries run, so the docs cannot rot.

The queries are the fenced ```sql blocks of README.md and docs/queries.md, however
many there are. Each must find rows in a small hand-built warehouse that has what
every query needs (two consecutive reports of one district, a range target, an
estimate revised later, the reports of a target ladder), and each must run on the
warehouse the demo builds from the sample site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from test_views import build_sample_warehouse

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", ROOT / "docs" / "queries.md")
MIN_QUERIES = 10  # the research questions the docs promise; more may be added, none lost

_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Query:
    where: str  # file:line of the block
    label: str  # the paragraph just above the block: what the query answers
    sql: str


def example_queries(paths: tuple[Path, ...] = DOCS) -> list[Query]:
    queries = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for match in _SQL_BLOCK.finditer(text):
            paragraphs = [p for p in re.split(r"\n\s*\n", text[:match.start()]) if p.strip()]
            label = " ".join(paragraphs[-1].split()) if paragraphs else ""
            line = text.count("\n", 0, match.start()) + 1
            queries.append(Query(f"{path.relative_to(ROOT)}:{line}", label, match.group(1).strip()))
    return queries


QUERIES = example_queries()
IDS = [q.where for q in QUERIES]

# On the demo's five reports (five regions, one report each, no city, province or
# national report) nothing can set a target against a later actual, revise an
# estimate, or climb a target ladder. Matched on the label, so renumbering is safe.
EMPTY_ON_DEMO = ("How far actual growth landed", "missed their GDP growth target", "Range targets",
                 "Estimates (预计)", "exceeds their city's", "national report of a year did not state")


def test_docs_have_the_example_queries() -> None:
    assert len(QUERIES) >= MIN_QUERIES, [q.where for q in QUERIES]
    assert len({q.sql for q in QUERIES if q.where.startswith("docs/")}) >= MIN_QUERIES


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp("readme") / "warehouse.duckdb"
    build_sample_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_query_returns_rows(warehouse: duckdb.DuckDBPyConnection, query: Query) -> None:
    rows = warehouse.execute(query.sql).fetchall()
    assert rows, f"{query.where} returned no rows:\n{query.sql}"


def test_queries_run_on_the_demo_warehouse(sample_site, tmp_path: Path) -> None:
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources

    db_path = tmp_path / "demo.duckdb"
    sites = load_sources(sample_site.write_sources(tmp_path / "sources.yaml"))
    run_pipeline(flow="backfill", db_path=db_path, sites=sites)
    with duckdb.connect(str(db_path), read_only=True) as con:
        for query in QUERIES:
            rows = con.execute(query.sql).fetchall()
            if not any(phrase in query.label for phrase in EMPTY_ON_DEMO):
                assert rows, f"{query.where} ({query.label}) returned no rows on the demo warehouse:\n{query.sql}"


def test_readme_is_a_front_page() -> None:
    """≤ 300 lines (depth goes to docs/), and every relative link of README.md and docs/ leads to a file."""
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 300
    broken = []
    for path in (readme, *sorted((ROOT / "docs").glob("*.md"))):
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or a heading on the same page
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken

"""The README's example queries run, so the README cannot rot.

The queries are the fenced ```sql blocks of README.md. Each must find rows in a
small hand-built warehouse that has what every query needs (two consecutive
reports of one district, a range target, an estimate revised later), and each
must run on the warehouse the demo builds from the sample site.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from test_views import build_sample_warehouse

DOC = Path(__file__).resolve().parent.parent / "README.md"
EXPECTED_QUERIES = 10

_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def sql_blocks(path: Path) -> list[str]:
    return [block.strip() for block in _SQL_BLOCK.findall(path.read_text(encoding="utf-8"))]


QUERIES = sql_blocks(DOC)


def test_doc_has_the_example_queries() -> None:
    assert len(QUERIES) == EXPECTED_QUERIES


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp("readme") / "warehouse.duckdb"
    build_sample_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, EXPECTED_QUERIES + 1))
def test_query_returns_rows(warehouse: duckdb.DuckDBPyConnection, number: int) -> None:
    rows = warehouse.execute(QUERIES[number - 1]).fetchall()
    assert rows, f"query {number} returned no rows:\n{QUERIES[number - 1]}"


# On the demo's five reports (five regions, one report each) there is no target
# to set against a later actual and no estimate revised by a later report.
NEED_TWO_REPORTS_OF_ONE_REGION = {1, 2, 7, 8}


def test_queries_run_on_the_demo_warehouse(sample_site, tmp_path: Path) -> None:
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources

    db_path = tmp_path / "demo.duckdb"
    sites = load_sources(sample_site.write_sources(tmp_path / "sources.yaml"))
    run_pipeline(flow="backfill", db_path=db_path, sites=sites)
    with duckdb.connect(str(db_path), read_only=True) as con:
        for number, query in enumerate(QUERIES, start=1):
            rows = con.execute(query).fetchall()
            if number not in NEED_TWO_REPORTS_OF_ONE_REGION:
                assert rows, f"query {number} returned no rows on the demo warehouse:\n{query}"

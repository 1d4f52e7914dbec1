"""The example queries of the documentation run against a small warehouse and find rows.

The queries are the fenced ```sql blocks of DOC; point DOC and `warehouse`
at README.md and the demo warehouse to check those instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from test_views import build_sample_warehouse

DOC = Path(__file__).resolve().parent.parent / "docs" / "analysis.md"
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

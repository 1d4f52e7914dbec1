"""Export: every table and view, readable by pandas with the same rows, Chinese text intact."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from test_views import build_sample_warehouse
from warehouse.export import export

READERS = {
    "parquet": pd.read_parquet,
    "csv": lambda path: pd.read_csv(path, encoding="utf-8"),
    "dta": pd.read_stata,
}


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    build_sample_warehouse(path)
    return path


def row_counts(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(str(db_path), read_only=True)
    names = [n for (n,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    counts = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    con.close()
    return counts


@pytest.mark.parametrize("fmt", ["parquet", "csv", "dta"])
def test_export_every_relation_with_its_rows(db_path: Path, tmp_path: Path, fmt: str) -> None:
    expected = row_counts(db_path)
    assert {"documents", "indicators", "topic_terms", "attention", "indicator_panel", "target_vs_actual"} <= set(expected)
    files = export(str(db_path), fmt, str(tmp_path / fmt))
    assert {path.name for path in files} == {f"{name}.{fmt}" for name in expected}
    for path in files:
        frame = READERS[fmt](path)
        assert len(frame) == expected[path.stem], path.name


@pytest.mark.parametrize("fmt", ["parquet", "csv", "dta"])
def test_export_keeps_chinese_text(db_path: Path, tmp_path: Path, fmt: str) -> None:
    export(str(db_path), fmt, str(tmp_path / fmt))
    documents = READERS[fmt](tmp_path / fmt / f"documents.{fmt}")
    assert set(documents["region_name"]) == {"岳阳楼区", "全国", "湖南省", "岳阳市", "岳阳县"}
    assert documents["body"].str.startswith("各位代表").all()
    indicators = READERS[fmt](tmp_path / fmt / f"indicators.{fmt}")
    assert "地区生产总值增长7.5%左右" in set(indicators["evidence"])


def test_dta_converts_types_stata_lacks(db_path: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    long_body = "数字经济" * 1000  # 12,000 UTF-8 bytes: beyond Stata's 2045-byte str
    con.execute("UPDATE documents SET body = ? WHERE doc_id = 'd2017'", [long_body])
    con.execute("CREATE TABLE wide (a_column_name_well_beyond_thirty_two_chars_1 INTEGER, "
                "a_column_name_well_beyond_thirty_two_chars_2 INTEGER)")
    con.execute("INSERT INTO wide VALUES (1, 2)")
    con.close()
    export(str(db_path), "dta", str(tmp_path / "dta"))
    documents = pd.read_stata(tmp_path / "dta" / "documents.dta")
    assert long_body in set(documents["body"])
    assert pd.api.types.is_datetime64_any_dtype(documents["loaded_at"])
    indicators = pd.read_stata(tmp_path / "dta" / "indicators.dta")
    assert set(indicators["is_estimate"]) == {0, 1}
    wide = pd.read_stata(tmp_path / "dta" / "wide.dta")
    assert [len(c) for c in wide.columns] == [32, 32]
    assert wide.iloc[0].tolist() == [1, 2]


def test_export_rejects_unknown_format(db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        export(str(db_path), "xlsx", str(tmp_path / "out"))


def test_export_opens_read_only(db_path: Path, tmp_path: Path) -> None:
    """A reader can export while another read-only connection is open."""
    other = duckdb.connect(str(db_path), read_only=True)
    try:
        assert export(str(db_path), "csv", str(tmp_path / "csv"))
    finally:
        other.close()

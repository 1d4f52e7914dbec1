"""Export every table and view of the warehouse for pandas, R and Stata.

Parquet and CSV are written by DuckDB itself (COPY), which streams and keeps
types. A CSV file has no types, and a reader guessing them turns the region
code 000000 into 0 and 110000 into 110000.0 once a column has gaps: so each
`<name>.csv` gets a `<name>.schema.json` beside it, a Frictionless Table Schema
(https://specs.frictionlessdata.io/table-schema/) naming every column's type,
from which a reader takes its dtypes (docs/queries.md shows pandas and R).
Stata goes through pandas `to_stata(version=118)`, the first .dta format with
UTF-8 text, after turning columns into types Stata can hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.db import connect_reader

FORMATS = ("parquet", "csv", "dta")

# Stata's fixed-width str holds at most 2045 bytes; longer text must be strL.
STATA_STR_MAX_BYTES = 2045
STATA_NAME_MAX = 32


def relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """User tables and views of the main schema, tables first, each group by name."""
    rows = con.execute(
        """
        SELECT table_name FROM (
            SELECT table_name, 0 AS kind FROM duckdb_tables()
            WHERE database_name = current_database() AND schema_name = 'main'
              AND NOT internal AND NOT temporary
            UNION ALL
            SELECT view_name, 1 FROM duckdb_views()
            WHERE database_name = current_database() AND schema_name = 'main'
              AND NOT internal AND NOT temporary
        ) ORDER BY kind, table_name
        """
    ).fetchall()
    return [name for (name,) in rows]


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy(con: duckdb.DuckDBPyConnection, name: str, path: Path, options: str) -> None:
    con.execute(f"COPY (SELECT * FROM {_quote_identifier(name)}) TO {_quote_literal(str(path))} ({options})")


# DuckDB type (its name up to the first parenthesis) -> Table Schema type; anything else (lists, structs,
# blobs) is written as DuckDB prints it, so it is `string` to a reader.
SCHEMA_TYPES = {
    "VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime", "TIME": "time", "DOUBLE": "number", "FLOAT": "number",
    "DECIMAL": "number", "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer", "BIGINT": "integer",
    "HUGEINT": "integer", "UTINYINT": "integer", "USMALLINT": "integer", "UINTEGER": "integer", "UBIGINT": "integer",
}


def table_schema(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    """A relation's columns as a Table Schema: name, type, and the DuckDB type it came from."""
    columns = con.execute(f"DESCRIBE SELECT * FROM {_quote_identifier(name)}").fetchall()
    return {"fields": [{"name": column, "type": SCHEMA_TYPES.get(kind.split("(")[0], "string"), "duckdb_type": kind}
                       for column, kind, *_ in columns]}


def _stata_names(columns: list[str]) -> list[str]:
    """Column names cut to Stata's 32 characters, kept unique."""
    names: list[str] = []
    for column in columns:
        name = column[:STATA_NAME_MAX]
        suffix = 1
        while name in names:
            tail = f"_{suffix}"
            name = column[: STATA_NAME_MAX - len(tail)] + tail
            suffix += 1
        names.append(name)
    return names


def _to_stata_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Columns Stata can hold, and the text columns too long for fixed-width str."""
    out = pd.DataFrame(index=frame.index)
    long_text: list[str] = []
    for column, name in zip(frame.columns, _stata_names(list(frame.columns)), strict=True):
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            # Stata has no boolean; nullable booleans become float so NULL survives.
            series = series.astype("int8") if not series.isna().any() else series.astype("float64")
        elif isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)
        elif pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
            series = series.astype(object).where(series.notna(), "")
            if series.map(lambda value: len(str(value).encode("utf-8"))).max(skipna=True) > STATA_STR_MAX_BYTES:
                long_text.append(name)
            series = series.astype(str)
        out[name] = series
    return out, long_text


def _write_dta(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    frame, long_text = _to_stata_frame(con.execute(f"SELECT * FROM {_quote_identifier(name)}").df())
    frame.to_stata(path, write_index=False, version=118, convert_strl=long_text, data_label=name[:80])


def export(db_path: str, fmt: str, out_dir: str) -> list[Path]:
    """Write every table and view of the warehouse at `db_path` to `out_dir` as `fmt`; returns the data files
    (a CSV file's `<name>.schema.json` is written beside it)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with connect_reader(Path(db_path)) as con:
        for name in relations(con):
            path = target / f"{name}.{fmt}"
            if fmt == "parquet":
                _copy(con, name, path, "FORMAT parquet")
            elif fmt == "csv":
                _copy(con, name, path, "FORMAT csv, HEADER true")  # DuckDB writes UTF-8
                schema = json.dumps(table_schema(con, name), ensure_ascii=False, indent=1)
                (target / f"{name}.schema.json").write_text(schema + "\n", encoding="utf-8")
            else:
                _write_dta(con, name, path)
            written.append(path)
    return written

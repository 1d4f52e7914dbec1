"""The GB/T 2260 tables in the warehouse: `regions`, kept equal to tasks/data/*.csv.

The coverage and target_ladder views list every division of a plan year and
walk its parents in SQL, so the tables the metadata stage reads (current and
former divisions with their validity years, docs/regions.md) are mirrored into
the warehouse. The runner calls `sync_regions` on every writer open; it
rewrites the table only when the files' hash changed, so a re-run changes no row.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from pathlib import Path

import duckdb

DATA_DIR = Path(__file__).resolve().parent.parent / "tasks" / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"  # the files tasks.metadata reads
FORMER_REGIONS_CSV = DATA_DIR / "regions_former.csv"

REFERENCE_NAME = "regions"


def regions_sha256() -> str:
    digest = hashlib.sha256()
    for path in (REGIONS_CSV, FORMER_REGIONS_CSV):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def sync_regions(con: duckdb.DuckDBPyConnection) -> bool:
    """Reload `regions` from the csv files when they changed; True when rows were written."""
    sha = regions_sha256()
    stored = con.execute("SELECT sha256 FROM reference_data WHERE name = ?", [REFERENCE_NAME]).fetchone()
    if stored is not None and stored[0] == sha:
        return False
    con.execute("BEGIN")
    con.execute("DELETE FROM regions")
    for path, until in ((REGIONS_CSV, "NULL"), (FORMER_REGIONS_CSV, "until")):
        con.execute(
            f"""
            INSERT INTO regions
            SELECT code, name, level, nullif(parent_code, ''), CAST(nullif(since, '') AS INTEGER),
                   CAST(nullif({until}, '') AS INTEGER)
            FROM read_csv(?, header = true, all_varchar = true)
            """,
            [str(path)],
        )
    con.execute("INSERT OR REPLACE INTO reference_data VALUES (?, ?, ?)",
                [REFERENCE_NAME, sha, dt.datetime.now(dt.UTC).replace(tzinfo=None)])
    con.execute("COMMIT")
    return True

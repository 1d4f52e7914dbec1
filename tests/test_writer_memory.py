"""What keeps the writing process's memory flat as the warehouse grows: the loader's lookups by key are
answered by an index (no ON CONFLICT for keys the table does not hold), indicators have no key index to
check, and the writer's malloc settings."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.records import PageFetch
from tests.conftest import migrations_before
from warehouse import db as warehouse_db
from warehouse import load

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str, sha: str, at: str) -> PageFetch:
    return PageFetch(url=url, final_url=url, host="gov.example", source_name="gov", fetched_at=at, http_status=200,
                     content_type="text/html", charset="utf-8", raw_sha256=sha, raw_path=f"{sha}.gz", etag=None,
                     last_modified=None, error=None, role="report")


def test_the_loaders_lookups_by_a_keys_first_column_have_an_index(tmp_path: Path) -> None:
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        indexes = set(con.execute("SELECT table_name, expressions FROM duckdb_indexes()").fetchall())
    assert ("pages", "[url]") in indexes
    assert ("document_sources", "[doc_id]") in indexes


def test_a_page_version_held_already_or_fetched_twice_in_a_batch_adds_one_row(tmp_path: Path) -> None:
    url, other = "http://gov.example/r.html", "http://gov.example/s.html"
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        added = load.load_pages(con, [fetch(url, "a" * 64, "2026-01-01T00:00:00"),
                                      fetch(url, "a" * 64, "2026-01-01T00:05:00"),
                                      fetch(other, "b" * 64, "2026-01-01T00:00:00")])
        again = load.load_pages(con, [fetch(url, "a" * 64, "2026-01-02T00:00:00"),
                                      fetch(url, "c" * 64, "2026-01-02T00:00:00")])
        rows = con.execute("SELECT url, raw_sha256, CAST(fetched_at AS VARCHAR) FROM pages ORDER BY 1, 2").fetchall()
    assert (added, again) == (2, 1)
    assert rows == [(url, "a" * 64, "2026-01-01 00:00:00"), (url, "c" * 64, "2026-01-02 00:00:00"),
                    (other, "b" * 64, "2026-01-01 00:00:00")]


MMAPPED = """
import ctypes, sys
from warehouse import db
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
libc.free(libc.malloc(8 << 20))  # freeing an 8 MB block raises glibc's mmap threshold past DuckDB's 256 KB blocks
if sys.argv[1] == "writer":
    with db.connect_writer(db.Path(sys.argv[2])):
        pass
before = libc.mallinfo2().hblks
blocks = [libc.malloc(256 << 10) for _ in range(64)]  # 16 MB: more than the heap has free after a writer
print(libc.mallinfo2().hblks - before)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_a_process_that_opened_a_writer_mmaps_blocks_of_256_kb(tmp_path: Path) -> None:
    def mmapped(mode: str) -> int:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no MALLOC_ARENA_MAX / GLIBC_TUNABLES of the caller
        out = subprocess.run([sys.executable, "-c", MMAPPED, mode, str(tmp_path / "w.duckdb")], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        return int(out.stdout)

    assert mmapped("plain") == 0  # glibc's default: from the heap, which keeps what is freed
    assert mmapped("writer") > 0  # what free heap space cannot take is mmapped, and returned when freed


def test_migration_024_keeps_the_indicators_and_drops_their_key_index(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(warehouse_db, "MIGRATIONS_DIR", migrations_before(24, tmp_path / "migrations"))
    row = ("d1", "110101", 2024, "gdp", "growth", "target", 2024, 2024, 5.0, None, "%", "about", False, "增长5%左右", 10, 14,
           "x1")
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        con.execute(f"INSERT INTO indicators VALUES ({', '.join('?' * len(row))})", row)
    monkeypatch.undo()
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT * FROM indicators").fetchall() == [row]
        assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'indicators' "
                           "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM indicator_panel").fetchone()[0] >= 0  # the views bind to it again


@pytest.mark.parametrize("absent", [0, load.POINT_LOOKUPS_MAX])  # point lookups, and one list past DuckDB's limit
def test_deleting_documents_by_a_short_or_a_long_list_of_ids_deletes_those(tmp_path: Path, absent: int) -> None:
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        con.executemany("INSERT INTO doc_sketches VALUES (?, ?)", [(f"d{i}", b"\0" * 8) for i in range(5)])
        load.delete_documents(con, ["d1", "d3"] + [f"absent{i}" for i in range(absent)])
        assert con.execute("SELECT doc_id FROM doc_sketches ORDER BY 1").fetchall() == [("d0",), ("d2",), ("d4",)]

"""Opening the warehouse: paths, migrations, views, locks.

DuckDB lets one process write a database file at a time, and a writer cannot
open the file while another process holds it (even read-only). So writers
keep their connection only for the length of one load transaction, and wait
(with a log line) while someone else holds the file. Two flow runs are kept
from interleaving by an advisory lock file beside the database.

Each writer's close checkpoints its batch into the file (no WAL is left
between batches), with DuckDB's vacuum off: see WRITER_CONFIG.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import platform
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.regions import sync_regions

log = logging.getLogger("govreports.warehouse")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VIEWS_DIR = Path(__file__).parent / "views"

DEFAULT_DB = "data/warehouse.duckdb"
DEFAULT_DATA = "data"


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or created; the message is one line for users."""


def default_db_path() -> Path:
    return Path(os.environ.get("GOVREPORTS_DB", DEFAULT_DB))


def default_data_dir() -> Path:
    return Path(os.environ.get("GOVREPORTS_DATA", DEFAULT_DATA))


def raw_dir_for(db_path: Path | None) -> Path:
    """The raw archive: `$GOVREPORTS_DATA/raw`, else `raw/` beside a non-default warehouse."""
    if "GOVREPORTS_DATA" in os.environ or db_path is None:
        return default_data_dir() / "raw"
    return Path(db_path).parent / "raw"


def _is_lock_conflict(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


WRITE_WAIT_SECONDS = 3600.0  # how long a load waits for readers (or another writer) to let go
WAIT_REMINDER_SECONDS = 60.0


# A batch's rows form small row groups (about 100 documents each). At every
# checkpoint DuckDB's vacuum merges small neighbouring row groups, rewriting
# them whole, and the merges double in size as the warehouse grows (2,000,
# 4,000, 8,000 documents ... up to 122,880 rows): with ~50 KB of text a
# document, that checkpoint's memory grew with the warehouse (+300 MB at 4,000
# documents, +530 MB at 8,000). Without vacuum a checkpoint writes only the new
# row groups; row groups whose rows are all deleted are still dropped, so the
# file stays bounded (partly deleted ones keep their dead rows until the rest go).
WRITER_CONFIG = {"max_vacuum_tasks": 0}

# The writing process opens and closes a DuckDB instance once or twice a batch, each time allocating and
# freeing its buffers (256 KB blocks) through glibc's malloc. By default glibc serves blocks of that size
# from its heaps once a few have been freed (its mmap threshold rises to the largest block freed), from one
# heap per thread that allocates (up to 8 a core), and a heap returns memory only from its top: the
# writer's heaps grew by ~50 MB over a 2,000-page run with under 80 MB of them in use, and the peak RSS
# with them. Allocations of 128 KB and more are mmapped instead (each returned to the system when freed),
# a heap's free top is returned past 128 KB (glibc's defaults before the threshold moves), and the threads
# share two heaps. A process's own MALLOC_ARENA_MAX / GLIBC_TUNABLES win.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # mallopt's parameter numbers (malloc.h)
WRITER_MALLOC = {M_MMAP_THRESHOLD: 128 * 1024, M_TRIM_THRESHOLD: 128 * 1024, M_ARENA_MAX: 2}
_malloc_bounded = False


def bound_malloc() -> None:
    """Apply WRITER_MALLOC to this process, once, where the C library is glibc."""
    global _malloc_bounded
    if _malloc_bounded:
        return
    _malloc_bounded = True
    own = {"MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"} & set(os.environ)
    if own or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    for param, value in WRITER_MALLOC.items():
        libc.mallopt(param, value)


def _connect(path: Path, *, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting (with a log line, repeated every minute) while another process holds it."""
    started = time.monotonic()
    deadline = started + wait_seconds
    next_reminder = 0.0
    config = {} if read_only else WRITER_CONFIG
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as error:
            now = time.monotonic()
            if not _is_lock_conflict(error) or now >= deadline:
                raise WarehouseError(f"cannot open warehouse {path}: {_first_line(error)}") from error
            if now >= next_reminder:
                if next_reminder == 0.0:
                    log.warning("warehouse %s is held by another process; waiting up to %.0fs for it to close "
                                "(%s)", path, wait_seconds, _holder(error))
                else:
                    log.warning("warehouse %s is still held by another process; waited %.0fs of %.0fs",
                                path, now - started, wait_seconds)
                next_reminder = now + WAIT_REMINDER_SECONDS
            time.sleep(0.5)
        except duckdb.Error as error:
            raise WarehouseError(f"cannot open warehouse {path}: {_first_line(error)}") from error


def _holder(error: duckdb.Error) -> str:
    """'PID 123' from DuckDB's lock message, so the user can find the reader."""
    match = re.search(r"\(PID (\d+)\)", str(error))
    return f"held by PID {match.group(1)}" if match else "a reader or another writer"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# Warehouses this process has migrated (views and reference data included), with the schema version it
# left them at: a run opens its writer once or twice a batch, and recreating every view each time was a
# third of the main process's time. A file replaced or recreated under the same path is migrated again.
_migrated: set[tuple[str, int | None, str, str]] = set()


def _migration_key(path: Path, version: int | None) -> tuple[str, int | None, str, str]:
    return str(path.resolve()), version, str(MIGRATIONS_DIR), str(VIEWS_DIR)


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    except duckdb.CatalogException:
        return None


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply numbered migrations not yet applied; (re)create views. Returns the schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    applied = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    version = max(applied, default=0)
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number = int(path.name.split("_", 1)[0])
        if number in applied:
            continue
        con.execute("BEGIN")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [number, path.name])
        con.execute("COMMIT")
        version = max(version, number)
    sync_regions(con)  # reference data the views read: reloaded only when the csv files change
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    return version


def _ensure_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseError(f"cannot create directory {path.parent}: {error.strerror}") from error


@contextlib.contextmanager
def writer_lock(path: Path, *, wait_seconds: float = 3600.0) -> Iterator[None]:
    """Serialise flow runs on one warehouse: a second run waits for the first."""
    _ensure_parent(path)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseError(f"another govreports run holds {lock_path}; gave up after {wait_seconds:.0f}s")
                if not announced:
                    log.warning("another govreports run is loading %s; waiting for it to finish", path)
                    announced = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def connect_writer(path: Path, *, wait_seconds: float = WRITE_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection with the schema up to date."""
    bound_malloc()
    _ensure_parent(path)
    con = _connect(path, read_only=False, wait_seconds=wait_seconds)
    try:
        if _migration_key(path, _schema_version(con)) not in _migrated:
            _migrated.add(_migration_key(path, migrate(con)))
        yield con
    finally:
        con.close()


def check_writable(path: Path) -> None:
    """Fail early, with one line, when the warehouse cannot be created or is not DuckDB.

    A warehouse that is merely busy (an analyst holds it read-only, or another
    run is loading) passes: the run itself waits for it.
    """
    try:
        with connect_writer(path, wait_seconds=0.0):
            pass
    except WarehouseError as error:
        cause = error.__cause__
        if isinstance(cause, duckdb.IOException) and _is_lock_conflict(cause) and path.exists():
            log.warning("warehouse %s is in use by another process; this run will wait for it", path)
            return
        raise


@contextlib.contextmanager
def connect_reader(path: Path, *, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: safe for ad hoc SQL, cannot change anything."""
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path} (run `govreports backfill` or `govreports demo` first)")
    con = _connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()

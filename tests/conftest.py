"""Shared fixtures: fixture paths, a Prefect test harness, the sample site, a demo warehouse."""

from __future__ import annotations

import csv
import logging
import os
import sys
from pathlib import Path

import pytest

# Prefect telemetry would try the network; tests use loopback only.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = FIXTURES / "gold"


@pytest.fixture(scope="session")
def prefect_harness():
    """A real (temporary) Prefect API for flow runs in this test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def sample_site():
    from flows.sample_site import serve_sample_site

    with serve_sample_site() as site:
        yield site


@pytest.fixture(autouse=True)
def _prefect_console_follows_stderr():
    """Point Prefect's console log handler back at a live stderr after each test.

    Prefect may (re)configure logging during a flow run; when that happens inside a
    test using `capsys`, its handler keeps that test's capture stream, which pytest
    closes when the test ends, and every later log line would raise.
    """
    yield
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if stream is not None and getattr(stream, "closed", False):
            handler.stream = sys.stderr  # not setStream(): it would flush the closed stream
            if hasattr(handler, "console"):
                handler.console.file = sys.stderr


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Never touch the user's data/ directory from a test."""
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GOVREPORTS_DB", str(tmp_path / "data" / "warehouse.duckdb"))


def gold_documents() -> dict[str, dict]:
    with open(GOLD / "seeds_documents.csv", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def gold_indicators() -> list[dict]:
    with open(GOLD / "seeds_indicators.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expire_freshness(db_path: Path) -> None:
    """As if a day had passed: every page's HTTP freshness has run out, so the next run asks every server again."""
    import duckdb

    with duckdb.connect(str(db_path)) as con:
        con.execute("DELETE FROM page_freshness")


def migrations_before(number: int, folder: Path) -> Path:
    """A copy of the migrations numbered below `number`, to make a warehouse as it was before that migration."""
    import shutil

    from warehouse import db as warehouse_db

    folder.mkdir()
    for path in sorted(warehouse_db.MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name.split("_", 1)[0]) < number:
            shutil.copy(path, folder / path.name)
    return folder



_SUMMARIES: list[str] = []  # tables a test leaves for the end of the session (tests/test_metamorphic.py)


@pytest.fixture(scope="session")
def session_summary():
    """Call with a text to print it at the end of the test session."""
    return _SUMMARIES.append


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for text in _SUMMARIES:
        terminalreporter.write_sep("-", text.splitlines()[0])
        terminalreporter.write_line("\n".join(text.splitlines()[1:]))

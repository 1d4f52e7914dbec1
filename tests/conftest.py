"""Shared fixtures: fixture paths, a Prefect test harness, the sample site, a demo warehouse."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

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

"""The pipeline's worker processes and no-op runs: same rows as in one process, nothing parsed twice."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from tasks import assemble
from tests.conftest import migrations_before

FIXTURES = Path(__file__).parent / "fixtures"
TABLES = {
    "documents": "doc_id, region_code, plan_year, body, source_count, extractor_version",
    "document_sources": "doc_id, url, authority, copy_sha256, similarity",
    "indicators": "doc_id, indicator, basis, metric, period_start, period_end, value, unit, char_start",
    "terms": "doc_id, term, count",
    "segmentations": "doc_id, tokens, segmenter, segmenter_version, dict_sha256",
}


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
                for table, cols in TABLES.items()}


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    """Twelve report texts: national reports and real county and provincial mirror texts."""
    folder = tmp_path / "saved"
    folder.mkdir()
    texts = sorted((FIXTURES / "corpus" / "national").glob("*.txt"))[:6] + sorted((FIXTURES / "real" / "segment").glob("*.txt"))
    for path in texts[:12]:
        shutil.copy(path, folder / path.name)
    return folder


def test_worker_processes_load_what_one_process_loads(saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "parallel-data"))
    # batches of 8: the second batch's copies are made in the workers while the first loads
    parallel = pipeline.run_pipeline(flow="backfill", db_path=tmp_path / "parallel.duckdb", sites=[], from_dir=saved,
                                     batch_size=8)
    assert pipeline._pool is not None  # batches of 8+ items went to the workers
    monkeypatch.setattr(pipeline, "MIN_PARALLEL_ITEMS", 10**9)
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "serial-data"))
    serial = pipeline.run_pipeline(flow="backfill", db_path=tmp_path / "serial.duckdb", sites=[], from_dir=saved)
    assert parallel.documents_new == serial.documents_new >= 10
    assert snapshot(tmp_path / "parallel.duckdb") == snapshot(tmp_path / "serial.duckdb")
    with duckdb.connect(str(tmp_path / "parallel.duckdb"), read_only=True) as con:  # terms has no key: unique by construction
        assert con.execute("SELECT count(*) = count(DISTINCT (doc_id, term)) FROM terms").fetchone()[0]


def test_a_second_run_over_unchanged_files_parses_nothing(saved: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    db = tmp_path / "w.duckdb"
    first = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    before = snapshot(db)

    def no_parsing(data: bytes, *, url: str, **_) -> None:
        raise AssertionError(f"{url} parsed again")

    monkeypatch.setattr(pipeline, "read_page", no_parsing)
    again = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    assert first.documents_new >= 10 and again.documents_new == again.documents_changed == 0
    assert again.pages_unchanged == again.pages_seen == first.pages_seen
    assert snapshot(db) == before
    (saved / "extra.txt").write_text((saved / sorted(p.name for p in saved.iterdir())[0]).read_text(encoding="utf-8")
                                     .replace("各位代表", "各位代表：新增", 1), encoding="utf-8")
    monkeypatch.setattr(pipeline, "read_page", assemble.read_page)
    third = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    assert third.pages_seen == first.pages_seen + 1 and third.pages_unchanged == first.pages_seen


def test_terms_lose_their_key_and_keep_their_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 020 on a warehouse made before it: rows kept, no primary-key index left to check per insert."""
    from warehouse import db as warehouse_db

    monkeypatch.setattr(warehouse_db, "MIGRATIONS_DIR", migrations_before(20, tmp_path / "migrations"))
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        con.execute("INSERT INTO terms VALUES ('d1', '数字经济', 3), ('d1', '营商环境', 1)")
    monkeypatch.undo()
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        assert sorted(con.execute("SELECT * FROM terms").fetchall()) == [("d1", "数字经济", 3), ("d1", "营商环境", 1)]
        keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'terms' "
                           "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
        assert keys == 0


def test_terms_reach_the_warehouse_as_the_segmenter_counted_them(saved: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Terms cross from the workers packed (UTF-8 back to back, offsets, counts): unpacked in the warehouse,
    every document's terms are its body's segmentation."""
    from tasks import segment

    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    db = tmp_path / "w.duckdb"
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved, batch_size=8)
    with duckdb.connect(str(db), read_only=True) as con:
        bodies = con.execute("SELECT doc_id, body FROM documents").fetchall()
        stored = con.execute("SELECT doc_id, term, count FROM terms").fetchall()
    per_doc: dict[str, dict[str, int]] = {}
    for doc_id, term, count in stored:
        per_doc.setdefault(doc_id, {})[term] = count
    assert len(bodies) >= 10
    for doc_id, body in bodies:
        assert per_doc[doc_id] == segment.segment("", body).terms


def test_once_the_workers_run_even_one_item_goes_to_them(saved: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A last batch of a few reports (or a few loaded copies to analyse) is not worked in the main process,
    which would load the segmenter's dictionary there too."""
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    pipeline.run_pipeline(flow="backfill", db_path=tmp_path / "w.duckdb", sites=[], from_dir=saved, batch_size=8)
    assert pipeline._pool is not None
    (worker_pid,) = pipeline.submit(_pid, [None])
    assert worker_pid != os.getpid()


def _pid(_: object) -> int:
    return os.getpid()

"""The warehouse's checkpoint policy: every batch is in the file when its writer closes (no WAL left for readers
to replay), a reader gets in between batches and sees them, a checkpoint writes only the new batch (no vacuum
rewriting earlier batches, whose cost grew with the warehouse), and replacing documents does not grow the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from flows import pipeline
from flows.reprocess import reprocess
from warehouse import db as warehouse_db

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"


def saved_reports(folder: Path) -> Path:
    folder.mkdir()
    for path in sorted(NATIONAL.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


def body_blocks(db: Path) -> set[tuple[int, int]]:
    """(row group, block) of every stored segment of documents.body: where each batch's text sits in the file."""
    with warehouse_db.connect_reader(db) as con:
        return set(con.execute(
            "SELECT row_group_id, block_id FROM pragma_storage_info('documents') "
            "WHERE column_name = 'body' AND segment_type = 'VARCHAR' AND block_id >= 0").fetchall())


def test_each_batch_is_in_the_file_for_a_reader_between_batches_and_stays_where_it_was_written(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    wal = db.with_name(db.name + ".wal")
    seen: list[tuple[int, bool, set[tuple[int, int]]]] = []

    def look(summary: pipeline.RunSummary) -> None:
        if summary.documents_new and (not seen or seen[-1][0] != summary.documents_new):
            with warehouse_db.connect_reader(db, wait_seconds=0.0) as con:  # the writer is closed between batches
                count = con.execute("SELECT count(*) FROM documents").fetchone()[0]
            seen.append((count, wal.exists(), body_blocks(db)))

    pipeline.progress_hooks.append(look)
    try:
        summary = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[],
                                        from_dir=saved_reports(tmp_path / "saved"), batch_size=4)
    finally:
        pipeline.progress_hooks.remove(look)

    assert summary.documents_new == 20
    counts = [count for count, _, _ in seen]
    assert len(counts) >= 4 and counts == sorted(set(counts)) and counts[-1] == 20  # each batch seen as it landed
    assert not any(wal_left for _, wal_left, _ in seen) and not wal.exists()
    final = body_blocks(db)
    for _, _, blocks in seen:  # no later checkpoint rewrote (merged) an earlier batch's text
        assert blocks <= final


def test_replacing_every_document_again_and_again_does_not_grow_the_file(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved_reports(tmp_path / "saved"),
                          batch_size=4)
    sizes = []
    for _ in range(3):
        reprocess(db, batch_size=4)
        sizes.append(db.stat().st_size)
    assert sizes[2] <= sizes[0] * 1.1, sizes


def test_a_process_migrates_a_warehouse_once_and_a_recreated_one_again(tmp_path: Path, monkeypatch) -> None:
    """Views and reference data are rebuilt at a process's first writer connection to a file, not at each of a
    batch's; a file deleted and made again under the same path is migrated again."""
    calls: list[Path] = []
    real_migrate = warehouse_db.migrate

    def counted(con):
        calls.append(tmp_path)
        return real_migrate(con)

    monkeypatch.setattr(warehouse_db, "migrate", counted)
    db = tmp_path / "w.duckdb"
    for _ in range(3):
        with warehouse_db.connect_writer(db) as con:
            assert con.execute("SELECT count(*) FROM coverage").fetchone()[0] >= 0  # views are there
    assert len(calls) == 1
    db.unlink()
    with warehouse_db.connect_writer(db) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert len(calls) == 2


def test_a_load_that_fails_on_io_is_tried_again_and_loads_the_batch_once(tmp_path: Path, monkeypatch, caplog) -> None:
    import duckdb

    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(pipeline, "LOAD_RETRY_SECONDS", 0.0)
    real_load, calls = pipeline.load_batch, []

    def flaky_load(db_path, fetches, docs):
        calls.append(len(docs))
        if len(calls) == 1:
            with warehouse_db.connect_writer(db_path) as con:  # half a batch written, then the disk fills
                con.execute("BEGIN")
                pipeline.load.load_pages(con, fetches)
                raise duckdb.IOException("No space left on device")
        return real_load(db_path, fetches, docs)

    monkeypatch.setattr(pipeline, "load_batch", flaky_load)
    db = tmp_path / "w.duckdb"
    summary = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved_reports(tmp_path / "saved"))
    assert calls[:2] == [calls[0], calls[0]] and summary.documents_new == len(list(NATIONAL.glob("*.txt")))
    assert "loading a batch failed (No space left on device); trying again" in caplog.text
    with warehouse_db.connect_reader(db) as con:
        assert con.execute("SELECT count(*), count(DISTINCT url) FROM pages").fetchone() == (summary.pages_seen,) * 2

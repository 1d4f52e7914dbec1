"""The command line: bad arguments end in one clear line and a non-zero exit, and change nothing."""

from __future__ import annotations

import json

import pytest

from flows.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_db_in_a_directory_that_cannot_be_created(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, _, err = run(capsys, "backfill", "--url", "http://127.0.0.1:9/", "--db", str(blocker / "sub" / "w.duckdb"))
    assert status != 0
    assert "cannot create directory" in one_line(err)


def test_db_that_is_not_duckdb(capsys, tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("these are my notes, not a database")
    status, _, err = run(capsys, "backfill", "--url", "http://127.0.0.1:9/", "--db", str(bogus))
    assert status != 0
    assert "cannot open warehouse" in one_line(err)
    assert bogus.read_text() == "these are my notes, not a database"


def test_url_with_a_non_http_scheme(capsys, tmp_path):
    status, _, err = run(capsys, "backfill", "--url", "ftp://example.gov.cn/report.html", "--db", str(tmp_path / "w.duckdb"))
    assert status == 2
    assert "ftp" in one_line(err)
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_from_dir(capsys, tmp_path):
    status, _, err = run(capsys, "backfill", "--from-dir", str(tmp_path / "nope"))
    assert status == 2
    assert "no such directory" in one_line(err)


def test_backfill_without_a_source(capsys):
    status, _, err = run(capsys, "backfill")
    assert status == 2
    assert "needs --url" in one_line(err)


def test_unknown_command(capsys):
    status, _, err = run(capsys, "frobnicate")
    assert status == 2
    one_line(err)


def test_sql_on_a_missing_warehouse(capsys, tmp_path):
    status, _, err = run(capsys, "sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb"))
    assert status == 1
    assert "no warehouse" in one_line(err)


def test_sql_refuses_writes_and_formats_results(capsys, tmp_path):
    from warehouse.db import connect_writer

    db_path = tmp_path / "w.duckdb"
    with connect_writer(db_path):
        pass
    status, _, err = run(capsys, "sql", "DELETE FROM documents", "--db", str(db_path))
    assert status == 2 and "read-only" in one_line(err).lower()
    status, out, _ = run(capsys, "sql", "SELECT 1 AS one, '朝阳区' AS region", "--db", str(db_path), "--format", "json")
    assert status == 0 and json.loads(out) == [{"one": 1, "region": "朝阳区"}]
    status, out, _ = run(capsys, "sql", "SELECT 1 AS one", "--db", str(db_path), "--format", "csv")
    assert out.splitlines() == ["one", "1"]


def test_backfill_from_saved_files_and_unreachable_url(prefect_harness, capsys, tmp_path):
    """Saved seed files load; an unreachable site is a recorded page error, not a crash."""
    import shutil

    import duckdb

    from tests.conftest import FIXTURES

    saved = tmp_path / "saved"
    shutil.copytree(FIXTURES / "seeds", saved)
    db_path = tmp_path / "w.duckdb"
    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--url", "http://127.0.0.1:9/zfgzbg/", "--db", str(db_path))
    assert status == 0, err
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
        errors = con.execute("SELECT url, error FROM pages WHERE error IS NOT NULL").fetchall()
    assert [url for url, _ in errors] == ["http://127.0.0.1:9/zfgzbg/"]


def test_runs_on_prefects_temporary_server_send_no_heartbeats():
    """Nothing would be left to read them once the command ends; with a configured server they stay on."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from flows.cli import heartbeats_only_with_a_server

    with temporary_settings(restore_defaults={PREFECT_API_URL}), heartbeats_only_with_a_server():
        assert get_current_settings().flows.heartbeat_frequency is None
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), heartbeats_only_with_a_server():
        assert get_current_settings().flows.heartbeat_frequency == 180

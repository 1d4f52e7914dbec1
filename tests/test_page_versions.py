"""A page that comes back with other bytes: its new version becomes the document's text."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows import pipeline

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"


def test_a_corrected_page_replaces_its_old_text_in_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    saved, db = tmp_path / "saved", tmp_path / "w.duckdb"
    saved.mkdir()
    report = (NATIONAL / "2023.txt").read_text(encoding="utf-8")
    page = saved / "report.txt"
    page.write_text(report, encoding="utf-8")
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    # the site corrects a figure and drops a paragraph: shorter, still the same report
    lines = report.splitlines()
    corrected = "\n".join(lines[:30] + lines[32:]).replace("极为重要的一年", "极为重要的一年（修订）", 1)
    page.write_text(corrected, encoding="utf-8")
    again = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    with duckdb.connect(str(db), read_only=True) as con:
        bodies = con.execute("SELECT body FROM documents").fetchall()
        aliases = con.execute("SELECT count(*) FROM doc_aliases").fetchone()[0]
        sources = con.execute("SELECT count(*) FROM document_sources").fetchone()[0]
    assert again.documents_changed + again.documents_new == 1
    assert len(bodies) == 1 and "极为重要的一年（修订）" in bodies[0][0]
    assert aliases == 1 and sources == 1  # the old id resolves to the new one; one page, one source


def test_a_saved_file_is_read_again_only_when_its_size_or_mtime_changed(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A --from-dir file's size and mtime are its validator, as a static-file server's ETag: an unchanged
    file is not read (or hashed) again; an edited one is, whatever its size."""
    import os

    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    saved, db = tmp_path / "saved", tmp_path / "w.duckdb"
    saved.mkdir()
    for year in (2022, 2023):
        (saved / f"{year}.txt").write_text((NATIONAL / f"{year}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)

    reads: list[str] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.parent == saved:
            reads.append(path.name)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    again = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    assert reads == [] and again.pages_unchanged == 2

    edited = saved / "2023.txt"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("极为重要的一年", "极为关键的一年", 1), encoding="utf-8")  # the same size
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved)
    assert reads == ["2023.txt"] and third.documents_new + third.documents_changed == 1  # read once: archived, parsed
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE body LIKE '%极为关键的一年%'").fetchone()[0] == 1

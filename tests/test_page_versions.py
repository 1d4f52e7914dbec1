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

"""Dedupe sketches: new copies meet the loaded documents of their plan year and region through small
stored samples of shingle hashes, and only a document whose sketch may merge is read and shingled whole."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from tasks.dedupe import fingerprint, sketch, sketch_may_merge
from warehouse import load

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"
YEAR = re.compile(r"(19|20)\d\d(?=年)")


def national(year: int, shift: int = 0) -> str:
    """A national report, its years moved by `shift`: another government's report of that plan year, as dedupe sees it."""
    text = (NATIONAL / f"{year}.txt").read_text(encoding="utf-8")
    return YEAR.sub(lambda m: str(int(m.group(0)) + shift), text)


def mirror_of(text: str) -> str:
    """A content farm's copy: every fourth paragraph lost, a watermark in every third."""
    lines = [line for n, line in enumerate(text.splitlines()) if n % 4 != 3]
    return "\n".join(line[:10] + "（来源：范文网）" + line[10:] if n % 3 == 0 else line for n, line in enumerate(lines))


def test_a_mangled_mirror_and_one_page_of_a_split_report_pass_the_sketch() -> None:
    report = sketch(fingerprint(national(2023)))
    assert sketch_may_merge(report, sketch(fingerprint(mirror_of(national(2023)))))
    half = national(2023)[: len(national(2023)) // 2]
    assert sketch_may_merge(report, sketch(fingerprint(half)))


def test_the_reports_of_other_years_are_ruled_out() -> None:
    report = sketch(fingerprint(national(2023)))
    for year in (2022, 2024, 2019):
        assert not sketch_may_merge(report, sketch(fingerprint(national(year))))


def test_a_short_text_says_too_little_to_rule_anything_out() -> None:
    assert sketch_may_merge(sketch(fingerprint(national(2023)[:300])), sketch(fingerprint(national(2019))))


def _run(folder: Path, db: Path) -> pipeline.RunSummary:
    return pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=folder)


@pytest.fixture()
def same_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """Three different national reports of plan year 2023 loaded, and a log of the bodies dedupe reads."""
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))
    first = tmp_path / "first"
    first.mkdir()
    for year in (2023, 2022, 2021):
        (first / f"{year}.txt").write_text(national(year, 2023 - year), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    assert _run(first, db).documents_new == 3
    read: list[str] = []
    real_loaded_copies = load.loaded_copies

    def logged(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list:
        read.extend(doc_ids)
        return real_loaded_copies(con, doc_ids)

    monkeypatch.setattr(load, "loaded_copies", logged)
    return db, read


def test_a_mirror_merges_and_only_its_report_is_read(same_year: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, read = same_year
    second = tmp_path / "second"
    second.mkdir()
    (second / "mirror.txt").write_text(mirror_of(national(2023)), encoding="utf-8")
    summary = _run(second, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM doc_sketches").fetchone()[0] == 3
        merged = con.execute("SELECT doc_id FROM document_sources GROUP BY doc_id HAVING count(*) = 2").fetchall()
    assert summary.documents_new == 0 and len(merged) == 1
    assert read == [merged[0][0]]  # the two other 2023 reports were ruled out by their sketches


def test_documents_loaded_before_sketches_are_read_whole(same_year: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, read = same_year
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM doc_sketches")
    second = tmp_path / "second"
    second.mkdir()
    (second / "mirror.txt").write_text(mirror_of(national(2023)), encoding="utf-8")
    _run(second, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
        assert con.execute("SELECT max(source_count) FROM documents").fetchone()[0] == 2
    assert len(read) == 3

"""What the terminal says: every input accounted for, the progress line at any width, empty results,
inspect's indicators, readable saved-file paths, front matter titles, CSV exports that keep codes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from rich.console import Console

from flows.console import RunProgress
from flows.pipeline import OUTCOMES, RunSummary
from tasks.parse import parse_text, read_local_file
from tests.conftest import FIXTURES, migrations_before
from tests.test_cli import one_line, run
from warehouse import db as warehouse_db

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


@pytest.fixture()
def mixed_folder(tmp_path: Path) -> Path:
    """Three reports, a byte copy of one and a Markdown copy of another (front matter on top), a notice that
    is not a report, a PDF that cannot be read, and two files of types a run does not read."""
    folder = tmp_path / "丹东 saved"
    folder.mkdir()
    for seed in SEEDS[:3]:
        shutil.copy(seed, folder / seed.name)
    shutil.copy(SEEDS[0], folder / "丹东市_copy.txt")
    (folder / "copy.md").write_text("---\ntitle: 政府工作报告（编辑稿）\nsource: https://example.org/r\n---\n\n"
                                    + SEEDS[1].read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "notice.txt").write_text("本站公告：网站维护通知。\n", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "meta.json").write_text("{}")
    (folder / "README").write_text("notes")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def test_every_input_lands_in_one_bucket_and_the_buckets_add_up(prefect_harness, capsys, tmp_path, mixed_folder):
    db = tmp_path / "w.duckdb"
    status, out, err = run(capsys, "backfill", "--from-dir", str(mixed_folder), "--db", str(db), "--json")
    assert status == 0, err
    report = json.loads(out)
    inputs = report["inputs"]
    assert inputs == {"total": 7, "document_new": 3, "copy_merged": 2, "not_report": 1, "failed": 1}
    assert sum(n for key, n in inputs.items() if key != "total") == inputs["total"] == report["pages_seen"]
    assert set(inputs) - {"total"} <= set(OUTCOMES)
    assert report["documents_new"] == 3 and report["errors"] == 1
    assert report["ignored_files"] == {".json": 1, "": 1}  # .DS_Store is hidden: not counted
    assert one_line(err) == ("govreports: warning: --from-dir ignores 2 files of other types: 1 .json, "
                             "1 without a suffix (it reads .docx .htm .html .md .pdf .txt)")

    with duckdb.connect(str(db), read_only=True) as con:
        paths = dict(con.execute("SELECT url, path FROM document_sources").fetchall())
        title = con.execute("SELECT title FROM documents d JOIN document_sources s USING (doc_id) "
                            "WHERE s.path LIKE '%copy.md'").fetchone()
    assert sorted(Path(p).name for p in paths.values()) == sorted(
        [s.name for s in SEEDS[:3]] + ["丹东市_copy.txt", "copy.md"])
    assert str(mixed_folder / "丹东市_copy.txt") in paths.values()  # the path as typed, not %E4%B8%B9…
    assert title is not None and not title[0].startswith(("title:", "---"))

    # Again, as text: the failed file is read again (it fails again), the rest are unchanged.
    status, out, err = run(capsys, "backfill", "--from-dir", str(mixed_folder), "--db", str(db))
    assert status == 0, err
    assert out.startswith("backfill finished in ")
    assert out.splitlines()[0].endswith(": 7 files → 6 unchanged, 1 failed")


def test_the_summary_names_every_bucket(tmp_path):
    from flows.cli import _format_rows
    from flows.console import summary_text

    report = {"flow": "backfill", "warehouse": str(tmp_path / "w.duckdb"), "pages_seen": 40, "pages_fetched": 40,
              "errors": 0, "documents_new": 37,
              "inputs": {"total": 40, "document_new": 37, "copy_merged": 1, "not_report": 2}}
    text = summary_text(report, [], _format_rows, 3.0, "files")
    assert text.splitlines()[0] == "backfill finished in 3 s: 40 files → 37 new documents, 1 copy merged, 2 not reports"
    assert "not reports (2), each with why: govreports sql 'SELECT url, reason FROM skipped_links" in text


def test_from_dir_given_a_file_is_one_line_exit_2(capsys, tmp_path):
    saved = tmp_path / "report.txt"
    shutil.copy(SEEDS[0], saved)
    status, _, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(tmp_path / "w.duckdb"))
    assert status == 2
    assert f"--from-dir takes a folder and {saved} is a file" in one_line(err)
    assert not (tmp_path / "w.duckdb").exists()


def _progress_line(width: int, total: int | None, pages: int, documents: int, failed: int, pending: int = 0) -> str:
    """The live line as a terminal of `width` columns draws it, `pages` seconds into a run whose last
    `pending` inputs wait for their batch to load."""
    clock = [0.0]
    display = RunProgress("backfill", total, console=Console(file=io.StringIO(), width=width, force_terminal=True),
                          get_time=lambda: clock[0])
    summary = RunSummary(flow="backfill")
    for seen in range(1, pages + pending + 1):
        clock[0] += 1.0
        summary.pages_seen, summary.documents_new = seen, documents * min(seen, pages) // pages
        summary._settle(f"file:///{seen}", "document_new" if seen <= pages else "pending")
        summary.failures = [("file:///x", "error")] * failed
        display.update(summary)
    screen = Console(file=io.StringIO(), width=width, record=True, force_terminal=True, color_system=None)
    screen.print(display.progress.make_tasks_table(display.progress.tasks))
    return screen.export_text().rstrip("\n")


def test_the_progress_line_fits_80_columns_with_bar_elapsed_and_time_left():
    line = _progress_line(80, total=40, pages=12, documents=9, failed=1)
    assert line == "⠋ backfill ━━━━━━━━━━━━ 12/40 files · 9 documents · 1 failed · 0:12 · 0:28 left"
    assert len(line) <= 80


def test_the_progress_counts_an_input_once_its_batch_has_loaded():
    line = _progress_line(80, total=40, pages=12, documents=9, failed=0, pending=5)
    assert "12/40 files · 9 documents" in line  # 17 read, 5 of them still in the batch being made


@pytest.mark.parametrize("width", [100, 80, 60, 40, 24])
@pytest.mark.parametrize(("total", "pages", "documents", "failed"), [(40, 12, 9, 1), (1500, 1234, 1200, 12),
                                                                      (None, 52, 30, 0)])
def test_the_progress_line_drops_whole_parts_on_narrow_terminals(width, total, pages, documents, failed):
    line = _progress_line(width, total, pages, documents, failed)
    assert "\n" not in line and len(line) <= width
    seen = f"{pages}/{total} files" if total else f"{pages} pages"
    assert seen in line  # the count stays at every width
    assert "left" not in line or line.endswith(" left")  # never a stray "left" without its time
    if width >= 60:
        assert f"{documents} documents" in line


def test_an_empty_result_says_0_rows(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse_db.connect_writer(db):
        pass
    status, out, _ = run(capsys, "sql", "SELECT doc_id, title FROM documents", "--db", str(db))
    assert status == 0
    assert out.splitlines() == ["doc_id  title", "------  -----", "(0 rows)"]
    status, out, _ = run(capsys, "sql", "SELECT doc_id FROM documents", "--db", str(db), "--format", "csv")
    assert out.splitlines() == ["doc_id"]  # machine formats stay as they are


def test_an_empty_coverage_selection_says_0_rows(capsys, tmp_path):
    from test_coverage import build_mixed_warehouse

    db = tmp_path / "mixed.duckdb"
    build_mixed_warehouse(db)
    status, out, _ = run(capsys, "coverage", "--db", str(db), "--under", "370000", "--level", "national")
    assert status == 0
    assert out.startswith("(0 rows)")


def test_inspect_lists_the_indicators_in_text_mode(capsys):
    status, out, _ = run(capsys, "inspect", str(SEEDS[0]))
    assert status == 0
    status, as_json, _ = run(capsys, "inspect", str(SEEDS[0]), "--json")
    indicators = json.loads(as_json)["indicators"]
    assert len(indicators) > 5 and f"indicators: {len(indicators)}" in out
    listed = [line for line in out.splitlines() if line.startswith("  ") and line.split()[0] in
              {row["indicator"] for row in indicators}]
    assert len(listed) == len(indicators)
    first = indicators[0]
    assert first["evidence"][:20] in listed[0] and first["unit"] in listed[0]


def test_front_matter_gives_the_title_and_leaves_the_body():
    page = parse_text("---\ntitle: 丹东市政府工作报告（2014年）\nsource: https://example.org/a\n---\n\n各位代表：\n现在报告工作。\n",
                      url="file:///a.txt")
    assert page.title == "丹东市政府工作报告（2014年）"
    assert page.lines == ("各位代表：", "现在报告工作。")
    plain = parse_text("丹东市政府工作报告\n---\n各位代表：\n", url="file:///b.txt")  # a rule, not front matter
    assert plain.title == "丹东市政府工作报告" and plain.lines == ("丹东市政府工作报告", "---", "各位代表：")
    not_yaml = parse_text("---\n: [unclosed\n---\n各位代表：\n", url="file:///c.txt")
    assert not_yaml.title == "---" and "各位代表：" in not_yaml.lines


def test_a_markdown_copy_is_read_as_text(tmp_path):
    saved = tmp_path / "report.md"
    saved.write_text("---\ntitle: 报告\n---\n# 政府工作报告\n\n各位代表：\n", encoding="utf-8")
    page = read_local_file(saved)
    assert page.title == "报告" and page.lines == ("# 政府工作报告", "各位代表：")


def test_csv_export_writes_a_schema_that_keeps_region_codes_as_text(tmp_path):
    from test_views import build_sample_warehouse
    from warehouse.export import export

    db = tmp_path / "w.duckdb"
    build_sample_warehouse(db)
    files = export(str(db), "csv", str(tmp_path / "csv"))
    for path in files:
        schema = json.loads(path.with_suffix(".schema.json").read_text(encoding="utf-8"))
        assert [f["name"] for f in schema["fields"]] == list(pd.read_csv(path, nrows=0).columns)
    schema = json.loads((tmp_path / "csv" / "documents.schema.json").read_text(encoding="utf-8"))
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types["region_code"] == "string" and types["plan_year"] == "integer" and types["loaded_at"] == "datetime"
    assert pd.read_csv(tmp_path / "csv" / "documents.csv")["region_code"].isin([0]).any()  # what a guess makes of it
    # docs/queries.md's snippet: text columns as text
    text = {f["name"]: "string" for f in schema["fields"] if f["type"] == "string"}
    documents = pd.read_csv(tmp_path / "csv" / "documents.csv", dtype=text)
    assert "000000" in set(documents["region_code"]) and "430602" in set(documents["region_code"])


def test_migration_026_gives_loaded_saved_files_their_path(tmp_path, monkeypatch):
    monkeypatch.setattr(warehouse_db, "MIGRATIONS_DIR", migrations_before(26, tmp_path / "migrations"))
    url = (tmp_path / "丹东市_2014.txt").as_uri()
    assert "%E4%B8%B9" in url
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        for doc_id, source in (("d1", url), ("d2", "http://www.gov.cn/r.html")):
            con.execute("INSERT INTO document_sources VALUES (?, ?, 's', 'mirror', 'x', 1.0, now(), now())",
                        [doc_id, source])
    monkeypatch.undo()
    with warehouse_db.connect_writer(tmp_path / "w.duckdb") as con:
        rows = dict(con.execute("SELECT url, path FROM document_sources").fetchall())
    assert rows == {url: str(tmp_path / "丹东市_2014.txt"), "http://www.gov.cn/r.html": None}


def test_a_crawls_inputs_add_up_too(sample_site, tmp_path):
    """The sample site: five reports, a mirror of one on a second site, listings and robots.txt."""
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources

    sites = load_sources(sample_site.write_sources(tmp_path / "sources.yaml"))
    summary = run_pipeline(flow="backfill", db_path=tmp_path / "w.duckdb", sites=sites)
    inputs = summary.input_counts()
    assert sum(n for key, n in inputs.items() if key != "total") == inputs["total"] == summary.pages_seen
    assert (inputs["document_new"], inputs["copy_merged"]) == (5, 1) and "pending" not in inputs
    assert inputs["listing"] >= 1 and inputs["robots"] >= 1
    again = run_pipeline(flow="backfill", db_path=tmp_path / "w.duckdb", sites=sites).input_counts()
    assert set(again) <= {"total", "unchanged", "fresh", "robots"} and again["total"] == inputs["total"]

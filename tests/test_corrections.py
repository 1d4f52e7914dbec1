"""Corrections (tasks/corrections.py): a researcher's region, plan year or kind for a document, applied by
every run and by reprocess, kept by the warehouse, undone when dropped; `govreports review` lists what to check.

Saved seed reports are backfilled from a folder (and the sample web on loopback for URL matches); the
views are read back to see that every one uses the corrected values.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from flows.reprocess import reprocess
from tasks.corrections import CorrectionsError, read_corrections
from tasks.dedupe import DocumentGroup
from tasks.records import CleanText, Copy, DocumentMeta
from tasks.sources import load_sources
from tests.conftest import FIXTURES
from tests.test_cli import one_line, run

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
SHENHE = "000_872d7ad3495691a0.txt"  # 沈河区 (210103), plan year 2017, states targets
YUEYANGLOU = "001_209cad49592183ba.txt"  # 岳阳楼区 (430602), plan year 2018
HEXI = "004_46ac5d44bafe418d.txt"  # 河西区 (120103), plan year 2016
TABLES = ("pages", "page_status", "documents", "document_sources", "indicators", "terms", "segmentations",
          "skipped_links", "doc_aliases", "corrections")


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
    return folder


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(["match,field,value,note", *rows]) + "\n", encoding="utf-8")
    return path


def backfill(db: Path, saved: Path, corrections: Path | None) -> pipeline.RunSummary:
    rows = read_corrections(corrections) if corrections is not None else None
    return pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=saved, corrections=rows)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row a run may write."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in TABLES}


def derived(db: Path) -> dict[str, list[tuple]]:
    """What a reprocess rebuilds, without the times it stamps."""
    queries = {
        "documents": "SELECT * EXCLUDE (loaded_at) FROM documents",
        "document_sources": "SELECT doc_id, url, authority, copy_sha256, similarity FROM document_sources",
        "indicators": "SELECT * FROM indicators",
        "terms": "SELECT * FROM terms",
        "corrections": "SELECT match, field, value, note, urls FROM corrections",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(sql).fetchall(), key=repr) for table, sql in queries.items()}


def document(db: Path, name: str) -> tuple:
    return query(db, "SELECT region_code, region_name, city, province, level, plan_year, review_start, review_end, "
                     "corrected, region_rule, region_evidence, plan_year_rule, confidence "
                     "FROM documents WHERE canonical_url LIKE ?", [f"%/{name}"])[0]


def test_a_region_correction_reaches_documents_indicators_and_every_view(tmp_path, saved):
    db = tmp_path / "w.duckdb"
    backfill(db, saved, None)
    assert document(db, SHENHE)[:6] == ("210103", "沈河区", "沈阳市", "辽宁省", "district", 2017)
    targets = query(db, "SELECT count(*) FROM plan_targets WHERE region_code = '210103' AND year = 2017")[0][0]
    assert targets > 0

    corrections = write(tmp_path / "corrections.csv", f"saved/{SHENHE},region_code,210102,speaks as 和平区")
    summary = backfill(db, saved, corrections)
    assert summary.documents_changed == 1 and summary.pages_fetched == 0  # rebuilt from the archive, nothing read anew
    assert document(db, SHENHE) == ("210102", "和平区", "沈阳市", "辽宁省", "district", 2017, 2016, 2016, True,
                                    "correction", "speaks as 和平区", "headings", 1.0)
    assert query(db, "SELECT DISTINCT i.region_code FROM indicators i JOIN documents d USING (doc_id) "
                     "WHERE d.canonical_url LIKE ?", [f"%/{SHENHE}"]) == [("210102",)]
    assert query(db, "SELECT count(*) FROM plan_targets WHERE region_code = '210102' AND year = 2017")[0][0] == targets
    assert query(db, "SELECT count(*) FROM plan_targets WHERE region_code = '210103'")[0][0] == 0
    assert query(db, "SELECT DISTINCT parent_code FROM target_ladder WHERE region_code = '210102' AND year = 2017") \
        == [("210100",)]
    coverage = dict(query(db, "SELECT region_code, status FROM coverage WHERE year = 2017 "
                              "AND region_code IN ('210102', '210103')"))
    assert coverage == {"210102": "loaded", "210103": "missing"}
    assert query(db, "SELECT count(*) FROM indicator_panel WHERE region_code = '210103'")[0][0] == 0


def test_corrections_survive_reruns_and_reprocess_and_are_undone_when_dropped(tmp_path, saved):
    db = tmp_path / "w.duckdb"
    backfill(db, saved, None)
    extracted = derived(db)
    hexi_id = query(db, "SELECT doc_id FROM documents WHERE canonical_url LIKE ?", [f"%/{HEXI}"])[0][0]
    corrections = write(tmp_path / "corrections.csv",
                        f"saved/{SHENHE},region_code,210102,speaks as 和平区",
                        f"{saved / YUEYANGLOU},plan_year,2019,",
                        f"{hexi_id},kind,not_report,a test of kind")
    backfill(db, saved, corrections)
    # kind=not_report: the document is not loaded, and so in no panel; the skip says why
    assert query(db, "SELECT count(*) FROM documents WHERE doc_id = ?", [hexi_id])[0][0] == 0
    assert query(db, "SELECT count(*) FROM indicators WHERE doc_id = ?", [hexi_id])[0][0] == 0
    assert query(db, "SELECT count(*) FROM indicator_panel WHERE region_code = '120103'")[0][0] == 0
    assert query(db, "SELECT reason FROM skipped_links WHERE url LIKE ?", [f"%/{HEXI}"]) == \
        [("not a report: corrected (a test of kind)",)]
    # plan_year: the review years move with it, the indicators are read again for the new plan year
    assert document(db, YUEYANGLOU)[5:9] == (2019, 2018, 2018, True)
    assert query(db, "SELECT DISTINCT i.plan_year FROM indicators i JOIN documents d USING (doc_id) "
                     "WHERE d.canonical_url LIKE ?", [f"%/{YUEYANGLOU}"]) == [(2019,)]
    corrected = snapshot(db)

    again = backfill(db, saved, corrections)
    assert (again.documents_new, again.documents_changed) == (0, 0)
    assert snapshot(db) == corrected  # a second run changes no row

    backfill(db, saved, None)  # a run without a file applies the corrections the warehouse keeps
    assert snapshot(db) == corrected

    before_reprocess = derived(db)
    summary = reprocess(db)  # without a file too
    assert not summary.failures
    assert derived(db) == before_reprocess
    assert document(db, SHENHE)[0] == "210102" and document(db, YUEYANGLOU)[5] == 2019

    backfill(db, saved, write(tmp_path / "none.csv"))  # the corrections dropped: back to what the texts say
    assert derived(db) == extracted
    assert query(db, "SELECT count(*) FROM skipped_links")[0][0] == 0


def test_corrections_given_to_the_first_run_name_every_copy_and_a_second_run_changes_no_row(tmp_path, saved):
    db = tmp_path / "w.duckdb"
    (saved / "mirror").mkdir()
    shutil.copy(saved / SHENHE, saved / "mirror" / "copy.txt")
    corrections = write(saved / "corrections.csv", "mirror/copy.txt,region_code,210102,")  # relative to the file
    backfill(db, saved, corrections)
    assert query(db, "SELECT region_code, source_count, corrected FROM documents WHERE region_code LIKE '2101%'") \
        == [("210102", 2, True)]
    assert len(query(db, "SELECT urls FROM corrections")[0][0]) == 2
    first = snapshot(db)
    again = backfill(db, saved, corrections)
    assert (again.documents_new, again.documents_changed) == (0, 0) and snapshot(db) == first


def test_a_correction_names_every_copy_of_a_crawled_document_and_needs_no_network(tmp_path, sample_site):
    db = tmp_path / "w.duckdb"
    sites = load_sources(str(sample_site.write_sources(tmp_path / "s.yaml")))
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=sites)
    doc_id, mirror = query(db, "SELECT d.doc_id, s.url FROM documents d JOIN document_sources s USING (doc_id) "
                               "WHERE s.url <> d.canonical_url ORDER BY d.doc_id LIMIT 1")[0]
    corrections = write(tmp_path / "c.csv", f"{mirror},region_code,110105,a mirror names it")
    summary = pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], corrections=read_corrections(corrections))
    assert summary.documents_changed == 1
    assert query(db, "SELECT region_code, region_name, corrected FROM documents WHERE doc_id = ?", [doc_id]) == \
        [("110105", "朝阳区", True)]
    assert query(db, "SELECT urls FROM corrections")[0][0] == sorted(
        url for (url,) in query(db, "SELECT url FROM document_sources WHERE doc_id = ?", [doc_id]))


@pytest.mark.parametrize(("rows", "message"), [
    (["saved/a.txt,regoin_code,210102,"], "line 2: unknown field 'regoin_code' (region_code, plan_year or kind)"),
    (["saved/a.txt,region_code,219999,"], "line 2: region_code '219999' is not a GB/T 2260 code"),
    (["saved/a.txt,plan_year,20l9,"], "line 2: plan_year '20l9' is not a year from 1949"),
    (["saved/a.txt,kind,speech,"], "line 2: kind 'speech' is not report or not_report"),
    (["saved/a.txt,plan_year,2019,", "", "saved/a.txt,plan_year,2020,"],
     "line 4: plan_year of file://"),
])
def test_a_bad_corrections_file_ends_in_one_line_before_any_work(capsys, tmp_path, saved, rows, message):
    db = tmp_path / "w.duckdb"
    corrections = write(tmp_path / "bad.csv", *rows)
    status, _, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db), "--corrections", str(corrections))
    assert status == 2 and message in one_line(err) and one_line(err).startswith("govreports: error: ")
    assert not db.exists()


def test_the_file_comes_from_the_option_the_variable_or_the_working_directory(capsys, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "corrections.csv", "a.txt,field,1,")  # the default file is read when present
    status, _, err = run(capsys, "reprocess", "--db", str(db))
    assert status == 2 and "corrections.csv line 2: unknown field 'field'" in one_line(err)
    monkeypatch.setenv("GOVREPORTS_CORRECTIONS", str(tmp_path / "missing.csv"))  # the variable overrides it
    status, _, err = run(capsys, "reprocess", "--db", str(db))
    assert status == 2 and one_line(err) == f"govreports: error: $GOVREPORTS_CORRECTIONS {tmp_path / 'missing.csv'}: no such file"
    write(tmp_path / "header.csv", "").write_text("url,value\n", encoding="utf-8")
    status, _, err = run(capsys, "reprocess", "--db", str(db), "--corrections", str(tmp_path / "header.csv"))
    assert status == 2 and "must name the columns match,field,value,note" in one_line(err)
    with pytest.raises(CorrectionsError, match="not UTF-8"):
        (tmp_path / "gbk.csv").write_bytes("match,field,value,note\na,kind,report,网页\n".encode("gb18030"))
        read_corrections(tmp_path / "gbk.csv")
    assert not db.exists()


# -- review -------------------------------------------------------------------------------------

def meta(code: str, name: str, year: int, confidence: float | None, rule: str | None, phrase: str | None) -> DocumentMeta:
    return DocumentMeta(title=None, region_code=code, region_name=name, city=None, province=None, level="county",
                        plan_year=year, review_start=year - 1, review_end=year - 1, delivered_on=None, speaker=None,
                        region_rule=rule, region_evidence=phrase, plan_year_rule="session line",
                        plan_year_evidence=f"{year}年", kind_rule="self voice", kind_evidence="各位代表",
                        confidence=confidence)


def load_metas(db: Path, metas: list[DocumentMeta]) -> list[str]:
    """Documents with this metadata, written by the loader as a run writes them (their bodies: seed reports)."""
    copies = [Copy(url=f"http://127.0.0.1:9/r{n}.html", source_name="t", authority="official",
                   clean=CleanText(body=seed.read_text(encoding="utf-8"), header="", title=None), meta=m,
                   raw_sha256=f"{n:064x}") for n, (m, seed) in enumerate(zip(metas, SEEDS))]
    docs = pipeline.documents([DocumentGroup(canonical=c, members=[(c, 1.0)]) for c in copies],
                              [pipeline.analyse(c) for c in copies])
    pipeline.load_batch(db, [], docs)
    return [d.doc_id for d in docs]


def test_review_lists_the_most_doubtful_first_with_the_phrase_and_a_line_to_copy(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    ids = load_metas(db, [
        meta("411721", "西平县", 2020, 0.9, "self-named opening", "我代表西平县人民政府"),
        meta("411722", "上蔡县", 2021, 0.35, "children named", "蔡都街道"),
        meta("411723", "平舆县", 2022, 0.35, "header", "标题：平舆县政府工作报告"),
        meta("411724", "正阳县", 2023, 0.6, "session line", "正阳县第十届人民代表大会"),
    ])
    assert query(db, "SELECT region_rule, region_evidence, confidence, corrected FROM documents WHERE doc_id = ?",
                 [ids[1]]) == [("children named", "蔡都街道", 0.35, False)]
    status, out, _ = run(capsys, "review", "--db", str(db), "--limit", "3")
    assert status == 0
    first, second, third = out.split("\n\n")[:3]
    assert first.startswith("1. confidence 0.35  平舆县 (411723, county)")  # the tie goes to the weaker rule
    assert "region:    header: 「标题：平舆县政府工作报告」" in first
    assert f"corrections.csv: http://127.0.0.1:9/r2.html,region_code,411723,checked by hand" in first
    assert second.startswith("2. confidence 0.35  上蔡县") and "children named: 「蔡都街道」" in second
    assert third.startswith("3. confidence 0.60  正阳县") and "西平县" not in out
    assert "3 of 4 uncorrected documents" in out

    status, out, _ = run(capsys, "review", "--db", str(db), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["region_code"] for r in rows] == ["411723", "411722", "411724", "411721"]
    assert rows[0]["region_evidence"] == "标题：平舆县政府工作报告" and rows[0]["weakest"] == "region_code"

    # the line copied as it is confirms the value: the document says it is corrected and leaves the list
    corrections = write(tmp_path / "c.csv", rows[0]["corrections_line"])
    pipeline.run_pipeline(flow="backfill", db_path=db, sites=[], corrections=read_corrections(corrections))
    assert query(db, "SELECT region_code, corrected, region_rule, confidence FROM documents WHERE doc_id = ?",
                 [ids[2]]) == [("411723", True, "correction", 1.0)]
    status, out, _ = run(capsys, "review", "--db", str(db), "--json")
    assert [json.loads(line)["region_code"] for line in out.splitlines()] == ["411722", "411724", "411721"]


def test_review_needs_a_warehouse_and_a_positive_limit(capsys, tmp_path):
    status, _, err = run(capsys, "review", "--db", str(tmp_path / "none.duckdb"))
    assert status == 1 and "no warehouse at" in one_line(err)
    status, _, err = run(capsys, "review", "--db", str(tmp_path / "none.duckdb"), "--limit", "0")
    assert status == 2 and one_line(err) == "govreports: error: --limit must be at least 1"


def test_the_command_and_the_prefect_flow_apply_the_working_directorys_file(prefect_harness, capsys, tmp_path, saved,
                                                                            monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "corrections.csv", f"saved/{SHENHE},region_code,210102,speaks as 和平区")
    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db), "--json")
    assert status == 0, err
    assert json.loads(out)["flow_run_id"] is not None  # a Prefect flow run, given the file the command found
    assert document(db, SHENHE)[:2] == ("210102", "和平区")
    before = snapshot(db)

    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db), "--json")
    assert status == 0 and json.loads(out)["flow_run_id"] is None and snapshot(db) == before  # nothing new

    # a changed file and no changed page: still no flow run, the document is rebuilt before anything is read
    other = write(tmp_path / "other.csv", f"saved/{SHENHE},region_code,210104,大东区 after all")
    status, out, err = run(capsys, "backfill", "--from-dir", str(saved), "--db", str(db), "--json",
                           "--corrections", str(other))
    summary = json.loads(out)
    assert status == 0 and summary["flow_run_id"] is None and summary["documents_changed"] == 1
    assert document(db, SHENHE)[:2] == ("210104", "大东区")

    from flows import prefect_flows

    result = prefect_flows.reprocess(db=str(db), corrections=str(tmp_path / "corrections.csv"))
    assert result["documents_changed"] == len(SEEDS)
    assert document(db, SHENHE)[:2] == ("210102", "和平区")


def test_kind_report_loads_a_page_the_recognizer_refused(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    page = folder / "budget-heading.txt"  # a work report under a budget report's heading: refused as a budget report
    page.write_text("关于2023年预算执行情况和2024年预算草案的报告\n" + SEEDS[2].read_text(encoding="utf-8"), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    backfill(db, folder, None)
    assert query(db, "SELECT reason FROM skipped_links") == [("not a report: budget report",)]
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 0

    summary = backfill(db, folder, write(tmp_path / "c.csv", f"{page},kind,report,the 区政府's own report"))
    assert summary.documents_new == 1 and summary.pages_fetched == 0
    assert query(db, "SELECT region_code, plan_year, corrected, kind_rule, kind_evidence FROM documents") == \
        [("210204", 2023, True, "correction", "the 区政府's own report")]
    assert query(db, "SELECT count(*) FROM skipped_links")[0][0] == 0


def test_a_warehouse_from_before_migration_025_gains_the_columns_and_keeps_its_documents(capsys, tmp_path,
                                                                                         monkeypatch):
    from tests.conftest import migrations_before
    from warehouse import db as warehouse_db

    db = tmp_path / "w.duckdb"
    monkeypatch.setattr(warehouse_db, "MIGRATIONS_DIR", migrations_before(25, tmp_path / "migrations"))
    row = ("d1", "2019年平舆县政府工作报告", "411723", "平舆县", "驻马店市", "河南省", "county", 2019, 2018, 2018, None,
           None, "各位代表", 4, "http://127.0.0.1:9/r.html", 1, "2.0.0", "2026-01-01 00:00:00")
    with warehouse_db.connect_writer(db) as con:
        con.execute(f"INSERT INTO documents VALUES ({', '.join('?' * len(row))})", row)
    status, _, err = run(capsys, "review", "--db", str(db))  # read-only: it cannot add the columns itself
    assert status == 2 and "run `govreports reprocess` on it first" in one_line(err)
    monkeypatch.undo()
    with warehouse_db.connect_writer(db):
        pass
    assert query(db, "SELECT doc_id, region_code, region_rule, confidence, corrected FROM documents") == \
        [("d1", "411723", None, None, False)]
    status, out, _ = run(capsys, "review", "--db", str(db), "--json")
    assert status == 0 and json.loads(out)["corrections_line"] == "http://127.0.0.1:9/r.html,region_code,411723,checked by hand"

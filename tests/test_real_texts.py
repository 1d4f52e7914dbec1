"""Real report texts nobody here wrote (tests/fixtures/real/texts): recognised, placed, dated.

Each file stands for a class of issue 12 (see the fixture README); labels are the hand-read
labels of ../shared/real/baoding_counties for these files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import run_pipeline
from tasks.clean import clean_page
from tasks.discover import report_verdict
from tasks.extract import extract_indicators
from tasks.metadata import extract_metadata
from tasks.parse import read_local_file

TEXTS = Path(__file__).parent / "fixtures" / "real" / "texts"
DOCUMENTS = {row["file"]: row for row in csv.DictReader(open(TEXTS / "documents.csv", encoding="utf-8"))}
LABELS = list(csv.DictReader(open(TEXTS / "labels.csv", encoding="utf-8")))
REPORTS = sorted(name for name, row in DOCUMENTS.items() if row["kind"] == "report")
DECOYS = sorted(name for name, row in DOCUMENTS.items() if row["kind"] == "decoy")


def gdp_targets(name: str) -> set[tuple[float, str]]:
    """The labelled GDP growth targets of the plan year (value, qualifier); empty when none is stated."""
    return {(float(row["value"]), row["qualifier"]) for row in LABELS
            if row["file"] == name and row["value"] and row["required"] == "1"}


@pytest.mark.parametrize("name", REPORTS)
def test_each_real_report_is_recognised_placed_and_dated(name):
    page = read_local_file(TEXTS / "pages" / name)
    assert report_verdict(page) is None
    clean = clean_page(page)
    meta = extract_metadata(clean, url=page.url)
    row = DOCUMENTS[name]
    assert (meta.region_code, meta.region_name, meta.plan_year) == (row["region_code"], row["region_name"], int(row["plan_year"]))
    rows = extract_indicators(clean.body, meta.plan_year, meta.review_start, meta.review_end, region_name=meta.region_name)
    targets = {(r.value, r.qualifier) for r in rows
               if (r.indicator, r.basis, r.metric, r.period_end) == ("gdp", "target", "growth", meta.plan_year)}
    assert targets == gdp_targets(name)


def test_a_report_opening_at_its_review_keeps_the_review_in_its_body():
    page = read_local_file(TEXTS / "pages" / "130629_2015.txt")
    clean = clean_page(page)
    assert clean.body.startswith("一、 2014年工作回顾") and clean.header == ""
    meta = extract_metadata(clean)
    rows = extract_indicators(clean.body, meta.plan_year, meta.review_start, meta.review_end)
    assert ("gdp", "actual", "growth", 2014, 6.5) in {(r.indicator, r.basis, r.metric, r.period_end, r.value) for r in rows}


def test_a_review_estimate_is_an_actual_of_the_year_reviewed():
    page = read_local_file(TEXTS / "pages" / "130635_2020.txt")
    clean = clean_page(page)
    meta = extract_metadata(clean)
    rows = extract_indicators(clean.body, meta.plan_year, meta.review_start, meta.review_end)
    estimate = [r for r in rows if r.indicator == "gdp" and r.value == 6.4]
    assert [(r.basis, r.period_end, r.is_estimate) for r in estimate] == [("actual", 2019, True)]


def test_the_news_item_is_not_a_report():
    assert report_verdict(read_local_file(TEXTS / "pages" / "130607_2021.txt")) == "not a report: news about a report"


def test_backfill_of_the_real_texts(tmp_path):
    """The folder as a user would load it: every report one document, placed and dated as labelled,
    its GDP target of the plan year found; the news item skipped with its reason."""
    db = tmp_path / "w.duckdb"
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=TEXTS / "pages")
    with duckdb.connect(str(db), read_only=True) as con:
        docs = {Path(url).name: (code, year, doc_id) for url, code, year, doc_id in con.execute(
            "SELECT s.url, d.region_code, d.plan_year, d.doc_id FROM documents d JOIN document_sources s USING (doc_id)"
        ).fetchall()}
        skipped = {Path(url).name: reason for url, reason in con.execute("SELECT url, reason FROM skipped_links").fetchall()}
        targets = con.execute(
            "SELECT doc_id, value, qualifier FROM indicators WHERE indicator = 'gdp' AND basis = 'target' "
            "AND metric = 'growth' AND period_end = plan_year").fetchall()
    assert sorted(docs) == REPORTS
    assert {name: (code, year) for name, (code, year, _) in docs.items()} == {
        name: (DOCUMENTS[name]["region_code"], int(DOCUMENTS[name]["plan_year"])) for name in REPORTS}
    for name in REPORTS:
        assert {(value, qualifier) for doc_id, value, qualifier in targets if doc_id == docs[name][2]} == gdp_targets(name)
    assert {name: skipped.get(name) for name in DECOYS} == {"130607_2021.txt": "not a report: news about a report"}

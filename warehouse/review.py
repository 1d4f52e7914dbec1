"""`govreports review`: the documents whose region, plan year or kind rests on the weakest evidence.

Most doubtful first: by confidence (none recorded counts as the least), then by the weakest of the
three rules (RULE_STRENGTH). Each comes with the phrase and rule behind each decision and a line for
corrections.csv that names it by its canonical copy's URL (stable across reprocess; a doc_id is not
when cleaning changes) and repeats the value it has: kept as is, the line confirms the value (and
takes the document off this list); edited, it corrects it. Corrected documents are not listed.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from warehouse import db as warehouse_db

# How much a rule says on its own, weakest first; a tie-breaker after confidence. A rule not named here
# (a new one) ranks in the middle, a decision with no rule recorded lowest.
RULE_STRENGTH = {
    None: 0, "named most": 1, "years stated": 1, "header": 2, "title": 2, "site code": 2, "children named": 3,
    "headings": 3, "session line": 4, "delivery month": 4, "self-named opening": 5, "delivery date": 5,
    "correction": 9,
}
UNKNOWN_RULE_STRENGTH = 3
FIELDS = ("region_code", "plan_year", "kind")
CONFIRM_NOTE = "checked by hand"


@dataclass
class Doubt:
    """One document to check, as `review --json` prints it."""

    doc_id: str
    canonical_url: str | None
    title: str | None
    region_code: str | None
    region_name: str | None
    level: str | None
    plan_year: int | None
    confidence: float | None
    region_rule: str | None
    region_evidence: str | None
    plan_year_rule: str | None
    plan_year_evidence: str | None
    kind_rule: str | None
    kind_evidence: str | None
    weakest: str  # the field whose rule is weakest: region_code | plan_year | kind
    corrections_line: str  # match,field,value,note for corrections.csv

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class ReviewError(Exception):
    """The warehouse cannot be reviewed; one line for users."""


def strength(rule: str | None) -> int:
    return RULE_STRENGTH.get(rule, UNKNOWN_RULE_STRENGTH)


def doubts(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> tuple[list[Doubt], int, int]:
    """The uncorrected documents, most doubtful first (the first `limit`), with the counts of
    uncorrected and corrected documents."""
    try:
        rows = con.execute(
            """
            SELECT doc_id, canonical_url, title, region_code, region_name, level, plan_year, confidence,
                   region_rule, region_evidence, plan_year_rule, plan_year_evidence, kind_rule, kind_evidence, corrected
            FROM documents
            ORDER BY confidence NULLS FIRST, doc_id
            """
        ).fetchall()
    except duckdb.BinderException as error:
        raise ReviewError("this warehouse has no evidence columns yet: run `govreports reprocess` on it first") from error
    found = []
    corrected = 0
    for (doc_id, url, title, code, name, level, year, confidence, region_rule, region_evidence, year_rule,
         year_evidence, kind_rule, kind_evidence, is_corrected) in rows:
        if is_corrected:
            corrected += 1
            continue
        rules = {"region_code": region_rule, "plan_year": year_rule, "kind": kind_rule}
        weakest = min(FIELDS, key=lambda name: strength(rules[name]))  # ties: the region, a wrong one is worst
        value = {"region_code": code, "plan_year": year, "kind": "report"}[weakest]
        found.append(Doubt(doc_id, url, title, code, name, level, year, confidence, region_rule, region_evidence,
                           year_rule, year_evidence, kind_rule, kind_evidence, weakest,
                           _csv_line([url or doc_id, weakest, "" if value is None else str(value), CONFIRM_NOTE])))
    found.sort(key=lambda d: (-1.0 if d.confidence is None else d.confidence,
                              min(strength(d.region_rule), strength(d.plan_year_rule), strength(d.kind_rule))))
    return found[:limit] if limit is not None else found, len(found), corrected


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def render(found: list[Doubt], total: int, corrected: int) -> str:
    """The doubts for a terminal, then what was left out."""
    lines = []
    for n, d in enumerate(found, start=1):
        confidence = "-" if d.confidence is None else f"{d.confidence:.2f}"
        lines += [
            f"{n}. confidence {confidence}  {d.region_name or '-'} ({d.region_code or '-'}, {d.level or '-'})  "
            f"plan year {d.plan_year or '-'}  doc {d.doc_id[:12]}",
            f"   {d.canonical_url or '-'}",
            f"   region:    {d.region_rule or '-'}: {_phrase(d.region_evidence)}",
            f"   plan year: {d.plan_year_rule or '-'}: {_phrase(d.plan_year_evidence)}",
            f"   kind:      {d.kind_rule or '-'}: {_phrase(d.kind_evidence)}",
            f"   corrections.csv: {d.corrections_line}",
            "",
        ]
    shown = f"{len(found)} of {total} uncorrected documents" if found else f"no uncorrected documents of {total}"
    lines.append(f"{shown}, most doubtful first; {corrected} corrected documents are not listed. "
                 "Copy a line into corrections.csv (match,field,value,note) and edit its value where it is wrong.")
    return "\n".join(lines)


def _phrase(evidence: str | None) -> str:
    return f"「{evidence}」" if evidence else "(no phrase recorded)"


def review_command(db_path: Path, *, limit: int | None, as_json: bool) -> str:
    with warehouse_db.connect_reader(db_path) as con:
        found, total, corrected = doubts(con, limit)
    if as_json:
        return "\n".join(d.as_json() for d in found)
    return render(found, total, corrected)

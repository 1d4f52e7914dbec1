"""A researcher's corrections: a document's region, plan year or kind, set by hand.

A corrections file is CSV with the columns `match,field,value,note`:

    match                                   field        value       note
    http://www.zhumadian.gov.cn/.../1.html  region_code  411700      speaks as 驻马店市, not 汝南县
    file:///data/saved/2019.txt             plan_year    2019
    3f2a...(a 64-hex doc_id)                kind         not_report  a budget report

`match` names a document by any of its copies (a source URL, a `file://` URI or a plain file path,
relative to the corrections file's folder) or by its doc_id; `field` is `region_code` (a GB/T 2260
code, 000000 for the nation), `plan_year` or `kind` (`report` | `not_report`). A file is checked
whole before a run starts: a bad row ends the command with one line naming it.

The stages apply corrections to each copy (`Corrections.apply`) before copies are grouped, analysed
and loaded, so the warehouse holds corrected values everywhere (documents, indicators, every view).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tasks.records import DocumentMeta

FIELDS = ("region_code", "plan_year", "kind")
KINDS = ("report", "not_report")
COLUMNS = ("match", "field", "value", "note")
DEFAULT_FILE = "corrections.csv"
ENVIRONMENT = "GOVREPORTS_CORRECTIONS"
FIRST_PLAN_YEAR = 1949
RULE = "correction"  # the *_rule of a corrected field; its *_evidence is the note
DOC_ID = re.compile(r"[0-9a-f]{64}")
URL_SCHEMES = ("http://", "https://", "file://")


class CorrectionsError(ValueError):
    """A corrections file that cannot be used; the message is one line naming the file and row."""


@dataclass(frozen=True)
class Correction:
    match: str  # a URL (http, https, file) or a doc_id
    field: str  # region_code | plan_year | kind
    value: str
    note: str = ""
    line: int = field(default=0, compare=False)  # the file's line, for messages

    @property
    def key(self) -> tuple[str, str]:
        return self.match, self.field


def corrections_file(explicit: str | None = None, cwd: Path | None = None) -> Path | None:
    """The corrections file a run applies: `--corrections`, else $GOVREPORTS_CORRECTIONS, else
    corrections.csv in the working directory when there is one; None when there is none.

    A file named explicitly (option or variable) must exist; the default one may be absent."""
    named = explicit or os.environ.get(ENVIRONMENT)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            source = "--corrections" if explicit else f"${ENVIRONMENT}"
            raise CorrectionsError(f"{source} {named}: no such file")
        return path
    default = (cwd or Path.cwd()) / DEFAULT_FILE
    return default if default.is_file() else None


def load_corrections(explicit: str | None = None) -> list[Correction] | None:
    """The rows of the run's corrections file (see `corrections_file`), or None when there is none."""
    path = corrections_file(explicit)
    return None if path is None else read_corrections(path)


def read_corrections(path: Path) -> list[Correction]:
    """Every row of a corrections file, checked; the first bad one raises CorrectionsError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorrectionsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except OSError as error:
        raise CorrectionsError(f"{path}: cannot read: {error.strerror or error}") from error
    reader = csv.reader(text.splitlines())
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        raise CorrectionsError(f"{path}: the first line must name the columns match,field,value,note "
                               f"(missing {', '.join(missing)})")
    column = {name: header.index(name) for name in COLUMNS if name in header}
    found: dict[tuple[str, str], Correction] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: row[index].strip() if index < len(row) else "" for name, index in column.items()}
        correction = _checked(cells, path, number)
        earlier = found.get(correction.key)
        if earlier is not None and earlier.value != correction.value:
            raise CorrectionsError(f"{path} line {number}: {correction.field} of {correction.match} is corrected "
                                   f"to {earlier.value} on line {earlier.line} already")
        found.setdefault(correction.key, correction)
    return list(found.values())


def _checked(cells: dict[str, str], path: Path, number: int) -> Correction:
    where = f"{path} line {number}"
    if not cells["match"]:
        raise CorrectionsError(f"{where}: empty match (a source URL, a file path or a doc_id)")
    name = cells["field"]
    if name not in FIELDS:
        raise CorrectionsError(f"{where}: unknown field {name!r} (region_code, plan_year or kind)")
    value = cells["value"]
    if name == "region_code":
        if describe_region(value) is None:
            raise CorrectionsError(f"{where}: region_code {value!r} is not a GB/T 2260 code "
                                   "(6 digits, listed in tasks/data/regions*.csv; 000000 is the nation)")
    elif name == "plan_year":
        last = dt.date.today().year + 1
        if not (value.isascii() and value.isdigit() and FIRST_PLAN_YEAR <= int(value) <= last):
            raise CorrectionsError(f"{where}: plan_year {value!r} is not a year from {FIRST_PLAN_YEAR} to {last}")
    elif value not in KINDS:
        raise CorrectionsError(f"{where}: kind {value!r} is not report or not_report")
    return Correction(match=normalized_match(cells["match"], path.parent), field=name, value=value,
                      note=cells.get("note", ""), line=number)


def normalized_match(text: str, base: Path) -> str:
    """A URL or doc_id as written; a plain file path as the `file://` URI a `--from-dir` run gives it."""
    if text.startswith(URL_SCHEMES):
        return text
    if DOC_ID.fullmatch(text.lower()):
        return text.lower()
    return (base / Path(text).expanduser()).resolve().as_uri()


# -- regions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    code: str
    name: str
    city: str | None
    province: str | None
    level: str


def describe_region(code: str, plan_year: int | None = None) -> Place | None:
    """Name, level, city and province of a GB/T 2260 code as the tables list it for a plan year (the
    divisions at the end of the year before); a former code by its last listing. None: no such code."""
    from tasks.metadata import former_regions, regions

    if code == "000000":
        return Place(code, "全国", None, None, "national")
    current = regions()
    former = [r for r in former_regions() if r.code == code]
    region = current.get(code)
    if plan_year is not None and (region is None or not region.listed_in(plan_year - 1)):
        region = next((r for r in former if r.listed_in(plan_year - 1)), region)
    if region is None and former:
        region = max(former, key=lambda r: r.until or 0)
    if region is None:
        return None
    chain, parent = [], region.parent_code
    while parent and parent in current:
        chain.append(current[parent])
        parent = current[parent].parent_code
    province = chain[-1].name if chain else region.name
    municipality = code[:2] in ("11", "12", "31", "50")  # 北京, 天津, 上海, 重庆: a municipality is its districts' city
    if region.level == "city":
        city = region.name
    elif region.level == "province":
        city = region.name if municipality else None
    else:
        city = next((r.name for r in chain if r.level == "city"), province if municipality else None)
    return Place(code, region.name, city, province, region.level)


# -- applying -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Corrections:
    """The corrections a run applies, by the URL of every copy of the document each names and by doc_id."""

    by_url: dict[str, tuple[Correction, ...]] = field(default_factory=dict)
    by_doc_id: dict[str, tuple[Correction, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_url or self.by_doc_id)

    def for_copy(self, url: str, doc_id: str | None = None) -> dict[str, Correction]:
        """The corrections of a copy, by field (a doc_id's over a URL's when both name one field)."""
        found = {c.field: c for c in self.by_url.get(url, ())}
        return found | {c.field: c for c in self.by_doc_id.get(doc_id or "", ())}


def corrected_kind(fixes: dict[str, Correction]) -> str | None:
    fix = fixes.get("kind")
    return fix.value if fix else None


def corrected_away(fixes: dict[str, Correction]) -> str:
    """The skip reason of a copy a correction says is no report."""
    note = fixes["kind"].note
    return "not a report: corrected" + (f" ({note})" if note else "")


def apply(meta: DocumentMeta, fixes: dict[str, Correction]) -> DocumentMeta:
    """The metadata with the corrections of its document: a corrected region is described from the
    GB/T 2260 tables (name, city, province, level), a corrected plan year moves the review years with
    it; each corrected field's rule is `correction` and its evidence the note. A corrected document's
    confidence is 1: a person checked it."""
    if not fixes:
        return meta
    changes: dict[str, object] = {"corrected": True, "confidence": 1.0}
    if (fix := fixes.get("plan_year")) is not None:
        year = int(fix.value)
        shift = year - meta.plan_year if meta.plan_year is not None else None
        changes |= {"plan_year": year, "plan_year_rule": RULE, "plan_year_evidence": fix.note or RULE}
        if shift is not None and meta.review_start is not None and meta.review_end is not None:
            changes |= {"review_start": meta.review_start + shift, "review_end": meta.review_end + shift}
        elif shift is None:
            changes |= {"review_start": year - 1, "review_end": year - 1}
    if (fix := fixes.get("region_code")) is not None:
        place = describe_region(fix.value, changes.get("plan_year", meta.plan_year))
        assert place is not None  # read_corrections checked the code
        changes |= {"region_code": place.code, "region_name": place.name, "city": place.city,
                    "province": place.province, "level": place.level, "region_rule": RULE,
                    "region_evidence": fix.note or RULE}
    if (fix := fixes.get("kind")) is not None:
        changes |= {"kind_rule": RULE, "kind_evidence": fix.note or RULE}
    return dataclasses.replace(meta, **changes)

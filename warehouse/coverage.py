"""The coverage matrix: regions x plan years, from the `coverage` view.

`govreports coverage` prints it so a gap is seen at a glance (and writes it as
csv for scripts); every flow run publishes the per-level counts as a Prefect
table artifact. Regions are selected through the parent chain of each year
(`--under 371200` finds 钢城区 under 莱芜市 up to plan year 2018), so a
division that moved is listed under the parent it had at the time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.db import WarehouseError, connect_reader

LEVELS = ("national", "province", "city", "district", "county")
MARKS = {"loaded": "#", "failed": "x", "missing": "."}
NOT_A_REGION = " "  # the year's table does not list the region (not yet created, or abolished)
LEGEND = "# loaded   x failed (pages found, none loaded)   . missing   blank: not a division that year"


class CoverageError(ValueError):
    """A selection that cannot be shown (unknown region, empty year range); one line for users."""


@dataclass
class Matrix:
    years: list[int]
    regions: list[tuple[str, str, str]] = field(default_factory=list)  # code, name, level (latest year's)
    cells: dict[tuple[str, int], str] = field(default_factory=dict)  # (code, year) -> status

    def loaded(self, code: str) -> int:
        return sum(1 for year in self.years if self.cells.get((code, year)) == "loaded")

    def count(self, year: int, status: str) -> int:
        return sum(1 for code, _, _ in self.regions if self.cells.get((code, year)) == status)

    def listed(self, year: int) -> int:
        return sum(1 for code, _, _ in self.regions if (code, year) in self.cells)


def build_matrix(con: duckdb.DuckDBPyConnection, *, under: str | None = None, level: str | None = None,
                 first: int | None = None, last: int | None = None) -> Matrix:
    """The coverage rows selected by parent chain, level and years, as a matrix."""
    if first is not None and last is not None and first > last:
        raise CoverageError(f"--from {first} is after --to {last}")
    rows = con.execute(
        """
        SELECT region_code, region_name, level, parent_code, year, status FROM coverage
        WHERE year BETWEEN coalesce(?, year) AND coalesce(?, year)
        ORDER BY region_code, year
        """,
        [first, last],
    ).fetchall()
    if not rows:
        raise CoverageError("no plan years in range: load reports first, or widen --from/--to")
    years = sorted({row[4] for row in rows})
    if under is not None:
        rows = _under(rows, under)
    if level is not None:
        rows = [row for row in rows if row[2] == level]
    matrix = Matrix(years=years)
    latest: dict[str, tuple[str, str, str]] = {}
    for code, name, row_level, _, year, status in rows:
        matrix.cells[(code, year)] = status
        latest[code] = (code, name, row_level)  # rows are ordered by year: the last one wins
    matrix.regions = sorted(latest.values())
    return matrix


def _under(rows: list[tuple], root: str) -> list[tuple]:
    """The root and every region whose parent chain in the same year reaches it."""
    parents = {(code, year): parent for code, _, _, parent, year, _ in rows}
    if not any(code == root for code, year in parents):
        raise CoverageError(f"--under {root}: no such region in the GB/T 2260 tables of these years")

    def reaches(code: str, year: int) -> bool:
        for _ in range(6):  # county -> city -> province -> nation at most
            if code == root:
                return True
            code = parents.get((code, year))
            if code is None:
                return False
        return False

    return [row for row in rows if reaches(row[0], row[4])]


def render_table(matrix: Matrix) -> str:
    """The matrix for a terminal: one mark per region and year, counts per row and per column."""
    if not matrix.regions:
        return "(0 rows): no region in this selection (--under, --level)"
    name_width = max([_width(name) for _, name, _ in matrix.regions] + [_width("region")])
    head = f"{'code':<6}  {_pad('region', name_width)}  {'level':<8}"
    cell = max(4, max(len(str(matrix.listed(year))) for year in matrix.years))
    lines = [head + "".join(f" {year:>{cell}}" for year in matrix.years) + f"  {'loaded':>7}"]
    for code, name, level in matrix.regions:
        marks = "".join(f" {MARKS.get(matrix.cells.get((code, y), ''), NOT_A_REGION):>{cell}}" for y in matrix.years)
        present = sum(1 for y in matrix.years if (code, y) in matrix.cells)
        lines.append(f"{code:<6}  {_pad(name, name_width)}  {level:<8}{marks}  {matrix.loaded(code):>3}/{present}")
    blank = " " * (len(head))
    for label, counts in (("loaded", [matrix.count(y, "loaded") for y in matrix.years]),
                          ("failed", [matrix.count(y, "failed") for y in matrix.years]),
                          ("regions", [matrix.listed(y) for y in matrix.years])):
        if label == "failed" and not any(counts):
            continue
        lines.append(_pad(label, len(blank)) + "".join(f" {count:>{cell}}" for count in counts))
    lines += ["", LEGEND]
    return "\n".join(lines)


def render_csv(matrix: Matrix) -> str:
    """The matrix for scripts: one row per region, one status column per year (empty: not a division)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["region_code", "region_name", "level", *map(str, matrix.years), "loaded_years"])
    for code, name, level in matrix.regions:
        writer.writerow([code, name, level, *(matrix.cells.get((code, y), "") for y in matrix.years),
                         matrix.loaded(code)])
    return out.getvalue().rstrip("\n")


def level_year_table(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Per level and plan year: 'loaded/regions' (and failed when any), for the run's Prefect artifact."""
    counts = con.execute(
        """
        SELECT level, year, count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'failed'),
               count(*)
        FROM coverage GROUP BY level, year
        """
    ).fetchall()
    by_level: dict[str, dict[str, str]] = {}
    for level, year, loaded, failed, regions in sorted(counts, key=lambda row: (_level_rank(row[0]), row[1])):
        text = f"{loaded}/{regions}" + (f" ({failed} failed)" if failed else "")
        by_level.setdefault(level, {"level": level})[str(year)] = text
    return list(by_level.values())


def _level_rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def coverage_report(db_path: Path, *, under: str | None = None, level: str | None = None, first: int | None = None,
                    last: int | None = None, fmt: str = "table") -> str:
    """`govreports coverage`: the matrix of a read-only warehouse as a table or csv."""
    with connect_reader(db_path) as con:
        try:
            matrix = build_matrix(con, under=under, level=level, first=first, last=last)
        except duckdb.CatalogException as error:
            raise WarehouseError(f"{db_path} has no coverage view yet: run any govreports run on it once "
                                 "(e.g. `govreports reprocess`) to upgrade it") from error
    return render_csv(matrix) if fmt == "csv" else render_table(matrix)

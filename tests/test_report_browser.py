"""The report opened from disk in headless Chromium with no network: it loads clean and every chart draws.

Fails on any console error, uncaught exception or failed request (the file must
need nothing from outside: every script is inline), checks that each chart's
<div> holds an SVG with drawn marks, and saves a screenshot (to $GOVREPORTS_SCREENSHOTS
when set, e.g. for docs/img/report.png). Needs Debian's chromium (`.ci/run`
installs it): skipped without it, except under CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, chromium_page
from flows.cli import main
from test_report import build_report_warehouse

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="needs chromium (apt-get install chromium)")

# Per chart <div>: the number of drawn marks (rects, symbols, paths, texts inside vega's mark groups).
DRAWN = """[...document.querySelectorAll('div.chart')].map(div => [div.id,
    div.querySelector('svg') ? div.querySelectorAll('svg g.role-mark > *').length : 0])"""


def test_report_draws_every_chart_offline(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    build_report_warehouse(db)
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--out", str(out), "--under", "430600"]) == 0

    with chromium_page() as page:
        page.open(out.as_uri())
        page.wait_for("document.readyState === 'complete' && [...document.querySelectorAll('div.chart')]"
                      ".every(div => div.querySelector('svg'))", timeout=60)
        drawn = dict(page.evaluate(DRAWN))
        page.screenshot(tmp_path / "report.png")
    if os.environ.get("GOVREPORTS_SCREENSHOTS"):
        shutil.copy(tmp_path / "report.png", Path(os.environ["GOVREPORTS_SCREENSHOTS"]) / "report.png")

    assert page.errors == []
    assert set(drawn) == {f"chart-{key}" for key in
                          ("coverage", "coverage-under", "targets", "ladder", "ladder-under", "runs", "failures")}
    assert all(marks > 0 for marks in drawn.values()), drawn
    assert (tmp_path / "report.png").stat().st_size > 20_000  # a picture with something on it, not a blank page

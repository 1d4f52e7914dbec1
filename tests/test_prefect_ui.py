"""A flow run's charts in the Prefect UI, looked at in headless Chromium.

A real `prefect server start` with the UI on a free loopback port, a real
`govreports backfill` of three national reports against it, then the run's
Artifacts tab in Chromium (offline but for loopback): the coverage heatmap and
the targets chart must be there as pictures that loaded. Slow (a server start,
a flow run, the UI's single-page app): `make test-all`, and `.ci/run`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from browser import CHROMIUM, chromium_page, stop

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")]

NATIONAL = Path(__file__).parent / "fixtures" / "corpus" / "national"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def prefect_server(tmp_path: Path):
    """A Prefect server with its UI on 127.0.0.1; yields (base URL, environment for clients)."""
    port = _free_port()
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_UI_ENABLED="true", PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_SERVER_API_HOST="127.0.0.1", PREFECT_SERVER_API_PORT=str(port))
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                pytest.fail(f"prefect server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(1)
        else:
            pytest.fail("prefect server did not start in 180 s")
        yield f"http://127.0.0.1:{port}", env
    finally:
        stop(server, timeout=20)
        log.close()


def test_flow_run_artifacts_show_the_charts(prefect_server, tmp_path: Path) -> None:
    base, env = prefect_server
    reports = tmp_path / "reports"
    reports.mkdir()
    for year in (2016, 2017, 2018):
        shutil.copy(NATIONAL / f"{year}.txt", reports / f"{year}.txt")
    env = dict(env, GOVREPORTS_DATA=str(tmp_path / "data"))
    run = subprocess.run([str(BIN / "govreports"), "backfill", "--from-dir", str(reports),
                          "--db", str(tmp_path / "w.duckdb"), "--json"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    flow_run_id = json.loads(run.stdout)["flow_run_id"]

    artifacts = httpx.post(f"{base}/api/artifacts/filter", timeout=30,
                           json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}).json()
    charts = {a["key"]: a for a in artifacts if a["key"].endswith("-chart")}
    assert set(charts) == {"backfill-coverage-chart", "backfill-targets-chart"}
    assert all("](data:image/svg+xml;base64," in a["description"] for a in charts.values())

    pictures = ("[...document.querySelectorAll('img')].filter(i => i.src.startsWith('data:image/svg+xml')"
                " && i.complete && i.naturalWidth > 100).map(i => i.naturalWidth)")
    shots = Path(os.environ.get("GOVREPORTS_SCREENSHOTS", tmp_path))
    with chromium_page() as page:
        # the run's Artifacts tab (Prefect's V2 UI draws a card's description, so the pictures are on the cards)
        page.open(f"{base}/v2/runs/flow-run/{flow_run_id}?tab=Artifacts")
        on_cards = page.wait_for(pictures, timeout=90)
        page.screenshot(shots / "prefect-artifacts-tab.png")
        # the coverage artifact's own page in the default UI: the picture above the caption and the query
        page.send("Page.navigate", {"url": f"{base}/artifacts/artifact/{charts['backfill-coverage-chart']['id']}"})
        on_page = page.wait_for(pictures, timeout=90)
        page.wait_for("document.body.innerText.includes('FROM coverage')", timeout=30)
        page.screenshot(shots / "prefect-artifact-page.png")
    assert len(on_cards) == 2 and len(on_page) == 1, (on_cards, on_page)
    # The UI's own telemetry (amplitude.com) fails here by design; nothing of the run's may.
    failed = [error for error in page.errors
              if error.startswith(("request failed: data:", f"request failed: {base}"))]
    assert not failed, failed

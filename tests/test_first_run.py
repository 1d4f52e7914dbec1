"""A newcomer's first hour: the shipped sources file validates and a broken one is one line with exit 2,
a second demo changes no row, and a run shows progress and a summary without library chatter."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from tests.test_cli import run
from tasks.sources import load_sources
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
CHATTER = ("Task run", "Flow run", "Building prefix dict", "Loading model", "Prefix dict", "temporary server",
           "Prefect collects", "| INFO", "| DEBUG")


def test_shipped_sources_file_is_valid_and_polite(capsys):
    status, out, err = run(capsys, "check-sources", str(ROOT / "sources.yaml"))
    assert status == 0, err
    sites = load_sources(ROOT / "sources.yaml")
    assert out.rstrip().splitlines()[-1].endswith(f"{len(sites)} sites, {sum(len(s.start_urls) for s in sites)} "
                                                  "start URLs, valid (no URL was fetched)")
    assert len(sites) >= 30  # the national list and the provinces
    assert "https://www.gov.cn/guowuyuan/zfgzbg.htm" in sites[0].start_urls
    for site in sites:
        assert site.authority == "official" and site.min_delay >= 1 and site.max_concurrency == 1, site
        assert all((urlsplit(u).hostname or "").endswith(".gov.cn") for u in site.start_urls), site
        assert site.name in out


BROKEN = {
    "not YAML": (b"sites:\n  - name: a\n   start_urls: [http://a.gov.cn/]\n", "not valid YAML"),
    "typo in a key": (b"sites:\n  - name: a\n    start_url: [http://a.gov.cn/]\n", "unknown key 'start_url'"),
    "no name": (b"sites:\n  - start_urls: [http://a.gov.cn/]\n", "'name' is required"),
    "ftp URL": (b"sites:\n  - name: a\n    start_urls: [ftp://a.gov.cn/]\n", "must be http(s)"),
    "bad port": (b"sites:\n  - name: a\n    start_urls: ['http://a.gov.cn:80x/']\n", "bad port"),
    "space in URL": (b"sites:\n  - name: a\n    start_urls: ['http://a.gov.cn/zw gk/']\n", "whitespace"),
    "bad selector": (b"sites:\n  - name: a\n    start_urls: [http://a.gov.cn/]\n    content_selector: 'div['\n",
                     "not a valid CSS selector"),
    "negative delay": (b"sites:\n  - name: a\n    start_urls: [http://a.gov.cn/]\n    min_delay: -1\n", "negative"),
    "unknown authority": (b"sites:\n  - name: a\n    start_urls: [http://a.gov.cn/]\n    authority: gov\n", "authority"),
    "same name twice": (b"sites:\n  - name: a\n    start_urls: [http://a.gov.cn/]\n"
                        b"  - name: a\n    start_urls: [http://b.gov.cn/]\n", "duplicate site name"),
    "one URL, two sites": (b"sites:\n  - name: a\n    start_urls: [http://a.gov.cn/]\n"
                           b"  - name: b\n    start_urls: [http://a.gov.cn/]\n", "listed by both"),
    "empty file": (b"", "non-empty list"),
    "GBK, not UTF-8": ("sites:\n  - name: 北京市\n    start_urls: [http://a.gov.cn/]\n".encode("gbk"), "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_sources_file_is_one_line_and_exit_2(capsys, tmp_path, case):
    content, needle = BROKEN[case]
    path = tmp_path / "sources.yaml"
    path.write_bytes(content)
    status, out, err = run(capsys, "check-sources", str(path))
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2 and out == ""
    assert len(lines) == 1 and lines[0].startswith("govreports: error: ") and needle in lines[0], err


def test_missing_sources_file(capsys, tmp_path):
    status, _, err = run(capsys, "check-sources", str(tmp_path / "nope.yaml"))
    assert status == 2 and "cannot read" in err and len(err.strip().splitlines()) == 1


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows of every table except `runs`, which gains one row per run by design."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_name <> 'runs'"
        ).fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_a_second_demo_changes_no_row(prefect_harness, capsys, tmp_path, monkeypatch):
    db_path = tmp_path / "demo.duckdb"
    monkeypatch.setenv("GOVREPORTS_DB", str(db_path))
    status, out, err = run(capsys, "demo")
    assert status == 0, err
    assert "5 new documents" in out
    first = table_counts(db_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        sources_before = con.execute("SELECT doc_id, url FROM document_sources ORDER BY ALL").fetchall()
    status, out, err = run(capsys, "demo")
    assert status == 0, err
    assert "0 new documents, 0 changed" in out
    assert table_counts(db_path) == first
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT doc_id, url FROM document_sources ORDER BY ALL").fetchall() == sources_before
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_sample_site_asks_for_known_ports_and_moves_off_a_taken_one():
    from flows.sample_site import SITES, serve_sample_site

    names = list(SITES)
    with serve_sample_site() as first:
        ports = {s["name"]: urlsplit(s["start_urls"][0]).port for s in first.sources}
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    try:
        with serve_sample_site(ports=ports | {names[0]: taken}) as again:
            got = {s["name"]: urlsplit(s["start_urls"][0]).port for s in again.sources}
    finally:
        busy.close()
    assert again.moved == [names[0]] and got[names[0]] != taken
    assert all(got[name] == ports[name] for name in names[1:])


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *args]


def _run_on_a_terminal(argv: list[str], env: dict[str, str], timeout: float = 300) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as stdout and stderr, as a person at a shell would."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_backfill_shows_progress_and_a_summary_then_json_without_chatter(prefect_harness, tmp_path):
    """Two real runs in a fresh process each: the first on a terminal with Prefect's temporary server, as a
    newcomer runs it; the second (--json, to pipes) on this session's server, which saves a server start."""
    from prefect.settings import PREFECT_API_URL

    saved = tmp_path / "saved"
    shutil.copytree(FIXTURES / "seeds", saved)
    db_path = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DO_NOT_TRACK"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "GOVREPORTS_DATA": str(tmp_path / "data"),
            "COLUMNS": "160", "TERM": "xterm", "PYTHONPATH": str(ROOT)}
    status, screen = _run_on_a_terminal(_cli(["backfill", "--from-dir", str(saved), "--db", str(db_path)]), env)
    assert status == 0, screen
    assert "files/s" in screen  # the live display was drawn
    summary = screen[screen.index("backfill finished in"):]
    assert ": 5 files → 5 new documents" in summary
    assert "pages: 5 seen, 5 fetched" in summary and "documents: 5 new, 0 changed" in summary
    assert "level" in summary and "plan_year" in summary and f"warehouse: {db_path}" in summary
    assert not [word for word in CHATTER if word in screen], screen

    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    done = subprocess.run(_cli(["backfill", "--from-dir", str(saved), "--db", str(db_path), "--json"]),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert (report["documents_new"], report["pages_unchanged"], report["documents"]) == (0, 5, [])
    assert report["warehouse"] == str(db_path) and report["failed_pages"] == []

"""End-to-end speed of the backfill: with Prefect, without it, and a no-op re-run.

Builds N report pages (the seed bodies and the national reports, each rendered
in one of three templates, years shifted so every page is a distinct report),
serves them on 127.0.0.1 with no rate limit, starts one Prefect server (as a
deployment's worker would talk to; its start-up is reported, not counted), and
measures, each run in a fresh child process:
  - the backfill flow into a fresh warehouse (Prefect: one task run per batch step),
  - the same stages called directly (flows.pipeline.run_pipeline, no Prefect),
  - a second run of the flow with nothing new: at once (every page still fresh by its Last-Modified,
    so only robots.txt and nothing else is asked) and once the freshness has run out (as the next
    day's scrape: a conditional request per page, all 304); no rows either way,
  - peak RSS of each run, the child and its jieba workers.

    .venv/bin/python bench/pipeline.py            # N = 200 and 2000
    .venv/bin/python bench/pipeline.py 200
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent
YEAR = re.compile(r"(19|20)\d\d(?=年)")


def base_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "gold" / "seeds_bodies").glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "corpus" / "national").glob("*.txt"))]
    return texts


def shifted(text: str, years: int) -> str:
    return YEAR.sub(lambda m: str(int(m.group(0)) + years), text) if years else text


TEMPLATES = [
    "<html><head><meta charset='utf-8'><title>{title}_人民政府门户网站</title></head><body><div class='nav'>首页 政务公开</div>"
    "<div class='TRS_Editor'>{paras}</div><div class='footer'>主办单位：人民政府办公室 ICP备0001号</div></body></html>",
    "<html><head><meta charset='utf-8'><title>{title} - 论坛 - Powered by Discuz!</title></head><body>"
    "<td class='t_f'>{paras}</td><div>您需要登录后才可以回帖 登录 | 立即注册</div></body></html>",
    "<html><head><meta charset='utf-8'><title>{title} - 范文网</title></head><body><div class='content'>"
    "<p>下面是小编为大家整理的{title}，供大家参考。</p>{paras}<p>推荐访问：政府工作报告</p></div></body></html>",
]


def build_pages(n: int) -> dict[str, bytes]:
    texts = base_texts()
    pages: dict[str, bytes] = {}
    links = []
    for i in range(n):
        text = shifted(texts[i % len(texts)], i // len(texts))
        paras = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
        title = f"政府工作报告{i}"
        pages[f"/r/{i}.html"] = TEMPLATES[i % 3].format(title=title, paras=paras).encode()
        links.append(f"<li><a href='/r/{i}.html'>{title}</a></li>")
    pages["/index.html"] = f"<html><body><ul>{''.join(links)}</ul></body></html>".encode()
    return pages


# Pages as a static-file server (nginx, Apache, a CMS publishing static HTML) sends them: with ETag and Last-Modified.
LAST_MODIFIED = "Sat, 01 Mar 2025 00:00:00 GMT"


def serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    etags = {path: f'"{i}"' for i, path in enumerate(pages)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real web server

        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            if body is not None and self.headers.get("If-None-Match") == etags[self.path]:
                self.send_response(304)
                self.send_header("ETag", etags[self.path])
                self.end_headers()
                return
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if body is not None:
                self.send_header("ETag", etags[self.path])
                self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def prefect_server(home: Path) -> Iterator[tuple[dict, float]]:
    """A real Prefect server on a free loopback port; yields the environment that points at it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_LOGGING_LEVEL="WARNING")
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("prefect server did not start")
        yield env, time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=30)


CHILD = """
import json, resource, sys, time
from pathlib import Path
mode, sources, db = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if mode == "direct":
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources
    ready = time.perf_counter()
    summary = run_pipeline(flow="backfill", db_path=Path(db), sites=load_sources(sources))
    result = {"documents_new": summary.documents_new, "pages_unchanged": summary.pages_unchanged,
              "pages_fresh": summary.pages_fresh}
else:
    from flows.prefect_flows import backfill
    ready = time.perf_counter()
    result = backfill(sources_file=sources, db=db)
done = time.perf_counter()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": done - ready, "imports": ready - start, "documents_new": result["documents_new"],
                  "pages_unchanged": result["pages_unchanged"], "pages_fresh": result["pages_fresh"],
                  "peak_rss_mb": rss / 1024}))
"""


def run_child(mode: str, sources: Path, db: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(sources), str(db)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(n: int) -> dict:
    server = serve(build_pages(n))
    port = server.server_address[1]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sites:\n  - name: bench\n    start_urls: ['http://127.0.0.1:{port}/index.html']\n"
            f"    authority: official\n    min_delay: 0\n    max_concurrency: 8\n", encoding="utf-8")
        with prefect_server(tmp_path / "prefect") as (env, startup):
            env["GOVREPORTS_DATA"] = str(tmp_path / "data")
            flow = run_child("prefect", sources, tmp_path / "flow.duckdb", env)
            noop = run_child("prefect", sources, tmp_path / "flow.duckdb", env)
            expire_freshness(tmp_path / "flow.duckdb")
            revalidated = run_child("prefect", sources, tmp_path / "flow.duckdb", env)
            env["GOVREPORTS_DATA"] = str(tmp_path / "data2")
            direct = run_child("direct", sources, tmp_path / "direct.duckdb", env)
    server.shutdown()
    assert flow["documents_new"] == direct["documents_new"], (flow, direct)
    for run in (noop, revalidated):
        assert run["documents_new"] == 0 and run["pages_unchanged"] >= n, run
    assert noop["pages_fresh"] >= n and revalidated["pages_fresh"] == 0, (noop, revalidated)
    return {"n": n, "server_startup": startup, "flow": flow, "direct": direct, "noop": noop, "revalidated": revalidated}


def expire_freshness(db: Path) -> None:
    """As if the pages' freshness had run out (the next day): every page is asked again."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM page_freshness")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [200, 2000]
    print("| pages | documents | flow s | reports/s | direct s | reports/s | Prefect overhead "
          "| no-op re-run s (% of first): fresh / revalidated | peak RSS flow / direct MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    notes = []
    for n in sizes:
        r = bench(n)
        f, d, z, v = r["flow"], r["direct"], r["noop"], r["revalidated"]
        print(f"| {n} | {f['documents_new']} | {f['seconds']:.1f} | {n / f['seconds']:.1f} | {d['seconds']:.1f} | "
              f"{n / d['seconds']:.1f} | {(f['seconds'] / d['seconds'] - 1) * 100:+.0f}% | "
              f"{z['seconds']:.1f} ({z['seconds'] / f['seconds'] * 100:.1f}%) / "
              f"{v['seconds']:.1f} ({v['seconds'] / f['seconds'] * 100:.1f}%) | "
              f"{f['peak_rss_mb']:.0f} / {d['peak_rss_mb']:.0f} |", flush=True)
        notes.append(f"N={n}: Prefect server start-up {r['server_startup']:.1f} s (once, not counted); "
                     f"imports {f['imports']:.1f} s (flow) / {d['imports']:.1f} s (direct), not counted")
    print("\n".join(notes))


if __name__ == "__main__":
    main()

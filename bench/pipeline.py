"""End-to-end speed of the backfill: with Prefect, without it, and a no-op re-run.

Builds N report pages (seed bodies and national reports, each rendered in one
of three templates, with years shifted so every page is a distinct report),
serves them on 127.0.0.1 with no rate limit, and measures:
  - the backfill flow (Prefect, ephemeral API) into a fresh warehouse,
  - the same stages called directly (flows.pipeline.run_pipeline),
  - a second no-op run of the flow (conditional requests, nothing new),
  - peak RSS of each run (a child process per run, so figures don't mix).

    .venv/bin/python bench/pipeline.py            # N = 200 and 2000
    .venv/bin/python bench/pipeline.py 200
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
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


def serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            etag = f'"{hash(body)}"'
            if body is not None and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


CHILD = """
import json, resource, sys, time
from pathlib import Path
mode, sources, db = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if mode == "direct":
    from flows.pipeline import run_pipeline
    from tasks.sources import load_sources
    summary = run_pipeline(flow="backfill", db_path=Path(db), sites=load_sources(sources))
    docs = summary.documents_new
else:
    from flows.prefect_flows import backfill
    docs = backfill(sources_file=sources, db=db)["documents_new"]
print(json.dumps({"seconds": time.perf_counter() - start, "documents_new": docs,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(mode: str, sources: Path, db: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(sources), str(db)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(n: int) -> dict:
    import os

    server = serve(build_pages(n))
    port = server.server_address[1]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sites:\n  - name: bench\n    start_urls: ['http://127.0.0.1:{port}/index.html']\n"
            f"    authority: official\n    min_delay: 0\n    max_concurrency: 8\n", encoding="utf-8")
        env = dict(os.environ, GOVREPORTS_DATA=str(tmp_path / "data"), PREFECT_LOGGING_LEVEL="WARNING")
        flow = run_child("prefect", sources, tmp_path / "flow.duckdb", env)
        noop = run_child("prefect", sources, tmp_path / "flow.duckdb", env)
        env["GOVREPORTS_DATA"] = str(tmp_path / "data2")
        direct = run_child("direct", sources, tmp_path / "direct.duckdb", env)
    server.shutdown()
    return {"n": n, "flow": flow, "direct": direct, "noop": noop}


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [200, 2000]
    print("| pages | flow s | reports/s | direct s | Prefect overhead | no-op re-run s (% of first) | peak RSS flow MB | peak RSS direct MB |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = bench(n)
        f, d, z = r["flow"], r["direct"], r["noop"]
        print(f"| {n} | {f['seconds']:.1f} | {n / f['seconds']:.1f} | {d['seconds']:.1f} | "
              f"{(f['seconds'] / d['seconds'] - 1) * 100:+.0f}% | {z['seconds']:.1f} ({z['seconds'] / f['seconds'] * 100:.0f}%) | "
              f"{f['peak_rss_mb']:.0f} | {d['peak_rss_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()

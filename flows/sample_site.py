"""The bundled sample web: the five seed reports rendered as the pages they came from.

Five loopback hosts (one port each): two government CMS sites (TRS-style
column listings with pagination and look-alike decoys, one GBK-encoded, one
report split over two pages), a Discuz forum, and two content farms (with
preamble, inserted site-name watermark and footer); one farm also mirrors a
government report, so the demo shows mirrors collapsing into one document.
Links are relative, so the site works on whatever ports the OS hands out; the
demo asks for the ports its warehouse already knows, so a second demo sees the
same URLs (and changes no row) instead of five new hosts. `national_site` adds
a sixth host for a folder of reports (scripts/check_deployments.sh serves the 20
national reports of tests/fixtures there: enough for the pipeline's worker processes).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEEDS_DIR = Path(__file__).parent / "sample_seeds"

Page = tuple[bytes, str]  # body, content type


def seed_lines(name: str) -> list[str]:
    text = (SEEDS_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)


def gov_article(site: str, title: str, lines: list[str], pager: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{html.escape(title)}_{site}</title></head><body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/zwfw/">政务服务</a> <a href="/hdjl/">互动交流</a></div>
<div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府工作报告</div>
<div class="article"><h1>{html.escape(title)}</h1>
<div class="info">发布时间：2018-02-09 来源：{site} 浏览次数：1024 【字体：大 中 小】 【打印】</div>
<div class="TRS_Editor">{_paragraphs(lines)}</div>{pager}</div>
<div class="share">分享到：微信 微博 QQ空间</div>
<div class="related"><h3>相关文章</h3><ul><li><a href="/zwgk/jd/1.html">图解：政府工作报告</a></li></ul></div>
<div class="footer">主办单位：{site} 版权所有 ICP备05000001号 公网安备 43060202000001号</div>
</body></html>"""


def listing_page(site: str, column: str, links: list[tuple[str, str]], pager: str) -> str:
    items = "\n".join(f'<li><a href="{href}" title="{html.escape(text)}">{html.escape(text)}</a><span>2018-02-09</span></li>'
                      for href, text in links)
    return f"""<!DOCTYPE html><html><head><meta charset="gb2312"><title>{column}_{site}</title></head><body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="position">您当前的位置：首页 &gt; 政务公开 &gt; {column}</div>
<ul class="list">{items}</ul><div class="page">{pager}</div>
<div class="footer">主办单位：{site} ICP备05000001号</div></body></html>"""


def _gov_site_yueyanglou() -> dict[str, Page]:
    site = "岳阳楼区人民政府"
    lines = seed_lines("001_209cad49592183ba.txt")
    title = "岳阳楼区2018年政府工作报告"
    decoys = [("/zwgk/zfgzbg/201802/t20180210_4476950.html", "图解：2018年岳阳楼区政府工作报告"),
              ("/zwgk/zfgzbg/201802/t20180211_4477012.html", "关于印发2018年政府工作报告重点工作分工的通知")]
    page_1 = listing_page(site, "政府工作报告", decoys, '<a href="index_1.html">下一页</a> <a href="index_1.html">尾页</a>')
    page_2 = listing_page(site, "政府工作报告", [("/zwgk/zfgzbg/201802/t20180209_4476921.html", title)],
                      '<a href="index.html">上一页</a>')
    decoy_body = gov_article(site, decoys[0][1], ["一图读懂政府工作报告。", "数据来源：区统计局。"])
    notice = gov_article(site, decoys[1][1], ["各街道、区直各单位：现将2018年政府工作报告重点工作分工印发给你们，请认真贯彻执行。"])
    gbk = "text/html"  # charset only in <meta>: the fetcher must find it there
    return {
        "/zwgk/zfgzbg/index.html": (page_1.encode("gb18030"), gbk),
        "/zwgk/zfgzbg/index_1.html": (page_2.encode("gb18030"), gbk),
        "/zwgk/zfgzbg/201802/t20180209_4476921.html": (gov_article(site, title, lines).encode("gb18030"), gbk),
        decoys[0][0]: (decoy_body.encode("gb18030"), gbk),
        decoys[1][0]: (notice.encode("gb18030"), gbk),
    }


def _gov_site_chaoyang() -> dict[str, Page]:
    site = "长春市朝阳区人民政府"
    lines = seed_lines("003_8ea44d03b180aae3.txt")
    title = "朝阳区十八届人大一次会议政府工作报告"
    half = len(lines) // 2
    pager_1 = '<div class="pages"><span>1</span> <a href="t20161220_2853301_1.html">2</a> <a href="t20161220_2853301_1.html">下一页</a></div>'
    pager_2 = '<div class="pages"><a href="t20161220_2853301.html">上一页</a> <a href="t20161220_2853301.html">1</a> <span>2</span></div>'
    page_a = gov_article(site, title, lines[:half], pager_1).replace("gb2312", "utf-8")
    page_b = gov_article(site, title, lines[half:], pager_2).replace("gb2312", "utf-8")
    listing = listing_page(site, "政府工作报告", [("/zwgk/zfgzbg/201612/t20161220_2853301.html", title),
                                          ("/zwgk/zfgzbg/201612/t20161221_2853390.html", "《政府工作报告》解读")], "").replace("gb2312", "utf-8")
    reading = gov_article(site, "《政府工作报告》解读", ["解读：今年的报告有三个特点。"]).replace("gb2312", "utf-8")
    utf8 = "text/html; charset=utf-8"
    return {
        "/zwgk/zfgzbg/index.html": (listing.encode(), utf8),
        "/zwgk/zfgzbg/201612/t20161220_2853301.html": (page_a.encode(), utf8),
        "/zwgk/zfgzbg/201612/t20161220_2853301_1.html": (page_b.encode(), utf8),
        "/zwgk/zfgzbg/201612/t20161221_2853390.html": (reading.encode(), utf8),
    }


def forum_thread(title: str, lines: list[str]) -> str:
    """A Discuz thread: the report as the first post, with the forum's chrome around it."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 区域经济 - 区域数据论坛 - Powered by Discuz!</title></head>
<body><div id="hd"><a href="forum.php">论坛</a> <a href="home.php">家园</a></div>
<div id="pt">区域数据论坛 › 区域经济 › 查看内容</div>
<div id="postlist"><table><tr><td class="pls">版主<br>积分 146870</td>
<td class="t_f" id="postmessage_1">{_paragraphs(lines)}</td></tr></table></div>
<div id="ft">Powered by Discuz! X3.4 © 2001-2023 Comsenz Inc.</div></body></html>"""


def _forum_site() -> dict[str, Page]:
    lines = seed_lines("002_17662059089ff12f.txt")
    title = "2023年大连市沙河口区政府工作报告"
    thread = forum_thread(title, lines)
    board = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>区域经济 - 区域数据论坛</title></head><body>
<table id="threadlisttableid"><tr><th><a href="thread-1901-1-1.html">[辽宁] {title}</a></th></tr>
<tr><th><a href="thread-1902-1-1.html">[辽宁] 2023年政府工作报告新闻发布会实录</a></th></tr></table>
<div class="pg"><strong>1</strong></div></body></html>"""
    presser = board.replace("threadlisttableid", "x")  # a non-report page, skipped by the look-alike rule
    utf8 = "text/html; charset=utf-8"
    return {"/forum-12-1.html": (board.encode(), utf8), "/thread-1901-1-1.html": (thread.encode(), utf8),
            "/thread-1902-1-1.html": (presser.encode(), utf8)}


def farm_article(site: str, title: str, lines: list[str], watermark: str | None, *,
                 preamble: bool = True, tail: bool = True, pager: str = "") -> str:
    """A content-farm page: preamble, the site name inserted into sentences, a 推荐访问 tail.

    A report split over several pages has the preamble on the first and the tail on the last.
    """
    if watermark:
        lines = [line.replace("我区", f"我{watermark}区") for line in lines]
    opening = f"<p>下面是小编为大家整理的{html.escape(title)}，供大家参考。</p>" if preamble else ""
    closing = f"<p>推荐访问：政府工作报告 {html.escape(title)}</p>" if tail else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)} - {site}</title></head><body>
<div class="nav">当前位置：首页 &gt; 专题范文 &gt; 公文范文 &gt; 正文</div>
<h1>{html.escape(title)}</h1><div class="meta">{site} 发表于：2023-08-10 16:10:07 来源：网友投稿</div>
<div class="content">{opening}{_paragraphs(lines)}{closing}<div class="pages">{pager}</div></div>
<div class="hot"><h3>【精选推荐】</h3><ul><li><a href="/fanwen/88.html">2017年街道工作总结</a></li></ul></div>
<div class="footer">Copyright © {site} 版权所有 ICP备18000001号</div></body></html>"""


def _plain_copy(site: str, title: str, lines: list[str]) -> str:
    """A farm page whose pasted text already carries the farm's junk (as seed 004 does)."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)} - {site}</title></head>
<body><div class="content">{_paragraphs(lines)}</div><div class="footer">Copyright © {site} ICP备18000001号</div></body></html>"""


def _farm_site_mumu() -> dict[str, Page]:
    site = "木木文档网"
    own = seed_lines("004_46ac5d44bafe418d.txt")
    mirror = seed_lines("001_209cad49592183ba.txt")[3:]  # the gov page's info lines do not travel
    listing = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>公文范文 - {site}</title></head><body><ul>
<li><a href="/fanwen/1001.html">河西区政府工作报告【精选推荐】</a></li>
<li><a href="/fanwen/1002.html">岳阳楼区政府2017年度工作报告</a></li></ul></body></html>"""
    utf8 = "text/html; charset=utf-8"
    return {
        "/fanwen/index.html": (listing.encode(), utf8),
        "/fanwen/1001.html": (_plain_copy(site, "河西区政府工作报告【精选推荐】", own).encode(), utf8),
        "/fanwen/1002.html": (farm_article(site, "岳阳楼区政府2017年度工作报告", mirror, watermark=site).encode(), utf8),
    }


def _farm_site_laomi() -> dict[str, Page]:
    lines = seed_lines("000_872d7ad3495691a0.txt")
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>区级政府工作报告 - 老秘网</title></head><body>
<div class="nav">老秘网 › 工作报告 › 政府工作报告</div><div class="content">{_paragraphs(lines)}</div>
<div class="footer">老秘网 版权所有</div></body></html>"""
    listing = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府工作报告 - 老秘网</title></head><body>
<ul><li><a href="/zfgzbg/2017/5521.html">区级政府工作报告</a></li></ul></body></html>"""
    utf8 = "text/html; charset=utf-8"
    return {"/zfgzbg/index.html": (listing.encode(), utf8), "/zfgzbg/2017/5521.html": (page.encode(), utf8)}


def national_site(texts: Path, per_page: int = 8) -> dict[str, Page]:
    """A government column of every `YEAR.txt` report in `texts` (the State Council's, in the check's
    bigger web): listing pages of `per_page` links joined by 下一页, one article page per report."""
    site = "中国政府网"
    reports = sorted(texts.glob("*.txt"))
    utf8 = "text/html; charset=utf-8"
    pages: dict[str, Page] = {}
    listings = [reports[i:i + per_page] for i in range(0, len(reports), per_page)]
    for number, chunk in enumerate(listings):
        links = [(f"/zhengce/zfgzbg/{path.stem}/content_{path.stem}0305.html", f"{path.stem}年政府工作报告")
                 for path in chunk]
        for (href, title), path in zip(links, chunk):
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            pages[href] = (gov_article(site, title, lines).replace("gb2312", "utf-8").encode(), utf8)
        pager = f'<a href="index_{number + 1}.html">下一页</a>' if number + 1 < len(listings) else ""
        name = "index.html" if number == 0 else f"index_{number}.html"
        pages[f"/zhengce/zfgzbg/{name}"] = (listing_page(site, "政府工作报告", links, pager)
                                            .replace("gb2312", "utf-8").encode(), utf8)
    return pages


SITES = {  # name: (pages, start path, authority)
    "岳阳楼区人民政府": (_gov_site_yueyanglou, "/zwgk/zfgzbg/index.html", "official"),
    "长春市朝阳区人民政府": (_gov_site_chaoyang, "/zwgk/zfgzbg/index.html", "official"),
    "区域数据论坛": (_forum_site, "/forum-12-1.html", "mirror"),
    "木木文档网": (_farm_site_mumu, "/fanwen/index.html", "mirror"),
    "老秘网": (_farm_site_laomi, "/zfgzbg/index.html", "mirror"),
}


def page_handler(pages: dict[str, Page], log: list[str]) -> type[BaseHTTPRequestHandler]:
    modified = formatdate(1_700_000_000, usegmt=True)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            log.append(f"{self.command} {self.path} inm={self.headers.get('If-None-Match')}")
            if self.path == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow: /admin/\n", "text/plain")
            if self.path not in pages:
                return self._send(404, b"not found", "text/plain")
            body, content_type = pages[self.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            return self._send(200, body, content_type, {"ETag": etag, "Last-Modified": modified})

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@dataclass
class RunningSite:
    start_urls: list[str]
    request_log: list[str]
    sources: list[dict]
    moved: list[str] = field(default_factory=list)  # sites whose asked-for port was taken

    def write_sources(self, path: Path) -> Path:
        """The sample web as a sources file (names, authority, a quick loopback pace)."""
        import yaml

        path.write_text(yaml.safe_dump({"sites": self.sources}, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


Host = tuple[dict[str, Page], str, str]  # pages by path, start path, authority


@contextlib.contextmanager
def serve_hosts(hosts: dict[str, Host], host: str = "127.0.0.1",
                ports: Mapping[str, int] | None = None) -> Iterator[RunningSite]:
    """Serve each named site on its own loopback port (one port = one host to the crawler).

    A site gets the port `ports` names for it when that port is free, else an
    ephemeral one (and is listed in `moved`, since its URLs then look new).
    """
    servers, urls, sources, request_log, moved = [], [], [], [], []
    try:
        for name, (pages, start_path, authority) in hosts.items():
            handler = page_handler(pages, request_log)
            wanted = (ports or {}).get(name, 0)
            try:
                server = ThreadingHTTPServer((host, wanted), handler)
            except OSError:  # the port is in use now: serve anyway, on a new one
                server = ThreadingHTTPServer((host, 0), handler)
                moved.append(name)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            url = f"http://{host}:{server.server_address[1]}{start_path}"
            urls.append(url)
            sources.append({"name": name, "start_urls": [url], "authority": authority, "min_delay": 0.1})
        yield RunningSite(start_urls=urls, request_log=request_log, sources=sources, moved=moved)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def serve_sample_site(host: str = "127.0.0.1", ports: Mapping[str, int] | None = None,
                      national: Path | None = None) -> contextlib.AbstractContextManager[RunningSite]:
    """Serve every sample host on its own loopback port (the ones `ports` names where free); with
    `national`, a folder of `YEAR.txt` reports, also a government site of those reports."""
    hosts = {name: (build(), start, authority) for name, (build, start, authority) in SITES.items()}
    if national is not None:
        hosts["中国政府网"] = (national_site(national), "/zhengce/zfgzbg/index.html", "official")
    return serve_hosts(hosts, host, ports)


def known_ports(db_path: Path, host: str = "127.0.0.1") -> dict[str, int]:
    """The port each sample site last had in this warehouse, so the demo can serve it there again.

    The crawler keys pages on their URL, port included: on new ports a second demo
    would load every page again as a new copy of each report.
    """
    from warehouse import db as warehouse_db

    if not db_path.exists():
        return {}
    with warehouse_db.connect_reader(db_path) as con:
        rows = con.execute(
            "SELECT source_name, arg_max(host, fetched_at) FROM pages "
            "WHERE host LIKE ? AND source_name IN (SELECT unnest(?)) GROUP BY source_name",
            [f"{host}:%", list(SITES)],
        ).fetchall()
    return {name: int(netloc.rsplit(":", 1)[1]) for name, netloc in rows}


def main() -> None:
    """`python -m flows.sample_site [SOURCES_FILE] [--national DIR]`: serve the sample web (with the
    reports in DIR as one more site) and print its start URLs as JSON, until killed; with SOURCES_FILE,
    write the sources file for it there first (scripts/check_deployments.sh)."""
    import argparse
    import json
    import sys
    import time

    parser = argparse.ArgumentParser(prog="python -m flows.sample_site")
    parser.add_argument("sources_file", nargs="?", type=Path)
    parser.add_argument("--national", type=Path, help="a folder of YEAR.txt reports served as one more site")
    args = parser.parse_args()
    with serve_sample_site(national=args.national) as site:
        if args.sources_file:
            site.write_sources(args.sources_file)
        print(json.dumps(site.start_urls), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    main()

"""A fixture web: real HTTP servers on 127.0.0.1, one port per "host".

Each host serves registered routes (static bodies, sequences such as
503-then-200, or custom handlers), answers conditional requests for static
200 responses, and logs every request (path, headers, time) server-side so
tests can assert what the crawler actually sent. Faults that need the socket
itself (a connection reset, a body streamed past every cap) are handlers
built by `reset_connection` and `stream_bytes`; `gzip_bomb` builds a small
body that inflates to a huge one.

A host may listen on another loopback address (127.0.0.2, ...): tests use
that to stand in for a public server, see tests/test_faults.py.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (timeouts)
    conditional: bool = True  # add ETag/Last-Modified and answer 304 when they match
    content_length: int | None = None  # override the Content-Length header (truncation)
    send_length: bool = True  # False: no Content-Length, body ends at connection close


@dataclass(frozen=True)
class LoggedRequest:
    path: str
    headers: dict[str, str]
    at: float


Handler = Callable[[BaseHTTPRequestHandler], None]


class Host:
    """One fake web host on its own port."""

    def __init__(self, name: str, address: str = "127.0.0.1"):
        self.name = name
        self.address = address
        self.routes: dict[str, list[Response] | Handler] = {}
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((address, 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.netloc = f"{address}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def add(self, path: str, body: bytes | str = b"", *, content_type: str = "text/html", status: int = 200,
            headers: dict[str, str] | None = None, **options) -> None:
        """A static response (repeated for every request)."""
        self.add_sequence(path, [self.response(body, content_type=content_type, status=status, headers=headers, **options)])

    @staticmethod
    def response(body: bytes | str = b"", *, content_type: str = "text/html", status: int = 200,
                 headers: dict[str, str] | None = None, **options) -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return Response(status=status, body=data, headers={"Content-Type": content_type, **(headers or {})}, **options)

    def add_sequence(self, path: str, responses: list[Response]) -> None:
        """Responses served in order; the last one repeats."""
        self.routes[path] = list(responses)

    def add_handler(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def requests(self, path: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next_response(self, path: str) -> list[Response] | Handler | None:
        with self._lock:
            route = self.routes.get(path)
            if isinstance(route, list) and len(route) > 1:
                return [route.pop(0)]
            return route

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                with host._lock:
                    host.log.append(LoggedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
                route = host._next_response(self.path)
                if route is None:
                    self._send(Response(status=404, body=b"not found", conditional=False))
                elif callable(route):
                    route(self)
                else:
                    self._send(route[0])

            def _send(self, response: Response) -> None:
                if response.delay:
                    time.sleep(response.delay)
                headers = dict(response.headers)
                status, body = response.status, response.body
                if response.conditional and status == 200:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                    if self.headers.get("If-None-Match") == etag or (
                        "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == LAST_MODIFIED
                    ):
                        status, body = 304, b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if response.send_length:
                    length = response.content_length if response.content_length is not None else len(body)
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size cap): expected

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return _Handler


class FixtureWeb:
    """Several hosts; use as a context manager so every server is shut down."""

    def __init__(self):
        self.hosts: dict[str, Host] = {}

    def host(self, name: str, address: str = "127.0.0.1") -> Host:
        if name not in self.hosts:
            self.hosts[name] = Host(name, address)
        return self.hosts[name]

    def requests(self) -> list[tuple[Host, LoggedRequest]]:
        """Every request any host received, with the host that received it."""
        return [(host, request) for host in self.hosts.values() for request in host.requests()]

    def close(self) -> None:
        for host in self.hosts.values():
            host.close()

    def __enter__(self) -> "FixtureWeb":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- faults that need the socket ---------------------------------------------------------


def reset_connection(request: BaseHTTPRequestHandler) -> None:
    """Answer nothing and close with a TCP RST (SO_LINGER 0): a 'connection reset by peer'."""
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.close_connection = True
    request.connection.close()
    request.wfile = request.rfile = _Closed()


class _Closed:
    """Stands in for the handler's files once the socket is gone, so http.server's cleanup is a no-op."""

    closed = True

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def stream_bytes(total: int, *, content_type: str = "text/html", piece: int = 64 * 1024) -> Handler:
    """A 200 whose body is `total` bytes sent in pieces, without Content-Length (ends at close).

    The same piece object is written again and again, so the server side does
    not allocate the body: memory measured in the test process is the client's.
    """
    chunk = b"<p>" + b"x" * (piece - 3)

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.end_headers()
        sent = 0
        try:
            while sent < total:
                request.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up at its cap: expected

    return handler


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A gzip body of zeros: about 1/1000 of `decoded_bytes` on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(decoded_bytes >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


# --- content builders shared by the tests and the benchmark ----------------------------

SENTENCES = (
    "过去一年，我们坚持稳中求进工作总基调，全区地区生产总值增长百分之六点五。",
    "一般公共预算收入完成四十二亿元，同比增长百分之八点二，财政实力稳步增强。",
    "城乡居民人均可支配收入分别增长百分之七点八和百分之九点一，民生福祉持续改善。",
    "我们深入实施创新驱动发展战略，高新技术企业数量达到三百二十家。",
    "生态环境质量明显好转，空气优良天数比例达到百分之八十五以上。",
    "今年经济社会发展的主要预期目标是：地区生产总值增长百分之六左右。",
)


def report_paragraphs(n: int, tag: str = "") -> list[str]:
    """n distinct report-like paragraphs (tag makes parts distinguishable)."""
    return [f"{tag}第{i + 1}段。" + SENTENCES[i % len(SENTENCES)] + SENTENCES[(i + 2) % len(SENTENCES)] for i in range(n)]


def article_html(title: str, paragraphs: list[str], *, site: str = "某某区人民政府", extra_body: str = "",
                 charset_meta: str | None = "gb2312") -> str:
    """A typical CMS article page: nav, breadcrumb, the article, a footer."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    paras = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<html><head>{meta}<title>{title}_{site}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/hdjl/">互动交流</a> <a href="/bsfw/">办事服务</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：2019-01-10 来源：区政府办</div>
<div class="TRS_Editor" id="zoom">{paras}</div>{extra_body}</div>
<div class="footer">主办：{site} 承办：区大数据中心 地址：某某路1号 ICP备案：京ICP备05060708号</div>
</body></html>"""


def listing_html(links: list[tuple[str, str]], *, pager: str = "", charset_meta: str | None = "gb2312",
                 site: str = "某某区人民政府") -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    items = "".join(f'<li><a href="{href}" title="{text}">{text}</a><span>2019-01-10</span></li>' for href, text in links)
    return f"""<html><head>{meta}<title>政府工作报告_{site}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/hdjl/">互动交流</a></div>
<div class="list"><ul>{items}</ul></div><div class="page">{pager}</div>
<div class="footer">主办：{site}</div></body></html>"""


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A PDF with extractable CJK text (reportlab's built-in STSong-Light CID font)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    y = 800
    for line in lines:
        if y < 60:
            pdf.showPage()
            y = 800
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(50, y, line)
        y -= 18
    pdf.save()
    return buffer.getvalue()


def wrap(text: str, width: int) -> list[str]:
    """Break text into printed lines of `width` characters (as a PDF would)."""
    return [text[i:i + width] for i in range(0, len(text), width)]

"""Bytes to what a parser reads, within a size cap: Content-Encoding undone in bounded pieces, the charset named.

One cap bounds a page however it arrives: on the wire (Content-Length, decoded
bytes), as a saved file, and inflated inside a DOCX or PDF (tasks/parse.py), so
no single input can take more memory than a few times the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

from tasks.parse import INFLATE_CAP, decode_html, document_kind

PAGE_SIZE_CAP = INFLATE_CAP  # bytes: FetchConfig.max_bytes's default, a saved file's limit, a DOCX or PDF's inflated limit
DECODE_PIECE = 64 * 1024


class BodyTooLarge(Exception):
    pass


class TruncatedBody(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


class BoundedDecoder:
    """Incremental Content-Encoding decoding (identity, gzip, deflate) in pieces of at most DECODE_PIECE bytes."""

    def __init__(self, content_encoding: str | None):
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UnsupportedEncoding(f"unsupported Content-Encoding: {content_encoding}")
        self.coding = codings[0] if codings else None
        self._first = True
        self._zlib = self._new()

    def _new(self):
        # 32 + MAX_WBITS: zlib or gzip header, detected; raw deflate is tried on failure (as httpx does)
        return zlib.decompressobj(32 + zlib.MAX_WBITS) if self.coding else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            for start in range(0, len(data), DECODE_PIECE):
                yield data[start:start + DECODE_PIECE]
            return
        if self._first and data:
            self._first = False
            probe = self._zlib.copy()
            try:
                probe.decompress(data[:64], 1)
            except zlib.error:
                if self.coding != "deflate":
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            out = self._zlib.decompress(data, DECODE_PIECE)
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if self._zlib.eof and self._zlib.unused_data:  # concatenated gzip members
                data = self._zlib.unused_data
                self._zlib = self._new()
                continue
            if not data and len(out) < DECODE_PIECE:
                return

    def flush(self) -> bytes:
        return self._zlib.flush() if self._zlib is not None else b""


def charset_used(data: bytes, url: str, content_type: str | None) -> str | None:
    """The charset a text body decodes with (None for PDF/DOCX)."""
    if document_kind(data, url, content_type) not in ("html", "txt"):
        return None
    header = httpx.Headers({"content-type": content_type}).get("content-type") if content_type else None
    declared = None
    if header and "charset=" in header.lower():
        declared = header.lower().split("charset=")[-1].split(";")[0].strip()
    return decode_html(data, declared)[1]

"""A bad-input trial: `backfill --from-dir` over hostile and broken files next to real reports.

Bombs (a DOCX whose document.xml inflates far past the page size cap, one whose
zip header lies about that size, a PDF whose stream inflates hugely), random
bytes named .txt, 200,000 nested <div>s, a FIFO, symlink loops, a file name
with a newline and an invalid UTF-8 byte, empty files, a truncated DOCX and PDF
and a text of nothing but 各位代表： sit next to real reports, among them UTF-16
(with BOM) and GB18030 .txt files. The run exits 0, each bad file is one error
or skip row, every good report loads, and the run's processes stay under 1.5 GB.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import duckdb

from tests.webfixture import make_pdf

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
NATIONAL = FIXTURES / "corpus" / "national"
SEED = FIXTURES / "seeds" / "001_209cad49592183ba.txt"  # 岳阳楼区 2018
INFLATED = 120 * 1024 * 1024  # what the bombs inflate to: four times the 30 MB page size cap
RSS_LIMIT_KB = 1_500_000

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>')
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bomb(inflated: int) -> bytes:
    """A DOCX of ~200 KB whose word/document.xml is one paragraph of `inflated` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open("word/document.xml", "w") as entry:
            entry.write(f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>'.encode())
            chunk = "各位代表".encode() * (1 << 16)
            for _ in range(inflated // len(chunk)):
                entry.write(chunk)
            entry.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def lying_docx(inflated: int) -> bytes:
    """The bomb with its document.xml's inflated size given as 4 KB in both zip headers."""
    data = bytearray(docx_bomb(inflated))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 4096)  # local file header: uncompressed size
    central = data.index(b"PK\x01\x02")
    while not data[central + 46:].startswith(b"word/document.xml"):
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 4096)  # central directory: uncompressed size
    return bytes(data)


def pdf_bomb(inflated: int) -> bytes:
    """A one-page PDF whose content stream is `inflated` bytes of spaces, FlateDecode'd to ~200 KB."""
    compressor = zlib.compressobj(9)
    blank = b" " * (1 << 20)
    stream = b"".join(compressor.compress(blank) for _ in range(inflated >> 20)) + compressor.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def real_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def national(year: int) -> str:
    return (NATIONAL / f"{year}.txt").read_text(encoding="utf-8")


def build_folder(folder: Path) -> tuple[dict[str, int], list[str]]:
    """The trial folder: {good file: plan year}, [bad file names]."""
    folder.mkdir()
    good = {"national-2019.txt": 2019, "national-2021-utf16.txt": 2021, "national-2022-gb18030.txt": 2022,
            "national-2023.docx": 2023, "yueyanglou-2018.txt": 2018}
    (folder / "national-2019.txt").write_text(national(2019), encoding="utf-8")
    (folder / "national-2021-utf16.txt").write_bytes(national(2021).encode("utf-16"))  # with a BOM
    (folder / "national-2022-gb18030.txt").write_bytes(national(2022).encode("gb18030"))
    (folder / "national-2023.docx").write_bytes(real_docx(national(2023)))
    (folder / "yueyanglou-2018.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")

    bad = {
        "bomb.docx": docx_bomb(INFLATED),
        "lying-header.docx": lying_docx(INFLATED),
        "bomb.pdf": pdf_bomb(INFLATED),
        "random.txt": random.Random(21).randbytes(1 << 20),
        "nested.html": b"<html><body>" + b"<div>" * 200_000 + "各位代表：".encode() + b"</div>" * 200_000 + b"</body></html>",
        "empty.txt": b"", "empty.html": b"", "empty.docx": b"", "empty.pdf": b"",
        "truncated.docx": real_docx("关于召开会议的通知\n各单位：定于下周一召开全体会议。")[:3000],
        "truncated.pdf": make_pdf(["关于召开会议的通知", "各单位：定于下周一召开全体会议，请准时参加。"])[:1500],
        "salutations.txt": "各位代表：".encode() * 100,
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    odd_name = os.fsdecode(b"odd\nname-\xff.txt")  # a newline and a byte that is not UTF-8
    (folder / odd_name).write_bytes("这不是报告。".encode())
    os.mkfifo(folder / "pipe.txt")
    os.symlink("self-loop.html", folder / "self-loop.html")
    os.symlink("loop-b.txt", folder / "loop-a.txt")
    os.symlink("loop-a.txt", folder / "loop-b.txt")
    return good, [*bad, odd_name, "pipe.txt", "self-loop.html", "loop-a.txt", "loop-b.txt"]


def run_measured(argv: list[str], env: dict[str, str], logs: Path, timeout: float) -> tuple[int, str, str, int]:
    """Run `argv` (its output to files under `logs`: a pipe left unread could stall it); its exit status,
    stdout, stderr and the peak RSS (KB) of its process tree: the larger of the children's ru_maxrss and the
    peak of the tree's summed VmRSS, sampled from /proc."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    with open(logs / "out", "w") as out, open(logs / "err", "w") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        peak = 0
        try:
            while proc.poll() is None and time.monotonic() - started < timeout:
                peak = max(peak, _tree_rss_kb(proc.pid))
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = max(peak, children if children > before else 0)
    return proc.returncode, (logs / "out").read_text(), (logs / "err").read_text(), peak


def _tree_rss_kb(root: int) -> int:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def test_a_folder_of_bad_files_next_to_real_reports(tmp_path):
    folder = tmp_path / "saved"
    good, bad = build_folder(folder)
    db = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "GOVREPORTS_DATA": str(tmp_path / "data"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    status, out, err, peak_kb = run_measured([sys.executable, "-m", "flows.cli", "backfill", "--from-dir", str(folder),
                                              "--db", str(db), "--json"], env, tmp_path, timeout=600)
    assert status == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    report = json.loads(out)
    print(f"peak RSS of the run's processes: {peak_kb / 1024:.0f} MB in {time.monotonic() - started:.0f} s")
    assert peak_kb < RSS_LIMIT_KB

    with duckdb.connect(str(db), read_only=True) as con:
        errors = con.execute("SELECT url, error FROM pages WHERE error IS NOT NULL").fetchall()
        skips = con.execute("SELECT url, reason FROM skipped_links").fetchall()
        loaded = dict(con.execute("SELECT s.url, d.plan_year FROM document_sources s JOIN documents d USING (doc_id)")
                      .fetchall())
    url_of = {name: (folder.resolve() / name).as_uri() for name in [*good, *bad]}
    assert loaded == {url_of[name]: year for name, year in good.items()}  # every good report, nothing else
    rows = {name: [why for url, why in errors + skips if url == url_of[name]] for name in bad}
    assert {name: len(why) for name, why in rows.items()} == {name: 1 for name in bad}, rows
    assert "cap" in rows["bomb.docx"][0] and "cap" in rows["bomb.pdf"][0]
    assert "CRC" in rows["lying-header.docx"][0] or "cap" in rows["lying-header.docx"][0]
    assert rows["pipe.txt"] == ["not a regular file (a FIFO, socket or device): not read"]
    assert rows["nested.html"] == ["HTML nested deeper than 2000 elements"]
    assert rows["self-loop.html"][0].startswith("cannot read")
    assert rows["salutations.txt"][0].startswith(("not placed", "not dated", "not a report"))
    assert len(report["failed_pages"]) == len(errors)


def test_a_crawl_goes_on_past_pages_that_fail_in_any_stage(tmp_path, monkeypatch):
    """A URL crawl takes the same path: an attachment that is a DOCX bomb is that page's error, a page its
    parser fails on (any exception) is its error, a text its cleaner fails on is skipped with the reason, a
    page a crawl rule fails on is skipped with the reason, and the good report beside them loads."""
    from flows import pipeline
    from tasks import assemble, discover
    from tasks.fetch import FetchConfig
    from tasks.sources import Site
    from tests.webfixture import FixtureWeb, article_html, listing_html

    real_parse, real_clean, real_part_links = assemble.parse_document, assemble.clean_page, discover.part_links

    def parse_document(data, **kwargs):
        if kwargs["url"].endswith("/parser-bug.html"):
            raise RecursionError("maximum recursion depth exceeded")
        return real_parse(data, **kwargs)

    def clean_page(page):
        if any("CLEANER-BUG" in line for line in page.lines):
            raise IndexError("list index out of range")
        return real_clean(page)

    def part_links(html, url):
        if url.endswith("/crawler-bug.html"):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real_part_links(html, url)

    monkeypatch.setattr(assemble, "parse_document", parse_document)
    monkeypatch.setattr(assemble, "clean_page", clean_page)
    monkeypatch.setattr(discover, "part_links", part_links)
    # the faults are patched into this process: the work stays here, not in worker processes started earlier
    monkeypatch.setattr(pipeline, "submit", lambda fn, items: (fn(item) for item in items))
    paragraphs = [p for p in national(2019).splitlines() if p.strip()]
    with FixtureWeb() as web:
        gov = web.host("gov")
        gov.add("/list/", listing_html([(f"/{name}.html", f"{2015 + n}年政府工作报告") for n, name in
                                        enumerate(["good", "attached", "parser-bug", "cleaner-bug", "crawler-bug"])]))
        gov.add("/good.html", article_html("2019年政府工作报告", paragraphs, site="中国政府网").encode("gb18030"))
        gov.add("/attached.html", article_html("2018年政府工作报告", ['全文：<a href="/files/r.docx">政府工作报告.docx</a>'],
                                               site="中国政府网").encode("gb18030"))
        gov.add("/files/r.docx", docx_bomb(INFLATED // 4),
                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        gov.add("/parser-bug.html", article_html("2017年政府工作报告", paragraphs, site="中国政府网").encode("gb18030"))
        gov.add("/crawler-bug.html", article_html("2020年政府工作报告", paragraphs, site="中国政府网").encode("gb18030"))
        gov.add("/cleaner-bug.html", article_html("2016年政府工作报告", ["CLEANER-BUG", *paragraphs],
                                                  site="中国政府网").encode("gb18030"))
        site = Site(name="gov", start_urls=(gov.url("/list/"),), min_delay=0, max_concurrency=4)
        db = tmp_path / "w.duckdb"
        pipeline.run_pipeline(flow="backfill", db_path=db, sites=[site],
                              config=FetchConfig(retries=0, respect_robots=False))
    with duckdb.connect(str(db), read_only=True) as con:
        errors = dict(con.execute("SELECT regexp_extract(url, '/[^/]*$'), error FROM pages WHERE error IS NOT NULL")
                      .fetchall())
        skips = dict(con.execute("SELECT regexp_extract(url, '/[^/]*$'), reason FROM skipped_links").fetchall())
        loaded = con.execute("SELECT s.url FROM document_sources s").fetchall()
    assert [url for (url,) in loaded] == [gov.url("/good.html")]
    assert errors["/r.docx"].startswith("DOCX could not be parsed: it declares")
    assert errors["/parser-bug.html"] == "reading failed: RecursionError: maximum recursion depth exceeded"
    assert skips["/cleaner-bug.html"] == "cleaning failed: IndexError: list index out of range"
    assert skips["/attached.html"].startswith("not a report")
    assert skips["/crawler-bug.html"] == ("crawling failed: UnicodeEncodeError: 'utf-8' codec can't encode character "
                                          "'\\ud800' in position 0: surrogates not allowed")


def test_inspect_gives_one_line_for_a_bad_file_and_goes_on(tmp_path, capsys):
    from flows.cli import main

    (tmp_path / "bomb.docx").write_bytes(docx_bomb(INFLATED // 4))
    (tmp_path / "nested.html").write_bytes(b"<div>" * 50_000 + b"</div>" * 50_000)
    (tmp_path / "report.txt").write_text(national(2019), encoding="utf-8")
    status = main(["inspect", str(tmp_path / "bomb.docx"), str(tmp_path / "nested.html"), str(tmp_path / "report.txt"),
                   "--json"])
    out, err = capsys.readouterr()
    assert status == 1
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"govreports: inspect: {tmp_path / 'bomb.docx'}: DOCX could not be parsed: it declares")
    assert lines[1] == f"govreports: inspect: {tmp_path / 'nested.html'}: HTML nested deeper than 2000 elements"
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1 and rows[0]["is_report"] is True and rows[0]["metadata"]["plan_year"] == 2019

"""`govreports inspect`: parse -> verdict -> clean -> metadata -> indicators for files and URLs, nothing stored."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from flows.cli import main
from tests.conftest import FIXTURES, gold_documents
from tests.webfixture import FixtureWeb, article_html, report_paragraphs

SEED = "001_209cad49592183ba.txt"
KEYS = ["path", "charset", "title", "text", "is_report", "reason", "body", "metadata", "indicators"]
METADATA = ["region_code", "region_name", "level", "plan_year", "review_start", "review_end", "delivered_on", "speaker",
            "region_rule", "region_evidence", "plan_year_rule", "plan_year_evidence", "kind_rule", "kind_evidence",
            "confidence", "corrected"]


def seed_page() -> bytes:
    """A real report (seed 001, 岳阳楼区 2018) as an undeclared-GBK CMS article page."""
    lines = (FIXTURES / "seeds" / SEED).read_text(encoding="utf-8").splitlines()
    return article_html("2018年岳阳楼区政府工作报告", [line for line in lines if line.strip()],
                        site="岳阳楼区人民政府", charset_meta=None).encode("gbk", errors="ignore")


@pytest.fixture(autouse=True)
def no_default_warehouse(tmp_path, monkeypatch):
    """Point the default warehouse into tmp_path so a test can prove nothing was written there."""
    monkeypatch.setenv("GOVREPORTS_DB", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("GOVREPORTS_DATA", str(tmp_path / "data"))


def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(["inspect", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_a_saved_report_page_as_json_and_nothing_is_written(tmp_path, capsys):
    page = tmp_path / "report.html"
    page.write_bytes(seed_page())
    code, out, err = run(capsys, str(page), "--json")
    assert (code, err, len(out)) == (0, [], 1)
    row = json.loads(out[0])
    assert list(row) == KEYS
    gold = gold_documents()[SEED]
    assert row["path"] == str(page) and row["charset"] == "gb18030" and row["title"] == "2018年岳阳楼区政府工作报告"
    assert row["is_report"] is True and row["reason"] is None
    assert row["body"].startswith("各位代表") and "首页" not in row["text"]
    assert list(row["metadata"]) == METADATA
    assert (row["metadata"]["region_code"], row["metadata"]["plan_year"]) == (gold["region_code"], int(gold["plan_year"]))
    gdp = [r for r in row["indicators"] if r["indicator"] == "gdp"]
    assert gdp and {"basis", "metric", "value", "unit", "evidence", "char_start"} <= set(gdp[0])
    assert row["body"][gdp[0]["char_start"]:gdp[0]["char_end"]] == gdp[0]["evidence"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no data/ folder, no warehouse


def test_a_page_that_is_not_a_report_says_why(tmp_path, capsys):
    page = tmp_path / "news.html"
    page.write_text(article_html("区长调研春耕生产", report_paragraphs(3)), encoding="gb18030")
    code, out, _ = run(capsys, str(page), "--json")
    row = json.loads(out[0])
    assert code == 0 and row["is_report"] is False and row["reason"] == "not a report: no salutation"
    assert row["text"].splitlines()[-3:] == report_paragraphs(3)  # after the article's heading and date line
    assert "首页" not in row["text"] and "主办" not in row["text"]


def test_bad_inputs_are_one_stderr_line_each_and_the_good_ones_still_print(tmp_path, capsys):
    good = tmp_path / "report.html"
    good.write_bytes(seed_page())
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/report.html"
    missing = tmp_path / "missing.html"
    code, out, err = run(capsys, str(missing), str(tmp_path), str(image), closed, str(good), "--json")
    assert code == 1
    assert [json.loads(line)["path"] for line in out] == [str(good)]
    assert len(err) == 4
    for line, name in zip(err, [str(missing), str(tmp_path), str(image), closed]):
        assert line.startswith(f"govreports: inspect: {name}: ")
    assert "no such file" in err[0] and "folder" in err[1] and "not a text document" in err[2]
    assert "connection failed" in err[3]


def test_the_readable_summary_and_a_content_selector_to_try(tmp_path, capsys):
    page = tmp_path / "report.html"
    page.write_bytes(seed_page())
    code, out, _ = run(capsys, str(page))
    assert code == 0 and out[0] == f"== {page}" and "report:     yes" in out
    assert any(line.startswith("region:     岳阳楼区 (430602, district)") for line in out)
    code, out, _ = run(capsys, str(page), "--json", "--content-selector", ".footer")
    row = json.loads(out[0])
    assert row["text"].startswith("主办：岳阳楼区人民政府") and row["is_report"] is False
    code, _, err = run(capsys, str(page), "--content-selector", "div[")
    assert code == 2 and "not a valid CSS selector" in err[0]


def test_a_url_is_fetched_once_with_robots_and_the_charset_the_bytes_need():
    with FixtureWeb() as web:
        host = web.host("gov")
        host.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        host.add("/zfgzbg/2018.html", seed_page(), content_type="text/html")  # no charset anywhere
        host.add("/private/2018.html", seed_page())
        from flows.inspection import InspectError, inspect_url

        result = inspect_url(host.url("/zfgzbg/2018.html"))
        assert result.source == {"url": host.url("/zfgzbg/2018.html")}
        assert result.charset == "gb18030" and result.is_report and result.metadata["region_code"] == "430602"
        assert [r.path for r in host.requests()] == ["/robots.txt", "/zfgzbg/2018.html"]
        with pytest.raises(InspectError, match="robots.txt disallows"):
            inspect_url(host.url("/private/2018.html"))
        assert not host.requests("/private/2018.html")


def test_the_summary_shows_the_rule_and_phrase_behind_each_decision():
    from flows.inspection import Inspection, render

    metadata = {"region_code": "411700", "region_name": "驻马店市", "level": "city", "plan_year": 2019,
                "region_rule": "self-named opening", "region_evidence": "我代表驻马店市人民政府",
                "plan_year_rule": "session line", "plan_year_evidence": "2019年1月在市五届人大四次会议上",
                "kind_rule": None, "kind_evidence": None, "confidence": 0.875, "corrected": False}
    text = render(Inspection(source={"path": "r.txt"}, charset="utf-8", title=None, text="", is_report=True,
                             reason=None, body="", metadata=metadata))
    assert "why region:    self-named opening: 「我代表驻马店市人民政府」" in text
    assert "why plan year: session line: 「2019年1月在市五届人大四次会议上」" in text
    assert "why kind:      -" in text and "confidence: 0.88" in text

"""The anatomy of a report (tasks/anatomy.py) and a saved page's authority from its own metadata."""

from __future__ import annotations

from pathlib import Path

from tasks.anatomy import Site, page_authority, read_anatomy
from tasks.parse import parse_document

HEADER = "政府工作报告\n——2024年1月8日在驻马店市第五届人民代表大会第四次会议上\n市长 陈星"
BODY = ("各位代表:\n现在,我代表市人民政府,向大会报告工作,请予审议。\n一、2023年工作回顾\n全市经济平稳增长,我们完成了目标。\n"
        "二、2024年工作安排\n今年要稳中求进。")


def test_the_parts_of_a_report_are_read_once():
    anatomy = read_anatomy(HEADER, BODY, title="政府工作报告")
    assert (anatomy.self_naming.place, anatomy.self_naming.level_word) == ("市", "市")
    assert [(s.place, s.level_word) for s in anatomy.sessions] == [("驻马店市", "市")]
    assert anatomy.deliveries == ("2024年1月8日",)
    assert (anatomy.speaker.title, anatomy.speaker.name, anatomy.speaker.level_word) == ("市长", "陈星", "市")
    assert [(h.year, h.kind) for h in anatomy.headings] == [(2023, "review"), (2024, "plan")]
    assert anatomy.opens_with_salutation and anatomy.self_level_word == "市"
    assert anatomy.government_voice >= 2 and anatomy.reporting_voice == 0


def test_a_salutation_deep_in_a_text_is_not_its_opening():
    anatomy = read_anatomy("", "一、2023年工作回顾\n" + "全市经济平稳增长。" * 200 + "\n各位代表,让我们奋斗!")
    assert anatomy.salutation is not None and not anatomy.opens_with_salutation


def test_the_site_code_is_read_from_metadata_or_footer():
    assert Site(code="1306000007").division == "130600"
    assert read_anatomy("", BODY, chrome="主办:保定市人民政府 网站标识码:1306000007").site.division == "130600"
    assert read_anatomy("", BODY).site.division is None


def page(html: str):
    return parse_document(html.encode("utf-8"), url="file:///r.html", content_type="text/html", charset="utf-8")


ARTICLE = "<p>" + "各位代表:现在,我代表市人民政府,向大会报告工作。" * 20 + "</p>"


def test_an_official_page_says_so_itself():
    official = page(f'<html><head><meta name="SiteIDCode" content="1306280002"><meta name="SiteDomain" '
                    f'content="www.gaoyang.gov.cn"></head><body><article>{ARTICLE}</article></body></html>')
    assert (official.site_code, official.site_domain) == ("1306280002", "www.gaoyang.gov.cn")
    assert page_authority(official) == "official"
    footer = page(f"<html><body><article>{ARTICLE}</article><footer>网站标识码：1100000088</footer></body></html>")
    assert page_authority(footer) == "official"
    mirror = page(f"<html><body><article>{ARTICLE}</article><footer>Copyright 范文网</footer></body></html>")
    assert page_authority(mirror) == "mirror"


def test_a_folder_without_authority_makes_the_official_page_canonical(tmp_path):
    """Official and mirror copies of one report in one --from-dir folder: the page whose own metadata
    carries a 网站标识码 is the official copy, canonical, without --authority."""
    import duckdb

    from flows.pipeline import run_pipeline

    source = Path(__file__).parent / "fixtures" / "real" / "texts" / "pages" / "130629_2015.txt"
    text = source.read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "official.html").write_text(
        '<html><head><meta charset="utf-8"><meta name="SiteIDCode" content="1306290001"></head>'
        f"<body><div class='content'>{paragraphs}</div><footer>网站标识码：1306290001</footer></body></html>",
        encoding="utf-8")
    (folder / "mirror.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    run_pipeline(flow="backfill", db_path=db, sites=[], from_dir=folder)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT s.url, s.authority, d.canonical_url = s.url FROM documents d "
                           "JOIN document_sources s USING (doc_id) ORDER BY s.url").fetchall()
    assert [(Path(url).name, authority, canonical) for url, authority, canonical in rows] == [
        ("mirror.txt", "mirror", False), ("official.html", "official", True)]

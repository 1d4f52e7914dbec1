"""Deduplication: copies of one report collapse; different reports never do."""

from __future__ import annotations

from dataclasses import replace

from tasks.dedupe import doc_id_for, group_copies
from tasks.records import CleanText, Copy, DocumentMeta
from tests.conftest import GOLD, gold_documents


def seed_copy(file: str, url: str, authority: str = "official", body: str | None = None, **meta_changes) -> Copy:
    gold = gold_documents()[file]
    meta = DocumentMeta(
        title=None, region_code=gold["region_code"], region_name=gold["region_name"], city=gold["city"],
        province=gold["province"], level=gold["level"], plan_year=int(gold["plan_year"]),
        review_start=int(gold["review_start"]), review_end=int(gold["review_end"]), delivered_on=None, speaker=None,
    )
    text = body if body is not None else (GOLD / "seeds_bodies" / file).read_text(encoding="utf-8")
    return Copy(url=url, source_name=None, authority=authority, clean=CleanText(body=text, header="", title=None),
                meta=replace(meta, **meta_changes), raw_sha256=url)


def mangled(body: str, watermark: str = "老秘网") -> str:
    """A farm copy: site name inserted, first and last paragraphs lost, full-width punctuation."""
    lines = body.splitlines()
    kept = lines[1:-1] if len(lines) > 3 else lines
    return "\n".join(line.replace("我区", f"我{watermark}区").replace(",", "，") for line in kept)


def test_every_seed_with_its_mirrors_is_one_document_and_five_stay_five():
    copies = []
    for file in gold_documents():
        official = seed_copy(file, f"http://gov/{file}")
        body = official.clean.body
        first_half = "\n".join(body.splitlines()[: max(1, len(body.splitlines()) // 2)]) if "\n" in body else body[: len(body) // 2]
        copies += [
            official,
            seed_copy(file, f"http://farm/{file}", "mirror", mangled(body)),
            seed_copy(file, f"http://forum/{file}", "mirror", body + "\n您需要登录后才可以回帖 登录 | 立即注册"),
            seed_copy(file, f"http://split/{file}", "mirror", first_half),
        ]
    groups = group_copies(copies)
    assert len(groups) == 5
    for group in groups:
        assert group.canonical.authority == "official"
        assert len(group.members) == 4
        assert {url.split("/")[2] for url in (c.url for c, _ in group.members)} == {"gov", "farm", "forum", "split"}


def test_canonical_is_the_official_copy_even_when_a_mirror_is_longer():
    file = "001_209cad49592183ba.txt"
    official = seed_copy(file, "http://gov/a")
    longer_mirror = seed_copy(file, "http://farm/a", "mirror", official.clean.body + "\n推荐访问：更多范文请关注本站")
    (group,) = group_copies([longer_mirror, official])
    assert group.canonical.url == "http://gov/a"
    assert doc_id_for(group.canonical.clean.body) == doc_id_for(official.clean.body)
    similarity = dict((c.url, s) for c, s in group.members)
    assert similarity["http://gov/a"] == 1.0 and 0.9 < similarity["http://farm/a"] < 1.0


def test_same_text_with_a_different_plan_year_or_region_never_merges():
    file = "002_17662059089ff12f.txt"
    base = seed_copy(file, "http://gov/2023")
    next_year = seed_copy(file, "http://gov/2024", plan_year=2024)
    elsewhere = seed_copy(file, "http://gov/other", region_code="210202")
    assert len(group_copies([base, next_year, elsewhere])) == 3


def test_a_loaded_document_absorbs_a_better_copy_and_keeps_its_old_id():
    file = "003_8ea44d03b180aae3.txt"
    official = seed_copy(file, "http://gov/c")
    loaded_mirror = seed_copy(file, "http://farm/c", "mirror", mangled(official.clean.body))
    loaded_mirror.extra["doc_id"] = doc_id_for(loaded_mirror.clean.body)
    (group,) = group_copies([loaded_mirror, official])
    assert group.canonical.url == "http://gov/c"
    assert group.previous_doc_ids == {loaded_mirror.extra["doc_id"]} != {doc_id_for(group.canonical.clean.body)}


def test_consecutive_years_stay_apart_on_wording_alone():
    """The year guard is a second line of defence: the shingle threshold alone keeps years apart."""
    from tasks.dedupe import MERGE_CONTAINMENT, containment, shingles
    from tests.conftest import FIXTURES

    national = FIXTURES / "corpus" / "national"
    for earlier, later in [("2018", "2019"), ("2023", "2024"), ("2024", "2025")]:
        a = shingles((national / f"{earlier}.txt").read_text(encoding="utf-8"))
        b = shingles((national / f"{later}.txt").read_text(encoding="utf-8"))
        assert containment(a, b) < MERGE_CONTAINMENT / 2


def test_a_copy_of_unknown_region_merges_with_its_report_and_no_other():
    """Candidates are the copies of one plan year and region; a copy whose region was not read is tried against all of its year."""
    file = "004_46ac5d44bafe418d.txt"
    official = seed_copy(file, "http://gov/d")
    unknown = seed_copy(file, "http://farm/d", "mirror", mangled(official.clean.body), region_code=None)
    other_file = "000_872d7ad3495691a0.txt"
    other = seed_copy(other_file, "http://gov/e", plan_year=official.meta.plan_year)
    groups = group_copies([unknown, other, official])
    assert sorted(len(g.members) for g in groups) == [1, 2]
    (pair,) = [g for g in groups if len(g.members) == 2]
    assert {c.url for c, _ in pair.members} == {"http://gov/d", "http://farm/d"}
    assert pair.canonical.url == "http://gov/d"


def test_shingle_hashes_are_the_sorted_distinct_hashes():
    import numpy as np

    from tasks.dedupe import SHINGLE, shingle_hashes

    for key in ["", "我区", "我区生产总值", "增长增长增长增长增长增长", "各位代表现在我代表区人民政府向大会报告工作" * 20]:
        hashes = shingle_hashes(key)
        assert hashes.dtype == np.uint64
        assert np.array_equal(hashes, np.unique(hashes))
        assert len(hashes) == len({key[i:i + SHINGLE] for i in range(max(1, len(key) - SHINGLE + 1))} - {""})

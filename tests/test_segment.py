"""Segmentation: dictionary terms stay whole, counts exclude noise, the pool matches in-process,
and jieba-rs gives jieba's counts."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest
import rjieba

from tasks import segment
from warehouse.topics import read_topics

FIXTURES = Path(__file__).parent / "fixtures"

TEXT = (
    "各位代表：2017年，全区地区生产总值增长7.1%，数字经济加快发展，"
    "营商环境持续优化。我们推动高质量发展，数字经济规模达到120亿元。"
)


def test_dictionary_terms_are_one_token() -> None:
    result = segment.segment("doc", TEXT)
    assert result.terms["地区生产总值"] == 1
    assert result.terms["数字经济"] == 2
    assert result.terms["营商环境"] == 1
    assert result.terms["高质量发展"] == 1
    for fragment in ("地区", "生产总值", "数字", "营商"):
        assert fragment not in result.terms


def test_terms_exclude_stop_words_punctuation_and_numbers() -> None:
    result = segment.segment("doc", TEXT)
    for noise in ("的", "，", "：", "。", "%", "2017", "7.1%", "120", "我们", "全区", "各位"):
        assert noise not in result.terms
    assert all(count > 0 for count in result.terms.values())


def test_tokens_count_words_not_punctuation() -> None:
    assert segment.segment("doc", "数字经济，数字经济。\n  数字经济").tokens == 3
    assert segment.segment("doc", "，。！ \n").tokens == 0
    # stop words and numbers are words: they count towards the denominator
    result = segment.segment("doc", "我们的地区生产总值增长7.1%")
    assert result.tokens == 5
    assert result.terms == {"地区生产总值": 1, "增长": 1}


def test_segmentation_records_segmenter_and_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    result = segment.segment("abc", TEXT)
    assert result.doc_id == "abc"
    assert (result.segmenter, result.segmenter_version) == ("rjieba", rjieba_version())
    assert result.dict_sha256 == segment.dict_sha256()
    assert len(result.dict_sha256) == 64
    monkeypatch.setenv(segment.ENGINE_VARIABLE, "jieba")
    original = segment.segment("abc", TEXT)
    assert (original.segmenter, original.segmenter_version) == ("jieba", jieba.__version__)
    assert (original.tokens, original.terms) == (result.tokens, result.terms)


def test_unknown_engine_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(segment.ENGINE_VARIABLE, "jieba_fast")
    with pytest.raises(ValueError, match="GOVREPORTS_SEGMENTER"):
        segment.segment("abc", TEXT)


def rjieba_version() -> str:
    from importlib.metadata import version

    return version("rjieba")


def real_texts() -> list[Path]:
    """The national corpus and real county and provincial mirror texts (tests/fixtures/real/segment)."""
    return sorted((FIXTURES / "corpus" / "national").glob("*.txt")) + sorted((FIXTURES / "real" / "segment").glob("*.txt"))


@pytest.mark.parametrize("path", real_texts(), ids=lambda p: p.stem)
def test_rjieba_counts_equal_jiebas(path: Path) -> None:
    body = path.read_text(encoding="utf-8")
    reference, fast = segment.segment("d", body, "jieba"), segment.segment("d", body, "rjieba")
    assert fast.tokens == reference.tokens
    assert fast.terms == reference.terms


def test_topic_hits_equal_jiebas() -> None:
    topics = read_topics()
    for path in real_texts():
        body = path.read_text(encoding="utf-8")
        reference, fast = segment.segment("d", body, "jieba"), segment.segment("d", body, "rjieba")
        for topic in topics:
            hits = [sum(seg.terms.get(term, 0) for term in topic.terms) for seg in (reference, fast)]
            assert hits[0] == hits[1], (path.stem, topic.name)


@pytest.mark.parametrize(("text", "numbers"), [
    ("2023-01-24印发", ["2023", "01", "24"]),
    ("“十四五”规划（2021-2025年）", ["2021", "2025"]),
    ("11-15日召开", ["11", "15"]),
    ("0.4kV线路", ["0.4"]),
])
def test_hyphenated_numbers_count_as_jieba_counts_them(text: str, numbers: list[str]) -> None:
    """The token rule: a hyphenated number or date is its numbers, as jieba's HMM splits it (jieba-rs keeps it whole)."""
    fast, reference = segment.segment("d", text, "rjieba"), segment.segment("d", text, "jieba")
    assert (fast.tokens, fast.terms) == (reference.tokens, reference.terms)
    counted = segment._load("rjieba").count(text)
    assert all(counted[number] == 1 for number in numbers)
    assert not any("-" in token and token != "-" for token in counted)


def test_characters_outside_jiebas_blocks_are_single_tokens() -> None:
    """jieba-rs joins CJK extension characters and `_` into words; jieba yields them one by one."""
    for text in ("㐀㐁发展", "𠀀𠀁发展", "鿖鿗发展", "PM_2.5浓度", "ａｂｃ发展"):
        fast, reference = segment.segment("d", text, "rjieba"), segment.segment("d", text, "jieba")
        assert (fast.tokens, fast.terms) == (reference.tokens, reference.terms), text
    assert rjieba.Jieba().cut("㐀㐁发展")[0] == "㐀㐁"  # the difference the rule closes


def test_added_word_frequencies_are_jiebas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Words added without a frequency, or already in jieba's dictionary, get jieba's frequency and total."""
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("# test\n生产总值\n政务服务平台\n污染防治 nz\n数字经济 100000 nz\n数字经济 200000\n",
                        encoding="utf-8")
    monkeypatch.setattr(segment, "USERDICT_PATH", userdict)
    for name, value in (("_engines", {}), ("_kinds", segment._Kinds()), ("_dict_sha256", ""), ("_stopwords", frozenset())):
        monkeypatch.setattr(segment, name, value)  # restored after the test, with the real dictionary's engines
    base = segment._jieba_tokenizer([])
    reference = segment._jieba_tokenizer(segment._userdict_entries())
    entries, total_pad = segment.resolved_userdict()
    assert {word: freq for word, freq, _ in entries} == {word: reference.FREQ[word] for word, _, _ in entries}
    assert entries[2] == ("污染防治", reference.FREQ["污染防治"], "nz")
    assert reference.FREQ["生产总值"] == base.FREQ["生产总值"] + 1  # jieba's suggested frequency for a known word
    # jieba keeps a replaced word's old frequency in its total; jieba-rs's total is padded by that much
    assert total_pad == base.FREQ["生产总值"] + 100000 + sum(base.FREQ.get(w, 0) for w in ("政务服务平台", "污染防治", "数字经济"))
    for path in real_texts():
        body = path.read_text(encoding="utf-8")
        fast, slow = segment.segment("d", body, "rjieba"), segment.segment("d", body, "jieba")
        assert (fast.tokens, fast.terms) == (slow.tokens, slow.terms), path.stem


def test_segment_many_matches_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((FIXTURES / "corpus" / "national").glob("*.txt"))[:4]
    paths += sorted((FIXTURES / "gold" / "seeds_bodies").glob("*.txt"))
    docs = [(path.stem, path.read_text(encoding="utf-8")) for path in paths]
    monkeypatch.setattr(segment, "MIN_PARALLEL_CHARS", {"jieba": 0, "rjieba": 0})  # force the worker pool on a small input
    pooled = segment.segment_many(docs, workers=2)
    assert [s.doc_id for s in pooled] == [doc_id for doc_id, _ in docs]
    assert pooled == [segment.segment(doc_id, body) for doc_id, body in docs]


def test_segment_many_small_input_in_process() -> None:
    docs = [("a", "数字经济"), ("b", "地区生产总值增长")]
    assert segment.segment_many(docs) == [segment.segment(d, b) for d, b in docs]
    assert segment.segment_many([]) == []

"""Segmentation: dictionary terms stay whole, counts exclude noise, the pool matches in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_segmentation_records_segmenter_and_dictionary() -> None:
    result = segment.segment("abc", TEXT)
    assert result.doc_id == "abc"
    assert (result.segmenter, result.segmenter_version) == ("jieba", "0.42.1")
    assert result.dict_sha256 == segment.dict_sha256()
    assert len(result.dict_sha256) == 64


def test_every_topic_term_is_in_userdict_and_one_token() -> None:
    userdict = {line.split()[0] for line in segment._data_lines(segment.USERDICT_PATH)}
    for topic in read_topics():
        assert topic.terms, topic.name
        for term in topic.terms:
            assert term in userdict, (topic.name, term)
            assert segment.segment("doc", f"全面推动{term}发展").terms.get(term) == 1, (topic.name, term)


def test_segment_many_matches_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((FIXTURES / "corpus" / "national").glob("*.txt"))[:4]
    paths += sorted((FIXTURES / "gold" / "seeds_bodies").glob("*.txt"))
    docs = [(path.stem, path.read_text(encoding="utf-8")) for path in paths]
    monkeypatch.setattr(segment, "MIN_PARALLEL_CHARS", 0)  # force the worker pool on a small input
    pooled = segment.segment_many(docs, workers=2)
    assert [s.doc_id for s in pooled] == [doc_id for doc_id, _ in docs]
    assert pooled == [segment.segment(doc_id, body) for doc_id, body in docs]


def test_segment_many_small_input_in_process() -> None:
    docs = [("a", "数字经济"), ("b", "地区生产总值增长")]
    assert segment.segment_many(docs) == [segment.segment(d, b) for d, b in docs]
    assert segment.segment_many([]) == []

"""The flow runs' chart pictures: drawn by vl-convert in a child process, cached by spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.chart_images import ChartImageError, ChartImages, data_url

SPEC = {"data": {"values": [{"year": 2017, "target": 6.5}, {"year": 2018, "target": 6.5}]}, "mark": "line",
        "encoding": {"x": {"field": "year", "type": "ordinal"}, "y": {"field": "target", "type": "quantitative"}}}


def test_a_picture_is_drawn_once_then_read_from_the_cache(tmp_path: Path) -> None:
    with ChartImages(tmp_path) as images:
        [svg] = images.draw([SPEC])
    assert svg.startswith("<svg") and "2017" in svg and "2018" in svg
    assert len(list(tmp_path.glob("*.svg"))) == 1
    with ChartImages(tmp_path) as images:
        assert images.draw([SPEC]) == [svg]
        assert images._process.returncode is not None  # ended without drawing
    changed = {**SPEC, "data": {"values": [{"year": 2017, "target": 7.0}]}}
    with ChartImages(tmp_path) as images:
        [other] = images.draw([changed, SPEC])[:1]
    assert other != svg and len(list(tmp_path.glob("*.svg"))) == 2
    assert data_url(svg).startswith("data:image/svg+xml;base64,PHN2Zy")


def test_a_spec_that_cannot_be_drawn_is_one_error(tmp_path: Path) -> None:
    with ChartImages(tmp_path) as images, pytest.raises(ChartImageError, match="drawing the charts failed"):
        images.draw([{"mark": "no-such-mark"}])
    assert not list(tmp_path.glob("*.svg"))

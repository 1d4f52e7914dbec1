"""Charts as SVG pictures, for the Prefect UI: vl-convert draws the report's Vega-Lite specs without a browser.

vl-convert runs vega in an embedded JavaScript engine that takes ~0.6 s of CPU to
start and holds the GIL while it works, and a picture takes 0.3-0.6 s more. So
`ChartImages` starts it in a child process when the run starts (it is warm by
the time the run publishes, and the run's threads never wait on its GIL), and
keeps every picture in a cache folder under the hash of its spec, which holds
the chart's data: a run that changed no chart (a scheduled scrape that found
nothing new) draws nothing and ends the child unused.
The pictures go to the UI as data: URLs (`data_url`), which need no server to
fetch them from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

# Enough to start vega's runtime in the child before any real spec arrives.
WARM_UP = {"data": {"values": [{"x": 0}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_KEEP = 20  # pictures kept in the cache folder, newest first


class ChartImageError(RuntimeError):
    """The drawing process failed; the message carries its last line."""


class ChartImages:
    """A drawing process, started now and used once by `draw`; a context manager ends it either way."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-m", "warehouse.chart_images"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def draw(self, specs: list[dict], timeout: float = 120) -> list[str]:
        """Each Vega-Lite spec as an SVG document: from the cache, else drawn (and cached)."""
        paths = [self.cache_dir / f"{_spec_hash(spec)}.svg" for spec in specs]
        missing = [(path, spec) for path, spec in zip(paths, specs) if not path.exists()]
        if missing:
            for (path, _), svg in zip(missing, self._draw([spec for _, spec in missing], timeout)):
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(".partial")
                partial.write_text(svg, encoding="utf-8")
                partial.replace(path)
            self._prune()
        else:
            self.close()
        for path in paths:
            path.touch()  # the newest are kept
        return [path.read_text(encoding="utf-8") for path in paths]

    def _draw(self, specs: list[dict], timeout: float) -> list[str]:
        try:
            out, err = self._process.communicate(json.dumps(specs, ensure_ascii=False).encode(), timeout=timeout)
        except subprocess.TimeoutExpired as error:
            self.close()
            raise ChartImageError(f"drawing the charts took more than {timeout:g} s") from error
        if self._process.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {self._process.returncode}"]
            raise ChartImageError(f"drawing the charts failed: {last[0]}")
        return json.loads(out)

    def _prune(self) -> None:
        pictures = sorted(self.cache_dir.glob("*.svg"), key=lambda path: path.stat().st_mtime, reverse=True)
        for path in pictures[CACHE_KEEP:]:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()

    def __enter__(self) -> ChartImages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spec_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def main() -> None:
    """The child: warm up, then read a JSON list of specs on stdin and write their SVGs as a JSON list."""
    import vl_convert

    vl_convert.vegalite_to_svg(WARM_UP)
    specs = json.load(sys.stdin)
    json.dump([vl_convert.vegalite_to_svg(spec) for spec in specs], sys.stdout)


if __name__ == "__main__":
    main()

"""No module of the project shadows the standard library or an installed package.

A deployment's worker loads `flows/prefect_flows.py` with `flows/` on `sys.path`
(so do the worker processes it starts), so a `flows/inspect.py` was imported
for the standard library's `inspect` and every worker process died at start.
The same holds for `tasks/` and `warehouse/` as soon as anything runs a file
from them, so no module there may take a name that `import` could mean otherwise.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("flows", "tasks", "warehouse")
PROJECT = "govreports"


def module_names(package: Path) -> dict[str, Path]:
    """The names a folder on sys.path offers to `import`: its .py files and its folders holding Python code."""
    names = {}
    for path in package.iterdir():
        if path.suffix == ".py" and path.stem != "__init__":
            names[path.stem] = path
        elif path.is_dir() and path.name != "__pycache__" and any(path.rglob("*.py")):
            names[path.name] = path
    return names


def installed_top_level() -> dict[str, list[str]]:
    """Top-level modules of every installed distribution but this project (top_level.txt, else RECORD)."""
    return {name: dists for name, dists in importlib.metadata.packages_distributions().items()
            if any(dist.lower() != PROJECT for dist in dists)}


def test_installed_names_are_found():
    """The lists the layout test compares against are not empty (a broken lookup would pass everything)."""
    installed = installed_top_level()
    assert {"prefect", "duckdb", "httpx", "yaml"} <= installed.keys()
    assert "flows" not in installed  # the project's own distribution is left out
    assert {"inspect", "dataclasses", "logging"} <= sys.stdlib_module_names


def test_no_module_shadows_the_standard_library_or_a_package():
    installed = installed_top_level()
    clashes = []
    for package in PACKAGES:
        for name, path in sorted(module_names(ROOT / package).items()):
            if name in sys.stdlib_module_names:
                clashes.append(f"{path.relative_to(ROOT)}: the standard library's {name}")
            if name in installed:
                clashes.append(f"{path.relative_to(ROOT)}: the installed {name} ({', '.join(installed[name])})")
    assert not clashes, "rename these modules:\n" + "\n".join(clashes)


def test_a_shadowing_module_is_caught(tmp_path):
    """The check itself: a folder with inspect.py, yaml/ and a data folder without code."""
    (tmp_path / "inspect.py").write_text("")
    (tmp_path / "yaml").mkdir()
    (tmp_path / "yaml" / "__init__.py").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "words.txt").write_text("")
    names = module_names(tmp_path)
    assert set(names) == {"inspect", "yaml"}
    assert "inspect" in sys.stdlib_module_names and "yaml" in installed_top_level()

"""Topic dictionaries: versioned text files mirrored into the `topic_terms` table.

The files (tasks/data/topics/<topic>.txt) are the source of truth; the table
exists so the `attention` view can join them to `terms` in SQL. The loader
calls `sync_topic_terms` inside its load transaction, so the table always
matches the code that segmented the documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

TOPICS_DIR = Path(__file__).resolve().parent.parent / "tasks" / "data" / "topics"


@dataclass(frozen=True)
class Topic:
    name: str
    version: str
    terms: list[str]


def read_topic(path: Path) -> Topic:
    """Parse one topic file: `# key: value` header lines, then one term per line."""
    version = ""
    terms: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            key, _, value = line.lstrip("# ").partition(":")
            if key.strip() == "version":
                version = value.strip()
        elif line and line not in terms:
            terms.append(line)
    if not version:
        raise ValueError(f"{path}: missing '# version:' header")
    return Topic(name=path.stem, version=version, terms=terms)


def read_topics(topics_dir: Path = TOPICS_DIR) -> list[Topic]:
    return [read_topic(path) for path in sorted(topics_dir.glob("*.txt"))]


def sync_topic_terms(con: duckdb.DuckDBPyConnection) -> int:
    """Replace `topic_terms` with the shipped files; returns the number of rows written.

    Runs in the caller's transaction (no BEGIN/COMMIT here) so a failed load
    leaves the previous dictionaries in place.
    """
    rows = [(topic.name, term, topic.version) for topic in read_topics() for term in topic.terms]
    if sorted(rows) == sorted(con.execute("SELECT topic, term, dict_version FROM topic_terms").fetchall()):
        return 0  # every run starts here: rewriting ~240 equal rows one by one was a tenth of a no-op run
    con.execute("DELETE FROM topic_terms")
    if rows:
        con.executemany("INSERT INTO topic_terms VALUES (?, ?, ?)", rows)
    return len(rows)

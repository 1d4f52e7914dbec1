"""The corrections a warehouse applies (table `corrections`), and the documents each one names.

A run given a corrections file replaces the stored rows with the file's; a run given none applies the
stored ones, so a schedule started elsewhere and `reprocess` keep every correction. A correction
names a document by any copy's URL or by doc_id (an alias too); it is applied to every copy of that
document, and the URLs of those copies are stored with it, so it still names the document after a
reprocess gives it another doc_id or after a `not_report` correction took it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from tasks.corrections import Correction, Corrections


@dataclass
class Resolved:
    """The corrections a run applies, what each names in the warehouse, and what changed since the last run."""

    active: list[Correction]
    urls: dict[tuple[str, str], set[str]]  # by Correction.key: every copy of the document it names
    doc_ids: dict[tuple[str, str], set[str]]  # by Correction.key: the loaded documents it names
    changed_urls: set[str] = field(default_factory=set)  # copies whose corrections differ from the stored ones
    stored: dict[tuple[str, str], tuple[Correction, set[str]]] = field(default_factory=dict)

    def lookup(self) -> Corrections:
        """By copy URL and by doc_id, as the stages apply them."""
        by_url: dict[str, list[Correction]] = {}
        by_doc_id: dict[str, list[Correction]] = {}
        for correction in self.active:
            for url in self.urls[correction.key]:
                by_url.setdefault(url, []).append(correction)
            for doc_id in self.doc_ids[correction.key] | ({correction.match} if "://" not in correction.match else set()):
                by_doc_id.setdefault(doc_id, []).append(correction)
        return Corrections({k: tuple(v) for k, v in by_url.items()}, {k: tuple(v) for k, v in by_doc_id.items()})

    def is_stored(self) -> bool:
        """The table holds exactly these corrections, with these URLs: saving would change no row."""
        return self.stored.keys() == {c.key for c in self.active} and all(
            (c.value, c.note) == (self.stored[c.key][0].value, self.stored[c.key][0].note)
            and self.urls[c.key] == self.stored[c.key][1] for c in self.active)


def stored_corrections(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[Correction, set[str]]]:
    rows = con.execute("SELECT match, field, value, note, urls FROM corrections ORDER BY match, field").fetchall()
    return {(match, name): (Correction(match, name, value, note), set(urls)) for match, name, value, note, urls in rows}


def resolve(con: duckdb.DuckDBPyConnection, given: list[Correction] | None) -> Resolved:
    """The corrections to apply (`given`, else the stored ones), each with the copies and documents it names."""
    stored = stored_corrections(con)
    active = given if given is not None else [correction for correction, _ in stored.values()]
    named = _copies_named(con, {c.match for c in active}) if active else {}
    urls: dict[tuple[str, str], set[str]] = {}
    doc_ids: dict[tuple[str, str], set[str]] = {}
    for correction in active:
        found = named.get(correction.match, [])
        before = stored.get(correction.key)
        urls[correction.key] = ({url for url, _ in found}
                                | ({correction.match} if "://" in correction.match else set())
                                | (before[1] if before is not None and before[0].value == correction.value else set()))
        doc_ids[correction.key] = {doc_id for _, doc_id in found}
    resolved = Resolved(active, urls, doc_ids, stored=stored)
    now = {c.key: c.value for c in active}
    for key, (correction, old_urls) in stored.items():
        if now.get(key) != correction.value:
            resolved.changed_urls |= old_urls  # dropped or changed: its copies go back to what the text says
    for correction in active:
        if correction.key not in stored or stored[correction.key][0].value != correction.value:
            resolved.changed_urls |= urls[correction.key]
    return resolved


def _copies_named(con: duckdb.DuckDBPyConnection, names: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Each name (a doc_id, an old doc_id, a copy's URL) with every copy (url, doc_id) of the document it names."""
    named: dict[str, list[tuple[str, str]]] = {}
    for name, url, doc_id in con.execute(
        """
        WITH names AS (
            SELECT doc_id, doc_id AS name FROM documents
            UNION ALL SELECT doc_id, old_doc_id FROM doc_aliases
            UNION ALL SELECT doc_id, url FROM document_sources
        )
        SELECT DISTINCT n.name, s.url, s.doc_id
        FROM names AS n JOIN document_sources AS s ON s.doc_id = n.doc_id
        WHERE n.name IN (SELECT unnest(?))
        """,
        [sorted(names)],
    ).fetchall():
        named.setdefault(name, []).append((url, doc_id))
    return named


def save(con: duckdb.DuckDBPyConnection, resolved: Resolved) -> None:
    """Store the applied corrections (the caller holds the transaction); rows that are as stored are not rewritten."""
    if resolved.is_stored():
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    keep = {c.key for c in resolved.active}
    for match, name in resolved.stored.keys() - keep:
        con.execute("DELETE FROM corrections WHERE match = ? AND field = ?", [match, name])
    for c in resolved.active:
        before = resolved.stored.get(c.key)
        if before is not None and (before[0].value, before[0].note, before[1]) == (c.value, c.note, resolved.urls[c.key]):
            continue
        con.execute("INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?, ?)",
                    [c.match, c.field, c.value, c.note, sorted(resolved.urls[c.key]), now])

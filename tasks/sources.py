"""The sources file: which sites to crawl and how politely.

A typo in a hand-edited YAML file should stop the run with one clear line,
not silently crawl with defaults, so every key and value is validated
(`govreports check-sources FILE` runs the same checks without crawling).
Nothing here touches the network: a well-formed URL may still not answer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

AUTHORITIES = ("official", "mirror")


@dataclass(frozen=True)
class Site:
    name: str
    start_urls: tuple[str, ...]
    authority: str = "official"  # official | mirror
    min_delay: float = 1.0  # seconds between requests to this host
    max_concurrency: int = 2  # per host
    content_selector: str | None = None  # CSS override for the main content
    listing_selector: str | None = None  # CSS override for the listing's link area


class SourcesError(ValueError):
    """A sources file (or --url list) that cannot be used; the message is one line."""


_KEYS = tuple(f.name for f in fields(Site))


def load_sources(path: str | Path) -> list[Site]:
    """Read and validate a YAML sources file (a list of sites, or {sites: [...]})."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SourcesError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from exc
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path}: not valid YAML: {_one_line(str(exc))}") from exc
    entries = doc.get("sites") if isinstance(doc, dict) else doc
    if isinstance(doc, dict) and set(doc) - {"sites"}:
        raise SourcesError(f"{path}: unknown top-level key(s): {', '.join(sorted(set(doc) - {'sites'}))}")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: expected a non-empty list of sites under 'sites:'")
    sites = [_site_from_entry(entry, f"{path}: site #{i + 1}") for i, entry in enumerate(entries)]
    names = [s.name for s in sites]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourcesError(f"{path}: duplicate site name(s): {', '.join(dupes)}")
    listed_by: dict[str, str] = {}
    for site in sites:  # one URL under two names would crawl it twice and credit the copy to either
        for url in site.start_urls:
            if url in listed_by and listed_by[url] != site.name:
                raise SourcesError(f"{path}: start URL {url} is listed by both {listed_by[url]!r} and {site.name!r}")
            listed_by[url] = site.name
    return sites


def sites_from_urls(urls: list[str], authority_of: Callable[[str], str] | None = None) -> list[Site]:
    """One Site per host for `--url`; .gov.cn hosts are official, others mirrors."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        _check_url(url, "--url")
        by_host.setdefault(urlsplit(url).netloc.lower(), []).append(url)
    sites = []
    for host, host_urls in by_host.items():
        hostname = urlsplit(host_urls[0]).hostname or host
        authority = authority_of(host) if authority_of else ("official" if hostname.endswith(".gov.cn") else "mirror")
        if authority not in AUTHORITIES:
            raise SourcesError(f"--url {host}: authority must be one of {AUTHORITIES}, got {authority!r}")
        sites.append(Site(name=host, start_urls=tuple(host_urls), authority=authority))
    return sites


def _site_from_entry(entry: Any, where: str) -> Site:
    if not isinstance(entry, dict):
        raise SourcesError(f"{where}: expected a mapping with name and start_urls, got {type(entry).__name__}")
    unknown = sorted(set(map(str, entry)) - set(_KEYS))
    if unknown:
        raise SourcesError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_KEYS)})")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"{where}: 'name' is required and must be a non-empty string")
    where = f"{where} ({name})"
    start_urls = entry.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls:
        raise SourcesError(f"{where}: 'start_urls' must be a non-empty list of URLs")
    for url in start_urls:
        _check_url(url, where)
    start_urls = list(dict.fromkeys(url.strip() for url in start_urls))
    authority = entry.get("authority", "official")
    if authority not in AUTHORITIES:
        raise SourcesError(f"{where}: 'authority' must be one of {', '.join(AUTHORITIES)}, got {authority!r}")
    min_delay = _number(entry.get("min_delay", 1.0), "min_delay", where)
    max_concurrency = entry.get("max_concurrency", 2)
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
        raise SourcesError(f"{where}: 'max_concurrency' must be an integer >= 1, got {max_concurrency!r}")
    selectors = {key: entry.get(key) for key in ("content_selector", "listing_selector")}
    for key, value in selectors.items():
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise SourcesError(f"{where}: {key!r} must be a CSS selector string")
        if value is not None:
            _check_selector(value, f"{where}: {key!r}")
    return Site(
        name=name.strip(),
        start_urls=tuple(start_urls),
        authority=authority,
        min_delay=min_delay,
        max_concurrency=max_concurrency,
        **selectors,
    )


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourcesError(f"{where}: {key!r} must be a number, got {value!r}")
    if value < 0:
        raise SourcesError(f"{where}: {key!r} must not be negative, got {value!r}")
    return float(value)


def _check_url(url: Any, where: str) -> None:
    if not isinstance(url, str):
        raise SourcesError(f"{where}: start URL must be a string, got {url!r}")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        hint = " (for saved files use --from-dir)" if where == "--url" and parts.scheme in ("", "file") else ""
        raise SourcesError(f"{where}: URL must be http(s): {url!r}{hint}")
    if not parts.hostname:
        raise SourcesError(f"{where}: URL has no host: {url!r}")
    if any(ch.isspace() for ch in url.strip()):
        raise SourcesError(f"{where}: URL contains whitespace: {url!r}")
    try:
        parts.port
    except ValueError as exc:
        raise SourcesError(f"{where}: URL has a bad port: {url!r}") from exc


def _check_selector(selector: str, where: str) -> None:
    """Compile the selector once now: a bad one would otherwise fail every page of the site."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError as exc:
        raise SourcesError(f"{where} is not a valid CSS selector: {selector!r}") from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())

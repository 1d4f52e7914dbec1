"""How long a fetched page stays fresh, by HTTP caching's rules (RFC 9111 §4.2).

A page still fresh is not asked about again: a re-run on the same day sends
no request for it, where a conditional request would cost the server and the
run about as much as a 304. Freshness comes from the server (`Cache-Control:
max-age`, `Expires`) or, when it says nothing, from its `Last-Modified`: a
tenth of the time since the page last changed (§4.2.2). Every freshness is
capped at `FetchConfig.max_freshness`, as if each request carried
`Cache-Control: max-age` with that value: a daily scrape still revalidates
every page, however long a server says its pages keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

HEURISTIC_FRACTION = 0.1  # of the time since Last-Modified (RFC 9111 §4.2.2)


def fresh_until(headers: Mapping[str, str], received_at: datetime, stored_last_modified: str | None,
                max_freshness: timedelta) -> datetime | None:
    """Until when a response received at `received_at` (UTC) is fresh, or None when it must be revalidated.

    `stored_last_modified`: the archived version's Last-Modified, which a 304
    need not repeat.
    """
    directives = cache_directives(headers.get("cache-control"))
    if "no-store" in directives or "no-cache" in directives or max_freshness <= timedelta(0):
        return None
    date = http_date(headers.get("date")) or received_at
    if "max-age" in directives:
        lifetime = _seconds(directives["max-age"])
    elif headers.get("expires") is not None:
        expires = http_date(headers.get("expires"))  # an invalid Expires ("0", "-1") means already expired
        lifetime = expires - date if expires else timedelta(0)
    else:
        last_modified = http_date(headers.get("last-modified") or stored_last_modified)
        if last_modified is None or last_modified >= date:
            return None
        lifetime = (date - last_modified) * HEURISTIC_FRACTION
    lifetime = min(lifetime, max_freshness) - _seconds(headers.get("age"))
    return received_at + lifetime if lifetime > timedelta(0) else None


def cache_directives(value: str | None) -> dict[str, str]:
    """`Cache-Control` as {directive: argument}, names lower-cased ("max-age=60, private" -> both)."""
    directives = {}
    for item in (value or "").split(","):
        name, _, argument = item.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware UTC datetime; None when absent or invalid."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _seconds(value: str | None) -> timedelta:
    """A delta-seconds value (max-age, Age); invalid or absent counts as 0."""
    try:
        return timedelta(seconds=max(0, int(value or 0)))
    except ValueError:
        return timedelta(0)

"""Crawling at each host's pace: a minimum delay between requests, a concurrency cap, Retry-After."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from tasks.freshness import http_date

ROBOTS_AGENT = "govreports"


class HostGate:
    """Per-host pacing: at most `max_concurrency` requests, starts >= `min_delay` apart."""

    def __init__(self, min_delay: float, max_concurrency: int):
        self.min_delay = min_delay
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            async with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.min_delay
            if start > now:
                await asyncio.sleep(start - now)
            yield

    def pause(self, seconds: float) -> None:
        """Hold the whole host back (Retry-After applies to the host, not one URL)."""
        self._next_start = max(self._next_start, time.monotonic() + seconds)


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Retry-After as delta-seconds or HTTP-date, capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), cap))

"""
Server-side rate limiting: a token bucket per (API key, endpoint), as Planet enforces its limits.

A bucket holds one second's worth of requests and refills continuously, so a client that spaces
its requests ``1 / rate`` apart is never refused, while a burst beyond the limit gets 429.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBuckets:
    """Token buckets keyed by ``(key fingerprint, endpoint)``; callers hold the emulator's lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, key: str, endpoint: str, rate: float) -> int | None:
        """
        Take one token. Return ``None`` when allowed, else the whole seconds to wait (at least 1),
        for ``Retry-After``.
        """
        now = self._clock()
        capacity = max(1.0, rate)
        tokens, last = self._buckets.get((key, endpoint), (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[(key, endpoint)] = (tokens - 1.0, now)
            return None
        self._buckets[(key, endpoint)] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / rate))

    def reset(self) -> None:
        self._buckets.clear()

"""Per-client token-bucket rate limiting (generous: it stops runaway loops, not watchers)."""

from __future__ import annotations

import time


class RateLimiter:
    """``burst`` requests at once, refilled at ``rate_per_s``; ``rate_per_s <= 0`` disables.

    Used from the event loop thread only, so it needs no lock.
    """

    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate = rate_per_s
        self.burst = float(max(burst, 1))
        self._max_keys = max_keys
        self._buckets: dict[object, list[float]] = {}

    def hit(self, key: object) -> float:
        """Take one request for ``key``: 0.0 when allowed, else seconds until the next fits."""
        return self._take(key, 1.0)

    def peek(self, key: object) -> float:
        """``hit`` without taking anything: 0.0 when a request of ``key`` would be allowed."""
        return self._take(key, 0.0)

    def _take(self, key: object, cost: float) -> float:
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        entry = self._buckets.get(key)
        if entry is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            entry = self._buckets[key] = [self.burst, now]
        else:
            entry[0] = min(self.burst, entry[0] + (now - entry[1]) * self.rate)
            entry[1] = now
        if entry[0] >= 1.0:
            entry[0] -= cost
            return 0.0
        return (1.0 - entry[0]) / self.rate

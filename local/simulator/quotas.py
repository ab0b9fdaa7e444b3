"""The account's API rate quota: rolling windows per request class, the `X-Rate-Limit*` headers, and 429 with
Retry-After when a window is full (https://fivetran.com/docs/rest-api/rate-limiting, FACTS.md 2.1).

Counted on real (monotonic) time: a rate limit is about requests, not simulated syncs.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from local.simulator.options import Quota

SETUP_TESTS = "setup_tests"
SOURCE = "source"  # requests that interact with the source: setup tests, schema reload, columns config


class QuotaExceeded(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Window:
    def __init__(self, limit: int, seconds: float, what: str) -> None:
        self.limit, self.seconds, self.what = limit, seconds, what
        self.stamps: deque[float] = deque()

    def prune(self, now: float) -> None:
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        self.prune(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[0] + self.seconds - now


class AccountQuota:
    def __init__(self, quota: Quota, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._all = _Window(quota.per_hour, 3600, f"No more than {quota.per_hour} API requests per hour")
        self._classes = {
            SETUP_TESTS: [
                _Window(quota.setup_tests_per_minute, 60, "Too many setup test requests per minute"),
                _Window(quota.setup_tests_per_hour, 3600, "Too many setup test requests per hour"),
            ],
            SOURCE: [
                _Window(quota.source_per_minute, 60, "Too many source interaction requests per minute"),
                _Window(quota.source_per_hour, 3600, "Too many source interaction requests per hour"),
            ],
        }

    def take(self, classes: tuple[str, ...] = ()) -> dict[str, str]:
        """Count one request; returns the rate-limit headers, or raises QuotaExceeded (nothing is counted)."""
        with self._lock:
            now = self._clock()
            windows = [self._all, *(w for c in classes for w in self._classes.get(c, ()))]
            for window in windows:
                wait = window.wait(now)
                if wait > 0:
                    raise QuotaExceeded(window.what, max(1, math.ceil(wait)))
            for window in windows:
                window.stamps.append(now)
            return self.headers()

    def headers(self) -> dict[str, str]:
        self._all.prune(self._clock())
        remaining = max(0, self._all.limit - len(self._all.stamps))
        return {"X-Rate-Limit": str(self._all.limit), "X-Rate-Limit-Remaining": str(remaining)}

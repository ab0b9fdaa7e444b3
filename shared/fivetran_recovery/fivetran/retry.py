"""When and how long to wait before retrying a Fivetran API call.

Which failures are retried depends on whether a second attempt could act twice:

| failure                                        | SAFE call (GET, PATCH, ...) | UNSAFE call (resync, ...) |
|------------------------------------------------|-----------------------------|---------------------------|
| 429 Too Many Requests (the server did nothing) | retried, after Retry-After  | retried, after Retry-After|
| connect error / connect or pool timeout        | retried                     | retried (never sent)      |
| read timeout, dropped connection after sending | retried                     | not retried               |
| 5xx                                            | retried                     | not retried               |
| other 4xx                                      | never                       | never                     |

CONFIRM calls (pause, resume, settings and schema PATCHes) are writes whose effect can be read back: after an
ambiguous failure (read timeout or dropped connection after sending, 5xx) the client reads the state first and
repeats the write only if it did not happen (a timed-out pause is checked, not re-sent). The in-progress-sync
error is never repeated: the caller makes the change through pause-change-resume.

Waits are exponential with jitter, at least the server's Retry-After, and the whole call is bounded both by
`max_attempts` and by `max_total_seconds`: a wait that would cross the budget is not started, the last error
is raised instead (a Retry-After of an hour fails fast rather than blocking a Lambda).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum


class Idempotency(Enum):
    SAFE = "safe"  # repeating the call cannot do more than doing it once
    UNSAFE = "unsafe"  # a repeat could act twice (start a second re-sync, create a second webhook)
    CONFIRM = "confirm"  # repeated only after reading the state back shows the first attempt did not act


@dataclass
class RetryPolicy:
    max_attempts: int = 4
    max_total_seconds: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_seconds < 0:
            raise ValueError("max_total_seconds must not be negative")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        delay = ceiling / 2 + self.rng.uniform(0, ceiling / 2)  # "equal jitter": never zero, spread out
        if retry_after is not None:
            # Honour the server's wait; a little jitter on top keeps many clients from returning together.
            delay = max(delay, retry_after + self.rng.uniform(0, min(1.0, retry_after * 0.1)))
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

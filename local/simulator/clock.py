"""The simulator's virtual clock and its record of write calls (plain data, no HTTP, no state machine)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


@dataclass
class WriteCall:
    method: str
    path: str
    body: Any
    time: str
    connection_id: str | None
    status: int | None = None
    wall_time: float = field(default_factory=time.time)  # real time, for the drill's time-to-remediation


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulator clock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("virtual time cannot go backwards")
        self._now = when

"""Faults of the simulated API itself, on demand: 429 with Retry-After, 5xx, slow answers, and a connection
whose running sync cannot be stopped (so a PATCH fails with the documented in-progress-sync error)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("rate_limit", "server_error", "slow")


@dataclass
class Fault:
    kind: str
    count: int = 1
    retry_after: float | None = 1.0  # rate_limit: the Retry-After header (None = no header)
    status: int = 500  # server_error
    seconds: float = 0.5  # slow: real seconds before answering
    path: str | None = None  # only requests whose path contains this
    method: str | None = None  # only this HTTP method

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or self.path in path
        )


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.sync_stop_failure: set[str] = set()

    def add(self, kind: str, **options: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {list(KINDS)}")
        allowed = {"count", "retry_after", "status", "seconds", "path", "method"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"unknown fault option(s) {sorted(unknown)}")
        fault = Fault(kind, **options)
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        if kind == "server_error" and not 500 <= fault.status <= 599:
            raise ValueError("server_error status must be 5xx")
        if fault.seconds < 0 or fault.seconds > 60:
            raise ValueError("seconds must be within 0..60")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, consumed once."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.sync_stop_failure.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faults": [vars(f).copy() for f in self._faults],
                "sync_stop_failure": sorted(self.sync_stop_failure),
            }

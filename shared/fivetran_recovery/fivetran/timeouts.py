"""Read timeouts per endpoint class: a schema reload or a setup test queries the source and "may take a long
time"; a PATCH that must first stop a running sync takes up to ~60 s (and a pause then answers 500 though it
paused: https://fivetran.com/docs/rest-api/troubleshooting/pause-connector-500-error). One 10 s timeout for all
of them times out calls that were working, and a timed-out write is ambiguous (client.py reads state first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT = "default"
SOURCE = "source"  # POST …/schemas/reload, POST …/test, GET …/columns
STOP_SYNC = "stop_sync"  # PATCH connection / schema config: Fivetran stops a running sync first (60 s limit)


@dataclass(frozen=True)
class Timeouts:
    default: float = 10.0
    source: float = 300.0
    stop_sync: float = 90.0  # the 60 s Fivetran tries to stop a sync, plus room for the answer
    connect: float = 10.0

    def __post_init__(self) -> None:
        if min(self.default, self.source, self.stop_sync, self.connect) <= 0:
            raise ValueError("timeouts must be positive")

    def for_class(self, name: str) -> float:
        return {DEFAULT: self.default, SOURCE: self.source, STOP_SYNC: self.stop_sync}[name]

    def scaled(self, factor: float, *, floor: float = 5.0) -> Timeouts:
        """Every class times `factor` (never below `floor` s): the local stack runs Fivetran faster (60x) and
        scales the timeouts with it, so their ratio to Fivetran's latencies stays the real one."""
        if factor <= 0:
            raise ValueError("factor must be positive")
        if factor == 1:
            return self
        return replace(
            self,
            default=max(floor, self.default * factor),
            source=max(floor, self.source * factor),
            stop_sync=max(floor, self.stop_sync * factor),
        )

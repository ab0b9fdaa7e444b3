"""One LLM call per distinct incident: analyses are cached by incident signature.

`LlmCache` is the protocol (the deployed stack backs it with DynamoDB); `InMemoryLlmCache` is the local one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fivetran_recovery.rca.llm import LlmResult


@runtime_checkable
class LlmCache(Protocol):
    def get(self, signature: str) -> LlmResult | None: ...

    def put(self, signature: str, result: LlmResult) -> None: ...


class InMemoryLlmCache:
    """A bounded LRU cache with an optional time-to-live; the clock is injectable for tests."""

    def __init__(
        self, *, max_entries: int = 1024, ttl_seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._entries: OrderedDict[str, tuple[float, LlmResult]] = OrderedDict()
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock

    def get(self, signature: str) -> LlmResult | None:
        entry = self._entries.get(signature)
        if entry is None:
            return None
        stored_at, result = entry
        if self._ttl is not None and self._clock() - stored_at > self._ttl:
            del self._entries[signature]
            return None
        self._entries.move_to_end(signature)
        return result

    def put(self, signature: str, result: LlmResult) -> None:
        self._entries[signature] = (self._clock(), result)
        self._entries.move_to_end(signature)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

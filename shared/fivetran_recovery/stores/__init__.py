"""DynamoDB adapters behind small interfaces, with in-memory twins for unit tests (see base.py)."""

from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    ClosedIncidentSummary,
    ConcurrentUpdateError,
    CorrelationSignal,
    CorrelationStore,
    DigestEntry,
    DigestKind,
    DigestStore,
    HistoryRecord,
    HistoryStore,
    IncidentNotFoundError,
    IncidentStore,
    LlmCacheStore,
    StoreError,
)

__all__ = [
    "AlreadyOpenError",
    "ClosedIncidentSummary",
    "ConcurrentUpdateError",
    "CorrelationSignal",
    "CorrelationStore",
    "DigestEntry",
    "DigestKind",
    "DigestStore",
    "HistoryRecord",
    "HistoryStore",
    "IncidentNotFoundError",
    "IncidentStore",
    "LlmCacheStore",
    "StoreError",
]

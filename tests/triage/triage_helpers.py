"""Event and diagnosis builders for triage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.models.diagnosis import Category, Diagnosis
from fivetran_recovery.models.webhook import WebhookEvent

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
_counter = {"n": 0}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sync_end(
    connection: str,
    seconds: float,
    status: str = "FAILURE",
    *,
    destination: str = "dest_a",
    reason: str | None = "boom",
    connector_type: str = "postgres",
    sync_id: str | None = None,
) -> WebhookEvent:
    _counter["n"] += 1
    data: dict[str, Any] = {"status": status}
    if reason is not None:
        data["reason"] = reason
    return WebhookEvent.model_validate(
        {
            "event": "sync_end",
            "created": at(seconds).isoformat(),
            "connector_id": connection,
            "connector_type": connector_type,
            "sync_id": sync_id or f"sync-{_counter['n']}",
            "destination_group_id": destination,
            "data": data,
        }
    )


def diag(
    category: Category = Category.NETWORK, pattern: str = "connection_reset", *, retryable: bool = True, **extra: Any
) -> Diagnosis:
    return Diagnosis(
        category=category, pattern=pattern, retryable=retryable, confidence=0.8, summary=f"{pattern} happened", **extra
    )


PERMANENT = diag(Category.SCHEMA_DRIFT, "column_type_change", retryable=False)
SHARED_PERMANENT = diag(Category.PERMISSION, "insufficient_privileges", retryable=False)
TRANSIENT = diag()

"""Fivetran webhook payloads (FACTS.md section 1.3).

Tolerant by design: unknown fields are kept, `connector_*` and `connection_*` names are both read, and the
camelCase `data` fields (`reason`, `taskType`, `rescheduledAt`) are exposed as snake_case.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

TEST_CONNECTION_IDS = frozenset({"_connector_1", "_connection_1"})

SYNC_STATUS_SUCCESS = "SUCCESSFUL"
FAILURE_STATUSES = frozenset({"FAILURE", "FAILURE_WITH_TASK", "FAILED"})


class SyncEndData(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    status: str | None = None
    reason: str | None = None
    task_type: str | None = Field(None, validation_alias=AliasChoices("taskType", "task_type"))
    rescheduled_at: datetime | None = Field(None, validation_alias=AliasChoices("rescheduledAt", "rescheduled_at"))


class WebhookEvent(BaseModel):
    """One delivery from Fivetran (also the SQS message body, re-serialised by `to_message`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    event: str = Field(min_length=1, max_length=100)
    created: datetime
    connection_id: str | None = Field(
        None, validation_alias=AliasChoices("connection_id", "connector_id"), max_length=200
    )
    connection_name: str | None = Field(None, validation_alias=AliasChoices("connection_name", "connector_name"))
    connector_type: str | None = Field(None, validation_alias=AliasChoices("connector_type", "connection_type"))
    sync_id: str | None = None
    destination_group_id: str | None = Field(
        None, validation_alias=AliasChoices("destination_group_id", "group_id")
    )
    data: dict[str, Any] | None = None

    @property
    def is_test(self) -> bool:
        return self.connection_id in TEST_CONNECTION_IDS

    @property
    def sync_end(self) -> SyncEndData | None:
        if self.event != "sync_end" or self.data is None:
            return None
        return SyncEndData.model_validate(self.data)

    @property
    def status(self) -> str | None:
        return (self.data or {}).get("status") if isinstance(self.data, dict) else None

    @property
    def is_failure(self) -> bool:
        return (self.event == "sync_end" and self.status in FAILURE_STATUSES) or self.event == "connection_failure"

    @property
    def event_key(self) -> str:
        """Stable identity of this delivery: a redelivery of the same event has the same key."""
        parts = [self.event, self.connection_id or "", self.sync_id or "", self.created.isoformat(), self.status or ""]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]

    def to_message(self) -> dict[str, Any]:
        """The normalised form put on the queue (`connection_id` names, JSON-safe)."""
        return self.model_dump(mode="json", exclude_none=True)

"""Fivetran webhook payloads (FACTS.md section 1.2-1.3).

Tolerant by design: unknown fields are kept, `connector_*` and `connection_*` names are both read, and the
camelCase `data` fields (`reason`, `taskType`, `rescheduledAt`, `dbtJobId`...) are exposed as snake_case.

One envelope (`WebhookEvent`) for every event type; its `data` stays the raw object Fivetran sent (so the queued
message is faithful), and `typed_data` gives the validated model for the event type (`EVENT_DATA_MODELS`).
Unknown event types are valid envelopes with `is_known_type == False`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from fivetran_recovery.redaction import redact_value

TEST_CONNECTION_IDS = frozenset({"_connector_1", "_connection_1"})

SYNC_STATUS_SUCCESS = "SUCCESSFUL"
FAILURE_STATUSES = frozenset({"FAILURE", "FAILURE_WITH_TASK", "FAILED"})


class EventType(StrEnum):
    """Every webhook event type Fivetran documents (current, deprecated and third-party-listed names)."""

    SYNC_START = "sync_start"
    SYNC_END = "sync_end"
    STATUS = "status"  # deprecated
    CONNECTION_SUCCESSFUL = "connection_successful"
    CONNECTION_FAILURE = "connection_failure"
    CREATE_CONNECTOR = "create_connector"
    PAUSE_CONNECTOR = "pause_connector"
    RESUME_CONNECTOR = "resume_connector"
    EDIT_CONNECTOR = "edit_connector"
    DELETE_CONNECTOR = "delete_connector"
    FORCE_UPDATE_CONNECTOR = "force_update_connector"
    RESYNC_CONNECTOR = "resync_connector"
    RESYNC_TABLE = "resync_table"
    DBT_RUN_START = "dbt_run_start"
    DBT_RUN_SUCCEEDED = "dbt_run_succeeded"
    DBT_RUN_FAILED = "dbt_run_failed"
    TRANSFORMATION_RUN_START = "transformation_run_start"  # deprecated
    TRANSFORMATION_RUN_SUCCEEDED = "transformation_run_succeeded"  # deprecated
    TRANSFORMATION_RUN_FAILED = "transformation_run_failed"  # deprecated
    TRANSFORMATION_START = "transformation_start"
    TRANSFORMATION_SUCCEEDED = "transformation_succeeded"
    TRANSFORMATION_FAILED = "transformation_failed"


KNOWN_EVENT_TYPES = frozenset(item.value for item in EventType)
DEPRECATED_EVENT_TYPES = frozenset(
    {
        EventType.STATUS,
        EventType.TRANSFORMATION_RUN_START,
        EventType.TRANSFORMATION_RUN_SUCCEEDED,
        EventType.TRANSFORMATION_RUN_FAILED,
    }
)


class SyncStatus(StrEnum):
    """`sync_end.data.status` values seen in the sources; others are accepted as plain strings."""

    SUCCESSFUL = "SUCCESSFUL"
    FAILURE = "FAILURE"
    FAILURE_WITH_TASK = "FAILURE_WITH_TASK"
    RESCHEDULED = "RESCHEDULED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


class EventData(BaseModel):
    """Base of every `data` model: unknown fields are kept, camelCase and snake_case both read."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SyncStartData(EventData):
    """`sync_start` usually carries no data; anything present is kept."""


class SyncEndData(EventData):
    status: str | None = None
    reason: str | None = None
    task_type: str | None = Field(None, validation_alias=AliasChoices("taskType", "task_type"))
    rescheduled_at: datetime | None = Field(None, validation_alias=AliasChoices("rescheduledAt", "rescheduled_at"))

    @property
    def is_failure(self) -> bool:
        return self.status in FAILURE_STATUSES


class StatusData(EventData):
    """The deprecated `status` event."""

    status: str | None = None
    reason: str | None = None


class ConnectionTestData(EventData):
    """`connection_successful` / `connection_failure` (the connection's setup tests)."""

    status: str | None = None
    reason: str | None = None
    message: str | None = None


class ConnectorChangeData(EventData):
    """create/pause/resume/edit/delete/force_update/resync_connector: who changed what, when present."""

    actor: str | None = None
    reason: str | None = None


class ResyncTableData(EventData):
    schema_name: str | None = Field(None, validation_alias=AliasChoices("schema", "schema_name"))
    table: str | None = Field(None, validation_alias=AliasChoices("table", "table_name"))


class DbtRunResult(EventData):
    description: str | None = None
    step_results: list[dict[str, Any]] | None = Field(
        None, validation_alias=AliasChoices("stepResults", "step_results")
    )


class DbtRunData(EventData):
    """`dbt_run_*` (mechanicalrock blog; Fivetran's dbt log events): no connection fields on the envelope."""

    dbt_job_id: str | None = Field(None, validation_alias=AliasChoices("dbtJobId", "dbt_job_id"))
    dbt_job_name: str | None = Field(None, validation_alias=AliasChoices("dbtJobName", "dbt_job_name"))
    start_time: datetime | None = Field(None, validation_alias=AliasChoices("startTime", "start_time"))
    end_time: datetime | None = Field(None, validation_alias=AliasChoices("endTime", "end_time"))
    result: DbtRunResult | None = None
    startup_details: dict[str, Any] | None = Field(
        None, validation_alias=AliasChoices("startupDetails", "startup_details")
    )


class TransformationData(EventData):
    """`transformation_*` and the deprecated `transformation_run_*` (shape not documented: kept open)."""

    transformation_id: str | None = Field(
        None, validation_alias=AliasChoices("transformationId", "transformation_id", "id")
    )
    status: str | None = None
    reason: str | None = None
    start_time: datetime | None = Field(None, validation_alias=AliasChoices("startTime", "start_time"))
    end_time: datetime | None = Field(None, validation_alias=AliasChoices("endTime", "end_time"))


_CONNECTOR_CHANGES = (
    EventType.CREATE_CONNECTOR,
    EventType.PAUSE_CONNECTOR,
    EventType.RESUME_CONNECTOR,
    EventType.EDIT_CONNECTOR,
    EventType.DELETE_CONNECTOR,
    EventType.FORCE_UPDATE_CONNECTOR,
    EventType.RESYNC_CONNECTOR,
)
_DBT_RUNS = (EventType.DBT_RUN_START, EventType.DBT_RUN_SUCCEEDED, EventType.DBT_RUN_FAILED)
_TRANSFORMATIONS = (
    EventType.TRANSFORMATION_RUN_START,
    EventType.TRANSFORMATION_RUN_SUCCEEDED,
    EventType.TRANSFORMATION_RUN_FAILED,
    EventType.TRANSFORMATION_START,
    EventType.TRANSFORMATION_SUCCEEDED,
    EventType.TRANSFORMATION_FAILED,
)

EVENT_DATA_MODELS: dict[str, type[EventData]] = {
    EventType.SYNC_START: SyncStartData,
    EventType.SYNC_END: SyncEndData,
    EventType.STATUS: StatusData,
    EventType.CONNECTION_SUCCESSFUL: ConnectionTestData,
    EventType.CONNECTION_FAILURE: ConnectionTestData,
    EventType.RESYNC_TABLE: ResyncTableData,
    **dict.fromkeys(_CONNECTOR_CHANGES, ConnectorChangeData),
    **dict.fromkeys(_DBT_RUNS, DbtRunData),
    **dict.fromkeys(_TRANSFORMATIONS, TransformationData),
}
TRANSFORMATION_FAILURE_EVENT_TYPES = frozenset(
    {EventType.DBT_RUN_FAILED, EventType.TRANSFORMATION_FAILED, EventType.TRANSFORMATION_RUN_FAILED}
)


def describe_validation_error(exc: ValidationError, *, limit: int = 5) -> str:
    """`field.path: message; ...` without the offending input values (they may be secret or huge)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where[:80]}: {error['msg'][:160]}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


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
    destination_group_id: str | None = Field(None, validation_alias=AliasChoices("destination_group_id", "group_id"))
    data: dict[str, Any] | None = None
    _pinned_key: str | None = PrivateAttr(default=None)

    @field_validator("data", mode="after")
    @classmethod
    def _redacted(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Secrets and personal data in the payload's text (a failure reason quoting a DSN, an e-mail) are redacted
        as the event is read, so the queue, history, digest, incidents, logs, prompts and messages never see them."""
        return redact_value(value) if value else value  # type: ignore[return-value]

    @field_validator("created", mode="after")
    @classmethod
    def _utc_when_no_zone(cls, value: datetime) -> datetime:
        """Fivetran sends UTC with a `Z`; a timestamp without a zone is read as UTC, so every time compares."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _validate_data_for_event_type(self) -> WebhookEvent:
        model = EVENT_DATA_MODELS.get(self.event)
        if model is not None and self.data is not None:
            try:
                model.model_validate(self.data)
            except ValidationError as exc:
                raise ValueError(f"data does not fit {self.event}: {describe_validation_error(exc)}") from None
        return self

    @property
    def is_known_type(self) -> bool:
        return self.event in KNOWN_EVENT_TYPES

    @property
    def is_test(self) -> bool:
        return self.connection_id in TEST_CONNECTION_IDS

    @cached_property
    def typed_data(self) -> EventData | None:
        """`data` validated by the model for this event type (None when absent or the type is unknown)."""
        model = EVENT_DATA_MODELS.get(self.event)
        if model is None or self.data is None:
            return None
        return model.model_validate(self.data)

    @property
    def sync_end(self) -> SyncEndData | None:
        if self.event != EventType.SYNC_END or self.data is None:
            return None
        typed = self.typed_data
        return typed if isinstance(typed, SyncEndData) else SyncEndData.model_validate(self.data)

    @property
    def status(self) -> str | None:
        value = (self.data or {}).get("status") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    @property
    def is_failure(self) -> bool:
        """A connection failed: a failing `sync_end` or a `connection_failure`."""
        return (self.event == EventType.SYNC_END and self.status in FAILURE_STATUSES) or (
            self.event == EventType.CONNECTION_FAILURE
        )

    @property
    def is_transformation_failure(self) -> bool:
        """A dbt run or transformation failed (these events carry no connection id)."""
        return self.event in TRANSFORMATION_FAILURE_EVENT_TYPES

    @property
    def event_key(self) -> str:
        """Stable identity of this delivery: a redelivery of the same event has the same key.

        Sync events are identified by their sync id; events without one (connector changes, dbt runs,
        transformations) also include a digest of their `data`, so two different dbt jobs ending in the same
        millisecond are not mistaken for one redelivered event.
        """
        if self._pinned_key is not None:
            return self._pinned_key
        parts = [self.event, self.connection_id or "", self.sync_id or "", self.created.isoformat(), self.status or ""]
        if not self.sync_id and self.data:
            parts.append(json.dumps(self.data, sort_keys=True, ensure_ascii=True, default=str))
        return hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]

    def retimed(self, at: datetime) -> WebhookEvent:
        """This event placed at `at` for ordering (its own `created` is absurd or contradicts its sync), keeping
        its identity: a redelivery of the original still has the same event key."""
        copy = self.model_copy(update={"created": at})
        copy._pinned_key = self.event_key
        return copy

    def to_message(self) -> dict[str, Any]:
        """The normalised form put on the queue (`connection_id` names, JSON-safe)."""
        return self.model_dump(mode="json", exclude_none=True)

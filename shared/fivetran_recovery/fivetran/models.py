"""Typed views of the Fivetran REST API payloads (the `data` of the `{code, message, data}` envelope).

Tolerant by design: unknown fields are kept (`extra="allow"`), every field Fivetran may omit is optional,
and free-form `details` accept a string, a list or an object (all three occur in Fivetran's own fixtures).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
SCHEDULE_TYPES = ("auto", "manual")
SCHEMA_CHANGE_HANDLING = ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL")
EXCLUDE_MODES = ("PRESERVE", "EXCLUDE", "INCLUDE")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Alert(_Model):
    """One entry of `status.tasks` (needs action) or `status.warnings` (does not stop syncing)."""

    code: str | None = None
    message: str | None = None
    details: Any = None


class ConnectionStatus(_Model):
    setup_state: str | None = None  # incomplete | connected | broken
    sync_state: str | None = None  # scheduled | syncing | paused | rescheduled
    update_state: str | None = None  # on_schedule | delayed
    is_historical_sync: bool | None = None
    schema_status: str | None = None
    rescheduled_for: datetime | None = None
    tasks: list[Alert] = Field(default_factory=list)
    warnings: list[Alert] = Field(default_factory=list)


class SetupTest(_Model):
    title: str | None = None
    status: str | None = None  # PASSED | FAILED | WARNING | SKIPPED | JOB_FAILED
    message: str | None = None
    details: Any = None


class Connection(_Model):
    id: str
    group_id: str | None = None
    service: str | None = None
    schema_: str | None = Field(None, alias="schema")
    paused: bool | None = None
    schedule_type: str | None = None
    sync_frequency: int | None = None
    daily_sync_time: str | None = None
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    created_at: datetime | None = None
    connected_by: str | None = None
    data_delay_sensitivity: str | None = None
    status: ConnectionStatus = Field(default_factory=ConnectionStatus)
    setup_tests: list[SetupTest] = Field(default_factory=list)

    @property
    def last_sync_at(self) -> datetime | None:
        """End of the last finished sync, succeeded or failed (how Fivetran's own tools detect completion)."""
        stamps = [t for t in (self.succeeded_at, self.failed_at) if t is not None]
        return max(stamps) if stamps else None

    @property
    def is_syncing(self) -> bool:
        return self.status.sync_state == "syncing"

    @property
    def task_codes(self) -> list[str]:
        return [t.code for t in self.status.tasks if t.code]


class PatchSettings(_Model):
    allowed: bool | None = None
    reason: str | None = None
    reason_code: str | None = None


class ColumnConfig(_Model):
    enabled: bool | None = None
    hashed: bool | None = None
    name_in_destination: str | None = None
    is_primary_key: bool | None = None
    enabled_patch_settings: PatchSettings | None = None


class TableConfig(_Model):
    enabled: bool | None = None
    name_in_destination: str | None = None
    sync_mode: str | None = None
    supports_columns_config: bool | None = None
    enabled_patch_settings: PatchSettings | None = None
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)


class SchemaEntry(_Model):
    enabled: bool | None = None
    name_in_destination: str | None = None
    tables: dict[str, TableConfig] = Field(default_factory=dict)


class SchemaConfig(_Model):
    """`GET …/schemas`: every schema and table, but only the columns a user set explicitly (the columns endpoint,
    `FivetranClient.get_table_columns`, lists them all)."""

    schema_change_handling: str | None = None
    schemas: dict[str, SchemaEntry] = Field(default_factory=dict)
    enable_new_by_default: bool | None = None

    def destination(self, schema: str, table: str) -> tuple[str, str]:
        """The warehouse names of a source table: `name_in_destination` of its schema and table (database
        connectors prefix the schema, e.g. `public` -> `postgres_prod_public`; names are case-folded).
        Falls back to the source names only where Fivetran gave none."""
        entry = self.schemas.get(schema)
        table_config = entry.tables.get(table) if entry is not None else None
        dest_schema = (entry.name_in_destination if entry is not None else None) or schema
        dest_table = (table_config.name_in_destination if table_config is not None else None) or table
        return dest_schema, dest_table


def destination_names(schema_config: Any, schema: str, table: str) -> tuple[str, str]:
    """(schema, table) as named in the warehouse, from a schema config (model or its JSON), else the names."""
    if schema_config is None:
        return schema, table
    config = schema_config if isinstance(schema_config, SchemaConfig) else SchemaConfig.model_validate(schema_config)
    return config.destination(schema, table)


class SyncStage(_Model):
    volume: float | None = None  # megabytes processed in the stage


class SyncHistoryRecord(_Model):
    """One sync of `GET /v1/connections/{id}/sync-history` (COMPLETED, FAILURE, CANCELED, INCOMPLETE,
    RESCHEDULED, PAUSED), with its extract/process/load volumes."""

    sync_id: str
    status: str
    start: datetime | None = None
    end: datetime | None = None
    reason: str | None = None
    stages: dict[str, SyncStage] = Field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "FAILURE"


class ConnectCard(_Model):
    """A re-authorisation link; valid one day. The token grants setup access: never log it."""

    token: str = Field(repr=False)
    uri: str = Field(repr=False)
    connection_id: str | None = None


class Webhook(_Model):
    id: str
    type: str | None = None  # account | group
    group_id: str | None = None
    url: str | None = None
    events: list[str] = Field(default_factory=list)
    active: bool | None = None
    secret: str | None = Field(None, repr=False)  # returned masked ("******")
    created_at: datetime | None = None
    created_by: str | None = None


class WebhookTestResult(_Model):
    succeed: bool | None = None
    status: int | None = None
    message: str | None = None


class ActionResult(_Model):
    """The answer of an action without `data` (sync, re-sync): Fivetran's code and message."""

    code: str | None = None
    message: str | None = None

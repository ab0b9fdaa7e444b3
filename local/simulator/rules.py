"""Validation, errors and paging shared by the simulator's API operations.

Error codes follow Fivetran's documented ones where they exist (`NotFound_Connector`, FACTS.md 2.1); the
others (`InvalidInput`, `NotFound_Webhook`, ...) are the simulator's, in the same `{code, message}` shape.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
PATCHABLE = {
    "config",
    "auth",
    "paused",
    "trust_certificates",
    "trust_fingerprints",
    "networking_method",
    "daily_sync_time",
    "run_setup_tests",
    "sync_frequency",
    "data_delay_threshold",
    "pause_after_trial",
    "is_historical_sync",
    "data_delay_sensitivity",
    "schema_status",
    "schedule_type",
    "local_processing_agent_id",
    "private_link_id",
    "proxy_agent_id",
    "hybrid_deployment_agent_id",
}  # the collection's "Update a Connection" body
SYNC_MODES = ("SOFT_DELETE", "HISTORY", "LIVE")


class SimApiError(Exception):
    """An API error answer: HTTP status and the `{code, message}` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(connection_id: str) -> SimApiError:
    # Fivetran's documented 404 body (fixtures/error_404_not_found.docs.json).
    return SimApiError(404, "NotFound_Connector", f"Connector with id '{connection_id}' does not exist.")


def bad_request(message: str) -> SimApiError:
    return SimApiError(400, "InvalidInput", message)


def webhook_time(value: datetime) -> str:
    """Webhook `created`: ISO-8601 UTC with milliseconds and Z (FACTS.md 1.3)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def make_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "offset" or not value.isdigit():
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad_request("invalid cursor") from None


def validate_schedule_fields(body: dict[str, Any]) -> None:
    if "paused" in body and not isinstance(body["paused"], bool):
        raise bad_request("paused must be a boolean")
    frequency = body.get("sync_frequency")
    if "sync_frequency" in body and (isinstance(frequency, bool) or frequency not in SYNC_FREQUENCIES):
        raise bad_request(f"sync_frequency must be one of {', '.join(map(str, SYNC_FREQUENCIES))}")
    if "schedule_type" in body and body["schedule_type"] not in ("auto", "manual"):
        raise bad_request("schedule_type must be auto or manual")
    if "daily_sync_time" in body:
        value = body["daily_sync_time"]
        parts = value.split(":") if isinstance(value, str) else []
        if value is None:
            return
        if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts) or int(parts[0]) > 23:
            raise bad_request("daily_sync_time must look like HH:00")


def validate_tables(tables: Any, what: str) -> None:
    if not isinstance(tables, dict) or not tables:
        raise bad_request(f"{what} must map at least one schema to a non-empty list of tables")
    for schema, names in tables.items():
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise bad_request(f"{what}: schema '{schema}' needs a non-empty list of table names")


def merge_schemas(current: dict[str, Any], patch: Any) -> None:
    if not isinstance(patch, dict):
        raise bad_request("schemas must be an object")
    for schema_name, schema_patch in patch.items():
        schema = current.get(schema_name)
        if schema is None or not isinstance(schema_patch, dict):
            raise SimApiError(404, "NotFound_Schema", f"Schema '{schema_name}' does not exist in the schema config.")
        if "enabled" in schema_patch:
            schema["enabled"] = bool(schema_patch["enabled"])
        for table_name, table_patch in (schema_patch.get("tables") or {}).items():
            table = schema["tables"].get(table_name)
            if table is None or not isinstance(table_patch, dict):
                raise SimApiError(404, "NotFound_Table", f"Table '{schema_name}.{table_name}' does not exist.")
            if "enabled" in table_patch:
                table["enabled"] = bool(table_patch["enabled"])
            if "sync_mode" in table_patch:
                if table_patch["sync_mode"] not in SYNC_MODES:
                    raise bad_request(f"sync_mode must be one of {', '.join(SYNC_MODES)}")
                table["sync_mode"] = table_patch["sync_mode"]
            for column_name, column_patch in (table_patch.get("columns") or {}).items():
                column = table["columns"].get(column_name)
                if column is None or not isinstance(column_patch, dict):
                    raise SimApiError(404, "NotFound_Column", f"Column '{column_name}' does not exist.")
                for key in ("enabled", "hashed", "is_primary_key"):
                    if key in column_patch:
                        column[key] = bool(column_patch[key])

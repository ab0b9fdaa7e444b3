"""The three input shapes of `fivetran-recovery diagnose`: a Fivetran webhook payload, a Platform Connector
LOG row, or `{"id": ..., "message": ...}`; each becomes one `DiagnoseInput`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fivetran_recovery.models.webhook import WebhookEvent

NON_FAILURE_STATUSES = frozenset({"SUCCESSFUL"})
LOG_ERROR_LEVELS = frozenset({"SEVERE", "WARNING", "ERROR"})
MAX_MESSAGE_CHARS = 100_000


class InputError(ValueError):
    """A line that is none of the accepted shapes, or is malformed; the message names the problem."""


@dataclass(frozen=True)
class DiagnoseInput:
    id: str
    message: str
    kind: str  # webhook | log_row | message
    status: str | None = None
    task_type: str | None = None
    connection_id: str | None = None
    connector_type: str | None = None
    event: WebhookEvent | None = None
    is_failure: bool = True


def parse_line(line: str) -> DiagnoseInput:
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    return parse_input(raw)


def parse_input(raw: Any) -> DiagnoseInput:
    if not isinstance(raw, Mapping):
        raise InputError(f"expected a JSON object, got {type(raw).__name__}")
    if "message_data" in raw or "message_event" in raw:
        return _from_log_row(raw)
    if "event" in raw and "created" in raw:
        return _from_webhook(raw)
    if "message" in raw:
        return _from_message(raw)
    raise InputError(
        "unrecognised object: expected a webhook payload (event, created), a LOG row (message_event, "
        "message_data) or {id, message}"
    )


def _from_message(raw: Mapping[str, Any]) -> DiagnoseInput:
    message = raw.get("message")
    if not isinstance(message, str) or not message.strip():
        raise InputError("'message' must be a non-empty string")
    if "id" not in raw or raw["id"] in (None, ""):
        raise InputError("'id' is required with 'message'")
    status = raw.get("status")
    task_type = raw.get("task_type") or raw.get("taskType")
    return DiagnoseInput(
        id=str(raw["id"]),
        message=message[:MAX_MESSAGE_CHARS],
        kind="message",
        status=str(status) if status else None,
        task_type=str(task_type) if task_type else None,
        connection_id=raw.get("connection_id"),
        connector_type=raw.get("connector_type"),
    )


def _from_webhook(raw: Mapping[str, Any]) -> DiagnoseInput:
    try:
        event = WebhookEvent.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in exc.errors()[:3])
        raise InputError(f"invalid webhook payload: {problems}") from None
    data = event.data if isinstance(event.data, dict) else {}
    status = data.get("status")
    message = _webhook_message(data)
    is_failure = event.is_failure or bool(getattr(event, "is_transformation_failure", False))
    if status and str(status).upper() not in NON_FAILURE_STATUSES and message:
        is_failure = True
    return DiagnoseInput(
        id=event.sync_id or event.event_key,
        message=message[:MAX_MESSAGE_CHARS],
        kind="webhook",
        status=str(status) if status else None,
        task_type=data.get("taskType") or data.get("task_type"),
        connection_id=event.connection_id,
        connector_type=event.connector_type,
        event=event,
        is_failure=is_failure,
    )


def _webhook_message(data: Mapping[str, Any]) -> str:
    if data.get("reason"):
        return str(data["reason"])
    result = data.get("result")
    if isinstance(result, Mapping):
        parts = [str(result.get("description") or "")]
        for step in result.get("stepResults") or []:
            if isinstance(step, Mapping) and step.get("errors"):
                parts.append(json.dumps(step["errors"]))
        return " ".join(p for p in parts if p)
    return str(data.get("message") or data.get("error") or "")


def _from_log_row(raw: Mapping[str, Any]) -> DiagnoseInput:
    if not raw.get("id"):
        raise InputError("LOG row without 'id'")
    data = _decode_message_data(raw.get("message_data"))
    level = str(raw.get("event") or "").upper()
    status = data.get("status")
    message = str(data.get("reason") or data.get("message") or data.get("error") or "")
    if not message and isinstance(raw.get("message_data"), str) and not data:
        message = raw["message_data"]
    failure_status = bool(status) and str(status).upper() not in NON_FAILURE_STATUSES
    is_failure = level in LOG_ERROR_LEVELS or failure_status
    return DiagnoseInput(
        id=str(raw["id"]),
        message=message[:MAX_MESSAGE_CHARS],
        kind="log_row",
        status=str(status) if status else None,
        task_type=data.get("taskType") or data.get("task_type"),
        connection_id=raw.get("connection_id") or raw.get("connector_id"),
        is_failure=is_failure and bool(message or failure_status),
    )


def _decode_message_data(value: Any) -> dict[str, Any]:
    for _ in range(2):  # Platform Connector rows are sometimes double-encoded
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except ValueError:
                return {}
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("LOG row 'message_data' is not a JSON object")
    return value

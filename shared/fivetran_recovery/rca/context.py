"""Incident context: what the RCA (rules and LLM) may look at, each piece tagged with where it came from.

Everything is redacted on the way in and bounded in size. Fetching is best-effort: a failing Fivetran call is
recorded in `errors` and the rest of the context is still gathered. The Fivetran client is duck-typed (any object
with `get_connection(id)`, `get_schema_config(id)`, `run_setup_tests(id)`), so this module never imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.rca.redaction import redact
from fivetran_recovery.redaction import clip

DEFAULT_MAX_CHARS = 12_000
MIN_PIECE_CHARS = 400
HISTORY_LIMIT = 20
TRUNCATION_MARK = " …[truncated]"
BROKEN_SETUP_STATES = frozenset({"broken", "incomplete"})

# Priority when the budget is tight: earlier sources keep their text, later ones are cut first.
SOURCE_PRIORITY = (
    "webhook",
    "fivetran.connection",
    "fivetran.setup_tests",
    "schema.diff",
    "history",
    "fivetran.schema_config",
)


class ContextPiece(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="E1, E2 ...: how the LLM cites this piece")
    source: str = Field(description="where it came from, e.g. webhook, fivetran.connection, history")
    content: str
    truncated: bool = False


class ContextError(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    error: str


class IncidentContext(BaseModel):
    """Everything known about one failure, redacted and bounded."""

    connection_id: str | None = None
    connector_type: str | None = None
    event: str = "unknown"
    status: str | None = None
    reason: str = ""
    task_type: str | None = None
    pieces: list[ContextPiece] = Field(default_factory=list)
    errors: list[ContextError] = Field(default_factory=list)
    max_chars: int = DEFAULT_MAX_CHARS

    @property
    def total_chars(self) -> int:
        return sum(len(p.content) for p in self.pieces)

    def piece(self, piece_id: str) -> ContextPiece | None:
        return next((p for p in self.pieces if p.id == piece_id), None)

    def sources(self) -> list[str]:
        return [p.source for p in self.pieces]


def gather_context(
    event: WebhookEvent,
    *,
    fivetran: Any = None,
    history: list[Any] | None = None,
    previous_schema: Any = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    run_setup_tests: bool | None = None,
) -> IncidentContext:
    """Collect the context of one failing event. Never raises for a failing source; see `errors`.

    `run_setup_tests`: None (default) runs them only when the connection's setup is broken or incomplete;
    setup tests hit the source and count against Fivetran's rate limits, so they are not run otherwise.
    """
    if max_chars < MIN_PIECE_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_PIECE_CHARS}")
    data = event.data if isinstance(event.data, dict) else {}
    reason = redact(event_reason(data))
    task_type = data.get("taskType") or data.get("task_type")
    raw: list[tuple[str, str]] = [("webhook", _describe_event(event, data, reason, task_type))]
    errors: list[ContextError] = []

    connection: dict[str, Any] | None = None
    if fivetran is not None and event.connection_id:
        connection = _fetch(errors, "fivetran.connection", lambda: fivetran.get_connection(event.connection_id))
        if connection is not None:
            raw.append(("fivetran.connection", _describe_connection(connection)))
        setup_state = ((connection or {}).get("status") or {}).get("setup_state")
        wants_tests = run_setup_tests if run_setup_tests is not None else setup_state in BROKEN_SETUP_STATES
        if wants_tests:
            tested = _fetch(errors, "fivetran.setup_tests", lambda: fivetran.run_setup_tests(event.connection_id))
            if tested is not None:
                raw.append(("fivetran.setup_tests", _describe_setup_tests(tested)))
        schema = _fetch(errors, "fivetran.schema_config", lambda: fivetran.get_schema_config(event.connection_id))
        if schema is not None:
            if previous_schema is not None:
                raw.append(("schema.diff", describe_schema_diff(_as_dict(previous_schema), schema)))
            raw.append(("fivetran.schema_config", _describe_schema(schema)))
    if history:
        raw.append(("history", describe_history(history)))

    pieces = _bound(raw, max_chars)
    return IncidentContext(
        connection_id=event.connection_id,
        connector_type=event.connector_type,
        event=event.event,
        status=event.status,
        reason=reason,
        task_type=task_type,
        pieces=pieces,
        errors=errors,
        max_chars=max_chars,
    )


def context_from_message(message: str, *, status: str | None = None, task_type: str | None = None) -> IncidentContext:
    """A minimal context for a bare message (the CLI's `{id, message}` lines)."""
    reason = redact(message or "")
    lines = [f"status: {status}" if status else "", f"taskType: {task_type}" if task_type else "", f"reason: {reason}"]
    content = "\n".join(line for line in lines if line)
    pieces = _bound([("message", content)], DEFAULT_MAX_CHARS)
    return IncidentContext(status=status, reason=reason, task_type=task_type, pieces=pieces)


# --- describing each source ------------------------------------------------------------------------------


def event_reason(data: Mapping[str, Any]) -> str:
    """The failure text of a webhook's `data`: `reason`, or a dbt/transformation result's description."""
    if data.get("reason"):
        return str(data["reason"])
    result = data.get("result")
    if isinstance(result, Mapping):  # dbt_run_failed / transformation failures
        parts = [str(result.get("description") or "")]
        for step in result.get("stepResults") or []:
            if isinstance(step, Mapping) and step.get("errors"):
                parts.append(json.dumps(step.get("errors"))[:1000])
        return " ".join(p for p in parts if p)
    return str(data.get("message") or data.get("error") or "")


def _describe_event(event: WebhookEvent, data: Mapping[str, Any], reason: str, task_type: Any) -> str:
    fields = {
        "event": event.event,
        "created": event.created.isoformat(),
        "connection_id": event.connection_id,
        "connector_type": event.connector_type,
        "sync_id": event.sync_id,
        "status": data.get("status"),
        "taskType": task_type,
        "rescheduledAt": data.get("rescheduledAt"),
        "reason": reason,
    }
    return "\n".join(f"{key}: {value}" for key, value in fields.items() if value not in (None, ""))


def _describe_connection(connection: Mapping[str, Any]) -> str:
    status = connection.get("status") or {}
    lines = [
        f"service: {connection.get('service')}",
        f"paused: {connection.get('paused')}",
        f"schedule_type: {connection.get('schedule_type')}, sync_frequency: {connection.get('sync_frequency')}",
        f"succeeded_at: {connection.get('succeeded_at')}, failed_at: {connection.get('failed_at')}",
        f"setup_state: {status.get('setup_state')}, sync_state: {status.get('sync_state')}, "
        f"update_state: {status.get('update_state')}, rescheduled_for: {status.get('rescheduled_for')}",
    ]
    for kind in ("tasks", "warnings"):
        for alert in status.get(kind) or []:
            if isinstance(alert, Mapping):
                lines.append(f"{kind[:-1]}: {alert.get('code')}: {alert.get('message')} {alert.get('details') or ''}")
    return redact("\n".join(lines))


def _describe_setup_tests(result: Mapping[str, Any]) -> str:
    tests = result.get("setup_tests") if "setup_tests" in result else result.get("tests", [])
    lines = []
    for test in tests or []:
        if isinstance(test, Mapping):
            lines.append(f"{test.get('status')}: {test.get('title')}: {test.get('message') or ''}")
    return redact("\n".join(lines) or "no setup test results returned")


def _describe_schema(schema: Mapping[str, Any]) -> str:
    schemas = schema.get("schemas") or {}
    tables = [(s, t, cfg) for s, entry in schemas.items() for t, cfg in ((entry or {}).get("tables") or {}).items()]
    enabled = sum(1 for _, _, cfg in tables if (cfg or {}).get("enabled"))
    blocked = [
        f"{s}.{t}: {((cfg or {}).get('enabled_patch_settings') or {}).get('reason')}"
        for s, t, cfg in tables
        if ((cfg or {}).get("enabled_patch_settings") or {}).get("allowed") is False
    ]
    lines = [
        f"schema_change_handling: {schema.get('schema_change_handling')}",
        f"schemas: {len(schemas)}, tables: {len(tables)}, enabled tables: {enabled}",
        *(f"not allowed: {b}" for b in blocked[:20]),
    ]
    return redact("\n".join(lines))


def _columns(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`schema.table` -> {"enabled": bool, "columns": {name: enabled}} for a schema-config document."""
    flat: dict[str, dict[str, Any]] = {}
    for schema_name, entry in (schema.get("schemas") or {}).items():
        for table_name, table in ((entry or {}).get("tables") or {}).items():
            table = table or {}
            columns = {name: (cfg or {}).get("enabled") for name, cfg in (table.get("columns") or {}).items()}
            flat[f"{schema_name}.{table_name}"] = {"enabled": table.get("enabled"), "columns": columns}
    return flat


def describe_schema_diff(previous: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """What changed between the last good schema snapshot and now: tables and columns added, removed, toggled."""
    before, after = _columns(previous), _columns(current)
    lines = []
    if previous.get("schema_change_handling") != current.get("schema_change_handling"):
        lines.append(
            f"schema_change_handling: {previous.get('schema_change_handling')} -> "
            f"{current.get('schema_change_handling')}"
        )
    lines += [f"table added: {t}" for t in sorted(after.keys() - before.keys())]
    lines += [f"table removed: {t}" for t in sorted(before.keys() - after.keys())]
    for table in sorted(before.keys() & after.keys()):
        old, new = before[table], after[table]
        if old["enabled"] != new["enabled"]:
            lines.append(f"table {'enabled' if new['enabled'] else 'disabled'}: {table}")
        lines += [f"column added: {table}.{c}" for c in sorted(new["columns"].keys() - old["columns"].keys())]
        lines += [f"column removed: {table}.{c}" for c in sorted(old["columns"].keys() - new["columns"].keys())]
        for column in sorted(old["columns"].keys() & new["columns"].keys()):
            if old["columns"][column] != new["columns"][column]:
                lines.append(f"column {'enabled' if new['columns'][column] else 'disabled'}: {table}.{column}")
    return redact("\n".join(lines) or "no difference from the last good schema snapshot")


def describe_history(history: Iterable[Any], *, limit: int = HISTORY_LIMIT) -> str:
    """Recent syncs, newest last: outcome, time, reason. Accepts webhook-shaped dicts, LOG rows or models."""
    rows = [_as_dict(item) for item in history][-limit:]
    outcomes: list[str] = []
    lines: list[str] = []
    for row in rows:
        data = row.get("data") if isinstance(row.get("data"), Mapping) else _log_message_data(row)
        status = str(data.get("status") or row.get("status") or row.get("event") or "?")
        when = row.get("created") or row.get("time_stamp") or row.get("at") or ""
        reason = data.get("reason") or data.get("message") or row.get("reason") or ""
        outcomes.append(status)
        lines.append(f"{when} {status} {clip(str(reason), 200)}".strip())
    failures = sum(1 for o in outcomes if o.upper() in {"FAILURE", "FAILURE_WITH_TASK", "FAILED", "SEVERE"})
    header = f"last {len(rows)} events: {failures} failures; outcomes oldest->newest: {', '.join(outcomes)}"
    return redact("\n".join([header, *lines]))


def _log_message_data(row: Mapping[str, Any]) -> dict[str, Any]:
    value: Any = row.get("message_data")
    for _ in range(2):  # message_data is sometimes double-encoded
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return {"message": value}
    return value if isinstance(value, dict) else {}


# --- plumbing --------------------------------------------------------------------------------------------


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Mapping):
        inner = value.get("data")
        if isinstance(inner, Mapping) and ("status" in inner or "schemas" in inner or "setup_tests" in inner):
            return dict(inner)  # an API envelope {code, data}
        return dict(value)
    raise TypeError(f"expected a mapping or a pydantic model, got {type(value).__name__}")


def _fetch(errors: list[ContextError], source: str, call: Callable[[], Any]) -> dict[str, Any] | None:
    try:
        return _as_dict(call())
    except Exception as exc:  # recorded, never raised: the diagnosis must go on without this piece
        errors.append(ContextError(source=source, error=redact(f"{type(exc).__name__}: {exc}")[:500]))
        return None


def _bound(raw: list[tuple[str, str]], max_chars: int) -> list[ContextPiece]:
    """Cap every piece, then cut the lowest-priority pieces until the total fits `max_chars`."""
    per_piece = max(MIN_PIECE_CHARS, max_chars // max(1, len(raw)))
    capped = [(source, *_cut(text, per_piece)) for source, text in raw]
    rank = {source: i for i, source in enumerate(SOURCE_PRIORITY)}
    order = sorted(range(len(capped)), key=lambda i: rank.get(capped[i][0], len(rank)), reverse=True)
    total = sum(len(text) for _, text, _ in capped)
    for index in order:
        if total <= max_chars:
            break
        source, text, truncated = capped[index]
        keep = max(0, len(text) - (total - max_chars))
        new_text, cut = _cut(text, keep) if keep >= MIN_PIECE_CHARS // 4 else ("", True)
        total -= len(text) - len(new_text)
        capped[index] = (source, new_text, truncated or cut)
    pieces = []
    for source, text, truncated in capped:
        if text:
            pieces.append(ContextPiece(id=f"E{len(pieces) + 1}", source=source, content=text, truncated=truncated))
    return pieces


def _cut(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[: max(0, limit - len(TRUNCATION_MARK))] + TRUNCATION_MARK, True

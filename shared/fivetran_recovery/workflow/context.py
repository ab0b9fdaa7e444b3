"""What a plan touches beyond the playbook: tables, columns, primary keys, the connection's schedule.

Scope comes from structure, never from text. The tables a step may touch on its own come from the diff
between the connection's last known-good schema snapshot and its current schema config; primary keys from the
schema config. Names in the failure text (or the LLM's words) are only *suggestions*: kept when they exist in the
connection's schema config, shown to a human, and a step scoped by them always waits for approval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.fivetran.models import destination_names
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.snapshots.diff import SchemaDiff, schema_tables

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_TABLE_REF = re.compile(
    rf"\btable\s*[:=]?\s*[`\"']?(?P<schema>{_IDENT})[`\"']?\.[`\"']?(?P<table>{_IDENT})[`\"']?", re.IGNORECASE
)
_COLUMN_REF = re.compile(
    rf"\bcolumn\s+[`\"']?(?P<column>{_IDENT})[`\"']?\s+(?:in|of|on)\s+(?:table\s+)?"
    rf"[`\"']?(?P<schema>{_IDENT})[`\"']?\.[`\"']?(?P<table>{_IDENT})[`\"']?",
    re.IGNORECASE,
)
_IDENT_ONLY = re.compile(rf"^{_IDENT}$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_NOT_TABLES = frozenset({
    "error", "errors", "failed", "failure", "sync", "table", "tables", "column", "schema", "java", "lang", "with",
    "the", "and", "for", "from", "exception", "endpoint", "endpoints", "connection", "source", "destination",
})


@dataclass
class PlanContext:
    connection_id: str
    connection: Mapping[str, Any] | None = None
    tables: dict[str, list[str]] = field(default_factory=dict)  # from the schema diff: may run on its own
    primary_keys: list[str] = field(default_factory=list)  # from the schema config
    columns: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # structural (or an approver's)
    dialect: str = "snowflake"
    suggested_tables: dict[str, list[str]] = field(default_factory=dict)  # named by text, exist in the schema
    suggested_columns: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    diff: SchemaDiff | None = None
    incident_id: str = ""  # names the backups a recovery script keeps
    # "schema.table" (source names) -> (schema, table) in the warehouse: `name_in_destination`
    destinations: dict[str, tuple[str, str]] = field(default_factory=dict)

    def destination(self, schema: str, table: str) -> tuple[str, str]:
        return self.destinations.get(f"{schema}.{table}", (schema, table))

    @property
    def schedule_type(self) -> str | None:
        return (self.connection or {}).get("schedule_type")

    @property
    def sync_frequency(self) -> int | None:
        return (self.connection or {}).get("sync_frequency")

    @property
    def rescheduled_for(self) -> str | None:
        status = (self.connection or {}).get("status") or {}
        return status.get("rescheduled_for") if isinstance(status, Mapping) else None


def _texts(diagnosis: Diagnosis, event: Mapping[str, Any]) -> list[str]:
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    texts = [e.detail for e in diagnosis.evidence] + [diagnosis.summary]
    if isinstance(data.get("reason"), str):
        texts.append(data["reason"])
    return texts


def _add(found: dict[str, list[str]], schema: str, table: str) -> None:
    if _IDENT_ONLY.match(schema) and _IDENT_ONLY.match(table) and table not in found.setdefault(schema, []):
        found[schema].append(table)


def suggested_tables(
    diagnosis: Diagnosis, event: Mapping[str, Any], schema_config: Mapping[str, Any] | None
) -> dict[str, list[str]]:
    """{schema: [tables]} the failure text names ("table sales.orders", or a table name as a word) that exist in
    the connection's schema config; nothing without a schema config (text alone names nothing)."""
    known = schema_tables(schema_config)
    if not known:
        return {}
    by_lower = {(s.lower(), t.lower()): (s, t) for s, t in known}
    found: dict[str, list[str]] = {}
    texts = _texts(diagnosis, event)
    for text in texts:
        for match in _TABLE_REF.finditer(text):
            hit = by_lower.get((match.group("schema").lower(), match.group("table").lower()))
            if hit:
                _add(found, *hit)
    if not found:  # Fivetran often names failing endpoints: "{CONTACT=java.lang.NullPointerException, ...}"
        words = {w.lower() for text in texts for w in _WORD.findall(text)} - _NOT_TABLES
        for schema, table in known:
            if table.lower() in words:
                _add(found, schema, table)
    return found


def suggested_columns(
    diagnosis: Diagnosis, event: Mapping[str, Any], schema_config: Mapping[str, Any] | None
) -> dict[str, dict[str, list[str]]]:
    """{schema: {table: [columns]}} named as incompatible ("column amount in table sales.orders") that exist in
    the connection's schema config."""
    known = schema_tables(schema_config)
    found: dict[str, dict[str, list[str]]] = {}
    for text in _texts(diagnosis, event):
        for match in _COLUMN_REF.finditer(text):
            schema, table, column = match.group("schema"), match.group("table"), match.group("column")
            if column in known.get((schema, table), {}) and _IDENT_ONLY.match(column):
                names = found.setdefault(schema, {}).setdefault(table, [])
                if column not in names:
                    names.append(column)
    return found


def schema_primary_keys(schema_config: Mapping[str, Any] | None, tables: Mapping[str, list[str]]) -> list[str]:
    """The columns the schema config marks `is_primary_key`, for exactly one target table."""
    targets = [(schema, table) for schema, names in tables.items() for table in names]
    if len(targets) != 1:
        return []
    columns = schema_tables(schema_config).get(targets[0], {})
    return [name for name, cfg in columns.items() if cfg.get("is_primary_key") and _IDENT_ONLY.match(name)]


def plan_context(
    *,
    connection_id: str,
    diagnosis: Diagnosis,
    event: Mapping[str, Any],
    connection: Mapping[str, Any] | None = None,
    schema_config: Mapping[str, Any] | None = None,
    diff: SchemaDiff | None = None,
    dialect: str = "snowflake",
    incident_id: str = "",
) -> PlanContext:
    """The plan's scope: structural tables from the diff (only those present in the current config), text
    suggestions checked against the config, primary keys from the config."""
    known = schema_tables(schema_config)
    tables: dict[str, list[str]] = {}
    for schema, names in (diff.changed_tables() if diff else {}).items():
        for table in names:
            if (schema, table) in known:
                _add(tables, schema, table)
    suggested = suggested_tables(diagnosis, event, schema_config)
    named = [(s, t) for scope in (tables, suggested) for s, names in scope.items() for t in names]
    return PlanContext(
        connection_id=connection_id,
        connection=connection,
        tables=tables,
        primary_keys=schema_primary_keys(schema_config, tables or suggested),
        dialect=dialect,
        suggested_tables=suggested,
        suggested_columns=suggested_columns(diagnosis, event, schema_config),
        diff=diff,
        incident_id=incident_id,
        destinations={f"{s}.{t}": destination_names(schema_config, s, t) for s, t in named},
    )

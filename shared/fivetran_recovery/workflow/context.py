"""What a plan needs to know beyond the playbook: affected tables, primary keys, the connection's schedule.

Tables and keys are read from the webhook's data (if Fivetran or a test put them there) and from the
diagnosis' evidence and summary text ("table sales.orders", "Key (id)=..."). Everything extracted is
validated as a plain SQL identifier before it can reach a request body or a SQL statement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.models.diagnosis import Diagnosis

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_TABLE_REF = re.compile(
    rf"\btable\s*[:=]?\s*[`\"']?(?P<schema>{_IDENT})[`\"']?\.[`\"']?(?P<table>{_IDENT})[`\"']?", re.IGNORECASE
)
_COLUMN_REF = re.compile(
    rf"\bcolumn\s+[`\"']?(?P<column>{_IDENT})[`\"']?\s+(?:in|of|on)\s+(?:table\s+)?"
    rf"[`\"']?(?P<schema>{_IDENT})[`\"']?\.[`\"']?(?P<table>{_IDENT})[`\"']?",
    re.IGNORECASE,
)
_KEYS = re.compile(r"\b(?:primary\s+key|key)\s*\((?P<keys>[^)]{1,200})\)", re.IGNORECASE)
_IDENT_ONLY = re.compile(rf"^{_IDENT}$")


@dataclass
class PlanContext:
    connection_id: str
    connection: Mapping[str, Any] | None = None
    tables: dict[str, list[str]] = field(default_factory=dict)
    primary_keys: list[str] = field(default_factory=list)
    columns: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    dialect: str = "snowflake"
    incident_id: str = ""  # names the backups a recovery script keeps

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


def _add(tables: dict[str, list[str]], schema: str, table: str) -> None:
    if _IDENT_ONLY.match(schema) and _IDENT_ONLY.match(table) and table not in tables.setdefault(schema, []):
        tables[schema].append(table)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_NOT_TABLES = frozenset(
    {
        "error",
        "errors",
        "failed",
        "failure",
        "sync",
        "table",
        "tables",
        "column",
        "schema",
        "java",
        "lang",
        "with",
        "the",
        "and",
        "for",
        "from",
        "exception",
        "endpoint",
        "endpoints",
        "connection",
        "source",
        "destination",
    }
)


def _tables_in_schema_config(texts: list[str], schema_config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Tables of the connection's schema config whose names appear as words in the failure text (Fivetran
    often names the failing endpoints, e.g. "{CONTACT=java.lang.NullPointerException, DEAL=...}")."""
    words = {w.lower() for text in texts for w in _WORD.findall(text)} - _NOT_TABLES
    found = []
    schemas = schema_config.get("schemas") if isinstance(schema_config.get("schemas"), Mapping) else {}
    for schema, entry in schemas.items():
        tables = entry.get("tables") if isinstance(entry, Mapping) else None
        for table in tables or {}:
            if str(table).lower() in words:
                found.append((str(schema), str(table)))
    return found


def affected_tables(
    diagnosis: Diagnosis, event: Mapping[str, Any], schema_config: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """{schema: [tables]} named by the event data or the diagnosis (or, with the connection's schema config,
    tables of that config named in the failure text); empty when none is named."""
    tables: dict[str, list[str]] = {}
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    hinted = data.get("tables")
    if isinstance(hinted, Mapping):
        for schema, names in hinted.items():
            for name in names if isinstance(names, list) else []:
                _add(tables, str(schema), str(name))
    elif isinstance(hinted, list):
        for ref in hinted:
            if isinstance(ref, str) and ref.count(".") == 1:
                _add(tables, *ref.split("."))
    for text in _texts(diagnosis, event):
        for match in _TABLE_REF.finditer(text):
            _add(tables, match.group("schema"), match.group("table"))
    if not tables and schema_config:
        for schema, table in _tables_in_schema_config(_texts(diagnosis, event), schema_config):
            _add(tables, schema, table)
    return {schema: names for schema, names in tables.items() if names}


def affected_columns(diagnosis: Diagnosis, event: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """{schema: {table: [columns]}} named as incompatible ("column amount in table sales.orders")."""
    found: dict[str, dict[str, list[str]]] = {}

    def add(schema: str, table: str, column: str) -> None:
        if all(_IDENT_ONLY.match(v) for v in (schema, table, column)):
            names = found.setdefault(schema, {}).setdefault(table, [])
            if column not in names:
                names.append(column)

    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    hinted = data.get("columns")
    if isinstance(hinted, Mapping):
        for ref, names in hinted.items():
            if isinstance(ref, str) and ref.count(".") == 1 and isinstance(names, list):
                for name in names:
                    add(*ref.split("."), str(name))
    for text in _texts(diagnosis, event):
        for match in _COLUMN_REF.finditer(text):
            add(match.group("schema"), match.group("table"), match.group("column"))
    return found


def _keys_in_schema_config(schema_config: Mapping[str, Any], schema: str, table: str) -> list[str]:
    try:
        columns = schema_config["schemas"][schema]["tables"][table]["columns"]
    except (KeyError, TypeError):
        return []
    return [name for name, column in columns.items() if isinstance(column, Mapping) and column.get("is_primary_key")]


def primary_keys(
    diagnosis: Diagnosis,
    event: Mapping[str, Any],
    schema_config: Mapping[str, Any] | None = None,
    tables: Mapping[str, list[str]] | None = None,
) -> list[str]:
    """Primary-key columns: named in the event data or the failure ("Key (id)=..."), else, for exactly one
    affected table, the columns its schema config marks `is_primary_key`."""
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    hinted = data.get("primary_keys")
    if isinstance(hinted, list) and hinted and all(isinstance(k, str) and _IDENT_ONLY.match(k) for k in hinted):
        return list(hinted)
    for text in _texts(diagnosis, event):
        match = _KEYS.search(text)
        if match:
            keys = [k.strip().strip('`"') for k in match.group("keys").split(",")]
            if keys and all(_IDENT_ONLY.match(k) for k in keys):
                return keys
    targets = [(schema, table) for schema, names in (tables or {}).items() for table in names]
    if schema_config and len(targets) == 1:
        return [k for k in _keys_in_schema_config(schema_config, *targets[0]) if _IDENT_ONLY.match(k)]
    return []

"""The structured diff of two Fivetran schema configs (`data` of GET /v1/connections/{id}/schemas).

Breaking: a table or column gone, or a primary key changed (the destination cannot absorb it on its own).
Non-breaking: tables or columns added. Toggles of `enabled` are configuration changes, reported but neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TableKey = tuple[str, str]


def schema_tables(config: Mapping[str, Any] | None) -> dict[TableKey, dict[str, Mapping[str, Any]]]:
    """(schema, table) -> {column: column config} for a schema-config document (empty for None)."""
    found: dict[TableKey, dict[str, Mapping[str, Any]]] = {}
    schemas = (config or {}).get("schemas")
    for schema, entry in (schemas.items() if isinstance(schemas, Mapping) else ()):
        tables = entry.get("tables") if isinstance(entry, Mapping) else None
        for table, table_cfg in (tables.items() if isinstance(tables, Mapping) else ()):
            columns = table_cfg.get("columns") if isinstance(table_cfg, Mapping) else None
            found[(str(schema), str(table))] = {
                str(name): (cfg if isinstance(cfg, Mapping) else {})
                for name, cfg in (columns.items() if isinstance(columns, Mapping) else ())
            }
    return found


def _enabled(config: Mapping[str, Any] | None, schema: str, table: str) -> bool | None:
    try:
        value = config["schemas"][schema]["tables"][table].get("enabled")  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class SchemaDiff:
    tables_added: list[TableKey] = field(default_factory=list)
    tables_removed: list[TableKey] = field(default_factory=list)
    columns_added: dict[TableKey, list[str]] = field(default_factory=dict)
    columns_removed: dict[TableKey, list[str]] = field(default_factory=dict)
    primary_key_changed: dict[TableKey, list[str]] = field(default_factory=dict)
    toggled: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tables_added or self.tables_removed or self.columns_added or self.columns_removed
                    or self.primary_key_changed)

    @property
    def breaking(self) -> bool:
        return bool(self.tables_removed or self.columns_removed or self.primary_key_changed)

    @property
    def kind(self) -> str:
        """`none`, `breaking` or `non_breaking`."""
        return "none" if self.empty else "breaking" if self.breaking else "non_breaking"

    def changed_tables(self) -> dict[str, list[str]]:
        """{schema: [tables]} whose source schema changed additively: what a table re-sync should cover."""
        scope: dict[str, list[str]] = {}
        for schema, table in [*self.tables_added, *self.columns_added]:
            if table not in scope.setdefault(schema, []):
                scope[schema].append(table)
        return scope

    def lines(self) -> list[str]:
        out = [f"table added: {s}.{t}" for s, t in self.tables_added]
        out += [f"table removed: {s}.{t}" for s, t in self.tables_removed]
        out += [f"column added: {s}.{t}.{c}" for (s, t), cols in self.columns_added.items() for c in cols]
        out += [f"column removed: {s}.{t}.{c}" for (s, t), cols in self.columns_removed.items() for c in cols]
        out += [f"primary key changed: {s}.{t} ({', '.join(c)})" for (s, t), c in self.primary_key_changed.items()]
        return out + self.toggled

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "changes": self.lines(), "tables": self.changed_tables()}


def _keys(columns: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {name for name, cfg in columns.items() if cfg.get("is_primary_key")}


def diff_schemas(previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None) -> SchemaDiff:
    """What changed from the known-good `previous` config to `current` (both schema-config documents)."""
    before, after = schema_tables(previous), schema_tables(current)
    columns_added: dict[TableKey, list[str]] = {}
    columns_removed: dict[TableKey, list[str]] = {}
    keys_changed: dict[TableKey, list[str]] = {}
    toggled: list[str] = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        if added := sorted(new.keys() - old.keys()):
            columns_added[key] = added
        if removed := sorted(old.keys() - new.keys()):
            columns_removed[key] = removed
        old_keys, new_keys = _keys(old), _keys(new)
        if old_keys and new_keys and old_keys != new_keys:
            keys_changed[key] = sorted(old_keys ^ new_keys)
        was, now = _enabled(previous, *key), _enabled(current, *key)
        if was is not None and now is not None and was != now:
            toggled.append(f"table {'enabled' if now else 'disabled'}: {key[0]}.{key[1]}")
        for column in sorted(old.keys() & new.keys()):
            was_on, is_on = old[column].get("enabled"), new[column].get("enabled")
            if isinstance(was_on, bool) and isinstance(is_on, bool) and was_on != is_on:
                toggled.append(f"column {'enabled' if is_on else 'disabled'}: {key[0]}.{key[1]}.{column}")
    if (previous or {}).get("schema_change_handling") != (current or {}).get("schema_change_handling"):
        toggled.append(f"schema_change_handling: {(previous or {}).get('schema_change_handling')} -> "
                       f"{(current or {}).get('schema_change_handling')}")
    return SchemaDiff(
        tables_added=sorted(after.keys() - before.keys()),
        tables_removed=sorted(before.keys() - after.keys()),
        columns_added=columns_added,
        columns_removed=columns_removed,
        primary_key_changed=keys_changed,
        toggled=toggled,
    )

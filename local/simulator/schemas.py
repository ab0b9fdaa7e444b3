"""The schema-config operations of the simulated API: read, PATCH (whole, per schema, table or column), reload,
and the columns endpoint. A mixin of `SimulatorCore`; no HTTP.

Strict as the definitions are (connections/connection_schema_config.json and friends):
- the schema config lists every schema and table, but only the columns a user explicitly set ("unedited columns
  are omitted"); the columns endpoint lists them all, and works only for a connected connection;
- names are case-sensitive (a wrong case is a 404);
- a column whose `enabled_patch_settings.allowed` is false (primary key, system column) cannot be excluded, and
  a table with `supports_columns_config: false` takes no column change (400 with the reason);
- a PATCH while a sync runs must stop the sync first (the in-progress-sync error when it cannot).
"""

from __future__ import annotations

import copy
from typing import Any

from local.simulator.fleet import SimConnection
from local.simulator.rules import SimApiError, bad_request, merge_schemas

HANDLING = ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL")


def _column_refs(patch: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    refs = []
    for schema, schema_patch in (patch.get("schemas") or {}).items():
        if not isinstance(schema_patch, dict):
            continue
        for table, table_patch in (schema_patch.get("tables") or {}).items():
            if not isinstance(table_patch, dict):
                continue
            for column, column_patch in (table_patch.get("columns") or {}).items():
                if isinstance(column_patch, dict):
                    refs.append((schema, table, column, column_patch))
    return refs


class SchemaOps:
    def _visible_schema_config(self, conn: SimConnection) -> dict[str, Any]:
        """What GET /schemas answers: every schema and table, only the columns a user set."""
        config = copy.deepcopy(conn.schema_config)
        if self.fidelity.all_columns_in_schema_config:
            return config
        for schema_name, schema in config.get("schemas", {}).items():
            for table_name, table in schema.get("tables", {}).items():
                table["columns"] = {
                    name: column
                    for name, column in table.get("columns", {}).items()
                    if (schema_name, table_name, name) in conn.edited_columns
                }
        return config

    def schema_config(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            return self._visible_schema_config(self._get(connection_id))

    def source_schema_config(self, connection_id: str) -> dict[str, Any]:
        """Every schema, table and column, edited or not (the simulator's truth, not an API answer): what the
        embedded warehouse is built from."""
        with self._lock:
            return copy.deepcopy(self._get(connection_id).schema_config)

    def table_columns(self, connection_id: str, schema: str, table: str) -> dict[str, Any]:
        """GET …/schemas/{schema}/tables/{table}/columns: the real-time column list of one source table."""
        with self._lock:
            conn = self._get(connection_id)
            if conn.setup_state != "connected":
                raise bad_request("This endpoint works only for a connection in the 'Connected' state")
            table_config = self._table(conn, schema, table)
            return {"columns": copy.deepcopy(table_config.get("columns", {}))}

    @staticmethod
    def _table(conn: SimConnection, schema: str, table: str) -> dict[str, Any]:
        entry = conn.schema_config.get("schemas", {}).get(schema)
        if entry is None:
            raise SimApiError(404, "NotFound_Schema", f"Schema '{schema}' does not exist in the schema config.")
        found = entry.get("tables", {}).get(table)
        if found is None:
            raise SimApiError(404, "NotFound_Table", f"Table '{schema}.{table}' does not exist.")
        return found

    def _check_column_patches(self, conn: SimConnection, body: dict[str, Any]) -> None:
        for schema, table, column, column_patch in _column_refs(body):
            table_config = self._table(conn, schema, table)
            if table_config.get("supports_columns_config") is False and not self.fidelity.every_feature_everywhere:
                raise bad_request(f"Table '{schema}.{table}' does not support column config")
            current = table_config.get("columns", {}).get(column)
            if current is None:
                raise SimApiError(404, "NotFound_Column", f"Column '{column}' does not exist.")
            settings = current.get("enabled_patch_settings") or {}
            if column_patch.get("enabled") is False and settings.get("allowed") is False:
                reason = settings.get("reason") or settings.get("reason_code") or "not allowed"
                raise bad_request(f"Column '{schema}.{table}.{column}' cannot be excluded: {reason}")

    def patch_schema_config(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not body:
            raise bad_request("request body must be a non-empty JSON object")
        unknown = set(body) - {"schema_change_handling", "schemas"}
        if unknown:
            raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
        handling = body.get("schema_change_handling")
        if handling is not None and handling not in HANDLING:
            raise bad_request("schema_change_handling must be ALLOW_ALL, ALLOW_COLUMNS or BLOCK_ALL")
        with self._lock:
            conn = self._get(connection_id)
            self._check_column_patches(conn, body)
            merged = copy.deepcopy(conn.schema_config)
            if handling is not None:
                merged["schema_change_handling"] = handling
                merged["enable_new_by_default"] = handling == "ALLOW_ALL"
            merge_schemas(merged["schemas"], body.get("schemas") or {})
            if conn.current is not None:
                self._stop_running_sync(conn)  # Fivetran's troubleshooting page: the sync is stopped first
            conn.schema_config = merged
            conn.edited_columns.update((s, t, c) for s, t, c, _ in _column_refs(body))
            self.logbook.add(self.now(), conn.id, "INFO", "change_schema_config", body, None)
            self._notify(conn, "schema_patch", body)
            self._emit(conn, "edit_connector")
            return self._visible_schema_config(conn)

    def patch_schema(self, connection_id: str, schema: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.patch_schema_config(connection_id, {"schemas": {schema: body}})

    def patch_table(self, connection_id: str, schema: str, table: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.patch_schema_config(connection_id, {"schemas": {schema: {"tables": {table: body}}}})

    def patch_column(
        self, connection_id: str, schema: str, table: str, column: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        patch = {"schemas": {schema: {"tables": {table: {"columns": {column: body}}}}}}
        return self.patch_schema_config(connection_id, patch)

    def reload_schema(self, connection_id: str, *, exclude_mode: str = "PRESERVE") -> dict[str, Any]:
        if exclude_mode not in ("PRESERVE", "EXCLUDE", "INCLUDE"):
            raise bad_request("exclude_mode must be PRESERVE, EXCLUDE or INCLUDE")
        with self._lock:
            conn = self._get(connection_id)
            if conn.scenario:
                conn.scenario.reload(conn.schema_config)
            self._notify(conn, "reload_schema", {"exclude_mode": exclude_mode})
            return self._visible_schema_config(conn)

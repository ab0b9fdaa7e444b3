"""The schema-config operations of the simulated API: read, PATCH, reload. A mixin of `SimulatorCore`."""

from __future__ import annotations

import copy
from typing import Any

from local.simulator.rules import bad_request, merge_schemas


class SchemaOps:
    def schema_config(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._get(connection_id).schema_config)

    def patch_schema_config(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not body:
            raise bad_request("request body must be a non-empty JSON object")
        unknown = set(body) - {"schema_change_handling", "schemas"}
        if unknown:
            raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
        handling = body.get("schema_change_handling")
        if handling is not None and handling not in ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL"):
            raise bad_request("schema_change_handling must be ALLOW_ALL, ALLOW_COLUMNS or BLOCK_ALL")
        with self._lock:
            conn = self._get(connection_id)
            merged = copy.deepcopy(conn.schema_config)
            if handling is not None:
                merged["schema_change_handling"] = handling
                merged["enable_new_by_default"] = handling == "ALLOW_ALL"
            merge_schemas(merged["schemas"], body.get("schemas") or {})
            conn.schema_config = merged
            self.logbook.add(self.now(), conn.id, "INFO", "change_schema_config", body, None)
            self._notify(conn, "schema_patch", body)
            self._emit(conn, "edit_connector")
            return copy.deepcopy(merged)

    def reload_schema(self, connection_id: str, *, exclude_mode: str = "PRESERVE") -> dict[str, Any]:
        if exclude_mode not in ("PRESERVE", "EXCLUDE", "INCLUDE"):
            raise bad_request("exclude_mode must be PRESERVE, EXCLUDE or INCLUDE")
        with self._lock:
            conn = self._get(connection_id)
            if conn.scenario:
                conn.scenario.reload(conn.schema_config)
            self._notify(conn, "reload_schema", {"exclude_mode": exclude_mode})
            return copy.deepcopy(conn.schema_config)

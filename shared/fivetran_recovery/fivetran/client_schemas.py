"""The schema endpoints of the Fivetran client (a mixin of `FivetranClient`).

What the definitions say and this code follows (../shared/fivetran/openapi/connections/):
- `GET …/schemas` omits unedited columns; `GET …/schemas/{schema}/tables/{table}/columns` lists them all (it
  queries the source, so it is a slow, rate-limited "source" call);
- a column whose `enabled_patch_settings.allowed` is false (primary key, system column) cannot be excluded, and a
  table with `supports_columns_config: false` takes no column change: refused here, with Fivetran's reason,
  before any call;
- a schema PATCH while a sync runs must stop the sync first; when Fivetran cannot ("Failed to stop in-progress
  sync after trying for 60 seconds") the change is made through pause-change-resume;
- names are case-sensitive.
"""

from __future__ import annotations

import logging
from typing import Any

from fivetran_recovery.fivetran.errors import BadRequestError, FivetranError
from fivetran_recovery.fivetran.models import EXCLUDE_MODES, SCHEMA_CHANGE_HANDLING, ColumnConfig, SchemaConfig
from fivetran_recovery.fivetran.paths import segment as _segment
from fivetran_recovery.fivetran.retry import Idempotency
from fivetran_recovery.fivetran.timeouts import SOURCE, STOP_SYNC

logger = logging.getLogger(__name__)


class ColumnChangeRefused(ValueError):
    """A column change Fivetran would refuse (primary key / system column, no column config): not sent."""


def excluded_columns(schemas: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column the patch disables."""
    found = []
    for schema, entry in (schemas or {}).items():
        for table, table_patch in ((entry or {}).get("tables") or {}).items():
            for column, column_patch in ((table_patch or {}).get("columns") or {}).items():
                if isinstance(column_patch, dict) and column_patch.get("enabled") is False:
                    found.append((schema, table, column))
    return found


def schema_patch_applied(config: SchemaConfig, body: dict[str, Any]) -> bool:
    """Whether the schema config already shows the PATCH `body` (to confirm an ambiguous write)."""
    handling = body.get("schema_change_handling")
    if handling is not None and config.schema_change_handling != handling:
        return False
    for schema, entry in (body.get("schemas") or {}).items():
        current = config.schemas.get(schema)
        if current is None:
            return False
        if "enabled" in entry and current.enabled != entry["enabled"]:
            return False
        for table, table_patch in (entry.get("tables") or {}).items():
            table_now = current.tables.get(table)
            if table_now is None:
                return False
            if "enabled" in table_patch and table_now.enabled != table_patch["enabled"]:
                return False
            for column, column_patch in (table_patch.get("columns") or {}).items():
                column_now = table_now.columns.get(column)  # an edited column is always listed
                if column_now is None or column_now.enabled != column_patch.get("enabled", column_now.enabled):
                    return False
    return True


class SchemaMethods:
    def get_schema_config(self, connection_id: str) -> SchemaConfig:
        path = f"connections/{_segment(connection_id, 'connection_id')}/schemas"
        return SchemaConfig.model_validate(self._data("GET", path))

    def get_table_columns(self, connection_id: str, schema: str, table: str) -> dict[str, ColumnConfig]:
        """Every column of one source table (the schema config lists only edited ones). Names are exact."""
        path = (
            f"connections/{_segment(connection_id, 'connection_id')}/schemas/{_segment(schema, 'schema')}"
            f"/tables/{_segment(table, 'table')}/columns"
        )
        data = self._data("GET", path, timeout_class=SOURCE)
        columns = data.get("columns")
        if not isinstance(columns, dict):
            raise FivetranError("answer has no columns object", method="GET", path=path)
        return {name: ColumnConfig.model_validate(value) for name, value in columns.items()}

    def schema_with_columns(
        self,
        connection_id: str,
        tables: dict[str, list[str]] | None = None,
        *,
        limit: int = 5,
        config: SchemaConfig | None = None,
    ) -> SchemaConfig:
        """The schema config with the full column list (columns endpoint) of the named tables merged in: what
        primary-key discovery, schema diffs and column planning need. At most `limit` tables (each call
        queries the source and counts against the source-interaction quota); unknown tables are skipped."""
        config = config or self.get_schema_config(connection_id)
        named = [(s, t) for s, names in (tables or {}).items() for t in names][:limit]
        for schema, table in named:
            entry = config.schemas.get(schema)
            if entry is None or table not in entry.tables:
                continue
            try:
                columns = self.get_table_columns(connection_id, schema, table)
            except BadRequestError as exc:  # "works only for a connection in the 'Connected' state"
                logger.info("columns endpoint refused; schema config kept as read", extra={"reason": exc.message})
                break
            entry.tables[table].columns = {**columns, **entry.tables[table].columns}
        return config

    def full_schema_config(self, connection_id: str, *, limit: int = 50) -> SchemaConfig:
        """The schema config with every table's full column list (at most `limit` tables get the columns call):
        what a schema snapshot and the diff against it need, so that an unedited column is not "missing"."""
        config = self.get_schema_config(connection_id)
        tables = {schema: list(entry.tables) for schema, entry in config.schemas.items()}
        return self.schema_with_columns(connection_id, tables, limit=limit, config=config)

    def primary_keys(self, connection_id: str, schema: str, table: str) -> list[str]:
        return [n for n, c in self.get_table_columns(connection_id, schema, table).items() if c.is_primary_key]

    def destination_table(self, connection_id: str, schema: str, table: str) -> tuple[str, str]:
        """The warehouse (schema, table) of a source table, from `name_in_destination` (for recovery SQL)."""
        return self.get_schema_config(connection_id).destination(schema, table)

    def check_column_changes(self, connection_id: str, schemas: dict[str, Any]) -> None:
        """Refuse, before calling, an exclusion Fivetran would refuse (the reason is Fivetran's own)."""
        tables: dict[tuple[str, str], dict[str, ColumnConfig]] = {}
        config: SchemaConfig | None = None
        for schema, table, column in excluded_columns(schemas):
            if (schema, table) not in tables:
                config = config or self.get_schema_config(connection_id)
                entry = config.schemas.get(schema)
                table_config = entry.tables.get(table) if entry is not None else None
                if table_config is not None and table_config.supports_columns_config is False:
                    raise ColumnChangeRefused(f"table {schema}.{table} does not support column config")
                tables[(schema, table)] = self.get_table_columns(connection_id, schema, table)
            found = tables[(schema, table)].get(column)
            if found is None:
                raise ColumnChangeRefused(f"column {schema}.{table}.{column} does not exist (names are case-sensitive)")
            settings = found.enabled_patch_settings
            if settings is not None and settings.allowed is False:
                why = settings.reason or settings.reason_code or "Fivetran does not allow it"
                raise ColumnChangeRefused(f"column {schema}.{table}.{column} cannot be excluded: {why}")

    def update_schema_config(
        self,
        connection_id: str,
        *,
        schema_change_handling: str | None = None,
        schemas: dict[str, Any] | None = None,
    ) -> SchemaConfig:
        """PATCH the schema config: column exclusions are checked first; if a running sync cannot be stopped,
        the change goes through pause-change-resume (when `auto_pause_on_sync_conflict`)."""
        body: dict[str, Any] = {}
        if schema_change_handling is not None:
            if schema_change_handling not in SCHEMA_CHANGE_HANDLING:
                raise ValueError(f"schema_change_handling must be one of {SCHEMA_CHANGE_HANDLING}")
            body["schema_change_handling"] = schema_change_handling
        if schemas is not None:
            if not isinstance(schemas, dict) or not schemas:
                raise ValueError("schemas must be a non-empty mapping of schema name to its config")
            body["schemas"] = schemas
            self.check_column_changes(connection_id, schemas)
        if not body:
            raise ValueError("update_schema_config needs schema_change_handling or schemas")
        path = f"connections/{_segment(connection_id, 'connection_id')}/schemas"

        def patch() -> SchemaConfig:
            def confirm() -> dict[str, Any] | None:
                current = self.get_schema_config(connection_id)
                return current.model_dump(mode="json") if schema_patch_applied(current, body) else None

            data = self._data(
                "PATCH", path, json=body, idempotency=Idempotency.CONFIRM, confirm=confirm, timeout_class=STOP_SYNC
            )
            return SchemaConfig.model_validate(data)

        try:
            return patch()
        except FivetranError as exc:
            if not (exc.is_sync_stop_timeout and self.auto_pause_on_sync_conflict):
                raise
            logger.info("in-progress sync blocked the schema change; pausing first", extra={"path": exc.path})
            return self.with_pause(connection_id, patch)[0]

    def reload_schema(self, connection_id: str, *, exclude_mode: str = "PRESERVE") -> SchemaConfig:
        if exclude_mode not in EXCLUDE_MODES:
            raise ValueError(f"exclude_mode must be one of {EXCLUDE_MODES}")
        path = f"connections/{_segment(connection_id, 'connection_id')}/schemas/reload"
        data = self._data("POST", path, json={"exclude_mode": exclude_mode}, timeout_class=SOURCE)
        return SchemaConfig.model_validate(data)

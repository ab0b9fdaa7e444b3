"""The embedded warehouse of the local stack: DuckDB with Fivetran-shaped tables (every synced table carries
`_fivetran_synced`, `_fivetran_deleted` and `_fivetran_id`), where the approved recovery SQL really runs.

    warehouse = EmbeddedWarehouse()                      # in memory; EmbeddedWarehouse(path) for a file
    warehouse.create_from_schema_config(sim.source_schema_config("vivid_lantern"))
    warehouse.seed_duplicates("postgres_prod_public", "orders", copies=3)  # destination names
    os.environ["WAREHOUSE_URL"] = warehouse.url           # file-backed only; or pass warehouse.adapter()
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.recovery_sql import TableRef
from fivetran_recovery.recovery_sql.templates import duplicate_groups_sql
from fivetran_recovery.recovery_sql.warehouse import DuckDBWarehouse

SYSTEM_COLUMNS = {"_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN", "_fivetran_id": "VARCHAR"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ident(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(f"not a plain identifier: {value!r}")
    return value


class EmbeddedWarehouse:
    def __init__(self, path: str | None = None):
        import duckdb

        self.path = path
        self._con = duckdb.connect(path or ":memory:")
        self._lock = threading.Lock()
        self.primary_keys: dict[tuple[str, str], list[str]] = {}

    @property
    def url(self) -> str:
        if not self.path:
            raise ValueError("an in-memory warehouse has no URL; use adapter() in-process")
        return f"duckdb://{self.path}"

    def adapter(self) -> DuckDBWarehouse:
        """The deployed code's warehouse adapter over this database (shares the connection)."""
        return DuckDBWarehouse(connection=self._con)

    def create_table(self, schema: str, table: str, columns: Mapping[str, str], primary_key: Sequence[str]) -> None:
        """A Fivetran-shaped table: the source columns plus `_fivetran_synced` and `_fivetran_deleted`.
        Fivetran keys by the primary key but does not declare it as a constraint, which is why duplicates can
        exist at all."""
        cols = {**{_ident(k): v for k, v in columns.items()}, **SYSTEM_COLUMNS}
        ddl = ", ".join(f"{name} {kind}" for name, kind in cols.items())
        with self._lock:
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            self._con.execute(f"CREATE TABLE IF NOT EXISTS {_ident(schema)}.{_ident(table)} ({ddl})")
        self.primary_keys[(schema, table)] = list(primary_key)

    def create_query_times(self, reads: Sequence[tuple[str, datetime]] = ()) -> None:
        """`query_times (connection_id, read_at)`: when each connection's tables were read downstream, as the
        deployed warehouses' query history gives it (DuckDB has none of its own)."""
        with self._lock:
            self._con.execute("CREATE TABLE IF NOT EXISTS query_times (connection_id VARCHAR, read_at TIMESTAMP)")
            if reads:
                self._con.executemany("INSERT INTO query_times VALUES (?, ?)",
                                      [(cid, at.astimezone(UTC).replace(tzinfo=None)) for cid, at in reads])

    def create_from_schema_config(self, schema_config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """One table per enabled table of a Fivetran schema config, named as in the destination
        (`name_in_destination`), columns typed VARCHAR, keys from `is_primary_key`."""
        created = []
        for schema, entry in (schema_config.get("schemas") or {}).items():
            dest_schema = entry.get("name_in_destination") or schema
            for table, config in (entry.get("tables") or {}).items():
                if config.get("enabled") is False:
                    continue
                columns = {
                    (v.get("name_in_destination") or c): v
                    for c, v in (config.get("columns") or {}).items()
                    if v.get("enabled") is not False
                }
                keys = [c for c, v in columns.items() if v.get("is_primary_key")] or list(columns)[:1]
                dest_table = config.get("name_in_destination") or table
                self.create_table(dest_schema, dest_table, {c: "VARCHAR" for c in columns}, keys)
                created.append((dest_schema, dest_table))
        return created

    def insert(self, schema: str, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        names = [_ident(n) for n in rows[0]]
        placeholders = ", ".join("?" for _ in names)
        with self._lock:
            self._con.executemany(
                f"INSERT INTO {_ident(schema)}.{_ident(table)} ({', '.join(names)}) VALUES ({placeholders})",
                [[row[n] for n in names] for row in rows],
            )

    def seed_duplicates(
        self, schema: str, table: str, *, keys: int = 5, copies: int = 2, synced_at: datetime | None = None
    ) -> None:
        """`keys` key values, each present `copies` times with different `_fivetran_synced` (the latest last)."""
        base = synced_at or datetime.now(UTC).replace(tzinfo=None)
        columns = [r[0] for r in self._con.execute(f"DESCRIBE {_ident(schema)}.{_ident(table)}").fetchall()]
        pk = self.primary_keys[(schema, table)]
        rows = []
        for key in range(keys):
            for copy in range(copies):
                row: dict[str, Any] = {c: f"{c}-{key}-v{copy}" for c in columns if c not in SYSTEM_COLUMNS}
                row.update({k: str(key) for k in pk})
                row["_fivetran_synced"] = base + timedelta(minutes=copy)
                row["_fivetran_deleted"] = False
                row["_fivetran_id"] = f"{table}-{key}-{copy}"
                rows.append(row)
        self.insert(schema, table, rows)

    def execute(self, sql: str) -> None:
        with self._lock:
            self._con.execute(sql)

    def scalar(self, sql: str) -> Any:
        with self._lock:
            return self._con.execute(sql).fetchone()[0]

    def duplicate_keys(self, schema: str, table: str) -> int:
        sql = duplicate_groups_sql("duckdb", TableRef(schema, table), self.primary_keys[(schema, table)])
        with self._lock:
            return int(self._con.execute(sql).fetchone()[0])

    def rows(self, schema: str, table: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(f"SELECT * FROM {_ident(schema)}.{_ident(table)} ORDER BY ALL").fetchall()

    def close(self) -> None:
        self._con.close()

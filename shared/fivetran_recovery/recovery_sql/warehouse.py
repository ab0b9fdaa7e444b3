"""The warehouse adapter recovery SQL runs through. Deployed code gets one from WAREHOUSE_URL; the local stack
uses DuckDB (`duckdb:///path/to/file.duckdb`), imported lazily because duckdb is not part of the Lambda layer."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Protocol


class WarehouseError(RuntimeError):
    """The warehouse could not run the recovery SQL (nothing was committed)."""


def run_statements(cursor: Any, statements: Sequence[str]) -> None:
    """Each statement in order on one DB-API cursor; on any error, ROLLBACK (if a transaction is open) and a
    WarehouseError naming only the error's type (driver messages may quote data)."""
    try:
        for statement in statements:
            cursor.execute(statement)
    except Exception as exc:
        with contextlib.suppress(Exception):  # no transaction open
            cursor.execute("ROLLBACK")
        raise WarehouseError(f"recovery SQL failed: {type(exc).__name__}") from None


class Warehouse(Protocol):
    dialect: str

    def execute(self, statements: Sequence[str]) -> None: ...

    def scalar(self, sql: str) -> Any: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def explain(self, sql: str) -> str | None: ...


class DbApiWarehouse:
    """A DB-API 2 connection per call (`connect()`, given by each dialect): statements in order with ROLLBACK on
    error, rows, a scalar; error messages name only the error's type."""

    dialect = ""

    def connect(self) -> Any:
        raise NotImplementedError

    def execute(self, statements: Sequence[str]) -> None:
        con = self.connect()
        try:
            run_statements(con.cursor(), statements)
        finally:
            con.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        con = self.connect()
        try:
            cursor = con.cursor()
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]
        except Exception as exc:
            raise WarehouseError(f"query failed: {type(exc).__name__}") from None
        finally:
            con.close()

    def scalar(self, sql: str) -> Any:
        rows = self.rows(sql)
        return rows[0][0] if rows else None


class DuckDBWarehouse(DbApiWarehouse):
    """DuckDB by file path (a connection per call) or over a shared connection (a cursor per call)."""

    dialect = "duckdb"

    def __init__(self, path: str | None = None, *, connection: Any = None):
        if (path is None) == (connection is None):
            raise ValueError("give a DuckDB path or an open connection")
        self.path = path
        self._shared = connection

    def connect(self) -> Any:
        if self._shared is not None:
            return self._shared.cursor()
        import duckdb  # lazy: only the local stack has it

        return duckdb.connect(self.path)

    def insert_rows(self, table: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert (the DuckDB copy a draft is proven on); names are checked identifiers."""
        from fivetran_recovery.recovery_sql.identifiers import check_ident

        columns = ", ".join(f'"{check_ident(n)}"' for n in names)
        marks = ", ".join("?" for _ in names)
        con = self.connect()
        try:
            con.executemany(f'INSERT INTO "{table.schema}"."{table.table}" ({columns}) VALUES ({marks})', rows)
        finally:
            con.close()

    def explain(self, sql: str) -> str | None:
        """DuckDB's physical plan of the statement (nothing runs)."""
        return "\n".join(str(r[-1]) for r in self.rows(f"EXPLAIN {sql}"))


def warehouse_from_url(url: str | None) -> Warehouse | None:
    """`duckdb:///abs/path.duckdb` (or `duckdb://:memory:` for tests); None when no warehouse is configured."""
    if not url:
        return None
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://") or ":memory:"
        while path.startswith("//"):  # duckdb:////abs/path (four slashes) is the same absolute path
            path = path[1:]
        return DuckDBWarehouse(path)
    raise WarehouseError(f"unsupported WAREHOUSE_URL scheme in {url.split('://')[0]!r}; supported: duckdb")

"""Dedup of duplicate primary keys: keep the most recently synced row per key (`_fivetran_synced`).

One pattern for every dialect, inside a transaction: copy the surviving rows to a temporary table (QUALIFY
ROW_NUMBER() = 1), empty the table, insert the survivors back. DELETE + INSERT keeps the table's grants,
clustering and partitioning, which CREATE OR REPLACE would drop. Identifiers are validated, never interpolated
raw, so a table name taken from an error message cannot inject SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIALECTS = ("snowflake", "bigquery", "redshift", "duckdb")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_BIGQUERY_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
SYNCED_COLUMN = "_fivetran_synced"


@dataclass(frozen=True)
class TableRef:
    schema: str
    table: str
    project: str | None = None  # BigQuery only

    def __post_init__(self) -> None:
        for value in (self.schema, self.table):
            if not _IDENT.match(value):
                raise ValueError(f"not a safe SQL identifier: {value!r}")
        if self.project is not None and not _BIGQUERY_PROJECT.match(self.project):
            raise ValueError(f"not a BigQuery project id: {self.project!r}")

    def qualified(self, dialect: str) -> str:
        if dialect == "bigquery":
            parts = [p for p in (self.project, self.schema, self.table) if p]
            return "`" + ".".join(parts) + "`"
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class RecoverySql:
    dialect: str
    statements: tuple[str, ...]
    description: str

    @property
    def script(self) -> str:
        return "\n".join(s + ";" for s in self.statements)


def _check(dialect: str, keys: list[str] | tuple[str, ...]) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; one of {', '.join(DIALECTS)}")
    if not keys:
        raise ValueError("at least one primary-key column is needed")
    for key in keys:
        if not _IDENT.match(key):
            raise ValueError(f"not a safe SQL identifier: {key!r}")


def dedup_primary_key(dialect: str, table: TableRef, keys: list[str] | tuple[str, ...]) -> RecoverySql:
    _check(dialect, keys)
    target = table.qualified(dialect)
    temp = f"{table.table}_dedup"
    partition = ", ".join(keys)
    survivors = (
        f"SELECT * FROM {target} QUALIFY ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {SYNCED_COLUMN} DESC) = 1"
    )
    begin, commit, create_temp = {
        "snowflake": ("BEGIN TRANSACTION", "COMMIT", "CREATE TEMPORARY TABLE"),
        "bigquery": ("BEGIN TRANSACTION", "COMMIT TRANSACTION", "CREATE TEMP TABLE"),
        "redshift": ("BEGIN", "COMMIT", "CREATE TEMP TABLE"),
        "duckdb": ("BEGIN TRANSACTION", "COMMIT", "CREATE TEMP TABLE"),
    }[dialect]
    delete_all = f"DELETE FROM {target} WHERE TRUE" if dialect == "bigquery" else f"DELETE FROM {target}"
    statements = (
        begin,
        f"{create_temp} {temp} AS {survivors}",
        delete_all,
        f"INSERT INTO {target} SELECT * FROM {temp}",
        f"DROP TABLE {temp}",
        commit,
    )
    return RecoverySql(
        dialect=dialect,
        statements=statements,
        description=f"keep the latest {SYNCED_COLUMN} row per ({partition}) in {target}",
    )


def duplicate_count_sql(dialect: str, table: TableRef, keys: list[str] | tuple[str, ...]) -> str:
    """How many key values still have more than one row (0 once the dedup worked)."""
    _check(dialect, keys)
    partition = ", ".join(keys)
    return (
        f"SELECT COUNT(*) FROM (SELECT {partition} FROM {table.qualified(dialect)} "
        f"GROUP BY {partition} HAVING COUNT(*) > 1) AS dup"
    )

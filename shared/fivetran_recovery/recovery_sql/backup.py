"""The way back, per dialect: a copy of the table taken before the first destructive statement, and the undo
that puts it back.

- Snowflake: zero-copy `CREATE TABLE … CLONE …` (Time Travel `AT(TIMESTAMP => …)` shown as the alternative).
- BigQuery: a table clone `CREATE TABLE … CLONE …` (storage-free like a snapshot, and parsed by sqlglot, whose
  30.x parser keeps `CREATE SNAPSHOT TABLE` only as an opaque command); `FOR SYSTEM_TIME AS OF` as the alternative.
- Redshift: `CREATE TABLE … (LIKE …)` then `INSERT … SELECT` (keeps the column encodings and keys).
- DuckDB: `CREATE TABLE … AS SELECT *`.

The undo restores rows in place (DELETE + INSERT in a transaction), which keeps the table's grants; rows synced
after the action are replaced by the backup's, which the approval says.
"""

from __future__ import annotations

from datetime import datetime

import sqlglot
from sqlglot import exp

from fivetran_recovery.recovery_sql.identifiers import TableRef, check_dialect


def render(node: exp.Expression, dialect: str) -> str:
    return node.sql(dialect=dialect, identify=True)


def select_all(source: TableRef) -> exp.Select:
    return exp.select(exp.Star()).from_(source.node())


def copy_table(dialect: str, source: TableRef, copy: TableRef) -> list[str]:
    """Statements that make `copy` a full copy of `source` (it must not exist yet)."""
    check_dialect(dialect)
    if dialect in ("snowflake", "bigquery"):
        node = exp.Create(this=copy.node(), kind="TABLE", clone=exp.Clone(this=source.node()))
        return [render(node, dialect)]
    if dialect == "redshift":
        like = exp.Schema(this=copy.node(), expressions=[exp.LikeProperty(this=source.node())])
        insert = exp.insert(select_all(source), copy.node())
        return [render(exp.Create(this=like, kind="TABLE"), dialect), render(insert, dialect)]
    return [render(exp.Create(this=copy.node(), kind="TABLE", expression=select_all(source)), dialect)]


def restore_rows(dialect: str, target: TableRef, backup: TableRef) -> list[str]:
    """Put the backup's rows back into `target` in one transaction."""
    return [
        render(exp.Transaction(), dialect),
        render(exp.delete(target.node(), where=exp.true()), dialect),
        render(exp.insert(select_all(backup), target.node()), dialect),
        render(exp.Commit(), dialect),
    ]


def drop(dialect: str, table: TableRef, kind: str = "TABLE") -> str:
    return render(exp.Drop(tables=[table.node()], kind=kind, exists=True), dialect)


def time_travel(dialect: str, table: TableRef, at: datetime) -> str | None:
    """A read of the table as it was at `at`, where the dialect keeps history (shown as another way back)."""
    stamp = at.isoformat()
    datetime.fromisoformat(stamp)  # a real timestamp, nothing else reaches the SQL
    name = render(table.node(), dialect)
    if dialect == "snowflake":
        sql = f"SELECT * FROM {name} AT(TIMESTAMP => CAST('{stamp}' AS TIMESTAMPTZ))"
    elif dialect == "bigquery":
        sql = f"SELECT * FROM {name} FOR SYSTEM_TIME AS OF CAST('{stamp}' AS TIMESTAMP)"
    else:
        return None
    return render(sqlglot.parse_one(sql, read=dialect), dialect)

"""The recovery-script library: one sqlglot definition per template, rendered for each dialect with every
identifier quoted.

Parameters come from structured evidence only: table and column names from the schema config (destination names)
or the destination's information schema, keys from `is_primary_key`, and Fivetran's system columns. Nothing here
takes error text. Each template returns a `RecoveryScript` with its preview counts, backup, undo and checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlglot import exp

from fivetran_recovery.recovery_sql.backup import copy_table, drop, render, restore_rows, select_all, time_travel
from fivetran_recovery.recovery_sql.identifiers import (
    DELETED,
    SYNCED,
    TableRef,
    check_dialect,
    check_ident,
    col,
    derived_name,
    ident,
)
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement


def _count(source: exp.Expression, where: exp.Expression | None = None) -> exp.Select:
    select = exp.select(exp.Count(this=exp.Star())).from_(source)
    return select.where(where) if where is not None else select


def _keys(keys: Sequence[str]) -> list[str]:
    if not keys:
        raise ValueError("at least one primary-key column is needed")
    return [check_ident(k) for k in keys]


def _latest_first(keys: Sequence[str]) -> exp.Window:
    order = exp.Order(expressions=[exp.Ordered(this=col(SYNCED), desc=True, nulls_first=False)])
    return exp.Window(this=exp.RowNumber(), partition_by=[col(k) for k in keys], order=order)


def _backup(dialect: str, table: TableRef, token: str) -> tuple[TableRef, list[Statement]]:
    backup = table.sibling(derived_name(table.table, "bak", token))
    return backup, [Statement(sql, "backup") for sql in copy_table(dialect, table, backup)]


def _alternatives(dialect: str, table: TableRef, at: datetime | None) -> tuple[str, ...]:
    sql = time_travel(dialect, table, at) if at else None
    return (sql,) if sql else ()


def duplicate_groups_sql(dialect: str, table: TableRef, keys: Sequence[str]) -> str:
    """How many key values have more than one row (0 once a dedup worked)."""
    keys = _keys(keys)
    grouped = (
        exp.select(*[col(k) for k in keys])
        .from_(table.node())
        .group_by(*[col(k) for k in keys])
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )
    return render(_count(exp.Subquery(this=grouped, alias=exp.TableAlias(this=exp.to_identifier("dup")))), dialect)


def dedup_latest(
    dialect: str, table: TableRef, keys: Sequence[str], *, token: str = "", at: datetime | None = None
) -> RecoveryScript:
    """Keep the row with the latest `_fivetran_synced` per primary key: survivors to a temporary table, empty the
    table, insert them back, in one transaction (DELETE + INSERT keeps grants, clustering and partitioning)."""
    check_dialect(dialect)
    keys = _keys(keys)
    temp = exp.Table(this=exp.to_identifier(derived_name(table.table, "dedup", token), quoted=True))
    survivors = select_all(table).qualify(exp.EQ(this=_latest_first(keys), expression=exp.Literal.number(1)))
    ranked = exp.select(exp.alias_(_latest_first(keys), "rn", quoted=True)).from_(table.node())
    extra = _count(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("r"))))
    extra = extra.where(exp.GT(this=exp.column("rn", quoted=True), expression=exp.Literal.number(1)))
    backup, backup_statements = _backup(dialect, table, token)
    create_temp = exp.Create(
        this=temp, kind="TABLE", expression=survivors, properties=exp.Properties(expressions=[exp.TemporaryProperty()])
    )
    statements = [
        *backup_statements,
        Statement(render(exp.Transaction(), dialect), "transaction"),
        Statement(render(create_temp, dialect), "read", preview="survivors"),
        Statement(render(exp.delete(table.node(), where=exp.true()), dialect), "change", "rows_before", True),
        Statement(render(exp.insert(exp.select(exp.Star()).from_(temp.copy()), table.node()), dialect), "change",
                  "survivors"),
        Statement(render(exp.Drop(tables=[temp.copy()], kind="TABLE", exists=True), dialect), "cleanup"),
        Statement(render(exp.Commit(), dialect), "transaction"),
    ]
    return RecoveryScript(
        template="dedup_latest",
        dialect=dialect,
        target=table,
        description=f"keep the latest {SYNCED} row per ({', '.join(keys)}) in {table.name}",
        statements=tuple(statements),
        previews={
            "rows_before": render(_count(table.node()), dialect),
            "duplicate_rows": render(extra, dialect),
            "survivors": render(_count(exp.Subquery(this=survivors.copy(), alias=exp.TableAlias(
                this=exp.to_identifier("s")))), dialect),
        },
        checks=(
            Check("duplicate_keys", duplicate_groups_sql(dialect, table, keys), "0"),
            Check("rows_after", render(_count(table.node()), dialect), "rows_before - duplicate_rows"),
        ),
        undo=tuple(restore_rows(dialect, table, backup)),
        backup=backup,
        touches=(table, backup),
        alternatives=_alternatives(dialect, table, at),
    )


def drop_and_resync(dialect: str, table: TableRef, *, token: str = "", at: datetime | None = None) -> RecoveryScript:
    """Fivetran's own advice for duplicate keys it cannot merge: drop the table, then re-sync it from the source.
    The table is copied first; the undo recreates it from the copy."""
    check_dialect(dialect)
    backup, backup_statements = _backup(dialect, table, token)
    exists = table_exists_sql(dialect, table)
    return RecoveryScript(
        template="drop_and_resync",
        dialect=dialect,
        target=table,
        description=f"drop {table.name} so Fivetran re-syncs it from the source",
        statements=(*backup_statements, Statement(drop(dialect, table), "change", "rows_before", True)),
        previews={"rows_before": render(_count(table.node()), dialect), "table_exists": exists},
        checks=(Check("table_dropped", exists, "0"),),
        undo=tuple(copy_table(dialect, backup, table)),
        backup=backup,
        touches=(table, backup),
        alternatives=_alternatives(dialect, table, at),
        follow_up={"action": "resync_tables", "scope": {table.schema: [table.table]}},
        notes=("after the drop, re-sync the table in Fivetran (the follow-up step)",),
    )


def table_exists_sql(dialect: str, table: TableRef) -> str:
    if dialect == "bigquery":  # the dataset's own INFORMATION_SCHEMA
        catalog = exp.to_identifier(table.project, quoted=True) if table.project else None
        source = exp.Table(this=exp.to_identifier("INFORMATION_SCHEMA.TABLES"), db=ident(table.schema),
                           catalog=catalog)
        where = exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(table.table))
    else:
        source = exp.Table(this=exp.to_identifier("tables"), db=exp.to_identifier("information_schema"))
        where = exp.and_(
            exp.EQ(this=exp.column("table_schema"), expression=exp.Literal.string(table.schema)),
            exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(table.table)),
        )
    return _count(source, where).sql(dialect=dialect)


def soft_delete_audit(dialect: str, table: TableRef, since: datetime) -> RecoveryScript:
    """Read only: rows flagged `_fivetran_deleted` since `since` (a re-sync that lost rows shows up here)."""
    check_dialect(dialect)
    recent = exp.and_(exp.EQ(this=col(DELETED), expression=exp.true()), exp.GTE(this=col(SYNCED),
                      expression=timestamp(dialect, since)))
    per_day = per_day_counts(table, SYNCED, recent, "soft_deleted")
    return RecoveryScript(
        template="soft_delete_audit",
        dialect=dialect,
        target=table,
        description=f"rows of {table.name} soft-deleted since {since.isoformat()}",
        statements=(Statement(render(per_day, dialect), "read", "soft_deleted"),),
        previews={"soft_deleted": render(_count(table.node(), recent), dialect),
                  "rows_before": render(_count(table.node()), dialect)},
        touches=(table,),
    )


def per_day_counts(table: TableRef, time_column: str, where: exp.Expression, name: str) -> exp.Select:
    """`day, <name>`: the matching rows per day of `time_column`, in day order."""
    return (
        exp.select(exp.alias_(exp.cast(col(time_column), "DATE"), "day", quoted=True),
                   exp.alias_(exp.Count(this=exp.Star()), name, quoted=True))
        .from_(table.node()).where(where).group_by(exp.Literal.number(1)).order_by(exp.Literal.number(1))
    )


def timestamp(dialect: str, at: datetime) -> exp.Cast:
    """A timestamp literal typed like `_fivetran_synced` in the dialect (BigQuery's TIMESTAMP is UTC)."""
    kind = "TIMESTAMPTZ" if dialect == "bigquery" else "TIMESTAMP"
    return exp.cast(exp.Literal.string(at.replace(tzinfo=None).isoformat(sep=" ")), kind)


def _deleted(alias: str) -> exp.Expression:
    return exp.Coalesce(this=col(DELETED, alias), expressions=[exp.false()])


def _alive(alias: str) -> exp.Expression:
    return exp.not_(_deleted(alias))


def _same_keys(keys: Sequence[str], left: str, right: str) -> exp.Expression:
    return exp.and_(*[exp.EQ(this=col(k, left), expression=col(k, right)) for k in keys])


def restore_from_backup(
    dialect: str, table: TableRef, backup: TableRef, keys: Sequence[str], *, token: str = ""
) -> RecoveryScript:
    """Rows alive in `backup` (a known-good copy) but soft-deleted or missing in `table` after a re-sync: the
    soft-deleted versions are removed and the backup's rows inserted, in one transaction."""
    check_dialect(dialect)
    keys = _keys(keys)
    here, there = table.table, "bak"
    alive_in_backup = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(backup.node(there)).where(
        exp.and_(_same_keys(keys, there, here), _alive(there))))
    deleted_here = exp.and_(_deleted(here), alive_in_backup)
    alive_here = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(table.node("cur")).where(
        exp.and_(_same_keys(keys, "cur", there), _alive("cur"))))
    missing = exp.and_(_alive(there), exp.not_(alive_here))
    insert = exp.insert(exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(there, quoted=True)))
                        .from_(backup.node(there)).where(missing), table.node())
    safety, backup_statements = _backup(dialect, table, token)
    deleted_count = _count(table.node(), deleted_here.copy())
    return RecoveryScript(
        template="restore_from_backup",
        dialect=dialect,
        target=table,
        description=f"restore rows of {table.name} lost or soft-deleted after a re-sync, from {backup.name}",
        statements=(
            *backup_statements,
            Statement(render(exp.Transaction(), dialect), "transaction"),
            Statement(render(exp.delete(table.node(), where=deleted_here), dialect), "change", "soft_deleted", True),
            Statement(render(insert, dialect), "change", "to_restore"),
            Statement(render(exp.Commit(), dialect), "transaction"),
        ),
        previews={
            "rows_before": render(_count(table.node()), dialect),
            "soft_deleted": render(deleted_count, dialect),
            "to_restore": render(_count(backup.node(there), missing.copy()), dialect),
        },
        checks=(
            Check("still_missing", render(_count(backup.node(there), missing.copy()), dialect), "0"),
            Check("rows_after", render(_count(table.node()), dialect), "rows_before - soft_deleted + to_restore"),
        ),
        undo=tuple(restore_rows(dialect, table, safety)),
        backup=safety,
        touches=(table, backup, safety),
    )

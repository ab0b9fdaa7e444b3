"""Templates for gaps, schema drift and malformed JSON (the duplicate and soft-delete ones are in templates.py).

Column names and types come from the destination's information schema (`columns`: name -> type as the
warehouse reports it) and the schema config; a type is accepted only if sqlglot parses it as a data type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlglot import exp

from fivetran_recovery.recovery_sql.backup import copy_table, drop, render, restore_rows, select_all
from fivetran_recovery.recovery_sql.identifiers import SYNCED, TableRef, check_dialect, col, derived_name, ident
from fivetran_recovery.recovery_sql.json_checks import invalid_json
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement
from fivetran_recovery.recovery_sql.templates import _alive, _backup, _count, per_day_counts, timestamp

# Type changes each dialect's ALTER can make in place (from each vendor's ALTER TABLE … ALTER COLUMN page):
# Snowflake and Redshift widen VARCHAR; Snowflake also raises NUMBER precision; BigQuery widens INT64 to
# NUMERIC/BIGNUMERIC/FLOAT64 and NUMERIC to BIGNUMERIC/FLOAT64; DuckDB converts anything castable.
_WIDENINGS = {
    "bigquery": {("BIGINT", "DECIMAL"), ("BIGINT", "BIGDECIMAL"), ("BIGINT", "DOUBLE"), ("DECIMAL", "BIGDECIMAL"),
                 ("DECIMAL", "DOUBLE")},
    "snowflake": set(),
    "redshift": set(),
}


def data_type(dialect: str, text: str) -> exp.DataType:
    """A data type as the destination's information schema reports it, or ValueError."""
    try:
        return exp.DataType.build(text, dialect=dialect)
    except Exception as exc:
        raise ValueError(f"not a {dialect} data type: {text!r}") from exc


def _size(kind: exp.DataType) -> list[int]:
    return [int(p.this.this) for p in kind.expressions if isinstance(p.this, exp.Literal)]


def alter_allowed(dialect: str, old: exp.DataType, new: exp.DataType) -> bool:
    """Whether `ALTER COLUMN … SET DATA TYPE` turns `old` into `new` in place in this dialect."""
    if dialect == "duckdb":
        return True
    a, b = old.this.name, new.this.name
    if a == b and a in ("VARCHAR", "TEXT", "CHAR"):  # longer strings
        return not _size(new) or (bool(_size(old)) and _size(new)[0] >= _size(old)[0])
    if dialect == "snowflake" and a == b == "DECIMAL":  # more precision, same scale
        (po, so), (pn, sn) = ([*_size(old), 0, 0][:2], [*_size(new), 0, 0][:2])
        return so == sn and pn >= po
    return (a, b) in _WIDENINGS.get(dialect, set())


def gap_check(
    dialect: str, table: TableRef, start: datetime, end: datetime, time_column: str = SYNCED
) -> RecoveryScript:
    """Read only: live rows per day in [start, end) by `time_column`; `find_gaps` compares them with the source's
    counts, and the follow-up is a table re-sync (or a targeted reload of the short days)."""
    check_dialect(dialect)
    window = exp.and_(
        exp.GTE(this=col(time_column), expression=timestamp(dialect, start)),
        exp.LT(this=col(time_column), expression=timestamp(dialect, end)),
        _alive(table.table),
    )
    per_day = per_day_counts(table, time_column, window, "row_count")
    return RecoveryScript(
        template="gap_check",
        dialect=dialect,
        target=table,
        description=f"rows of {table.name} per day by {time_column} from {start.isoformat()} to {end.isoformat()}",
        statements=(Statement(render(per_day, dialect), "read", "rows_in_window"),),
        previews={"rows_in_window": render(_count(table.node(), window.copy()), dialect)},
        touches=(table,),
        follow_up={"action": "resync_tables", "scope": {table.schema: [table.table]}, "when": "gaps"},
    )


def find_gaps(rows: Sequence[Sequence], expected: Mapping[str, int], tolerance: int = 0) -> list[dict]:
    """Days whose destination count (rows from gap_check) is below the source's count by more than `tolerance`."""
    seen = {(d.isoformat() if isinstance(d, date) else str(d))[:10]: int(n) for d, n in rows}
    return [
        {"day": day, "source": int(want), "destination": seen.get(day, 0), "missing": int(want) - seen.get(day, 0)}
        for day, want in sorted(expected.items())
        if int(want) - seen.get(day, 0) > tolerance
    ]


def compatibility_view(
    dialect: str,
    table: TableRef,
    columns: Mapping[str, str],
    *,
    expected_types: Mapping[str, str] | None = None,
    renames: Mapping[str, str] | None = None,
    view: str | None = None,
) -> RecoveryScript:
    """A view with the shape downstream models expect: changed columns cast back to their expected type, renamed
    columns exposed under their old name (`renames`: old -> new). The table itself is untouched."""
    check_dialect(dialect)
    expected_types, renames = dict(expected_types or {}), dict(renames or {})
    new_to_old = {new: old for old, new in renames.items()}
    unknown = (set(expected_types) | set(new_to_old)) - set(columns)
    if unknown:
        raise ValueError(f"not columns of {table.name}: {', '.join(sorted(unknown))}")
    projections = []
    for name in columns:
        value: exp.Expression = col(name)
        if name in expected_types:
            value = exp.Cast(this=value, to=data_type(dialect, expected_types[name]))
        projections.append(exp.alias_(value, new_to_old.get(name, name), quoted=True))
    target = table.sibling(view or derived_name(table.table, "compat"))
    create = exp.Create(this=target.node(), kind="VIEW", replace=True,
                        expression=exp.select(*projections).from_(table.node()))
    return RecoveryScript(
        template="compatibility_view",
        dialect=dialect,
        target=table,
        description=f"view {target.name} with the columns downstream models expect from {table.name}",
        statements=(Statement(render(create, dialect), "change", "rows_before"),),
        previews={"rows_before": render(_count(table.node()), dialect)},
        checks=(Check("rows_in_view", render(_count(target.node()), dialect), "rows_before"),),
        undo=(drop(dialect, target, "VIEW"),),
        touches=(table, target),
        notes=("point downstream models at the view until they read the new shape",),
    )


def alter_column_type(
    dialect: str, table: TableRef, column: str, old_type: str, new_type: str, *, token: str = ""
) -> RecoveryScript:
    """Widen a column in place where the dialect allows it (else ValueError: use compatibility_view)."""
    check_dialect(dialect)
    old, new = data_type(dialect, old_type), data_type(dialect, new_type)
    if not alter_allowed(dialect, old, new):
        raise ValueError(f"{dialect} cannot ALTER {old.sql(dialect)} to {new.sql(dialect)} in place")
    backup, backup_statements = _backup(dialect, table, token)
    alter = exp.Alter(this=table.node(), kind="TABLE", actions=[exp.AlterColumn(this=ident(column), dtype=new)])
    return RecoveryScript(
        template="alter_column_type",
        dialect=dialect,
        target=table,
        description=f"widen {table.name}.{column} from {old.sql(dialect)} to {new.sql(dialect)}",
        statements=(*backup_statements, Statement(render(alter, dialect), "change", "rows_before", True)),
        previews={"rows_before": render(_count(table.node()), dialect)},
        checks=(Check("rows_after", render(_count(table.node()), dialect), "rows_before"),),
        undo=(drop(dialect, table), *copy_table(dialect, backup, table)),
        backup=backup,
        touches=(table, backup),
        notes=("the undo recreates the table from its copy (re-apply its grants)",),
    )


def json_quarantine(dialect: str, table: TableRef, column: str, *, token: str = "") -> RecoveryScript:
    """Rows whose `column` is not valid JSON are copied to a quarantine table, then the value is set to NULL
    in place (the row and its key stay; the original value is kept in quarantine)."""
    check_dialect(dialect)
    bad = invalid_json(dialect, col(column))
    quarantine = table.sibling(derived_name(table.table, "quarantine", token))
    backup, backup_statements = _backup(dialect, table, token)
    copy_bad = exp.Create(this=quarantine.node(), kind="TABLE", expression=select_all(table).where(bad.copy()))
    clean = exp.update(table.node(), {column: exp.Null()}, where=bad.copy(), dialect=dialect)
    clean.set("expressions", [exp.EQ(this=col(column), expression=exp.Null())])
    return RecoveryScript(
        template="json_quarantine",
        dialect=dialect,
        target=table,
        description=f"quarantine rows of {table.name} whose {column} is not valid JSON to {quarantine.name}",
        statements=(
            *backup_statements,
            Statement(render(copy_bad, dialect), "change", "invalid_json"),
            Statement(render(clean, dialect), "change", "invalid_json", True),
        ),
        previews={"invalid_json": render(_count(table.node(), bad.copy()), dialect),
                  "rows_before": render(_count(table.node()), dialect)},
        checks=(
            Check("invalid_left", render(_count(table.node(), bad.copy()), dialect), "0"),
            Check("quarantined", render(_count(quarantine.node()), dialect), "invalid_json"),
            Check("rows_after", render(_count(table.node()), dialect), "rows_before"),
        ),
        undo=(*restore_rows(dialect, table, backup), drop(dialect, quarantine)),
        backup=backup,
        touches=(table, backup, quarantine),
    )

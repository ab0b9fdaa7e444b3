"""The undo of an executed recovery script as a script of its own, so "roll back this action" runs on the
same rails (preview, approval, backup of the current state, execution, check) and can itself be rolled back."""

from __future__ import annotations

from sqlglot import exp

from fivetran_recovery.recovery_sql.backup import copy_table, render, restore_rows
from fivetran_recovery.recovery_sql.identifiers import derived_name
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement
from fivetran_recovery.recovery_sql.templates import table_exists_sql


def _count(dialect: str, table) -> str:
    return render(exp.select(exp.Count(this=exp.Star())).from_(table.node()), dialect)


def undo_as_script(original: RecoveryScript, token: str) -> RecoveryScript:
    if not original.undo:
        raise ValueError(f"{original.template} on {original.target.name} has nothing to undo")
    dialect, target = original.dialect, original.target
    name = f"undo_{original.template}"
    if original.backup is None:  # a view: dropping it is the whole undo
        view = original.touches[-1]
        return RecoveryScript(
            template=name, dialect=dialect, target=target, description=f"drop {view.name} ({original.template})",
            statements=tuple(Statement(sql, "change") for sql in original.undo),
            previews={"rows_before": _count(dialect, target)},
            checks=(Check("view_dropped", table_exists_sql(dialect, view), "0"),),
            touches=original.touches,
        )
    backup_rows = {"backup_rows": _count(dialect, original.backup)}
    if original.template == "drop_and_resync":  # the table is gone: recreate it from the copy
        return RecoveryScript(
            template=name, dialect=dialect, target=target,
            description=f"recreate {target.name} from {original.backup.name}",
            statements=tuple(Statement(sql, "change") for sql in original.undo),
            previews=backup_rows,
            checks=(Check("rows_restored", _count(dialect, target), "backup_rows"),),
            touches=original.touches,
            notes=("fails cleanly if Fivetran has re-synced the table since: then nothing is lost",),
        )
    current = target.sibling(derived_name(target.table, "bak", f"undo:{token}"))
    return RecoveryScript(
        template=name,
        dialect=dialect,
        target=target,
        description=f"roll back {original.template} on {target.name} from {original.backup.name}",
        statements=(
            *(Statement(sql, "backup") for sql in copy_table(dialect, target, current)),
            *(Statement(sql, "transaction" if _is_txn(sql) else "change", "rows_before", not _is_txn(sql))
              for sql in original.undo),
        ),
        previews={**backup_rows, "rows_before": _count(dialect, target)},
        checks=(Check("rows_restored", _count(dialect, target), "backup_rows"),),
        undo=tuple(restore_rows(dialect, target, current)),
        backup=current,
        touches=(*original.touches, current),
    )


def _is_txn(sql: str) -> bool:
    return sql.split(" ", 1)[0].upper() in ("BEGIN", "COMMIT")

"""LLM-drafted recovery SQL, held to the templates' rules. A draft is accepted only if:

1. sqlglot parses every statement strictly in the target dialect (no opaque commands);
2. each statement's kind is in the allow-list (SELECT, INSERT, UPDATE, DELETE, MERGE, CREATE TABLE/VIEW of a side
   table, DROP of a side table the draft itself created, BEGIN/COMMIT) - no GRANT, ALTER, TRUNCATE, COPY, CALL,
   USE, SET, no database/schema/function DDL;
3. it touches only the incident's tables (from structured scope) and side tables named `<incident table>__*` in
   the same schema, and writes exactly one incident table (so one backup and one undo cover it);
4. it runs cleanly on a DuckDB copy of the affected tables (transpiled), where its preview (rows per statement
   from SELECT equivalents) and the resulting row count are measured.

The accepted draft becomes a `RecoveryScript` marked `draft=True`, with a backup of the written table, an undo
and a check; it always goes through an approval (workflow/sql_proposal.script_workflow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from fivetran_recovery.recovery_sql.backup import copy_table, render, restore_rows
from fivetran_recovery.recovery_sql.compat import parse, to_duckdb
from fivetran_recovery.recovery_sql.identifiers import TableRef, check_dialect, derived_name
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement

MAX_STATEMENTS = 20
COPY_ROWS = 10_000
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge)


class DraftRejected(ValueError):
    """The draft broke a rule; the message says which (never shown as SQL to run)."""


@dataclass
class DraftCheck:
    script: RecoveryScript
    preview: list[int | None]  # rows per statement on the copy, from SELECT equivalents
    rows_before: int
    rows_after: int
    copy_complete: bool
    notes: list[str] = field(default_factory=list)


def _split(text: str, dialect: str) -> list[exp.Expression]:
    try:
        raw = [s for s in sqlglot.parse(text, read=dialect, error_level=sqlglot.ErrorLevel.RAISE) if s]
    except sqlglot.errors.SqlglotError as exc:
        raise DraftRejected(f"does not parse as {dialect}: {str(exc)[:200]}") from None
    if not raw or len(raw) > MAX_STATEMENTS:
        raise DraftRejected(f"a draft has 1 to {MAX_STATEMENTS} statements, this one {len(raw)}")
    return [parse(s.sql(dialect=dialect), dialect) for s in raw]  # each strictly, no opaque command


def _ref(table: exp.Table) -> tuple[str, str]:
    return (table.db, table.name)


def _kind(statement: exp.Expression, created: set[tuple[str, str]]) -> str:
    if isinstance(statement, (exp.Transaction, exp.Commit)):
        return "transaction"
    if isinstance(statement, exp.Select):
        return "read"
    if isinstance(statement, _WRITES):
        return "change"
    if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() in ("TABLE", "VIEW"):
        target = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
        created.add(_ref(target))
        return "change"
    if isinstance(statement, exp.Drop) and str(statement.args.get("kind", "")).upper() in ("TABLE", "VIEW"):
        dropped = {_ref(t) for t in statement.args.get("tables") or []}
        if not dropped <= created:
            raise DraftRejected("a draft may drop only the side tables it created")
        return "cleanup"
    raise DraftRejected(f"statement kind not allowed in a draft: {type(statement).__name__.upper()}")


def _tables(statement: exp.Expression) -> set[tuple[str, str]]:
    ctes = {c.alias_or_name for c in statement.find_all(exp.CTE)}
    return {_ref(t) for t in statement.find_all(exp.Table) if t.name not in ctes}


def _written(statement: exp.Expression) -> tuple[str, str] | None:
    if isinstance(statement, _WRITES):
        target = statement.this
        return _ref(target.this if isinstance(target, exp.Schema) else target)
    return None


def _check_scope(statements: list[exp.Expression], scope: Sequence[TableRef]) -> tuple[list[str], TableRef]:
    allowed = {(t.schema, t.table) for t in scope}
    created: set[tuple[str, str]] = set()
    kinds = [_kind(s, created) for s in statements]
    for schema, name in created:
        if not any(schema == s and name.startswith(f"{t}__") for s, t in allowed):
            raise DraftRejected(f"side table {schema}.{name} must be named <incident table>__... in its schema")
    for statement in statements:
        outside = _tables(statement) - allowed - created
        if outside:
            raise DraftRejected("touches tables outside the incident: " + ", ".join(f"{s}.{t}" for s, t in outside))
    written = {w for w in map(_written, statements) if w and w not in created}
    if len(written) != 1:
        raise DraftRejected(f"a draft writes exactly one incident table, this one {len(written)}")
    (schema, table), = written
    return kinds, next(t for t in scope if (t.schema, t.table) == (schema, table))


def _count_equivalent(statement: exp.Expression) -> exp.Select | None:
    """The SELECT that counts the rows a statement changes (None where there is no simple equivalent)."""
    count = exp.Count(this=exp.Star())
    if isinstance(statement, (exp.Delete, exp.Update)):
        select = exp.select(count).from_(statement.this.copy())
        where = statement.args.get("where")
        return select.where(where.this.copy()) if where else select
    if isinstance(statement, exp.Insert) and isinstance(statement.expression, exp.Query):
        return exp.select(count).from_(exp.Subquery(this=statement.expression.copy(), alias="d"))
    return None


def check_draft(
    text: str,
    dialect: str,
    scope: Sequence[TableRef],
    copy: Any,
    *,
    token: str,
    copy_complete: bool = True,
) -> DraftCheck:
    """Validate `text` and prove it on `copy` (a DuckDB warehouse holding copies of the scope's tables, see
    `copy_tables`); DraftRejected names the broken rule."""
    check_dialect(dialect)
    statements = _split(text, dialect)
    kinds, target = _check_scope(statements, scope)
    sql = [s.sql(dialect=dialect, identify=True) for s in statements]
    counts = [_count_equivalent(s) for s in statements]
    count_target = render(exp.select(exp.Count(this=exp.Star())).from_(target.node()), dialect)
    before = int(copy.scalar(to_duckdb(count_target, dialect)) or 0)
    preview: list[int | None] = []
    try:
        for statement, counter in zip(sql, counts, strict=True):
            preview.append(int(copy.scalar(to_duckdb(counter.sql(dialect=dialect), dialect)) or 0) if counter
                           else None)
            copy.execute([to_duckdb(statement, dialect)])
    except Exception as exc:
        raise DraftRejected(f"fails on the DuckDB copy: {type(exc).__name__}") from None
    after = int(copy.scalar(to_duckdb(count_target, dialect)) or 0)
    backup = target.sibling(derived_name(target.table, "bak", token))
    checks = (Check("rows_after", count_target, str(after)),) if copy_complete else ()
    script = RecoveryScript(
        template="llm_draft",
        dialect=dialect,
        target=target,
        description=f"LLM draft on {target.name}: {len(sql)} statements, proven on a DuckDB copy",
        statements=(
            *(Statement(s, "backup") for s in copy_table(dialect, target, backup)),
            *(Statement(s, k, f"statement_{i}" if counts[i] is not None else None, k == "change")
              for i, (s, k) in enumerate(zip(sql, kinds, strict=True))),
        ),
        previews={f"statement_{i}": c.sql(dialect=dialect) for i, c in enumerate(counts) if c is not None},
        checks=checks,
        undo=tuple(restore_rows(dialect, target, backup)),
        backup=backup,
        touches=(*scope, backup),
        notes=("drafted by the LLM: checked by parser, allow-list, scope and a DuckDB run; always approved",),
        draft=True,
    )
    return DraftCheck(script, preview, before, after, copy_complete)


def copy_tables(source: Any, tables: Mapping[TableRef, Mapping[str, str]], dialect: str, target: Any,
                limit: int = COPY_ROWS) -> bool:
    """Copies each table's columns (`{name: type}` from the information schema) and up to `limit` rows from
    `source` into the DuckDB warehouse `target`. True when every table fit (the copy is complete)."""
    complete = True
    for ref, columns in tables.items():
        names = list(columns)
        ddl = ", ".join(
            f'"{n}" {exp.DataType.build(t, dialect=dialect).sql("duckdb")}' for n, t in columns.items()
        )
        target.execute([f'CREATE SCHEMA IF NOT EXISTS "{ref.schema}"',
                        f'CREATE TABLE "{ref.schema}"."{ref.table}" ({ddl})'])
        select = exp.select(*[exp.column(n, quoted=True) for n in names]).from_(ref.node()).limit(limit + 1)
        rows = source.rows(select.sql(dialect=dialect))
        complete = complete and len(rows) <= limit
        if rows:
            target.insert_rows(ref, names, rows[:limit])
    return complete

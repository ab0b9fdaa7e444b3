"""`fivetran-recovery sql templates|render|check-draft`: the recovery-script library from the command line.

`render` prints a template's script for a dialect with its preview queries, checks and undo; `--sample N`
also proves it on a DuckDB sample (N rows, every key duplicated), transpiled, and prints the preview counts,
backup and check results. `check-draft` holds a drafted script (a file) to the draft rules on a DuckDB copy of
a sample table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from local.commands._output import error

DialectOpt = Annotated[str, typer.Option("--dialect", help="snowflake | bigquery | redshift | duckdb")]
TableOpt = Annotated[str, typer.Option("--table", help="schema.table in the destination")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="sql", help="Recovery scripts: list, render and prove templates, check drafts.",
                        no_args_is_help=True)
    group.command("templates", help="List the templates and their parameters.")(templates)
    group.command("render", help="Print a template's script, preview, checks and undo for a dialect.")(render)
    group.command("check-draft", help="Hold a drafted script to the draft rules on a DuckDB sample copy.")(
        check_draft)
    app.add_typer(group, name="sql")


def _table(text: str):
    from fivetran_recovery.recovery_sql import TableRef

    schema, _, table = text.partition(".")
    if not table:
        raise typer.BadParameter("--table must be schema.table")
    return TableRef(schema, table)


def templates() -> int:
    from fivetran_recovery.recovery_sql.library import ALIASES, TEMPLATES

    for name in TEMPLATES:
        aliases = [a for a, target in ALIASES.items() if target == name]
        typer.echo(name + (f" (also: {', '.join(aliases)})" if aliases else ""))
    return 0


def render(
    template: Annotated[str, typer.Argument(help="template name (see `sql templates`)")],
    dialect: DialectOpt = "snowflake",
    table: TableOpt = "public.orders",
    params: Annotated[str, typer.Option("--params", help='JSON parameters, e.g. {"keys": ["id"]}')] = "{}",
    token: Annotated[str, typer.Option("--token", help="names the backup (an incident id)")] = "inc-1",
    sample: Annotated[int, typer.Option("--sample", help="prove it on a DuckDB sample of N keys (0: no)")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> int:
    from fivetran_recovery.recovery_sql.library import build

    try:
        script = build(template, dialect, _table(table), json.loads(params), token)
    except (ValueError, json.JSONDecodeError) as exc:
        error("sql render", str(exc))
        raise typer.Exit(2) from None
    proof = _prove(script, sample) if sample else None
    if json_out:
        typer.echo(json.dumps({"script": script.as_dict(), "proof": proof}, indent=2, default=str))
        return 0
    typer.echo(script.script)
    typer.echo("\n-- preview (SELECT equivalents, run before anything changes)")
    for name, sql in script.previews.items():
        typer.echo(f"-- {name}: {sql}")
    typer.echo("\n-- checks after execution")
    for check in script.checks:
        typer.echo(f"-- {check.name} must equal {check.expect}: {check.sql}")
    typer.echo("\n-- undo" + (f" (restores from {script.backup.name})" if script.backup else ""))
    typer.echo(script.undo_script)
    if proof:
        typer.echo(f"\n-- proven on a DuckDB sample ({dialect} transpiled): {json.dumps(proof, default=str)}")
    return 0


def _prove(script, keys: int) -> dict:
    """Seeds a Fivetran-shaped sample (`keys` keys, three copies each) and runs preview, execute and undo."""
    from fivetran_recovery.recovery_sql.compat import DuckDBAs
    from fivetran_recovery.recovery_sql.runner import ScriptRunner
    from local.warehouse import EmbeddedWarehouse
    from local.warehouse_seed import ORDERS

    warehouse = EmbeddedWarehouse()
    target = script.target
    warehouse.create_table(target.schema, target.table, ORDERS, ["id"])
    warehouse.seed_duplicates(target.schema, target.table, keys=keys, copies=3)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), script.dialect))
    preview = runner.preview(script)
    outcome = runner.execute(script, preview)
    undone = runner.undo(script) if script.undo else None
    return {"preview": preview.counts, "backup": outcome.backup,
            "checks": {c["name"]: c["actual"] for c in outcome.checks}, "verified": outcome.verified,
            "undo_verified": undone.verified if undone else None}


def check_draft(
    file: Annotated[Path, typer.Argument(help="the drafted SQL", exists=True, dir_okay=False)],
    dialect: DialectOpt = "snowflake",
    table: TableOpt = "public.orders",
    sample: Annotated[int, typer.Option("--sample", help="rows in the DuckDB sample copy")] = 20,
) -> int:
    import duckdb

    from fivetran_recovery.recovery_sql.drafts import DraftRejected, copy_tables
    from fivetran_recovery.recovery_sql.drafts import check_draft as check
    from fivetran_recovery.recovery_sql.warehouse import DuckDBWarehouse
    from local.warehouse import SYSTEM_COLUMNS, EmbeddedWarehouse
    from local.warehouse_seed import ORDERS, order_rows

    ref = _table(table)
    source = EmbeddedWarehouse()
    source.create_table(ref.schema, ref.table, ORDERS, ["id"])
    source.insert(ref.schema, ref.table, order_rows(sample, table=ref.table))
    copy = DuckDBWarehouse(connection=duckdb.connect())
    complete = copy_tables(source.adapter(), {ref: {**ORDERS, **SYSTEM_COLUMNS}}, "duckdb", copy)
    try:
        checked = check(file.read_text(), dialect, [ref], copy, token=file.stem, copy_complete=complete)
    except DraftRejected as exc:
        error("sql check-draft", f"rejected: {exc}")
        raise typer.Exit(1) from None
    typer.echo(checked.script.script)
    typer.echo(f"-- accepted as a DRAFT: preview rows per statement {checked.preview}; rows {checked.rows_before} "
               f"-> {checked.rows_after} on the copy; needs approval")
    return 0

"""`fivetran-recovery playbooks [list|set|reverse]`: each playbook's earned stage and track record.

Standings live in the IncidentsTable (`PLAYBOOK#<id>` / `STAGE`): the deployed one with AWS credentials, or any
DynamoDB endpoint (a moto server) with --endpoint-url. `set` is a human's decision (e.g. lifting a playbook out of
monitor), `reverse` records that a human rolled a change back (a demotion); both are audit records.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from local.commands._output import error, line, table

TableOpt = Annotated[str | None, typer.Option("--table", envvar="INCIDENTS_TABLE", help="IncidentsTable name")]
AuditOpt = Annotated[str | None, typer.Option("--audit-table", envvar="AUDIT_TABLE", help="AuditTable name")]
EndpointOpt = Annotated[str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL_DYNAMODB",
                                                 help="DynamoDB endpoint (e.g. a moto server); default: AWS")]
JsonOpt = Annotated[bool, typer.Option("--json", help="one JSON document instead of a table")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="playbooks", help="Earned autonomy: each playbook's stage and track record.",
                        invoke_without_command=True)
    group.callback(invoke_without_command=True)(_default)
    group.command("list", help="Every playbook's stage, streak toward promotion and track record.")(list_stages)
    group.command("set", help="Set a playbook's stage (a human decision, audited).")(set_stage)
    group.command("reverse", help="Record that a human reversed a playbook's change (demotes it).")(reverse)
    app.add_typer(group, name="playbooks")


def _default(ctx: typer.Context, table_name: TableOpt = None, audit_table: AuditOpt = None,
             endpoint_url: EndpointOpt = None, json_out: JsonOpt = False) -> None:
    if ctx.invoked_subcommand is None:
        raise typer.Exit(list_stages(table_name, audit_table, endpoint_url, json_out))


def _autonomy(table_name: str | None, audit_table: str | None, endpoint_url: str | None, *,
              writes: bool = True) -> Any:
    import boto3

    from fivetran_recovery.audit import AuditLog
    from fivetran_recovery.autonomy import DynamoStandingStore, EarnedAutonomy
    from fivetran_recovery.composition.adapters import utc_now
    from fivetran_recovery.config import RecoveryConfig

    if not table_name:
        raise ValueError("give --table (or set INCIDENTS_TABLE)")
    if writes and not audit_table:
        raise ValueError("give --audit-table (or set AUDIT_TABLE): every stage change is an audit record")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    audit = (AuditLog(boto3.resource("dynamodb", endpoint_url=endpoint_url, region_name=region).Table(audit_table))
             if audit_table else None)
    config = RecoveryConfig.from_env()
    return EarnedAutonomy(store=DynamoStandingStore(client=client, table_name=table_name), audit=audit,
                          clock=utc_now, promote_after=config.playbook_promote_after,
                          initial_stage=config.playbook_initial_stage)


def render(rows: list[dict[str, Any]], json_out: bool) -> None:
    if json_out:
        line(json.dumps({"playbooks": rows}, indent=1))
        return
    table(["playbook", "stage", "streak", "verified", "failed", "reversed", "since", "why"],
          [[r["playbook_id"], r["stage"], f"{r['streak']}/{r['promote_after']}", r["verified"], r["failed"],
            r["reversed"], r["changed_at"], r["reason"]] for r in rows])


def list_stages(table_name: TableOpt = None, audit_table: AuditOpt = None, endpoint_url: EndpointOpt = None,
                json_out: JsonOpt = False) -> int:
    from fivetran_recovery.playbooks.registry import default_registry

    try:
        rows = _autonomy(table_name, audit_table, endpoint_url, writes=False).report(default_registry().ids())
    except Exception as exc:  # a missing table or no credentials: say so, exit 1
        error("playbooks", str(exc))
        return 1
    render(rows, json_out)
    return 0


def set_stage(playbook: Annotated[str, typer.Argument(help="playbook id")],
              stage: Annotated[str, typer.Argument(help="monitor | recommend | auto")],
              reason: Annotated[str, typer.Option("--reason", help="why (kept in the audit record)")],
              actor: Annotated[str, typer.Option("--actor", help="who decides")] = os.environ.get("USER", "human"),
              table_name: TableOpt = None, audit_table: AuditOpt = None, endpoint_url: EndpointOpt = None) -> int:
    try:
        change = _autonomy(table_name, audit_table, endpoint_url).set_stage(playbook, stage, actor=actor,
                                                                            reason=reason)
    except Exception as exc:
        error("playbooks set", str(exc))
        return 1
    line(f"{playbook}: {change.before} -> {change.after}" if change else f"{playbook}: already {stage}")
    return 0


def reverse(playbook: Annotated[str, typer.Argument(help="playbook id")],
            incident: Annotated[str, typer.Option("--incident", help="the incident whose change was reversed")],
            table_name: TableOpt = None, audit_table: AuditOpt = None, endpoint_url: EndpointOpt = None) -> int:
    try:
        change = _autonomy(table_name, audit_table, endpoint_url).record(playbook, "reversed", incident_id=incident,
                                                                         actor=os.environ.get("USER", "human"))
    except Exception as exc:
        error("playbooks reverse", str(exc))
        return 1
    line(f"{playbook}: {change.before} -> {change.after}" if change else f"{playbook}: recorded, stage unchanged")
    return 0

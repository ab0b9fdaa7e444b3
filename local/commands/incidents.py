"""`fivetran-recovery incidents [list|show ID]`: the incidents of the running stack (local by default, or a
deployed API with --api-url and $FIVETRAN_RECOVERY_TOKEN)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from local.commands._client import ApiUrlOption, JsonOption
from local.commands._output import error, table

ApiUrl = ApiUrlOption
Json = JsonOption


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="incidents", help="List the incidents of the running stack, or show one.",
                        invoke_without_command=True)
    group.callback()(default)
    group.command("list", help="Open and recent incidents, newest first.")(list_incidents)
    group.command("show", help="One incident: timeline, root cause, plan and dry run, approvals.")(show)
    app.add_typer(group, name="incidents")


def default(ctx: typer.Context, api_url: ApiUrl = None, json_out: Json = False) -> None:
    """With no subcommand: the list (`--json` and `--api-url` work here too)."""
    if ctx.invoked_subcommand is None:
        raise typer.Exit(list_incidents(api_url=api_url, json_out=json_out))


def list_incidents(
    status: Annotated[str | None, typer.Option(help="open, recovered, escalated, ...")] = None,
    connection: Annotated[str | None, typer.Option(help="only this connection")] = None,
    category: Annotated[str | None, typer.Option(help="only this root-cause category")] = None,
    destination: Annotated[str | None, typer.Option(help="only this destination group")] = None,
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    from local.commands._client import ApiClient, ApiError

    try:
        listing = ApiClient(api_url).get("/api/incidents", status=status, connection=connection,
                                         category=category, destination=destination)
    except ApiError as exc:
        error("incidents", str(exc))
        return 2
    if json_out:
        print(json.dumps(listing, indent=2))
        return 0
    table(["incident", "status", "kind", "connection", "cause", "last seen", "summary"],
          [(i["id"], i["status"], i["kind"], i["connection_id"] or i["destination_group_id"],
            f"{i['category']}/{i['pattern']}", i["last_seen"], (i["summary"] or "")[:80])
           for i in listing["incidents"]], title=f"{listing['total']} incident(s)")
    return 0


def show(
    incident_id: Annotated[str, typer.Argument(help="the incident id")],
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    from local.commands._client import ApiClient, ApiError

    try:
        detail = ApiClient(api_url).get(f"/api/incidents/{incident_id}")
    except ApiError as exc:
        error("incidents", str(exc))
        return 1
    if json_out:
        print(json.dumps(detail, indent=2))
        return 0
    rca = (detail.get("rca") or {}).get("diagnosis") or {}
    plan = detail.get("plan") or {}
    print(f"{detail['id']}  {detail['status']}  {detail['connection_id'] or detail['destination_group_id']}")
    print(f"root cause: {rca.get('category')}/{rca.get('pattern')} (confidence {rca.get('confidence')}): "
          f"{rca.get('summary')}")
    if plan:
        print(f"plan: {plan.get('path')} path, playbook {(plan.get('playbook') or {}).get('id')}")
        for step in plan.get("dry_run") or []:
            print(f"  {step}")
    for approval in detail.get("approvals") or []:
        print(f"approval {approval['approval_id']}: {approval['status']}")
    table(["at", "kind", "actor", "what"], [(e["at"], e["kind"], e["actor"], e["text"]) for e in detail["timeline"]],
          title="timeline")
    if detail.get("dashboard_url"):
        print(f"Fivetran: {detail['dashboard_url']}")
    return 0

"""`fivetran-recovery incidents [list|show ID]`: the incidents of the running stack (local by default, or a
deployed API with --api-url and $FIVETRAN_RECOVERY_TOKEN)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from local.commands._client import ApiClient, list_when_bare, run_command
from local.commands._client import ApiUrlOption as ApiUrl
from local.commands._client import JsonOption as Json
from local.commands._output import table


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="incidents", help="List the incidents of the running stack, or show one.",
                        invoke_without_command=True)
    group.callback()(list_when_bare(list_incidents))
    group.command("list", help="Open and recent incidents, newest first.")(list_incidents)
    group.command("show", help="One incident: timeline, root cause, plan and dry run, approvals.")(show)
    app.add_typer(group, name="incidents")


def list_incidents(
    status: Annotated[str | None, typer.Option(help="open, recovered, escalated, ...")] = None,
    connection: Annotated[str | None, typer.Option(help="only this connection")] = None,
    category: Annotated[str | None, typer.Option(help="only this root-cause category")] = None,
    destination: Annotated[str | None, typer.Option(help="only this destination group")] = None,
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    def show_list(listing: dict[str, Any]) -> None:
        table(["incident", "status", "kind", "connection", "cause", "last seen", "summary"],
              [(i["id"], i["status"], i["kind"], i["connection_id"] or i["destination_group_id"],
                f"{i['category']}/{i['pattern']}", i["last_seen"], (i["summary"] or "")[:80])
               for i in listing["incidents"]], title=f"{listing['total']} incident(s)")

    filters = {"status": status, "connection": connection, "category": category, "destination": destination}
    return run_command("incidents", lambda: ApiClient(api_url).get("/api/incidents", **filters), show_list,
                       json_out=json_out, failed=2)


def show(
    incident_id: Annotated[str, typer.Argument(help="the incident id")],
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    return run_command("incidents", lambda: ApiClient(api_url).get(f"/api/incidents/{incident_id}"), _show_detail,
                       json_out=json_out)


def _show_detail(detail: dict[str, Any]) -> None:
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

"""`fivetran-recovery approvals [list|approve ID|reject ID --comment ...]`: the approval queue of the running stack
(local by default, or a deployed API with --api-url and $FIVETRAN_RECOVERY_TOKEN)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from local.commands._client import ApiClient, list_when_bare, run_command
from local.commands._client import ApiUrlOption as ApiUrl
from local.commands._client import JsonOption as Json
from local.commands._output import error, table


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="approvals", help="The approval queue: list it, approve or reject one.",
                        invoke_without_command=True)
    group.callback()(list_when_bare(list_approvals))
    group.command("list", help="Approvals by status (default: pending).")(list_approvals)
    group.command("approve", help="Approve a pending plan (give --exclude for a step that needs input).")(approve)
    group.command("reject", help="Reject a pending plan: nothing runs. A comment is required.")(reject)
    app.add_typer(group, name="approvals")


def list_approvals(
    status: Annotated[str, typer.Option(help="pending, approved, rejected, expired or all")] = "pending",
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    def show(listing: dict[str, Any]) -> None:
        table(["approval", "status", "incident", "connection", "playbook", "expires", "needs input"],
              [(a["approval_id"], a["status"], a["incident_id"], a["connection_id"], a["playbook_id"],
                a["expires_at_iso"], "yes" if a["unresolved_steps"] else "") for a in listing["approvals"]],
              title=f"{listing['total']} {status} approval(s)")

    return run_command("approvals", lambda: ApiClient(api_url).get("/api/approvals", status=status), show,
                       json_out=json_out, failed=2)


def _decide(approval_id: str, body: dict[str, Any], api_url: str | None, json_out: bool) -> int:
    return run_command(
        "approvals", lambda: ApiClient(api_url).post(f"/api/approvals/{approval_id}/decision", body),
        lambda r: print(f"{r['approval_id']} {r['status']} by {r['decided_by']} at {r['decided_at']}"),
        json_out=json_out,
    )


def approve(
    approval_id: Annotated[str, typer.Argument(help="the approval id")],
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="SCHEMA.TABLE:COLUMN[,COLUMN]", help="columns to exclude (repeat per table)")] = None,
    comment: Annotated[str, typer.Option(help="why (kept in the audit trail)")] = "",
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    body: dict[str, Any] = {"decision": "approve", "comment": comment}
    if exclude:
        columns: dict[str, list[str]] = {}
        for item in exclude:
            table_name, sep, names = item.partition(":")
            if not sep or not names.strip():
                error("approvals", f"--exclude must be schema.table:column[,column], got {item!r}")
                return 2
            columns[table_name.strip()] = [c.strip() for c in names.split(",") if c.strip()]
        body["resolve"] = {"exclude_columns": columns}
    return _decide(approval_id, body, api_url, json_out)


def reject(
    approval_id: Annotated[str, typer.Argument(help="the approval id")],
    comment: Annotated[str, typer.Option(help="why it is rejected (required)")],
    api_url: ApiUrl = None,
    json_out: Json = False,
) -> int:
    if not comment.strip():
        error("approvals", "--comment must say why")
        return 2
    return _decide(approval_id, {"decision": "reject", "comment": comment}, api_url, json_out)

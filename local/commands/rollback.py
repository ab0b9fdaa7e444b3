"""`fivetran-recovery rollback --incident ID [--seq N] [--list] [--dry-run]`: roll back an action an incident
took, as an approved workflow. A recovery-SQL action runs its stored undo (after backing up the current state);
a Fivetran change goes back to the before-state in its audit record. Uses the deployment the environment points
at (AWS, or the local stack's moto endpoints)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from local.commands._client import run_command


def register(app: typer.Typer) -> None:
    app.command(
        "rollback",
        help="Propose the rollback of one audited action of an incident (default: its newest revertible one). "
        "It runs only after an approver approves it, like any other recovery workflow.",
        short_help="Roll back an incident's action (approved, from its audit before-state or stored undo).",
    )(rollback)


def rollback(
    incident: Annotated[str, typer.Option("--incident", help="the incident whose action to roll back")],
    seq: Annotated[int | None, typer.Option("--seq", help="the audit record of the action (see --list)")] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the revertible actions and exit")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the rollback plan, start nothing")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> int:
    from fivetran_recovery.composition import Adapters
    from fivetran_recovery.composition.rollback import rollback_service
    from fivetran_recovery.remediation.rollback import NotRevertible

    service = rollback_service(Adapters())

    def call() -> Any:
        if list_:
            return service.candidates(incident)
        if dry_run:
            workflow = service.plan(incident, seq)
            return {"rollback_incident_id": workflow["incident_id"], "plan": workflow["dry_run"], "started": False}
        return service.propose(incident, seq)

    return run_command("rollback", call, _show, json_out=json_out, refusals=(NotRevertible,))


def _show(answer: Any) -> None:
    if isinstance(answer, list):
        for item in answer:
            proposed = (item.get("proposed") or {}).get("rollback_incident_id")
            note = (f" (no rollback: {item['why_not']})" if item.get("why_not")
                    else f" (rollback {proposed} proposed)" if proposed else "")
            typer.echo(f"seq {item['seq']}: step {item['step']} {item['action']} on {item['connection_id']}{note}")
        return
    state = "started, waiting for approval" if answer["started"] else "not started (--dry-run)"
    typer.echo(f"rollback {answer['rollback_incident_id']}: {state}")
    for line in answer["plan"]:
        typer.echo(f"  {line}")

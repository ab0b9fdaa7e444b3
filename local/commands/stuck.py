"""`fivetran-recovery stuck`: incidents that are not moving — what an operator looks at first.

Three kinds, from the deployed stack with AWS credentials or any endpoint such as a moto server (`--endpoint-url`),
or, without a table and state machine, from the running local stack (`make run`, through local/control.py):

- no_workflow: confirmed and open, but no recovery workflow is known to exist (the sweep resumes these after
  WORKFLOW_RESUME_AFTER_SECONDS and escalates after WORKFLOW_START_ATTEMPTS; listed here once older than that);
- failed: the recovery workflow ended FAILED, TIMED_OUT or ABORTED (the state machine's own error paths escalate
  and close; these are the executions that did not get that far);
- running_long: still running after `--older-than` hours (an approval nobody answered is bounded by its timeout;
  anything else this old is stuck).

Exit code 1 when anything is stuck (for a cron or a CI check), 0 otherwise.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from local.commands._output import emit_json, error, line, table

ENDED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")
MAX_EXECUTIONS = 1000


def register(app: typer.Typer) -> None:
    app.command("stuck", help="List incidents with no workflow, failed workflows and long-running ones.")(stuck)


def find_stuck(*, dynamodb: Any, sfn: Any, incidents_table: str, state_machine_arn: str, now: datetime,
               no_workflow_after: timedelta, running_after: timedelta, failed_since: timedelta) -> list[dict[str, Any]]:
    from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore

    store = DynamoIncidentStore(client=dynamodb, table_name=incidents_table)
    found: list[dict[str, Any]] = []
    for incident_id in store.awaiting_workflow(now - no_workflow_after):
        incident = store.get(incident_id)
        if incident is not None:
            found.append({"kind": "no_workflow", "incident_id": incident_id, "status": incident.status.value,
                          "since": incident.confirmed_at, "detail":
                          f"confirmed, no workflow after {incident.workflow_attempts} sweep tries"})
    for status in ENDED_BADLY:
        for execution in _executions(sfn, state_machine_arn, status):
            stopped = execution.get("stopDate") or execution["startDate"]
            if stopped >= now - failed_since:
                found.append({"kind": "failed", "incident_id": execution["name"], "status": status,
                              "since": stopped, "detail": _cause(sfn, execution["executionArn"])})
    for execution in _executions(sfn, state_machine_arn, "RUNNING"):
        if execution["startDate"] <= now - running_after:
            found.append({"kind": "running_long", "incident_id": execution["name"], "status": "RUNNING",
                          "since": execution["startDate"], "detail": "still running"})
    return found


def _executions(sfn: Any, arn: str, status: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter=status):
        found += page.get("executions", [])
        if len(found) >= MAX_EXECUTIONS:
            break
    return found[:MAX_EXECUTIONS]


def _cause(sfn: Any, execution_arn: str) -> str:
    described = sfn.describe_execution(executionArn=execution_arn)
    return " ".join(f"{described.get('error') or ''} {described.get('cause') or ''}".split())[:200] or "-"


def stuck(
    incidents_table: Annotated[str | None, typer.Option("--incidents-table", envvar="INCIDENTS_TABLE",
                                                        help="IncidentsTable name")] = None,
    state_machine_arn: Annotated[str | None, typer.Option("--state-machine-arn", envvar="STATE_MACHINE_ARN",
                                                          help="the recovery state machine")] = None,
    older_than: Annotated[float, typer.Option("--older-than", help="hours a running workflow may take")] = 26.0,
    since: Annotated[float, typer.Option("--since", help="failed workflows of the last N hours")] = 24.0,
    endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL",
                                                     help="AWS endpoint (e.g. a moto server)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document instead of text")] = False,
) -> int:
    if bool(incidents_table) != bool(state_machine_arn):
        error("stuck", "give both --incidents-table and --state-machine-arn (or INCIDENTS_TABLE, STATE_MACHINE_ARN)")
        return 2
    if incidents_table and state_machine_arn:
        rows = _from_aws(incidents_table, state_machine_arn, endpoint_url, older_than=older_than, since=since)
    else:
        from local.commands._client import ApiError, local_stack_client

        client = local_stack_client()
        if client is None:
            error("stuck", "give --incidents-table and --state-machine-arn (or INCIDENTS_TABLE, STATE_MACHINE_ARN), "
                           "or start the local stack (`make run`)")
            return 2
        try:
            rows = client.get("/__local/stuck", older_than=older_than, since=since)["stuck"]
        except ApiError as exc:
            error("stuck", str(exc))
            return 2
    if json_out:
        emit_json({"stuck": rows})
    else:
        table(["kind", "incident", "status", "since", "detail"],
              [(r["kind"], r["incident_id"], r["status"], r["since"], r["detail"]) for r in rows])
        line(f"{len(rows)} stuck")
    return 1 if rows else 0


def _from_aws(incidents_table: str, state_machine_arn: str, endpoint_url: str | None, *, older_than: float,
              since: float) -> list[dict[str, Any]]:
    import boto3

    from fivetran_recovery.settings import Settings

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    grace = Settings.model_fields["workflow_resume_after_seconds"].default
    return find_stuck(
        dynamodb=boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region),
        sfn=boto3.client("stepfunctions", endpoint_url=endpoint_url, region_name=region),
        incidents_table=incidents_table, state_machine_arn=state_machine_arn, now=datetime.now(UTC),
        no_workflow_after=timedelta(seconds=grace * Settings.model_fields["workflow_start_attempts"].default),
        running_after=timedelta(hours=older_than), failed_since=timedelta(hours=since))

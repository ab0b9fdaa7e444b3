"""The local stack's control routes for the operator commands that read AWS itself (`dlq`, `stuck`).

The stack's AWS is moto inside the `make run` process, which a CLI in another process cannot reach with boto3.
These routes, added to the stack's gateway on 127.0.0.1 beside the template's, run the very functions the
commands run against AWS (`local.commands.dlq.peek/summary/redrive`, `local.commands.stuck.find_stuck`) on the
stack's own resources and answer JSON; the commands call them when no queue URL, table or endpoint is given and a
local stack is running. The caller must send the local approver token, as for the stack's console API.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

PREFIX = "/__local"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(body, default=str)}


def _authorised(event: dict[str, Any]) -> bool:
    from local.defaults import LOCAL_APPROVER_TOKEN

    given = (event.get("headers") or {}).get("authorization") or ""
    return hmac.compare_digest(given.encode(), f"Bearer {LOCAL_APPROVER_TOKEN}".encode())


def control_routes(resources: Any) -> dict[tuple[str, str], Handler]:
    """{(method, path): handler} for the gateway, on `resources` (the stack's LocalResources)."""
    import boto3

    from local.aws import REGION

    def sqs() -> Any:
        return boto3.client("sqs", region_name=REGION)

    dlq_url = resources.queues["EventsDeadLetterQueue"]

    def guarded(handle: Callable[[dict[str, Any]], dict[str, Any]]) -> Handler:
        def call(event: dict[str, Any], _context: Any) -> dict[str, Any]:
            if not _authorised(event):
                return _answer(401, {"error": "send the local approver token (Authorization: Bearer ...)"})
            return handle(event)

        return call

    def dlq_list(_event: dict[str, Any]) -> dict[str, Any]:
        from local.commands.dlq import peek, summary

        return _answer(200, {"messages": [summary(m) for m in peek(sqs(), dlq_url)]})

    def dlq_show(event: dict[str, Any]) -> dict[str, Any]:
        from local.commands.dlq import peek, shown

        wanted = (event.get("pathParameters") or {}).get("message_id")
        found = next((m for m in peek(sqs(), dlq_url) if m["MessageId"] == wanted), None)
        if found is None:
            return _answer(404, {"error": f"no message {wanted} in the dead-letter queue"})
        return _answer(200, shown(found))

    def dlq_redrive(event: dict[str, Any]) -> dict[str, Any]:
        from local.commands.dlq import redrive

        try:
            body = json.loads(event.get("body") or "{}")
        except ValueError:
            return _answer(400, {"error": 'body must be {"ids": [...]} or {"all": true}'})
        ids = None if body.get("all") else {str(i) for i in body.get("ids") or []}
        if ids is not None and not ids:
            return _answer(400, {"error": "name the message ids to redrive, or all"})
        moved = redrive(sqs(), dlq_url, resources.queues["EventsQueue"], ids=ids)
        return _answer(200, {"moved": moved, "missing": sorted((ids or set()) - set(moved))})

    def stuck(event: dict[str, Any]) -> dict[str, Any]:
        from fivetran_recovery.settings import get_settings
        from local.commands.stuck import find_stuck

        query = event.get("queryStringParameters") or {}
        try:
            older_than, since = float(query.get("older_than", 26.0)), float(query.get("since", 24.0))
        except ValueError:
            return _answer(400, {"error": "older_than and since are hours"})
        settings = get_settings()  # the stack's own (its sweep resumes after seconds, not minutes)
        grace = timedelta(seconds=settings.workflow_resume_after_seconds * settings.workflow_start_attempts)
        rows = find_stuck(dynamodb=boto3.client("dynamodb", region_name=REGION),
                          sfn=boto3.client("stepfunctions", region_name=REGION),
                          incidents_table=resources.tables["IncidentsTable"],
                          state_machine_arn=resources.state_machines["RecoveryStateMachine"], now=datetime.now(UTC),
                          no_workflow_after=grace, running_after=timedelta(hours=older_than),
                          failed_since=timedelta(hours=since))
        return _answer(200, {"stuck": rows})

    return {("GET", f"{PREFIX}/dlq"): guarded(dlq_list),
            ("GET", f"{PREFIX}/dlq/{{message_id}}"): guarded(dlq_show),
            ("POST", f"{PREFIX}/dlq/redrive"): guarded(dlq_redrive),
            ("GET", f"{PREFIX}/stuck"): guarded(stuck)}

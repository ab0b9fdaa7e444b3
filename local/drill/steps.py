"""What a drill scenario does to the local stack and what it reads back: small steps, shared by the scenarios."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from local.defaults import LOCAL_APPROVER_TOKEN
from local.drill.runner import ScenarioResult
from local.stack import LocalStack

READ_METHODS = frozenset({"GET", "HEAD"})


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def fail_next_sync(stack: LocalStack, connection_id: str, scenario: str, **options: Any) -> float:
    """Inject `scenario` and start the connection's next sync now (as the scheduler would); returns the wall time."""
    stack.simulator.inject(connection_id, scenario, **options)
    stack.simulator.sync(connection_id)
    return time.time()


def failure_delivered_at(stack: LocalStack, connection_id: str) -> float | None:
    """Wall time the first failing sync_end webhook for the connection reached the gateway."""
    for delivery in stack.simulator.deliveries:
        try:
            body = json.loads(delivery.body)
        except ValueError:
            continue
        if body.get("connector_id") != connection_id or body.get("event") != "sync_end":
            continue
        if (body.get("data") or {}).get("status") in ("FAILURE", "FAILURE_WITH_TASK", "RESCHEDULED") and delivery.ok:
            return delivery.delivered_at
    return None


def write_calls(stack: LocalStack, connection_id: str | None = None) -> list[dict[str, Any]]:
    """Calls that change something at Fivetran (every non-GET /v1 call), as the simulator recorded them."""
    return [c for c in stack.simulator.write_calls(connection_id) if c["method"] not in READ_METHODS]


def write_call_paths(stack: LocalStack, connection_id: str | None = None) -> list[str]:
    """The write calls as `METHOD /path`, in order."""
    return [f"{w['method']} {w['path']}" for w in write_calls(stack, connection_id)]


def executions(stack: LocalStack, connection_id: str | None = None) -> list[dict[str, Any]]:
    found = []
    for execution in stack.executions():
        described = stack.describe(execution["executionArn"])
        workflow = json.loads(described.get("input") or "{}")
        if connection_id is None or workflow.get("connection_id") == connection_id:
            found.append(described)
    return found


def finished(stack: LocalStack, connection_id: str) -> list[dict[str, Any]] | None:
    runs = executions(stack, connection_id)
    return runs if runs and all(r["status"] != "RUNNING" for r in runs) else None


def failure_cause(stack: LocalStack, execution: dict[str, Any]) -> str:
    """The last task failure of an execution (what a handler raised), else the execution's own error."""
    for event in reversed(stack.history(execution["executionArn"])):
        details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails")
        if details:
            return f"{details.get('error', '')}: {details.get('cause', '')}"[:2000]
    return f"{execution.get('error', '')}: {execution.get('cause', '')}"


def incidents(stack: LocalStack) -> list[dict[str, Any]]:
    """Every incident record (the incidents table also holds locks, markers and caches)."""
    items = stack.table_items("IncidentsTable")
    return [i for i in items if str(i.get("pk", "")).startswith("INC#") and i.get("sk") == "META"]


def incident_body(item: dict[str, Any]) -> dict[str, Any]:
    return json.loads(item["doc"])


def real_incidents(stack: LocalStack) -> list[dict[str, Any]]:
    """Top-level incidents a person sees: not the children of a parent, not the self-healed (those are digest)."""
    bodies = [incident_body(i) for i in incidents(stack)]
    return [b for b in bodies if b.get("kind") != "child" and b.get("status") != "self_healed"]


def approvals(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.table_items("ApprovalsTable")


def decide(stack: LocalStack, approval_id: str, decision: str, *, token: str = LOCAL_APPROVER_TOKEN,
           comment: str = "drill", resolve: dict[str, Any] | None = None) -> httpx.Response:
    """Approve or reject through the approval API, as a person would (HTTP through the local gateway)."""
    body: dict[str, Any] = {"decision": decision, "comment": comment}
    if resolve:
        body["resolve"] = resolve
    return httpx.post(f"{stack.base_url}/approvals/{approval_id}/decision",
                      headers={"Authorization": f"Bearer {token}"}, json=body, timeout=30)


def outbox(stack: LocalStack) -> list[dict[str, Any]]:
    """Notices the stack sent (the local outbox stands in for Slack / Jira), each with its op: post or update."""
    path = stack.workdir / "outbox.jsonl"
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{**entry.get("notice", {}), "op": entry.get("op")} for entry in entries]


def audit_records(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.table_items("AuditTable")


def record_common(stack: LocalStack, result: ScenarioResult, connection_id: str | None) -> None:
    """The numbers every scenario reports."""
    writes = write_calls(stack, connection_id)
    result.fivetran_write_calls = len(writes)
    result.llm_calls = stack.llm_calls
    result.incidents = len(real_incidents(stack))
    if connection_id is not None:
        delivered = failure_delivered_at(stack, connection_id)
        if delivered is not None and writes:
            later = [w["wall_time"] for w in writes if w["wall_time"] >= delivered]
            if later:
                result.seconds_to_remediation = round(min(later) - delivered, 2)
        result.details["write_calls"] = write_call_paths(stack, connection_id)
    statuses = [e["status"] for e in executions(stack, connection_id)]
    result.details["executions"] = statuses

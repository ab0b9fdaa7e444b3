"""The failure `make run` plays at start: one real failure, followed step by step through the stack."""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from local.drill import steps
from local.simulator import SCENARIO_HOMES
from local.stack import LocalStack

DEMO_SCENARIO = "schema_change_non_breaking"
TIMEOUT = 90.0


def _say(out: TextIO, started: float, text: str) -> None:
    out.write(f"  [{time.monotonic() - started:5.1f}s] {text}\n")
    out.flush()


def _failure_webhook(stack: LocalStack, connection_id: str) -> tuple[Any, dict] | None:
    for delivery in stack.simulator.deliveries:
        body = json.loads(delivery.body)
        if body.get("connector_id") == connection_id and (body.get("data") or {}).get("status") == "FAILURE":
            return delivery, body
    return None


def _incident(stack: LocalStack, connection_id: str) -> dict | None:
    found = [b for b in (steps.incident_body(i) for i in steps.incidents(stack))
             if b.get("connection_id") == connection_id and b.get("diagnosis")]
    return found[0] if found else None


def play_demo(stack: LocalStack, *, out: TextIO, scenario: str = DEMO_SCENARIO) -> bool:
    """Inject `scenario`, narrate each hop as it happens, and say whether it ended verified."""
    started = time.monotonic()
    connection = SCENARIO_HOMES[scenario]
    service = stack.simulator.connection(connection)["service"]
    steps.fail_next_sync(stack, connection, scenario)
    _say(out, started, f"Fivetran simulator: injected '{scenario}' into {connection} ({service}); sync started")
    try:
        delivery, body = steps.wait_until(lambda: _failure_webhook(stack, connection), timeout=TIMEOUT,
                                          what="the failure webhook")
        reason = (body.get("data") or {}).get("reason", "")
        _say(out, started, f"webhook sync_end FAILURE -> POST /webhooks/fivetran answered {delivery.status}: "
                           f"\"{reason[:90]}{'...' if len(reason) > 90 else ''}\"")
        incident = steps.wait_until(lambda: _incident(stack, connection), timeout=TIMEOUT, what="the diagnosis")
        _say(out, started, f"SQS FIFO -> diagnose (batches so far: {stack.poller.stats.batches}): incident "
                           f"{incident['id']}")
        diagnosis = incident["diagnosis"]
        _say(out, started, f"root cause: {diagnosis['category']}/{diagnosis['pattern']} "
                           f"(confidence {diagnosis['confidence']:.2f}, retryable {diagnosis['retryable']}, "
                           f"by {diagnosis.get('analyzer', 'rules')})")
        _say(out, started, f"  {diagnosis.get('summary', '')}")
        [execution] = steps.wait_until(lambda: steps.executions(stack, connection), timeout=TIMEOUT,
                                       what="the recovery workflow")
        workflow = json.loads(execution["input"])
        _say(out, started, f"Step Functions: execution {execution['name']} started, playbook "
                           f"'{workflow['playbook']['id']}', policy path '{workflow['decision']['path']}'")
        seen = 0
        deadline = time.monotonic() + TIMEOUT
        while not steps.finished(stack, connection):
            calls = steps.write_calls(stack, connection)
            for call in calls[seen:]:
                _say(out, started, f"remediate -> Fivetran API: {call['method']} {call['path']} ({call['status']})")
            seen = len(calls)
            if time.monotonic() > deadline:
                raise TimeoutError("the workflow did not finish")
            time.sleep(0.2)
        for call in steps.write_calls(stack, connection)[seen:]:
            _say(out, started, f"remediate -> Fivetran API: {call['method']} {call['path']} ({call['status']})")
        [execution] = steps.executions(stack, connection)
        output = json.loads(execution.get("output") or "{}")
        verdict = ((output.get("verification") or {}).get("value") or {}).get("verdict", "")
        _say(out, started, f"verify: workflow {execution['status']}" + (f", verdict {verdict}" if verdict else ""))
        if execution["status"] != "SUCCEEDED":
            _say(out, started, f"  why: {steps.failure_cause(stack, execution)}")
        _narrate_audit(stack, connection, out, started)
        return execution["status"] == "SUCCEEDED"
    except (TimeoutError, ValueError) as exc:  # ValueError: more than one workflow where one was expected
        _say(out, started, f"stopped: {exc}")
        return False


def _narrate_audit(stack: LocalStack, connection: str, out: TextIO, started: float) -> None:
    records = sorted((r for r in steps.audit_records(stack) if r["chain_id"] == connection), key=lambda r: r["seq"])
    _say(out, started, f"audit trail: {len(records)} hash-chained records for {connection}: "
                       f"{', '.join(r['kind'] for r in records)}")
    for record in records:
        detail = json.loads(record.get("detail_json") or "{}")
        if record["kind"] == "action" and "before" in detail and "after" in detail:
            before, after = detail["before"] or {}, detail["after"] or {}
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            _say(out, started, f"  action {detail.get('action', '')}: before/after recorded "
                               f"(changed: {', '.join(changed[:6]) or 'nothing visible'})")

"""Drill scenarios about time and delivery (issue 13): Fivetran retries a webhook for a day, and a stamp may be absurd.

- late_failure_replay: a failure's webhook is delivered again 6 simulated hours after the connection recovered
  (the endpoint hiccupped, Fivetran retried): no incident, no page, no workflow.
- webhook_dated_next_year: a signed failure dated a year ahead arrives, then a canary connection blips and
  Fivetran's own retry fixes it: the stamp is refused or harmless, and the canary still self-heals (no workflow).
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from local.defaults import webhook_secret
from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.drill.scenarios import FAST_TRIAGE
from local.simulator import SCENARIO_HOMES, SIGNATURE_HEADER, sign
from local.stack import LocalStack

BLIP = "transient_network_blip"
REPLAY_AFTER = timedelta(hours=6)
# Long enough (wall seconds) for the canary's retry to land inside it, short enough to see a confirmation if not.
CANARY_TRIAGE = {"SELF_HEAL_WINDOW_SECONDS": "20"}


def _failures(stack: LocalStack, connection_id: str) -> list:
    found = []
    for delivery in stack.simulator.deliveries:
        body = json.loads(delivery.body)
        if body.get("connector_id") == connection_id and (body.get("data") or {}).get("status") == "FAILURE":
            found.append(delivery)
    return found


def _incident_statuses(stack: LocalStack, connection_id: str) -> list[str]:
    bodies = [steps.incident_body(i) for i in steps.incidents(stack)]
    return [b["status"] for b in bodies if b.get("connection_id") == connection_id]


def play_late_failure_replay(stack: LocalStack, result: ScenarioResult) -> None:
    connection = SCENARIO_HOMES[BLIP]
    steps.fail_next_sync(stack, connection, BLIP)
    steps.wait_until(lambda: steps.finished(stack, connection), timeout=60, what="the blip's workflow")
    stack.wait_for_executions(timeout=30)
    statuses = _incident_statuses(stack, connection)
    notices, runs = len(steps.outbox(stack)), len(steps.executions(stack))
    original = _failures(stack, connection)[0]
    stack.simulator.clock.set(stack.simulator.now() + REPLAY_AFTER)  # Fivetran's retries run for a day
    replay = httpx.post(original.target, content=original.body, headers=original.headers, timeout=30)
    stack.wait_for_executions(timeout=30)
    steps.record_common(stack, result, connection)
    result.checks = {
        "recovered before the replay": statuses == ["recovered"],
        "replay accepted (2xx)": replay.status_code < 300,
        "no new incident": _incident_statuses(stack, connection) == statuses,
        "no new workflow": len(steps.executions(stack)) == runs,
        "no notice or page": len(steps.outbox(stack)) == notices,
    }
    result.outcome = f"replayed {REPLAY_AFTER} later: incidents {_incident_statuses(stack, connection)}"
    result.passed = True


def _next_year_failure(stack: LocalStack, connection_id: str) -> httpx.Response:
    created = stack.simulator.now() + timedelta(days=365)
    body = json.dumps({
        "event": "sync_end", "created": created.isoformat().replace("+00:00", "Z"), "connector_type": "postgres",
        "connector_id": connection_id, "sync_id": "from-next-year", "destination_group_id": "warehouse_snowflake",
        "data": {"status": "FAILURE", "reason": "java.net.SocketTimeoutException: Read timed out"}}).encode()
    secret = stack.options.webhook_secret or webhook_secret()
    return httpx.post(f"{stack.base_url}/webhooks/fivetran", content=body, timeout=30,
                      headers={SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"})


def play_webhook_dated_next_year(stack: LocalStack, result: ScenarioResult) -> None:
    poisoned, canary = "vivid_lantern", SCENARIO_HOMES[BLIP]
    response = _next_year_failure(stack, poisoned)
    stack.wait_for_executions(timeout=30)
    steps.fail_next_sync(stack, canary, BLIP)
    steps.wait_until(lambda: _failures(stack, canary) and _incident_statuses(stack, canary), timeout=30,
                     what="the canary's failure to be triaged")
    stack.simulator.sync(canary)  # Fivetran's own retry: it succeeds
    healed = steps.wait_until(lambda: "self_healed" in _incident_statuses(stack, canary), timeout=30,
                              what="the canary to self-heal")
    stack.wait_for_executions(timeout=30)
    steps.record_common(stack, result, canary)
    result.checks = {
        "dated webhook refused or accepted": response.status_code < 300 or 400 <= response.status_code < 500,
        "canary self-healed": bool(healed),
        "no workflow for anyone": not steps.executions(stack),
        "no write call": not steps.write_calls(stack),
    }
    result.outcome = (f"next-year webhook answered {response.status_code}; canary "
                      f"{', '.join(_incident_statuses(stack, canary))}; workflows {len(steps.executions(stack))}")
    result.passed = True


SCENARIOS = [
    Scenario("late_failure_replay", "a failure redelivered 6 h after recovery: no incident, no page",
             play_late_failure_replay, environment=FAST_TRIAGE),
    Scenario("webhook_dated_next_year", "refused or harmless; a blipping canary still self-heals, no workflow",
             play_webhook_dated_next_year, environment=CANARY_TRIAGE),
]

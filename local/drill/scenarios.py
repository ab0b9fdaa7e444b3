"""The drill's failure scenarios, each played end to end through the local stack: a real failure at the Fivetran
simulator, its signed webhook through the gateway, the queue, diagnose, Step Functions, the Fivetran API calls.

Every scenario checks its own expectation and reports the numbers (see runner.ScenarioResult).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.simulator import SCENARIO_HOMES
from local.stack import LocalStack

# A short self-heal window so a blip waits seconds, not the deployed 15 minutes, for Fivetran's own retry.
FAST_TRIAGE = {"SELF_HEAL_WINDOW_SECONDS": "2"}
FLOW_TIMEOUT = 60.0


def _settle(stack: LocalStack, connection_id: str, timeout: float = FLOW_TIMEOUT) -> list[dict]:
    return steps.wait_until(lambda: steps.finished(stack, connection_id), timeout=timeout,
                            what=f"the recovery workflow of {connection_id} to finish")


def _outcome(run: dict) -> str:
    """The workflow's own word for how it ended (set by the state machine: verified, rejected, ...)."""
    return str(json.loads(run.get("output") or "{}").get("outcome") or run["status"])


_paths = steps.write_call_paths


def _play_auto_fix(stack: LocalStack, result: ScenarioResult, scenario: str,
                   fixed_by: dict[str, Callable[[list[str]], bool]]) -> None:
    """A failure the auto path fixes alone: the workflow succeeds, with these calls, and asks nobody."""
    connection = SCENARIO_HOMES[scenario]
    steps.fail_next_sync(stack, connection, scenario)
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    paths = _paths(stack, connection)
    result.checks = {
        "workflow succeeded": [r["status"] for r in runs] == ["SUCCEEDED"],
        **{name: check(paths) for name, check in fixed_by.items()},
        "no approval asked": not steps.approvals(stack),
    }
    result.outcome = f"workflow {runs[-1]['status']}; Fivetran calls: {', '.join(paths) or 'none'}"
    result.passed = True


def play_transient_blip(stack: LocalStack, result: ScenarioResult) -> None:
    _play_auto_fix(stack, result, "transient_network_blip",
                   {"retried with a sync": lambda paths: any(p.endswith("/sync") for p in paths)})


def play_rate_limit(stack: LocalStack, result: ScenarioResult) -> None:
    connection = SCENARIO_HOMES["rate_limit"]
    steps.fail_next_sync(stack, connection, "rate_limit")
    steps.wait_until(lambda: any(b"RESCHEDULED" in d.body for d in stack.simulator.deliveries), timeout=30,
                     what="the RESCHEDULED webhook")
    stack.wait_for_executions(timeout=20)
    steps.record_common(stack, result, connection)
    result.checks = {
        "no write call": result.fivetran_write_calls == 0,
        "no incident": result.incidents == 0,
        "no workflow": not steps.executions(stack, connection),
    }
    result.outcome = "RESCHEDULED treated as Fivetran waiting for quota: nothing opened, nothing called"
    result.passed = True


def play_rate_limit_manual(stack: LocalStack, result: ScenarioResult) -> None:
    """A manual-schedule connection is never restarted by Fivetran: wait out the limit, then ask for the sync."""
    connection = "copper_kite"
    assert stack.simulator.connection(connection)["schedule_type"] == "manual"
    steps.fail_next_sync(stack, connection, "rate_limit", retry_after=600)
    runs = _settle(stack, connection, timeout=90)
    steps.record_common(stack, result, connection)
    paths = _paths(stack, connection)
    result.checks = {
        "workflow succeeded": [r["status"] for r in runs] == ["SUCCEEDED"],
        "one sync asked for, not forced": paths == [f"POST /v1/connections/{connection}/sync"],
        "no approval asked": not steps.approvals(stack),
    }
    result.outcome = (f"waited until rescheduled_for, then: {', '.join(paths) or 'no call'}; "
                      f"workflow {runs[-1]['status']}")
    result.passed = True


def play_oauth_expired(stack: LocalStack, result: ScenarioResult) -> None:
    connection = SCENARIO_HOMES["oauth_expired"]
    steps.fail_next_sync(stack, connection, "oauth_expired")
    steps.wait_until(lambda: any(p.endswith("/connect-card") for p in _paths(stack, connection)), timeout=FLOW_TIMEOUT,
                     what="a connect card for the owner")
    waiting = [r["status"] for r in steps.executions(stack, connection)]
    link_sent = steps.wait_until(lambda: [n for n in steps.outbox(stack) if n.get("op") == "direct"],
                                 timeout=20, what="the re-auth link sent to the owner directly")
    stack.simulator.complete_reauth(connection)  # the owner follows the link
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    result.checks = {
        "incident waited for the owner": waiting == ["RUNNING"],
        "re-auth link sent to the owner only": bool(link_sent) and not any(
            "connect-card/setup" in json.dumps(n) for n in steps.outbox(stack)),
        "recovered after re-auth": [r["status"] for r in runs] == ["SUCCEEDED"],
    }
    result.outcome = f"connect card sent, workflow waited, then {runs[-1]['status']} after the owner re-authorized"
    result.passed = True


def play_schema_non_breaking(stack: LocalStack, result: ScenarioResult) -> None:
    _play_auto_fix(stack, result, "schema_change_non_breaking", {
        "schema reloaded": lambda paths: any(p.endswith("/schemas/reload") for p in paths),
        "tables re-synced": lambda paths: any("resync" in p for p in paths),
    })


def _breaking_until_approval(stack: LocalStack) -> tuple[str, dict]:
    connection = SCENARIO_HOMES["schema_change_breaking"]
    steps.fail_next_sync(stack, connection, "schema_change_breaking")
    [approval] = steps.wait_until(lambda: steps.approvals(stack), timeout=FLOW_TIMEOUT, what="an approval request")
    return connection, approval


def play_schema_breaking_approved(stack: LocalStack, result: ScenarioResult) -> None:
    connection, approval = _breaking_until_approval(stack)
    before = _paths(stack, connection)
    # The breaking change's error names no column, so the approver says which one to exclude (the plan asks).
    answer = steps.decide(stack, approval["approval_id"], "approve",
                          resolve={"exclude_columns": {"events.page_view": ["viewed_at"]}})
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    after = _paths(stack, connection)[len(before):]
    result.checks = {
        # a type change leaves no schema diff: escalated, so nothing (not even the pause) runs before a human
        "nothing written before asking": not before,
        "approval accepted": answer.status_code == 200,
        "approved change applied": any(p.startswith("PATCH") and "/schemas" in p for p in after),
        "workflow succeeded": [r["status"] for r in runs] == ["SUCCEEDED"],
    }
    result.outcome = (f"approval {approval['approval_id']} asked with no write, approved via API "
                      f"({answer.status_code}), then: {', '.join(after)}; workflow {runs[-1]['status']}")
    result.passed = True


def play_schema_breaking_rejected(stack: LocalStack, result: ScenarioResult) -> None:
    connection, approval = _breaking_until_approval(stack)
    before = _paths(stack, connection)
    answer = steps.decide(stack, approval["approval_id"], "reject")
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    after = _paths(stack, connection)[len(before):]
    result.checks = {
        "rejection accepted": answer.status_code == 200,
        "no schema change": not any("/schemas" in p for p in after),
        "workflow ended as rejected": [_outcome(r) for r in runs] == ["rejected"],
    }
    paused = stack.simulator.connection(connection)["paused"]
    result.outcome = (f"rejected via API; Fivetran calls after the decision: {', '.join(after) or 'none'}; "
                      f"connection left {'paused (the protective pause) for the owner' if paused else 'running'}")
    result.passed = True


def play_approval_timeout(stack: LocalStack, result: ScenarioResult) -> None:
    connection, _ = _breaking_until_approval(stack)
    before = _paths(stack, connection)
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    after = _paths(stack, connection)[len(before):]
    escalations = [n for n in steps.outbox(stack) if n.get("kind") == "escalation"]
    result.checks = {
        "no schema change": not any("/schemas" in p for p in after),
        "escalated": bool(escalations),
        "workflow ended as timed out": [_outcome(r) for r in runs] == ["approval_timed_out"],
    }
    result.outcome = (f"nobody decided; {len(escalations)} escalation(s); "
                      f"calls after timeout: {', '.join(after) or 'none'}")
    result.passed = True


def play_monitor_only(stack: LocalStack, result: ScenarioResult) -> None:
    connection = SCENARIO_HOMES["schema_change_non_breaking"]
    steps.fail_next_sync(stack, connection, "schema_change_non_breaking")
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    notices = steps.outbox(stack)
    result.checks = {
        "zero write calls": result.fivetran_write_calls == 0,
        "workflow ended as monitored": [_outcome(r) for r in runs] == ["monitored"],
        "recommendation sent with the planned actions": any(n.get("kind") == "monitor" and n.get("planned_actions")
                                                             for n in notices),
    }
    result.outcome = f"monitor mode: {len(notices)} notification(s), {result.fivetran_write_calls} write calls"
    result.passed = True


SCENARIOS = [
    Scenario("transient_network_blip", "held for Fivetran's own retry, then auto retry (sync now) -> verified",
             play_transient_blip, environment=FAST_TRIAGE),
    Scenario("rate_limit", "RESCHEDULED: no incident, no call, no fight with Fivetran", play_rate_limit,
             environment=FAST_TRIAGE),
    Scenario("rate_limit_manual_schedule", "manual schedule: wait until rescheduled_for, then one sync -> verified",
             play_rate_limit_manual, environment=FAST_TRIAGE),
    Scenario("oauth_expired", "re-auth link to the owner, incident waits, recovers after re-auth",
             play_oauth_expired, environment=FAST_TRIAGE),
    Scenario("schema_change_non_breaking", "auto reload schema + re-sync tables -> verified",
             play_schema_non_breaking, environment=FAST_TRIAGE),
    Scenario("schema_change_breaking", "no diff: approval first, approved via API, paused + changed, verified",
             play_schema_breaking_approved, environment=FAST_TRIAGE),
    Scenario("approval_rejected", "breaking change rejected: no schema change", play_schema_breaking_rejected,
             environment=FAST_TRIAGE),
    Scenario("approval_timeout", "nobody decides: no change, escalated", play_approval_timeout,
             parameters={"ApprovalTimeoutSeconds": "3"}, environment=FAST_TRIAGE),
    Scenario("monitor_only", "monitor mode: diagnosed and recommended, zero write calls to Fivetran",
             play_monitor_only, rollout_mode="monitor", environment=FAST_TRIAGE),
]


# A real Fivetran message the rules cannot place (corpus ft-077, Fivetran's dbt troubleshooting index).
UNKNOWN_MESSAGE = "Error: MissingObjectException: Missing unknown"


def play_unknown_error(stack: LocalStack, result: ScenarioResult) -> None:
    """Two syncs fail with a message the rules answer `unknown`: one incident, one LLM call, an escalation."""
    from local.drill.storm_scenario import post_signed_webhook

    connection = "paper_comet"
    details = stack.simulator.connection(connection)
    for attempt in range(2):
        post_signed_webhook(stack, {
            "event": "sync_end", "created": stack.simulator.now().isoformat().replace("+00:00", "Z"),
            "connector_type": details["service"], "connector_id": connection, "sync_id": f"drill-unknown-{attempt}",
            "destination_group_id": details["group_id"],
            "data": {"status": "FAILURE", "reason": UNKNOWN_MESSAGE},
        })
        stack.simulator.advance(60)
    runs = _settle(stack, connection)
    steps.record_common(stack, result, connection)
    [execution] = runs
    workflow = json.loads(execution["input"])
    escalations = [n for n in steps.outbox(stack) if n.get("kind") == "escalation"]
    result.checks = {
        "one incident": result.incidents == 1,
        "exactly one LLM call for the two events": result.llm_calls == 1,
        "escalated with the RCA": workflow["playbook"]["id"] == "escalate_unknown" and bool(escalations),
        "no write call": result.fivetran_write_calls == 0,
    }
    result.outcome = (f"rules: unknown -> LLM asked once ({result.llm_calls} call) -> {workflow['rca']['category']}/"
                      f"{workflow['rca']['pattern']} by {workflow['rca'].get('analyzer')}; playbook "
                      f"{workflow['playbook']['id']}; {len(escalations)} escalation(s)")
    result.passed = True


SCENARIOS.append(Scenario("unknown_error_llm", "rules say unknown: one LLM call per incident, escalate with the RCA",
                          play_unknown_error, environment=FAST_TRIAGE))

"""Drill scenarios of issue 14: Fivetran as strict as the real one, and no failure missed when a webhook is.

Each plays against the strict simulator (no lenient option) through the local stack and shows the real
behaviour and what the system does about it: a dropped failure webhook and a webhook Fivetran disabled after 24 h
of failed deliveries (both found by the reconciliation sweep, fixed once, a late webhook a duplicate), and one
scenario per defect of the issue (timeouts, omitted columns, column limits, table re-sync per connector, schema
PATCH during a sync, destination names, Fivetran's own pause).
"""

from __future__ import annotations

import json
import time
from typing import Any

from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.stack import LocalStack

FAST_TRIAGE = {"SELF_HEAL_WINDOW_SECONDS": "2"}
TIMEOUT = 90.0


def _first_write_after(stack: LocalStack, connection_id: str, since: float) -> float | None:
    later = [w["wall_time"] for w in steps.write_calls(stack, connection_id) if w["wall_time"] >= since]
    return round(min(later) - since, 2) if later else None


def _settled(stack: LocalStack, connection_id: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    return steps.wait_until(lambda: steps.finished(stack, connection_id), timeout=timeout,
                            what=f"the recovery workflow of {connection_id} to finish")


def _client(stack: LocalStack, **kwargs: Any) -> Any:
    """The system's own Fivetran client, with the local stack's scaled timeouts."""
    from fivetran_recovery.fivetran import FivetranClient
    from fivetran_recovery.fivetran.timeouts import Timeouts
    from local.defaults import LOCAL_FIVETRAN_KEY, LOCAL_FIVETRAN_SECRET

    kwargs.setdefault("timeouts", Timeouts().scaled(1 / stack.options.sim_time_scale))
    return FivetranClient(api_key=LOCAL_FIVETRAN_KEY, api_secret=LOCAL_FIVETRAN_SECRET,
                          base_url=f"{stack.simulator_url}/v1", **kwargs)


def _found_fixed_once(stack: LocalStack, result: ScenarioResult, connection_id: str, started: float) -> None:
    runs = _settled(stack, connection_id)
    steps.record_common(stack, result, connection_id)
    result.seconds_to_remediation = _first_write_after(stack, connection_id, started)
    result.checks["found without its webhook, fixed"] = [r["status"] for r in runs] == ["SUCCEEDED"]
    result.checks["one incident"] = result.incidents == 1


def play_webhook_dropped(stack: LocalStack, result: ScenarioResult) -> None:
    """Fivetran loses the failure's webhook; the reconciliation sweep reads sync history and feeds it."""
    from local.drill.storm_scenario import post_signed_webhook

    connection, sim = "silver_meadow", stack.simulator
    sim.webhooks.drop[connection] = {"sync_end"}
    started = steps.fail_next_sync(stack, connection, "schema_change_non_breaking")
    steps.wait_until(lambda: sim.webhooks.dropped, timeout=30, what="the failure's sync_end, dropped")
    sim.webhooks.drop.pop(connection)
    _found_fixed_once(stack, result, connection, started)
    _event, body = sim.webhooks.dropped[0]
    late = post_signed_webhook(stack, json.loads(body))  # the lost webhook turns up after all
    time.sleep(3)
    steps.record_common(stack, result, connection)
    result.checks["late webhook accepted"] = late == 200
    result.checks["late webhook a duplicate: still one incident"] = result.incidents == 1
    result.checks["still one workflow"] = len(steps.executions(stack, connection)) == 1
    result.seconds_to_remediation = _first_write_after(stack, connection, started)
    result.outcome = (f"failure webhook dropped; reconciliation found it, workflow {result.details['executions']}, "
                      f"first fix {result.seconds_to_remediation} s after the failure; the late webhook was a "
                      "duplicate")
    result.passed = True


def play_webhook_disabled(stack: LocalStack, result: ScenarioResult) -> None:
    """The receiver is down for a day: Fivetran retries for 24 h, disables the webhook; failures after that are
    found by reconciliation alone."""
    sim = stack.simulator
    sim.webhooks.down.add("sim_configured")
    for _ in range(50):  # 25 h of Fivetran time in half-hour steps, each letting the retries fall due
        sim.advance(1800)
        sim.flush_webhooks()
    disabled = list(sim.webhooks.disabled)
    sim.webhooks.down.clear()  # the receiver is back, but Fivetran does not re-enable the webhook
    connection = "silver_meadow"
    started = steps.fail_next_sync(stack, connection, "schema_change_non_breaking")
    _found_fixed_once(stack, result, connection, started)
    retried = max((d.attempt for d in sim.deliveries), default=0)
    result.checks["Fivetran disabled the webhook after 24 h of failures"] = [d["webhook_id"] for d in disabled] == [
        "sim_configured"]
    result.checks["deliveries were retried first"] = retried > 1
    result.outcome = (f"webhook disabled at {disabled[0]['at'] if disabled else '?'} after retries (up to attempt "
                      f"{retried}); the next failure found by reconciliation, workflow {result.details['executions']},"
                      f" first fix {result.seconds_to_remediation} s after the failure")
    result.passed = True


def play_timeouts(stack: LocalStack, result: ScenarioResult) -> None:
    """1: a pause of a syncing connection answers 500 after ~60 s though it paused; a reload takes 90 s."""
    from fivetran_recovery.fivetran import FivetranError
    from fivetran_recovery.fivetran.timeouts import Timeouts

    connection, sim = "vivid_lantern", stack.simulator
    sim.sync(connection)
    client = _client(stack)
    paused = client.pause(connection)
    patches = [(w["body"], w["status"]) for w in steps.write_calls(stack, connection) if w["method"] == "PATCH"]
    naive = _client(stack, timeouts=Timeouts(default=1.0, source=1.0, stop_sync=1.0), max_attempts=1)
    try:
        naive.reload_schema("silver_meadow")
        naive_result = "answered"
    except FivetranError as exc:
        naive_result = type(exc).__name__
    reloaded = client.reload_schema("silver_meadow")
    steps.record_common(stack, result, connection)
    result.checks["the pause answered 500 and was read back, not re-sent"] = patches == [({"paused": True}, 500)]
    result.checks["the connection is paused"] = paused.paused is True
    result.checks["one timeout for all times the reload out"] = naive_result == "FivetranConnectionError"
    result.checks["the source-class timeout lets it finish"] = reloaded.schemas != {}
    result.outcome = (f"pause: {patches} then confirmed paused; reload with a 1 s timeout: {naive_result}; "
                      "with the per-class timeout: answered")
    result.passed = True


def play_unedited_columns(stack: LocalStack, result: ScenarioResult) -> None:
    """2 and 6: GET /schemas omits unedited columns, and the warehouse names differ (database prefix)."""
    from local.drill.storm_scenario import post_signed_webhook

    connection, sim = "vivid_lantern", stack.simulator
    listed = sim.schema_config(connection)["schemas"]["public"]["tables"]["orders"]["columns"]
    sim.inject(connection, "duplicate_primary_key")
    # Snowflake's MERGE error names no table; the warehouse's statement context does (as in the workflow tests).
    post_signed_webhook(stack, {
        "event": "sync_end", "created": sim.now().isoformat().replace("+00:00", "Z"), "connector_type": "postgres",
        "connector_id": connection, "sync_id": "drill-dup-1", "destination_group_id": "warehouse_snowflake",
        "data": {"status": "FAILURE",
                 "reason": "100090 (42P18): Duplicate row detected during DML action (while writing table "
                           "public.orders)"},
    })
    [approval] = steps.wait_until(lambda: steps.approvals(stack), timeout=TIMEOUT, what="an approval request")
    execution = steps.executions(stack, connection)[0]
    step = next(s for s in json.loads(execution["input"])["plan"]["steps"] if s["action"] == "run_recovery_sql")
    steps.record_common(stack, result, connection)
    result.checks["GET /schemas lists no unedited column"] = listed == {}
    result.checks["primary key from the columns endpoint"] = step["params"].get("keys") == ["id"]
    result.checks["SQL on the destination names"] = (step["params"].get("schema"), step["params"].get("table")) == (
        "postgres_prod_public", "orders")
    params = step["params"]
    result.outcome = (f"schema config columns: {listed}; plan keys {params.get('keys')} on "
                      f"{params.get('schema')}.{params.get('table')}; approval {approval['approval_id']}")
    result.passed = True


def play_primary_key_exclusion(stack: LocalStack, result: ScenarioResult) -> None:
    """3: excluding a primary-key column is refused by Fivetran; the system refuses it before calling."""
    connection = "lunar_pebble"
    steps.fail_next_sync(stack, connection, "schema_change_breaking")
    [approval] = steps.wait_until(lambda: steps.approvals(stack), timeout=TIMEOUT, what="an approval request")
    steps.decide(stack, approval["approval_id"], "approve", resolve={"exclude_columns": {"events.page_view": ["id"]}})
    _settled(stack, connection)
    steps.record_common(stack, result, connection)
    paths = steps.write_call_paths(stack, connection)
    audit = [json.dumps(r, default=str) for r in steps.audit_records(stack)]
    blocked = [r for r in audit if "cannot be excluded" in r]
    result.details["audit_kinds"] = [json.loads(r).get("kind") for r in audit]
    result.checks["no schema PATCH sent"] = not any(p.startswith("PATCH") and "/schemas" in p for p in paths)
    result.checks["blocked with Fivetran's reason"] = any("Primary Key" in r for r in blocked)
    result.outcome = f"approved exclusion of the primary key was not sent; calls: {', '.join(paths)}"
    result.passed = True


def play_table_resync_unsupported(stack: LocalStack, result: ScenarioResult) -> None:
    """4: a Google Sheets connection has no table-level re-sync (400): blocked with why, no full re-sync."""
    connection = "paper_comet"
    steps.fail_next_sync(stack, connection, "schema_change_non_breaking")
    _settled(stack, connection)
    steps.record_common(stack, result, connection)
    calls = steps.write_calls(stack, connection)
    resyncs = [(c["path"], c["status"]) for c in calls if "resync" in c["path"]]
    result.checks["table re-sync answered 400"] = resyncs == [(f"/v1/connections/{connection}/schemas/tables/resync",
                                                                400)]
    result.checks["no full re-sync on its own"] = not any(p == f"/v1/connections/{connection}/resync"
                                                          for p, _ in resyncs)
    result.outcome = f"re-sync calls: {resyncs}; workflow {result.details['executions']}"
    result.passed = True


def play_schema_patch_during_sync(stack: LocalStack, result: ScenarioResult) -> None:
    """5: a schema PATCH while an unstoppable sync runs fails after 60 s; the client pauses, changes, resumes."""
    connection, sim = "lunar_pebble", stack.simulator
    sim.faults.sync_stop_failure.add(connection)
    sim.sync(connection)
    client = _client(stack, sleep=lambda s: time.sleep(min(s, 0.2)))
    client.update_schema_config(connection, schemas={"events": {"tables": {"page_view": {"columns": {
        "viewed_at": {"enabled": False}}}}}})
    calls = [(c["method"], c["body"], c["status"]) for c in steps.write_calls(stack, connection)]
    steps.record_common(stack, result, connection)
    result.checks["pause, change, resume"] = [c[:2] for c in calls[-3:]] == [
        ("PATCH", {"paused": True}), ("PATCH", {"schemas": {"events": {"tables": {"page_view": {"columns": {
            "viewed_at": {"enabled": False}}}}}}}), ("PATCH", {"paused": False})]
    result.checks["the first PATCH met the in-progress-sync error"] = calls[0][2] >= 400
    result.outcome = f"calls: {[(m, s) for m, _b, s in calls]}"
    result.passed = True


def play_fivetran_paused(stack: LocalStack, result: ScenarioResult) -> None:
    """8: Fivetran pauses a broken connection itself (actor Fivetran): not a human's pause."""
    connection = "quiet_harbor"
    started = steps.fail_next_sync(stack, connection, "fivetran_paused")
    _settled(stack, connection)
    steps.record_common(stack, result, connection)
    result.seconds_to_remediation = _first_write_after(stack, connection, started)
    audit = [json.dumps(r, default=str) for r in steps.audit_records(stack)]
    human_blocks = [r for r in audit if "a human paused it" in r]
    result.details["audit_kinds"] = [json.loads(r).get("kind") for r in audit]
    pause_events = [d.payload for d in stack.simulator.deliveries if d.event == "pause_connector"]
    result.checks["Fivetran's pause carries actor Fivetran"] = any(
        (p.get("data") or {}).get("actor") == "Fivetran" for p in pause_events)
    result.checks["not taken for a human's pause"] = not human_blocks
    ended = [json.loads(e.get("output") or "{}").get("outcome") for e in steps.executions(stack, connection)]
    result.outcome = (f"auto-paused by Fivetran; calls: {', '.join(result.details.get('write_calls', []))}; "
                      f"workflow outcome {ended}")
    result.passed = True


FIDELITY_SCENARIOS = [
    Scenario("webhook_dropped", "failure webhook lost: reconciliation finds it, fixed once, late webhook a duplicate",
             play_webhook_dropped, environment=FAST_TRIAGE),
    Scenario("webhook_disabled", "receiver down 24 h: Fivetran disables the webhook; reconciliation finds the next "
             "failure", play_webhook_disabled, environment=FAST_TRIAGE),
    Scenario("fidelity_timeouts", "pause 500 after 60 s read back; reload within its own timeout", play_timeouts),
    Scenario("fidelity_unedited_columns", "keys from the columns endpoint, SQL on destination names",
             play_unedited_columns, environment=FAST_TRIAGE),
    Scenario("fidelity_primary_key_exclusion", "excluding a primary key refused before calling",
             play_primary_key_exclusion, environment=FAST_TRIAGE),
    Scenario("fidelity_table_resync_unsupported", "no table-level re-sync: blocked with why, no full re-sync",
             play_table_resync_unsupported, environment=FAST_TRIAGE),
    Scenario("fidelity_schema_patch_during_sync", "pause-change-resume for a schema PATCH during a sync",
             play_schema_patch_during_sync),
    Scenario("fidelity_fivetran_paused", "Fivetran's own pause is not a human's", play_fivetran_paused,
             environment=FAST_TRIAGE),
]
